//! The shared state of a running portal: one value, cloned cheaply into every request.

use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use sea_orm::DatabaseConnection;

use crate::auth::Keys;
use crate::auth::limits::Limits;
use crate::calendar::SharedCalendar;
use crate::config::Config;
use crate::search::Search;
use crate::search::outbox::Wake;

#[derive(Clone)]
pub struct AppState(Arc<Inner>);

pub struct Inner {
    pub db: DatabaseConnection,
    pub config: Config,
    pub keys: Keys,
    /// Rate limits: sign-ins, registrations, submissions, code guesses.
    pub limits: Limits,
    pub calendar: SharedCalendar,
    /// SQL statements run so far (for tests and diagnostics).
    pub sql_statements: Arc<AtomicU64>,
    pub search: Search,
    /// Wakes the search indexer after a write queued documents.
    pub indexer_wake: Wake,
    /// Units and procedures in memory, for the resolvers.
    pub catalog: crate::catalog::Catalog,
    /// Wakes the notification worker after a write queued an event.
    pub notify_wake: crate::notify::Wake,
    /// This server's `notifications` subscribers.
    pub notify_hub: crate::notify::hub::Hub,
}

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl AppState {
    pub fn new(
        db: DatabaseConnection,
        config: Config,
        calendar: SharedCalendar,
        sql_statements: Arc<AtomicU64>,
        search: Search,
    ) -> AppState {
        let secret = config
            .jwt_secret
            .clone()
            .expect("the JWT secret is resolved before the state is built");
        let keys = Keys::new(
            &secret,
            &config.jwt_issuer,
            &config.jwt_audience,
            config.access_token_ttl,
        );
        let limits = Limits::new(&config, &db);
        let catalog = crate::catalog::Catalog::new(&db);
        AppState(Arc::new(Inner {
            catalog,
            db,
            config,
            keys,
            limits,
            calendar,
            sql_statements,
            search,
            indexer_wake: Wake::default(),
            notify_wake: Default::default(),
            notify_hub: Default::default(),
        }))
    }
}
