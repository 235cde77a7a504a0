use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// What a unit's staff recorded that would move the unit's own PAR figures.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
pub enum Kind {
    /// A late dossier's delay said not to be the agency's fault.
    #[sea_orm(string_value = "EXCUSED_DELAY")]
    ExcusedDelay,
    /// A completion time more than a working day before it was recorded.
    #[sea_orm(string_value = "EARLY_COMPLETION")]
    EarlyCompletion,
    /// An appointment given beyond the procedure's statutory time.
    #[sea_orm(string_value = "LONG_APPOINTMENT")]
    LongAppointment,
    /// An apology said to be given at hand-over, recorded after the hand-over day.
    #[sea_orm(string_value = "HANDOVER_APOLOGY")]
    HandoverApology,
    /// A complaint reclassified as a complaint or denunciation after it fell due.
    #[sea_orm(string_value = "LATE_RECLASSIFICATION")]
    LateReclassification,
    /// A complaint rejected after it fell due.
    #[sea_orm(string_value = "LATE_REJECTION")]
    LateRejection,
    /// A complaint marked a duplicate after it fell due.
    #[sea_orm(string_value = "LATE_DUPLICATE")]
    LateDuplicate,
    /// A complaint forwarded after its forwarding or answer deadline.
    #[sea_orm(string_value = "LATE_FORWARD")]
    LateForward,
}

/// Where a request stands.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum Status {
    #[sea_orm(string_value = "PENDING")]
    Pending,
    #[sea_orm(string_value = "ACCEPTED")]
    Accepted,
    #[sea_orm(string_value = "REFUSED")]
    Refused,
    /// Void: the item was put back as it was (a classification undone, say).
    #[sea_orm(string_value = "WITHDRAWN")]
    Withdrawn,
}

/// A request in the evaluator's review queue: until accepted, the PAR index counts the plain
/// facts as recorded.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "par_reviews")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// The year whose figures the request would change.
    pub year: i32,
    /// The unit whose figures it would change (the unit that held the item).
    pub unit_id: String,
    pub kind: Kind,
    pub dossier_id: Option<String>,
    pub complaint_id: Option<String>,
    /// The dossier's receipt code or the complaint's tracking code.
    pub code: String,
    /// What the unit claims: the completion time, the appointment.
    pub claimed_at: Option<DateTimeUtc>,
    /// The deadline the request is about (the statutory due time, the complaint's deadline).
    pub due_at: DateTimeUtc,
    /// The unit's reason, as given.
    pub reason: String,
    pub requested_by: String,
    pub requested_at: DateTimeUtc,
    pub status: Status,
    pub decided_by: Option<String>,
    pub decided_at: Option<DateTimeUtc>,
    pub decision_reason: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
