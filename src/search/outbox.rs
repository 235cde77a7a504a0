//! The outbox between the database and the search engine.
//!
//! Every write that changes a searchable document adds an outbox row in its own transaction
//! (`enqueue`). The indexer (`run_indexer`) claims rows in batches — `FOR UPDATE SKIP LOCKED` on
//! PostgreSQL, so several server instances share the work; an `UPDATE … RETURNING` on SQLite,
//! where one process writes — rebuilds each document once per batch from the database, sends
//! them to the engine, and deletes the rows. A failure leaves the rows for a retry with
//! exponential backoff: an engine that is down delays search, never a write.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use entity::{complaint, procedure, search_outbox, unit};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, DatabaseConnection, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set, Statement,
};
use tokio::sync::Notify;

use super::{Doc, IndexKind, Search, SearchError, docs};
use crate::error::AppResult;

/// Adds outbox rows for documents to refresh (call inside the writing transaction).
pub async fn enqueue(db: &impl ConnectionTrait, kind: IndexKind, ids: &[String]) -> AppResult<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let now = crate::clock::now();
    for chunk in ids.chunks(500) {
        search_outbox::Entity::insert_many(chunk.iter().map(|id| search_outbox::ActiveModel {
            kind: Set(kind.name().to_string()),
            doc_id: Set(id.clone()),
            created_at: Set(now),
            attempts: Set(0),
            next_attempt_at: Set(now),
            claimed_until: Set(None),
            last_error: Set(None),
            ..Default::default()
        }))
        .exec(db)
        .await?;
    }
    Ok(())
}

/// Queues every complaint about or assigned to `unit`, whose documents carry the unit's names
/// (call inside the transaction that changes the unit). One statement, whatever their number.
pub async fn enqueue_complaints_of_unit(db: &impl ConnectionTrait, unit: &str) -> AppResult<u64> {
    enqueue_selected(
        db,
        IndexKind::Complaints,
        "SELECT id FROM complaints WHERE unit_id = {3} OR assigned_unit_id = {3}",
        unit.into(),
    )
    .await
}

/// Queues the ids a query selects, in one `INSERT … SELECT`. In `select`, `{3}` stands for
/// `value` (`{1}` and `{2}` are the kind and the time).
async fn enqueue_selected(
    db: &impl ConnectionTrait,
    kind: IndexKind,
    select: &str,
    value: sea_orm::Value,
) -> AppResult<u64> {
    let backend = db.get_database_backend();
    let mark = if backend == DatabaseBackend::Postgres {
        "$"
    } else {
        "?"
    };
    let sql = format!(
        "INSERT INTO search_outbox (kind, doc_id, created_at, attempts, next_attempt_at)
         SELECT {{1}}, id, {{2}}, 0, {{2}} FROM ({select}) AS picked"
    );
    let sql = (1..=3).fold(sql, |q, n| {
        q.replace(&format!("{{{n}}}"), &format!("{mark}{n}"))
    });
    let stmt = Statement::from_sql_and_values(
        backend,
        sql,
        [kind.name().into(), crate::clock::now().into(), value],
    );
    Ok(db.execute_raw(stmt).await?.rows_affected())
}

/// Wakes the indexer early (after a commit that enqueued something).
#[derive(Clone, Default)]
pub struct Wake(Arc<Notify>);

impl Wake {
    pub fn wake(&self) {
        self.0.notify_one();
    }
}

struct Claimed {
    id: i64,
    kind: String,
    doc_id: String,
    attempts: i32,
}

/// Claims up to `limit` due rows for this worker for a minute.
async fn claim(db: &DatabaseConnection, limit: u64) -> AppResult<Vec<Claimed>> {
    let now = crate::clock::now();
    let until = now + chrono::Duration::seconds(60);
    let backend = db.get_database_backend();
    let stmt = match backend {
        DatabaseBackend::Postgres => Statement::from_sql_and_values(
            backend,
            "UPDATE search_outbox SET claimed_until = $1 WHERE id IN (
                 SELECT id FROM search_outbox
                 WHERE next_attempt_at <= $2 AND (claimed_until IS NULL OR claimed_until < $2)
                 ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED)
             RETURNING id, kind, doc_id, attempts",
            [until.into(), now.into(), (limit as i64).into()],
        ),
        _ => Statement::from_sql_and_values(
            backend,
            "UPDATE search_outbox SET claimed_until = ? WHERE id IN (
                 SELECT id FROM search_outbox
                 WHERE next_attempt_at <= ? AND (claimed_until IS NULL OR claimed_until < ?)
                 ORDER BY id LIMIT ?)
             RETURNING id, kind, doc_id, attempts",
            [until.into(), now.into(), now.into(), (limit as i64).into()],
        ),
    };
    // Through SQLite's write queue, like every write (see `db::WriteTxn`).
    let txn = crate::db::begin(db).await?;
    let rows = txn.query_all_raw(stmt).await?;
    txn.commit().await?;
    rows.into_iter()
        .map(|r| {
            Ok(Claimed {
                id: r.try_get("", "id")?,
                kind: r.try_get("", "kind")?,
                doc_id: r.try_get("", "doc_id")?,
                attempts: r.try_get("", "attempts")?,
            })
        })
        .collect()
}

/// Builds the documents of a batch: each id once, whatever number of rows named it. Ids no
/// longer in the database are returned for deletion from the engine.
pub async fn build(
    db: &DatabaseConnection,
    kind: IndexKind,
    ids: &[String],
) -> AppResult<(Vec<Doc>, Vec<String>)> {
    let docs: Vec<Doc> = match kind {
        IndexKind::Complaints => docs::complaints(db, ids)
            .await?
            .into_iter()
            .map(Doc::Complaint)
            .collect(),
        IndexKind::Procedures => {
            let d = docs::procedures(db, ids).await?;
            let figures: Vec<_> = d
                .iter()
                .map(|p| (p.id.clone(), p.satisfaction.clone(), p.on_time_share))
                .collect();
            docs::store_figures(db, docs::By::Procedure, &figures).await?;
            d.into_iter().map(Doc::Procedure).collect()
        }
        IndexKind::Units => {
            let d = docs::units(db, ids).await?;
            let figures: Vec<_> = d
                .iter()
                .map(|u| (u.id.clone(), u.satisfaction.clone(), u.on_time_share))
                .collect();
            docs::store_figures(db, docs::By::Unit, &figures).await?;
            d.into_iter().map(Doc::Unit).collect()
        }
        IndexKind::Dialogues => docs::dialogues(db, ids)
            .await?
            .into_iter()
            .map(Doc::Dialogue)
            .collect(),
    };
    let found: HashSet<&str> = docs.iter().map(Doc::id).collect();
    let gone = ids
        .iter()
        .filter(|i| !found.contains(i.as_str()))
        .cloned()
        .collect();
    Ok((docs, gone))
}

/// Drains one batch. Returns how many outbox rows it settled.
pub async fn drain_once(
    db: &DatabaseConnection,
    search: &Search,
    limit: u64,
) -> Result<usize, SearchError> {
    let rows = claim(db, limit)
        .await
        .map_err(|e| SearchError::Engine(format!("{e:?}")))?;
    if rows.is_empty() {
        return Ok(0);
    }
    let mut by_kind: BTreeMap<IndexKind, BTreeSet<String>> = BTreeMap::new();
    for r in &rows {
        if let Some(k) = IndexKind::parse(&r.kind) {
            by_kind.entry(k).or_default().insert(r.doc_id.clone());
        }
    }
    let result: Result<(), SearchError> = async {
        let engine = search.engine()?;
        for (kind, ids) in &by_kind {
            let ids: Vec<String> = ids.iter().cloned().collect();
            let (docs, gone) = build(db, *kind, &ids)
                .await
                .map_err(|e| SearchError::Engine(format!("{e:?}")))?;
            if !docs.is_empty() {
                engine.upsert(docs).await?;
            }
            if !gone.is_empty() {
                engine.delete(*kind, gone).await?;
            }
        }
        Ok(())
    }
    .await;
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    match result {
        Ok(()) => {
            let done = async {
                let txn = crate::db::begin(db).await?;
                search_outbox::Entity::delete_many()
                    .filter(search_outbox::Column::Id.is_in(ids))
                    .exec(&txn)
                    .await?;
                txn.commit().await
            };
            done.await.map_err(|e| SearchError::Engine(e.to_string()))?;
            Ok(rows.len())
        }
        Err(e) => {
            // Back off: 0.5 s, 1 s, 2 s … up to a minute, per row.
            let attempts = rows.iter().map(|r| r.attempts).max().unwrap_or(0) + 1;
            let delay_ms = (500u64 << attempts.clamp(0, 7) as u32).min(60_000);
            let next = crate::clock::now() + chrono::Duration::milliseconds(delay_ms as i64);
            let msg = e.to_string();
            let Ok(txn) = crate::db::begin(db).await else {
                return Err(e);
            };
            let _ = search_outbox::Entity::update_many()
                .col_expr(
                    search_outbox::Column::Attempts,
                    sea_orm::sea_query::Expr::value(attempts),
                )
                .col_expr(
                    search_outbox::Column::NextAttemptAt,
                    sea_orm::sea_query::Expr::value(next),
                )
                .col_expr(
                    search_outbox::Column::ClaimedUntil,
                    sea_orm::sea_query::Expr::value(Option::<chrono::DateTime<Utc>>::None),
                )
                .col_expr(
                    search_outbox::Column::LastError,
                    sea_orm::sea_query::Expr::value(msg),
                )
                .filter(search_outbox::Column::Id.is_in(ids))
                .exec(&txn)
                .await;
            let _ = txn.commit().await;
            Err(e)
        }
    }
}

/// Rows waiting for the indexer.
pub async fn pending(db: &DatabaseConnection) -> AppResult<u64> {
    Ok(search_outbox::Entity::find().count(db).await?)
}

/// Queues every document of the indexes that are empty while the database has rows (a fresh
/// data folder, an engine that lost its data).
pub async fn fill_empty(db: &DatabaseConnection, search: &Search) -> AppResult<()> {
    for kind in IndexKind::ALL {
        if needs_fill(db, search, kind).await? {
            let n = enqueue_all(db, kind).await?;
            tracing::info!(
                index = kind.name(),
                documents = n,
                "search index empty: queued every document"
            );
        }
    }
    Ok(())
}

/// Applies the engine's settings if they are not known to be in place, then fills the
/// indexes that came back empty.
async fn make_ready(db: &DatabaseConnection, search: &Search) -> Result<(), SearchError> {
    search.engine()?.prepare().await?;
    search.set_ready(true);
    fill_empty(db, search)
        .await
        .map_err(|e| SearchError::Engine(format!("{e:?}")))?;
    tracing::info!("search engine ready");
    Ok(())
}

/// The indexer: drains the outbox until the server stops, waking early on `wake`. After the
/// engine failed (down, hung, or its settings never applied) it applies the settings again
/// before it writes anything, so an engine that restarted empty is refilled.
pub async fn run_indexer(db: DatabaseConnection, search: Search, wake: Wake) {
    let mut failures = 0u32;
    loop {
        let step = if search.is_ready() {
            drain_once(&db, &search, search.batch_limit()).await
        } else {
            make_ready(&db, &search).await.map(|()| 1)
        };
        if let Err(SearchError::Unavailable(_)) = &step {
            search.set_ready(false);
        }
        match step {
            Ok(0) => {
                failures = 0;
                let _ = tokio::time::timeout(Duration::from_millis(250), wake.0.notified()).await;
            }
            Ok(_) => failures = 0,
            Err(e) => {
                failures += 1;
                if failures == 1 || failures.is_multiple_of(20) {
                    tracing::warn!(error = %e, failures, "search indexer: engine failed; writes are kept and retried");
                }
                let ms = (250u64 << failures.min(6)).min(10_000);
                let _ = tokio::time::timeout(Duration::from_millis(ms), wake.0.notified()).await;
            }
        }
    }
}

/// Queues every document of a kind (after an index was created empty, say).
pub async fn enqueue_all(db: &DatabaseConnection, kind: IndexKind) -> AppResult<u64> {
    let mut n = 0u64;
    let mut after = String::new();
    loop {
        let ids = ids_page(db, kind, &after).await?;
        let Some(last) = ids.last().cloned() else {
            break;
        };
        enqueue(db, kind, &ids).await?;
        n += ids.len() as u64;
        after = last;
    }
    Ok(n)
}

/// The next 5,000 ids of a kind after `after`, in order.
async fn ids_page(db: &DatabaseConnection, kind: IndexKind, after: &str) -> AppResult<Vec<String>> {
    match kind {
        IndexKind::Complaints => {
            ids_after::<complaint::Entity, _>(db, complaint::Column::Id, after).await
        }
        IndexKind::Procedures => {
            ids_after::<procedure::Entity, _>(db, procedure::Column::Id, after).await
        }
        IndexKind::Units => ids_after::<unit::Entity, _>(db, unit::Column::Id, after).await,
        IndexKind::Dialogues => {
            ids_after::<entity::dialogue::Entity, _>(db, entity::dialogue::Column::Id, after).await
        }
    }
}

async fn ids_after<E, C>(db: &DatabaseConnection, col: C, after: &str) -> AppResult<Vec<String>>
where
    E: EntityTrait,
    C: ColumnTrait,
{
    Ok(E::find()
        .select_only()
        .column(col)
        .filter(col.gt(after))
        .order_by_asc(col)
        .limit(5000)
        .into_tuple::<String>()
        .all(db)
        .await?)
}

/// Rebuilds a whole index from the database, streaming batches into the engine, which swaps
/// the new index in at the end. `progress` is told how many documents went in.
pub async fn reindex(
    db: &DatabaseConnection,
    search: &Search,
    kind: IndexKind,
    progress: impl Fn(u64) + Send,
) -> anyhow::Result<u64> {
    let engine = search.engine().map_err(|e| anyhow::anyhow!("{e}"))?;
    // Two batches in flight: the database reads the next while the engine takes one.
    let (tx, rx) = tokio::sync::mpsc::channel(2);
    let feed = async move {
        let mut after = String::new();
        let mut n = 0u64;
        loop {
            let page = match ids_page(db, kind, &after).await {
                Ok(ids) if ids.is_empty() => break,
                Ok(ids) => build(db, kind, &ids).await.map(|(docs, _)| (ids, docs)),
                Err(e) => Err(e),
            };
            match page {
                Ok((ids, docs)) => {
                    n += docs.len() as u64;
                    after = ids.last().cloned().unwrap_or_default();
                    if tx.send(Ok(docs)).await.is_err() {
                        // The engine gave up; it reports why.
                        break;
                    }
                    progress(n);
                }
                Err(e) => {
                    let msg = format!("{e:?}");
                    let _ = tx.send(Err(msg.clone())).await;
                    anyhow::bail!("reading {} for the reindex: {msg}", kind.name());
                }
            }
        }
        Ok(n)
    };
    // What changes while the rebuild reads goes to the live index, which the swap replaces:
    // everything changed since shortly before the first read is queued again after it (30 s
    // earlier, for the clocks of other servers, which stamp their changes).
    let since = crate::clock::now() - chrono::Duration::seconds(30);
    let (fed, replaced) = tokio::join!(feed, engine.replace_all(kind, rx));
    let n = fed?;
    replaced.map_err(|e| anyhow::anyhow!("{e}"))?;
    let again = requeue_changed_since(db, kind, since).await?;
    if again > 0 {
        tracing::info!(
            index = kind.name(),
            documents = again,
            "queued again what changed during the rebuild"
        );
    }
    Ok(n)
}

/// Queues the documents of `kind` that may have changed since `since`: complaints updated or
/// linked to a dialogue since then (one statement), and every document of the small indexes.
async fn requeue_changed_since(
    db: &DatabaseConnection,
    kind: IndexKind,
    since: chrono::DateTime<Utc>,
) -> AppResult<u64> {
    if kind != IndexKind::Complaints {
        return enqueue_all(db, kind).await;
    }
    enqueue_selected(
        db,
        kind,
        "SELECT id FROM complaints WHERE updated_at >= {3}
         UNION SELECT complaint_id FROM dialogue_issues WHERE created_at >= {3}",
        since.into(),
    )
    .await
}

/// Whether the engine's index of `kind` is empty while the database has rows (a fresh data
/// folder, or an index recreated after a schema change), or the figures kept for search hits
/// are.
pub async fn needs_fill(
    db: &DatabaseConnection,
    search: &Search,
    kind: IndexKind,
) -> AppResult<bool> {
    let Ok(engine) = search.engine() else {
        return Ok(false);
    };
    let indexed = match kind {
        IndexKind::Complaints => engine
            .search_complaints(&super::ComplaintQuery {
                limit: 0,
                ..Default::default()
            })
            .await
            .map(|h| h.total),
        IndexKind::Procedures => engine
            .search_procedures(&super::ProcedureQuery {
                limit: 0,
                ..Default::default()
            })
            .await
            .map(|h| h.total),
        IndexKind::Units => engine
            .search_units(&super::UnitQuery {
                limit: 0,
                ..Default::default()
            })
            .await
            .map(|h| h.total),
        IndexKind::Dialogues => engine
            .search_dialogues(&super::DialogueQuery {
                limit: 0,
                ..Default::default()
            })
            .await
            .map(|h| h.total),
    };
    let Ok(indexed) = indexed else {
        return Ok(false);
    };
    // The figures search hits show are kept with the documents: a database that has none yet
    // (one migrated to keep them) is filled once as well.
    let figures_missing = match kind {
        IndexKind::Procedures | IndexKind::Units => {
            use entity::catalog_figure;
            let k = if kind == IndexKind::Procedures {
                "procedure"
            } else {
                "unit"
            };
            catalog_figure::Entity::find()
                .filter(catalog_figure::Column::Kind.eq(k))
                .count(db)
                .await?
                == 0
        }
        _ => false,
    };
    if indexed > 0 && !figures_missing {
        return Ok(false);
    }
    let rows = match kind {
        IndexKind::Complaints => complaint::Entity::find().count(db).await?,
        IndexKind::Procedures => {
            procedure::Entity::find()
                .filter(procedure::Column::Retired.eq(false))
                .count(db)
                .await?
        }
        IndexKind::Units => unit::Entity::find().count(db).await?,
        IndexKind::Dialogues => entity::dialogue::Entity::find().count(db).await?,
    };
    Ok(rows > 0)
}
