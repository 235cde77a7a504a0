use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// Phản ánh (feedback about how a procedure was handled) or kiến nghị (about a regulation).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum Kind {
    #[sea_orm(string_value = "FEEDBACK")]
    Feedback,
    #[sea_orm(string_value = "PETITION")]
    Petition,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
pub enum Category {
    #[sea_orm(string_value = "LATE_PROCESSING")]
    LateProcessing,
    #[sea_orm(string_value = "EXTRA_DOCUMENTS")]
    ExtraDocuments,
    #[sea_orm(string_value = "OFFICIAL_CONDUCT")]
    OfficialConduct,
    #[sea_orm(string_value = "FEES")]
    Fees,
    #[sea_orm(string_value = "GUIDANCE")]
    Guidance,
    #[sea_orm(string_value = "ONLINE_SYSTEM")]
    OnlineSystem,
    #[sea_orm(string_value = "REGULATION")]
    Regulation,
    #[sea_orm(string_value = "OTHER")]
    Other,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum Status {
    /// Filed, or forwarded to another unit, and not yet accepted there.
    #[sea_orm(string_value = "RECEIVED")]
    Received,
    /// Accepted by the assigned unit, being handled.
    #[sea_orm(string_value = "ACCEPTED")]
    Accepted,
    #[sea_orm(string_value = "ANSWERED")]
    Answered,
    #[sea_orm(string_value = "CLOSED")]
    Closed,
    #[sea_orm(string_value = "REJECTED")]
    Rejected,
    #[sea_orm(string_value = "DUPLICATE")]
    Duplicate,
}

/// A complaint (phản ánh, kiến nghị).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "complaints")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// Public tracking code.
    #[sea_orm(unique)]
    pub code: String,
    pub kind: Kind,
    pub category: Category,
    /// The unit the complaint is about.
    pub unit_id: String,
    /// The unit handling it (changes when forwarded).
    pub assigned_unit_id: String,
    pub procedure_id: Option<String>,
    pub dossier_id: Option<String>,
    pub title: String,
    pub body: String,
    pub contact_name: String,
    pub contact_phone: Option<String>,
    pub contact_email: Option<String>,
    pub filer_account_id: Option<String>,
    pub status: Status,
    pub received_at: DateTimeUtc,
    pub forward_due_at: DateTimeUtc,
    pub answer_due_at: DateTimeUtc,
    pub accepted_at: Option<DateTimeUtc>,
    pub forwarded_at: Option<DateTimeUtc>,
    pub answer: Option<String>,
    pub answered_at: Option<DateTimeUtc>,
    /// Whether the last answer was given after its deadline.
    pub answered_late: Option<bool>,
    pub published: bool,
    pub published_at: Option<DateTimeUtc>,
    pub rejection_reason: Option<String>,
    pub duplicate_of_id: Option<String>,
    pub filer_satisfied: Option<bool>,
    pub filer_comment: Option<String>,
    pub reopen_count: i32,
    pub closed_at: Option<DateTimeUtc>,
    #[sea_orm(unique)]
    pub idempotency_key: Option<String>,
    pub updated_at: DateTimeUtc,
    /// `COMPLAINT` (khiếu nại) or `DENUNCIATION` (tố cáo) when the item reads like one of
    /// those legal tracks; such items are never published automatically.
    pub legal_track: Option<String>,
    /// Who set `legal_track`: `DETECTED` from the text, or `OFFICIAL`.
    pub legal_track_source: Option<String>,
    /// The filer, told where complaints and denunciations go, confirmed this is feedback.
    pub filer_confirmed_feedback: bool,
    /// Folded title, body and codes: what a database search falls back on.
    pub search_text: String,
    /// Where it came from: `PORTAL` (the web and mobile portals) or `DIALOGUE` (raised at a
    /// dialogue with businesses).
    pub source: String,
    /// The business that filed or raised it.
    pub business_id: Option<String>,
    /// When its filer's contact and the personal data in its text were removed (retention, or
    /// the filer's deletion request).
    pub anonymised_at: Option<DateTimeUtc>,
    /// When its filer restricted or objected to processing: staff no longer read the contact.
    pub restricted_at: Option<DateTimeUtc>,
    /// The personal-data notice the filer was shown (null: filed before notices, or the
    /// portal did not say).
    pub notice_version: Option<i32>,
    /// The language the filer is written to in (`vi`, `en`): the one they filed in.
    pub contact_lang: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
