//! The dictionary's versions in the database, and keeping every server's copy current: the
//! highest version is in use (none stored: the release's default, version 0), compiled with
//! the places of the unit catalog, past names included. A change is read by the server that
//! made it at once and by the others within `REFRESH_SECS`; Meilisearch's `synonyms` setting
//! follows it (`SearchIndex::dictionary_changed`).

use chrono::{DateTime, Utc};
use entity::{search_synonyms, unit, unit_version};
use sea_orm::{
    ActiveModelTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryOrder, QuerySelect,
    Set,
};

use super::Search;
use super::dictionary::{self, Dictionary, Entry, SynonymKind};
use crate::error::{AppError, AppResult};

/// How often a server reads the dictionary's version and the unit catalog's names again.
pub const REFRESH_SECS: u64 = 30;

/// A version of the dictionary.
#[derive(Debug, Clone)]
pub struct Stored {
    pub version: i64,
    pub entries: Vec<Entry>,
    /// `default`, `graphql` or `import`.
    pub source: String,
    pub created_at: Option<DateTime<Utc>>,
    pub created_by: Option<String>,
}

/// The version in use: the highest stored, or the default.
pub async fn stored(db: &impl ConnectionTrait) -> AppResult<Stored> {
    let row = search_synonyms::Entity::find()
        .order_by_desc(search_synonyms::Column::Version)
        .limit(1)
        .one(db)
        .await?;
    Ok(match row {
        Some(r) => Stored {
            version: i64::from(r.version),
            entries: dictionary::parse_text(&r.entries).map_err(|e| {
                AppError::internal(format!("stored dictionary {}: {}", r.version, e.en))
            })?,
            source: r.source,
            created_at: Some(r.created_at),
            created_by: r.created_by,
        },
        None => Stored {
            version: 0,
            entries: dictionary::default_entries(),
            source: "default".into(),
            created_at: None,
            created_by: None,
        },
    })
}

/// The names of every unit, as it is called now and as it was called before.
async fn place_names(db: &DatabaseConnection) -> AppResult<Vec<String>> {
    let mut names: Vec<String> = unit::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|u| u.name)
        .collect();
    names.extend(
        unit_version::Entity::find()
            .all(db)
            .await?
            .into_iter()
            .map(|v| v.name),
    );
    names.sort();
    names.dedup();
    Ok(names)
}

/// The dictionary in use, compiled.
pub async fn compile(db: &DatabaseConnection) -> AppResult<Dictionary> {
    let s = stored(db).await?;
    let names = place_names(db).await?;
    Ok(Dictionary::compile(
        s.version,
        s.entries,
        dictionary::place_entries(names.iter().map(String::as_str)),
    ))
}

/// Reads the dictionary again and puts it in use; when it changed, the engine is told (an
/// engine that is down gets it with its other settings once it answers). Whether it changed.
pub async fn refresh(db: &DatabaseConnection, search: &Search) -> AppResult<bool> {
    let d = compile(db).await?;
    if !search.lexicon().set(d) {
        return Ok(false);
    }
    if let Ok(engine) = search.engine()
        && let Err(e) = engine.dictionary_changed().await
    {
        tracing::warn!(error = %e, "search dictionary not yet applied to the engine; retried with its settings");
        search.set_ready(false);
    }
    Ok(true)
}

/// Keeps this server's dictionary current (changes made by other servers, units renamed).
pub async fn run(db: DatabaseConnection, search: Search) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(REFRESH_SECS));
    tick.tick().await;
    loop {
        tick.tick().await;
        if let Err(e) = refresh(&db, &search).await {
            tracing::warn!(error = %e.message(crate::error::Lang::En), "reading the search dictionary failed");
        }
    }
}

fn concern_lines(entries: &[Entry]) -> String {
    let only: Vec<Entry> = entries
        .iter()
        .filter(|e| e.kind == SynonymKind::Concern)
        .cloned()
        .collect();
    dictionary::to_text(&only)
}

/// What an import did.
pub struct Imported {
    pub stored: Stored,
    /// The concern groups changed: every complaint was queued for indexing.
    pub requeued: bool,
}

/// `portal import synonyms FILE`: the file (the format of `dictionary_vi.txt`) becomes the
/// next version, whatever version is in use.
pub async fn import_file(
    db: &DatabaseConnection,
    path: &std::path::Path,
) -> anyhow::Result<Imported> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
    let entries = dictionary::parse_text(&text)
        .map_err(|e| anyhow::anyhow!("{}: {}", path.display(), e.en))?;
    let current = stored(db)
        .await
        .map_err(|e| anyhow::anyhow!(e.message(crate::error::Lang::En)))?;
    let requeued = concern_lines(&current.entries) != concern_lines(&entries);
    let stored = replace(db, None, None, current.version, entries, "import", "file")
        .await
        .map_err(|e| anyhow::anyhow!(e.message(crate::error::Lang::En)))?;
    Ok(Imported { stored, requeued })
}

/// Stores a new version of the dictionary in place of `expected` (the version the editor
/// read), after checking every entry; puts it in use. A retry of a change already stored
/// returns it; a change made on an older version is refused (`CONFLICT`). When the concern
/// groups changed, every complaint is queued for indexing, so that the flags follow.
pub async fn replace(
    db: &DatabaseConnection,
    search: Option<&Search>,
    by: Option<String>,
    expected: i64,
    entries: Vec<Entry>,
    source: &str,
    field: &str,
) -> AppResult<Stored> {
    if let Err(e) = dictionary::check(&entries) {
        let at = if e.index >= dictionary::MAX_ENTRIES {
            field.to_string()
        } else {
            format!("{field}[{}].{}", e.index, e.part)
        };
        return Err(AppError::bad_input(at, e.vi, e.en));
    }
    let txn = crate::db::begin(db).await?;
    let current = stored(&txn).await?;
    if current.version == expected + 1
        && dictionary::to_text(&current.entries) == dictionary::to_text(&entries)
    {
        txn.commit().await?;
        return Ok(current);
    }
    if current.version != expected {
        return Err(AppError::conflict(
            format!(
                "Từ điển đã đổi sang phiên bản {} sau khi bạn đọc phiên bản {expected}; hãy đọc lại (searchSynonyms) rồi sửa trên phiên bản mới.",
                current.version
            ),
            format!(
                "The dictionary moved to version {} after you read version {expected}; read it again (searchSynonyms) and edit that version.",
                current.version
            ),
        )
        .with_field("input.expectedVersion"));
    }
    let version = i32::try_from(expected + 1).map_err(AppError::internal)?;
    let now = crate::clock::now();
    let stored_row = search_synonyms::ActiveModel {
        version: Set(version),
        entries: Set(dictionary::to_text(&entries)),
        source: Set(source.to_string()),
        created_at: Set(now),
        created_by: Set(by.clone()),
    }
    .insert(&txn)
    .await
    .map_err(|e| {
        crate::error::on_unique(
            e,
            AppError::conflict(
                "Một thay đổi khác vừa được lưu; hãy đọc lại từ điển.",
                "Another change was just stored; read the dictionary again.",
            )
            .with_field("input.expectedVersion"),
        )
    })?;
    let flags_changed = concern_lines(&current.entries) != concern_lines(&entries);
    txn.commit().await?;
    // Without an engine at hand (the CLI), the servers read it within `REFRESH_SECS`.
    if let Some(search) = search {
        refresh(db, search).await?;
    }
    if flags_changed {
        let n = super::outbox::enqueue_all(db, super::IndexKind::Complaints).await?;
        tracing::info!(
            complaints = n,
            "concern groups changed: every complaint queued for indexing"
        );
    }
    Ok(Stored {
        version: i64::from(stored_row.version),
        entries,
        source: stored_row.source,
        created_at: Some(stored_row.created_at),
        created_by: stored_row.created_by,
    })
}
