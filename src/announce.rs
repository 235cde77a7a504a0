//! Changes every server must see at once: the holiday calendar and the catalog of units and
//! procedures, which each server holds in memory. On PostgreSQL a change is announced with
//! `NOTIFY` and every server listens (`LISTEN`), reloading the calendar or dropping its catalog
//! snapshot as soon as the change commits; the periodic reload stays as the fallback for a
//! notification missed while a connection was down. On SQLite there is one server, which
//! applies its own changes, and nothing to announce.

use std::time::Duration;

use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseConnection, Statement};

use crate::state::AppState;

/// The PostgreSQL channel of the announcements.
pub const CHANNEL: &str = "gopy_changes";

/// How often a listening server reloads the calendar anyway, and how long it waits before
/// listening again after losing its connection.
const FALLBACK: Duration = Duration::from_secs(60);
const RETRY: Duration = Duration::from_secs(5);

/// What changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Topic {
    Calendar,
    Catalog,
}

impl Topic {
    pub fn as_str(self) -> &'static str {
        match self {
            Topic::Calendar => "calendar",
            Topic::Catalog => "catalog",
        }
    }

    pub fn parse(s: &str) -> Option<Topic> {
        match s {
            "calendar" => Some(Topic::Calendar),
            "catalog" => Some(Topic::Catalog),
            _ => None,
        }
    }
}

/// Tells every server that `topic` changed (after the change is committed). A failure is
/// logged, not returned: the change is made, and the other servers' periodic reload catches up.
pub async fn announce(db: &DatabaseConnection, topic: Topic) {
    if db.get_database_backend() != DatabaseBackend::Postgres {
        return;
    }
    let stmt = Statement::from_sql_and_values(
        DatabaseBackend::Postgres,
        "SELECT pg_notify($1, $2)",
        [CHANNEL.into(), topic.as_str().into()],
    );
    if let Err(e) = db.execute_raw(stmt).await {
        tracing::warn!(error = %e, topic = topic.as_str(), "announcing a change failed; other servers reload it periodically");
    }
}

/// Applies a change announced by any server (this one included).
async fn apply(state: &AppState, topic: Topic) {
    match topic {
        Topic::Catalog => crate::catalog::changed(),
        Topic::Calendar => {
            if let Err(e) = state.calendar.reload(&state.db).await {
                tracing::warn!(error = %e.message(crate::error::Lang::En), "reloading the calendar failed");
            }
        }
    }
}

/// Listens for announcements for as long as the server runs (PostgreSQL); on SQLite, reloads
/// the calendar periodically only (a change written by `portal` commands, say).
pub async fn listen(state: AppState) {
    if state.db.get_database_backend() != DatabaseBackend::Postgres {
        loop {
            tokio::time::sleep(FALLBACK).await;
            apply(&state, Topic::Calendar).await;
        }
    }
    use sea_orm::sqlx::postgres::PgListener;
    loop {
        let pool = state.db.get_postgres_connection_pool();
        let mut listener = match PgListener::connect_with(pool).await {
            Ok(l) => l,
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for changes; retrying");
                tokio::time::sleep(RETRY).await;
                continue;
            }
        };
        if let Err(e) = listener
            .listen_all([CHANNEL, crate::notify::hub::CHANNEL])
            .await
        {
            tracing::warn!(error = %e, "cannot listen for changes; retrying");
            tokio::time::sleep(RETRY).await;
            continue;
        }
        // What changed while nobody listened.
        apply(&state, Topic::Calendar).await;
        apply(&state, Topic::Catalog).await;
        loop {
            match tokio::time::timeout(FALLBACK, listener.recv()).await {
                Ok(Ok(n)) if n.channel() == crate::notify::hub::CHANNEL => {
                    state.notify_hub.announced(&state.db, n.payload()).await;
                }
                Ok(Ok(n)) => {
                    if let Some(t) = Topic::parse(n.payload()) {
                        apply(&state, t).await;
                    }
                }
                Ok(Err(e)) => {
                    tracing::warn!(error = %e, "lost the change announcements; listening again");
                    break;
                }
                Err(_) => apply(&state, Topic::Calendar).await,
            }
        }
    }
}
