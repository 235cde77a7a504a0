//! Search: one `SearchIndex` port with two engines — the embedded tantivy index under
//! `./data/search/` (the default) and Meilisearch (when `MEILI_URL` is set) — fed from the
//! database through an outbox, so an engine that is down never loses or blocks a write.
//!
//! The engines index documents built here (`docs`), with Vietnamese text prepared by `text`:
//! the original words and their folded forms, `i`/`y` unified, abbreviations expanded. Hits
//! come back as ids; the caller hydrates them from the database and highlights them with
//! `text::highlight`, so both engines answer alike.

pub mod bitsets;
pub mod dictionary;
pub mod docs;
pub mod embedded;
pub mod graphql;
pub mod meili;
pub mod outbox;
pub mod results;
pub mod synonyms;
pub mod text;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use async_trait::async_trait;

pub use dictionary::{Concern, Dictionary, Lexicon};
pub use docs::{ComplaintDoc, DialogueDoc, ProcedureDoc, SatisfactionFields, UnitDoc};

/// The four indexes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum IndexKind {
    Complaints,
    Procedures,
    Units,
    Dialogues,
}

impl IndexKind {
    pub const ALL: [IndexKind; 4] = [
        IndexKind::Complaints,
        IndexKind::Procedures,
        IndexKind::Units,
        IndexKind::Dialogues,
    ];

    pub fn name(self) -> &'static str {
        match self {
            IndexKind::Complaints => "complaints",
            IndexKind::Procedures => "procedures",
            IndexKind::Units => "units",
            IndexKind::Dialogues => "dialogues",
        }
    }

    pub fn parse(s: &str) -> Option<IndexKind> {
        IndexKind::ALL.into_iter().find(|k| k.name() == s)
    }
}

/// The facets each search counts (when asked): one list for both engines.
pub const COMPLAINT_FACETS: &[&str] = &[
    "status",
    "category",
    "unit",
    "procedure",
    "kind",
    "dialogue",
    "concern",
];
pub const PROCEDURE_FACETS: &[&str] = &["field", "level", "unit"];
pub const UNIT_FACETS: &[&str] = &["block"];
pub const DIALOGUE_FACETS: &[&str] = &["kind", "status", "host"];

/// A document of any index.
#[derive(Debug, Clone, PartialEq)]
pub enum Doc {
    Complaint(ComplaintDoc),
    Procedure(ProcedureDoc),
    Unit(UnitDoc),
    Dialogue(DialogueDoc),
}

impl Doc {
    pub fn kind(&self) -> IndexKind {
        match self {
            Doc::Complaint(_) => IndexKind::Complaints,
            Doc::Procedure(_) => IndexKind::Procedures,
            Doc::Unit(_) => IndexKind::Units,
            Doc::Dialogue(_) => IndexKind::Dialogues,
        }
    }

    pub fn id(&self) -> &str {
        match self {
            Doc::Complaint(c) => &c.id,
            Doc::Procedure(p) => &p.id,
            Doc::Unit(u) => &u.id,
            Doc::Dialogue(d) => &d.id,
        }
    }
}

#[derive(Debug, Clone)]
pub enum SearchError {
    /// The engine cannot be reached or refuses to work; searches fall back to the database.
    Unavailable(String),
    /// Anything else the engine reported.
    Engine(String),
}

impl std::fmt::Display for SearchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SearchError::Unavailable(m) => write!(f, "search engine unavailable: {m}"),
            SearchError::Engine(m) => write!(f, "search engine error: {m}"),
        }
    }
}

impl std::error::Error for SearchError {}

pub type SearchResult<T> = Result<T, SearchError>;

/// How complaint hits are ordered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ComplaintSort {
    #[default]
    Relevance,
    ReceivedDesc,
    ReceivedAsc,
    AnswerDueAsc,
}

/// A complaint search, already scoped to what the caller may see.
#[derive(Debug, Clone, Default)]
pub struct ComplaintQuery {
    pub text: String,
    /// Only these assigned units (an official's scope); `None` for all.
    pub scope_units: Option<Vec<String>>,
    /// Only published answers (the public).
    pub published_only: bool,
    pub unit: Option<String>,
    /// Any of these statuses (all when empty).
    pub status: Vec<String>,
    /// `Some(true)`: received or accepted; `Some(false)`: the others.
    pub open: Option<bool>,
    pub kind: Option<String>,
    pub category: Option<String>,
    pub procedure: Option<String>,
    /// Issues of this dialogue only.
    pub dialogue: Option<String>,
    /// Only complaints reading as this concern (`BRIBERY`, …).
    pub concern: Option<String>,
    /// `Some(true)`: open past the answer deadline at `now`.
    pub overdue: Option<bool>,
    /// Milliseconds since the epoch, as are `from` and `to`.
    pub now: i64,
    pub from: Option<i64>,
    pub to: Option<i64>,
    pub sort: ComplaintSort,
    pub offset: usize,
    pub limit: usize,
    /// Count facets (they cost a walk over every match).
    pub facets: bool,
}

/// How procedure hits are ordered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ProcedureSort {
    #[default]
    Relevance,
    /// Weakest satisfied share of a component first.
    SatisfactionAsc(entity::rating_score::Component),
    /// Best satisfied share of a component first.
    SatisfactionDesc(entity::rating_score::Component),
    OnTimeDesc,
}

#[derive(Debug, Clone, Default)]
pub struct ProcedureQuery {
    pub text: String,
    pub unit: Option<String>,
    pub field: Option<String>,
    pub level: Option<String>,
    pub one_day: Option<bool>,
    /// Only procedures whose satisfied share of the component is at least this (percent).
    pub min_satisfaction: Option<(entity::rating_score::Component, f64)>,
    /// Only procedures whose satisfied share of the component is below this (percent).
    pub max_satisfaction: Option<(entity::rating_score::Component, f64)>,
    pub sort: ProcedureSort,
    pub offset: usize,
    pub limit: usize,
    pub facets: bool,
}

#[derive(Debug, Clone, Default)]
pub struct UnitQuery {
    pub text: String,
    pub block: Option<String>,
    pub offset: usize,
    pub limit: usize,
}

/// Who may see which dialogues, as the engine filters them: the public ones, and those of
/// these units (host or invited) or of this business.
#[derive(Debug, Clone, Default)]
pub struct DialogueVisibility {
    pub units: Vec<String>,
    pub business: Option<String>,
}

/// A dialogue search, already scoped to what the caller may see.
#[derive(Debug, Clone, Default)]
pub struct DialogueQuery {
    pub text: String,
    /// `None`: every dialogue (staff).
    pub visible: Option<DialogueVisibility>,
    pub host: Option<String>,
    pub kind: Option<String>,
    pub status: Option<String>,
    pub business: Option<String>,
    /// Milliseconds since the epoch: starting in `[from, to)`.
    pub from: Option<i64>,
    pub to: Option<i64>,
    pub offset: usize,
    pub limit: usize,
}

/// What an engine answers: ids in order, the total, facet counts and its own time.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Hits {
    pub ids: Vec<String>,
    pub total: u64,
    /// facet name → (value, count), most frequent first.
    pub facets: BTreeMap<String, Vec<(String, u64)>>,
    pub took_ms: f64,
    /// The query's words (as typed) that hits on this page lack: not every word matched, and
    /// the most frequent ones were dropped first.
    pub dropped: Vec<String>,
}

/// The documents of a rebuild, streamed so that a million of them are never all in memory.
pub type Batches = tokio::sync::mpsc::Receiver<Result<Vec<Doc>, String>>;

/// The port both engines implement.
#[async_trait]
pub trait SearchIndex: Send + Sync {
    fn engine(&self) -> &'static str;
    /// How many outbox rows the indexer claims at once when there is a backlog.
    fn batch_limit(&self) -> u64 {
        1_000
    }
    /// Applies settings (idempotent) and makes sure the indexes exist.
    async fn prepare(&self) -> SearchResult<()>;
    /// Adds or replaces documents; visible to searches when this returns.
    async fn upsert(&self, docs: Vec<Doc>) -> SearchResult<()>;
    async fn delete(&self, kind: IndexKind, ids: Vec<String>) -> SearchResult<()>;
    /// Replaces a whole index with the documents arriving batch by batch on `docs` (a
    /// reindex), without a moment where it is empty or partial. A batch that is `Err` aborts
    /// the rebuild and leaves the old index in place.
    async fn replace_all(&self, kind: IndexKind, docs: Batches) -> SearchResult<()>;
    async fn search_complaints(&self, q: &ComplaintQuery) -> SearchResult<Hits>;
    async fn search_procedures(&self, q: &ProcedureQuery) -> SearchResult<Hits>;
    async fn search_units(&self, q: &UnitQuery) -> SearchResult<Hits>;
    async fn search_dialogues(&self, q: &DialogueQuery) -> SearchResult<Hits>;
    /// The dictionary in use changed (`Search::lexicon`): an engine that holds it in its
    /// settings takes it.
    async fn dictionary_changed(&self) -> SearchResult<()> {
        Ok(())
    }
}

/// The engine in use, with a switch operators and tests use to take it out of service: while
/// it is off every call reports `Unavailable`, writes queue in the outbox, and complaint
/// searches answer from the database, marked degraded.
#[derive(Clone)]
pub struct Search {
    engine: Arc<dyn SearchIndex>,
    out_of_service: Arc<AtomicBool>,
    /// The engine's settings are applied (`prepare` succeeded) since it last failed the
    /// indexer: until then the indexer writes nothing (an engine that creates an index on its
    /// first document would give it default settings) and tries `prepare` again.
    ready: Arc<AtomicBool>,
    /// The dictionary both the engine and the resolvers read.
    lexicon: Lexicon,
}

impl Search {
    /// `ready`: the engine's settings were applied; `lexicon`: the dictionary the engine reads.
    pub fn new(engine: Arc<dyn SearchIndex>, ready: bool, lexicon: Lexicon) -> Search {
        Search {
            engine,
            out_of_service: Arc::new(AtomicBool::new(false)),
            ready: Arc::new(AtomicBool::new(ready)),
            lexicon,
        }
    }

    pub fn lexicon(&self) -> &Lexicon {
        &self.lexicon
    }

    pub fn is_ready(&self) -> bool {
        self.ready.load(Ordering::SeqCst)
    }

    pub fn set_ready(&self, ready: bool) {
        self.ready.store(ready, Ordering::SeqCst);
    }

    pub fn set_out_of_service(&self, off: bool) {
        self.out_of_service.store(off, Ordering::SeqCst);
    }

    /// The engine, or `Unavailable` while out of service.
    pub fn engine(&self) -> SearchResult<&dyn SearchIndex> {
        if self.out_of_service.load(Ordering::SeqCst) {
            Err(SearchError::Unavailable("taken out of service".into()))
        } else {
            Ok(self.engine.as_ref())
        }
    }

    pub fn engine_name(&self) -> &'static str {
        self.engine.engine()
    }

    pub fn batch_limit(&self) -> u64 {
        self.engine.batch_limit()
    }
}

/// Opens the engine the configuration names: Meilisearch with `MEILI_URL`, else the embedded
/// index under the data directory. The engine starts with the dictionary in `db`, compiled
/// with the unit catalog's places (`synonyms::compile`).
pub async fn open(
    config: &crate::config::Config,
    db: &sea_orm::DatabaseConnection,
) -> anyhow::Result<Search> {
    let lexicon = Lexicon::new(
        synonyms::compile(db)
            .await
            .map_err(|e| anyhow::anyhow!("{}", e.message(crate::error::Lang::En)))?,
    );
    let engine: Arc<dyn SearchIndex> = match &config.meili_url {
        Some(url) => Arc::new(meili::MeiliIndex::new(
            url,
            config.meili_key.as_deref(),
            &config.meili_prefix,
            lexicon.clone(),
        )?),
        None => Arc::new(embedded::EmbeddedIndex::open(
            &config.data_dir.join("search"),
            lexicon.clone(),
        )?),
    };
    let prepared = engine.prepare().await;
    if let Err(e) = &prepared {
        // An engine that is down at start-up must not stop the portal: writes queue in the
        // outbox and searches fall back to the database until it answers; the indexer applies
        // the settings once it does (`outbox::run_indexer`).
        tracing::warn!(error = %e, engine = engine.engine(), "search engine not ready; continuing degraded");
    }
    Ok(Search::new(engine, prepared.is_ok(), lexicon))
}
