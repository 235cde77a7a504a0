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
#[derive(Clone, Default)]
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

    /// A new set of the members of both (one pass, nothing zeroed or copied first).
    pub fn intersect(&self, other: &Bits) -> Bits {
        Bits(self.0.iter().zip(&other.0).map(|(a, b)| a & b).collect())
    }

    pub fn or(&mut self, other: &Bits) {
        for (a, b) in self.0.iter_mut().zip(&other.0) {
            *a |= b;
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

/// Single-valued facet fields counted together: each document holds one combined ordinal,
/// the sum over the pack's fields of (value ordinal × stride), where a document without a
/// value has the ordinal `values` (one slot past the last value). Counting a match is then one
/// read and one increment for several fields, and the per-field counts come from the few
/// thousand slots afterwards.
struct Pack {
    /// Field index into `SegmentFacets::fields`, its number of values, and its stride.
    members: Vec<(usize, usize, usize)>,
    /// The product of every member's values + 1.
    slots: usize,
    /// The combined ordinal of each document.
    ords: Vec<u16>,
    /// Per member, each value's documents (for matches too many to visit one by one).
    sets: Vec<Vec<Bits>>,
}

/// A multi-valued facet field of at most this many values in a segment keeps a bitset per
/// value (a complaint's concerns, the dialogues of a segment).
const MULTI_SETS: usize = 64;

/// At most this many slots a pack: its counters stay in the processor's first-level cache.
const PACK_SLOTS: usize = 4096;

impl Pack {
    /// Whether counting by value bitsets (a word of each value's bitset) costs less than
    /// visiting each match, taking a visit as five word operations (an estimate: the
    /// benchmark got faster with packs, it did not tune this ratio).
    fn by_bitsets(&self, matches: u64, words: usize) -> bool {
        let values: usize = self.members.iter().map(|(_, n, _)| n).sum();
        (values * words) as u64 <= matches * 5
    }
}

/// One segment's facet fields: their values, which document has which (combined ordinals in
/// packs, and a bitset per value), and the multi-valued fields' columns.
struct SegmentFacets {
    /// Field name and its values, in ordinal order.
    fields: Vec<(&'static str, Vec<String>)>,
    packs: Vec<Pack>,
    /// The multi-valued fields (a procedure offered by several units, a complaint's concerns),
    /// read from the column; also a field with more values than a pack holds. A field of few
    /// values also has a bitset per value, to count many matches by.
    multi: Vec<(usize, tantivy::columnar::Column<u64>, Option<Vec<Bits>>)>,
    max_doc: DocId,
}

impl SegmentFacets {
    fn build(reader: &SegmentReader, names: &[&'static str]) -> tantivy::Result<SegmentFacets> {
        let max_doc = reader.max_doc();
        let mut fields = Vec::with_capacity(names.len());
        let mut packs: Vec<Pack> = Vec::new();
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
            let n = values.len();
            fields.push((*name, values));
            if ords.get_cardinality() == tantivy::columnar::Cardinality::Multivalued
                || n + 1 > usize::from(u16::MAX)
            {
                let sets = (n <= MULTI_SETS).then(|| {
                    let mut sets: Vec<Bits> = (0..n).map(|_| Bits::new(max_doc)).collect();
                    for d in 0..max_doc {
                        for o in ords.values_for_doc(d) {
                            if let Some(set) = sets.get_mut(o as usize) {
                                set.insert(d);
                            }
                        }
                    }
                    sets
                });
                multi.push((i, ords, sets));
                continue;
            }
            let fits = packs
                .last()
                .is_some_and(|p| p.slots * (n + 1) <= PACK_SLOTS);
            if !fits {
                packs.push(Pack {
                    members: Vec::new(),
                    slots: 1,
                    ords: vec![0; max_doc as usize],
                    sets: Vec::new(),
                });
            }
            let Some(pack) = packs.last_mut() else {
                continue;
            };
            let stride = pack.slots;
            let mut sets: Vec<Bits> = (0..n).map(|_| Bits::new(max_doc)).collect();
            for (d, slot) in pack.ords.iter_mut().enumerate() {
                let o = ords.first(d as DocId).map_or(n, |o| (o as usize).min(n));
                if let Some(set) = sets.get_mut(o) {
                    set.insert(d as DocId);
                }
                *slot += (o * stride) as u16;
            }
            pack.members.push((i, n, stride));
            pack.slots *= n + 1;
            pack.sets.push(sets);
        }
        Ok(SegmentFacets {
            fields,
            packs,
            multi,
            max_doc,
        })
    }

    /// The facet counts of `matches`: per field, a count per value ordinal.
    fn count(&self, matches: &Bits) -> Vec<Vec<u64>> {
        let mut tallies: Vec<Vec<u64>> = self
            .fields
            .iter()
            .map(|(_, values)| vec![0; values.len()])
            .collect();
        let n = matches.len();
        if n == 0 {
            return tallies;
        }
        let words = (self.max_doc as usize).div_ceil(64);
        // Packs whose matches are counted one by one, in a single pass over the matches.
        let mut visit: Vec<(&Pack, Vec<u32>)> = Vec::new();
        for pack in &self.packs {
            if pack.by_bitsets(n, words) {
                for ((f, _, _), sets) in pack.members.iter().zip(&pack.sets) {
                    for (o, set) in sets.iter().enumerate() {
                        tallies[*f][o] = matches.and_len(set);
                    }
                }
            } else {
                visit.push((pack, vec![0; pack.slots]));
            }
        }
        // Slices taken before the loops, so that the counters' addresses stay in registers.
        match visit.as_mut_slice() {
            [] => {}
            [(p, t)] => {
                let (ords, t): (&[u16], &mut [u32]) = (&p.ords, t);
                matches.for_each(|d| {
                    if let Some(&s) = ords.get(d as usize)
                        && let Some(n) = t.get_mut(usize::from(s))
                    {
                        *n += 1;
                    }
                });
            }
            [(p, t), (q, u)] => {
                let (po, t): (&[u16], &mut [u32]) = (&p.ords, t);
                let (qo, u): (&[u16], &mut [u32]) = (&q.ords, u);
                matches.for_each(|d| {
                    let d = d as usize;
                    if let (Some(&s), Some(&r)) = (po.get(d), qo.get(d))
                        && let (Some(n), Some(m)) =
                            (t.get_mut(usize::from(s)), u.get_mut(usize::from(r)))
                    {
                        *n += 1;
                        *m += 1;
                    }
                });
            }
            more => matches.for_each(|d| {
                for (p, t) in more.iter_mut() {
                    if let Some(&s) = p.ords.get(d as usize) {
                        t[usize::from(s)] += 1;
                    }
                }
            }),
        }
        for (pack, slots) in visit {
            // The slot's digit per member, advanced like an odometer (no division).
            let mut digits = vec![0usize; pack.members.len()];
            for &c in &slots {
                if c > 0 {
                    for (&(f, n, _), &o) in pack.members.iter().zip(&digits) {
                        if o < n {
                            tallies[f][o] += u64::from(c);
                        }
                    }
                }
                for (digit, &(_, n, _)) in digits.iter_mut().zip(&pack.members) {
                    *digit += 1;
                    if *digit <= n {
                        break;
                    }
                    *digit = 0;
                }
            }
        }
        for (f, col, sets) in &self.multi {
            if let Some(sets) = sets
                && sets.len() * words <= (n as usize).saturating_mul(5)
            {
                for (o, set) in sets.iter().enumerate() {
                    tallies[*f][o] = matches.and_len(set);
                }
                continue;
            }
            matches.for_each(|doc| {
                for o in col.values_for_doc(doc) {
                    if let Some(n) = tallies[*f].get_mut(o as usize) {
                        *n += 1;
                    }
                }
            });
        }
        tallies
    }
}

/// Facet counts summed over segments, keyed by the segments' own value strings.
#[derive(Default)]
struct FacetSum<'a>(BTreeMap<&'static str, BTreeMap<&'a str, u64>>);

impl<'a> FacetSum<'a> {
    fn add(&mut self, seg: &'a SegmentFacets, tallies: &[Vec<u64>]) {
        for ((field, values), tally) in seg.fields.iter().zip(tallies) {
            let into = self.0.entry(field).or_default();
            for (v, &n) in values.iter().zip(tally) {
                if n > 0 {
                    *into.entry(v.as_str()).or_default() += n;
                }
            }
        }
    }

    fn owned(self) -> BTreeMap<String, BTreeMap<String, u64>> {
        self.0
            .into_iter()
            .map(|(f, values)| {
                let values = values
                    .into_iter()
                    .map(|(v, n)| (v.to_string(), n))
                    .collect();
                (f.to_string(), values)
            })
            .collect()
    }
}

/// Terms in at least this share (1/n) of a segment's documents keep their bitset.
const DENSE: u64 = 64;
/// At most this many bytes of kept term and condition bitsets: past it, the least recently
/// used go until a quarter of it is free.
const TERM_CACHE_BYTES: usize = 256 << 20;

/// What a kept bitset is of: a term, or another condition named by a key (a typo word's
/// expansion, a district's units), as Lucene's query cache keeps filters.
#[derive(Clone, PartialEq, Eq, Hash)]
enum KeptKey {
    Term(Term),
    Query(String),
}

/// A kept bitset and when it was last used (a tick of `Cached::tick`).
struct Kept {
    bits: Arc<Bits>,
    used: u64,
}

#[derive(Default)]
struct Cached {
    facets: HashMap<SegmentId, Arc<SegmentFacets>>,
    /// Bitsets of common terms and of costly conditions.
    kept: HashMap<(SegmentId, KeptKey), Kept>,
    /// The bytes of `kept`.
    term_bytes: usize,
    /// Counts uses of kept bitsets, to find the least recently used.
    tick: u64,
    /// Alive documents, with the number of deletions they were built for.
    alive: HashMap<SegmentId, (u32, Arc<Bits>)>,
    /// The searcher generation the entries were last pruned for.
    generation: Option<u64>,
    /// Values of the fields hits are ordered by, document by document, and the documents in
    /// that order.
    keys: HashMap<(SegmentId, &'static str), Arc<SortKeys>>,
}

impl Cached {
    fn touch(&mut self) -> u64 {
        self.tick += 1;
        self.tick
    }

    /// A kept bitset, marked used.
    fn get(&mut self, key: &(SegmentId, KeptKey)) -> Option<Arc<Bits>> {
        let now = self.touch();
        let k = self.kept.get_mut(key)?;
        k.used = now;
        Some(k.bits.clone())
    }

    /// Keeps `bits` under `key`, or returns what another search kept there meanwhile.
    fn keep(&mut self, key: (SegmentId, KeptKey), bits: Arc<Bits>) -> Arc<Bits> {
        if let Some(k) = self.kept.get(&key) {
            return k.bits.clone();
        }
        self.make_room(bits.bytes());
        let used = self.touch();
        self.kept.insert(
            key,
            Kept {
                bits: bits.clone(),
                used,
            },
        );
        bits
    }

    /// Makes room for `bytes` more: past the budget, the least recently used bitsets go
    /// until a quarter of the budget is free.
    fn make_room(&mut self, bytes: usize) {
        self.make_room_within(bytes, TERM_CACHE_BYTES);
    }

    fn make_room_within(&mut self, bytes: usize, budget: usize) {
        if self.term_bytes + bytes > budget {
            let mut uses: Vec<(u64, usize)> = self
                .kept
                .values()
                .map(|k| (k.used, k.bits.bytes()))
                .collect();
            uses.sort_unstable();
            let target = (budget * 3 / 4).saturating_sub(bytes);
            let mut left = self.term_bytes;
            let mut cutoff = 0;
            for (used, b) in uses {
                if left <= target {
                    break;
                }
                left -= b;
                cutoff = used;
            }
            self.kept.retain(|_, k| k.used > cutoff);
            self.term_bytes = left;
        }
        self.term_bytes += bytes;
    }
}

/// The documents of a segment a weight matches.
fn weight_bits(reader: &SegmentReader, weight: &dyn Weight) -> tantivy::Result<Bits> {
    let mut b = Bits::new(reader.max_doc());
    weight.for_each_no_score(reader, &mut |docs| {
        for d in docs {
            b.insert(*d);
        }
    })?;
    Ok(b)
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
        c.kept.retain(|(id, _), _| live.contains(id));
        c.keys.retain(|(id, _), _| live.contains(id));
        c.term_bytes = c.kept.values().map(|k| k.bits.bytes()).sum();
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
        let key = (reader.segment_id(), KeptKey::Term(term.clone()));
        if let Some(b) = self.lock().get(&key) {
            return Ok(b);
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
            return Ok(self.lock().keep(key, bits));
        }
        Ok(bits)
    }

    /// The documents holding every term of one of `alternatives` (each a dictionary phrase's
    /// words, in the same field), kept under `key`.
    fn any_of(
        &self,
        reader: &SegmentReader,
        key: &str,
        alternatives: &[Vec<Term>],
    ) -> tantivy::Result<Arc<Bits>> {
        let kept = (reader.segment_id(), KeptKey::Query(key.to_string()));
        if let Some(b) = self.lock().get(&kept) {
            return Ok(b);
        }
        let mut out = Bits::new(reader.max_doc());
        for alt in alternatives {
            let mut all: Option<Bits> = None;
            for t in alt {
                let b = self.term(reader, t)?;
                all = Some(match all {
                    None => (*b).clone(),
                    Some(mut a) => {
                        a.and(&b);
                        a
                    }
                });
                if all.as_ref().is_some_and(Bits::is_empty) {
                    break;
                }
            }
            if let Some(a) = all {
                out.or(&a);
            }
        }
        Ok(self.lock().keep(kept, Arc::new(out)))
    }

    /// The documents of a segment meeting a condition named `key`, kept whatever their number
    /// (computing them costs more than their bitset: a typo word walks the term dictionary).
    fn query<'w>(
        &self,
        reader: &SegmentReader,
        key: &str,
        weight: impl FnOnce() -> tantivy::Result<&'w Box<dyn Weight>>,
    ) -> tantivy::Result<Arc<Bits>> {
        let key = (reader.segment_id(), KeptKey::Query(key.to_string()));
        if let Some(b) = self.lock().get(&key) {
            return Ok(b);
        }
        let bits = Arc::new(weight_bits(reader, weight()?.as_ref())?);
        Ok(self.lock().keep(key, bits))
    }
}

/// One required condition: a term (its bitset may be kept), a query whose bitset is kept
/// under a key naming it, or any other query.
pub enum Clause {
    Term(Term),
    /// Every term of one of the lists (a dictionary phrase's words in one field, as
    /// Meilisearch matches a phrase by attribute), kept under the key.
    AnyOf(String, Vec<Vec<Term>>),
    Kept(String, Box<dyn Query>),
    Query(Box<dyn Query>),
}

/// A condition made ready for a searcher. A kept query's weight (a typo word's automaton)
/// is built only when a segment lacks its bitset.
enum Ready<'a> {
    Term(&'a Term),
    AnyOf(&'a str, &'a [Vec<Term>]),
    Kept(&'a str, &'a dyn Query, std::sync::OnceLock<Box<dyn Weight>>),
    Weight(Box<dyn Weight>),
}

fn ready<'a>(searcher: &Searcher, clauses: &'a [Clause]) -> tantivy::Result<Vec<Ready<'a>>> {
    clauses
        .iter()
        .map(|c| {
            Ok(match c {
                Clause::Term(t) => Ready::Term(t),
                Clause::AnyOf(k, alts) => Ready::AnyOf(k, alts),
                Clause::Kept(key, q) => Ready::Kept(key, q.as_ref(), std::sync::OnceLock::new()),
                Clause::Query(q) => {
                    Ready::Weight(q.weight(EnableScoring::disabled_from_searcher(searcher))?)
                }
            })
        })
        .collect()
}

/// The documents of a segment meeting every condition and alive (`None` when there is no
/// condition and no deletion: every document). One condition's bitset is shared as it is;
/// several are intersected into a new one.
fn meet<'r, 'a: 'r>(
    cache: &BitsetCache,
    searcher: &Searcher,
    reader: &SegmentReader,
    conds: impl IntoIterator<Item = &'r Ready<'a>>,
    alive: Option<Arc<Bits>>,
) -> tantivy::Result<Option<Arc<Bits>>> {
    let mut out: Option<Arc<Bits>> = None;
    let sets = conds
        .into_iter()
        .map(|c| match c {
            Ready::Term(t) => cache.term(reader, t),
            Ready::AnyOf(k, alts) => cache.any_of(reader, k, alts),
            Ready::Kept(key, q, w) => cache.query(reader, key, || {
                if let Some(w) = w.get() {
                    return Ok(w);
                }
                let built = q.weight(EnableScoring::disabled_from_searcher(searcher))?;
                Ok(w.get_or_init(|| built))
            }),
            Ready::Weight(w) => weight_bits(reader, w.as_ref()).map(Arc::new),
        })
        .chain(alive.map(Ok));
    for bits in sets {
        let bits = bits?;
        out = Some(match out {
            None => bits,
            Some(o) => match Arc::try_unwrap(o) {
                Ok(mut mine) => {
                    mine.and(&bits);
                    Arc::new(mine)
                }
                Err(shared) => Arc::new(shared.intersect(&bits)),
            },
        });
        if out.as_deref().is_some_and(Bits::is_empty) {
            break;
        }
    }
    Ok(out)
}

/// A search's matches in one segment, by level and tier. Level `l` holds the matches that
/// lack the words dropped at step `l` (level 0: every word), and within a level, tier `t`
/// (of `2^conds`) holds the matches inside the `j`th set when bit `conds - 1 - j` of `t` is 0
/// and outside it otherwise (a set that is `None` holds every match), so members of the first
/// set come first, then the rest, each split by the next set. Tiers are read word by word,
/// never built; the overall tier `l * 2^conds + t` orders everything.
struct Tiers {
    levels: Vec<Level>,
    conds: usize,
}

struct Level {
    matches: Arc<Bits>,
    conds: Vec<Option<Arc<Bits>>>,
}

impl Tiers {
    fn per_level(&self) -> usize {
        1 << self.conds
    }

    fn len(&self) -> usize {
        self.levels.len() * self.per_level()
    }

    #[inline]
    fn word(&self, tier: usize, i: usize) -> u64 {
        let k = self.conds;
        let level = &self.levels[tier >> k];
        let sub = tier & ((1 << k) - 1);
        let mut w = level.matches.0.get(i).copied().unwrap_or(0);
        for (j, c) in level.conds.iter().enumerate() {
            let Some(c) = c else {
                // Every match is inside: the "outside" half is empty.
                if (sub >> (k - 1 - j)) & 1 == 1 {
                    w = 0;
                }
                continue;
            };
            let cw = c.0.get(i).copied().unwrap_or(0);
            w &= if (sub >> (k - 1 - j)) & 1 == 0 {
                cw
            } else {
                !cw
            };
        }
        w
    }

    fn words(&self) -> usize {
        self.levels
            .iter()
            .map(|l| l.matches.0.len())
            .max()
            .unwrap_or(0)
    }

    /// The number of members of every tier, in one pass a level.
    fn counts(&self) -> Vec<u64> {
        let per = self.per_level();
        let mut out = vec![0u64; self.len()];
        for (l, level) in self.levels.iter().enumerate() {
            if self.conds == 0 {
                out[l] = level.matches.len();
                continue;
            }
            if level.conds.iter().all(Option::is_none) {
                // Every match is in the level's first tier.
                out[l * per] = level.matches.len();
                continue;
            }
            for i in 0..level.matches.0.len() {
                if level.matches.0[i] == 0 {
                    continue;
                }
                for t in 0..per {
                    out[l * per + t] += u64::from(self.word(l * per + t, i).count_ones());
                }
            }
        }
        out
    }

    #[inline]
    fn contains(&self, tier: usize, doc: DocId) -> bool {
        let i = (doc >> 6) as usize;
        self.word(tier, i) & (1u64 << (doc & 63)) != 0
    }

    fn for_each(&self, tier: usize, mut f: impl FnMut(DocId)) {
        for i in 0..self.words() {
            let mut w = self.word(tier, i);
            while w != 0 {
                f((i as u32) * 64 + w.trailing_zeros());
                w &= w - 1;
            }
        }
    }
}

/// One unit of a query (a word, or a dictionary phrase with what it finds).
pub struct SlotClauses {
    /// The words as typed, for `droppedWords`.
    pub label: String,
    /// Documents it matches.
    pub matches: Clause,
    /// The first tier's condition (a marked word as typed); `None`: every match meets it.
    pub exact: Option<Clause>,
    /// The next tier's condition: in the title.
    pub title: Clause,
}

/// A complaint search made of conditions.
pub struct Plan {
    /// Required of every match: filters and codes.
    pub required: Vec<Clause>,
    /// The query's words and phrases.
    pub slots: Vec<SlotClauses>,
    /// When not every slot matches, drop the most frequent ones first (Meilisearch's
    /// `frequency` matching strategy) and rank those matches after the full ones; otherwise
    /// every slot is required.
    pub partial: bool,
    /// `required` holds a code: then every slot may be dropped (a code is never), else the
    /// rarest slots stay.
    pub has_codes: bool,
    /// The fast field the hits are ordered by within a tier, and whether descending.
    pub order_by: &'static str,
    pub descending: bool,
    /// Tiers apply (relevance order); otherwise only the field orders.
    pub tiered: bool,
}

/// What a plan finds: the page of hits, the total, facet counts when asked, and the words
/// the page's hits lack.
pub struct Found {
    pub page: Vec<DocAddress>,
    pub total: u64,
    pub facets: BTreeMap<String, BTreeMap<String, u64>>,
    pub dropped: Vec<String>,
}

/// The order slots are dropped in: most frequent first among the documents the filters let
/// through (a slot matching none counts as the most frequent), one at a time, and the rarest
/// kept unless a code is required. Each step lists slot indexes.
fn drop_steps(
    cache: &BitsetCache,
    searcher: &Searcher,
    required: &[Ready],
    slots: &[Ready],
    keep_last: bool,
) -> tantivy::Result<DropPlan> {
    let mut counts = vec![0u64; slots.len()];
    let mut bits = Vec::with_capacity(searcher.segment_readers().len());
    let mut bases = Vec::with_capacity(searcher.segment_readers().len());
    for reader in searcher.segment_readers() {
        // Frequencies among what the caller may see and asked for (scope, published, filters):
        // counted over the whole index, which words are dropped would tell whether a word
        // stands in complaints the caller may not read.
        let base = meet(
            cache,
            searcher,
            reader,
            required.iter(),
            cache.alive(reader),
        )?
        .unwrap_or_else(|| Arc::new(Bits::full(reader.max_doc())));
        let mut row = Vec::with_capacity(slots.len());
        for (i, s) in slots.iter().enumerate() {
            let b = meet(cache, searcher, reader, [s], None)?;
            if let Some(b) = &b {
                counts[i] += b.and_len(&base);
            }
            row.push(b);
        }
        bits.push(row);
        bases.push(base);
    }
    let mut freq: Vec<(u64, usize)> = counts
        .iter()
        .enumerate()
        .map(|(i, n)| (if *n == 0 { u64::MAX } else { *n }, i))
        .collect();
    // One slot a step; of slots equally frequent, the later in the query goes first (what
    // the Meilisearch adapter sends, rarest first, under the `last` strategy).
    freq.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.cmp(&a.1)));
    let mut steps: Vec<Vec<usize>> = freq.into_iter().map(|(_, i)| vec![i]).collect();
    if keep_last {
        steps.pop();
    }
    Ok(DropPlan { steps, bits, bases })
}

/// The order slots are dropped in, with what finding it read: every slot's bitset and the
/// filters' per segment.
struct DropPlan {
    steps: Vec<Vec<usize>>,
    /// `[segment][slot]`.
    bits: Vec<Vec<Option<Arc<Bits>>>>,
    /// Per segment, the documents meeting the filters.
    bases: Vec<Arc<Bits>>,
}

/// The intersection of a slot's condition over `members` (`None` when no slot has one).
fn conds_of(
    cache: &BitsetCache,
    searcher: &Searcher,
    reader: &SegmentReader,
    conds: &[Option<Ready>],
    members: &[usize],
) -> tantivy::Result<Option<Arc<Bits>>> {
    let chosen: Vec<&Ready> = members.iter().filter_map(|i| conds[*i].as_ref()).collect();
    if chosen.is_empty() {
        return Ok(None);
    }
    let mut out: Option<Arc<Bits>> = None;
    for c in chosen {
        let b = meet(cache, searcher, reader, [c], None)?
            .unwrap_or_else(|| Arc::new(Bits::full(reader.max_doc())));
        out = Some(match out {
            None => b,
            Some(o) => Arc::new(o.intersect(&b)),
        });
    }
    Ok(out)
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
    let slot_match: Vec<Ready> = plan
        .slots
        .iter()
        .map(|s| ready_one(searcher, &s.matches))
        .collect::<tantivy::Result<_>>()?;
    let (exact, title): (Vec<Option<Ready>>, Vec<Option<Ready>>) = if plan.tiered {
        (
            plan.slots
                .iter()
                .map(|s| s.exact.as_ref().map(|c| ready_one(searcher, c)).transpose())
                .collect::<tantivy::Result<_>>()?,
            plan.slots
                .iter()
                .map(|s| ready_one(searcher, &s.title).map(Some))
                .collect::<tantivy::Result<_>>()?,
        )
    } else {
        (Vec::new(), Vec::new())
    };
    let n_slots = plan.slots.len();
    // Steps of slots dropped; levels[l] = the slots still required at level l.
    let (steps, slot_bits, bases) = if plan.partial && (n_slots > 1 || plan.has_codes) {
        let d = drop_steps(cache, searcher, &required, &slot_match, !plan.has_codes)?;
        (d.steps, Some(d.bits), Some(d.bases))
    } else {
        (Vec::new(), None, None)
    };
    let mut levels: Vec<Vec<usize>> = vec![(0..n_slots).collect()];
    for step in &steps {
        let mut next = levels.last().expect("a level").clone();
        next.retain(|i| !step.contains(i));
        levels.push(next);
    }
    let conds = if plan.tiered && n_slots > 0 { 2 } else { 0 };
    let mut total = 0u64;
    let mut segment_facets: Vec<(Arc<SegmentFacets>, Vec<Vec<u64>>)> = Vec::new();
    let mut tiers_per_segment: Vec<(Tiers, Vec<u64>)> = Vec::new();
    let mut per_segment: Vec<(&SegmentReader, Vec<Arc<Bits>>, u64)> = Vec::new();
    for (seg_ord, reader) in searcher.segment_readers().iter().enumerate() {
        let max_doc = reader.max_doc();
        let deepest = levels.len() - 1;
        // A slot's bitset in this segment: read when the drop order was found, or now.
        let slot_set = |i: usize| -> tantivy::Result<Option<Arc<Bits>>> {
            match &slot_bits {
                Some(b) => Ok(b[seg_ord][i].clone()),
                None => meet(cache, searcher, reader, [&slot_match[i]], None),
            }
        };
        // The deepest level with the filters (in one pass when no slot was read before); each
        // level up adds the slots its step dropped.
        let mut acc = if let Some(bases) = &bases {
            let mut a = bases[seg_ord].clone();
            for i in &levels[deepest] {
                if let Some(b) = slot_set(*i)? {
                    a = Arc::new(a.intersect(&b));
                }
            }
            a
        } else {
            meet(
                cache,
                searcher,
                reader,
                required
                    .iter()
                    .chain(levels[deepest].iter().map(|i| &slot_match[*i])),
                cache.alive(reader),
            )?
            .unwrap_or_else(|| Arc::new(Bits::full(max_doc)))
        };
        // Built from the deepest level up, then read from level 0 down.
        let mut sets: Vec<Arc<Bits>> = Vec::with_capacity(levels.len());
        sets.push(acc.clone());
        for l in (0..deepest).rev() {
            if !acc.is_empty() {
                for i in &steps[l] {
                    if let Some(b) = slot_set(*i)? {
                        acc = Arc::new(acc.intersect(&b));
                    }
                }
            }
            sets.push(acc.clone());
        }
        sets.reverse();
        let n = sets.last().map_or(0, |s| s.len());
        total += n;
        if facets && n > 0 {
            let seg = cache.facets(reader)?;
            let counts = seg.count(sets.last().expect("a level"));
            segment_facets.push((seg, counts));
        }
        let onlys: Vec<Arc<Bits>> = (0..levels.len())
            .map(|l| {
                if l == 0 {
                    sets[0].clone()
                } else {
                    let mut o = (*sets[l]).clone();
                    o.and_not(&sets[l - 1]);
                    Arc::new(o)
                }
            })
            .collect();
        per_segment.push((reader, onlys, n));
    }
    // A level's tiers are worked out only when the page may reach it: the levels past the
    // page's end count whole (their order within is never read).
    let mut reach = levels.len();
    let mut seen = 0u64;
    for l in 0..levels.len() {
        seen += per_segment.iter().map(|(_, o, _)| o[l].len()).sum::<u64>();
        if seen >= (offset + limit) as u64 {
            reach = l + 1;
            break;
        }
    }
    for (reader, onlys, n) in per_segment {
        let mut lv = Vec::with_capacity(levels.len());
        for (l, (members, only)) in levels.iter().zip(onlys).enumerate() {
            let conds_here = if conds == 0 || only.is_empty() || l >= reach {
                vec![None; conds]
            } else {
                vec![
                    conds_of(cache, searcher, reader, &exact, members)?,
                    conds_of(cache, searcher, reader, &title, members)?,
                ]
            };
            lv.push(Level {
                matches: only,
                conds: conds_here,
            });
        }
        let tiers = Tiers { levels: lv, conds };
        let counts = if n == 0 {
            vec![0; tiers.len()]
        } else {
            tiers.counts()
        };
        tiers_per_segment.push((tiers, counts));
    }
    let (page, deepest) = page(cache, searcher, plan, &tiers_per_segment, offset, limit)?;
    let dropped = match deepest {
        Some(t) if t >> conds > 0 => {
            let level = t >> conds;
            let kept = &levels[level];
            (0..n_slots)
                .filter(|i| !kept.contains(i))
                .map(|i| plan.slots[i].label.clone())
                .collect()
        }
        _ => Vec::new(),
    };
    let mut sum = FacetSum::default();
    for (seg, counts) in &segment_facets {
        sum.add(seg, counts);
    }
    Ok(Found {
        page,
        total,
        facets: sum.owned(),
        dropped,
    })
}

fn ready_one<'a>(searcher: &Searcher, c: &'a Clause) -> tantivy::Result<Ready<'a>> {
    Ok(ready(searcher, std::slice::from_ref(c))?.remove(0))
}

/// The page `offset..offset + limit`, walking the tiers in order, ordered by the plan's field
/// within each tier (ties: segment and document order); with the last tier it drew from.
fn page(
    cache: &BitsetCache,
    searcher: &Searcher,
    plan: &Plan,
    tiers: &[(Tiers, Vec<u64>)],
    offset: usize,
    limit: usize,
) -> tantivy::Result<(Vec<DocAddress>, Option<usize>)> {
    let mut out = Vec::with_capacity(limit);
    let mut deepest = None;
    if limit == 0 {
        return Ok((out, deepest));
    }
    let n_tiers = tiers.first().map_or(0, |(_, c)| c.len());
    let mut skip = offset as u64;
    for t in 0..n_tiers {
        let count: u64 = tiers.iter().map(|(_, c)| c[t]).sum();
        if skip >= count {
            skip -= count;
            continue;
        }
        deepest = Some(t);
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
            let (members, counts) = &tiers[seg];
            let n = counts[t];
            if n == 0 {
                continue;
            }
            let keys = cache.keys(reader, plan.order_by)?;
            let key = |doc: DocId| {
                let v = keys.values.get(doc as usize).copied().unwrap_or(i64::MIN);
                if plan.descending {
                    v.saturating_neg()
                } else {
                    v
                }
            };
            if n * 256 >= u64::from(reader.max_doc()) {
                // Dense enough: walk the segment in order until k members are found (and
                // every member tied with the last), a few thousand steps at most.
                let mut found = 0;
                let mut last = None;
                let mut visit = |doc: DocId| -> bool {
                    if !members.contains(t, doc) {
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
                members.for_each(t, |doc| offer((key(doc), seg as u32, doc)));
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
    Ok((out, deepest))
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
        let mut sum = FacetSum::default();
        let counts;
        if let Some(seg) = &self.facets {
            counts = seg.count(&self.matches);
            sum.add(seg, &counts);
        }
        (total, sum.owned())
    }
}

#[cfg(test)]
mod tests {
    use super::{Bits, BitsetCache, Clause, Plan, SlotClauses, search};
    use tantivy::schema::{FAST, INDEXED, STRING, Schema, TEXT};
    use tantivy::{Index, TantivyDocument, Term};

    /// 2,000 documents: `common` in every other one, `rare` in four; `common` in the title
    /// of every third; dates with many ties; two facets packed together.
    fn corpus() -> (Index, BitsetCache) {
        let mut b = Schema::builder();
        let text = b.add_text_field("fold", TEXT);
        let title = b.add_text_field("title_fold", TEXT);
        let status = b.add_text_field("status", STRING | FAST);
        let kind = b.add_text_field("kind", STRING | FAST);
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
            if i % 3 == 0 {
                d.add_text(title, "common");
            }
            d.add_text(status, ["A", "B", "C"][(i % 3) as usize]);
            if i % 5 != 0 {
                d.add_text(kind, ["P", "Q"][(i % 2) as usize]);
            }
            d.add_i64(at, (i * 7919) % 300);
            w.add_document(d).unwrap();
        }
        w.commit().unwrap();
        (index, BitsetCache::new(&["status", "kind"]))
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
                    slots: vec![],
                    partial: false,
                    has_codes: false,
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
                        // Documents without a kind count under no value.
                        let kinds = f.facets.get("kind").cloned().unwrap_or_default();
                        let q = want.iter().filter(|d| *d % 5 != 0 && *d % 2 == 1).count();
                        let p = want.iter().filter(|d| *d % 5 != 0 && *d % 2 == 0).count();
                        assert_eq!(kinds.get("Q").copied().unwrap_or(0), q as u64, "{word}");
                        assert_eq!(kinds.get("P").copied().unwrap_or(0), p as u64, "{word}");
                        break;
                    }
                    offset += 7;
                }
                assert_eq!(got, want, "{word}, descending {descending}");
            }
        }
    }

    /// Relevance order: the first tier's members (`rare`), then the title's (`common` in the
    /// title), newest first within each, every tier split by the next condition.
    #[test]
    fn tiers_split_matches_in_order_without_building_them() {
        let (index, cache) = corpus();
        let searcher = index.reader().unwrap().searcher();
        let schema = index.schema();
        let fold = schema.get_field("fold").unwrap();
        let title = schema.get_field("title_fold").unwrap();
        let plan = Plan {
            required: vec![],
            slots: vec![SlotClauses {
                label: "x".into(),
                matches: Clause::Term(Term::from_field_text(fold, "x")),
                exact: Some(Clause::Term(Term::from_field_text(fold, "rare"))),
                title: Clause::Term(Term::from_field_text(title, "common")),
            }],
            partial: true,
            has_codes: false,
            order_by: "received_at",
            descending: true,
            tiered: true,
        };
        let mut want: Vec<(u8, i64, u32)> = (0..2000i64)
            .map(|i| {
                let tier = u8::from(i % 500 != 0) * 2 + u8::from(i % 3 != 0);
                (tier, -((i * 7919) % 300), i as u32)
            })
            .collect();
        want.sort();
        let want: Vec<u32> = want.into_iter().map(|(_, _, d)| d).collect();
        for (offset, limit) in [(0, 10), (2, 5), (600, 40), (1990, 20)] {
            let f = search(&cache, &searcher, &plan, offset, limit, false).unwrap();
            assert_eq!(f.total, 2000);
            let got: Vec<u32> = f.page.iter().map(|a| a.doc_id).collect();
            let end = (offset + limit).min(want.len());
            assert_eq!(got, want[offset..end], "page at {offset}");
        }
        // The first tier is the four `rare` documents, ordered by date.
        let f = search(&cache, &searcher, &plan, 0, 4, false).unwrap();
        let mut rare: Vec<u32> = f.page.iter().map(|a| a.doc_id).collect();
        rare.sort();
        assert_eq!(rare, vec![0, 500, 1000, 1500]);
    }

    /// Not every word matches: the most frequent slot is dropped first, the partial matches
    /// rank after the full ones, and the page says which words its hits lack.
    #[test]
    fn partial_matches_drop_the_most_frequent_word_first_and_rank_after_full_ones() {
        let (index, cache) = corpus();
        let searcher = index.reader().unwrap().searcher();
        let schema = index.schema();
        let fold = schema.get_field("fold").unwrap();
        let title = schema.get_field("title_fold").unwrap();
        let slot = |w: &str| SlotClauses {
            label: w.to_string(),
            matches: Clause::Term(Term::from_field_text(fold, w)),
            exact: None,
            title: Clause::Term(Term::from_field_text(title, w)),
        };
        // `rare` (4 documents) and `common` (1000): 0, 500, 1000 and 1500 hold both.
        let plan = Plan {
            required: vec![],
            slots: vec![slot("common"), slot("rare"), slot("nowhere")],
            partial: true,
            has_codes: false,
            order_by: "received_at",
            descending: true,
            tiered: true,
        };
        // `nowhere` matches nothing (dropped first), then `common`; `rare` stays.
        let f = search(&cache, &searcher, &plan, 0, 10, false).unwrap();
        assert_eq!(f.total, 4);
        let mut docs: Vec<u32> = f.page.iter().map(|a| a.doc_id).collect();
        docs.sort();
        assert_eq!(docs, vec![0, 500, 1000, 1500]);
        assert_eq!(f.dropped, vec!["nowhere".to_string()]);
        // `common` in the title (667 documents) is rarer than `common` anywhere (1000): the
        // latter goes first; full matches (334, both) rank before the partial ones.
        let in_title = SlotClauses {
            label: "title".into(),
            matches: Clause::Term(Term::from_field_text(title, "common")),
            exact: None,
            title: Clause::Term(Term::from_field_text(title, "common")),
        };
        let plan = Plan {
            slots: vec![slot("common"), in_title],
            ..plan
        };
        let f = search(&cache, &searcher, &plan, 0, 10, false).unwrap();
        assert_eq!(f.total, 667);
        assert!(f.page.iter().all(|a| a.doc_id % 6 == 0), "{:?}", f.page);
        assert!(f.dropped.is_empty());
        let f = search(&cache, &searcher, &plan, 334, 10, false).unwrap();
        assert!(
            f.page
                .iter()
                .all(|a| a.doc_id % 3 == 0 && a.doc_id % 2 == 1)
        );
        assert_eq!(f.dropped, vec!["common".to_string()]);
        // Every word required when not partial.
        let strict = Plan {
            partial: false,
            ..plan
        };
        assert_eq!(
            search(&cache, &searcher, &strict, 0, 1, false)
                .unwrap()
                .total,
            334
        );
    }

    /// A kept condition's bitset is computed once per segment and then read from the cache,
    /// with the same answer.
    #[test]
    fn kept_conditions_answer_the_same_from_the_cache() {
        let (index, cache) = corpus();
        let searcher = index.reader().unwrap().searcher();
        let fold = index.schema().get_field("fold").unwrap();
        let plan = || Plan {
            required: vec![Clause::Kept(
                "fold~1:rarr".into(),
                Box::new(tantivy::query::FuzzyTermQuery::new(
                    Term::from_field_text(fold, "rarr"),
                    1,
                    true,
                )),
            )],
            slots: vec![],
            partial: false,
            has_codes: false,
            order_by: "received_at",
            descending: false,
            tiered: false,
        };
        let first = search(&cache, &searcher, &plan(), 0, 10, true).unwrap();
        assert_eq!(cache.lock().kept.len(), 1);
        let again = search(&cache, &searcher, &plan(), 0, 10, true).unwrap();
        let docs = |f: &super::Found| {
            let mut d: Vec<u32> = f.page.iter().map(|a| a.doc_id).collect();
            d.sort();
            d
        };
        assert_eq!(docs(&first), vec![0, 500, 1000, 1500]);
        assert_eq!(docs(&again), docs(&first));
        assert_eq!(again.total, 4);
        assert_eq!(again.facets["status"].values().sum::<u64>(), 4);
    }

    /// Past the budget, the least recently used bitsets go first, until a quarter is free.
    #[test]
    fn the_least_recently_used_kept_bitsets_go_first() {
        use super::{Cached, KeptKey};
        use std::sync::Arc;
        let segment = tantivy::index::SegmentId::generate_random();
        let field = tantivy::schema::Field::from_field_id(0);
        let key = |i: usize| {
            let term = Term::from_field_text(field, &format!("w{i}"));
            (segment, KeptKey::Term(term))
        };
        let mut c = Cached::default();
        // Ten bitsets of 8 bytes fill a budget of 80.
        for i in 0..10 {
            c.make_room_within(8, 80);
            let used = c.touch();
            c.kept.insert(
                key(i),
                super::Kept {
                    bits: Arc::new(Bits::new(64)),
                    used,
                },
            );
        }
        assert_eq!(c.term_bytes, 80);
        // Words 0 and 1 are used again: the oldest are now 2, 3, 4, 5.
        for i in [0, 1] {
            assert!(c.get(&key(i)).is_some());
        }
        c.make_room_within(8, 80);
        let mut left: Vec<usize> = (0..10).filter(|i| c.kept.contains_key(&key(*i))).collect();
        left.sort();
        assert_eq!(left, vec![0, 1, 6, 7, 8, 9]);
        assert_eq!(c.term_bytes, 6 * 8 + 8);
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
        assert_eq!(members(&a.intersect(&b)), vec![63, 130]);
        a.and_not(&b);
        assert_eq!(members(&a), vec![0, 64, 199]);
        let full = Bits::full(130);
        assert_eq!(full.len(), 130);
        assert_eq!(members(&full).last(), Some(&129));
        assert_eq!(a.bytes(), 32);
        assert!(Bits::new(10).is_empty());
    }
}
