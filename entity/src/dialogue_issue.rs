use sea_orm::entity::prelude::*;

/// A complaint tracked as an issue of a dialogue.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "dialogue_issues")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub dialogue_id: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub complaint_id: String,
    /// `SUBMITTED` (before the meeting), `RAISED` (at it), `LINKED` (an earlier complaint) or
    /// `MERGED` (the original of an issue marked as its duplicate).
    pub origin: String,
    /// The business that raised it.
    pub business_id: Option<String>,
    pub created_by: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
