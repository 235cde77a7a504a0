use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum Status {
    #[sea_orm(string_value = "OPEN")]
    Open,
    #[sea_orm(string_value = "DONE")]
    Done,
}

/// A unit's commitment on a complaint (usually an issue of a dialogue): who, what, by when.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "commitments")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub complaint_id: String,
    pub unit_id: String,
    pub text: String,
    /// The day promised.
    pub due_on: Date,
    /// When it falls due: the end of that day, or of the next working day when that day is off
    /// (Civil Code 2015, art. 148).
    pub due_at: DateTimeUtc,
    pub status: Status,
    pub done_at: Option<DateTimeUtc>,
    pub evidence: Option<String>,
    pub recorded_by: String,
    pub recorded_at: DateTimeUtc,
    pub completed_by: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
