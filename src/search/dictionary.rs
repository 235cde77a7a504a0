//! The dictionary of the administration's language: abbreviations, everyday names of
//! procedures and papers, the groups of words officials search for (concerns), and the names
//! of the catalog's places (`Q1` = `Q.1` = `quận 1` = `quận Một`). It is applied when a query
//! is read, on both engines, so that it changes without a reindex:
//!
//! - a run of query words that is one of an entry's phrases becomes one *slot*, matched by a
//!   document containing any phrase the entry links it to (words in a row);
//! - the embedded engine matches those phrases itself; Meilisearch receives the slot as one
//!   key word whose synonyms (its `synonyms` setting) are the same phrases.
//!
//! Concern groups also flag complaints: a complaint whose text contains one of a group's
//! phrases carries the concern (`concerns`, a facet and filter for staff).
//!
//! The default is `dictionary_vi.txt` beside this file (its sources are in its comments);
//! admins replace it with `setSearchSynonyms` or `portal import synonyms FILE`, each change a
//! new version.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::hash::{Hash, Hasher};
use std::sync::{Arc, RwLock};

use super::text::{fold_word, words};

/// What officials search for in complaints, whatever words the citizen used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, async_graphql::Enum)]
pub enum Concern {
    /// Nhũng nhiễu, gây phiền hà: making things hard to extract something.
    Harassment,
    /// Hối lộ, đòi tiền: asking for or taking money or gifts.
    Bribery,
    /// Chậm trễ, trễ hạn: a file or answer held past its time.
    Delay,
    /// Thái độ: an official's conduct towards the person.
    Attitude,
    /// Thu phí cao hơn quy định: fees above the listed ones.
    Overcharge,
    /// Thất lạc hồ sơ: a lost file or paper.
    LostFile,
}

impl Concern {
    pub const ALL: [Concern; 6] = [
        Concern::Harassment,
        Concern::Bribery,
        Concern::Delay,
        Concern::Attitude,
        Concern::Overcharge,
        Concern::LostFile,
    ];

    /// The value the engines index and the file names (`concern:BRIBERY`).
    pub fn key(self) -> &'static str {
        match self {
            Concern::Harassment => "HARASSMENT",
            Concern::Bribery => "BRIBERY",
            Concern::Delay => "DELAY",
            Concern::Attitude => "ATTITUDE",
            Concern::Overcharge => "OVERCHARGE",
            Concern::LostFile => "LOST_FILE",
        }
    }

    pub fn parse(s: &str) -> Option<Concern> {
        Concern::ALL.into_iter().find(|c| c.key() == s.trim())
    }
}

/// What an entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, async_graphql::Enum)]
pub enum SynonymKind {
    /// An abbreviation and what it stands for (`GPLX`, giấy phép lái xe).
    Abbreviation,
    /// Everyday names of a procedure or paper (`sổ hồng`).
    EverydayName,
    /// Words for a concern: the words officials type, and how citizens put it.
    Concern,
    /// A place of the unit catalog (generated, not edited).
    Place,
}

/// One entry: phrases that find each other, and expansions they also find (one way).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Entry {
    pub kind: SynonymKind,
    /// Set for `Concern` entries only.
    pub concern: Option<Concern>,
    pub phrases: Vec<String>,
    pub expansions: Vec<String>,
}

/// Limits every engine can hold: Meilisearch takes at most 50 synonym phrases and 100 words
/// for a query word; the rest are its own margins.
pub const MAX_ENTRIES: usize = 5_000;
pub const MAX_PHRASE_WORDS: usize = 8;
pub const MAX_PHRASE_CHARS: usize = 100;
pub const MAX_GROUP_PHRASES: usize = 40;
pub const MAX_GROUP_WORDS: usize = 90;

/// A refused entry: which, which part, and why in both languages.
#[derive(Debug, Clone, PartialEq)]
pub struct EntryError {
    /// The entry's position (from 0), or the file's line (from 1) when parsing a file.
    pub index: usize,
    /// `phrases`, `expansions` or `kind`.
    pub part: &'static str,
    pub vi: String,
    pub en: String,
}

/// The folded words of a phrase, as queries and documents are folded.
pub fn phrase_key(p: &str) -> Vec<String> {
    words(p).iter().map(|w| fold_word(w)).collect()
}

/// Checks entries against the limits: every phrase 1–8 words of letters and digits, at most
/// 100 characters; at least two phrases an entry (one for a concern, which flags); at most 40
/// phrases and 90 words an entry, and as many once entries sharing a phrase are merged.
pub fn check(entries: &[Entry]) -> Result<(), EntryError> {
    if entries.len() > MAX_ENTRIES {
        return Err(EntryError {
            index: MAX_ENTRIES,
            part: "kind",
            vi: format!("Từ điển có tối đa {MAX_ENTRIES} mục."),
            en: format!("The dictionary holds at most {MAX_ENTRIES} entries."),
        });
    }
    for (i, e) in entries.iter().enumerate() {
        let err = |part: &'static str, vi: String, en: String| EntryError {
            index: i,
            part,
            vi,
            en,
        };
        if (e.kind == SynonymKind::Concern) != e.concern.is_some() {
            return Err(err(
                "kind",
                "Mục loại CONCERN phải ghi rõ mối quan tâm (concern), và chỉ mục loại đó.".into(),
                "A CONCERN entry names its concern, and only such an entry does.".into(),
            ));
        }
        if e.kind == SynonymKind::Place {
            return Err(err(
                "kind",
                "Địa danh được tạo từ danh mục đơn vị, không nhập tay.".into(),
                "Places are generated from the unit catalog and cannot be entered.".into(),
            ));
        }
        let given = e.phrases.len() + e.expansions.len();
        let words: usize = e
            .phrases
            .iter()
            .chain(&e.expansions)
            .map(|p| p.split_whitespace().count())
            .sum();
        if given > MAX_GROUP_PHRASES || words > MAX_GROUP_WORDS {
            return Err(err(
                "phrases",
                format!(
                    "Một mục có tối đa {MAX_GROUP_PHRASES} cụm và {MAX_GROUP_WORDS} từ (mục này: {given} cụm, {words} từ)."
                ),
                format!(
                    "An entry holds at most {MAX_GROUP_PHRASES} phrases and {MAX_GROUP_WORDS} words (this one: {given} phrases, {words} words)."
                ),
            ));
        }
        for (part, list) in [("phrases", &e.phrases), ("expansions", &e.expansions)] {
            for p in list.iter() {
                let n = p.chars().count();
                let ws = phrase_key(p);
                if ws.is_empty() || n > MAX_PHRASE_CHARS || ws.len() > MAX_PHRASE_WORDS {
                    return Err(err(
                        part,
                        format!(
                            "Cụm “{p}” phải có từ 1 đến {MAX_PHRASE_WORDS} từ và không quá {MAX_PHRASE_CHARS} ký tự."
                        ),
                        format!(
                            "“{p}” must have 1 to {MAX_PHRASE_WORDS} words and at most {MAX_PHRASE_CHARS} characters."
                        ),
                    ));
                }
                if p.chars().any(|c| {
                    !(c.is_alphanumeric()
                        || c == ' '
                        || unicode_normalization::char::is_combining_mark(c))
                }) {
                    return Err(err(
                        part,
                        format!(
                            "Cụm “{p}” chỉ được có chữ, số và dấu cách (viết “Q 1”, không viết “Q.1”)."
                        ),
                        format!(
                            "“{p}” may hold letters, digits and spaces only (write “Q 1”, not “Q.1”)."
                        ),
                    ));
                }
            }
        }
        let min = if e.kind == SynonymKind::Concern { 1 } else { 2 };
        let distinct: BTreeSet<Vec<String>> = e
            .phrases
            .iter()
            .chain(&e.expansions)
            .map(|p| phrase_key(p))
            .collect();
        if e.phrases.is_empty() || distinct.len() < min {
            return Err(err(
                "phrases",
                format!("Mỗi mục cần ít nhất {min} cụm từ khác nhau."),
                format!("An entry needs at least {min} different phrases."),
            ));
        }
    }
    // Entries sharing a phrase are merged for a query with it: the merged group must fit too.
    let compiled = Dictionary::compile(0, entries.to_vec(), Vec::new());
    for t in &compiled.triggers {
        let words: usize = t.alternatives.iter().map(Vec::len).sum();
        if t.alternatives.len() > MAX_GROUP_PHRASES || words > MAX_GROUP_WORDS {
            let at = entries
                .iter()
                .position(|e| e.phrases.iter().any(|p| phrase_key(p) == t.words))
                .unwrap_or(0);
            let p = t.words.join(" ");
            return Err(EntryError {
                index: at,
                part: "phrases",
                vi: format!(
                    "Cụm “{p}” dẫn tới {} cụm ({} từ) khi gộp các mục có nó; tối đa {MAX_GROUP_PHRASES} cụm và {MAX_GROUP_WORDS} từ.",
                    t.alternatives.len(),
                    words
                ),
                en: format!(
                    "“{p}” leads to {} phrases ({} words) across the entries holding it; at most {MAX_GROUP_PHRASES} phrases and {MAX_GROUP_WORDS} words.",
                    t.alternatives.len(),
                    words
                ),
            });
        }
    }
    Ok(())
}

/// The file's name of a kind (`abbr`, `name`, `concern:BRIBERY`).
fn kind_label(e: &Entry) -> String {
    match (e.kind, e.concern) {
        (SynonymKind::Abbreviation, _) => "abbr".into(),
        (SynonymKind::EverydayName, _) => "name".into(),
        (SynonymKind::Concern, Some(c)) => format!("concern:{}", c.key()),
        (SynonymKind::Concern, None) => "concern".into(),
        (SynonymKind::Place, _) => "place".into(),
    }
}

fn split_list(s: &str) -> Vec<String> {
    s.split(',')
        .map(|p| crate::text::nfc(p.trim()))
        .filter(|p| !p.is_empty())
        .collect()
}

/// Reads the file format (`KIND | PHRASES [=> EXPANSIONS]`, one entry a line, `#` comments;
/// see `dictionary_vi.txt`). Errors name the line.
pub fn parse_text(text: &str) -> Result<Vec<Entry>, EntryError> {
    let mut out = Vec::new();
    for (n, raw) in text.lines().enumerate() {
        let line = match raw.find(" #") {
            Some(i) => &raw[..i],
            None => raw,
        }
        .trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let bad = |part: &'static str, vi: String, en: String| EntryError {
            index: n + 1,
            part,
            vi,
            en,
        };
        let Some((kind, rest)) = line.split_once('|') else {
            return Err(bad(
                "kind",
                format!("Dòng {}: thiếu “|” giữa loại và các cụm từ.", n + 1),
                format!(
                    "Line {}: a “|” must separate the kind from the phrases.",
                    n + 1
                ),
            ));
        };
        let kind = kind.trim();
        let (k, concern) = match kind {
            "abbr" => (SynonymKind::Abbreviation, None),
            "name" => (SynonymKind::EverydayName, None),
            _ => match kind.strip_prefix("concern:").and_then(Concern::parse) {
                Some(c) => (SynonymKind::Concern, Some(c)),
                None => {
                    return Err(bad(
                        "kind",
                        format!(
                            "Dòng {}: loại “{kind}” không hợp lệ; dùng abbr, name hoặc concern:BRIBERY (HARASSMENT, DELAY, ATTITUDE, OVERCHARGE, LOST_FILE).",
                            n + 1
                        ),
                        format!(
                            "Line {}: unknown kind “{kind}”; use abbr, name or concern:BRIBERY (HARASSMENT, DELAY, ATTITUDE, OVERCHARGE, LOST_FILE).",
                            n + 1
                        ),
                    ));
                }
            },
        };
        let (phrases, expansions) = match rest.split_once("=>") {
            Some((a, b)) => (split_list(a), split_list(b)),
            None => (split_list(rest), Vec::new()),
        };
        let entry = Entry {
            kind: k,
            concern,
            phrases,
            expansions,
        };
        if let Err(mut e) = check(std::slice::from_ref(&entry)) {
            e.index = n + 1;
            e.vi = format!("Dòng {}: {}", n + 1, e.vi);
            e.en = format!("Line {}: {}", n + 1, e.en);
            return Err(e);
        }
        out.push(entry);
    }
    Ok(out)
}

/// Writes entries in the file format (what `parse_text` reads back).
pub fn to_text(entries: &[Entry]) -> String {
    let mut out = String::new();
    for e in entries {
        out.push_str(&kind_label(e));
        out.push_str(" | ");
        out.push_str(&e.phrases.join(", "));
        if !e.expansions.is_empty() {
            out.push_str(" => ");
            out.push_str(&e.expansions.join(", "));
        }
        out.push('\n');
    }
    out
}

/// The default shipped with this release.
pub const DEFAULT_TEXT: &str = include_str!("dictionary_vi.txt");

pub fn default_entries() -> Vec<Entry> {
    parse_text(DEFAULT_TEXT).expect("the default dictionary parses (a unit test holds it)")
}

const NUMBER_WORDS: [&str; 20] = [
    "một",
    "hai",
    "ba",
    "bốn",
    "năm",
    "sáu",
    "bảy",
    "tám",
    "chín",
    "mười",
    "mười một",
    "mười hai",
    "mười ba",
    "mười bốn",
    "mười lăm",
    "mười sáu",
    "mười bảy",
    "mười tám",
    "mười chín",
    "hai mươi",
];

/// The ways a place's name is typed: `Quận 1` = `Q1` = `Q 1` (`Q.1`) = `quận Một`; `Phường
/// Bến Thành` = `P Bến Thành`; `Thành phố Thủ Đức` = `TP Thủ Đức`; likewise `Huyện`/`H`,
/// `Thị xã`/`TX`, `Thị trấn`/`TT` and `Xã`. One entry a named place, for every unit given
/// (ended ones included).
pub fn place_entries<'a>(names: impl IntoIterator<Item = &'a str>) -> Vec<Entry> {
    const PREFIXES: [(&str, &str); 7] = [
        ("thành phố", "tp"),
        ("thị xã", "tx"),
        ("thị trấn", "tt"),
        ("quận", "q"),
        ("phường", "p"),
        ("huyện", "h"),
        ("xã", "x"),
    ];
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for name in names {
        let lower = crate::text::nfc(name).to_lowercase();
        // "UBND Quận 1", "Ủy ban nhân dân Phường Bến Thành": the place after the body's name.
        let lower = ["ủy ban nhân dân ", "uỷ ban nhân dân ", "ubnd "]
            .iter()
            .find_map(|p| lower.strip_prefix(p))
            .unwrap_or(&lower)
            .trim()
            .to_string();
        let Some((full, short, rest)) = PREFIXES.iter().find_map(|(full, short)| {
            lower
                .strip_prefix(full)
                .filter(|r| r.starts_with(' '))
                .map(|r| (*full, *short, r.trim().to_string()))
        }) else {
            continue;
        };
        let rest: String = rest
            .chars()
            .map(|c| if c.is_alphanumeric() { c } else { ' ' })
            .collect::<String>()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        if rest.is_empty() || rest.split(' ').count() > 5 || !seen.insert(format!("{full} {rest}"))
        {
            continue;
        }
        let mut phrases = vec![format!("{full} {rest}"), format!("{short} {rest}")];
        if let Ok(n) = rest.parse::<usize>() {
            phrases.push(format!("{short}{rest}"));
            if let Some(w) = NUMBER_WORDS.get(n.wrapping_sub(1)) {
                phrases.push(format!("{full} {w}"));
            }
        } else if !rest.contains(' ') && rest.chars().count() <= 3 {
            // "Quận Bình Thạnh" needs no `qbinhthanh`; short single words do appear glued.
            phrases.push(format!("{short}{rest}"));
        }
        out.push(Entry {
            kind: SynonymKind::Place,
            concern: None,
            phrases,
            expansions: Vec::new(),
        });
    }
    out
}

/// A phrase that turns a run of query words into a slot, with every phrase the slot matches.
#[derive(Debug, Clone)]
pub struct Trigger {
    pub words: Vec<String>,
    /// Folded phrases, the trigger's own first.
    pub alternatives: Vec<Vec<String>>,
}

/// A unit of a query: one word, or a run of words that is a dictionary phrase.
#[derive(Debug, Clone, PartialEq)]
pub struct Slot {
    /// The query's words (as typed, lower case; folded).
    pub words: Vec<(String, String)>,
    /// For a dictionary slot, the trigger (an index into `Dictionary::triggers`).
    pub trigger: Option<usize>,
}

impl Slot {
    /// The words as typed, for `droppedWords`.
    pub fn label(&self) -> String {
        self.words
            .iter()
            .map(|(t, _)| t.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// The dictionary in use, compiled for queries and for flagging.
#[derive(Debug, Clone)]
pub struct Dictionary {
    pub version: i64,
    /// The edited (or default) entries, places excluded.
    pub entries: Vec<Entry>,
    pub places: Vec<Entry>,
    pub triggers: Vec<Trigger>,
    /// First folded word → triggers starting with it, longest first.
    by_first: HashMap<String, Vec<usize>>,
    /// First folded word → (phrase, concern) of every concern phrase.
    concern_phrases: HashMap<String, Vec<(Vec<String>, Concern)>>,
    /// Changes whenever what the engines are given changes.
    pub fingerprint: u64,
}

impl Default for Dictionary {
    fn default() -> Dictionary {
        Dictionary::compile(0, Vec::new(), Vec::new())
    }
}

/// A query word run may be at most this long to be a phrase.
const MAX_RUN: usize = MAX_PHRASE_WORDS;

impl Dictionary {
    pub fn compile(version: i64, entries: Vec<Entry>, places: Vec<Entry>) -> Dictionary {
        // Trigger phrase → the phrases it finds, merged across entries.
        let mut found: BTreeMap<Vec<String>, Vec<Vec<String>>> = BTreeMap::new();
        let mut concern_phrases: HashMap<String, Vec<(Vec<String>, Concern)>> = HashMap::new();
        for e in entries.iter().chain(&places) {
            let phrases: Vec<Vec<String>> = e.phrases.iter().map(|p| phrase_key(p)).collect();
            let expansions: Vec<Vec<String>> = e.expansions.iter().map(|p| phrase_key(p)).collect();
            for t in &phrases {
                let list = found.entry(t.clone()).or_insert_with(|| vec![t.clone()]);
                for p in phrases.iter().chain(&expansions) {
                    if !list.contains(p) {
                        list.push(p.clone());
                    }
                }
            }
            if let Some(c) = e.concern {
                for p in phrases.iter().chain(&expansions) {
                    if let Some(first) = p.first() {
                        let v = concern_phrases.entry(first.clone()).or_default();
                        if !v.iter().any(|(q, k)| q == p && *k == c) {
                            v.push((p.clone(), c));
                        }
                    }
                }
            }
        }
        let triggers: Vec<Trigger> = found
            .into_iter()
            .filter(|(_, alts)| alts.len() > 1)
            .map(|(words, alternatives)| Trigger {
                words,
                alternatives,
            })
            .collect();
        let mut by_first: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, t) in triggers.iter().enumerate() {
            by_first.entry(t.words[0].clone()).or_default().push(i);
        }
        for v in by_first.values_mut() {
            v.sort_by_key(|i| std::cmp::Reverse(triggers[*i].words.len()));
        }
        let mut h = std::collections::hash_map::DefaultHasher::new();
        version.hash(&mut h);
        for t in &triggers {
            t.words.hash(&mut h);
            t.alternatives.hash(&mut h);
        }
        Dictionary {
            version,
            fingerprint: h.finish(),
            entries,
            places,
            triggers,
            by_first,
            concern_phrases,
        }
    }

    /// The query's words as slots: at each word, the longest run that is a dictionary phrase
    /// becomes one slot; every other word is its own.
    pub fn slots(&self, words: &[(String, String)]) -> Vec<Slot> {
        let mut out = Vec::new();
        let mut i = 0;
        while i < words.len() {
            let hit = self.by_first.get(&words[i].1).and_then(|cands| {
                cands.iter().copied().find(|&t| {
                    let tw = &self.triggers[t].words;
                    tw.len() <= MAX_RUN
                        && i + tw.len() <= words.len()
                        && words[i..i + tw.len()]
                            .iter()
                            .zip(tw)
                            .all(|((_, f), w)| f == w)
                })
            });
            match hit {
                Some(t) => {
                    let n = self.triggers[t].words.len();
                    out.push(Slot {
                        words: words[i..i + n].to_vec(),
                        trigger: Some(t),
                    });
                    i += n;
                }
                None => {
                    out.push(Slot {
                        words: vec![words[i].clone()],
                        trigger: None,
                    });
                    i += 1;
                }
            }
        }
        out
    }

    /// The query for highlights: its words, and the words of every phrase its dictionary
    /// phrases find (`GPLX` marks `giấy phép lái xe` in a hit).
    pub fn for_highlights(&self, mut q: super::text::ParsedQuery) -> super::text::ParsedQuery {
        let mut extra: Vec<(String, String)> = Vec::new();
        for slot in self.slots(&q.words) {
            if let Some(t) = slot.trigger {
                for w in self.triggers[t].alternatives.iter().flatten() {
                    if !q.words.iter().chain(&extra).any(|(_, f)| f == w) {
                        extra.push((w.clone(), w.clone()));
                    }
                }
            }
        }
        q.words.extend(extra);
        q
    }

    /// The concerns a text reads as: those with a phrase among its words, in order.
    pub fn concerns(&self, text: &str) -> Vec<Concern> {
        let folded: Vec<String> = words(text).iter().map(|w| fold_word(w)).collect();
        let mut out = BTreeSet::new();
        for (i, w) in folded.iter().enumerate() {
            if let Some(list) = self.concern_phrases.get(w) {
                for (p, c) in list {
                    if folded.len() >= i + p.len() && folded[i..i + p.len()] == p[..] {
                        out.insert(*c);
                    }
                }
            }
        }
        out.into_iter().collect()
    }

    /// Every phrase of a concern (folded words): what flags a text with it.
    pub fn concern_phrases(&self, c: Concern) -> Vec<&[String]> {
        let mut out: Vec<&[String]> = self
            .concern_phrases
            .values()
            .flatten()
            .filter(|(_, k)| *k == c)
            .map(|(p, _)| p.as_slice())
            .collect();
        out.sort();
        out
    }

    /// The key word Meilisearch receives for a trigger: letters only, matching no real word.
    pub fn key(t: usize) -> String {
        let mut s = String::from("zzsyn");
        let mut n = t;
        loop {
            s.push((b'a' + (n % 26) as u8) as char);
            n /= 26;
            if n == 0 {
                break;
            }
        }
        s
    }

    /// Meilisearch's `synonyms` setting: every trigger's key and the phrases it finds.
    pub fn meili_synonyms(&self) -> BTreeMap<String, Vec<String>> {
        self.triggers
            .iter()
            .enumerate()
            .map(|(i, t)| {
                (
                    Dictionary::key(i),
                    t.alternatives.iter().map(|p| p.join(" ")).collect(),
                )
            })
            .collect()
    }
}

/// The dictionary in use, shared by the engines and the resolvers; swapped whole on change.
#[derive(Clone, Default)]
pub struct Lexicon(Arc<RwLock<Arc<Dictionary>>>);

impl Lexicon {
    pub fn new(d: Dictionary) -> Lexicon {
        Lexicon(Arc::new(RwLock::new(Arc::new(d))))
    }

    pub fn current(&self) -> Arc<Dictionary> {
        self.0.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Puts `d` in use; whether it differs from what was.
    pub fn set(&self, d: Dictionary) -> bool {
        let mut w = self.0.write().unwrap_or_else(|p| p.into_inner());
        let changed = w.fingerprint != d.fingerprint;
        *w = Arc::new(d);
        changed
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::text::ParsedQuery;
    use unicode_normalization::UnicodeNormalization;

    fn dict() -> Dictionary {
        Dictionary::compile(
            1,
            default_entries(),
            place_entries([
                "Quận 1",
                "Phường Bến Thành",
                "Thành phố Thủ Đức",
                "UBND Quận 12",
            ]),
        )
    }

    fn labels(d: &Dictionary, q: &str) -> Vec<(String, bool)> {
        d.slots(&ParsedQuery::parse(q).words)
            .iter()
            .map(|s| (s.label(), s.trigger.is_some()))
            .collect()
    }

    fn finds(d: &Dictionary, q: &str, phrase: &str) -> bool {
        let want = phrase_key(phrase);
        d.slots(&ParsedQuery::parse(q).words).iter().any(|s| {
            s.trigger
                .is_some_and(|t| d.triggers[t].alternatives.contains(&want))
        })
    }

    #[test]
    fn the_default_parses_checks_and_is_large() {
        let entries = default_entries();
        assert!(entries.len() >= 300, "{} entries", entries.len());
        check(&entries).unwrap();
        for k in [
            SynonymKind::Abbreviation,
            SynonymKind::EverydayName,
            SynonymKind::Concern,
        ] {
            assert!(entries.iter().any(|e| e.kind == k), "{k:?}");
        }
        for c in Concern::ALL {
            assert!(entries.iter().any(|e| e.concern == Some(c)), "{c:?}");
        }
        // What the file says is what it writes back.
        assert_eq!(parse_text(&to_text(&entries)).unwrap(), entries);
    }

    #[test]
    fn abbreviations_everyday_names_and_places_become_slots() {
        let d = dict();
        assert!(finds(&d, "GPLX", "giấy phép lái xe"));
        assert!(finds(&d, "gplx bị trễ", "giấy phép lái xe"));
        assert!(finds(&d, "giấy phép lái xe", "gplx"));
        assert!(finds(&d, "GPXD", "giấy phép xây dựng"));
        assert!(finds(&d, "ĐKDN", "đăng ký doanh nghiệp"));
        assert!(finds(&d, "dkdn", "đăng ký doanh nghiệp"));
        assert!(finds(&d, "HKD", "hộ kinh doanh"));
        assert!(finds(&d, "CCHN", "chứng chỉ hành nghề"));
        assert!(finds(&d, "HQ", "hải quan"));
        assert!(finds(&d, "sổ hồng", "giấy chứng nhận quyền sử dụng đất"));
        assert!(finds(&d, "bằng lái xe", "giấy phép lái xe"));
        for q in ["Q1", "Q.1", "q 1", "quận 1", "Quận Một", "UBND Q.1"] {
            assert!(finds(&d, q, "quận 1"), "{q}");
        }
        assert!(finds(&d, "Q12", "quận 12"));
        assert!(finds(&d, "TP Thủ Đức", "thành phố thủ đức"));
        assert!(finds(&d, "P. Bến Thành", "phường bến thành"));
        let l = labels(&d, "UBND Q.1 trễ hạn");
        assert_eq!(l[0], ("ubnd".to_string(), true));
        assert_eq!(l[1], ("q 1".to_string(), true));
    }

    #[test]
    fn concerns_are_read_with_or_without_marks_and_in_nfd() {
        let d = dict();
        let text = "Cán bộ đòi tiền bồi dưỡng để làm nhanh hồ sơ";
        assert!(d.concerns(text).contains(&Concern::Bribery));
        assert!(d.concerns(&fold_all(text)).contains(&Concern::Bribery));
        let nfd: String = text.nfd().collect();
        assert!(d.concerns(&nfd).contains(&Concern::Bribery));
        assert!(
            d.concerns("Hồ sơ của tôi bị thất lạc ở bộ phận một cửa")
                .contains(&Concern::LostFile)
        );
        assert!(d.concerns("Cảm ơn cán bộ đã hướng dẫn tận tình").is_empty());
        // An official's word finds the citizen's: the concern's phrases expand one way.
        assert!(finds(&d, "nhũng nhiễu", "đòi tiền"));
        assert!(finds(&d, "hối lộ", "tiền bồi dưỡng"));
    }

    fn fold_all(s: &str) -> String {
        crate::text::fold(s)
    }

    #[test]
    fn the_file_format_reports_the_line_and_the_limits() {
        let e = parse_text("# c\nabbr | GPLX\n").unwrap_err();
        assert_eq!(e.index, 2);
        assert!(e.en.contains("Line 2"), "{}", e.en);
        let e = parse_text("foo | a, b").unwrap_err();
        assert!(e.en.contains("unknown kind"), "{}", e.en);
        let e = parse_text("abbr | Q.1, quận 1").unwrap_err();
        assert!(e.en.contains("letters, digits and spaces"), "{}", e.en);
        let long = (0..9).map(|_| "từ").collect::<Vec<_>>().join(" ");
        assert!(parse_text(&format!("abbr | a, {long}")).is_err());
        let ok = parse_text("concern:BRIBERY | hối lộ => phong bì # a comment\n").unwrap();
        assert_eq!(ok[0].concern, Some(Concern::Bribery));
        assert_eq!(ok[0].expansions, vec!["phong bì".to_string()]);
        // Entries sharing a phrase may not grow past Meilisearch's limits together.
        let many: Vec<Entry> = (0..50)
            .map(|i| Entry {
                kind: SynonymKind::Abbreviation,
                concern: None,
                phrases: vec!["chung".into(), format!("cum {i}")],
                expansions: vec![],
            })
            .collect();
        let e = check(&many).unwrap_err();
        assert!(e.en.contains("“chung”"), "{}", e.en);
    }

    #[test]
    fn meilisearch_keys_are_letters_and_distinct() {
        let d = dict();
        let syn = d.meili_synonyms();
        assert_eq!(syn.len(), d.triggers.len());
        assert!(
            syn.keys()
                .all(|k| k.chars().all(|c| c.is_ascii_lowercase()))
        );
        assert_ne!(Dictionary::key(0), Dictionary::key(26));
    }
}
