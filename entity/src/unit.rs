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
    /// Thủ Đức city, quận, huyện: the district level, abolished on 1 July 2025 (history).
    #[sea_orm(string_value = "DISTRICT")]
    District,
    /// Phường, xã, đặc khu: the commune level, directly under the city since 1 July 2025.
    #[sea_orm(string_value = "COMMUNE")]
    Commune,
}

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
/// A unit's current row: its latest version's name, block and parent, and its validity; past
/// versions are in `unit_versions`.
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
    /// The first successor (kept for older readers; `unit_successions` holds all of them).
    pub successor_id: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
