use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// Định kỳ (a unit's regular meeting with businesses) or theo chuyên đề (on one subject).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum Kind {
    #[sea_orm(string_value = "PERIODIC")]
    Periodic,
    #[sea_orm(string_value = "THEMATIC")]
    Thematic,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum Status {
    #[sea_orm(string_value = "PLANNED")]
    Planned,
    #[sea_orm(string_value = "HELD")]
    Held,
    #[sea_orm(string_value = "CLOSED")]
    Closed,
    #[sea_orm(string_value = "CANCELLED")]
    Cancelled,
}

/// A dialogue with businesses (đối thoại doanh nghiệp), hosted by one unit.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "dialogues")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub kind: Kind,
    pub title: String,
    pub topic: String,
    pub host_unit_id: String,
    pub starts_at: DateTimeUtc,
    pub location: Option<String>,
    pub online: bool,
    /// Open to every business (which may register itself) and listed to everyone.
    pub public: bool,
    pub status: Status,
    pub held_at: Option<DateTimeUtc>,
    pub closed_at: Option<DateTimeUtc>,
    pub minutes: Option<String>,
    /// Minutes and commitments stay with the participants after closing.
    pub minutes_internal: bool,
    pub cancelled_at: Option<DateTimeUtc>,
    pub cancel_reason: Option<String>,
    pub created_by: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// Folded title and topic: what a database search falls back on.
    pub search_text: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
