//! Relay cursor connections (`first`/`after`, `edges { cursor node }`, `pageInfo`,
//! `totalCount`). Cursors are opaque to clients; a cursor that this server did not make is
//! `BAD_USER_INPUT`, not an empty page.

use async_graphql::connection::{Connection, Edge};
use async_graphql::{ObjectType, OutputType, SimpleObject};
use base64::Engine;

use crate::error::AppError;

pub const DEFAULT_PAGE: u64 = 20;
pub const MAX_PAGE: u64 = 100;

const PREFIX: &str = "gy1:";

/// What one search costs in a request's complexity budget beside its hits: a search reads
/// indexes and counts facets, so it weighs as much as hundreds of plain fields.
pub const SEARCH_COST: usize = 500;

/// Items a `first` argument asks for, as the complexity check counts them (out-of-range values
/// are refused later, by [`Page::parse`]).
fn items(first: Option<i32>) -> usize {
    first
        .map(|n| n.clamp(0, MAX_PAGE as i32) as usize)
        .unwrap_or(DEFAULT_PAGE as usize)
}

/// The complexity of a list field: each item costs what its selected fields cost.
pub fn list_cost(first: Option<i32>, child_complexity: usize) -> usize {
    1usize.saturating_add(items(first).saturating_mul(child_complexity))
}

/// The complexity of a search field: [`SEARCH_COST`] plus its hits.
pub fn search_cost(first: Option<i32>, child_complexity: usize) -> usize {
    SEARCH_COST.saturating_add(items(first).saturating_mul(child_complexity))
}

/// Fields every connection carries beside its edges.
#[derive(SimpleObject, Clone, Copy)]
pub struct ConnectionFields {
    /// How many items match the filter, over all pages.
    pub total_count: u64,
}

pub type Conn<T> = Connection<String, T, ConnectionFields>;

/// A validated page request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub offset: u64,
    pub limit: u64,
}

impl Page {
    /// Parses `first` (0 to 100, default 20) and `after` (a cursor from a previous page).
    pub fn parse(first: Option<i32>, after: Option<&str>) -> Result<Page, AppError> {
        let limit = match first {
            None => DEFAULT_PAGE,
            Some(n) if n < 0 => {
                return Err(AppError::bad_input(
                    "first",
                    "Tham số first không được âm.",
                    "first must not be negative.",
                ));
            }
            Some(n) if n as u64 > MAX_PAGE => {
                return Err(AppError::bad_input(
                    "first",
                    format!("Mỗi trang tối đa {MAX_PAGE} mục (first = {n})."),
                    format!("A page holds at most {MAX_PAGE} items (first = {n})."),
                ));
            }
            Some(n) => n as u64,
        };
        let offset = match after {
            None => 0,
            Some(c) => decode_cursor(c)? + 1,
        };
        Ok(Page { offset, limit })
    }

    /// Builds the connection for the items of this page out of `total`.
    pub fn connection<T: OutputType>(&self, total: u64, items: Vec<T>) -> Conn<T> {
        self.connection_with(total, items, ConnectionFields { total_count: total })
    }

    /// Like [`Page::connection`], with other fields beside the edges (statistics, say).
    pub fn connection_with<T: OutputType, F: ObjectType>(
        &self,
        total: u64,
        items: Vec<T>,
        fields: F,
    ) -> Connection<String, T, F> {
        let has_next = self.offset + (items.len() as u64) < total;
        let mut c = Connection::with_additional_fields(self.offset > 0, has_next, fields);
        c.edges.extend(
            items
                .into_iter()
                .enumerate()
                .map(|(i, node)| Edge::new(encode_cursor(self.offset + i as u64), node)),
        );
        c
    }
}

pub fn encode_cursor(position: u64) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{PREFIX}{position}"))
}

pub fn decode_cursor(cursor: &str) -> Result<u64, AppError> {
    let bad = || {
        AppError::bad_input(
            "after",
            "Con trỏ phân trang không hợp lệ; hãy dùng giá trị cursor do máy chủ trả về.",
            "The pagination cursor is invalid; use a cursor returned by the server.",
        )
    };
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(cursor.trim())
        .map_err(|_| bad())?;
    let s = String::from_utf8(bytes).map_err(|_| bad())?;
    let n = s.strip_prefix(PREFIX).ok_or_else(bad)?;
    let n: u64 = n.parse().map_err(|_| bad())?;
    if n > 10_000_000 {
        return Err(bad());
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_round_trip() {
        for n in [0, 1, 99, 12345] {
            assert_eq!(decode_cursor(&encode_cursor(n)).unwrap(), n);
        }
    }

    #[test]
    fn forged_cursors_are_bad_input() {
        for c in ["", "xyz", "Zm9vOjE", "Z3kxOi0x", "!!!"] {
            assert!(
                matches!(decode_cursor(c), Err(AppError::BadInput { .. })),
                "{c}"
            );
        }
    }

    #[test]
    fn page_limits() {
        assert_eq!(
            Page::parse(None, None).unwrap(),
            Page {
                offset: 0,
                limit: 20
            }
        );
        assert_eq!(Page::parse(Some(0), None).unwrap().limit, 0);
        assert!(Page::parse(Some(-1), None).is_err());
        assert!(Page::parse(Some(101), None).is_err());
        let c = encode_cursor(4);
        assert_eq!(
            Page::parse(Some(5), Some(&c)).unwrap(),
            Page {
                offset: 5,
                limit: 5
            }
        );
    }
}
