//! Live delivery of inbox messages to the `notifications` subscriptions of this server.
//!
//! On SQLite (one server) the worker hands each new inbox message to the hub itself. On
//! PostgreSQL it announces `account:message` pairs with `NOTIFY` on [`CHANNEL`] after the
//! commit, and every server (this one too) listens (`crate::announce::listen`) and loads the
//! messages of the accounts it has subscribers for.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use entity::notification;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, DatabaseConnection, EntityTrait, QueryFilter,
    Statement,
};
use tokio::sync::broadcast;

/// The PostgreSQL channel of new inbox messages.
pub const CHANNEL: &str = "gopy_notifications";

/// Live subscriptions an account may hold on one server at once (a portal needs one per
/// screen; thousands would cost the server memory and its sign-in checks).
pub const MAX_PER_ACCOUNT: usize = 10;

/// This server's subscribers.
#[derive(Clone)]
pub struct Hub {
    tx: broadcast::Sender<Arc<notification::Model>>,
    watching: Arc<Mutex<HashMap<String, usize>>>,
}

impl Default for Hub {
    fn default() -> Self {
        Hub {
            tx: broadcast::channel(1024).0,
            watching: Default::default(),
        }
    }
}

/// Held by a subscription while it runs: the hub knows whose messages to load.
pub struct Watch {
    hub: Hub,
    account: String,
}

impl Drop for Watch {
    fn drop(&mut self) {
        let mut w = self.hub.watching.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = w.get_mut(&self.account) {
            *n -= 1;
            if *n == 0 {
                w.remove(&self.account);
            }
        }
    }
}

impl Hub {
    /// Subscribes an account: its messages from now on, and a guard to hold meanwhile; `None`
    /// when it holds [`MAX_PER_ACCOUNT`] already.
    pub fn watch(
        &self,
        account: &str,
    ) -> Option<(broadcast::Receiver<Arc<notification::Model>>, Watch)> {
        {
            let mut w = self.watching.lock().unwrap_or_else(|p| p.into_inner());
            let n = w.entry(account.to_string()).or_default();
            if *n >= MAX_PER_ACCOUNT {
                return None;
            }
            *n += 1;
        }
        Some((
            self.tx.subscribe(),
            Watch {
                hub: self.clone(),
                account: account.to_string(),
            },
        ))
    }

    fn watched(&self, account: &str) -> bool {
        self.watching
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .contains_key(account)
    }

    fn hand_out(&self, m: notification::Model) {
        if m.account_id.as_deref().is_some_and(|a| self.watched(a)) {
            let _ = self.tx.send(Arc::new(m));
        }
    }

    /// New inbox messages, just committed: to this server's subscribers (SQLite), or announced
    /// to every server (PostgreSQL).
    pub async fn published(&self, db: &DatabaseConnection, messages: Vec<notification::Model>) {
        if messages.is_empty() {
            return;
        }
        if db.get_database_backend() != DatabaseBackend::Postgres {
            for m in messages {
                self.hand_out(m);
            }
            return;
        }
        // A NOTIFY payload holds under 8000 bytes: about a hundred pairs.
        let pairs: Vec<String> = messages
            .iter()
            .filter_map(|m| m.account_id.as_ref().map(|a| format!("{a}:{}", m.id)))
            .collect();
        for chunk in pairs.chunks(100) {
            let stmt = Statement::from_sql_and_values(
                DatabaseBackend::Postgres,
                "SELECT pg_notify($1, $2)",
                [CHANNEL.into(), chunk.join(",").into()],
            );
            if let Err(e) = db.execute_raw(stmt).await {
                tracing::warn!(error = %e, "announcing new inbox messages failed; subscribers see them in the inbox");
            }
        }
    }

    /// An announcement from any server: loads the messages of the accounts watched here.
    pub async fn announced(&self, db: &DatabaseConnection, payload: &str) {
        let ids: Vec<String> = payload
            .split(',')
            .filter_map(|p| p.split_once(':'))
            .filter(|(a, _)| self.watched(a))
            .map(|(_, id)| id.to_string())
            .collect();
        if ids.is_empty() {
            return;
        }
        match notification::Entity::find()
            .filter(notification::Column::Id.is_in(ids))
            .all(db)
            .await
        {
            Ok(rows) => {
                for m in rows {
                    self.hand_out(m);
                }
            }
            Err(e) => tracing::warn!(error = %e, "loading announced inbox messages failed"),
        }
    }
}
