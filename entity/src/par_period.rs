use sea_orm::entity::prelude::*;

/// A year of the PAR index: its criteria template, bands and blocks (JSON), and where it stands
/// (`DRAFT`, `COMPUTED`, `PUBLISHED`). An imported year is published elsewhere and read-only.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "par_periods")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub year: i32,
    pub status: String,
    pub imported: bool,
    pub template: String,
    pub bands: String,
    pub blocks: String,
    pub min_sample: i32,
    pub source: Option<String>,
    pub computed_at: Option<DateTimeUtc>,
    pub published_at: Option<DateTimeUtc>,
    pub published_by: Option<String>,
    pub created_by: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
