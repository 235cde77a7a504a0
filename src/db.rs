//! Connecting to SQLite or PostgreSQL and applying the migrations.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use anyhow::Context;
use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, Database, DatabaseConnection};

/// Connects (creating the SQLite file and its folder if needed).
pub async fn connect(url: &str) -> anyhow::Result<DatabaseConnection> {
    Ok(connect_counted(url, crate::config::default_pool()).await?.0)
}

/// Connects with up to `pool` PostgreSQL connections and counts every SQL statement run on
/// the connection; slow statements are logged. Statements are prepared once per connection
/// and kept (sqlx's statement cache).
/// Connections of a SQLite pool (WAL: readers beside the one writer).
pub const SQLITE_CONNECTIONS: u32 = 4;

pub async fn connect_counted(
    url: &str,
    pool: u32,
) -> anyhow::Result<(DatabaseConnection, Arc<AtomicU64>)> {
    if let Some(rest) = url.strip_prefix("sqlite://") {
        let path = rest.split('?').next().unwrap_or("");
        if let Some(parent) = std::path::Path::new(path).parent()
            && !parent.as_os_str().is_empty()
        {
            std::fs::create_dir_all(parent).with_context(|| {
                format!("DATABASE_URL: cannot create folder {}", parent.display())
            })?;
        }
    }
    let mut opts = ConnectOptions::new(url.to_string());
    opts.connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(10))
        .sqlx_logging(false);
    if url.starts_with("sqlite:") {
        opts.max_connections(SQLITE_CONNECTIONS).min_connections(1);
        // Every connection of the pool, not only the first: WAL lets readers run beside the
        // one writer; a busy timeout makes writers queue instead of failing with "database is
        // locked".
        opts.map_sqlx_sqlite_opts(|o| {
            o.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                .busy_timeout(Duration::from_secs(5))
                .foreign_keys(true)
        });
    } else {
        opts.max_connections(pool).min_connections(1);
    }
    let mut db = Database::connect(opts)
        .await
        .with_context(|| format!("DATABASE_URL: cannot connect to {}", redact(url)))?;
    let counter = Arc::new(AtomicU64::new(0));
    let c = counter.clone();
    db.set_metric_callback(move |info| {
        c.fetch_add(1, Ordering::Relaxed);
        if info.elapsed > Duration::from_millis(500) {
            tracing::warn!(
                elapsed_ms = info.elapsed.as_millis() as u64,
                sql = %info.statement.sql,
                "slow SQL statement"
            );
        }
    });
    Ok((db, counter))
}

/// A write transaction. On SQLite the writes of one database file are taken one at a time in
/// this process, in the order they asked (a fair queue), and each begins `IMMEDIATE`, holding
/// the file's write lock from its first statement: a transaction that reads before it writes
/// can then never find its snapshot overtaken ("database is locked"), and writers wait in the
/// queue rather than in SQLite's busy loop. Another process (a `portal reindex`, say) is waited
/// for by the busy timeout. On PostgreSQL it is a plain transaction.
pub struct WriteTxn {
    txn: sea_orm::DatabaseTransaction,
    _turn: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl WriteTxn {
    pub async fn commit(self) -> Result<(), sea_orm::DbErr> {
        self.txn.commit().await
    }

    pub async fn rollback(self) -> Result<(), sea_orm::DbErr> {
        self.txn.rollback().await
    }
}

impl std::ops::Deref for WriteTxn {
    type Target = sea_orm::DatabaseTransaction;
    fn deref(&self) -> &sea_orm::DatabaseTransaction {
        &self.txn
    }
}

#[async_trait::async_trait]
impl sea_orm::ConnectionTrait for WriteTxn {
    fn get_database_backend(&self) -> sea_orm::DbBackend {
        self.txn.get_database_backend()
    }
    async fn execute_raw(
        &self,
        stmt: sea_orm::Statement,
    ) -> Result<sea_orm::ExecResult, sea_orm::DbErr> {
        self.txn.execute_raw(stmt).await
    }
    async fn execute_unprepared(&self, sql: &str) -> Result<sea_orm::ExecResult, sea_orm::DbErr> {
        self.txn.execute_unprepared(sql).await
    }
    async fn query_one_raw(
        &self,
        stmt: sea_orm::Statement,
    ) -> Result<Option<sea_orm::QueryResult>, sea_orm::DbErr> {
        self.txn.query_one_raw(stmt).await
    }
    async fn query_all_raw(
        &self,
        stmt: sea_orm::Statement,
    ) -> Result<Vec<sea_orm::QueryResult>, sea_orm::DbErr> {
        self.txn.query_all_raw(stmt).await
    }
    fn support_returning(&self) -> bool {
        self.txn.support_returning()
    }
}

/// The queue of writers of each SQLite file of this process.
fn write_queue(db: &DatabaseConnection) -> Arc<tokio::sync::Mutex<()>> {
    use std::collections::HashMap;
    use std::sync::{LazyLock, Mutex};
    static QUEUES: LazyLock<Mutex<HashMap<std::path::PathBuf, Arc<tokio::sync::Mutex<()>>>>> =
        LazyLock::new(Default::default);
    let file = db
        .get_sqlite_connection_pool()
        .connect_options()
        .get_filename()
        .to_path_buf();
    let mut q = QUEUES.lock().unwrap_or_else(|e| e.into_inner());
    q.entry(file).or_default().clone()
}

/// Begins a write transaction (see [`WriteTxn`]).
pub async fn begin(db: &DatabaseConnection) -> Result<WriteTxn, sea_orm::DbErr> {
    use sea_orm::TransactionTrait;
    if db.get_database_backend() != sea_orm::DbBackend::Sqlite {
        return Ok(WriteTxn {
            txn: db.begin().await?,
            _turn: None,
        });
    }
    let turn = write_queue(db).lock_owned().await;
    let txn = db
        .begin_with_options(sea_orm::TransactionOptions {
            sqlite_transaction_mode: Some(sea_orm::SqliteTransactionMode::Immediate),
            ..Default::default()
        })
        .await?;
    Ok(WriteTxn {
        txn,
        _turn: Some(turn),
    })
}

/// Applies pending migrations.
pub async fn migrate(db: &DatabaseConnection) -> anyhow::Result<()> {
    Migrator::up(db, None).await.context("applying migrations")
}

/// Hides a password in a database URL for logs and messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let cred = &url[s + 3..at];
            match cred.find(':') {
                Some(c) => format!("{}{}:***{}", &url[..s + 3], &cred[..c], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

/// Loads rows of any entity with a string primary key by id, in one query per batch. The
/// DataLoaders of units, procedures, dossiers, complaints and businesses are all this.
pub struct ByIdLoader<E>(DatabaseConnection, std::marker::PhantomData<fn() -> E>);

impl<E> ByIdLoader<E> {
    pub fn new(db: DatabaseConnection) -> ByIdLoader<E> {
        ByIdLoader(db, std::marker::PhantomData)
    }
}

impl<E> async_graphql::dataloader::Loader<String> for ByIdLoader<E>
where
    E: sea_orm::EntityTrait + Send + Sync + 'static,
    E::Model: Clone + Send + Sync + 'static,
{
    type Value = E::Model;
    type Error = crate::error::AppError;

    async fn load(
        &self,
        keys: &[String],
    ) -> Result<std::collections::HashMap<String, E::Model>, crate::error::AppError> {
        use sea_orm::{ColumnTrait, QueryFilter};
        let rows = E::find()
            .filter(primary_key::<E>().is_in(keys.iter().cloned()))
            .all(&self.0)
            .await?;
        Ok(by_id::<E>(rows))
    }
}

/// The column of an entity's (single, text) primary key.
pub fn primary_key<E: sea_orm::EntityTrait>() -> E::Column {
    use sea_orm::{Iterable, PrimaryKeyToColumn};
    E::PrimaryKey::iter()
        .next()
        .expect("every entity has a primary key")
        .into_column()
}

/// Rows keyed by their text primary key.
pub fn by_id<E: sea_orm::EntityTrait>(
    rows: Vec<E::Model>,
) -> std::collections::HashMap<String, E::Model> {
    use sea_orm::ModelTrait;
    let pk = primary_key::<E>();
    rows.into_iter()
        .filter_map(|m| match m.get(pk) {
            sea_orm::Value::String(Some(id)) => Some((id.to_string(), m)),
            _ => None,
        })
        .collect()
}

/// Matches a folded column against a free-text query, accent- and case-insensitively: every
/// word of the query must appear as a whole word, except the last, which may be the start of
/// a word (so a portal can search as the user types). `quan 5` finds `Quận 5`; `tu phap` finds
/// `Sở Tư pháp`.
pub fn folded_words_match<C: sea_orm::ColumnTrait>(col: C, query: &str) -> sea_orm::Condition {
    let folded = crate::text::fold(query);
    let words: Vec<String> = folded
        .split(' ')
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect();
    words_match(col, &words)
}

/// Every word (already folded) must appear in the folded column as a whole word, the last
/// one possibly as the start of a word.
pub fn words_match<C: sea_orm::ColumnTrait>(col: C, words: &[String]) -> sea_orm::Condition {
    use sea_orm::Condition;
    use sea_orm::sea_query::LikeExpr;
    let like = |p: String| col.like(LikeExpr::new(p).escape('\\'));
    let mut cond = Condition::all();
    for (i, w) in words.iter().enumerate() {
        let w = crate::text::like_escape(w);
        let any = if i + 1 == words.len() {
            Condition::any()
                .add(like(format!("{w}%")))
                .add(like(format!("% {w}%")))
        } else {
            Condition::any()
                .add(like(w.clone()))
                .add(like(format!("{w} %")))
                .add(like(format!("% {w}")))
                .add(like(format!("% {w} %")))
        };
        cond = cond.add(any);
    }
    cond
}

/// An ordering expression that puts rows whose folded column contains the folded query as one
/// phrase first (0) and the rest after (1): `binh tan` lists Quận Bình Tân before Quận Tân Bình.
pub fn phrase_first<C: sea_orm::ColumnTrait>(
    col: C,
    query: &str,
) -> sea_orm::sea_query::SimpleExpr {
    use sea_orm::sea_query::{Expr, LikeExpr};
    let pattern = format!("%{}%", crate::text::like_escape(&crate::text::fold(query)));
    Expr::case(col.like(LikeExpr::new(pattern).escape('\\')), 0)
        .finally(1)
        .into()
}

#[cfg(test)]
mod tests {
    use sea_orm::{ConnectionTrait, TransactionTrait};

    /// T1 reads, T2 writes and commits meanwhile, then T1 writes.
    async fn read_then_write(db: &sea_orm::DatabaseConnection, queued: bool) -> Result<(), String> {
        let count = "SELECT count(*) FROM t";
        let t1 = if queued {
            super::begin(db).await.map_err(|e| e.to_string())?
        } else {
            super::WriteTxn {
                txn: db.begin().await.map_err(|e| e.to_string())?,
                _turn: None,
            }
        };
        t1.execute_unprepared(count)
            .await
            .map_err(|e| e.to_string())?;
        let db2 = db.clone();
        let other = tokio::spawn(async move {
            let t2 = if queued {
                super::begin(&db2).await.unwrap()
            } else {
                super::WriteTxn {
                    txn: db2.begin().await.unwrap(),
                    _turn: None,
                }
            };
            t2.execute_unprepared(count).await.unwrap();
            t2.execute_unprepared("INSERT INTO t VALUES (2)")
                .await
                .unwrap();
            t2.commit().await.unwrap();
        });
        if !queued {
            // Without the queue T2 goes first.
            tokio::time::timeout(std::time::Duration::from_secs(10), async {
                while !other.is_finished() {
                    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
                }
            })
            .await
            .map_err(|_| "T2 did not finish".to_string())?;
        }
        let r = t1.execute_unprepared("INSERT INTO t VALUES (1)").await;
        match r {
            Ok(_) => t1.commit().await.map_err(|e| e.to_string())?,
            Err(e) => {
                let _ = t1.rollback().await;
                other.await.map_err(|e| e.to_string())?;
                return Err(e.to_string());
            }
        }
        other.await.map_err(|e| e.to_string())?;
        Ok(())
    }

    #[tokio::test]
    async fn a_write_transaction_that_reads_first_is_never_refused_as_locked() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("w.db").display());
        let db = super::connect(&url).await.unwrap();
        db.execute_unprepared("CREATE TABLE t (x INTEGER)")
            .await
            .unwrap();
        // What plain (deferred) transactions do: T1's snapshot is overtaken, its write refused.
        let plain = read_then_write(&db, false).await;
        assert!(
            plain.as_ref().is_err_and(|e| e.contains("locked")),
            "{plain:?}"
        );
        // Through the queue T2 waits for T1, and both land.
        read_then_write(&db, true).await.unwrap();
        let n = db
            .query_one_raw(sea_orm::Statement::from_string(
                sea_orm::DbBackend::Sqlite,
                "SELECT count(*) AS n FROM t",
            ))
            .await
            .unwrap()
            .unwrap()
            .try_get::<i64>("", "n")
            .unwrap();
        assert_eq!(n, 3, "one write of the first round and both of the second");
    }

    #[test]
    fn redacts_password() {
        assert_eq!(
            super::redact("postgres://u:secret@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
        assert_eq!(
            super::redact("sqlite://./data/p.db"),
            "sqlite://./data/p.db"
        );
    }
}
