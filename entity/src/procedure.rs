use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// The administrative level that performs a procedure.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum Level {
    #[sea_orm(string_value = "CITY")]
    City,
    #[sea_orm(string_value = "DISTRICT")]
    District,
    #[sea_orm(string_value = "WARD")]
    Ward,
}

/// How far a procedure can be done online (Decree 42/2022: partial or end-to-end).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum OnlineLevel {
    #[sea_orm(string_value = "NONE")]
    None,
    #[sea_orm(string_value = "PARTIAL")]
    Partial,
    #[sea_orm(string_value = "FULL")]
    Full,
}

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "procedures")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// National procedure code, stored trimmed and upper-cased.
    #[sea_orm(unique)]
    pub code: String,
    pub name: String,
    pub name_folded: String,
    pub field: String,
    pub field_folded: String,
    pub level: Level,
    /// Statutory processing time in working days (0 for same-day procedures).
    pub processing_days: i32,
    pub one_day: bool,
    pub online_level: OnlineLevel,
    pub retired: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
