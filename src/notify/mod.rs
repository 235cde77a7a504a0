//! Notifications: the filer is told what happens to their item, officials of new work and
//! deadlines, businesses of dialogues and commitments, evaluators of review requests and
//! data-protection staff of requests falling due (DESIGN.md §9).
//!
//! One outbox in two steps:
//! - an **event** row (`notification_events`) is written in the transaction of the change that
//!   causes it ([`enqueue`]), or once per key by the scheduler for deadlines and the morning
//!   digest ([`enqueue_once`]): the write path pays one insert;
//! - the worker (`worker`) claims events, works out who is told on which channel
//!   (`fanout`: consent, preferences, the recipient's language), and writes one **message** per
//!   recipient and channel (`notifications`, unique per event, recipient and channel). It
//!   then claims due messages and sends them (`email`, `webhook`), with retries and back-off.
//!
//! Claims are conditional updates (`FOR UPDATE SKIP LOCKED` on PostgreSQL), so several servers
//! on one database share the work and each message is sent by one of them. A channel that is
//! down delays its messages and blocks nothing else. The in-app inbox is the `IN_APP`
//! messages; subscribers are told through the `hub` (PostgreSQL `NOTIFY` across servers).

pub mod email;
pub mod fanout;
pub mod graphql;
pub mod hub;
pub mod prefs;
pub mod schedule;
pub mod templates;
pub mod unsubscribe;
pub mod webhook;
pub mod worker;

use std::sync::Arc;

use async_graphql::Enum;
use chrono::{DateTime, NaiveDate, Utc};
use entity::notification_event;
use sea_orm::{ConnectionTrait, EntityTrait, Set};
use serde::{Deserialize, Serialize};
use tokio::sync::Notify;

use crate::error::AppResult;

/// What a notification tells.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[graphql(name = "NotificationKind")]
pub enum Kind {
    /// To the filer: the item was received, with its tracking code.
    ComplaintReceived,
    /// To the filer: the unit accepted it.
    ComplaintAccepted,
    /// To the filer: it went to another unit.
    ComplaintForwarded,
    /// To the filer: it was answered (and published, when it is).
    ComplaintAnswered,
    /// To the filer: it was closed (or closed as a duplicate).
    ComplaintClosed,
    /// To the filer: it was rejected, with the reason.
    ComplaintRejected,
    /// To officials: a new item for their unit (filed, or forwarded to it).
    NewItem,
    /// To officials: an item's answer is due within one working day.
    DeadlineSoon,
    /// To officials: an item's answer deadline passed.
    Overdue,
    /// To officials: the filer was not satisfied and the item is open again.
    Reopened,
    /// To officials: the morning digest of their unit's open items (07:30, working days).
    DailyDigest,
    /// To businesses: invited to a dialogue.
    DialogueInvitation,
    /// To businesses: a dialogue they take part in moved (time or place).
    DialogueRescheduled,
    /// To businesses: a dialogue they take part in was cancelled.
    DialogueCancelled,
    /// To businesses: a unit committed to a step on what they raised.
    CommitmentMade,
    /// To businesses: a commitment to them falls due within one working day.
    CommitmentDue,
    /// To businesses: a commitment to them was reported done.
    CommitmentDone,
    /// To evaluators: a new request in the PAR review queue.
    ReviewRequested,
    /// To data-protection staff: a person's request is due within two working days.
    PrivacyRequestDue,
    /// `portal notify test`.
    Test,
}

impl Kind {
    pub const ALL: [Kind; 20] = [
        Kind::ComplaintReceived,
        Kind::ComplaintAccepted,
        Kind::ComplaintForwarded,
        Kind::ComplaintAnswered,
        Kind::ComplaintClosed,
        Kind::ComplaintRejected,
        Kind::NewItem,
        Kind::DeadlineSoon,
        Kind::Overdue,
        Kind::Reopened,
        Kind::DailyDigest,
        Kind::DialogueInvitation,
        Kind::DialogueRescheduled,
        Kind::DialogueCancelled,
        Kind::CommitmentMade,
        Kind::CommitmentDue,
        Kind::CommitmentDone,
        Kind::ReviewRequested,
        Kind::PrivacyRequestDue,
        Kind::Test,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::ComplaintReceived => "COMPLAINT_RECEIVED",
            Kind::ComplaintAccepted => "COMPLAINT_ACCEPTED",
            Kind::ComplaintForwarded => "COMPLAINT_FORWARDED",
            Kind::ComplaintAnswered => "COMPLAINT_ANSWERED",
            Kind::ComplaintClosed => "COMPLAINT_CLOSED",
            Kind::ComplaintRejected => "COMPLAINT_REJECTED",
            Kind::NewItem => "NEW_ITEM",
            Kind::DeadlineSoon => "DEADLINE_SOON",
            Kind::Overdue => "OVERDUE",
            Kind::Reopened => "REOPENED",
            Kind::DailyDigest => "DAILY_DIGEST",
            Kind::DialogueInvitation => "DIALOGUE_INVITATION",
            Kind::DialogueRescheduled => "DIALOGUE_RESCHEDULED",
            Kind::DialogueCancelled => "DIALOGUE_CANCELLED",
            Kind::CommitmentMade => "COMMITMENT_MADE",
            Kind::CommitmentDue => "COMMITMENT_DUE",
            Kind::CommitmentDone => "COMMITMENT_DONE",
            Kind::ReviewRequested => "REVIEW_REQUESTED",
            Kind::PrivacyRequestDue => "PRIVACY_REQUEST_DUE",
            Kind::Test => "TEST",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.iter().copied().find(|k| k.as_str() == s)
    }

    /// Whether the filer of an item is told (to the item's contact, with consent).
    pub fn to_filer(self) -> bool {
        matches!(
            self,
            Kind::ComplaintReceived
                | Kind::ComplaintAccepted
                | Kind::ComplaintForwarded
                | Kind::ComplaintAnswered
                | Kind::ComplaintClosed
                | Kind::ComplaintRejected
        )
    }

    /// Whether the kind is on for a channel when the recipient has not chosen: the inbox and
    /// e-mail for everything; text messages (which the city pays for) for filers' own items
    /// only; Zalo only when chosen.
    pub fn default_on(self, channel: Channel) -> bool {
        match channel {
            Channel::InApp | Channel::Email => true,
            Channel::Sms => self.to_filer(),
            Channel::Zalo => false,
        }
    }

    /// The kinds an account of `role` may be told of (and set preferences for).
    pub fn for_role(role: entity::account::Role) -> Vec<Kind> {
        use entity::account::Role;
        let filer = [
            Kind::ComplaintReceived,
            Kind::ComplaintAccepted,
            Kind::ComplaintForwarded,
            Kind::ComplaintAnswered,
            Kind::ComplaintClosed,
            Kind::ComplaintRejected,
        ];
        match role {
            Role::Citizen => filer
                .into_iter()
                .chain([
                    Kind::CommitmentMade,
                    Kind::CommitmentDue,
                    Kind::CommitmentDone,
                ])
                .collect(),
            Role::Business => filer
                .into_iter()
                .chain([
                    Kind::DialogueInvitation,
                    Kind::DialogueRescheduled,
                    Kind::DialogueCancelled,
                    Kind::CommitmentMade,
                    Kind::CommitmentDue,
                    Kind::CommitmentDone,
                ])
                .collect(),
            Role::Official => vec![
                Kind::NewItem,
                Kind::DeadlineSoon,
                Kind::Overdue,
                Kind::Reopened,
                Kind::DailyDigest,
            ],
            Role::Evaluator => vec![Kind::ReviewRequested],
            Role::DataProtection => vec![Kind::PrivacyRequestDue],
            Role::Admin => vec![Kind::PrivacyRequestDue],
        }
    }
}

/// Where a notification goes.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[graphql(name = "NotificationChannel")]
pub enum Channel {
    Email,
    Sms,
    Zalo,
    /// The portal's inbox (`notifications`) and the `notifications` subscription.
    InApp,
}

impl Channel {
    pub const ALL: [Channel; 4] = [Channel::Email, Channel::Sms, Channel::Zalo, Channel::InApp];

    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "EMAIL",
            Channel::Sms => "SMS",
            Channel::Zalo => "ZALO",
            Channel::InApp => "IN_APP",
        }
    }

    pub fn parse(s: &str) -> Option<Channel> {
        Channel::ALL.iter().copied().find(|c| c.as_str() == s)
    }

    /// Text messages wait out the night (21:00 to 07:00 city time).
    pub fn keeps_quiet_hours(self) -> bool {
        matches!(self, Channel::Sms | Channel::Zalo)
    }
}

/// Delivery states of a message.
pub mod status {
    pub const QUEUED: &str = "QUEUED";
    pub const SENT: &str = "SENT";
    /// Failed, to be tried again at `next_attempt_at`.
    pub const FAILED: &str = "FAILED";
    /// Failed `PORTAL_NOTIFY_MAX_ATTEMPTS` times.
    pub const GAVE_UP: &str = "GAVE_UP";
    /// Not sent, and never will be: the consent was withdrawn, the contact removed, the
    /// account closed before the message went.
    pub const CANCELLED: &str = "CANCELLED";
}

/// Why a channel did not take a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// Trying again will not help (a malformed address, a 5xx SMTP reply, a gateway's 4xx):
    /// the message is given up at once.
    pub permanent: bool,
    pub reason: String,
}

impl Failure {
    pub fn transient(reason: impl Into<String>) -> Failure {
        Failure {
            permanent: false,
            reason: reason.into(),
        }
    }

    pub fn permanent(reason: impl Into<String>) -> Failure {
        Failure {
            permanent: true,
            reason: reason.into(),
        }
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.reason)
    }
}

/// What happened, as the worker reads it back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Event {
    /// A complaint was filed (through the portals or at a dialogue).
    ComplaintFiled {
        complaint: String,
    },
    /// A complaint took a step of its lifecycle (`crate::complaints::lifecycle::Event` name).
    ComplaintStep {
        complaint: String,
        step: String,
        /// The unit it went to, for a forwarding.
        to_unit: Option<String>,
    },
    DeadlineSoon {
        complaint: String,
        due: DateTime<Utc>,
    },
    Overdue {
        complaint: String,
        due: DateTime<Utc>,
    },
    /// The morning digest of a working day.
    Digest {
        day: NaiveDate,
    },
    DialogueInvited {
        dialogue: String,
        businesses: Vec<String>,
    },
    DialogueRescheduled {
        dialogue: String,
    },
    DialogueCancelled {
        dialogue: String,
    },
    CommitmentMade {
        commitment: String,
    },
    CommitmentDue {
        commitment: String,
    },
    CommitmentDone {
        commitment: String,
    },
    ReviewRequested {
        review: String,
    },
    PrivacyRequestDue {
        request: String,
    },
}

impl Event {
    fn name(&self) -> &'static str {
        match self {
            Event::ComplaintFiled { .. } => "COMPLAINT_FILED",
            Event::ComplaintStep { .. } => "COMPLAINT_STEP",
            Event::DeadlineSoon { .. } => "DEADLINE_SOON",
            Event::Overdue { .. } => "OVERDUE",
            Event::Digest { .. } => "DIGEST",
            Event::DialogueInvited { .. } => "DIALOGUE_INVITED",
            Event::DialogueRescheduled { .. } => "DIALOGUE_RESCHEDULED",
            Event::DialogueCancelled { .. } => "DIALOGUE_CANCELLED",
            Event::CommitmentMade { .. } => "COMMITMENT_MADE",
            Event::CommitmentDue { .. } => "COMMITMENT_DUE",
            Event::CommitmentDone { .. } => "COMMITMENT_DONE",
            Event::ReviewRequested { .. } => "REVIEW_REQUESTED",
            Event::PrivacyRequestDue { .. } => "PRIVACY_REQUEST_DUE",
        }
    }

    fn subject(&self) -> String {
        match self {
            Event::ComplaintFiled { complaint }
            | Event::ComplaintStep { complaint, .. }
            | Event::DeadlineSoon { complaint, .. }
            | Event::Overdue { complaint, .. } => complaint.clone(),
            Event::Digest { day } => day.to_string(),
            Event::DialogueInvited { dialogue, .. }
            | Event::DialogueRescheduled { dialogue }
            | Event::DialogueCancelled { dialogue } => dialogue.clone(),
            Event::CommitmentMade { commitment }
            | Event::CommitmentDue { commitment }
            | Event::CommitmentDone { commitment } => commitment.clone(),
            Event::ReviewRequested { review } => review.clone(),
            Event::PrivacyRequestDue { request } => request.clone(),
        }
    }

    fn row(&self, dedupe_key: Option<String>) -> notification_event::ActiveModel {
        let now = crate::clock::now();
        notification_event::ActiveModel {
            kind: Set(self.name().to_string()),
            dedupe_key: Set(dedupe_key),
            subject_id: Set(self.subject()),
            payload: Set(serde_json::to_string(self).unwrap_or_default()),
            created_at: Set(now),
            attempts: Set(0),
            next_attempt_at: Set(now),
            claimed_until: Set(None),
            last_error: Set(None),
            fanned_out_at: Set(None),
            ..Default::default()
        }
    }
}

/// Queues an event, inside the transaction of the change that causes it. Wake the worker
/// ([`Wake::wake`]) after the commit.
pub async fn enqueue(db: &impl ConnectionTrait, event: Event) -> AppResult<()> {
    notification_event::Entity::insert(event.row(None))
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// Queues an event once for `key`, whichever server and however many times asks: returns
/// whether this call wrote it.
pub async fn enqueue_once(db: &impl ConnectionTrait, key: &str, event: Event) -> AppResult<bool> {
    let n = notification_event::Entity::insert(event.row(Some(key.to_string())))
        .on_conflict(
            sea_orm::sea_query::OnConflict::column(notification_event::Column::DedupeKey)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(n > 0)
}

/// The event a complaint's lifecycle step calls for, if any (a rating, a classification, a
/// dialogue link tell nobody).
pub fn complaint_step(complaint: &str, step: &str, to_unit: Option<String>) -> Option<Event> {
    matches!(
        step,
        "ACCEPTED" | "FORWARDED" | "ANSWERED" | "CLOSED" | "REJECTED" | "DUPLICATE" | "REOPENED"
    )
    .then(|| Event::ComplaintStep {
        complaint: complaint.to_string(),
        step: step.to_string(),
        to_unit,
    })
}

/// Removes an account's notifications and choices (its deletion under a person's request).
pub async fn forget_account(db: &impl ConnectionTrait, account_id: &str) -> AppResult<()> {
    use sea_orm::{ColumnTrait, QueryFilter};
    entity::notification::Entity::delete_many()
        .filter(entity::notification::Column::AccountId.eq(account_id))
        .exec(db)
        .await?;
    entity::notification_preference::Entity::delete_many()
        .filter(entity::notification_preference::Column::Recipient.eq(prefs::account(account_id)))
        .exec(db)
        .await?;
    Ok(())
}

/// Wakes the notification worker after a commit that queued an event.
#[derive(Clone, Default)]
pub struct Wake(Arc<Notify>);

impl Wake {
    pub fn wake(&self) {
        self.0.notify_one();
    }

    pub(crate) async fn wait(&self, at_most: std::time::Duration) {
        let _ = tokio::time::timeout(at_most, self.0.notified()).await;
    }
}
