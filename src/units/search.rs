//! `searchUnits`: units by name, each with its current satisfaction per component.

use async_graphql::connection::Connection;
use async_graphql::{Context, Object, SimpleObject};
use entity::unit;

use super::graphql::Unit;
use crate::context::CtxExt;
use crate::error::AppError;
use crate::pagination::Page;
use crate::ratings::graphql::{SatisfactionView, satisfaction_of};
use crate::search::UnitQuery;
use crate::search::docs::By;
use crate::search::results::{SearchFields, enum_value, fields, order};
use crate::search::text::{ParsedQuery, highlight};

#[derive(SimpleObject)]
pub struct UnitHit {
    pub unit: Unit,
    pub highlight: Option<String>,
    pub satisfaction: SatisfactionView,
    pub on_time_share: Option<f64>,
}

#[derive(Default)]
pub struct UnitsSearchQuery;

#[Object]
impl UnitsSearchQuery {
    /// Search of units by name, each with its current satisfaction per component.
    #[graphql(complexity = "crate::pagination::search_cost(first, child_complexity)")]
    async fn search_units(
        &self,
        ctx: &Context<'_>,
        filter: Option<super::graphql::UnitFilterInput>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<String, UnitHit, SearchFields>> {
        let state = ctx.state();
        let f = filter.unwrap_or_default();
        if f.parent.is_some() || f.active_on.is_some() {
            return Err(AppError::bad_input(
                "filter",
                "Tìm kiếm đơn vị lọc theo từ khóa và khối; lọc theo đơn vị cha hay theo ngày hãy dùng units.",
                "Unit searches filter by words and block; to filter by parent or date, use units.",
            )
            .into());
        }
        let block = f.block;
        let text = crate::text::clean("filter.query", f.query.as_deref().unwrap_or(""), 500)?;
        let page = Page::parse(first, after.as_deref())?;
        let q = UnitQuery {
            text: text.clone(),
            block: block.map(|b| enum_value(unit::Block::from(b))),
            offset: page.offset as usize,
            limit: page.limit as usize,
        };
        let parsed = state
            .search
            .lexicon()
            .current()
            .for_highlights(ParsedQuery::parse(&text));
        let engine = state.search.engine()?;
        let h = engine.search_units(&q).await.map_err(AppError::internal)?;
        let rows = order(&h.ids, crate::units::by_ids(&state.db, &h.ids).await?);
        let (mut sat, on) = satisfaction_of(ctx, By::Unit, &h.ids).await?;
        let meta = fields(&h, false, state.search.engine_name());
        let nodes = rows
            .into_iter()
            .map(|u| UnitHit {
                highlight: highlight(&u.name, &parsed),
                satisfaction: sat.remove(&u.id).unwrap_or_default(),
                on_time_share: on.get(&u.id).map(|v| (v * 100.0).round() / 100.0),
                unit: Unit(u),
            })
            .collect();
        Ok(page.connection_with(h.total, nodes, meta))
    }
}
