//! The complexity limit, with a refusal a portal team can act on: the request's cost, the
//! limit, and the field that weighs most, by its path (`dialogues.edges.node.issues`), in
//! both languages.
//!
//! The cost is async-graphql's own estimate (each field 1 plus its children, a list its
//! `first` or its bound times its items, a search [`crate::pagination::SEARCH_COST`] more).
//! When a request is over the limit, the heaviest field is found by asking the same estimate
//! of trimmed copies of the request: the copy keeps one field of a selection and blanks its
//! siblings (spaces keep every position), so the estimate of each sibling is read one at a
//! time, down the heaviest branch. The probes run on a schema of their own that validates
//! in the fast mode and never executes: at most one probe per selected field.

use std::sync::{Arc, Mutex, OnceLock};

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextParseQuery, NextValidation,
};
use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::{Pos, Positioned, ServerError, ServerResult, ValidationResult, Variables};

use crate::error::Lang;

/// Refuses requests whose estimated cost is over `limit`.
pub struct ComplexityLimit {
    pub limit: usize,
}

impl ExtensionFactory for ComplexityLimit {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(Request {
            limit: self.limit,
            seen: Mutex::new(None),
        })
    }
}

struct Request {
    limit: usize,
    /// The request's text and variables, kept for the probes (ordinary sizes only).
    seen: Mutex<Option<(String, Variables)>>,
}

#[async_trait::async_trait]
impl Extension for Request {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        if query.len() <= MAX_PROBED_TEXT
            && let Ok(mut s) = self.seen.lock()
        {
            *s = Some((query.to_string(), variables.clone()));
        }
        next.run(ctx, query, variables).await
    }

    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        let r = next.run(ctx).await?;
        if r.complexity <= self.limit {
            return Ok(r);
        }
        let seen = self.seen.lock().ok().and_then(|mut s| s.take());
        let heaviest = match seen {
            Some((text, vars)) => match async_graphql::parser::parse_query(&text) {
                Ok(doc) => heaviest(&text, &doc, &vars).await,
                Err(_) => None,
            },
            None => None,
        };
        Err(vec![refusal(r.complexity, self.limit, heaviest)])
    }
}

fn refusal(cost: usize, limit: usize, heaviest: Option<(String, usize)>) -> ServerError {
    let lang = Lang::current();
    let msg = match (&heaviest, lang) {
        (Some((path, c)), Lang::Vi) => format!(
            "Yêu cầu có độ phức tạp ước tính {cost}, tối đa {limit}. Nặng nhất là trường `{path}` ({c}). Hãy giảm `first` của danh sách đó (hoặc của danh sách lồng trong nó), hay tách thành nhiều yêu cầu."
        ),
        (Some((path, c)), Lang::En) => format!(
            "The request's estimated complexity is {cost}; the limit is {limit}. The heaviest field is `{path}` ({c}). Lower the `first` of that list (or of a list inside it), or split the request."
        ),
        (None, Lang::Vi) => format!(
            "Yêu cầu có độ phức tạp ước tính {cost}, tối đa {limit}. Hãy giảm `first` của các danh sách, hay tách thành nhiều yêu cầu."
        ),
        (None, Lang::En) => format!(
            "The request's estimated complexity is {cost}; the limit is {limit}. Lower the `first` of its lists, or split the request."
        ),
    };
    let mut e = ServerError::new(msg, None);
    let mut ext = async_graphql::ErrorExtensionValues::default();
    ext.set("code", "BAD_USER_INPUT");
    ext.set("cost", cost as u64);
    ext.set("limit", limit as u64);
    if let Some((path, c)) = heaviest {
        ext.set("field", path);
        ext.set("fieldCost", c as u64);
    }
    e.extensions = Some(ext);
    e
}

/// The schema the probes run on: the same types, fast validation, no limits, and an
/// extension that reports the estimate and stops before anything runs.
fn probe_schema() -> &'static crate::graphql::PortalSchema {
    static SCHEMA: OnceLock<crate::graphql::PortalSchema> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        crate::graphql::builder()
            .validation_mode(async_graphql::ValidationMode::Fast)
            .extension(Report)
            .finish()
    })
}

struct Report;

impl ExtensionFactory for Report {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(ReportOfRequest)
    }
}

struct ReportOfRequest;

#[async_trait::async_trait]
impl Extension for ReportOfRequest {
    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        let r = next.run(ctx).await?;
        Err(vec![ServerError::new(
            format!("cost {}", r.complexity),
            None,
        )])
    }
}

/// The estimate of `text` (with `vars`), or none if it does not validate.
async fn estimate(text: String, vars: &Variables) -> Option<usize> {
    let r = probe_schema()
        .execute(async_graphql::Request::new(text).variables(vars.clone()))
        .await;
    r.errors
        .first()
        .and_then(|e| e.message.strip_prefix("cost "))
        .and_then(|n| n.parse().ok())
}

/// The byte offset of a position (lines and columns count from 1, columns in characters).
fn offset(text: &str, pos: Pos) -> Option<usize> {
    let mut line_start = 0usize;
    for _ in 1..pos.line {
        line_start += text[line_start..].find('\n')? + 1;
    }
    let line = &text[line_start..];
    let col = line
        .char_indices()
        .nth(pos.column.saturating_sub(1))
        .map_or(line.len(), |(i, _)| i);
    Some(line_start + col)
}

/// Where a selection that starts at `start` ends: before the first bracket closing what it
/// did not open, strings and comments skipped.
fn end_of(text: &str, start: usize) -> usize {
    let b = text.as_bytes();
    let (mut i, mut depth) = (start, 0usize);
    while i < b.len() {
        match b[i] {
            b'#' => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'"' if b[i..].starts_with(b"\"\"\"") => {
                i += 3;
                while i < b.len() && !b[i..].starts_with(b"\"\"\"") {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                i += 2;
            }
            b'"' => {
                i += 1;
                while i < b.len() && b[i] != b'"' && b[i] != b'\n' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'{' | b'[' | b'(' => depth += 1,
            b'}' | b']' | b')' => {
                if depth == 0 {
                    return i;
                }
                depth -= 1;
            }
            _ => {}
        }
        i += 1;
    }
    b.len()
}

/// The byte ranges of a selection set's items, in order.
fn item_ranges(text: &str, set: &Positioned<SelectionSet>) -> Option<Vec<(usize, usize)>> {
    let starts: Vec<usize> = set
        .node
        .items
        .iter()
        .map(|i| offset(text, i.pos))
        .collect::<Option<_>>()?;
    Some(
        starts
            .iter()
            .enumerate()
            .map(|(k, &s)| {
                (
                    s,
                    starts
                        .get(k + 1)
                        .copied()
                        .unwrap_or_else(|| end_of(text, s)),
                )
            })
            .collect(),
    )
}

fn blank(text: &mut [u8], (from, to): (usize, usize)) {
    let to = to.min(text.len());
    for c in &mut text[from..to] {
        if *c != b'\n' {
            *c = b' ';
        }
    }
}

/// The longest request whose heaviest field is looked for (bytes).
const MAX_PROBED_TEXT: usize = 16 * 1024;
/// The most trimmed copies one refusal estimates.
const MAX_PROBES: usize = 32;

/// The field that weighs most, by its path, with its estimate: among the operation's fields,
/// the heaviest; within it, the heaviest of its children while it has some.
async fn heaviest(
    text: &str,
    doc: &ExecutableDocument,
    vars: &Variables,
) -> Option<(String, usize)> {
    // The probes re-read the request (of ordinary size only, see `parse_query`), at most
    // `MAX_PROBES` times, so that a refusal never costs more than a few requests.
    let mut ops = doc.operations.iter();
    let (_, op) = ops.next()?;
    if ops.next().is_some() {
        return None;
    }
    let mut work = text.as_bytes().to_vec();
    let mut set: &Positioned<SelectionSet> = &op.node.selection_set;
    let mut path: Vec<String> = vec![];
    let mut best_cost = None;
    let mut probes = 0usize;
    for _ in 0..12 {
        let ranges = item_ranges(text, set)?;
        let mut best: Option<(usize, usize)> = None;
        for k in 0..ranges.len() {
            // Scalars weigh 1: the path follows the objects and lists.
            let Selection::Field(f) = &set.node.items[k].node else {
                continue;
            };
            if f.node.selection_set.node.items.is_empty() {
                continue;
            }
            let mut copy = work.clone();
            for (j, r) in ranges.iter().enumerate() {
                if j != k {
                    blank(&mut copy, *r);
                }
            }
            probes += 1;
            if probes > MAX_PROBES {
                break;
            }
            let Some(c) = estimate(String::from_utf8(copy).ok()?, vars).await else {
                continue;
            };
            if best.is_none_or(|(_, b)| c > b) {
                best = Some((k, c));
            }
        }
        let Some((k, c)) = best else { break };
        // Down a branch only while it carries at least half of the weight above it: the path
        // ends at the list that makes the cost, not at a small object inside it.
        if best_cost.is_some_and(|above| c * 2 < above) {
            break;
        }
        let Selection::Field(f) = &set.node.items[k].node else {
            break;
        };
        path.push(f.node.response_key().node.to_string());
        best_cost = Some(c);
        for (j, r) in ranges.iter().enumerate() {
            if j != k {
                blank(&mut work, *r);
            }
        }
        set = &f.node.selection_set;
    }
    Some((path.join("."), best_cost?))
}
