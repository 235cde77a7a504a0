//! The embedded engine: tantivy indexes under `./data/search/`, one per kind. Nothing to
//! install; one process writes them (several server instances need Meilisearch).
//!
//! Each document carries its text twice: as typed (lower case, marks kept) and folded
//! (`search::text::folded_for_index`). Every query word must match the folded field, exactly
//! or within its typo distance; codes match a separate raw field exactly.
//!
//! Complaints — a million of them, where common words each occur in a large share — are
//! searched on bitsets (`search::bitsets`): matches, totals and facets are bitset operations,
//! and ranking is by tiers (marked words as typed, then every word in the title, newest first
//! within a tier), so `Sở Tư pháp` ranks the department above every `hồ sơ … tư pháp`. The
//! small procedure and unit indexes rank with tantivy's BM25, the marked words as typed
//! forming their first tier too.

use std::collections::BTreeMap;
use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use async_trait::async_trait;
use entity::rating_score::Component;
use sea_orm::Iterable;
use tantivy::collector::{Count, TopDocs};
use tantivy::query::{
    AllQuery, BooleanQuery, FuzzyTermQuery, Occur, PhraseQuery, Query, RangeQuery, TermQuery,
    TermSetQuery,
};
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TEXT, Value,
};
use tantivy::{
    DocAddress, Index, IndexReader, IndexWriter, Order, ReloadPolicy, Searcher, TantivyDocument,
    Term,
};

use super::bitsets::{BitsetCache, Clause, Plan, SlotClauses, Tally};
use super::dictionary::{Dictionary, Lexicon, Slot};
use super::docs::component_key;
use super::text::{ParsedQuery, folded_for_index, typo_distance};
use super::{
    Batches, ComplaintQuery, ComplaintSort, DialogueQuery, Doc, Hits, IndexKind, ProcedureQuery,
    ProcedureSort, SearchError, SearchIndex, SearchResult, UnitQuery,
};

fn engine_err(e: impl std::fmt::Display) -> SearchError {
    SearchError::Engine(e.to_string())
}

/// One tantivy index with its writer and reader.
struct One {
    schema: Schema,
    _index: Index,
    writer: Mutex<IndexWriter>,
    reader: IndexReader,
    cache: Arc<BitsetCache>,
}

impl One {
    fn open(dir: &Path, schema: Schema, facets: &'static [&'static str]) -> anyhow::Result<One> {
        std::fs::create_dir_all(dir)?;
        let writer_of = |i: &Index| -> anyhow::Result<IndexWriter> {
            i.writer(WRITER_MEMORY).map_err(|e| match e {
                tantivy::TantivyError::LockFailure(
                    tantivy::directory::error::LockError::LockBusy,
                    _,
                ) => anyhow::Error::new(IndexBusy(dir.to_path_buf())),
                e => e.into(),
            })
        };
        let (index, writer) = match Index::open_in_dir(dir) {
            // Its writer first, before anything is changed: a folder another server holds is
            // left as it is.
            Ok(i) => {
                let w = writer_of(&i)?;
                if i.schema() == schema {
                    (i, w)
                } else {
                    // The schema changed with a new version: start afresh; `portal reindex` (or
                    // the start-up check) refills it from the database.
                    tracing::warn!(dir = %dir.display(), "search index schema changed; recreating it");
                    drop(w);
                    drop(i);
                    std::fs::remove_dir_all(dir)?;
                    std::fs::create_dir_all(dir)?;
                    let i = Index::create_in_dir(dir, schema.clone())?;
                    let w = writer_of(&i)?;
                    (i, w)
                }
            }
            Err(_) => {
                let i = Index::create_in_dir(dir, schema.clone())?;
                let w = writer_of(&i)?;
                (i, w)
            }
        };
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        Ok(One {
            schema,
            _index: index,
            writer: Mutex::new(writer),
            reader,
            cache: Arc::new(BitsetCache::new(facets)),
        })
    }

    fn f(&self, name: &str) -> Field {
        self.schema
            .get_field(name)
            .expect("field defined in the schema")
    }
}

/// Memory of an index writer.
const WRITER_MEMORY: usize = 48_000_000;

/// A second server on one data folder: the embedded engine has one writer per index.
#[derive(Debug)]
pub struct IndexBusy(pub PathBuf);

impl std::fmt::Display for IndexBusy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the search index in {} is in use by another portal server: the embedded search \
             engine has one writer per data folder. Give each server its own PORTAL_DATA_DIR, or \
             run several servers on PostgreSQL with Meilisearch (set MEILI_URL; see the README, \
             \"PostgreSQL and Meilisearch\")",
            self.0.display()
        )
    }
}

impl std::error::Error for IndexBusy {}

/// The embedded search engine.
pub struct EmbeddedIndex {
    dir: PathBuf,
    lexicon: Lexicon,
    complaints: Arc<One>,
    procedures: Arc<One>,
    units: Arc<One>,
    dialogues: Arc<One>,
}

fn text_fields(b: &mut tantivy::schema::SchemaBuilder) {
    b.add_text_field("id", STRING | STORED);
    b.add_text_field("orig", TEXT);
    b.add_text_field("fold", TEXT);
    b.add_text_field("codes", STRING);
}

fn complaints_schema() -> Schema {
    let mut b = Schema::builder();
    text_fields(&mut b);
    b.add_text_field("title_fold", TEXT);
    for f in [
        "unit",
        "procedure",
        "kind",
        "category",
        "status",
        "published",
        "dialogue",
        "concern",
    ] {
        b.add_text_field(f, STRING | FAST);
    }
    for f in ["received_at", "answer_due_at"] {
        b.add_i64_field(f, INDEXED | FAST);
    }
    b.add_u64_field("open", INDEXED | FAST);
    b.build()
}

fn satisfaction_fields(b: &mut tantivy::schema::SchemaBuilder) {
    for c in Component::iter() {
        let k = component_key(c);
        b.add_f64_field(&format!("sat_{k}_share"), INDEXED | FAST);
        b.add_f64_field(&format!("sat_{k}_mean"), FAST);
        b.add_u64_field(&format!("sat_{k}_count"), FAST);
    }
    b.add_f64_field("on_time", INDEXED | FAST);
}

fn procedures_schema() -> Schema {
    let mut b = Schema::builder();
    text_fields(&mut b);
    for f in ["unit", "field", "level"] {
        b.add_text_field(f, STRING | FAST);
    }
    for f in ["one_day", "retired"] {
        b.add_u64_field(f, INDEXED | FAST);
    }
    satisfaction_fields(&mut b);
    b.build()
}

fn dialogues_schema() -> Schema {
    let mut b = Schema::builder();
    text_fields(&mut b);
    for f in ["kind", "status", "host", "unit", "business", "public"] {
        b.add_text_field(f, STRING | FAST);
    }
    b.add_i64_field("starts_at", INDEXED | FAST);
    b.add_f64_field("starts_order", FAST);
    b.build()
}

fn units_schema() -> Schema {
    let mut b = Schema::builder();
    text_fields(&mut b);
    b.add_text_field("block", STRING | FAST);
    satisfaction_fields(&mut b);
    b.build()
}

impl EmbeddedIndex {
    pub fn open(dir: &Path, lexicon: Lexicon) -> anyhow::Result<EmbeddedIndex> {
        Ok(EmbeddedIndex {
            dir: dir.to_path_buf(),
            lexicon,
            complaints: Arc::new(One::open(
                &dir.join("complaints"),
                complaints_schema(),
                super::COMPLAINT_FACETS,
            )?),
            procedures: Arc::new(One::open(
                &dir.join("procedures"),
                procedures_schema(),
                super::PROCEDURE_FACETS,
            )?),
            units: Arc::new(One::open(
                &dir.join("units"),
                units_schema(),
                super::UNIT_FACETS,
            )?),
            dialogues: Arc::new(One::open(
                &dir.join("dialogues"),
                dialogues_schema(),
                super::DIALOGUE_FACETS,
            )?),
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn one(&self, k: IndexKind) -> Arc<One> {
        match k {
            IndexKind::Complaints => self.complaints.clone(),
            IndexKind::Procedures => self.procedures.clone(),
            IndexKind::Units => self.units.clone(),
            IndexKind::Dialogues => self.dialogues.clone(),
        }
    }
}

fn add_text(one: &One, d: &mut TantivyDocument, text: &str, codes: &[String]) {
    d.add_text(one.f("orig"), text);
    d.add_text(one.f("fold"), folded_for_index(text));
    for c in codes {
        d.add_text(one.f("codes"), c.to_uppercase());
    }
}

fn add_satisfaction(
    one: &One,
    d: &mut TantivyDocument,
    s: &super::SatisfactionFields,
    on_time: Option<f64>,
) {
    for c in Component::iter() {
        let k = component_key(c);
        let t = s.get(c);
        d.add_f64(one.f(&format!("sat_{k}_share")), t.share().unwrap_or(-1.0));
        d.add_f64(one.f(&format!("sat_{k}_mean")), t.mean().unwrap_or(-1.0));
        d.add_u64(one.f(&format!("sat_{k}_count")), t.answers);
    }
    d.add_f64(one.f("on_time"), on_time.unwrap_or(-1.0));
}

fn to_tantivy(one: &One, doc: &Doc, dict: &Dictionary) -> (String, TantivyDocument) {
    let mut d = TantivyDocument::default();
    match doc {
        Doc::Complaint(c) => {
            for concern in dict.concerns(&c.text()) {
                d.add_text(one.f("concern"), concern.key());
            }
            d.add_text(one.f("id"), &c.id);
            add_text(one, &mut d, &c.text(), &c.codes());
            // The units' names match words but never rank as typed marks.
            d.add_text(one.f("fold"), folded_for_index(&c.unit_names.join("\n")));
            d.add_text(one.f("title_fold"), folded_for_index(&c.title));
            d.add_text(one.f("unit"), &c.assigned_unit_id);
            if let Some(p) = &c.procedure_id {
                d.add_text(one.f("procedure"), p);
            }
            d.add_text(one.f("kind"), &c.kind);
            d.add_text(one.f("category"), &c.category);
            d.add_text(one.f("status"), &c.status);
            d.add_i64(one.f("received_at"), c.received_at);
            d.add_i64(one.f("answer_due_at"), c.answer_due_at);
            d.add_u64(one.f("open"), c.open as u64);
            d.add_text(one.f("published"), if c.published { "1" } else { "0" });
            for x in &c.dialogue_ids {
                d.add_text(one.f("dialogue"), x);
            }
            (c.id.clone(), d)
        }
        Doc::Procedure(p) => {
            d.add_text(one.f("id"), &p.id);
            add_text(
                one,
                &mut d,
                &format!("{}\n{}", p.name, p.field),
                std::slice::from_ref(&p.code),
            );
            for u in &p.unit_ids {
                d.add_text(one.f("unit"), u);
            }
            d.add_text(one.f("field"), crate::text::fold(&p.field));
            d.add_text(one.f("level"), &p.level);
            d.add_u64(one.f("one_day"), p.one_day as u64);
            d.add_u64(one.f("retired"), p.retired as u64);
            add_satisfaction(one, &mut d, &p.satisfaction, p.on_time_share);
            (p.id.clone(), d)
        }
        Doc::Unit(u) => {
            d.add_text(one.f("id"), &u.id);
            add_text(one, &mut d, &u.name, std::slice::from_ref(&u.code));
            d.add_text(one.f("block"), &u.block);
            add_satisfaction(one, &mut d, &u.satisfaction, u.on_time_share);
            (u.id.clone(), d)
        }
        Doc::Dialogue(x) => {
            d.add_text(one.f("id"), &x.id);
            add_text(one, &mut d, &x.text(), &[]);
            d.add_text(one.f("kind"), &x.kind);
            d.add_text(one.f("status"), &x.status);
            d.add_text(one.f("host"), &x.host_unit_id);
            for u in &x.unit_ids {
                d.add_text(one.f("unit"), u);
            }
            for b in &x.business_ids {
                d.add_text(one.f("business"), b);
            }
            d.add_text(one.f("public"), if x.public { "1" } else { "0" });
            d.add_i64(one.f("starts_at"), x.starts_at);
            d.add_f64(one.f("starts_order"), x.starts_at as f64);
            (x.id.clone(), d)
        }
    }
}

/// The typo distance to look a folded word up with: `None` for a word the index knows, which
/// matches as it is (a typo that makes another real word is not "corrected", and known words
/// skip the costly fuzzy automaton), or for a word too short for typos.
fn typo_lookup(searcher: &Searcher, fold_term: &Term, folded: &str) -> Option<u8> {
    let d = typo_distance(folded.chars().count());
    (d > 0 && searcher.doc_freq(fold_term).unwrap_or(0) == 0).then_some(d)
}

/// A query matching any of a slot's phrases in `field`: a word as a term, several words in a
/// row as a phrase.
fn phrases_query(one: &One, field: &str, alternatives: &[Vec<String>]) -> Box<dyn Query> {
    let f = one.f(field);
    let mut any: Vec<(Occur, Box<dyn Query>)> = alternatives
        .iter()
        .map(|p| -> (Occur, Box<dyn Query>) {
            let q: Box<dyn Query> = if p.len() == 1 {
                Box::new(TermQuery::new(
                    Term::from_field_text(f, &p[0]),
                    IndexRecordOption::WithFreqs,
                ))
            } else {
                Box::new(PhraseQuery::new(
                    p.iter().map(|w| Term::from_field_text(f, w)).collect(),
                ))
            };
            (Occur::Should, q)
        })
        .collect();
    if any.len() == 1 {
        any.remove(0).1
    } else {
        Box::new(BooleanQuery::new(any))
    }
}

/// The key a slot's bitset is kept under.
fn slot_key(field: &str, alternatives: &[Vec<String>]) -> String {
    let mut k = format!("{field}=");
    for p in alternatives {
        k.push_str(&p.join(" "));
        k.push('|');
    }
    k
}

/// Whether a slot's words carry marks (then it ranks first as typed).
fn marked(slot: &Slot) -> bool {
    slot.words.iter().any(ParsedQuery::has_marks)
}

/// A dictionary slot typed with marks ranks first where its own words stand as typed, or
/// where another phrase it finds stands (`sổ hồng` naming the land-use certificate): the
/// lists of terms (each list all required) of its first tier.
fn exact_lists(one: &One, slot: &Slot, alternatives: &[Vec<String>]) -> Vec<Vec<Term>> {
    let own: Vec<String> = slot.words.iter().map(|(_, f)| f.clone()).collect();
    let orig = one.f("orig");
    let fold = one.f("fold");
    std::iter::once(
        slot.words
            .iter()
            .map(|(t, _)| Term::from_field_text(orig, t))
            .collect(),
    )
    .chain(
        alternatives
            .iter()
            .filter(|p| **p != own)
            .map(|p| p.iter().map(|w| Term::from_field_text(fold, w)).collect()),
    )
    .collect()
}

/// The text of a query as required clauses: every code exactly, every dictionary phrase as
/// any of what it finds, and every other word in its folded form (an unknown word within its
/// typo distance). With `exact`, words typed with marks must match them as typed (the
/// original field): the first tier of the ranking.
fn text_clauses(one: &One, q: &ParsedQuery, exact: bool, dict: &Dictionary) -> Vec<Box<dyn Query>> {
    let searcher = one.reader.searcher();
    let mut out: Vec<Box<dyn Query>> = Vec::new();
    for c in &q.codes {
        out.push(Box::new(TermQuery::new(
            Term::from_field_text(one.f("codes"), c),
            IndexRecordOption::Basic,
        )));
    }
    for slot in dict.slots(&q.words) {
        if let Some(t) = slot.trigger {
            let alts = &dict.triggers[t].alternatives;
            if exact && marked(&slot) {
                let own: Vec<String> = slot.words.iter().map(|(_, f)| f.clone()).collect();
                let typed: Vec<String> = slot.words.iter().map(|(t, _)| t.clone()).collect();
                let others: Vec<Vec<String>> =
                    alts.iter().filter(|p| **p != own).cloned().collect();
                let mut any = vec![(Occur::Should, phrases_query(one, "orig", &[typed]))];
                if !others.is_empty() {
                    any.push((Occur::Should, phrases_query(one, "fold", &others)));
                }
                out.push(Box::new(BooleanQuery::new(any)));
            } else {
                out.push(phrases_query(one, "fold", alts));
            }
            continue;
        }
        let w = &slot.words[0];
        let (typed, folded) = w;
        if exact && ParsedQuery::has_marks(w) {
            out.push(Box::new(TermQuery::new(
                Term::from_field_text(one.f("orig"), typed),
                IndexRecordOption::WithFreqs,
            )));
            continue;
        }
        let fold_term = Term::from_field_text(one.f("fold"), folded);
        match typo_lookup(&searcher, &fold_term, folded) {
            Some(d) => out.push(Box::new(FuzzyTermQuery::new(fold_term, d, true))),
            None => out.push(Box::new(TermQuery::new(
                fold_term,
                IndexRecordOption::WithFreqs,
            ))),
        }
    }
    out
}

/// The text of a complaint search as bitset conditions: the codes (required), and per slot
/// what it matches (a word folded, an unknown one within its typo distance; a dictionary
/// phrase as any of what it finds), its first-tier condition (a marked word as typed) and its
/// title condition.
fn complaint_text(
    one: &One,
    searcher: &Searcher,
    q: &ParsedQuery,
    dict: &Dictionary,
) -> (Vec<Clause>, Vec<SlotClauses>) {
    let codes = q
        .codes
        .iter()
        .map(|c| Clause::Term(Term::from_field_text(one.f("codes"), c)))
        .collect();
    let mut slots = Vec::new();
    for slot in dict.slots(&q.words) {
        let label = slot.label();
        if let Some(t) = slot.trigger {
            let alts = &dict.triggers[t].alternatives;
            let terms = |field: &str| -> Vec<Vec<Term>> {
                let f = one.f(field);
                alts.iter()
                    .map(|p| p.iter().map(|w| Term::from_field_text(f, w)).collect())
                    .collect()
            };
            let exact = marked(&slot).then(|| {
                Clause::AnyOf(
                    format!("exact:{}|{}", label, slot_key("fold", alts)),
                    exact_lists(one, &slot, alts),
                )
            });
            slots.push(SlotClauses {
                label,
                matches: Clause::AnyOf(slot_key("fold", alts), terms("fold")),
                exact,
                title: Clause::AnyOf(slot_key("title_fold", alts), terms("title_fold")),
            });
            continue;
        }
        let (typed, folded) = &slot.words[0];
        let exact =
            marked(&slot).then(|| Clause::Term(Term::from_field_text(one.f("orig"), typed)));
        let fold_term = Term::from_field_text(one.f("fold"), folded);
        let title_term = Term::from_field_text(one.f("title_fold"), folded);
        let (matches, title) = match typo_lookup(searcher, &fold_term, folded) {
            // A typo word's expansion walks the term dictionary: its bitset is kept.
            Some(d) => (
                Clause::Kept(
                    format!("fold~{d}:{folded}"),
                    Box::new(FuzzyTermQuery::new(fold_term, d, true)),
                ),
                Clause::Kept(
                    format!("title_fold~{d}:{folded}"),
                    Box::new(FuzzyTermQuery::new(title_term, d, true)),
                ),
            ),
            None => (Clause::Term(fold_term), Clause::Term(title_term)),
        };
        slots.push(SlotClauses {
            label,
            matches,
            exact,
            title,
        });
    }
    (codes, slots)
}

/// What a search runs: every match (`all`) and, when the query carries marks, the first tier
/// of it whose marked words match as typed (`exact`), each with the filters.
struct Tiers {
    all: Box<dyn Query>,
    exact: Option<Box<dyn Query>>,
}

impl Tiers {
    fn new(one: &One, q: &ParsedQuery, filters: Vec<Box<dyn Query>>, dict: &Dictionary) -> Tiers {
        let with_filters = |text: Vec<Box<dyn Query>>| -> Box<dyn Query> {
            let mut clauses: Vec<Box<dyn Query>> = text;
            clauses.extend(filters.iter().map(|f| f.box_clone()));
            must_all(clauses)
        };
        let exact = dict
            .slots(&q.words)
            .iter()
            .any(marked)
            .then(|| with_filters(text_clauses(one, q, true, dict)));
        Tiers {
            all: with_filters(text_clauses(one, q, false, dict)),
            exact,
        }
    }
}

/// All clauses required, in one flat boolean query; everything when there are none.
fn must_all(mut clauses: Vec<Box<dyn Query>>) -> Box<dyn Query> {
    match clauses.len() {
        0 => Box::new(AllQuery),
        1 => clauses.remove(0),
        _ => Box::new(BooleanQuery::new(
            clauses.into_iter().map(|c| (Occur::Must, c)).collect(),
        )),
    }
}

fn term(one: &One, field: &str, v: &str) -> Box<dyn Query> {
    Box::new(TermQuery::new(
        Term::from_field_text(one.f(field), v),
        IndexRecordOption::Basic,
    ))
}

fn u64_is(one: &One, field: &str, v: u64) -> Box<dyn Query> {
    Box::new(TermQuery::new(
        Term::from_field_u64(one.f(field), v),
        IndexRecordOption::Basic,
    ))
}

fn i64_range(one: &One, field: &str, lo: Bound<i64>, hi: Bound<i64>) -> Box<dyn Query> {
    let f = one.f(field);
    Box::new(RangeQuery::new(
        lo.map(|v| Term::from_field_i64(f, v)),
        hi.map(|v| Term::from_field_i64(f, v)),
    ))
}

fn f64_range(one: &One, field: &str, lo: Bound<f64>, hi: Bound<f64>) -> Box<dyn Query> {
    let f = one.f(field);
    Box::new(RangeQuery::new(
        lo.map(|v| Term::from_field_f64(f, v)),
        hi.map(|v| Term::from_field_f64(f, v)),
    ))
}

/// How a search orders its hits.
enum SortBy {
    Score,
    F64(String, Order),
}

/// The page `offset..offset + limit` of a query's hits in the given order.
fn top(
    searcher: &Searcher,
    query: &dyn Query,
    sort: &SortBy,
    offset: usize,
    limit: usize,
) -> SearchResult<Vec<DocAddress>> {
    if limit == 0 {
        return Ok(Vec::new());
    }
    let top = TopDocs::with_limit(limit).and_offset(offset);
    Ok(match sort {
        SortBy::Score => searcher
            .search(query, &top.order_by_score())
            .map_err(engine_err)?
            .into_iter()
            .map(|(_, a)| a)
            .collect(),
        SortBy::F64(f, o) => searcher
            .search(query, &top.order_by_fast_field::<f64>(f, *o))
            .map_err(engine_err)?
            .into_iter()
            .map(|(_, a)| a)
            .collect(),
    })
}

/// Runs a query: the page of ids, the total and the facet counts. Relevance ranks the exact
/// tier first (every marked word as typed), then the rest of the matches.
fn run(
    one: &One,
    tiers: &Tiers,
    sort: SortBy,
    offset: usize,
    limit: usize,
    facets: bool,
) -> SearchResult<Hits> {
    let started = Instant::now();
    let searcher = one.reader.searcher();
    // Totals and facets: one pass over the matches, unscored.
    let (total, counts) = if facets {
        one.cache.retain(&searcher);
        searcher
            .search(
                tiers.all.as_ref(),
                &Tally {
                    cache: Some(one.cache.clone()),
                },
            )
            .map_err(engine_err)?
    } else {
        let n = searcher
            .search(tiers.all.as_ref(), &Count)
            .map_err(engine_err)?;
        (n as u64, BTreeMap::new())
    };
    let addrs = match (&sort, &tiers.exact) {
        (SortBy::Score, Some(exact)) => {
            let first = searcher
                .search(exact.as_ref(), &Count)
                .map_err(engine_err)?;
            let mut page = Vec::new();
            if offset < first {
                page = top(
                    &searcher,
                    exact.as_ref(),
                    &sort,
                    offset,
                    limit.min(first - offset),
                )?;
            }
            let rest_limit = limit - page.len();
            if rest_limit > 0 {
                let rest = BooleanQuery::new(vec![
                    (Occur::Must, tiers.all.box_clone()),
                    (Occur::MustNot, exact.box_clone()),
                ]);
                page.extend(top(
                    &searcher,
                    &rest,
                    &sort,
                    offset.saturating_sub(first),
                    rest_limit,
                )?);
            }
            page
        }
        _ => top(&searcher, tiers.all.as_ref(), &sort, offset, limit)?,
    };
    finish(one, &searcher, addrs, total, counts, facets, started)
}

/// Ids of the page's documents, and the facet counts most frequent first (the hundred first
/// of each, as Meilisearch's default).
fn finish(
    one: &One,
    searcher: &Searcher,
    addrs: Vec<DocAddress>,
    total: u64,
    counts: BTreeMap<String, BTreeMap<String, u64>>,
    facets: bool,
    started: Instant,
) -> SearchResult<Hits> {
    let id_field = one.f("id");
    let mut ids = Vec::with_capacity(addrs.len());
    for a in addrs {
        let d: TantivyDocument = searcher.doc(a).map_err(engine_err)?;
        if let Some(v) = d
            .get_first(id_field)
            .and_then(|v| v.as_str().map(str::to_string))
        {
            ids.push(v);
        }
    }
    let mut out_facets = BTreeMap::new();
    if facets {
        for f in one.cache.facet_names() {
            let mut values: Vec<(String, u64)> = counts
                .get(*f)
                .map(|m| m.iter().map(|(v, c)| (v.clone(), *c)).collect())
                .unwrap_or_default();
            values.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            values.truncate(100);
            out_facets.insert(f.to_string(), values);
        }
    }
    Ok(Hits {
        ids,
        total,
        facets: out_facets,
        took_ms: started.elapsed().as_secs_f64() * 1000.0,
        dropped: Vec::new(),
    })
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> SearchResult<T> + Send + 'static,
) -> SearchResult<T> {
    tokio::task::spawn_blocking(f).await.map_err(engine_err)?
}

#[async_trait]
impl SearchIndex for EmbeddedIndex {
    fn engine(&self) -> &'static str {
        "embedded"
    }

    async fn prepare(&self) -> SearchResult<()> {
        Ok(())
    }

    async fn upsert(&self, docs: Vec<Doc>) -> SearchResult<()> {
        let mut by_kind: BTreeMap<IndexKind, Vec<Doc>> = BTreeMap::new();
        for d in docs {
            by_kind.entry(d.kind()).or_default().push(d);
        }
        for (k, docs) in by_kind {
            let one = self.one(k);
            let dict = self.lexicon.current();
            blocking(move || {
                let writer = one.writer.lock().unwrap_or_else(|p| p.into_inner());
                let id = one.f("id");
                for d in &docs {
                    let (key, td) = to_tantivy(&one, d, &dict);
                    writer.delete_term(Term::from_field_text(id, &key));
                    writer.add_document(td).map_err(engine_err)?;
                }
                drop(writer);
                let mut writer = one.writer.lock().unwrap_or_else(|p| p.into_inner());
                writer.commit().map_err(engine_err)?;
                one.reader.reload().map_err(engine_err)?;
                Ok(())
            })
            .await?;
        }
        Ok(())
    }

    async fn delete(&self, kind: IndexKind, ids: Vec<String>) -> SearchResult<()> {
        let one = self.one(kind);
        blocking(move || {
            let mut writer = one.writer.lock().unwrap_or_else(|p| p.into_inner());
            let f = one.f("id");
            for id in &ids {
                writer.delete_term(Term::from_field_text(f, id));
            }
            writer.commit().map_err(engine_err)?;
            one.reader.reload().map_err(engine_err)?;
            Ok(())
        })
        .await
    }

    async fn replace_all(&self, kind: IndexKind, mut docs: Batches) -> SearchResult<()> {
        let one = self.one(kind);
        let dict = self.lexicon.current();
        blocking(move || {
            // The writer stays locked for the whole rebuild: the indexer's upserts wait, and
            // readers keep the old segments until the one commit at the end.
            let mut writer = one.writer.lock().unwrap_or_else(|p| p.into_inner());
            let mut fill = || -> SearchResult<()> {
                writer.delete_all_documents().map_err(engine_err)?;
                while let Some(batch) = docs.blocking_recv() {
                    for d in &batch.map_err(SearchError::Engine)? {
                        writer
                            .add_document(to_tantivy(&one, d, &dict).1)
                            .map_err(engine_err)?;
                    }
                }
                Ok(())
            };
            if let Err(e) = fill() {
                // Nothing of a failed rebuild may reach the next commit.
                writer.rollback().map_err(engine_err)?;
                return Err(e);
            }
            writer.commit().map_err(engine_err)?;
            one.reader.reload().map_err(engine_err)?;
            Ok(())
        })
        .await
    }

    async fn search_complaints(&self, q: &ComplaintQuery) -> SearchResult<Hits> {
        let one = self.complaints.clone();
        let q = q.clone();
        let dict = self.lexicon.current();
        blocking(move || {
            let started = Instant::now();
            let parsed = ParsedQuery::parse(&q.text);
            let tag = |field: &str, v: &str| Clause::Term(Term::from_field_text(one.f(field), v));
            let searcher = one.reader.searcher();
            let (mut required, slots) = complaint_text(&one, &searcher, &parsed, &dict);
            let has_codes = !required.is_empty();
            match q.scope_units.as_deref() {
                Some([u]) => required.push(tag("unit", u)),
                Some(units) => {
                    let f = one.f("unit");
                    required.push(Clause::Kept(
                        format!("unit:{}", units.join(",")),
                        Box::new(TermSetQuery::new(
                            units.iter().map(|u| Term::from_field_text(f, u)),
                        )),
                    ));
                }
                None => {}
            }
            if q.published_only {
                required.push(tag("published", "1"));
            }
            match q.status.as_slice() {
                [] => {}
                [one_status] => required.push(tag("status", one_status)),
                many => {
                    let f = one.f("status");
                    required.push(Clause::Kept(
                        format!("status:{}", many.join(",")),
                        Box::new(TermSetQuery::new(
                            many.iter().map(|s| Term::from_field_text(f, s)),
                        )),
                    ));
                }
            }
            if let Some(o) = q.open {
                required.push(Clause::Kept(
                    format!("open:{o}"),
                    Box::new(u64_is(&one, "open", u64::from(o))),
                ));
            }
            for (field, v) in [
                ("unit", &q.unit),
                ("kind", &q.kind),
                ("category", &q.category),
                ("procedure", &q.procedure),
                ("dialogue", &q.dialogue),
            ] {
                if let Some(v) = v {
                    required.push(tag(field, v));
                }
            }
            let overdue = || {
                BooleanQuery::new(vec![
                    (Occur::Must, u64_is(&one, "open", 1)),
                    (
                        Occur::Must,
                        i64_range(
                            &one,
                            "answer_due_at",
                            Bound::Unbounded,
                            Bound::Excluded(q.now),
                        ),
                    ),
                ])
            };
            match q.overdue {
                Some(true) => required.push(Clause::Query(Box::new(overdue()))),
                Some(false) => required.push(Clause::Query(Box::new(BooleanQuery::new(vec![
                    (Occur::Must, Box::new(AllQuery)),
                    (Occur::MustNot, Box::new(overdue())),
                ])))),
                None => {}
            }
            if q.from.is_some() || q.to.is_some() {
                required.push(Clause::Query(i64_range(
                    &one,
                    "received_at",
                    q.from.map_or(Bound::Unbounded, Bound::Included),
                    q.to.map_or(Bound::Unbounded, Bound::Excluded),
                )));
            }
            let (order_by, descending, tiered) = match q.sort {
                ComplaintSort::Relevance => ("received_at", true, !parsed.is_empty()),
                ComplaintSort::ReceivedDesc => ("received_at", true, false),
                ComplaintSort::ReceivedAsc => ("received_at", false, false),
                ComplaintSort::AnswerDueAsc => ("answer_due_at", false, false),
            };
            if let Some(c) = &q.concern {
                required.push(tag("concern", c));
            }
            let plan = Plan {
                required,
                slots,
                // Partial matches rank after full ones in relevance order; sorted by a date,
                // every word is required.
                partial: tiered,
                has_codes,
                order_by,
                descending,
                tiered,
            };
            one.cache.retain(&searcher);
            let found =
                super::bitsets::search(&one.cache, &searcher, &plan, q.offset, q.limit, q.facets)
                    .map_err(engine_err)?;
            let mut hits = finish(
                &one,
                &searcher,
                found.page,
                found.total,
                found.facets,
                q.facets,
                started,
            )?;
            hits.dropped = found.dropped;
            Ok(hits)
        })
        .await
    }

    async fn search_procedures(&self, q: &ProcedureQuery) -> SearchResult<Hits> {
        let one = self.procedures.clone();
        let q = q.clone();
        let dict = self.lexicon.current();
        blocking(move || {
            let parsed = ParsedQuery::parse(&q.text);
            let mut filters: Vec<Box<dyn Query>> = vec![u64_is(&one, "retired", 0)];
            if let Some(u) = &q.unit {
                filters.push(term(&one, "unit", u));
            }
            if let Some(f) = &q.field {
                filters.push(term(&one, "field", &crate::text::fold(f)));
            }
            if let Some(l) = &q.level {
                filters.push(term(&one, "level", l));
            }
            if let Some(o) = q.one_day {
                filters.push(u64_is(&one, "one_day", o as u64));
            }
            if let Some((c, min)) = q.min_satisfaction {
                let f = format!("sat_{}_share", component_key(c));
                filters.push(f64_range(&one, &f, Bound::Included(min), Bound::Unbounded));
            }
            if let Some((c, max)) = q.max_satisfaction {
                let f = format!("sat_{}_share", component_key(c));
                filters.push(f64_range(
                    &one,
                    &f,
                    Bound::Included(0.0),
                    Bound::Excluded(max),
                ));
            }
            let sort = match q.sort {
                ProcedureSort::Relevance if !parsed.is_empty() => SortBy::Score,
                ProcedureSort::Relevance => SortBy::F64("on_time".into(), Order::Desc),
                ProcedureSort::SatisfactionAsc(c) | ProcedureSort::SatisfactionDesc(c) => {
                    let f = format!("sat_{}_share", component_key(c));
                    // Procedures nobody has rated on this component have no share to sort by.
                    filters.push(f64_range(&one, &f, Bound::Included(0.0), Bound::Unbounded));
                    let o = if matches!(q.sort, ProcedureSort::SatisfactionAsc(_)) {
                        Order::Asc
                    } else {
                        Order::Desc
                    };
                    SortBy::F64(f, o)
                }
                ProcedureSort::OnTimeDesc => SortBy::F64("on_time".into(), Order::Desc),
            };
            let tiers = Tiers::new(&one, &parsed, filters, &dict);
            run(&one, &tiers, sort, q.offset, q.limit, q.facets)
        })
        .await
    }

    async fn search_units(&self, q: &UnitQuery) -> SearchResult<Hits> {
        let one = self.units.clone();
        let q = q.clone();
        let dict = self.lexicon.current();
        blocking(move || {
            let parsed = ParsedQuery::parse(&q.text);
            let mut filters: Vec<Box<dyn Query>> = Vec::new();
            if let Some(b) = &q.block {
                filters.push(term(&one, "block", b));
            }
            let tiers = Tiers::new(&one, &parsed, filters, &dict);
            let sort = if parsed.is_empty() {
                SortBy::F64("on_time".into(), Order::Desc)
            } else {
                SortBy::Score
            };
            run(&one, &tiers, sort, q.offset, q.limit, true)
        })
        .await
    }

    async fn search_dialogues(&self, q: &DialogueQuery) -> SearchResult<Hits> {
        let one = self.dialogues.clone();
        let q = q.clone();
        let dict = self.lexicon.current();
        blocking(move || {
            let parsed = ParsedQuery::parse(&q.text);
            let mut filters: Vec<Box<dyn Query>> = Vec::new();
            if let Some(v) = &q.visible {
                let mut any: Vec<(Occur, Box<dyn Query>)> =
                    vec![(Occur::Should, term(&one, "public", "1"))];
                if !v.units.is_empty() {
                    let f = one.f("unit");
                    any.push((
                        Occur::Should,
                        Box::new(TermSetQuery::new(
                            v.units.iter().map(|u| Term::from_field_text(f, u)),
                        )),
                    ));
                }
                if let Some(b) = &v.business {
                    any.push((Occur::Should, term(&one, "business", b)));
                }
                filters.push(Box::new(BooleanQuery::new(any)));
            }
            for (field, v) in [
                ("host", &q.host),
                ("kind", &q.kind),
                ("status", &q.status),
                ("business", &q.business),
            ] {
                if let Some(v) = v {
                    filters.push(term(&one, field, v));
                }
            }
            if q.from.is_some() || q.to.is_some() {
                filters.push(i64_range(
                    &one,
                    "starts_at",
                    q.from.map_or(Bound::Unbounded, Bound::Included),
                    q.to.map_or(Bound::Unbounded, Bound::Excluded),
                ));
            }
            let tiers = Tiers::new(&one, &parsed, filters, &dict);
            let sort = if parsed.is_empty() {
                SortBy::F64("starts_order".into(), Order::Desc)
            } else {
                SortBy::Score
            };
            run(&one, &tiers, sort, q.offset, q.limit, false)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::dictionary::{Dictionary, place_entries};
    use crate::search::{SatisfactionFields, UnitDoc};

    #[tokio::test]
    async fn a_place_typed_short_finds_its_unit() {
        let dir = tempfile::tempdir().unwrap();
        let lexicon = Lexicon::new(Dictionary::compile(
            0,
            crate::search::dictionary::default_entries(),
            place_entries(["Phường Bến Thành", "Phường Sài Gòn"]),
        ));
        let index = EmbeddedIndex::open(dir.path(), lexicon).unwrap();
        let unit = |id: &str, name: &str| {
            Doc::Unit(UnitDoc {
                id: id.into(),
                code: id.into(),
                name: name.into(),
                block: "COMMUNE".into(),
                parent_id: None,
                satisfaction: SatisfactionFields::default(),
                on_time_share: None,
            })
        };
        index
            .upsert(vec![
                unit("a", "Phường Bến Thành"),
                unit("b", "Phường Sài Gòn"),
            ])
            .await
            .unwrap();
        for q in [
            "P. Bến Thành",
            "p ben thanh",
            "phường bến thành",
            "ben thanh",
        ] {
            let h = index
                .search_units(&UnitQuery {
                    text: q.into(),
                    limit: 10,
                    ..Default::default()
                })
                .await
                .unwrap();
            assert_eq!(h.ids, vec!["a".to_string()], "{q}");
        }
    }
}
