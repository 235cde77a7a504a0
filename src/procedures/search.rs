//! `searchProcedures`: the public catalog, each hit with its current satisfaction per component
//! (filter and sort by a component's share). When the engine is down, the database answers and
//! says `degraded: true`.

use std::collections::HashMap;

use async_graphql::connection::Connection;
use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject};
use entity::procedure;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use super::graphql::{Procedure, ProcedureLevel};
use crate::context::CtxExt;
use crate::error::AppError;
use crate::pagination::Page;
use crate::ratings::graphql::{Component, SatisfactionView, satisfaction_of};
use crate::search::docs::By;
use crate::search::results::{SearchFields, enum_value, fields, order};
use crate::search::text::{ParsedQuery, highlight};
use crate::search::{Hits, ProcedureQuery, ProcedureSort};

#[derive(SimpleObject)]
pub struct ProcedureHit {
    pub procedure: Procedure,
    /// The name with its matching words marked.
    pub highlight: Option<String>,
    /// Current verified satisfaction per component.
    pub satisfaction: SatisfactionView,
    /// Percent of completed dossiers completed on time.
    pub on_time_share: Option<f64>,
}

#[derive(InputObject, Clone, Copy)]
pub struct SatisfactionBound {
    pub component: Component,
    /// Percent of answers that are 4 or 5.
    pub share: f64,
}

/// Which procedures `searchProcedures` returns. Every field narrows; all are optional.
#[derive(InputObject, Default)]
pub struct ProcedureSearchFilter {
    /// Words of the name (with or without diacritics), or a procedure code.
    pub query: Option<String>,
    /// Performed by this unit.
    pub unit: Option<ID>,
    pub field: Option<String>,
    pub level: Option<ProcedureLevel>,
    pub one_day: Option<bool>,
    /// Only procedures with at least this satisfied share of the component.
    pub min_satisfaction: Option<SatisfactionBound>,
    /// Only procedures (with answers) below this satisfied share of the component.
    pub max_satisfaction: Option<SatisfactionBound>,
}

/// How procedure hits are ordered. By a component's satisfied share, procedures without
/// answers are left out.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum ProcedureOrder {
    /// Best match first (best on-time share first without a query).
    Relevance,
    /// Best on-time share first.
    OnTimeShareDesc,
    AccessSatisfactionAsc,
    AccessSatisfactionDesc,
    ProcedureSatisfactionAsc,
    ProcedureSatisfactionDesc,
    OfficialSatisfactionAsc,
    OfficialSatisfactionDesc,
    ResultSatisfactionAsc,
    ResultSatisfactionDesc,
    FeedbackHandlingSatisfactionAsc,
    FeedbackHandlingSatisfactionDesc,
}

impl ProcedureOrder {
    fn sort(self) -> ProcedureSort {
        use entity::rating_score::Component as C;
        match self {
            ProcedureOrder::Relevance => ProcedureSort::Relevance,
            ProcedureOrder::OnTimeShareDesc => ProcedureSort::OnTimeDesc,
            ProcedureOrder::AccessSatisfactionAsc => ProcedureSort::SatisfactionAsc(C::Access),
            ProcedureOrder::AccessSatisfactionDesc => ProcedureSort::SatisfactionDesc(C::Access),
            ProcedureOrder::ProcedureSatisfactionAsc => {
                ProcedureSort::SatisfactionAsc(C::Procedure)
            }
            ProcedureOrder::ProcedureSatisfactionDesc => {
                ProcedureSort::SatisfactionDesc(C::Procedure)
            }
            ProcedureOrder::OfficialSatisfactionAsc => ProcedureSort::SatisfactionAsc(C::Official),
            ProcedureOrder::OfficialSatisfactionDesc => {
                ProcedureSort::SatisfactionDesc(C::Official)
            }
            ProcedureOrder::ResultSatisfactionAsc => ProcedureSort::SatisfactionAsc(C::Result),
            ProcedureOrder::ResultSatisfactionDesc => ProcedureSort::SatisfactionDesc(C::Result),
            ProcedureOrder::FeedbackHandlingSatisfactionAsc => {
                ProcedureSort::SatisfactionAsc(C::FeedbackHandling)
            }
            ProcedureOrder::FeedbackHandlingSatisfactionDesc => {
                ProcedureSort::SatisfactionDesc(C::FeedbackHandling)
            }
        }
    }
}

#[derive(Default)]
pub struct ProceduresSearchQuery;

#[Object]
impl ProceduresSearchQuery {
    /// Search of the public catalog of procedures, each with its current satisfaction per
    /// component; filter and sort by a component's satisfied share ("the procedures of Quận 5
    /// with the weakest OFFICIAL score" is one query).
    #[graphql(complexity = "crate::pagination::search_cost(first, child_complexity)")]
    async fn search_procedures(
        &self,
        ctx: &Context<'_>,
        filter: Option<ProcedureSearchFilter>,
        order_by: Option<ProcedureOrder>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<String, ProcedureHit, SearchFields>> {
        let state = ctx.state();
        let f = filter.unwrap_or_default();
        let text = crate::text::clean("filter.query", f.query.as_deref().unwrap_or(""), 500)?;
        let page = Page::parse(first, after.as_deref())?;
        let sort = order_by.unwrap_or(ProcedureOrder::Relevance).sort();
        for b in [f.min_satisfaction, f.max_satisfaction].iter().flatten() {
            if !(0.0..=100.0).contains(&b.share) {
                return Err(AppError::bad_input(
                    "filter.minSatisfaction.share",
                    "Tỷ lệ hài lòng tính theo phần trăm, từ 0 đến 100.",
                    "A satisfied share is a percentage from 0 to 100.",
                )
                .into());
            }
        }
        let q = ProcedureQuery {
            text: text.clone(),
            unit: f.unit.clone().map(|i| i.0),
            field: f.field.clone(),
            level: f.level.map(|l| enum_value(procedure::Level::from(l))),
            one_day: f.one_day,
            min_satisfaction: f.min_satisfaction.map(|b| (b.component.into(), b.share)),
            max_satisfaction: f.max_satisfaction.map(|b| (b.component.into(), b.share)),
            sort,
            offset: page.offset as usize,
            limit: page.limit as usize,
            facets: ctx.look_ahead().field("facets").exists(),
        };
        let parsed = state
            .search
            .lexicon()
            .current()
            .for_highlights(ParsedQuery::parse(&text));
        let engine_result = match state.search.engine() {
            Ok(e) => e.search_procedures(&q).await,
            Err(e) => Err(e),
        };
        let (hits, rows, degraded, engine) = match engine_result {
            Ok(h) => {
                let rows: HashMap<String, procedure::Model> = procedure::Entity::find()
                    .filter(procedure::Column::Id.is_in(h.ids.iter().cloned()))
                    .all(&state.db)
                    .await
                    .map_err(AppError::from)?
                    .into_iter()
                    .map(|p| (p.id.clone(), p))
                    .collect();
                let rows = order(&h.ids, rows);
                (h, rows, false, state.search.engine_name())
            }
            Err(e) => {
                tracing::warn!(error = %e, "search engine unavailable: answering from the database");
                let started = std::time::Instant::now();
                let filter = crate::procedures::ProcedureFilter {
                    unit: q.unit.clone(),
                    field: q.field.clone(),
                    level: f.level.map(Into::into),
                    one_day: q.one_day,
                    search: Some(text.clone()).filter(|t| !t.trim().is_empty()),
                    include_retired: false,
                };
                let (total, rows) =
                    crate::procedures::list(&state.db, &filter, page.clone()).await?;
                let h = Hits {
                    total,
                    took_ms: started.elapsed().as_secs_f64() * 1000.0,
                    ..Default::default()
                };
                (h, rows, true, "database")
            }
        };
        let ids: Vec<String> = rows.iter().map(|p| p.id.clone()).collect();
        let (mut sat, on) = satisfaction_of(ctx, By::Procedure, &ids).await?;
        let meta = fields(&hits, degraded, engine);
        let nodes = rows
            .into_iter()
            .map(|p| ProcedureHit {
                highlight: highlight(&p.name, &parsed),
                satisfaction: sat.remove(&p.id).unwrap_or_default(),
                on_time_share: on.get(&p.id).map(|v| (v * 100.0).round() / 100.0),
                procedure: Procedure(p),
            })
            .collect();
        Ok(page.connection_with(hits.total, nodes, meta))
    }
}
