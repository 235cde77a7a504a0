//! The embedded engine: tantivy indexes under `./data/search/`, one per kind. Nothing to
//! install; one process writes them (several server instances need Meilisearch).
//!
//! Each document carries its text twice: as typed (lower case, marks kept) and folded
//! (`search::text::folded_for_index`). Every query word must match the folded field, exactly
//! or within its typo distance; a word typed with marks also scores on the original field, so
//! `Sở Tư pháp` ranks the department above every `hồ sơ … tư pháp`. Codes match a separate
//! raw field exactly.

use std::collections::BTreeMap;
use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use async_trait::async_trait;
use entity::rating_score::Component;
use sea_orm::Iterable;
use tantivy::aggregation::AggregationCollector;
use tantivy::aggregation::agg_req::Aggregations;
use tantivy::aggregation::agg_result::AggregationResults;
use tantivy::collector::{Count, TopDocs};
use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, FuzzyTermQuery, Occur, Query, RangeQuery, TermQuery,
    TermSetQuery,
};
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TEXT, Value,
};
use tantivy::{
    DocAddress, Index, IndexReader, IndexWriter, Order, ReloadPolicy, TantivyDocument, Term,
};

use super::docs::component_key;
use super::text::{ParsedQuery, folded_for_index, typo_distance};
use super::{
    ComplaintQuery, ComplaintSort, Doc, Hits, IndexKind, ProcedureQuery, ProcedureSort,
    SearchError, SearchIndex, SearchResult, UnitQuery,
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
}

impl One {
    fn open(dir: &Path, schema: Schema) -> anyhow::Result<One> {
        std::fs::create_dir_all(dir)?;
        let index = match Index::open_in_dir(dir) {
            Ok(i) if i.schema() == schema => i,
            Ok(_) => {
                // The schema changed with a new version: start afresh; `portal reindex` (or
                // the start-up check) refills it from the database.
                tracing::warn!(dir = %dir.display(), "search index schema changed; recreating it");
                std::fs::remove_dir_all(dir)?;
                std::fs::create_dir_all(dir)?;
                Index::create_in_dir(dir, schema.clone())?
            }
            Err(_) => Index::create_in_dir(dir, schema.clone())?,
        };
        let writer = index.writer(48_000_000)?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        Ok(One {
            schema,
            _index: index,
            writer: Mutex::new(writer),
            reader,
        })
    }

    fn f(&self, name: &str) -> Field {
        self.schema
            .get_field(name)
            .expect("field defined in the schema")
    }
}

/// The embedded search engine.
pub struct EmbeddedIndex {
    dir: PathBuf,
    complaints: Arc<One>,
    procedures: Arc<One>,
    units: Arc<One>,
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
    for f in ["unit", "procedure", "kind", "category", "status"] {
        b.add_text_field(f, STRING | FAST);
    }
    for f in ["received_at", "answer_due_at"] {
        b.add_i64_field(f, INDEXED | FAST);
    }
    for f in ["open", "published"] {
        b.add_u64_field(f, INDEXED | FAST);
    }
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

fn units_schema() -> Schema {
    let mut b = Schema::builder();
    text_fields(&mut b);
    b.add_text_field("block", STRING | FAST);
    satisfaction_fields(&mut b);
    b.build()
}

impl EmbeddedIndex {
    pub fn open(dir: &Path) -> anyhow::Result<EmbeddedIndex> {
        Ok(EmbeddedIndex {
            dir: dir.to_path_buf(),
            complaints: Arc::new(One::open(&dir.join("complaints"), complaints_schema())?),
            procedures: Arc::new(One::open(&dir.join("procedures"), procedures_schema())?),
            units: Arc::new(One::open(&dir.join("units"), units_schema())?),
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

fn to_tantivy(one: &One, doc: &Doc) -> (String, TantivyDocument) {
    let mut d = TantivyDocument::default();
    match doc {
        Doc::Complaint(c) => {
            d.add_text(one.f("id"), &c.id);
            add_text(one, &mut d, &c.text(), &c.codes());
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
            d.add_u64(one.f("published"), c.published as u64);
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
    }
}

/// The text part of a query: every word must match; `None` when there is no text. A word the
/// index knows is matched as it is; only an unknown word is looked up with its typo distance
/// (a typo that makes another real word is not "corrected", and known words skip the costly
/// fuzzy automaton).
fn text_query(one: &One, q: &ParsedQuery) -> Option<Box<dyn Query>> {
    let searcher = one.reader.searcher();
    if q.is_empty() {
        return None;
    }
    let mut must: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    for c in &q.codes {
        must.push((
            Occur::Must,
            Box::new(TermQuery::new(
                Term::from_field_text(one.f("codes"), c),
                IndexRecordOption::Basic,
            )),
        ));
    }
    for w in &q.words {
        let (typed, folded) = w;
        let fold_term = Term::from_field_text(one.f("fold"), folded);
        let mut should: Vec<(Occur, Box<dyn Query>)> = vec![(
            Occur::Should,
            Box::new(TermQuery::new(
                fold_term.clone(),
                IndexRecordOption::WithFreqs,
            )),
        )];
        let d = typo_distance(folded.chars().count());
        let known = searcher.doc_freq(&fold_term).unwrap_or(0) > 0;
        if d > 0 && !known {
            should.push((
                Occur::Should,
                Box::new(BoostQuery::new(
                    Box::new(FuzzyTermQuery::new(fold_term, d, true)),
                    0.3,
                )),
            ));
        }
        if ParsedQuery::has_marks(w) {
            should.push((
                Occur::Should,
                Box::new(BoostQuery::new(
                    Box::new(TermQuery::new(
                        Term::from_field_text(one.f("orig"), typed),
                        IndexRecordOption::WithFreqs,
                    )),
                    3.0,
                )),
            ));
        }
        must.push((Occur::Must, Box::new(BooleanQuery::new(should))));
    }
    Some(Box::new(BooleanQuery::new(must)))
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

/// Text and filters, all required.
fn combine(text: Option<Box<dyn Query>>, filters: Vec<Box<dyn Query>>) -> Box<dyn Query> {
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    match text {
        Some(t) => clauses.push((Occur::Must, t)),
        None => clauses.push((Occur::Must, Box::new(AllQuery))),
    }
    for f in filters {
        clauses.push((Occur::Must, f));
    }
    Box::new(BooleanQuery::new(clauses))
}

/// How a search orders its hits.
enum SortBy {
    Score,
    I64(&'static str, Order),
    F64(String, Order),
}

/// Runs a query: the page of ids, the total and the facet counts.
fn run(
    one: &One,
    query: &dyn Query,
    sort: SortBy,
    offset: usize,
    limit: usize,
    facets: &[&str],
) -> SearchResult<Hits> {
    let started = Instant::now();
    let searcher = one.reader.searcher();
    let top = TopDocs::with_limit(limit.max(1)).and_offset(offset);
    let aggs: Aggregations = serde_json::from_value(serde_json::Value::Object(
        facets
            .iter()
            .map(|f| {
                (
                    f.to_string(),
                    serde_json::json!({ "terms": { "field": f, "size": 100 } }),
                )
            })
            .collect(),
    ))
    .map_err(engine_err)?;
    // Facet counts walk every match: skipped when nobody asked for them.
    let agg =
        (!facets.is_empty()).then(|| AggregationCollector::from_aggs(aggs, Default::default()));
    let (addrs, total, agg_res): (Vec<DocAddress>, usize, Option<AggregationResults>) = match sort {
        SortBy::Score => {
            let (t, n, a) = searcher
                .search(query, &(top.order_by_score(), Count, agg))
                .map_err(engine_err)?;
            (t.into_iter().map(|(_, a)| a).collect(), n, a)
        }
        SortBy::I64(f, o) => {
            let (t, n, a) = searcher
                .search(query, &(top.order_by_fast_field::<i64>(f, o), Count, agg))
                .map_err(engine_err)?;
            (t.into_iter().map(|(_, a)| a).collect(), n, a)
        }
        SortBy::F64(f, o) => {
            let (t, n, a) = searcher
                .search(query, &(top.order_by_fast_field::<f64>(f, o), Count, agg))
                .map_err(engine_err)?;
            (t.into_iter().map(|(_, a)| a).collect(), n, a)
        }
    };
    let id_field = one.f("id");
    let mut ids = Vec::with_capacity(addrs.len());
    if limit > 0 {
        for a in addrs {
            let d: TantivyDocument = searcher.doc(a).map_err(engine_err)?;
            if let Some(v) = d
                .get_first(id_field)
                .and_then(|v| v.as_str().map(str::to_string))
            {
                ids.push(v);
            }
        }
    }
    let mut out_facets = BTreeMap::new();
    let json = match &agg_res {
        Some(a) => serde_json::to_value(a).map_err(engine_err)?,
        None => serde_json::Value::Null,
    };
    for f in facets {
        let buckets = json
            .get(*f)
            .and_then(|v| v.get("buckets"))
            .and_then(|b| b.as_array())
            .cloned()
            .unwrap_or_default();
        out_facets.insert(
            f.to_string(),
            buckets
                .iter()
                .filter_map(|b| {
                    Some((
                        b.get("key")?.as_str()?.to_string(),
                        b.get("doc_count")?.as_u64()?,
                    ))
                })
                .collect(),
        );
    }
    Ok(Hits {
        ids,
        total: total as u64,
        facets: out_facets,
        took_ms: started.elapsed().as_secs_f64() * 1000.0,
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
            blocking(move || {
                let writer = one.writer.lock().unwrap_or_else(|p| p.into_inner());
                let id = one.f("id");
                for d in &docs {
                    let (key, td) = to_tantivy(&one, d);
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

    async fn replace_all(&self, kind: IndexKind, docs: Vec<Doc>) -> SearchResult<()> {
        let one = self.one(kind);
        blocking(move || {
            let mut writer = one.writer.lock().unwrap_or_else(|p| p.into_inner());
            // Readers keep the old segments until the commit: the index is never seen empty.
            writer.delete_all_documents().map_err(engine_err)?;
            for d in &docs {
                writer
                    .add_document(to_tantivy(&one, d).1)
                    .map_err(engine_err)?;
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
        blocking(move || {
            let parsed = ParsedQuery::parse(&q.text);
            let mut filters: Vec<Box<dyn Query>> = Vec::new();
            if let Some(units) = &q.scope_units {
                let f = one.f("unit");
                filters.push(Box::new(TermSetQuery::new(
                    units.iter().map(|u| Term::from_field_text(f, u)),
                )));
            }
            if q.published_only {
                filters.push(u64_is(&one, "published", 1));
            }
            for (field, v) in [
                ("unit", &q.unit),
                ("status", &q.status),
                ("kind", &q.kind),
                ("category", &q.category),
                ("procedure", &q.procedure),
            ] {
                if let Some(v) = v {
                    filters.push(term(&one, field, v));
                }
            }
            match q.overdue {
                Some(true) => {
                    filters.push(u64_is(&one, "open", 1));
                    filters.push(i64_range(
                        &one,
                        "answer_due_at",
                        Bound::Unbounded,
                        Bound::Excluded(q.now),
                    ));
                }
                Some(false) => {
                    let overdue = BooleanQuery::new(vec![
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
                    ]);
                    filters.push(Box::new(BooleanQuery::new(vec![
                        (Occur::Must, Box::new(AllQuery)),
                        (Occur::MustNot, Box::new(overdue)),
                    ])));
                }
                None => {}
            }
            if q.from.is_some() || q.to.is_some() {
                filters.push(i64_range(
                    &one,
                    "received_at",
                    q.from.map_or(Bound::Unbounded, Bound::Included),
                    q.to.map_or(Bound::Unbounded, Bound::Excluded),
                ));
            }
            let query = combine(text_query(&one, &parsed), filters);
            let sort = match q.sort {
                ComplaintSort::Relevance if !parsed.is_empty() => SortBy::Score,
                ComplaintSort::Relevance | ComplaintSort::ReceivedDesc => {
                    SortBy::I64("received_at", Order::Desc)
                }
                ComplaintSort::ReceivedAsc => SortBy::I64("received_at", Order::Asc),
                ComplaintSort::AnswerDueAsc => SortBy::I64("answer_due_at", Order::Asc),
            };
            run(
                &one,
                query.as_ref(),
                sort,
                q.offset,
                q.limit,
                if q.facets {
                    super::COMPLAINT_FACETS
                } else {
                    &[]
                },
            )
        })
        .await
    }

    async fn search_procedures(&self, q: &ProcedureQuery) -> SearchResult<Hits> {
        let one = self.procedures.clone();
        let q = q.clone();
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
            let query = combine(text_query(&one, &parsed), filters);
            run(
                &one,
                query.as_ref(),
                sort,
                q.offset,
                q.limit,
                if q.facets {
                    super::PROCEDURE_FACETS
                } else {
                    &[]
                },
            )
        })
        .await
    }

    async fn search_units(&self, q: &UnitQuery) -> SearchResult<Hits> {
        let one = self.units.clone();
        let q = q.clone();
        blocking(move || {
            let parsed = ParsedQuery::parse(&q.text);
            let mut filters: Vec<Box<dyn Query>> = Vec::new();
            if let Some(b) = &q.block {
                filters.push(term(&one, "block", b));
            }
            let query = combine(text_query(&one, &parsed), filters);
            let sort = if parsed.is_empty() {
                SortBy::F64("on_time".into(), Order::Desc)
            } else {
                SortBy::Score
            };
            run(&one, query.as_ref(), sort, q.offset, q.limit, &["block"])
        })
        .await
    }
}
