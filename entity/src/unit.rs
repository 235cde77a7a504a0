use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// The block a unit is classified and ranked in (DESIGN.md §1).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(24))")]
pub enum Block {
    #[sea_orm(string_value = "DEPARTMENT")]
    Department,
    #[sea_orm(string_value = "VERTICAL_AGENCY")]
    VerticalAgency,
    #[sea_orm(string_value = "DISTRICT")]
    District,
}

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "units")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    #[sea_orm(unique)]
    pub code: String,
    pub name: String,
    /// Lower-cased, diacritic-free copy of `name` for accent-insensitive lookups.
    pub name_folded: String,
    pub short_name: Option<String>,
    pub block: Block,
    pub parent_id: Option<String>,
    pub valid_from: Date,
    pub valid_to: Option<Date>,
    pub successor_id: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
