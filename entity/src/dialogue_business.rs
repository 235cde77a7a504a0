use sea_orm::entity::prelude::*;

/// A business taking part in a dialogue: invited by the host, or registered by itself for a
/// public one. The contact and agenda are the business's own, seen by it and the host.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "dialogue_businesses")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub dialogue_id: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub business_id: String,
    /// `INVITED` or `REGISTERED`.
    pub origin: String,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
    pub contact_email: Option<String>,
    /// What the business means to raise.
    pub agenda: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
