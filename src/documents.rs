//! Work done once per document rather than once per request: documents parsed and checked
//! for their shape (nesting, fields, aliases) are kept by their text, so a client repeating a
//! query skips both; and automatic persisted queries (the Apollo protocol): a client sends the
//! SHA-256 of a document it sent once before instead of its text, and gets
//! `PERSISTED_QUERY_NOT_FOUND` when this server does not hold it, upon which it sends both.
//!
//! Only documents the schema accepted are kept. Both caches are bounded: past [`CAPACITY`]
//! documents, or [`TEXT_BUDGET`] bytes of their text (a parsed document takes some 70 times
//! its text), the older half of the entries is dropped (a new document costs a parse again,
//! nothing else). Validation against the schema
//! and the complexity check still run on every request: complexity depends on the variables
//! (`first: $n`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_graphql::parser::types::ExecutableDocument;
use sha2::Digest;

use crate::error::AppError;

/// Documents (and persisted-query hashes) kept.
pub const CAPACITY: usize = 512;
/// Longer documents are not kept (they are rare and would crowd the cache).
const MAX_KEPT_LEN: usize = 16 * 1024;
/// Text of the documents kept, in all.
pub const TEXT_BUDGET: usize = 512 * 1024;

#[derive(Default)]
pub struct Documents {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    /// By text: the parsed document, checked, and when it was last used.
    parsed: HashMap<Arc<str>, (Arc<ExecutableDocument>, u64)>,
    /// By SHA-256 (hex): the text.
    persisted: HashMap<String, (Arc<str>, u64)>,
    tick: u64,
}

fn trim<K: Clone + std::hash::Hash + Eq + AsRef<str>, V>(
    map: &mut HashMap<K, (V, u64)>,
    adding: usize,
) {
    let text: usize = map.keys().map(|k| k.as_ref().len()).sum();
    if map.len() < CAPACITY && text + adding <= TEXT_BUDGET {
        return;
    }
    let mut ages: Vec<u64> = map.values().map(|(_, t)| *t).collect();
    ages.sort_unstable();
    let cut = ages[ages.len() / 2];
    map.retain(|_, (_, t)| *t > cut);
}

/// What a request's `extensions.persistedQuery` asks.
pub enum Persisted {
    /// No persisted query.
    None,
    /// The text behind a hash, found.
    Found(String),
    /// A hash alone that this server does not hold: the client sends the text with it.
    NotFound,
    /// A text with its hash, checked: remembered once the document passes its checks.
    New(String),
}

impl Documents {
    /// Resolves the automatic persisted query of a request, if any: a hash alone is replaced
    /// by its text; a hash with a text is checked against it and remembered.
    pub fn persisted(
        &self,
        query: &str,
        ext: Option<&async_graphql::Value>,
    ) -> Result<Persisted, AppError> {
        let Some(ext) = ext else {
            return Ok(Persisted::None);
        };
        let bad = || {
            AppError::bad_input(
                "extensions.persistedQuery",
                "persistedQuery phải có dạng {\"version\": 1, \"sha256Hash\": \"…\"}.",
                "persistedQuery must be {\"version\": 1, \"sha256Hash\": \"…\"}.",
            )
        };
        let json = ext.clone().into_json().map_err(|_| bad())?;
        if json.get("version").and_then(|v| v.as_i64()) != Some(1) {
            return Err(bad());
        }
        let hash = json
            .get("sha256Hash")
            .and_then(|v| v.as_str())
            .filter(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()))
            .ok_or_else(bad)?
            .to_ascii_lowercase();
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        inner.tick += 1;
        let tick = inner.tick;
        if query.is_empty() {
            return match inner.persisted.get_mut(&hash) {
                Some((text, t)) => {
                    *t = tick;
                    Ok(Persisted::Found(text.to_string()))
                }
                None => Ok(Persisted::NotFound),
            };
        }
        let actual = hex(&sha2::Sha256::digest(query.as_bytes()));
        if actual != hash {
            return Err(AppError::bad_input(
                "extensions.persistedQuery",
                "sha256Hash không khớp với nội dung truy vấn.",
                "sha256Hash does not match the query text.",
            ));
        }
        Ok(Persisted::New(hash))
    }

    /// Lets `hash` stand for `query` from now on (a document that parsed and passed its
    /// checks).
    pub fn remember(&self, hash: String, query: &str) {
        if query.len() > MAX_KEPT_LEN {
            return;
        }
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        inner.tick += 1;
        let tick = inner.tick;
        if !inner.persisted.contains_key(&hash) {
            trim(&mut inner.persisted, 0);
        }
        inner.persisted.insert(hash, (Arc::from(query), tick));
    }

    /// The document of `query` if it was parsed and checked before.
    pub fn get(&self, query: &str) -> Option<Arc<ExecutableDocument>> {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        inner.tick += 1;
        let tick = inner.tick;
        let (doc, t) = inner.parsed.get_mut(query)?;
        *t = tick;
        Some(doc.clone())
    }

    /// Keeps a document that parsed and passed the shape checks.
    pub fn put(&self, query: &str, doc: ExecutableDocument) {
        if query.len() > MAX_KEPT_LEN {
            return;
        }
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        inner.tick += 1;
        let tick = inner.tick;
        trim(&mut inner.parsed, query.len());
        inner.parsed.insert(Arc::from(query), (Arc::new(doc), tick));
    }

    pub fn len(&self) -> (usize, usize) {
        let inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        (inner.parsed.len(), inner.persisted.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == (0, 0)
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_caches_stay_bounded() {
        let d = Documents::default();
        for i in 0..(CAPACITY * 3) {
            let q = format!("{{ a{i} }}");
            let doc = async_graphql::parser::parse_query(&q).unwrap();
            d.put(&q, doc);
            let hash = hex(&sha2::Sha256::digest(q.as_bytes()));
            let ext = async_graphql::Value::from_json(
                serde_json::json!({ "version": 1, "sha256Hash": hash }),
            )
            .unwrap();
            match d.persisted(&q, Some(&ext)) {
                Ok(Persisted::New(h)) => d.remember(h, &q),
                _ => panic!("a text with its hash"),
            }
        }
        let (parsed, persisted) = d.len();
        assert!(
            parsed <= CAPACITY && persisted <= CAPACITY,
            "{parsed} {persisted}"
        );
        // The newest are kept.
        let q = format!("{{ a{} }}", CAPACITY * 3 - 1);
        assert!(d.get(&q).is_some());
    }
}
