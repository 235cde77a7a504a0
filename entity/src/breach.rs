use sea_orm::entity::prelude::*;

/// A personal-data breach, with the time it was discovered (the 72-hour reporting clock starts
/// there) and what was reported.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "breaches")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub description: String,
    pub discovered_at: DateTimeUtc,
    pub recorded_at: DateTimeUtc,
    pub recorded_by: Option<String>,
    pub people_affected: Option<i32>,
    pub data_kinds: Option<String>,
    pub reported_at: Option<DateTimeUtc>,
    pub reported_to: Option<String>,
    pub report_reference: Option<String>,
    pub reported_by: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
