use sea_orm::entity::prelude::*;

/// One step of a complaint's lifecycle: who, when, from which status to which, and a note.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "complaint_events")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub complaint_id: String,
    pub at: DateTimeUtc,
    /// FILED, ACCEPTED, REJECTED, FORWARDED, ANSWERED, RATED, REOPENED, CLOSED, DUPLICATE.
    pub action: String,
    pub actor_subject: Option<String>,
    pub actor_role: Option<String>,
    pub from_status: Option<String>,
    pub to_status: String,
    pub from_unit_id: Option<String>,
    pub to_unit_id: Option<String>,
    pub note: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
