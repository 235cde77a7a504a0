//! Complaint search on bitsets, for the embedded engine (what Meilisearch does with its
//! roaring bitmaps).
//!
//! Common words of a million complaints each occur in a large share of them, and intersecting
//! their posting lists document by document costs tens of milliseconds. Here every required
//! condition of a search becomes, per segment, a bitset of the documents that meet it; the
//! matches are the intersection of those bitsets, a few thousand word operations per
//! condition whatever the number of documents. The bitsets of common terms and of facet values
//! are kept per segment (a segment never changes once written; only its deletions do) until
//! the segment leaves the index; rare terms are read from their posting lists each time.
//!
//! Ranking is by tiers, as Meilisearch's ranking rules do rather than BM25: matches whose
//! marked words match as typed first (when the query carries marks), then matches with every
//! word in the title, and newest first within a tier. Totals and facet counts are bitset
//! populations.

use std::collections::{BTreeMap, BinaryHeap, HashMap, HashSet};
use std::sync::{Arc, Mutex};

use tantivy::index::SegmentId;
use tantivy::query::{EnableScoring, Query, Weight};
use tantivy::schema::IndexRecordOption;
use tantivy::{DocAddress, DocId, DocSet, Searcher, SegmentReader, TERMINATED, Term};

/// A set of documents of one segment.
#[derive(Clone)]
pub struct Bits(Vec<u64>);

impl Bits {
    pub fn new(max_doc: DocId) -> Bits {
        Bits(vec![0; (max_doc as usize).div_ceil(64)])
    }

    /// Every document below `max_doc`.
    pub fn full(max_doc: DocId) -> Bits {
        let mut b = Bits(vec![u64::MAX; (max_doc as usize).div_ceil(64)]);
        let tail = max_doc % 64;
        if tail != 0
            && let Some(last) = b.0.last_mut()
        {
            *last = (1u64 << tail) - 1;
        }
        b
    }

    #[inline]
    pub fn contains(&self, doc: DocId) -> bool {
        self.0
            .get((doc >> 6) as usize)
            .is_some_and(|w| w & (1u64 << (doc & 63)) != 0)
    }

    #[inline]
    pub fn insert(&mut self, doc: DocId) {
        self.0[(doc >> 6) as usize] |= 1u64 << (doc & 63);
    }

    pub fn len(&self) -> u64 {
        self.0.iter().map(|w| u64::from(w.count_ones())).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.0.iter().all(|w| *w == 0)
    }

    /// The size of the intersection (one `popcnt` a word: `.cargo/config.toml` builds for
    /// x86-64-v2).
    pub fn and_len(&self, other: &Bits) -> u64 {
        self.0
            .iter()
            .zip(&other.0)
            .map(|(a, b)| u64::from((a & b).count_ones()))
            .sum()
    }

    pub fn and(&mut self, other: &Bits) {
        for (a, b) in self.0.iter_mut().zip(&other.0) {
            *a &= b;
        }
    }

    pub fn and_not(&mut self, other: &Bits) {
        for (a, b) in self.0.iter_mut().zip(&other.0) {
            *a &= !b;
        }
    }

    /// Calls `f` with every member, in order (a tight loop, for the hot paths).
    #[inline]
    pub fn for_each(&self, mut f: impl FnMut(DocId)) {
        for (i, &word) in self.0.iter().enumerate() {
            let mut w = word;
            while w != 0 {
                f((i as u32) * 64 + w.trailing_zeros());
                w &= w - 1;
            }
        }
    }

    pub fn bytes(&self) -> usize {
        self.0.len() * 8
    }
}

/// A single-valued field's ordinals, one per document, in as few bytes as its values allow
/// (the largest number standing for "no value"): a few megabytes a million documents, which
/// stay in the processor's caches while a search counts its matches.
enum Narrow {
    U8(Vec<u8>),
    U16(Vec<u16>),
    U32(Vec<u32>),
}

impl Narrow {
    fn build(col: &tantivy::columnar::Column<u64>, max_doc: DocId, values: usize) -> Narrow {
        let ords = (0..max_doc).map(|d| col.first(d));
        if values < usize::from(u8::MAX) {
            Narrow::U8(ords.map(|o| o.map_or(u8::MAX, |o| o as u8)).collect())
        } else if values < usize::from(u16::MAX) {
            Narrow::U16(ords.map(|o| o.map_or(u16::MAX, |o| o as u16)).collect())
        } else {
            Narrow::U32(ords.map(|o| o.map_or(u32::MAX, |o| o as u32)).collect())
        }
    }

    fn get(&self, doc: DocId) -> Option<usize> {
        let d = doc as usize;
        match self {
            Narrow::U8(v) => v.get(d).filter(|o| **o != u8::MAX).map(|o| usize::from(*o)),
            Narrow::U16(v) => v
                .get(d)
                .filter(|o| **o != u16::MAX)
                .map(|o| usize::from(*o)),
            Narrow::U32(v) => v.get(d).filter(|o| **o != u32::MAX).map(|o| *o as usize),
        }
    }

    fn tally(&self, matches: &Bits, tally: &mut [u64]) {
        fn run<T: Copy + PartialEq + Into<u64>>(ords: &[T], none: T, m: &Bits, t: &mut [u64]) {
            m.for_each(|d| {
                if let Some(&o) = ords.get(d as usize)
                    && o != none
                    && let Some(n) = t.get_mut(o.into() as usize)
                {
                    *n += 1;
                }
            });
        }
        match self {
            Narrow::U8(v) => run(v, u8::MAX, matches, tally),
            Narrow::U16(v) => run(v, u16::MAX, matches, tally),
            Narrow::U32(v) => run(v, u32::MAX, matches, tally),
        }
    }
}

/// One segment's facet fields: each field's values and which document has which, as an
/// ordinal per document and as a bitset per value.
struct SegmentFacets {
    /// Field name and its values, in ordinal order.
    fields: Vec<(&'static str, Vec<String>)>,
    /// The single-valued fields: index into `fields`, ordinals, and each value's documents.
    single: Vec<(usize, Narrow, Vec<Bits>)>,
    /// The multi-valued fields (a procedure offered by several units), read from the column.
    multi: Vec<(usize, tantivy::columnar::Column<u64>)>,
    max_doc: DocId,
}

impl SegmentFacets {
    fn build(reader: &SegmentReader, names: &[&'static str]) -> tantivy::Result<SegmentFacets> {
        let max_doc = reader.max_doc();
        let mut fields = Vec::with_capacity(names.len());
        let mut single = Vec::new();
        let mut multi = Vec::new();
        for (i, name) in names.iter().enumerate() {
            let Some(col) = reader.fast_fields().str(name)? else {
                fields.push((*name, Vec::new()));
                continue;
            };
            let mut values = Vec::with_capacity(col.num_terms());
            for ord in 0..col.num_terms() {
                let mut value = String::new();
                col.ord_to_str(ord as u64, &mut value)?;
                values.push(value);
            }
            let ords = col.ords().clone();
            match ords.get_cardinality() {
                tantivy::columnar::Cardinality::Multivalued => multi.push((i, ords)),
                _ => {
                    let narrow = Narrow::build(&ords, max_doc, values.len());
                    let mut sets: Vec<Bits> =
                        (0..values.len()).map(|_| Bits::new(max_doc)).collect();
                    for d in 0..max_doc {
                        if let Some(o) = narrow.get(d)
                            && let Some(set) = sets.get_mut(o)
                        {
                            set.insert(d);
                        }
                    }
                    single.push((i, narrow, sets));
                }
            }
            fields.push((*name, values));
        }
        Ok(SegmentFacets {
            fields,
            single,
            multi,
            max_doc,
        })
    }

    /// Adds the facet values of `matches` to `counts` (values no match has are left out).
    fn count(&self, matches: &Bits, counts: &mut BTreeMap<String, BTreeMap<String, u64>>) {
        if matches.is_empty() {
            return;
        }
        let mut tallies: Vec<Vec<u64>> = self
            .fields
            .iter()
            .map(|(_, values)| vec![0; values.len()])
            .collect();
        // Each match reads its ordinals, while matches are few; past one document in eight,
        // intersecting the matches with each value's bitset costs less.
        let dense = matches.len() * 8 > u64::from(self.max_doc);
        for (f, narrow, sets) in &self.single {
            if dense {
                for (o, set) in sets.iter().enumerate() {
                    tallies[*f][o] = matches.and_len(set);
                }
            } else {
                narrow.tally(matches, &mut tallies[*f]);
            }
        }
        for (f, col) in &self.multi {
            matches.for_each(|doc| {
                for o in col.values_for_doc(doc) {
                    if let Some(n) = tallies[*f].get_mut(o as usize) {
                        *n += 1;
                    }
                }
            });
        }
        for ((field, values), tally) in self.fields.iter().zip(tallies) {
            let into = counts.entry(field.to_string()).or_default();
            for (v, n) in values.iter().zip(tally) {
                if n > 0 {
                    *into.entry(v.clone()).or_default() += n;
                }
            }
        }
    }
}

/// Terms in at least this share (1/n) of a segment's documents keep their bitset.
const DENSE: u64 = 64;
/// Above this many bytes of term bitsets, the cache starts afresh.
const TERM_CACHE_BYTES: usize = 256 << 20;

#[derive(Default)]
struct Cached {
    facets: HashMap<SegmentId, Arc<SegmentFacets>>,
    terms: HashMap<(SegmentId, Term), Arc<Bits>>,
    term_bytes: usize,
    /// Alive documents, with the number of deletions they were built for.
    alive: HashMap<SegmentId, (u32, Arc<Bits>)>,
    /// The searcher generation the entries were last pruned for.
    generation: Option<u64>,
    /// Values of the fields hits are ordered by, document by document, and the documents in
    /// that order.
    keys: HashMap<(SegmentId, &'static str), Arc<SortKeys>>,
}

/// A segment's values of an ordering field, and its documents sorted by (value, document).
pub struct SortKeys {
    values: Vec<i64>,
    order: Vec<DocId>,
}

/// The kept bitsets of one index.
pub struct BitsetCache {
    facet_names: &'static [&'static str],
    cached: Mutex<Cached>,
}

impl BitsetCache {
    pub fn new(facet_names: &'static [&'static str]) -> BitsetCache {
        BitsetCache {
            facet_names,
            cached: Mutex::new(Cached::default()),
        }
    }

    pub fn facet_names(&self) -> &'static [&'static str] {
        self.facet_names
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Cached> {
        self.cached.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Forgets the segments a searcher no longer has (merged away): once per reload, not per
    /// search.
    pub fn retain(&self, searcher: &Searcher) {
        let generation = searcher.generation().generation_id();
        let mut c = self.lock();
        if c.generation == Some(generation) {
            return;
        }
        c.generation = Some(generation);
        let live: HashSet<SegmentId> = searcher
            .segment_readers()
            .iter()
            .map(|r| r.segment_id())
            .collect();
        c.facets.retain(|id, _| live.contains(id));
        c.alive.retain(|id, _| live.contains(id));
        c.terms.retain(|(id, _), _| live.contains(id));
        c.keys.retain(|(id, _), _| live.contains(id));
        c.term_bytes = c.terms.values().map(|b| b.bytes()).sum();
    }

    fn facets(&self, reader: &SegmentReader) -> tantivy::Result<Arc<SegmentFacets>> {
        let id = reader.segment_id();
        if let Some(s) = self.lock().facets.get(&id) {
            return Ok(s.clone());
        }
        // Built outside the lock: other searches go on meanwhile.
        let built = Arc::new(SegmentFacets::build(reader, self.facet_names)?);
        self.lock().facets.insert(id, built.clone());
        Ok(built)
    }

    fn keys(&self, reader: &SegmentReader, field: &'static str) -> tantivy::Result<Arc<SortKeys>> {
        let key = (reader.segment_id(), field);
        if let Some(k) = self.lock().keys.get(&key) {
            return Ok(k.clone());
        }
        let col = reader.fast_fields().i64(field)?;
        let values: Vec<i64> = (0..reader.max_doc())
            .map(|d| col.first(d).unwrap_or(i64::MIN))
            .collect();
        let mut order: Vec<DocId> = (0..reader.max_doc()).collect();
        order.sort_unstable_by_key(|&d| (values[d as usize], d));
        let keys = Arc::new(SortKeys { values, order });
        self.lock().keys.insert(key, keys.clone());
        Ok(keys)
    }

    fn alive(&self, reader: &SegmentReader) -> Option<Arc<Bits>> {
        let alive = reader.alive_bitset()?;
        let id = reader.segment_id();
        let deleted = reader.num_deleted_docs();
        if let Some((n, b)) = self.lock().alive.get(&id)
            && *n == deleted
        {
            return Some(b.clone());
        }
        let mut b = Bits::new(reader.max_doc());
        for d in alive.iter_alive() {
            b.insert(d);
        }
        let b = Arc::new(b);
        self.lock().alive.insert(id, (deleted, b.clone()));
        Some(b)
    }

    fn term(&self, reader: &SegmentReader, term: &Term) -> tantivy::Result<Arc<Bits>> {
        let key = (reader.segment_id(), term.clone());
        if let Some(b) = self.lock().terms.get(&key) {
            return Ok(b.clone());
        }
        let max_doc = reader.max_doc();
        let mut bits = Bits::new(max_doc);
        let index = reader.inverted_index(term.field())?;
        let mut df = 0u64;
        if let Some(mut postings) = index.read_postings(term, IndexRecordOption::Basic)? {
            let mut d = postings.doc();
            while d != TERMINATED {
                bits.insert(d);
                df += 1;
                d = postings.advance();
            }
        }
        let bits = Arc::new(bits);
        if df * DENSE >= u64::from(max_doc) {
            let mut c = self.lock();
            if c.term_bytes + bits.bytes() > TERM_CACHE_BYTES {
                c.terms.clear();
                c.term_bytes = 0;
            }
            c.term_bytes += bits.bytes();
            c.terms.insert(key, bits.clone());
        }
        Ok(bits)
    }
}

/// One required condition: a term (its bitset may be kept), or any other query.
pub enum Clause {
    Term(Term),
    Query(Box<dyn Query>),
}

/// A condition made ready for a searcher.
enum Ready {
    Term(Term),
    Weight(Box<dyn Weight>),
}

fn ready(searcher: &Searcher, clauses: &[Clause]) -> tantivy::Result<Vec<Ready>> {
    clauses
        .iter()
        .map(|c| {
            Ok(match c {
                Clause::Term(t) => Ready::Term(t.clone()),
                Clause::Query(q) => {
                    Ready::Weight(q.weight(EnableScoring::disabled_from_searcher(searcher))?)
                }
            })
        })
        .collect()
}

/// The documents of a segment meeting every condition (all documents when there is none).
fn meet(
    cache: &BitsetCache,
    reader: &SegmentReader,
    conds: &[Ready],
) -> tantivy::Result<Option<Bits>> {
    let mut out: Option<Bits> = None;
    for c in conds {
        let bits: Arc<Bits> = match c {
            Ready::Term(t) => cache.term(reader, t)?,
            Ready::Weight(w) => {
                let mut b = Bits::new(reader.max_doc());
                w.for_each_no_score(reader, &mut |docs| {
                    for d in docs {
                        b.insert(*d);
                    }
                })?;
                Arc::new(b)
            }
        };
        match &mut out {
            None => out = Some((*bits).clone()),
            Some(o) => o.and(&bits),
        }
        if out.as_ref().is_some_and(Bits::is_empty) {
            break;
        }
    }
    Ok(out)
}

/// A complaint search made of conditions.
pub struct Plan {
    /// Required of every match: text and filters.
    pub required: Vec<Clause>,
    /// The first tier: marked words as typed (when the query has marks).
    pub exact: Vec<Clause>,
    /// The next tier: every word in the title (when the query has words).
    pub title: Vec<Clause>,
    /// The fast field the hits are ordered by within a tier, and whether descending.
    pub order_by: &'static str,
    pub descending: bool,
    /// Tiers apply (relevance order); otherwise only the field orders.
    pub tiered: bool,
}

/// What a plan finds: the page of hits, the total, and facet counts when asked.
pub struct Found {
    pub page: Vec<DocAddress>,
    pub total: u64,
    pub facets: BTreeMap<String, BTreeMap<String, u64>>,
}

pub fn search(
    cache: &BitsetCache,
    searcher: &Searcher,
    plan: &Plan,
    offset: usize,
    limit: usize,
    facets: bool,
) -> tantivy::Result<Found> {
    let required = ready(searcher, &plan.required)?;
    let exact = ready(searcher, &plan.exact)?;
    let title = ready(searcher, &plan.title)?;
    let mut total = 0u64;
    let mut counts: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
    // Per segment, the tiers in order, each a set of documents.
    let mut tiers_per_segment: Vec<Vec<Bits>> = Vec::new();
    for reader in searcher.segment_readers() {
        let max_doc = reader.max_doc();
        let mut matches = meet(cache, reader, &required)?.unwrap_or_else(|| Bits::full(max_doc));
        if let Some(alive) = cache.alive(reader) {
            matches.and(&alive);
        }
        total += matches.len();
        if facets && !matches.is_empty() {
            cache.facets(reader)?.count(&matches, &mut counts);
        }
        let mut tiers = vec![matches];
        if plan.tiered {
            for conds in [&exact, &title] {
                if conds.is_empty() {
                    continue;
                }
                let Some(set) = meet(cache, reader, conds)? else {
                    continue;
                };
                // Each tier splits in two: its members first, then the rest.
                let mut next = Vec::with_capacity(tiers.len() * 2);
                for t in tiers {
                    let mut members = set.clone();
                    members.and(&t);
                    let mut rest = t;
                    rest.and_not(&members);
                    next.push(members);
                    next.push(rest);
                }
                tiers = next;
            }
        }
        tiers_per_segment.push(tiers);
    }
    let page = page(cache, searcher, plan, &tiers_per_segment, offset, limit)?;
    Ok(Found {
        page,
        total,
        facets: counts,
    })
}

/// The page `offset..offset + limit`, walking the tiers in order, ordered by the plan's field
/// within each tier (ties: segment and document order).
fn page(
    cache: &BitsetCache,
    searcher: &Searcher,
    plan: &Plan,
    tiers: &[Vec<Bits>],
    offset: usize,
    limit: usize,
) -> tantivy::Result<Vec<DocAddress>> {
    let mut out = Vec::with_capacity(limit);
    if limit == 0 {
        return Ok(out);
    }
    let n_tiers = tiers.first().map_or(0, Vec::len);
    let mut skip = offset as u64;
    for t in 0..n_tiers {
        let count: u64 = tiers.iter().map(|s| s[t].len()).sum();
        if skip >= count {
            skip -= count;
            continue;
        }
        let need = limit - out.len();
        let k = skip as usize + need;
        // The k first of this tier across segments: (key, segment, doc), smallest first.
        let mut heap: BinaryHeap<(i64, u32, DocId)> = BinaryHeap::with_capacity(k + 1);
        let mut offer = |item: (i64, u32, DocId)| {
            if heap.len() < k {
                heap.push(item);
            } else if heap.peek().is_some_and(|top| item < *top) {
                heap.pop();
                heap.push(item);
            }
        };
        for (seg, reader) in searcher.segment_readers().iter().enumerate() {
            let keys = cache.keys(reader, plan.order_by)?;
            let members = &tiers[seg][t];
            let key = |doc: DocId| {
                let v = keys.values.get(doc as usize).copied().unwrap_or(i64::MIN);
                if plan.descending {
                    v.saturating_neg()
                } else {
                    v
                }
            };
            let n = members.len();
            if n * 256 >= u64::from(reader.max_doc()) {
                // Dense enough: walk the segment in order until k members are found (and
                // every member tied with the last), a few thousand steps at most.
                let mut found = 0;
                let mut last = None;
                let mut visit = |doc: DocId| -> bool {
                    if !members.contains(doc) {
                        return true;
                    }
                    let kv = key(doc);
                    if found >= k && last != Some(kv) {
                        return false;
                    }
                    found += 1;
                    last = Some(kv);
                    offer((kv, seg as u32, doc));
                    true
                };
                if plan.descending {
                    for &doc in keys.order.iter().rev() {
                        if !visit(doc) {
                            break;
                        }
                    }
                } else {
                    for &doc in &keys.order {
                        if !visit(doc) {
                            break;
                        }
                    }
                }
            } else {
                members.for_each(|doc| offer((key(doc), seg as u32, doc)));
            }
        }
        let mut first: Vec<(i64, u32, DocId)> = heap.into_vec();
        first.sort_unstable();
        out.extend(
            first
                .into_iter()
                .skip(skip as usize)
                .take(need)
                .map(|(_, seg, doc)| DocAddress::new(seg, doc)),
        );
        skip = 0;
        if out.len() == limit {
            break;
        }
    }
    Ok(out)
}

/// What a tally finds: the number of matches, and per facet field its values with counts.
pub type Tallied = (u64, BTreeMap<String, BTreeMap<String, u64>>);

/// A tantivy collector counting the matches of any query and, with a cache, their facet
/// values (the small procedure and unit indexes search through tantivy's own ranking).
pub struct Tally {
    pub cache: Option<Arc<BitsetCache>>,
}

pub struct TallySegment {
    matches: Bits,
    facets: Option<Arc<SegmentFacets>>,
}

impl tantivy::collector::Collector for Tally {
    type Fruit = Tallied;
    type Child = TallySegment;

    fn for_segment(
        &self,
        _ord: tantivy::SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<TallySegment> {
        Ok(TallySegment {
            matches: Bits::new(reader.max_doc()),
            facets: match &self.cache {
                Some(c) => Some(c.facets(reader)?),
                None => None,
            },
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<Tallied>) -> tantivy::Result<Tallied> {
        let mut total = 0;
        let mut facets: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
        for (n, f) in fruits {
            total += n;
            for (field, values) in f {
                let into = facets.entry(field).or_default();
                for (v, c) in values {
                    *into.entry(v).or_default() += c;
                }
            }
        }
        Ok((total, facets))
    }
}

impl tantivy::collector::SegmentCollector for TallySegment {
    type Fruit = Tallied;

    fn collect(&mut self, doc: DocId, _score: tantivy::Score) {
        self.matches.insert(doc);
    }

    fn collect_block(&mut self, docs: &[DocId]) {
        for d in docs {
            self.matches.insert(*d);
        }
    }

    fn harvest(self) -> Tallied {
        let total = self.matches.len();
        let mut facets = BTreeMap::new();
        if let Some(seg) = &self.facets {
            seg.count(&self.matches, &mut facets);
        }
        (total, facets)
    }
}

#[cfg(test)]
mod tests {
    use super::{Bits, BitsetCache, Clause, Plan, search};
    use tantivy::schema::{FAST, INDEXED, STRING, Schema, TEXT};
    use tantivy::{Index, TantivyDocument, Term};

    /// 2,000 documents: `common` in every other one, `rare` in four; dates with many ties.
    fn corpus() -> (Index, BitsetCache) {
        let mut b = Schema::builder();
        let text = b.add_text_field("fold", TEXT);
        let status = b.add_text_field("status", STRING | FAST);
        let at = b.add_i64_field("received_at", INDEXED | FAST);
        let index = Index::create_in_ram(b.build());
        let mut w = index
            .writer_with_num_threads::<TantivyDocument>(1, 15_000_000)
            .unwrap();
        for i in 0..2000i64 {
            let mut d = TantivyDocument::default();
            let mut words = vec!["x"];
            if i % 2 == 0 {
                words.push("common");
            }
            if i % 500 == 0 {
                words.push("rare");
            }
            d.add_text(text, words.join(" "));
            d.add_text(status, ["A", "B", "C"][(i % 3) as usize]);
            d.add_i64(at, (i * 7919) % 300);
            w.add_document(d).unwrap();
        }
        w.commit().unwrap();
        (index, BitsetCache::new(&["status"]))
    }

    /// What the search must return: the matching documents by (date, document), reversed
    /// dates when descending.
    fn expected(word: &str, descending: bool) -> Vec<u32> {
        let mut docs: Vec<(i64, u32)> = (0..2000i64)
            .filter(|i| match word {
                "common" => i % 2 == 0,
                _ => i % 500 == 0,
            })
            .map(|i| {
                let v = (i * 7919) % 300;
                (if descending { -v } else { v }, i as u32)
            })
            .collect();
        docs.sort();
        docs.into_iter().map(|(_, d)| d).collect()
    }

    #[test]
    fn pages_totals_and_facets_agree_with_a_plain_sort_dense_or_sparse() {
        let (index, cache) = corpus();
        let reader = index.reader().unwrap();
        let searcher = reader.searcher();
        let field = index.schema().get_field("fold").unwrap();
        for word in ["common", "rare"] {
            for descending in [true, false] {
                let plan = Plan {
                    required: vec![Clause::Term(Term::from_field_text(field, word))],
                    exact: vec![],
                    title: vec![],
                    order_by: "received_at",
                    descending,
                    tiered: false,
                };
                let want = expected(word, descending);
                let mut got = Vec::new();
                let mut offset = 0;
                loop {
                    let f = search(&cache, &searcher, &plan, offset, 7, true).unwrap();
                    assert_eq!(f.total, want.len() as u64);
                    let n = f.page.len();
                    got.extend(f.page.into_iter().map(|a| a.doc_id));
                    if n < 7 {
                        let statuses = &f.facets["status"];
                        let sum: u64 = statuses.values().sum();
                        assert_eq!(sum, want.len() as u64, "{word}");
                        let a = want.iter().filter(|d| *d % 3 == 0).count() as u64;
                        assert_eq!(statuses.get("A").copied().unwrap_or(0), a, "{word}");
                        break;
                    }
                    offset += 7;
                }
                assert_eq!(got, want, "{word}, descending {descending}");
            }
        }
    }

    fn members(b: &Bits) -> Vec<u32> {
        let mut out = Vec::new();
        b.for_each(|d| out.push(d));
        out
    }

    #[test]
    fn bitsets_count_intersect_and_iterate() {
        let mut a = Bits::new(200);
        let mut b = Bits::new(200);
        for d in [0, 63, 64, 130, 199] {
            a.insert(d);
        }
        for d in [63, 130, 131] {
            b.insert(d);
        }
        assert_eq!(a.len(), 5);
        assert_eq!(a.and_len(&b), 2);
        assert_eq!(members(&a), vec![0, 63, 64, 130, 199]);
        let mut c = a.clone();
        c.and(&b);
        assert_eq!(members(&c), vec![63, 130]);
        a.and_not(&b);
        assert_eq!(members(&a), vec![0, 64, 199]);
        let full = Bits::full(130);
        assert_eq!(full.len(), 130);
        assert_eq!(members(&full).last(), Some(&129));
        assert_eq!(a.bytes(), 32);
        assert!(Bits::new(10).is_empty());
    }
}
