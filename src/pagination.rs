//! Relay cursor connections (`first`/`after`, `edges { cursor node }`, `pageInfo`,
//! `totalCount`). Cursors are opaque to clients; a cursor that this server did not make is
//! `BAD_USER_INPUT`, not an empty page.
//!
//! Lists that grow (complaints, dossiers, dialogues) page by key ("seek"): a cursor holds the
//! sort value and id of the last row shown, and the next page starts strictly after it, so
//! rows arriving between two requests neither repeat nor push rows off a page, and a deep
//! page costs what the first costs. Such a cursor names its sort: it is refused by a list
//! sorted otherwise. Catalogs and ranked results (units, procedures, search hits) page by
//! position. `totalCount` is counted only when the request selects it.

use async_graphql::connection::{Connection, Edge};
use async_graphql::{ObjectType, OutputType, SimpleObject};
use base64::Engine;
use chrono::{DateTime, Utc};

use crate::error::AppError;

pub const DEFAULT_PAGE: u64 = 20;
pub const MAX_PAGE: u64 = 100;

const PREFIX: &str = "gy1:";
const KEY_PREFIX: &str = "gy2:";

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

/// The items a nested list (`Dialogue.issues(first:)`, …) returns: its `first`, 20 by default,
/// at most 100 (`BAD_USER_INPUT` on `field` outside 0..=100).
pub fn nested_first(field: &str, first: Option<i32>) -> Result<usize, crate::error::AppError> {
    match first {
        None => Ok(DEFAULT_PAGE as usize),
        Some(n) if (0..=MAX_PAGE as i32).contains(&n) => Ok(n as usize),
        Some(n) => Err(crate::error::AppError::bad_input(
            field,
            format!("`first` từ 0 đến {MAX_PAGE} (đã gửi {n})."),
            format!("`first` is between 0 and {MAX_PAGE} (got {n})."),
        )),
    }
}

/// The complexity of a nested list: its `first` (or the default) times what each item costs.
pub fn nested_cost(first: Option<i32>, child_complexity: usize) -> usize {
    items(first).max(1).saturating_mul(child_complexity)
}

/// Fields every connection carries beside its edges.
#[derive(SimpleObject, Clone, Copy)]
pub struct ConnectionFields {
    /// How many items match the filter, over all pages.
    pub total_count: u64,
}

pub type Conn<T> = Connection<String, T, ConnectionFields>;

/// A validated page request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    /// Rows to skip (lists paged by position).
    pub offset: u64,
    pub limit: u64,
    /// The last row of the previous page (lists paged by key).
    pub key: Option<Key>,
    /// The sort a keyed cursor must name.
    pub sort: &'static str,
    /// Whether the request selects `totalCount` (or another figure over the whole list).
    pub count: bool,
}

/// Where the previous page ended: its last row's sort value and id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key {
    pub at: DateTime<Utc>,
    pub id: String,
}

/// A page of a keyed list: each item with its cursor.
pub struct Slice<T> {
    pub total: Option<u64>,
    pub has_next: bool,
    pub items: Vec<(String, T)>,
}

impl<T> Slice<T> {
    pub fn empty() -> Slice<T> {
        Slice {
            total: Some(0),
            has_next: false,
            items: vec![],
        }
    }

    pub fn map<U>(self, mut f: impl FnMut(T) -> U) -> Slice<U> {
        Slice {
            total: self.total,
            has_next: self.has_next,
            items: self.items.into_iter().map(|(c, t)| (c, f(t))).collect(),
        }
    }
}

/// Whether the field being resolved selects `totalCount` (through fragments too).
pub fn selects_total(ctx: &async_graphql::Context<'_>) -> bool {
    ctx.look_ahead().field("totalCount").exists()
}

impl Page {
    /// Parses `first` (0 to 100, default 20) and `after` (a cursor from a previous page) of a
    /// list paged by position.
    pub fn parse(first: Option<i32>, after: Option<&str>) -> Result<Page, AppError> {
        let limit = parse_first(first)?;
        let offset = match after {
            None => 0,
            Some(c) => decode_cursor(c)? + 1,
        };
        Ok(Page {
            offset,
            limit,
            key: None,
            sort: "",
            count: true,
        })
    }

    /// Parses `first` and `after` of a list paged by key under the sort named `sort`;
    /// `count` says whether the whole list must be counted.
    pub fn keyed(
        sort: &'static str,
        first: Option<i32>,
        after: Option<&str>,
        count: bool,
    ) -> Result<Page, AppError> {
        let limit = parse_first(first)?;
        let key = after.map(|c| decode_key(sort, c)).transpose()?;
        Ok(Page {
            offset: 0,
            limit,
            key,
            sort,
            count,
        })
    }

    /// [`Page::keyed`] for the field being resolved, counting the whole list only when the
    /// request selects `totalCount`.
    pub fn keyed_for(
        ctx: &async_graphql::Context<'_>,
        sort: &'static str,
        first: Option<i32>,
        after: Option<&str>,
    ) -> Result<Page, AppError> {
        Page::keyed(sort, first, after, selects_total(ctx))
    }

    /// Orders `q` by `col` (then id, the same way) and starts it after the cursor's row;
    /// fetches one row more than the page, which tells whether another page follows.
    pub fn seek<E: sea_orm::EntityTrait>(
        &self,
        q: sea_orm::Select<E>,
        col: E::Column,
        desc: bool,
        id: E::Column,
    ) -> sea_orm::Select<E> {
        use sea_orm::sea_query::{Expr, IntoColumnRef};
        self.seek_by(q, Expr::col(col.into_column_ref()), desc, id)
    }

    /// [`Page::seek`] on an expression of the row (a `CASE` of columns, say).
    pub fn seek_by<E: sea_orm::EntityTrait>(
        &self,
        q: sea_orm::Select<E>,
        key: sea_orm::sea_query::SimpleExpr,
        desc: bool,
        id: E::Column,
    ) -> sea_orm::Select<E> {
        use sea_orm::sea_query::{Expr, ExprTrait};
        use sea_orm::{ColumnTrait, Condition, QueryFilter, QueryOrder, QuerySelect};
        let q = match &self.key {
            None => q,
            Some(k) => {
                let e = || Expr::expr(key.clone());
                let (beyond, id_beyond) = if desc {
                    (e().lt(k.at), id.lt(k.id.clone()))
                } else {
                    (e().gt(k.at), id.gt(k.id.clone()))
                };
                q.filter(
                    Condition::any()
                        .add(beyond)
                        .add(Condition::all().add(e().eq(k.at)).add(id_beyond)),
                )
            }
        };
        let order = if desc {
            sea_orm::Order::Desc
        } else {
            sea_orm::Order::Asc
        };
        q.order_by(key, order.clone())
            .order_by(id, order)
            .offset(self.offset)
            .limit(self.limit + 1)
    }

    /// The page of `rows` (fetched by [`Page::seek`]), each with its key.
    pub fn slice<T>(
        &self,
        total: Option<u64>,
        mut rows: Vec<T>,
        key: impl Fn(&T) -> (DateTime<Utc>, &str),
    ) -> Slice<T> {
        let has_next = rows.len() as u64 > self.limit;
        rows.truncate(self.limit as usize);
        let items = rows
            .into_iter()
            .enumerate()
            .map(|(i, r)| {
                // A page by position (a search's fallback) keeps positions as cursors.
                let cursor = if self.sort.is_empty() {
                    encode_cursor(self.offset + i as u64)
                } else {
                    let (at, id) = key(&r);
                    encode_key(self.sort, at, id)
                };
                (cursor, r)
            })
            .collect();
        Slice {
            total,
            has_next,
            items,
        }
    }

    /// The connection of a keyed page.
    pub fn keyed_connection<T: OutputType>(&self, s: Slice<T>) -> Conn<T> {
        let fields = ConnectionFields {
            total_count: s.total.unwrap_or(0),
        };
        self.keyed_connection_with(s, fields)
    }

    /// Like [`Page::keyed_connection`], with other fields beside the edges.
    pub fn keyed_connection_with<T: OutputType, F: ObjectType>(
        &self,
        s: Slice<T>,
        fields: F,
    ) -> Connection<String, T, F> {
        let mut c = Connection::with_additional_fields(
            self.key.is_some() || self.offset > 0,
            s.has_next,
            fields,
        );
        c.edges
            .extend(s.items.into_iter().map(|(cur, node)| Edge::new(cur, node)));
        c
    }
}

fn parse_first(first: Option<i32>) -> Result<u64, AppError> {
    Ok(match first {
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
    })
}

impl Page {
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

fn bad_cursor() -> AppError {
    AppError::bad_input(
        "after",
        "Con trỏ phân trang không hợp lệ; hãy dùng giá trị cursor do máy chủ trả về.",
        "The pagination cursor is invalid; use a cursor returned by the server.",
    )
}

/// The cursor of a row of a keyed list: its sort, sort value (nanoseconds) and id.
pub fn encode_key(sort: &str, at: DateTime<Utc>, id: &str) -> String {
    let nanos = at.timestamp_nanos_opt().unwrap_or(i64::MAX);
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(format!("{KEY_PREFIX}{sort}:{nanos}:{id}"))
}

/// Reads a keyed cursor made for the sort `sort`; any other cursor is `BAD_USER_INPUT`.
pub fn decode_key(sort: &str, cursor: &str) -> Result<Key, AppError> {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(cursor.trim())
        .map_err(|_| bad_cursor())?;
    let s = String::from_utf8(bytes).map_err(|_| bad_cursor())?;
    let rest = s.strip_prefix(KEY_PREFIX).ok_or_else(bad_cursor)?;
    let mut parts = rest.splitn(3, ':');
    let (Some(tag), Some(nanos), Some(id)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(bad_cursor());
    };
    if tag != sort {
        return Err(AppError::bad_input(
            "after",
            "Con trỏ này thuộc một cách sắp xếp khác; hãy bắt đầu lại từ trang đầu.",
            "This cursor belongs to another sort order; start again from the first page.",
        ));
    }
    let nanos: i64 = nanos.parse().map_err(|_| bad_cursor())?;
    if id.is_empty() || id.len() > 64 || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    {
        return Err(bad_cursor());
    }
    Ok(Key {
        at: DateTime::from_timestamp_nanos(nanos),
        id: id.to_string(),
    })
}

pub fn decode_cursor(cursor: &str) -> Result<u64, AppError> {
    let bad = bad_cursor;
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
        let p = Page::parse(None, None).unwrap();
        assert_eq!((p.offset, p.limit, p.key), (0, 20, None));
        assert_eq!(Page::parse(Some(0), None).unwrap().limit, 0);
        assert!(Page::parse(Some(-1), None).is_err());
        assert!(Page::parse(Some(101), None).is_err());
        let c = encode_cursor(4);
        let p = Page::parse(Some(5), Some(&c)).unwrap();
        assert_eq!((p.offset, p.limit), (5, 5));
    }

    #[test]
    fn keyed_cursors_name_their_sort() {
        let at = DateTime::from_timestamp_nanos(1_764_000_000_123_456_789);
        let c = encode_key("c.rd", at, "0193-abc");
        let p = Page::keyed("c.rd", Some(3), Some(&c), false).unwrap();
        assert_eq!(
            p.key,
            Some(Key {
                at,
                id: "0193-abc".into()
            })
        );
        // Tied to its sort, and never taken for a position or the other way round.
        assert!(Page::keyed("c.ra", None, Some(&c), false).is_err());
        assert!(Page::parse(None, Some(&c)).is_err());
        assert!(Page::keyed("c.rd", None, Some(&encode_cursor(3)), false).is_err());
        // Ids are checked: nothing but what the server makes reaches a query.
        let forged =
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode("gy2:c.rd:1:x' or 1=1");
        assert!(Page::keyed("c.rd", None, Some(&forged), false).is_err());
    }
}
