//! The Meilisearch engine: a thin adapter over `meilisearch-sdk`, used when `MEILI_URL` is set.
//! It indexes the same documents as the embedded engine and is held to the same conformance
//! suite (`tests/api/search.rs`, run against it when `MEILI_URL` is set).
//!
//! Settings are applied idempotently at start-up: searchable, filterable and sortable
//! attributes, typo tolerance from three letters (Vietnamese syllables are short; the default
//! of five would tolerate none) and never on codes, and every query word required
//! (`matchingStrategy: all`; the default `last` drops trailing words). Queries are sent folded,
//! as the embedded engine matches them, so the two agree on what matches; ranking typed marks
//! first is the embedded engine's alone. Whole words only (`prefixSearch: disabled`, as the
//! embedded engine), no facet search, and complaint documents carry their folded text only:
//! what a batch builds is what a search uses (README, "Meilisearch at a million complaints").

use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use entity::rating_score::Component;
use meilisearch_sdk::client::{Client, SwapIndexes};
use meilisearch_sdk::search::{MatchingStrategies, Selectors};
use meilisearch_sdk::settings::{MinWordSizeForTypos, Settings, TypoToleranceSettings};
use meilisearch_sdk::task_info::TaskInfo;
use meilisearch_sdk::tasks::Task;
use sea_orm::Iterable;
use serde::Deserialize;
use serde_json::{Value, json};

use super::dictionary::{Dictionary, Lexicon, Slot};
use super::docs::component_key;
use super::text::{ParsedQuery, folded_for_index};
use super::{
    Batches, ComplaintQuery, ComplaintSort, DialogueQuery, Doc, Hits, IndexKind, ProcedureQuery,
    ProcedureSort, SearchError, SearchIndex, SearchResult, UnitQuery,
};

/// Documents per task sent to Meilisearch.
const CHUNK: usize = 5_000;
/// Tasks sent and not yet waited for: enough for Meilisearch to batch several together while
/// the next chunk is read from the database.
const IN_FLIGHT: usize = 4;

pub struct MeiliIndex {
    client: Client,
    /// For the settings the SDK does not carry (`prefixSearch`, `facetSearch`).
    http: reqwest::Client,
    url: String,
    key: Option<String>,
    prefix: String,
    /// Documents per task (`CHUNK`; smaller in tests).
    chunk: usize,
    /// The dictionary: its phrases are the indexes' `synonyms`, and queries are sent with
    /// each dictionary phrase as its key word (`Dictionary::key`).
    lexicon: Lexicon,
}

fn unavailable(e: impl std::fmt::Display) -> SearchError {
    SearchError::Unavailable(e.to_string())
}

/// How long one call to the engine may take (an upload of a chunk, a task's state). A hung
/// engine then answers as a stopped one does: the indexer retries later.
const CALL_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a search may take before it answers from the database, marked degraded.
const SEARCH_TIMEOUT: Duration = Duration::from_secs(5);

/// A call to the engine, bounded in time; its failure and its silence are `Unavailable`.
async fn timed<T, E: std::fmt::Display>(
    limit: Duration,
    call: impl std::future::Future<Output = Result<T, E>>,
) -> SearchResult<T> {
    match tokio::time::timeout(limit, call).await {
        Ok(r) => r.map_err(unavailable),
        Err(_) => Err(SearchError::Unavailable(format!(
            "no answer within {} s",
            limit.as_secs()
        ))),
    }
}

fn quote(v: &str) -> String {
    format!("\"{}\"", v.replace('\\', "\\\\").replace('"', "\\\""))
}

fn satisfaction_json(
    obj: &mut serde_json::Map<String, Value>,
    s: &super::SatisfactionFields,
    on_time: Option<f64>,
) {
    for c in Component::iter() {
        let k = component_key(c);
        let t = s.get(c);
        obj.insert(format!("sat_{k}_share"), json!(t.share().unwrap_or(-1.0)));
        obj.insert(format!("sat_{k}_mean"), json!(t.mean().unwrap_or(-1.0)));
        obj.insert(format!("sat_{k}_count"), json!(t.answers));
    }
    obj.insert("on_time".into(), json!(on_time.unwrap_or(-1.0)));
}

/// The JSON document the engine stores; complaints carry the concerns their text reads as.
pub fn to_json(doc: &Doc, dict: &Dictionary) -> Value {
    match doc {
        Doc::Complaint(c) => json!({
            "concern": dict.concerns(&c.text()).iter().map(|x| x.key()).collect::<Vec<_>>(),
            "id": c.id, "fold": folded_for_index(&c.match_text()),
            "title_fold": folded_for_index(&c.title),
            "codes": c.codes().iter().map(|x| x.to_uppercase()).collect::<Vec<_>>(),
            "unit": c.assigned_unit_id, "procedure": c.procedure_id, "kind": c.kind,
            "category": c.category, "status": c.status, "received_at": c.received_at,
            "answer_due_at": c.answer_due_at, "open": c.open, "published": c.published,
            "dialogue": c.dialogue_ids,
        }),
        Doc::Dialogue(d) => json!({
            "id": d.id, "orig": d.text(), "fold": folded_for_index(&d.text()), "codes": [],
            "kind": d.kind, "status": d.status, "host": d.host_unit_id, "unit": d.unit_ids,
            "business": d.business_ids, "public": d.public, "starts_at": d.starts_at,
        }),
        Doc::Procedure(p) => {
            let text = format!("{}\n{}", p.name, p.field);
            let mut v = json!({
                "id": p.id, "orig": text, "fold": folded_for_index(&text), "codes": [p.code.to_uppercase()],
                "unit": p.unit_ids, "field": crate::text::fold(&p.field), "level": p.level,
                "one_day": p.one_day, "retired": p.retired,
            });
            satisfaction_json(
                v.as_object_mut().expect("object"),
                &p.satisfaction,
                p.on_time_share,
            );
            v
        }
        Doc::Unit(u) => {
            let mut v = json!({
                "id": u.id, "orig": u.name, "fold": folded_for_index(&u.name), "codes": [u.code.to_uppercase()],
                "block": u.block,
            });
            satisfaction_json(
                v.as_object_mut().expect("object"),
                &u.satisfaction,
                u.on_time_share,
            );
            v
        }
    }
}

/// The settings of an index, as Meilisearch takes them on `PATCH /indexes/{uid}/settings`.
fn settings(kind: IndexKind, dict: &Dictionary) -> Value {
    let sat: Vec<String> = Component::iter()
        .map(|c| format!("sat_{}_share", component_key(c)))
        .chain(["on_time".to_string()])
        .collect();
    let (filterable, sortable): (Vec<String>, Vec<String>) = match kind {
        IndexKind::Complaints => (
            [
                "unit",
                "procedure",
                "kind",
                "category",
                "status",
                "received_at",
                "answer_due_at",
                "open",
                "published",
                "dialogue",
                "concern",
            ]
            .map(String::from)
            .to_vec(),
            ["received_at", "answer_due_at"].map(String::from).to_vec(),
        ),
        IndexKind::Procedures => (
            ["unit", "field", "level", "one_day", "retired"]
                .map(String::from)
                .into_iter()
                .chain(sat.clone())
                .collect(),
            sat.clone(),
        ),
        IndexKind::Units => (
            ["block".to_string()]
                .into_iter()
                .chain(sat.clone())
                .collect(),
            sat,
        ),
        IndexKind::Dialogues => (
            [
                "kind",
                "status",
                "host",
                "unit",
                "business",
                "public",
                "starts_at",
            ]
            .map(String::from)
            .to_vec(),
            vec!["starts_at".to_string()],
        ),
    };
    // Complaints rank as the embedded engine ranks them: every word, fewest typos, the title
    // before the body (`attributeRank`: which attribute matched, not where in it, which
    // `attribute` would also weigh), then newest first; an explicit sort (by date or due
    // date) goes first. Nothing ranks after the date, a millisecond apart: proximity and
    // exactness would only cost time.
    let (searchable, ranking): (&[&str], &[&str]) = match kind {
        IndexKind::Complaints => (
            &["title_fold", "fold", "codes"],
            &["sort", "words", "typo", "attributeRank", "received_at:desc"],
        ),
        _ => (
            &["fold", "orig", "codes"],
            &[
                "words",
                "typo",
                "proximity",
                "attribute",
                "sort",
                "exactness",
            ],
        ),
    };
    let synonyms = dict.meili_synonyms();
    let keys: Vec<String> = synonyms.keys().cloned().collect();
    let settings = Settings::new()
        .with_synonyms(
            synonyms
                .into_iter()
                .collect::<std::collections::HashMap<_, _>>(),
        )
        .with_searchable_attributes(searchable)
        .with_ranking_rules(ranking)
        .with_filterable_attributes(filterable)
        .with_sortable_attributes(sortable)
        .with_typo_tolerance(TypoToleranceSettings {
            enabled: Some(true),
            disable_on_attributes: Some(vec!["codes".into()]),
            // A phrase's key word is matched as it is: its typos would be noise.
            disable_on_words: Some(keys),
            min_word_size_for_typos: Some(MinWordSizeForTypos {
                one_typo: Some(3),
                two_typos: Some(8),
            }),
            disable_on_numbers: Some(true),
        });
    let mut v = serde_json::to_value(&settings).expect("settings serialise");
    let o = v.as_object_mut().expect("settings are an object");
    // The embedded engine matches whole words only, and nothing searches facet values: the
    // prefix and facet-search databases would be built for nothing, on every batch.
    o.insert("prefixSearch".into(), json!("disabled"));
    o.insert("facetSearch".into(), json!(false));
    if kind == IndexKind::Complaints {
        // Nothing ranks complaints by proximity (see above): word pairs by attribute, not by
        // distance, spare the largest database and a tenth of every batch's time.
        o.insert("proximityPrecision".into(), json!("byAttribute"));
    }
    v
}

/// The query string sent to Meilisearch: codes as exact phrases, each dictionary phrase as
/// its key word (its synonyms are what it finds), other words folded; with the slots.
fn query_string(q: &ParsedQuery, dict: &Dictionary) -> (String, Vec<Slot>) {
    let mut parts: Vec<String> = q.codes.iter().map(|c| quote(c)).collect();
    let slots = dict.slots(&q.words);
    parts.extend(slots.iter().map(slot_term));
    (parts.join(" "), slots)
}

/// What Meilisearch receives for a slot.
fn slot_term(s: &Slot) -> String {
    match s.trigger {
        Some(t) => Dictionary::key(t),
        None => s.words[0].1.clone(),
    }
}

#[derive(Deserialize)]
struct IdOnly {
    id: String,
}

impl MeiliIndex {
    pub fn new(
        url: &str,
        key: Option<&str>,
        prefix: &str,
        lexicon: Lexicon,
    ) -> anyhow::Result<MeiliIndex> {
        Ok(MeiliIndex {
            client: Client::new(url, key).map_err(|e| anyhow::anyhow!("MEILI_URL: {e}"))?,
            http: reqwest::Client::new(),
            url: url.trim_end_matches('/').to_string(),
            key: key.map(str::to_string),
            prefix: prefix.to_string(),
            chunk: CHUNK,
            lexicon,
        })
    }

    /// Sends at most `n` documents per task (tests use it to send many tasks with few
    /// documents).
    pub fn with_chunk(mut self, n: usize) -> MeiliIndex {
        self.chunk = n.max(1);
        self
    }

    fn uid(&self, kind: IndexKind) -> String {
        format!("{}{}", self.prefix, kind.name())
    }

    /// Deletes the indexes of this prefix, a rebuild's temporary ones included (what a test run
    /// made). Indexes that do not exist are skipped.
    pub async fn delete_indexes(&self) -> SearchResult<()> {
        for kind in IndexKind::ALL {
            let main = self.uid(kind);
            for uid in [format!("{main}_reindex"), main] {
                if let Ok(t) = timed(CALL_TIMEOUT, self.client.index(&uid).delete()).await {
                    let _ = self.wait(t).await;
                }
            }
        }
        Ok(())
    }

    /// Waits until the engine has applied a task. It polls at once and then every 2, 4, 8 …
    /// up to 50 ms: a small batch is applied in a few milliseconds, and a fixed 50 ms would
    /// be most of the time a new complaint takes to become searchable.
    async fn wait(&self, task: TaskInfo) -> SearchResult<()> {
        let started = Instant::now();
        let mut pause = Duration::from_millis(2);
        loop {
            match timed(CALL_TIMEOUT, self.client.get_task(&task)).await? {
                Task::Succeeded { .. } => return Ok(()),
                t @ Task::Failed { .. } => return Err(SearchError::Engine(format!("{t:?}"))),
                _ => {}
            }
            if started.elapsed() > Duration::from_secs(120) {
                return Err(unavailable(format!(
                    "task {} not applied after 120 s",
                    task.task_uid
                )));
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_millis(50));
        }
    }

    /// Applies an index's settings (creating the index if needed).
    async fn apply_settings(&self, uid: &str, kind: IndexKind) -> SearchResult<()> {
        let mut req = self
            .http
            .patch(format!("{}/indexes/{uid}/settings", self.url))
            .json(&settings(kind, &self.lexicon.current()));
        if let Some(k) = &self.key {
            req = req.bearer_auth(k);
        }
        let resp = timed(CALL_TIMEOUT, req.send()).await?;
        let status = resp.status();
        if !status.is_success() {
            let body = resp.text().await.unwrap_or_default();
            let msg = format!("settings of {uid}: {status} {body}");
            return Err(if status.is_server_error() {
                SearchError::Unavailable(msg)
            } else {
                SearchError::Engine(msg)
            });
        }
        let task: TaskInfo = timed(CALL_TIMEOUT, resp.json()).await?;
        self.wait(task).await
    }

    /// Sends documents in chunks without waiting for each: Meilisearch merges the tasks
    /// waiting in its queue into one batch, and a batch costs about a second on a large index
    /// whatever its size (its posting lists are rewritten once), so a rebuild is faster the
    /// more it sends at once. At most `IN_FLIGHT` chunks wait to be applied; the tasks still
    /// waiting are left in `pending` for `settle`.
    async fn put(
        &self,
        uid: &str,
        docs: &[Value],
        pending: &mut VecDeque<TaskInfo>,
    ) -> SearchResult<()> {
        for chunk in docs.chunks(self.chunk) {
            let index = self.client.index(uid);
            let task = timed(CALL_TIMEOUT, index.add_or_replace(chunk, Some("id"))).await?;
            pending.push_back(task);
            while pending.len() > IN_FLIGHT {
                let oldest = pending.pop_front().expect("not empty");
                self.wait(oldest).await?;
            }
        }
        Ok(())
    }

    /// Waits until every task sent is applied.
    async fn settle(&self, pending: &mut VecDeque<TaskInfo>) -> SearchResult<()> {
        while let Some(t) = pending.pop_front() {
            self.wait(t).await?;
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    async fn search(
        &self,
        kind: IndexKind,
        text: &str,
        filter: &str,
        sort: Option<&str>,
        offset: usize,
        limit: usize,
        facets: &[&str],
        partial: bool,
    ) -> SearchResult<Hits> {
        let started = Instant::now();
        let parsed = ParsedQuery::parse(text);
        let (_, mut slots) = query_string(&parsed, &self.lexicon.current());
        let partial =
            partial && (slots.len() > 1 || (!parsed.codes.is_empty() && !slots.is_empty()));
        if partial {
            // Rarest first among what the caller may see (the same filter), so that the `last`
            // strategy drops the most frequent first: Meilisearch's own `frequency` strategy
            // counts over the whole index, and which word it dropped would tell whether a word
            // stands in complaints the caller may not read.
            slots = self.by_frequency(kind, slots, filter).await?;
        }
        let mut parts: Vec<String> = parsed.codes.iter().map(|c| quote(c)).collect();
        parts.extend(slots.iter().map(slot_term));
        let q = parts.join(" ");
        let index = self.client.index(self.uid(kind));
        let sort_by: Vec<&str> = sort.into_iter().collect();
        let mut s = index.search();
        s.with_query(&q)
            .with_offset(offset)
            .with_limit(limit)
            .with_matching_strategy(if partial {
                // The last words (the most frequent) dropped first when not all match, ranked
                // after the full matches by the `words` rule: the embedded engine's levels.
                MatchingStrategies::LAST
            } else {
                MatchingStrategies::ALL
            })
            .with_attributes_to_retrieve(Selectors::Some(&["id"]))
            .with_facets(Selectors::Some(facets));
        if partial {
            s.with_show_ranking_score_details(true);
        }
        if !filter.is_empty() {
            s.with_filter(filter);
        }
        if !sort_by.is_empty() {
            s.with_sort(&sort_by);
        }
        let res = timed(SEARCH_TIMEOUT, s.execute::<IdOnly>()).await?;
        // The fewest words a hit of the page matched, of how many: the rest are the last ones.
        let fewest = res
            .hits
            .iter()
            .filter_map(|h| {
                let w = h.ranking_score_details.as_ref()?.get("words")?;
                Some((
                    w.get("matchingWords")?.as_u64()?,
                    w.get("maxMatchingWords")?.as_u64()?,
                ))
            })
            .min();
        let dropped: Vec<String> = match fewest {
            Some((m, max)) if m < max => {
                let n = ((max - m) as usize).min(slots.len());
                slots[slots.len() - n..].iter().map(Slot::label).collect()
            }
            _ => Vec::new(),
        };
        let mut out_facets = BTreeMap::new();
        for (k, m) in res.facet_distribution.unwrap_or_default() {
            let mut v: Vec<(String, u64)> = m.into_iter().map(|(a, n)| (a, n as u64)).collect();
            v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            out_facets.insert(k, v);
        }
        Ok(Hits {
            ids: res.hits.into_iter().map(|h| h.result.id).collect(),
            total: res.total_hits.or(res.estimated_total_hits).unwrap_or(0) as u64,
            facets: out_facets,
            took_ms: started.elapsed().as_secs_f64() * 1000.0,
            dropped,
        })
    }

    /// The slots in the order to send them: rarest first among the documents `filter` lets
    /// through, one matching nothing last (it is dropped first, as the embedded engine does).
    async fn by_frequency(
        &self,
        kind: IndexKind,
        slots: Vec<Slot>,
        filter: &str,
    ) -> SearchResult<Vec<Slot>> {
        let index = self.client.index(self.uid(kind));
        let mut freq: Vec<(u64, usize)> = Vec::with_capacity(slots.len());
        for (i, slot) in slots.iter().enumerate() {
            let term = slot_term(slot);
            let mut s = index.search();
            s.with_query(&term)
                .with_limit(0)
                .with_matching_strategy(MatchingStrategies::ALL);
            if !filter.is_empty() {
                s.with_filter(filter);
            }
            let r = timed(SEARCH_TIMEOUT, s.execute::<IdOnly>()).await?;
            let f = r.total_hits.or(r.estimated_total_hits).unwrap_or(0) as u64;
            freq.push((if f == 0 { u64::MAX } else { f }, i));
        }
        freq.sort();
        let mut slots: Vec<Option<Slot>> = slots.into_iter().map(Some).collect();
        Ok(freq
            .into_iter()
            .filter_map(|(_, i)| slots[i].take())
            .collect())
    }
}

fn and(parts: Vec<String>) -> String {
    parts.join(" AND ")
}

#[async_trait]
impl SearchIndex for MeiliIndex {
    fn engine(&self) -> &'static str {
        "meilisearch"
    }

    /// A batch costs Meilisearch about a second on a million documents whatever its size
    /// (every posting list a batch touches is rewritten once), so a backlog drains in large
    /// batches: 10,000 documents take about four seconds, a thousand about 1.3.
    fn batch_limit(&self) -> u64 {
        10_000
    }

    async fn prepare(&self) -> SearchResult<()> {
        for kind in IndexKind::ALL {
            self.apply_settings(&self.uid(kind), kind).await?;
        }
        Ok(())
    }

    /// The new dictionary's phrases become every index's synonyms (Meilisearch applies them
    /// to queries: nothing is reindexed).
    async fn dictionary_changed(&self) -> SearchResult<()> {
        self.prepare().await
    }

    async fn upsert(&self, docs: Vec<Doc>) -> SearchResult<()> {
        let mut by_kind: BTreeMap<IndexKind, Vec<Value>> = BTreeMap::new();
        let dict = self.lexicon.current();
        for d in &docs {
            by_kind.entry(d.kind()).or_default().push(to_json(d, &dict));
        }
        let mut pending = VecDeque::new();
        for (kind, values) in by_kind {
            self.put(&self.uid(kind), &values, &mut pending).await?;
        }
        self.settle(&mut pending).await
    }

    async fn delete(&self, kind: IndexKind, ids: Vec<String>) -> SearchResult<()> {
        let index = self.client.index(self.uid(kind));
        let task = timed(CALL_TIMEOUT, index.delete_documents(&ids)).await?;
        self.wait(task).await
    }

    async fn replace_all(&self, kind: IndexKind, mut docs: Batches) -> SearchResult<()> {
        // Build a temporary index, then swap it in: searches never see a partial index.
        let main = self.uid(kind);
        let tmp = format!("{main}_reindex");
        if let Ok(t) = timed(CALL_TIMEOUT, self.client.index(&tmp).delete()).await {
            let _ = self.wait(t).await;
        }
        self.apply_settings(&tmp, kind).await?;
        let mut pending = VecDeque::new();
        while let Some(batch) = docs.recv().await {
            // An aborted rebuild leaves the temporary index behind; the next one deletes it.
            let batch = batch.map_err(SearchError::Engine)?;
            let dict = self.lexicon.current();
            let values: Vec<Value> = batch.iter().map(|d| to_json(d, &dict)).collect();
            self.put(&tmp, &values, &mut pending).await?;
        }
        self.settle(&mut pending).await?;
        let swap = SwapIndexes {
            indexes: (main.clone(), tmp.clone()),
            rename: None,
        };
        let task = timed(CALL_TIMEOUT, self.client.swap_indexes([&swap])).await?;
        self.wait(task).await?;
        let task = timed(CALL_TIMEOUT, self.client.index(&tmp).delete()).await?;
        self.wait(task).await
    }

    async fn search_complaints(&self, q: &ComplaintQuery) -> SearchResult<Hits> {
        let mut f = Vec::new();
        if let Some(units) = &q.scope_units {
            let list: Vec<String> = units.iter().map(|u| quote(u)).collect();
            f.push(format!("unit IN [{}]", list.join(", ")));
        }
        if q.published_only {
            f.push("published = true".into());
        }
        for (field, v) in [
            ("unit", &q.unit),
            ("kind", &q.kind),
            ("category", &q.category),
            ("procedure", &q.procedure),
            ("dialogue", &q.dialogue),
            ("concern", &q.concern),
        ] {
            if let Some(v) = v {
                f.push(format!("{field} = {}", quote(v)));
            }
        }
        if !q.status.is_empty() {
            let list: Vec<String> = q.status.iter().map(|s| quote(s)).collect();
            f.push(format!("status IN [{}]", list.join(", ")));
        }
        match q.open {
            Some(true) => f.push("open = true".into()),
            Some(false) => f.push("open = false".into()),
            None => {}
        }
        match q.overdue {
            Some(true) => f.push(format!("(open = true AND answer_due_at < {})", q.now)),
            Some(false) => f.push(format!("NOT (open = true AND answer_due_at < {})", q.now)),
            None => {}
        }
        if let Some(from) = q.from {
            f.push(format!("received_at >= {from}"));
        }
        if let Some(to) = q.to {
            f.push(format!("received_at < {to}"));
        }
        let sort = match q.sort {
            ComplaintSort::Relevance if !q.text.trim().is_empty() => None,
            ComplaintSort::Relevance | ComplaintSort::ReceivedDesc => Some("received_at:desc"),
            ComplaintSort::ReceivedAsc => Some("received_at:asc"),
            ComplaintSort::AnswerDueAsc => Some("answer_due_at:asc"),
        };
        self.search(
            IndexKind::Complaints,
            &q.text,
            &and(f),
            sort,
            q.offset,
            q.limit,
            if q.facets {
                super::COMPLAINT_FACETS
            } else {
                &[]
            },
            sort.is_none() && !q.text.trim().is_empty(),
        )
        .await
    }

    async fn search_procedures(&self, q: &ProcedureQuery) -> SearchResult<Hits> {
        let mut f = vec!["retired = false".to_string()];
        if let Some(u) = &q.unit {
            f.push(format!("unit = {}", quote(u)));
        }
        if let Some(x) = &q.field {
            f.push(format!("field = {}", quote(&crate::text::fold(x))));
        }
        if let Some(l) = &q.level {
            f.push(format!("level = {}", quote(l)));
        }
        if let Some(o) = q.one_day {
            f.push(format!("one_day = {o}"));
        }
        if let Some((c, min)) = q.min_satisfaction {
            f.push(format!("sat_{}_share >= {min}", component_key(c)));
        }
        if let Some((c, max)) = q.max_satisfaction {
            f.push(format!(
                "sat_{k}_share >= 0 AND sat_{k}_share < {max}",
                k = component_key(c)
            ));
        }
        let sort_owned;
        let sort = match q.sort {
            ProcedureSort::Relevance if !q.text.trim().is_empty() => None,
            ProcedureSort::Relevance | ProcedureSort::OnTimeDesc => Some("on_time:desc"),
            ProcedureSort::SatisfactionAsc(c) | ProcedureSort::SatisfactionDesc(c) => {
                let k = component_key(c);
                f.push(format!("sat_{k}_share >= 0"));
                let dir = if matches!(q.sort, ProcedureSort::SatisfactionAsc(_)) {
                    "asc"
                } else {
                    "desc"
                };
                sort_owned = format!("sat_{k}_share:{dir}");
                Some(sort_owned.as_str())
            }
        };
        self.search(
            IndexKind::Procedures,
            &q.text,
            &and(f),
            sort,
            q.offset,
            q.limit,
            if q.facets {
                super::PROCEDURE_FACETS
            } else {
                &[]
            },
            false,
        )
        .await
    }

    async fn search_units(&self, q: &UnitQuery) -> SearchResult<Hits> {
        let f: Vec<String> = q
            .block
            .iter()
            .map(|b| format!("block = {}", quote(b)))
            .collect();
        let sort = q.text.trim().is_empty().then_some("on_time:desc");
        self.search(
            IndexKind::Units,
            &q.text,
            &and(f),
            sort,
            q.offset,
            q.limit,
            &["block"],
            false,
        )
        .await
    }

    async fn search_dialogues(&self, q: &DialogueQuery) -> SearchResult<Hits> {
        let mut f = Vec::new();
        if let Some(v) = &q.visible {
            let mut any = vec!["public = true".to_string()];
            if !v.units.is_empty() {
                let list: Vec<String> = v.units.iter().map(|u| quote(u)).collect();
                any.push(format!("unit IN [{}]", list.join(", ")));
            }
            if let Some(b) = &v.business {
                any.push(format!("business = {}", quote(b)));
            }
            f.push(format!("({})", any.join(" OR ")));
        }
        for (field, v) in [
            ("host", &q.host),
            ("kind", &q.kind),
            ("status", &q.status),
            ("business", &q.business),
        ] {
            if let Some(v) = v {
                f.push(format!("{field} = {}", quote(v)));
            }
        }
        if let Some(from) = q.from {
            f.push(format!("starts_at >= {from}"));
        }
        if let Some(to) = q.to {
            f.push(format!("starts_at < {to}"));
        }
        let sort = q.text.trim().is_empty().then_some("starts_at:desc");
        self.search(
            IndexKind::Dialogues,
            &q.text,
            &and(f),
            sort,
            q.offset,
            q.limit,
            &[],
            false,
        )
        .await
    }
}
