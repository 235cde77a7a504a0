//! The notification worker: claims events and fans them out into messages, claims due messages
//! and sends them. Every server runs one (unless `PORTAL_NOTIFY=off`); claims are conditional
//! updates (`FOR UPDATE SKIP LOCKED` on PostgreSQL), so an event is fanned out, and a message
//! sent, by one server. A failed message waits `PORTAL_NOTIFY_RETRY_SECS`, doubling up to an
//! hour, and is given up after `PORTAL_NOTIFY_MAX_ATTEMPTS` tries. A server that stops between
//! sending and recording (a crash) leaves its claim to expire after a minute; the message is
//! then sent again, with the same `Message-ID` or `Idempotency-Key`, so the far end can tell.

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
type Outcome3<'a> = (&'a str, Option<String>, Option<chrono::DateTime<Utc>>);

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

/// What a fan-out turn did: the events it took, and the messages it wrote already claimed by
/// this worker because they are due now (sent in the same turn, without claiming them again).
#[derive(Default)]
pub struct FannedOut {
    pub events: usize,
    pub due: Vec<notification::Model>,
    /// What the fan-out read (items, consents), reused to send `due` a moment later.
    pub cache: super::fanout::Cache,
}

/// Fans out one batch of events.
pub async fn fan_out_once(state: &AppState) -> AppResult<FannedOut> {
    if !any_due(&state.db, "notification_events", EVENTS_DUE).await? {
        return Ok(FannedOut::default());
    }
    let ids: Vec<i64> = claim(&state.db, "notification_events", EVENTS_DUE, "id")
        .await?
        .iter()
        .filter_map(|i| i.parse().ok())
        .collect();
    if ids.is_empty() {
        return Ok(FannedOut::default());
    }
    let events = notification_event::Entity::find()
        .filter(notification_event::Column::Id.is_in(ids.clone()))
        .all(&state.db)
        .await?;
    // Who is told of what: reads only, the batch's complaints and consents at once.
    let cache =
        super::fanout::Cache::load(state, &super::fanout::Cache::complaints_of(&events), true)
            .await?;
    let mut done: Vec<(i64, Vec<notification::Model>)> = vec![];
    for ev in &events {
        match super::fanout::messages(state, &cache, ev).await {
            Ok(msgs) => done.push((ev.id, msgs)),
            Err(e) => failed_event(state, ev, &e).await?,
        }
    }
    // Then one transaction for the batch: the messages, and the events marked done. Messages
    // due now are written claimed by this worker, which sends them next.
    let now = crate::clock::now();
    let mut all: Vec<notification::Model> =
        done.iter().flat_map(|(_, m)| m.iter().cloned()).collect();
    for m in &mut all {
        if m.status == status::QUEUED && m.next_attempt_at <= now {
            m.claimed_until = Some(now + CLAIM);
        }
    }
    let txn = crate::db::begin(&state.db).await?;
    // The events marked done first, and only if still undone: had another server fanned one
    // out meanwhile (a claim outlived), this batch writes nothing and is not sent.
    let ids: Vec<i64> = done.iter().map(|(id, _)| *id).collect();
    if !ids.is_empty() {
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
            .filter(notification_event::Column::Id.is_in(ids.clone()))
            .filter(notification_event::Column::FannedOutAt.is_null())
            .exec(&*txn)
            .await?;
        if marked.rows_affected != ids.len() as u64 {
            txn.rollback().await?;
            tracing::warn!(
                events = ids.len(),
                "another worker fanned out events of this batch; the batch is left to it"
            );
            return Ok(FannedOut::default());
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
    let (in_app, rest): (Vec<notification::Model>, Vec<notification::Model>) = all
        .into_iter()
        .partition(|m| m.channel == Channel::InApp.as_str());
    state.notify_hub.published(&state.db, in_app).await;
    Ok(FannedOut {
        events: events.len(),
        due: rest
            .into_iter()
            .filter(|m| m.claimed_until.is_some())
            .collect(),
        cache,
    })
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
    deliver(state, ch, tally, Default::default(), msgs).await
}

/// Sends messages this worker has claimed, and records how each went in one transaction;
/// returns how many were tried.
async fn deliver(
    state: &AppState,
    ch: &Channels,
    tally: &mut Tally,
    mut cache: super::fanout::Cache,
    msgs: Vec<notification::Model>,
) -> AppResult<usize> {
    if msgs.is_empty() {
        return Ok(0);
    }
    // The filers' items and consents, and the recipients' accounts, read once for the batch
    // (what the fan-out just read is not read again).
    let cids: Vec<String> = msgs.iter().filter_map(|m| m.complaint_id.clone()).collect();
    cache.load_complaints(state, &cids).await?;
    let aids: Vec<String> = msgs.iter().filter_map(|m| m.account_id.clone()).collect();
    cache.load_accounts(state, &aids).await?;
    let cache = &cache;
    let now = crate::clock::now();
    for m in &msgs {
        tally.lag_ms = tally
            .lag_ms
            .max((now - m.next_attempt_at).num_milliseconds());
    }
    // A few at a time, so that one slow channel does not hold up the others in the batch.
    let started = Instant::now();
    let sent: Vec<(notification::Model, AppResult<Option<Outcome>>)> =
        async_graphql::futures_util::stream::iter(msgs.iter().cloned())
            .map(|m| async move {
                // Recorded well within the claim: a message sent and not yet recorded when the
                // claim runs out would be sent again by another server. The rest wait for the
                // claim to end.
                if started.elapsed() > SEND_WINDOW {
                    return (m, Ok(None));
                }
                let r = send(state, ch, cache, &m).await.map(Some);
                (m, r)
            })
            .buffer_unordered(SENDING_AT_ONCE)
            .collect()
            .await;
    let mut results = Vec::with_capacity(msgs.len());
    for (m, outcome) in sent {
        let Some(outcome) = outcome? else {
            continue;
        };
        let now = crate::clock::now();
        let attempts = m.attempts + 1;
        let r = match outcome {
            Outcome::Sent => {
                tally.sent += 1;
                (status::SENT, None, m.next_attempt_at, Some(now))
            }
            Outcome::Cancelled(why) => {
                tally.cancelled += 1;
                (status::CANCELLED, Some(why), m.next_attempt_at, None)
            }
            Outcome::Failed(f)
                if f.permanent || attempts as u32 >= state.config.notify.max_attempts =>
            {
                let why = f.reason;
                tally.gave_up += 1;
                tracing::warn!(message = %m.id, kind = %m.kind, channel = %m.channel, attempts, error = %why, "gave up a notification");
                (status::GAVE_UP, Some(why), m.next_attempt_at, None)
            }
            Outcome::Failed(f) => {
                let why = f.reason;
                tally.failed += 1;
                tracing::info!(message = %m.id, channel = %m.channel, attempts, error = %why, "a notification failed; it will be tried again");
                (
                    status::FAILED,
                    Some(why),
                    now + backoff(state, attempts),
                    None,
                )
            }
        };
        results.push((m.id.clone(), attempts, r));
    }
    // One transaction records the batch: one statement per outcome (state, reason and next
    // try), whatever the number of messages sharing it.
    let now = crate::clock::now();
    let mut groups: std::collections::BTreeMap<Outcome3<'_>, Vec<String>> = Default::default();
    for (id, _, (st, err, next, _)) in results {
        // Only a failure moves the next try; the others keep theirs.
        let next = (st == status::FAILED).then_some(next);
        groups.entry((st, err, next)).or_default().push(id);
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
                upd = upd.col_expr(notification::Column::SentAt, Expr::value(now));
            }
            if let Some(n) = next {
                upd = upd.col_expr(notification::Column::NextAttemptAt, Expr::value(n));
            }
            upd.filter(notification::Column::Id.is_in(chunk.iter().cloned()))
                .exec(&*txn)
                .await?;
        }
    }
    txn.commit().await?;
    Ok(msgs.len())
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
        match fan_out_once(&state).await {
            Ok(f) => {
                busy |= f.events as u64 >= BATCH;
                events = f.events;
                if let Err(e) = deliver(&state, &ch, &mut tally, f.cache, f.due).await {
                    log_error("sending notifications", &e);
                }
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
