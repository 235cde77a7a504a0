//! What every search answers beside its hits (total, time, engine, facets), the highlights of
//! a hit, and helpers the features' search resolvers share. The engines find ids; each feature
//! hydrates them from the database in the caller's view (`crate::access`).

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::{Object, SimpleObject};

use super::Hits;
use super::text::{ParsedQuery, highlight};

#[derive(SimpleObject, Clone)]
pub struct FacetValue {
    pub value: String,
    pub count: u64,
}

#[derive(SimpleObject, Clone)]
pub struct Facet {
    /// `status`, `category`, `unit`, `procedure`, `kind` (complaints); `field`, `level`,
    /// `unit` (procedures); `block` (units).
    pub name: String,
    pub values: Vec<FacetValue>,
}

/// What every search result carries beside its hits.
#[derive(SimpleObject)]
pub struct SearchFields {
    pub total_count: u64,
    /// Milliseconds the engine (or the database fallback) took.
    pub took_ms: f64,
    /// The engine was unavailable and the database answered: no typos, no facets.
    pub degraded: bool,
    /// `embedded`, `meilisearch` or `database`.
    pub engine: String,
    pub facets: Vec<Facet>,
    /// The query's words (as typed; a dictionary phrase as one) that some hits of this page
    /// lack: when not every word matched, the most frequent ones were dropped first and those
    /// hits rank after the full matches. Empty when every hit of the page has every word.
    pub dropped_words: Vec<String>,
}

pub fn fields(h: &Hits, degraded: bool, engine: &str) -> SearchFields {
    SearchFields {
        total_count: h.total,
        took_ms: (h.took_ms * 100.0).round() / 100.0,
        degraded,
        engine: engine.to_string(),
        dropped_words: h.dropped.clone(),
        facets: h
            .facets
            .iter()
            .map(|(name, values)| Facet {
                name: name.clone(),
                values: values
                    .iter()
                    .map(|(v, c)| FacetValue {
                        value: v.clone(),
                        count: *c,
                    })
                    .collect(),
            })
            .collect(),
    }
}

/// A hit's title and body with the query: each field is highlighted only when asked for.
pub struct Highlights {
    pub title: String,
    pub body: String,
    pub query: Arc<ParsedQuery>,
}

/// Matching words of a hit wrapped in `<em>…</em>`; null where nothing matched.
#[Object]
impl Highlights {
    async fn title(&self) -> Option<String> {
        highlight(&self.title, &self.query)
    }

    async fn body(&self) -> Option<String> {
        highlight(&self.body, &self.query)
    }
}

/// The stored string of an enum (how the engines index it).
pub fn enum_value<T: sea_orm::ActiveEnum<Value = String>>(v: T) -> String {
    v.to_value()
}

/// The query text of a search: clean, at most 500 characters.
pub fn check_query(q: &Option<String>) -> async_graphql::Result<String> {
    let q = q.clone().unwrap_or_default();
    Ok(crate::text::clean("query", &q, 500)?)
}

/// Rows in the order of the engine's ids (ids without a row are left out).
pub fn order<T>(ids: &[String], mut rows: HashMap<String, T>) -> Vec<T> {
    ids.iter().filter_map(|id| rows.remove(id)).collect()
}
