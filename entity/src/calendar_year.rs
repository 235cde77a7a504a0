use sea_orm::entity::prelude::*;

/// Whether a year's days off and swapped working days are the Government's announced ones
/// (`CONFIRMED`) or expected ones not yet announced (`PROVISIONAL`), set by an admin; it
/// overrides the status in the holiday file.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "calendar_years")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub year: i32,
    pub status: String,
    pub source: Option<String>,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
