//! The units and procedures, held in memory for the resolvers: every complaint, dossier and
//! rating names its unit and procedure, and these reference tables change a few times a year.
//! The units' versions and succession links are held the same way.
//!
//! A snapshot of a whole table is read at the first use and kept until a write of this process
//! marks the catalog changed ([`changed`]), or for [`TTL`] at most, so that a change made by
//! another server instance or by `portal import` shows within that time.

use std::collections::HashMap;
use std::marker::PhantomData;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sea_orm::{DatabaseConnection, EntityTrait};

use crate::error::AppError;

/// How long a snapshot serves at most.
pub const TTL: Duration = Duration::from_secs(30);

/// Bumped by every write to units or procedures in this process (every table and every
/// server state of the process reloads: conservative, and such writes are rare).
static GENERATION: AtomicU64 = AtomicU64::new(0);

/// Marks the units and procedures changed: call after the write is committed.
pub fn changed() {
    GENERATION.fetch_add(1, Ordering::SeqCst);
}

struct Snapshot<T> {
    generation: u64,
    at: Instant,
    value: Arc<T>,
}

/// One value read from the database, kept while the catalog is unchanged (at most [`TTL`]).
pub struct Cached<T> {
    db: DatabaseConnection,
    slot: Mutex<Option<Snapshot<T>>>,
}

impl<T: Send + Sync> Cached<T> {
    pub fn new(db: DatabaseConnection) -> Cached<T> {
        Cached {
            db,
            slot: Mutex::new(None),
        }
    }

    /// The value from the snapshot while it is current, else from `load`.
    pub async fn get<F, Fut>(&self, load: F) -> Result<Arc<T>, AppError>
    where
        F: FnOnce(DatabaseConnection) -> Fut,
        Fut: std::future::Future<Output = Result<T, AppError>>,
    {
        // Read before the query: a write committed meanwhile bumps it and the next call
        // reloads.
        let generation = GENERATION.load(Ordering::SeqCst);
        {
            let slot = self.slot.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(s) = slot.as_ref()
                && s.generation == generation
                && s.at.elapsed() < TTL
            {
                return Ok(s.value.clone());
            }
        }
        let value = Arc::new(load(self.db.clone()).await?);
        *self.slot.lock().unwrap_or_else(|p| p.into_inner()) = Some(Snapshot {
            generation,
            at: Instant::now(),
            value: value.clone(),
        });
        Ok(value)
    }
}

/// One reference table by primary key.
pub struct Table<E: EntityTrait> {
    cache: Cached<HashMap<String, E::Model>>,
    _entity: PhantomData<fn() -> E>,
}

impl<E> Table<E>
where
    E: EntityTrait,
    E::Model: Clone + Send + Sync,
{
    pub fn new(db: DatabaseConnection) -> Table<E> {
        Table {
            cache: Cached::new(db),
            _entity: PhantomData,
        }
    }

    /// Every row by id, from the snapshot while it is current.
    pub async fn rows(&self) -> Result<Arc<HashMap<String, E::Model>>, AppError> {
        self.cache
            .get(|db| async move { Ok(crate::db::by_id::<E>(E::find().all(&db).await?)) })
            .await
    }
}

/// A DataLoader over a [`Table`]: the resolvers keep loading by id, without a statement.
pub struct TableLoader<E: EntityTrait>(pub Arc<Table<E>>);

impl<E> async_graphql::dataloader::Loader<String> for TableLoader<E>
where
    E: EntityTrait + Send + Sync + 'static,
    E::Model: Clone + Send + Sync + 'static,
{
    type Value = E::Model;
    type Error = AppError;

    async fn load(&self, keys: &[String]) -> Result<HashMap<String, E::Model>, AppError> {
        let rows = self.0.rows().await?;
        Ok(keys
            .iter()
            .filter_map(|k| rows.get(k).map(|m| (k.clone(), m.clone())))
            .collect())
    }
}

/// The units and procedures of one server state.
pub struct Catalog {
    pub units: Arc<Table<entity::unit::Entity>>,
    pub procedures: Arc<Table<entity::procedure::Entity>>,
    /// The units' versions and succession links.
    pub history: Arc<Cached<crate::units::history::UnitHistory>>,
}

impl Catalog {
    pub fn new(db: &DatabaseConnection) -> Catalog {
        Catalog {
            units: Arc::new(Table::new(db.clone())),
            procedures: Arc::new(Table::new(db.clone())),
            history: Arc::new(Cached::new(db.clone())),
        }
    }
}
