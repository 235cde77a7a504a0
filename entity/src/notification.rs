use sea_orm::entity::prelude::*;

/// One message to one recipient on one channel, with its delivery state. The in-app inbox is
/// the `IN_APP` messages of an account. The message holds no address: it is read from the
/// account or the complaint when the message is sent, so a withdrawn consent or a removed
/// contact stops it.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "notifications")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub event_id: i64,
    pub kind: String,
    /// `account:<id>` or, for a filer without an account, `complaint:<id>`.
    pub recipient: String,
    pub account_id: Option<String>,
    /// The complaint whose filer is told (the address is the complaint's contact).
    pub complaint_id: Option<String>,
    /// `EMAIL`, `SMS`, `ZALO` or `IN_APP`.
    pub channel: String,
    pub lang: String,
    pub subject: String,
    pub body: String,
    pub link: Option<String>,
    /// `QUEUED`, `SENT`, `FAILED` (to be retried), `GAVE_UP` or `CANCELLED`.
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: DateTimeUtc,
    pub claimed_until: Option<DateTimeUtc>,
    pub last_error: Option<String>,
    pub created_at: DateTimeUtc,
    pub sent_at: Option<DateTimeUtc>,
    pub read_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
