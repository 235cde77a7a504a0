//! The notification worker: claims events and fans them out into messages, claims due messages
//! and sends them. Every server runs one (unless `PORTAL_NOTIFY=off`); claims are conditional
//! updates (`FOR UPDATE SKIP LOCKED` on PostgreSQL), so an event is fanned out, and a message
//! sent, by one server. A failed message waits `PORTAL_NOTIFY_RETRY_SECS`, doubling up to an
//! hour, and is given up after `PORTAL_NOTIFY_MAX_ATTEMPTS` tries. A server that stops between
//! sending and recording (a crash) leaves its claim to expire after a minute; the message is
//! then sent again, with the same `Message-ID` or `Idempotency-Key`, so the far end can tell.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use async_graphql::futures_util::StreamExt;

use chrono::Utc;
use entity::{account, notification, notification_event};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, DatabaseConnection, EntityTrait, QueryFilter,
    Statement,
};

use super::email::{Mail, Mailer};
use super::webhook::{Gateway, Text};
use super::{Channel, Kind, status};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// Rows claimed at once.
const BATCH: u64 = 500;
/// How long a claim holds.
const CLAIM: chrono::Duration = chrono::Duration::seconds(60);
/// How long a batch keeps sending (each try times out within 20 s, the claim holds 60 s).
const SEND_WINDOW: Duration = Duration::from_secs(30);
/// How long a fan-out sends the messages due at once before writing them: short, since its
/// inbox entries are written (and announced) with them. The rest are written queued.
const FRESH_WINDOW: Duration = Duration::from_secs(2);
/// Acknowledgements of filing one address or phone number gets per day.
pub const ACKNOWLEDGEMENTS_PER_DAY: u32 = 3;
/// How long a woken worker lets events gather before it claims them.
const GATHER: Duration = Duration::from_millis(100);
/// How long it lets them gather after a turn that found many: under a stream of writes the
/// worker then takes a few large batches a second rather than many small ones, and each of its
/// transactions (a turn of SQLite's single writer) is shared by hundreds of messages.
const GATHER_BUSY: Duration = Duration::from_millis(1000);
/// Events of a turn from which the next turn gathers for [`GATHER_BUSY`].
const BUSY_TURN: usize = 20;
/// Messages of a batch in flight at once.
const SENDING_AT_ONCE: usize = 8;
/// An event that cannot be fanned out this many times is dropped (and logged).
const EVENT_ATTEMPTS: i32 = 10;

/// How a message ended a try: its state, the reason, and the next try for a failure.
type Outcome3 = (&'static str, Option<String>, Option<chrono::DateTime<Utc>>);

/// Acknowledgements sent per contact (a hash of channel and address): the day and the count.
type AckCounts = std::collections::HashMap<[u8; 32], (chrono::NaiveDate, u32)>;

/// The channels of this server.
#[derive(Clone)]
pub struct Channels {
    pub mail: Mailer,
    pub sms: Gateway,
    pub zalo: Gateway,
    /// Acknowledgements sent today per contact (by a hash of channel and address), counted by
    /// this server: a filing's contact is whatever the filer typed.
    acks: std::sync::Arc<std::sync::Mutex<AckCounts>>,
}

impl Channels {
    /// The gateway of a text channel (SMS, else Zalo).
    fn gateway(&self, channel: Channel) -> &Gateway {
        if channel == Channel::Sms {
            &self.sms
        } else {
            &self.zalo
        }
    }

    /// Counts an acknowledgement to `to` on `channel`: whether it may go (fewer than
    /// [`ACKNOWLEDGEMENTS_PER_DAY`] today, city time).
    fn may_acknowledge(&self, channel: Channel, to: &str) -> bool {
        use sha2::Digest;
        let key: [u8; 32] =
            sha2::Sha256::digest(format!("{}:{}", channel.as_str(), to.trim().to_lowercase()))
                .into();
        let today = crate::clock::today();
        let mut acks = self.acks.lock().unwrap_or_else(|p| p.into_inner());
        if acks.len() > 100_000 {
            acks.retain(|_, (d, _)| *d == today);
        }
        let e = acks.entry(key).or_insert((today, 0));
        if e.0 != today {
            *e = (today, 0);
        }
        if e.1 >= ACKNOWLEDGEMENTS_PER_DAY {
            return false;
        }
        e.1 += 1;
        true
    }
}

impl Channels {
    pub fn new(config: &crate::config::Config) -> Result<Channels, String> {
        let dir = config.data_dir.join("outbox");
        let n = &config.notify;
        Ok(Channels {
            mail: Mailer::new(n.smtp_url.as_deref(), &n.smtp_from, dir.clone())?,
            sms: Gateway::new(Channel::Sms, n.sms_webhook.clone(), dir.clone()),
            zalo: Gateway::new(Channel::Zalo, n.zalo_webhook.clone(), dir),
            acks: Default::default(),
        })
    }
}

/// Claims up to `BATCH` due rows of `table` (`notification_events` or `notifications`) whose
/// extra condition `due` holds; returns their ids.
async fn claim(
    db: &DatabaseConnection,
    table: &str,
    due: &str,
    order: &str,
) -> AppResult<Vec<String>> {
    let now = crate::clock::now();
    let until = now + CLAIM;
    let backend = db.get_database_backend();
    let (sql, values): (String, Vec<sea_orm::Value>) = match backend {
        DatabaseBackend::Postgres => (
            format!(
                "UPDATE {table} SET claimed_until = $1 WHERE id IN (
                     SELECT id FROM {table}
                     WHERE {due} AND next_attempt_at <= $2 AND (claimed_until IS NULL OR claimed_until < $2)
                     ORDER BY {order} LIMIT $3 FOR UPDATE SKIP LOCKED)
                 AND (claimed_until IS NULL OR claimed_until < $2)
                 RETURNING CAST(id AS TEXT) AS id"
            ),
            vec![until.into(), now.into(), (BATCH as i64).into()],
        ),
        _ => (
            format!(
                "UPDATE {table} SET claimed_until = ? WHERE id IN (
                     SELECT id FROM {table}
                     WHERE {due} AND next_attempt_at <= ? AND (claimed_until IS NULL OR claimed_until < ?)
                     ORDER BY {order} LIMIT ?)
                 RETURNING CAST(id AS TEXT) AS id"
            ),
            vec![until.into(), now.into(), now.into(), (BATCH as i64).into()],
        ),
    };
    let txn = crate::db::begin(db).await?;
    let rows = txn
        .query_all_raw(Statement::from_sql_and_values(backend, sql, values))
        .await?;
    txn.commit().await?;
    rows.into_iter()
        .map(|r| Ok(r.try_get::<String>("", "id")?))
        .collect()
}

/// Whether any row of `table` is due (a read, so an idle server does not queue writes).
async fn any_due(db: &DatabaseConnection, table: &str, due: &str) -> AppResult<bool> {
    let backend = db.get_database_backend();
    let mark = if backend == DatabaseBackend::Postgres {
        "$1"
    } else {
        "?"
    };
    let sql =
        format!("SELECT 1 AS one FROM {table} WHERE {due} AND next_attempt_at <= {mark} LIMIT 1");
    Ok(db
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            sql,
            [crate::clock::now().into()],
        ))
        .await?
        .is_some())
}

const EVENTS_DUE: &str = "fanned_out_at IS NULL";
const MESSAGES_DUE: &str = "status IN ('QUEUED', 'FAILED')";

/// Fans out one batch of events: works out the messages, sends at once those due now (for at
/// most [`FRESH_WINDOW`]), then writes every message with how it went, and marks the events
/// done, in one transaction. A message sent this way is written once, already settled; one
/// not tried in time is written queued for the next turn. Returns how many events it took.
pub async fn fan_out_once(state: &AppState, ch: &Channels, tally: &mut Tally) -> AppResult<usize> {
    if !any_due(&state.db, "notification_events", EVENTS_DUE).await? {
        return Ok(0);
    }
    let ids: Vec<i64> = claim(&state.db, "notification_events", EVENTS_DUE, "id")
        .await?
        .iter()
        .filter_map(|i| i.parse().ok())
        .collect();
    if ids.is_empty() {
        return Ok(0);
    }
    let events = notification_event::Entity::find()
        .filter(notification_event::Column::Id.is_in(ids.clone()))
        .all(&state.db)
        .await?;
    // Who is told of what: reads only, the batch's complaints and consents at once.
    let mut cache =
        super::fanout::Cache::load(state, &super::fanout::Cache::complaints_of(&events), true)
            .await?;
    let mut done: Vec<(i64, Vec<notification::Model>)> = vec![];
    for ev in &events {
        match super::fanout::messages(state, &cache, ev).await {
            Ok(msgs) => done.push((ev.id, msgs)),
            Err(e) => failed_event(state, ev, &e).await?,
        }
    }
    let fanned: Vec<i64> = done.iter().map(|(id, _)| *id).collect();
    let mut all: Vec<notification::Model> = done.into_iter().flat_map(|(_, m)| m).collect();
    send_due_now(state, ch, &mut cache, &mut all, tally).await?;
    if write_batch(state, &fanned, &all).await? {
        let in_app: Vec<notification::Model> = all
            .into_iter()
            .filter(|m| m.channel == Channel::InApp.as_str())
            .collect();
        state.notify_hub.published(&state.db, in_app).await;
    }
    Ok(events.len())
}

/// Sends the messages of a fan-out that are due now (for at most [`FRESH_WINDOW`]) and settles
/// each in `all` with how it went; a message not tried in time, or whose recipient could not be
/// read, stays queued.
async fn send_due_now(
    state: &AppState,
    ch: &Channels,
    cache: &mut super::fanout::Cache,
    all: &mut [notification::Model],
    tally: &mut Tally,
) -> AppResult<()> {
    let now = crate::clock::now();
    let due: Vec<usize> = (0..all.len())
        .filter(|&i| all[i].status == status::QUEUED && all[i].next_attempt_at <= now)
        .collect();
    if due.is_empty() {
        return Ok(());
    }
    let msgs: Vec<notification::Model> = due.iter().map(|&i| all[i].clone()).collect();
    prepare(state, cache, &msgs).await?;
    let tried = send_all(state, ch, cache, msgs, FRESH_WINDOW).await;
    let by_id: HashMap<String, usize> = due.iter().map(|&i| (all[i].id.clone(), i)).collect();
    for (m, outcome) in tried {
        let (Ok(Some(outcome)), Some(&i)) = (outcome, by_id.get(&m.id)) else {
            continue;
        };
        let s = settle(state, &m, outcome, tally);
        let row = &mut all[i];
        row.status = s.status.to_string();
        row.attempts = m.attempts + 1;
        row.last_error = s.error;
        row.sent_at = s.sent_at;
        if let Some(next) = s.next {
            row.next_attempt_at = next;
        }
    }
    Ok(())
}

/// Writes a fan-out's messages and marks its events done, in one transaction. The events are
/// marked first, and only if still undone: had another server fanned one out meanwhile (this
/// worker stalled past its claim), nothing is written and this returns false.
async fn write_batch(
    state: &AppState,
    fanned: &[i64],
    all: &[notification::Model],
) -> AppResult<bool> {
    let txn = crate::db::begin(&state.db).await?;
    if !fanned.is_empty() {
        let marked = notification_event::Entity::update_many()
            .col_expr(
                notification_event::Column::FannedOutAt,
                Expr::value(crate::clock::now()),
            )
            .col_expr(
                notification_event::Column::Attempts,
                sea_orm::sea_query::ExprTrait::add(
                    Expr::col(notification_event::Column::Attempts),
                    1,
                ),
            )
            .filter(notification_event::Column::Id.is_in(fanned.iter().copied()))
            .filter(notification_event::Column::FannedOutAt.is_null())
            .exec(&*txn)
            .await?;
        if marked.rows_affected != fanned.len() as u64 {
            txn.rollback().await?;
            tracing::warn!(
                events = fanned.len(),
                "another worker fanned out events of this batch after this one's claim ran out; the batch is left to it"
            );
            return Ok(false);
        }
    }
    for chunk in all.chunks(200) {
        notification::Entity::insert_many(
            chunk
                .iter()
                .cloned()
                .map(notification::ActiveModel::from)
                .collect::<Vec<_>>(),
        )
        .on_conflict(
            OnConflict::columns([
                notification::Column::EventId,
                notification::Column::Recipient,
                notification::Column::Channel,
            ])
            .do_nothing()
            .to_owned(),
        )
        .exec_without_returning(&*txn)
        .await?;
    }
    txn.commit().await?;
    Ok(true)
}

/// Records a failed fan-out: tried again later, dropped after `EVENT_ATTEMPTS`.
async fn failed_event(
    state: &AppState,
    ev: &notification_event::Model,
    e: &AppError,
) -> AppResult<()> {
    let attempts = ev.attempts + 1;
    let gave_up = attempts >= EVENT_ATTEMPTS;
    let msg = e.message(crate::error::Lang::En);
    tracing::warn!(event = ev.id, kind = %ev.kind, attempts, gave_up, error = %msg, "fanning out a notification event failed");
    let next = crate::clock::now() + backoff(state, attempts);
    let txn = crate::db::begin(&state.db).await?;
    let mut upd = notification_event::Entity::update_many()
        .col_expr(notification_event::Column::Attempts, Expr::value(attempts))
        .col_expr(notification_event::Column::NextAttemptAt, Expr::value(next))
        .col_expr(notification_event::Column::LastError, Expr::value(msg))
        .col_expr(
            notification_event::Column::ClaimedUntil,
            Expr::value(Option::<chrono::DateTime<Utc>>::None),
        );
    if gave_up {
        upd = upd.col_expr(
            notification_event::Column::FannedOutAt,
            Expr::value(crate::clock::now()),
        );
    }
    upd.filter(notification_event::Column::Id.eq(ev.id))
        .exec(&*txn)
        .await?;
    txn.commit().await?;
    Ok(())
}

/// The wait before try `attempts + 1`: the base, doubled per failure, at most an hour.
fn backoff(state: &AppState, attempts: i32) -> chrono::Duration {
    let base = state.config.notify.retry_base.as_millis() as i64;
    let ms = base.saturating_mul(1i64 << attempts.clamp(1, 20).saturating_sub(1));
    chrono::Duration::milliseconds(ms.min(3_600_000))
}

/// Where a message goes now, or why it no longer goes anywhere.
async fn address(
    state: &AppState,
    cache: &super::fanout::Cache,
    m: &notification::Model,
) -> AppResult<Result<String, String>> {
    let channel = Channel::parse(&m.channel).unwrap_or(Channel::Email);
    if let Some(to) = m.recipient.strip_prefix("address:") {
        return Ok(Ok(to.to_string()));
    }
    // A message about an item to its filer goes to the item's contact, with consent.
    if let Some(cid) = &m.complaint_id {
        let Some(c) = cache.complaint(cid) else {
            return Ok(Err("the item no longer exists".into()));
        };
        if !super::fanout::contact_usable(&c) {
            return Ok(Err("the filer's contact was removed or restricted".into()));
        }
        if !super::fanout::filer_consents(state, cache, &c).await? {
            return Ok(Err("the filer withdrew consent to be contacted".into()));
        }
        let a = match channel {
            Channel::Email => c.contact_email,
            _ => c.contact_phone,
        };
        return Ok(a.ok_or_else(|| "the item holds no such contact".to_string()));
    }
    let Some(aid) = &m.account_id else {
        return Ok(Err("no recipient".into()));
    };
    let a = match cache.account(aid) {
        Some(a) => a.cloned(),
        None => {
            account::Entity::find_by_id(aid.clone())
                .one(&state.db)
                .await?
        }
    };
    let Some(a) = a.filter(|a| !a.disabled && a.deleted_at.is_none()) else {
        return Ok(Err("the account is closed".into()));
    };
    let to = match channel {
        Channel::Email => a.email,
        _ => a.phone,
    };
    Ok(to.ok_or_else(|| "the account holds no such contact".to_string()))
}

/// What happened to one message.
enum Outcome {
    Sent,
    Failed(super::Failure),
    Cancelled(String),
}

/// Sends one message.
async fn send(
    state: &AppState,
    ch: &Channels,
    cache: &super::fanout::Cache,
    m: &notification::Model,
) -> AppResult<Outcome> {
    let to = match address(state, cache, m).await? {
        Ok(to) => to,
        Err(why) => return Ok(Outcome::Cancelled(why)),
    };
    let kind = Kind::parse(&m.kind).unwrap_or(Kind::Test);
    let channel = Channel::parse(&m.channel).unwrap_or(Channel::Email);
    // An acknowledgement goes to whatever contact the filing gave: a few a day per contact, so
    // that nobody's phone or mailbox can be flooded through the portal.
    if kind == Kind::ComplaintReceived && !ch.may_acknowledge(channel, &to) {
        return Ok(Outcome::Cancelled(format!(
            "this contact was sent {ACKNOWLEDGEMENTS_PER_DAY} acknowledgements today"
        )));
    }
    let r = match channel {
        Channel::Email => {
            let unsubscribe = (kind != Kind::Test).then(|| {
                let secret = state.config.jwt_secret.clone().unwrap_or_default();
                super::unsubscribe::link(
                    &super::fanout::base_url(state),
                    &super::unsubscribe::token(
                        &secret,
                        &m.recipient,
                        super::unsubscribe::Scope::of(kind),
                        Channel::Email,
                    ),
                )
            });
            ch.mail
                .send(&Mail {
                    id: m.id.clone(),
                    to,
                    subject: m.subject.clone(),
                    body: m.body.clone(),
                    unsubscribe,
                })
                .await
        }
        Channel::Sms | Channel::Zalo => {
            let gw = ch.gateway(channel);
            gw.send(&Text {
                id: m.id.clone(),
                channel: channel.as_str(),
                kind: kind.as_str(),
                to: super::webhook::e164(&to),
                text: m.body.clone(),
            })
            .await
        }
        Channel::InApp => Ok(()),
    };
    Ok(match r {
        Ok(()) => Outcome::Sent,
        Err(e) => Outcome::Failed(e),
    })
}

/// Tallies of the worker, for its log line.
#[derive(Default, Debug)]
pub struct Tally {
    pub sent: u64,
    pub failed: u64,
    pub gave_up: u64,
    pub cancelled: u64,
    /// The longest a message waited past its due time, in this period.
    pub lag_ms: i64,
}

/// Claims one batch of due messages and sends it; returns how many were tried.
pub async fn deliver_once(state: &AppState, ch: &Channels, tally: &mut Tally) -> AppResult<usize> {
    if !any_due(&state.db, "notifications", MESSAGES_DUE).await? {
        return Ok(0);
    }
    let ids = claim(&state.db, "notifications", MESSAGES_DUE, "next_attempt_at").await?;
    if ids.is_empty() {
        return Ok(0);
    }
    let msgs = notification::Entity::find()
        .filter(notification::Column::Id.is_in(ids))
        .all(&state.db)
        .await?;
    deliver(state, ch, tally, msgs).await
}

/// Reads, once for a batch of messages, the filers' items and consents and the recipients'
/// accounts (what the fan-out just read is not read again).
async fn prepare(
    state: &AppState,
    cache: &mut super::fanout::Cache,
    msgs: &[notification::Model],
) -> AppResult<()> {
    let cids: Vec<String> = msgs.iter().filter_map(|m| m.complaint_id.clone()).collect();
    cache.load_complaints(state, &cids).await?;
    let aids: Vec<String> = msgs.iter().filter_map(|m| m.account_id.clone()).collect();
    cache.load_accounts(state, &aids).await
}

/// Sends messages a few at a time, so that one slow channel does not hold up the others, and
/// starts none once `window` has passed (those come back with `None`).
async fn send_all(
    state: &AppState,
    ch: &Channels,
    cache: &super::fanout::Cache,
    msgs: Vec<notification::Model>,
    window: Duration,
) -> Vec<(notification::Model, AppResult<Option<Outcome>>)> {
    let started = Instant::now();
    async_graphql::futures_util::stream::iter(msgs)
        .map(|m| async move {
            if started.elapsed() > window {
                return (m, Ok(None));
            }
            let r = send(state, ch, cache, &m).await.map(Some);
            (m, r)
        })
        .buffer_unordered(SENDING_AT_ONCE)
        .collect()
        .await
}

/// Where a try leaves a message: its state and reason, its next try (a failure only), and
/// when it was sent.
struct Settled {
    status: &'static str,
    error: Option<String>,
    next: Option<chrono::DateTime<Utc>>,
    sent_at: Option<chrono::DateTime<Utc>>,
}

/// How a try of `m` ended, counted in the tally.
fn settle(
    state: &AppState,
    m: &notification::Model,
    outcome: Outcome,
    tally: &mut Tally,
) -> Settled {
    let now = crate::clock::now();
    let attempts = m.attempts + 1;
    let ended = |status, error| Settled {
        status,
        error,
        next: None,
        sent_at: None,
    };
    match outcome {
        Outcome::Sent => {
            tally.sent += 1;
            Settled {
                sent_at: Some(now),
                ..ended(status::SENT, None)
            }
        }
        Outcome::Cancelled(why) => {
            tally.cancelled += 1;
            ended(status::CANCELLED, Some(why))
        }
        Outcome::Failed(f)
            if f.permanent || attempts as u32 >= state.config.notify.max_attempts =>
        {
            tally.gave_up += 1;
            tracing::warn!(message = %m.id, kind = %m.kind, channel = %m.channel, attempts, error = %f.reason, "gave up a notification");
            ended(status::GAVE_UP, Some(f.reason))
        }
        Outcome::Failed(f) => {
            tally.failed += 1;
            tracing::info!(message = %m.id, channel = %m.channel, attempts, error = %f.reason, "a notification failed; it will be tried again");
            Settled {
                next: Some(now + backoff(state, attempts)),
                ..ended(status::FAILED, Some(f.reason))
            }
        }
    }
}

/// Sends messages this worker has claimed, and records how each went in one transaction;
/// returns how many were tried.
async fn deliver(
    state: &AppState,
    ch: &Channels,
    tally: &mut Tally,
    msgs: Vec<notification::Model>,
) -> AppResult<usize> {
    if msgs.is_empty() {
        return Ok(0);
    }
    let mut cache = super::fanout::Cache::default();
    prepare(state, &mut cache, &msgs).await?;
    let now = crate::clock::now();
    for m in &msgs {
        tally.lag_ms = tally
            .lag_ms
            .max((now - m.next_attempt_at).num_milliseconds());
    }
    let n = msgs.len();
    // Recorded well within the claim: a message sent and not yet recorded when the claim runs
    // out would be sent again by another server. The rest wait for the claim to end.
    let tried = send_all(state, ch, &cache, msgs, SEND_WINDOW).await;
    // One transaction records the batch: one statement per outcome (state, reason and next
    // try), whatever the number of messages sharing it.
    let mut groups: std::collections::BTreeMap<Outcome3, Vec<String>> = Default::default();
    let mut sent_at = None;
    for (m, outcome) in tried {
        let Some(outcome) = outcome? else {
            continue;
        };
        let s = settle(state, &m, outcome, tally);
        sent_at = sent_at.or(s.sent_at);
        groups
            .entry((s.status, s.error, s.next))
            .or_default()
            .push(m.id);
    }
    let txn = crate::db::begin(&state.db).await?;
    for ((st, err, next), ids) in groups {
        for chunk in ids.chunks(500) {
            let mut upd = notification::Entity::update_many()
                .col_expr(notification::Column::Status, Expr::value(st))
                .col_expr(
                    notification::Column::Attempts,
                    sea_orm::sea_query::ExprTrait::add(
                        Expr::col(notification::Column::Attempts),
                        1,
                    ),
                )
                .col_expr(notification::Column::LastError, Expr::value(err.clone()))
                .col_expr(
                    notification::Column::ClaimedUntil,
                    Expr::value(Option::<chrono::DateTime<Utc>>::None),
                );
            if st == status::SENT {
                upd = upd.col_expr(notification::Column::SentAt, Expr::value(sent_at));
            }
            // Only a failure moves the next try; the others keep theirs.
            if let Some(n) = next {
                upd = upd.col_expr(notification::Column::NextAttemptAt, Expr::value(n));
            }
            upd.filter(notification::Column::Id.is_in(chunk.iter().cloned()))
                .exec(&*txn)
                .await?;
        }
    }
    txn.commit().await?;
    Ok(n)
}

/// Runs the worker for as long as the server runs.
pub async fn run(state: AppState, ch: Channels) {
    tracing::info!(
        email = %ch.mail.describe(),
        sms = %ch.sms.describe(),
        zalo = %ch.zalo.describe(),
        "notification worker started"
    );
    let mut tally = Tally::default();
    let mut last_log = Instant::now();
    loop {
        // A full batch calls for the next one at once; otherwise the worker waits for a write
        // to wake it (or a second, for other servers' writes), then lets a moment's events
        // gather, so that under load a batch carries many and its fixed cost is shared.
        let mut busy = false;
        let mut events = 0;
        match fan_out_once(&state, &ch, &mut tally).await {
            Ok(n) => {
                busy |= n as u64 >= BATCH;
                events = n;
            }
            Err(e) => log_error("fanning out notifications", &e),
        }
        match deliver_once(&state, &ch, &mut tally).await {
            Ok(n) => busy |= n as u64 >= BATCH,
            Err(e) => log_error("sending notifications", &e),
        }
        if last_log.elapsed() >= Duration::from_secs(60) {
            if tally.sent + tally.failed + tally.gave_up + tally.cancelled > 0 {
                let lag_ms = tally.lag_ms;
                if lag_ms > 60_000 {
                    tracing::warn!(?tally, lag_ms, "notification delivery lags behind");
                } else {
                    tracing::info!(?tally, lag_ms, "notifications delivered");
                }
            }
            tally = Tally::default();
            last_log = Instant::now();
        }
        if !busy {
            state.notify_wake.wait(Duration::from_millis(1000)).await;
            tokio::time::sleep(if events >= BUSY_TURN {
                GATHER_BUSY
            } else {
                GATHER
            })
            .await;
        }
    }
}

fn log_error(what: &str, e: &AppError) {
    tracing::warn!(error = %e.message(crate::error::Lang::En), "{what} failed; trying again");
}

/// `portal notify test`: sends one test message straight through a channel as this
/// configuration sets it (no database). Returns where it went.
pub async fn send_test(
    config: &crate::config::Config,
    channel: Channel,
    to: &str,
) -> Result<String, String> {
    let ch = Channels::new(config)?;
    let id = uuid::Uuid::now_v7().to_string();
    let r = super::templates::render(
        Kind::Test,
        crate::error::Lang::Vi,
        &super::templates::Facts {
            detail: Some((
                "Kênh thông báo của cổng Góp Ý hoạt động.".into(),
                "The Góp Ý portal's notification channel works.".into(),
            )),
            ..Default::default()
        },
    );
    match channel {
        Channel::Email => {
            ch.mail
                .send(&Mail {
                    id,
                    to: to.to_string(),
                    subject: r.subject,
                    body: r.body,
                    unsubscribe: None,
                })
                .await
                .map_err(|f| f.reason)?;
            Ok(ch.mail.describe())
        }
        Channel::Sms | Channel::Zalo => {
            let gw = ch.gateway(channel);
            gw.send(&Text {
                id,
                channel: channel.as_str(),
                kind: Kind::Test.as_str(),
                to: to.to_string(),
                text: if channel == Channel::Sms {
                    r.sms
                } else {
                    r.zns
                },
            })
            .await
            .map_err(|f| f.reason)?;
            Ok(gw.describe())
        }
        Channel::InApp => Err("the inbox is per account; test e-mail, sms or zalo".into()),
    }
}

/// How deliveries stand: messages per state, and the oldest one due and not yet sent.
pub struct Standing {
    pub counts: Vec<(String, i64)>,
    pub oldest_due: Option<chrono::DateTime<Utc>>,
}

pub async fn standing(db: &DatabaseConnection) -> AppResult<Standing> {
    use sea_orm::{PaginatorTrait, QueryOrder, QuerySelect};
    let mut counts = vec![];
    for s in [
        status::QUEUED,
        status::FAILED,
        status::SENT,
        status::GAVE_UP,
        status::CANCELLED,
    ] {
        let n = notification::Entity::find()
            .filter(notification::Column::Status.eq(s))
            .filter(notification::Column::Channel.ne(Channel::InApp.as_str()))
            .count(db)
            .await?;
        counts.push((s.to_string(), n as i64));
    }
    let oldest_due: Option<chrono::DateTime<Utc>> = notification::Entity::find()
        .filter(notification::Column::Status.is_in([status::QUEUED, status::FAILED]))
        .filter(notification::Column::NextAttemptAt.lte(crate::clock::now()))
        .order_by_asc(notification::Column::NextAttemptAt)
        .select_only()
        .column(notification::Column::NextAttemptAt)
        .into_tuple()
        .one(db)
        .await?;
    Ok(Standing { counts, oldest_due })
}
