use sea_orm::entity::prelude::*;

/// One step taken on personal data: a request's steps, a consent given or withdrawn, an item
/// anonymised by retention. Holds no contact.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "privacy_events")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub request_id: Option<String>,
    pub complaint_id: Option<String>,
    pub account_id: Option<String>,
    pub action: String,
    pub actor_role: Option<String>,
    pub actor_account_id: Option<String>,
    pub at: DateTimeUtc,
    pub note: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
