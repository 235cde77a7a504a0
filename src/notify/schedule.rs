//! What the clock brings: deadlines one working day away, deadlines passed, commitments and
//! personal-data requests falling due, and the officials' digest at 07:30 city time on working
//! days. Every server looks each minute; each event has a key (the item and its deadline, the
//! digest's day), so whichever server writes it first writes it once.

use std::time::Duration;

use chrono::{NaiveTime, Utc};
use entity::complaint::{self, Status};
use entity::{commitment, notification, notification_event, privacy_request};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};

use super::Event;
use crate::error::AppResult;
use crate::state::AppState;

/// How far back a passed deadline is still announced (a server down for a weekend catches up;
/// a new server on an old database does not flood the officials with years of items).
const OVERDUE_WINDOW: chrono::Duration = chrono::Duration::days(3);
/// When the digest goes out, city time.
pub fn digest_time() -> NaiveTime {
    NaiveTime::from_hms_opt(7, 30, 0).expect("static time")
}

/// Whether the digest of the city's day `now` is due: a working day, from 07:30.
pub fn digest_due(cal: &crate::calendar::Calendar, now: chrono::DateTime<Utc>) -> bool {
    let local = crate::clock::local(now);
    cal.is_working_day(local.date_naive()) && local.time() >= digest_time()
}

/// Writes the events the clock calls for that are not written yet; returns how many.
pub async fn once(state: &AppState) -> AppResult<usize> {
    let now = crate::clock::now();
    let cal = state.calendar.get();
    let soon = cal.deadline(now, 1);
    let mut due: Vec<(String, Event)> = vec![];
    let open = || {
        complaint::Entity::find()
            .filter(complaint::Column::Status.is_in([Status::Received, Status::Accepted]))
            .select_only()
            .column(complaint::Column::Id)
            .column(complaint::Column::AnswerDueAt)
    };
    let soon_rows: Vec<(String, chrono::DateTime<Utc>)> = open()
        .filter(complaint::Column::AnswerDueAt.gt(now))
        .filter(complaint::Column::AnswerDueAt.lte(soon))
        .into_tuple()
        .all(&state.db)
        .await?;
    for (id, at) in soon_rows {
        due.push((
            format!("due-soon:{id}:{}", at.timestamp()),
            Event::DeadlineSoon {
                complaint: id,
                due: at,
            },
        ));
    }
    let late_rows: Vec<(String, chrono::DateTime<Utc>)> = open()
        .filter(complaint::Column::AnswerDueAt.lte(now))
        .filter(complaint::Column::AnswerDueAt.gt(now - OVERDUE_WINDOW))
        .into_tuple()
        .all(&state.db)
        .await?;
    for (id, at) in late_rows {
        due.push((
            format!("overdue:{id}:{}", at.timestamp()),
            Event::Overdue {
                complaint: id,
                due: at,
            },
        ));
    }
    let commitments: Vec<(String, chrono::DateTime<Utc>)> = commitment::Entity::find()
        .filter(commitment::Column::Status.eq(commitment::Status::Open))
        .filter(commitment::Column::DueAt.gt(now))
        .filter(commitment::Column::DueAt.lte(soon))
        .select_only()
        .column(commitment::Column::Id)
        .column(commitment::Column::DueAt)
        .into_tuple()
        .all(&state.db)
        .await?;
    for (id, at) in commitments {
        due.push((
            format!("commitment-due:{id}:{}", at.timestamp()),
            Event::CommitmentDue { commitment: id },
        ));
    }
    let requests: Vec<(String, chrono::DateTime<Utc>)> = privacy_request::Entity::find()
        .filter(privacy_request::Column::CompletedAt.is_null())
        .filter(privacy_request::Column::DueAt.gt(now))
        .filter(privacy_request::Column::DueAt.lte(cal.deadline(now, 2)))
        .select_only()
        .column(privacy_request::Column::Id)
        .column(privacy_request::Column::DueAt)
        .into_tuple()
        .all(&state.db)
        .await?;
    for (id, at) in requests {
        due.push((
            format!("privacy-due:{id}:{}", at.timestamp()),
            Event::PrivacyRequestDue { request: id },
        ));
    }
    if digest_due(&cal, now) {
        let day = crate::clock::local(now).date_naive();
        due.push((format!("digest:{day}"), Event::Digest { day }));
    }
    if due.is_empty() {
        return Ok(0);
    }
    // Only what is not written yet takes a write.
    let mut written: std::collections::HashSet<String> = std::collections::HashSet::new();
    for chunk in due.chunks(500) {
        let keys: Vec<String> = chunk.iter().map(|(k, _)| k.clone()).collect();
        let found: Vec<Option<String>> = notification_event::Entity::find()
            .filter(notification_event::Column::DedupeKey.is_in(keys))
            .select_only()
            .column(notification_event::Column::DedupeKey)
            .into_tuple()
            .all(&state.db)
            .await?;
        written.extend(found.into_iter().flatten());
    }
    let new: Vec<&(String, Event)> = due.iter().filter(|(k, _)| !written.contains(k)).collect();
    if new.is_empty() {
        return Ok(0);
    }
    let txn = crate::db::begin(&state.db).await?;
    let mut n = 0;
    for (k, ev) in new {
        if super::enqueue_once(&*txn, k, ev.clone()).await? {
            n += 1;
        }
    }
    txn.commit().await?;
    state.notify_wake.wake();
    Ok(n)
}

/// Deletes what has served: events fanned out over 30 days ago (their keys are past any
/// window), messages sent or ended over 90 days ago, inbox entries over a year old.
pub async fn prune(state: &AppState) -> AppResult<u64> {
    let now = crate::clock::now();
    let txn = crate::db::begin(&state.db).await?;
    let a = notification_event::Entity::delete_many()
        .filter(notification_event::Column::FannedOutAt.lt(now - chrono::Duration::days(30)))
        .exec(&*txn)
        .await?
        .rows_affected;
    let b = notification::Entity::delete_many()
        .filter(notification::Column::Channel.ne(super::Channel::InApp.as_str()))
        .filter(notification::Column::Status.is_in([
            super::status::SENT,
            super::status::GAVE_UP,
            super::status::CANCELLED,
        ]))
        .filter(notification::Column::CreatedAt.lt(now - chrono::Duration::days(90)))
        .exec(&*txn)
        .await?
        .rows_affected;
    let c = notification::Entity::delete_many()
        .filter(notification::Column::Channel.eq(super::Channel::InApp.as_str()))
        .filter(notification::Column::CreatedAt.lt(now - chrono::Duration::days(365)))
        .exec(&*txn)
        .await?
        .rows_affected;
    txn.commit().await?;
    Ok(a + b + c)
}

/// Looks every minute for as long as the server runs; prunes hourly.
pub async fn run(state: AppState) {
    let mut tick = tokio::time::interval(Duration::from_secs(60));
    let mut minutes = 0u32;
    loop {
        tick.tick().await;
        match once(&state).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(events = n, "deadlines and digests queued for notification"),
            Err(e) => {
                tracing::warn!(error = %e.message(crate::error::Lang::En), "looking for deadlines to notify failed")
            }
        }
        if minutes.is_multiple_of(60) {
            match prune(&state).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(rows = n, "pruned old notifications"),
                Err(e) => {
                    tracing::warn!(error = %e.message(crate::error::Lang::En), "pruning notifications failed")
                }
            }
        }
        minutes = minutes.wrapping_add(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_digest_is_due_from_half_past_seven_on_working_days() {
        let cal = crate::calendar::Calendar::default();
        let at = |s: &str| {
            chrono::DateTime::parse_from_rfc3339(s)
                .unwrap()
                .with_timezone(&Utc)
        };
        // Friday 4 December 2026.
        assert!(!digest_due(&cal, at("2026-12-04T07:29:00+07:00")));
        assert!(digest_due(&cal, at("2026-12-04T07:30:00+07:00")));
        assert!(digest_due(&cal, at("2026-12-04T16:00:00+07:00")));
        // Saturday.
        assert!(!digest_due(&cal, at("2026-12-05T08:00:00+07:00")));
    }
}
