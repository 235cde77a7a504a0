use sea_orm::entity::prelude::*;

/// Something happened that someone should be told of: written in the transaction of the
/// change (or by the scheduler, once per `dedupe_key`), fanned out by the notification worker
/// into one message per recipient and channel.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "notification_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// What happened (`COMPLAINT_STEP`, `DEADLINE_SOON`, `DIGEST`, …).
    pub kind: String,
    /// Set for events the scheduler finds (a deadline, a digest): each is written once, by
    /// whichever server gets there first.
    #[sea_orm(unique)]
    pub dedupe_key: Option<String>,
    /// The complaint, dialogue, commitment, review or request it is about.
    pub subject_id: String,
    /// The event's details (JSON).
    pub payload: String,
    pub created_at: DateTimeUtc,
    pub attempts: i32,
    pub next_attempt_at: DateTimeUtc,
    pub claimed_until: Option<DateTimeUtc>,
    pub last_error: Option<String>,
    pub fanned_out_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
