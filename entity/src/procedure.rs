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
    /// Ward level before 1 July 2025 (history).
    #[sea_orm(string_value = "WARD")]
    Ward,
    /// Commune level (cấp xã: wards, communes, the special zone) since 1 July 2025.
    #[sea_orm(string_value = "COMMUNE")]
    Commune,
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
    /// Receipts after this local time (minutes after midnight) count from the next working
    /// day; 15:00 for same-day procedures unless set otherwise.
    pub receipt_cutoff_minutes: Option<i32>,
    pub retired: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
