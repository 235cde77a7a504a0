use sea_orm::entity::prelude::*;

/// A data subject's request (Law 91/2025/QH15): access, correction, copy, deletion,
/// restriction, objection or withdrawal, about an account or one complaint.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "privacy_requests")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    #[sea_orm(unique)]
    pub code: String,
    pub kind: String,
    pub status: String,
    pub account_id: Option<String>,
    pub complaint_id: Option<String>,
    pub details: Option<String>,
    pub purpose: Option<String>,
    pub correct_name: Option<String>,
    pub correct_phone: Option<String>,
    pub correct_email: Option<String>,
    pub received_at: DateTimeUtc,
    pub acknowledge_due_at: DateTimeUtc,
    pub acknowledged_at: Option<DateTimeUtc>,
    pub due_at: DateTimeUtc,
    pub extended_at: Option<DateTimeUtc>,
    pub extension_reason: Option<String>,
    pub completed_at: Option<DateTimeUtc>,
    pub outcome: Option<String>,
    pub outcome_note: Option<String>,
    #[sea_orm(unique)]
    pub idempotency_key: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
