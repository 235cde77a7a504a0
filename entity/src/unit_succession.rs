use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// How a unit's work passed to another.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum Kind {
    /// Merged (sáp nhập, hợp nhất) into the successor, with others or alone.
    #[sea_orm(string_value = "MERGED_INTO")]
    MergedInto,
    /// Split (chia tách) into several successors, this one among them.
    #[sea_orm(string_value = "SPLIT_INTO")]
    SplitInto,
    /// Reorganised under a new name and code (đổi tên, tổ chức lại).
    #[sea_orm(string_value = "RENAMED")]
    Renamed,
}

/// A succession link: from `effective_on`, `successor_id` carries (part of) the work of
/// `predecessor_id`. Many-to-many: a merger has several predecessors, a split several
/// successors; `position` orders the successors of one predecessor (the first receives its
/// open complaints).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "unit_successions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub predecessor_id: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub successor_id: String,
    pub effective_on: Date,
    pub kind: Kind,
    pub position: i32,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
