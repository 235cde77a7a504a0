//! `searchComplaints`, `searchProcedures` and `searchUnits`: the engine finds ids, the database
//! hydrates them (as the caller may see them), and the hits are highlighted here.
//!
//! When the engine is down, `searchComplaints` and `searchProcedures` answer from the database
//! (folded text, every word required, no typos, no facets) and say `degraded: true`.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::connection::Connection;
use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, FixedOffset, Utc};
use entity::{complaint, procedure, unit};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use super::docs::{By, on_time, tallies};
use super::text::{ParsedQuery, highlight};
use super::{ComplaintQuery, ComplaintSort, Hits, ProcedureQuery, ProcedureSort, UnitQuery};
use crate::complaints::graphql::{Complaint, ComplaintCategory, ComplaintKind, ComplaintStatus};
use crate::complaints::{ComplaintFilter, Order as ListOrder, View, view_of};
use crate::error::AppError;
use crate::graphql::CtxExt;
use crate::pagination::Page;
use crate::procedures::graphql::{Procedure, ProcedureLevel};
use crate::ratings::graphql::{Component, ComponentSatisfaction, stat};
use crate::units::Scope;
use crate::units::graphql::{Block, Unit};

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
}

fn fields(h: &Hits, degraded: bool, engine: &str) -> SearchFields {
    SearchFields {
        total_count: h.total,
        took_ms: (h.took_ms * 100.0).round() / 100.0,
        degraded,
        engine: engine.to_string(),
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
    title: String,
    body: String,
    query: Arc<ParsedQuery>,
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

#[derive(SimpleObject)]
pub struct ComplaintHit {
    pub complaint: Complaint,
    pub highlights: Highlights,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug, Default)]
pub enum ComplaintSearchSort {
    /// Best match first (newest first without a query).
    #[default]
    Relevance,
    ReceivedDesc,
    ReceivedAsc,
    AnswerDueAsc,
}

#[derive(InputObject, Default)]
pub struct ComplaintSearchFilter {
    /// The assigned unit.
    pub unit: Option<ID>,
    pub status: Option<ComplaintStatus>,
    pub kind: Option<ComplaintKind>,
    pub category: Option<ComplaintCategory>,
    pub procedure: Option<ID>,
    pub overdue: Option<bool>,
    pub from: Option<DateTime<FixedOffset>>,
    pub to: Option<DateTime<FixedOffset>>,
}

fn enum_value<T: sea_orm::ActiveEnum<Value = String>>(v: T) -> String {
    v.to_value()
}

fn check_query(q: &Option<String>) -> async_graphql::Result<String> {
    let q = q.clone().unwrap_or_default();
    Ok(crate::text::clean("query", &q, 500)?)
}

#[derive(SimpleObject)]
pub struct ProcedureHit {
    pub procedure: Procedure,
    /// The name with its matching words marked.
    pub highlight: Option<String>,
    /// Current verified satisfaction per component.
    pub satisfaction: Vec<ComponentSatisfaction>,
    /// Percent of completed dossiers completed on time.
    pub on_time_share: Option<f64>,
}

#[derive(SimpleObject)]
pub struct UnitHit {
    pub unit: Unit,
    pub highlight: Option<String>,
    pub satisfaction: Vec<ComponentSatisfaction>,
    pub on_time_share: Option<f64>,
}

#[derive(InputObject, Clone, Copy)]
pub struct SatisfactionBound {
    pub component: Component,
    /// Percent of answers that are 4 or 5.
    pub share: f64,
}

#[derive(InputObject, Default)]
pub struct ProcedureSearchFilter {
    pub unit: Option<ID>,
    pub field: Option<String>,
    pub level: Option<ProcedureLevel>,
    pub one_day: Option<bool>,
    /// Only procedures with at least this satisfied share of the component.
    pub min_satisfaction: Option<SatisfactionBound>,
    /// Only procedures (with answers) below this satisfied share of the component.
    pub max_satisfaction: Option<SatisfactionBound>,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug, Default)]
pub enum ProcedureSortBy {
    #[default]
    Relevance,
    /// By the satisfied share of `component` (procedures without answers left out).
    Satisfaction,
    /// Best on-time share first.
    OnTime,
}

#[derive(InputObject, Default)]
pub struct ProcedureSearchSort {
    pub by: ProcedureSortBy,
    /// With `SATISFACTION`: the component.
    pub component: Option<Component>,
    /// With `SATISFACTION`: weakest first when true (the default), best first when false.
    pub ascending: Option<bool>,
}

fn order<T>(ids: &[String], mut rows: HashMap<String, T>) -> Vec<T> {
    ids.iter().filter_map(|id| rows.remove(id)).collect()
}

async fn satisfaction_of(
    ctx: &Context<'_>,
    by: By,
    ids: &[String],
) -> async_graphql::Result<(
    HashMap<String, Vec<ComponentSatisfaction>>,
    HashMap<String, f64>,
)> {
    let db = &ctx.state().db;
    let min = ctx.state().config.min_sample;
    let t = tallies(db, by, ids).await?;
    let on = on_time(db, by, ids).await?;
    let mut out = HashMap::new();
    for id in ids {
        let s = t.get(id).cloned().unwrap_or_default();
        out.insert(
            id.clone(),
            <entity::rating_score::Component as sea_orm::Iterable>::iter()
                .map(|c| stat(Some(c), &s.get(c), min))
                .collect(),
        );
    }
    Ok((out, on))
}

#[derive(Default)]
pub struct SearchQuery;

#[Object]
impl SearchQuery {
    /// Full-text search of complaints, in Vietnamese with or without marks: officials in their
    /// units, evaluators and admins everywhere, everyone else among published answers.
    async fn search_complaints(
        &self,
        ctx: &Context<'_>,
        query: Option<String>,
        filter: Option<ComplaintSearchFilter>,
        sort: Option<ComplaintSearchSort>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<String, ComplaintHit, SearchFields>> {
        let state = ctx.state();
        let actor = ctx.actor();
        let text = check_query(&query)?;
        let page = Page::parse(first, after.as_deref())?;
        let f = filter.unwrap_or_default();
        let scope = crate::units::read_scope(&state.db, actor).await?;
        let now = Utc::now();
        let sort = sort.unwrap_or_default();
        let q = ComplaintQuery {
            text: text.clone(),
            scope_units: match &scope {
                Scope::Units(u) => Some(u.clone()),
                _ => None,
            },
            published_only: scope == Scope::None,
            unit: f.unit.clone().map(|i| i.0),
            status: f.status.map(|s| enum_value(complaint::Status::from(s))),
            kind: f.kind.map(|s| enum_value(complaint::Kind::from(s))),
            category: f.category.map(|s| enum_value(complaint::Category::from(s))),
            procedure: f.procedure.clone().map(|i| i.0),
            overdue: f.overdue,
            now: now.timestamp_millis(),
            from: f.from.map(|t| t.timestamp_millis()),
            to: f.to.map(|t| t.timestamp_millis()),
            sort: match sort {
                ComplaintSearchSort::Relevance => ComplaintSort::Relevance,
                ComplaintSearchSort::ReceivedDesc => ComplaintSort::ReceivedDesc,
                ComplaintSearchSort::ReceivedAsc => ComplaintSort::ReceivedAsc,
                ComplaintSearchSort::AnswerDueAsc => ComplaintSort::AnswerDueAsc,
            },
            offset: page.offset as usize,
            limit: page.limit as usize,
            facets: ctx.look_ahead().field("facets").exists(),
        };
        let parsed = ParsedQuery::parse(&text);
        let engine_result = match state.search.engine() {
            Ok(e) => e.search_complaints(&q).await,
            Err(e) => Err(e),
        };
        let (hits, items, degraded, engine) = match engine_result {
            Ok(h) => {
                let rows: HashMap<String, complaint::Model> = complaint::Entity::find()
                    .filter(complaint::Column::Id.is_in(h.ids.iter().cloned()))
                    .all(&state.db)
                    .await
                    .map_err(AppError::from)?
                    .into_iter()
                    .map(|c| (c.id.clone(), c))
                    .collect();
                let items: Vec<(complaint::Model, View)> = order(&h.ids, rows)
                    .into_iter()
                    .filter_map(|c| view_of(actor, &scope, &c).map(|v| (c, v)))
                    .collect();
                (h, items, false, state.search.engine_name())
            }
            Err(e) => {
                tracing::warn!(error = %e, "search engine unavailable: answering from the database");
                let started = std::time::Instant::now();
                let mut words: Vec<String> = parsed.words.iter().map(|(_, f)| f.clone()).collect();
                for c in &parsed.codes {
                    words.extend(super::text::words(c));
                }
                let filter = ComplaintFilter {
                    unit: q.unit.clone(),
                    status: f.status.map(Into::into),
                    kind: f.kind.map(Into::into),
                    category: f.category.map(Into::into),
                    overdue: f.overdue,
                    from: f.from.map(|t| t.with_timezone(&Utc)),
                    to: f.to.map(|t| t.with_timezone(&Utc)),
                };
                let mut extra = crate::db::words_match(complaint::Column::SearchText, &words);
                if let Some(p) = &q.procedure {
                    extra = extra.add(complaint::Column::ProcedureId.eq(p.as_str()));
                }
                let order = match sort {
                    ComplaintSearchSort::ReceivedAsc => ListOrder::ReceivedAsc,
                    ComplaintSearchSort::AnswerDueAsc => ListOrder::AnswerDueAsc,
                    _ => ListOrder::ReceivedDesc,
                };
                let (total, items) = crate::complaints::list_matching(
                    state,
                    actor,
                    &filter,
                    order,
                    page,
                    Some(extra),
                )
                .await?;
                let h = Hits {
                    total,
                    took_ms: started.elapsed().as_secs_f64() * 1000.0,
                    ..Default::default()
                };
                (h, items, true, "database")
            }
        };
        let meta = fields(&hits, degraded, engine);
        let parsed = Arc::new(parsed);
        let nodes: Vec<ComplaintHit> = items
            .into_iter()
            .map(|(model, view)| ComplaintHit {
                highlights: Highlights {
                    title: model.title.clone(),
                    body: model.body.clone(),
                    query: parsed.clone(),
                },
                complaint: Complaint { model, view },
            })
            .collect();
        Ok(page.connection_with(hits.total, nodes, meta))
    }

    /// Search of the public catalog of procedures, each with its current satisfaction per
    /// component; filter and sort by a component's satisfied share ("the procedures of Quận 5
    /// with the weakest OFFICIAL score" is one query).
    async fn search_procedures(
        &self,
        ctx: &Context<'_>,
        query: Option<String>,
        filter: Option<ProcedureSearchFilter>,
        sort: Option<ProcedureSearchSort>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<String, ProcedureHit, SearchFields>> {
        let state = ctx.state();
        let text = check_query(&query)?;
        let page = Page::parse(first, after.as_deref())?;
        let f = filter.unwrap_or_default();
        let s = sort.unwrap_or_default();
        let sort = match s.by {
            ProcedureSortBy::Relevance => ProcedureSort::Relevance,
            ProcedureSortBy::OnTime => ProcedureSort::OnTimeDesc,
            ProcedureSortBy::Satisfaction => {
                let c = s.component.ok_or_else(|| {
                    AppError::bad_input(
                        "sort.component",
                        "Sắp xếp theo mức hài lòng cần chọn tiêu chí (component).",
                        "Sorting by satisfaction needs a component.",
                    )
                })?;
                if s.ascending.unwrap_or(true) {
                    ProcedureSort::SatisfactionAsc(c.into())
                } else {
                    ProcedureSort::SatisfactionDesc(c.into())
                }
            }
        };
        for b in [f.min_satisfaction, f.max_satisfaction].iter().flatten() {
            if !(0.0..=100.0).contains(&b.share) {
                return Err(AppError::bad_input(
                    "filter.share",
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
        let parsed = ParsedQuery::parse(&text);
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
                let (total, rows) = crate::procedures::list(&state.db, &filter, page).await?;
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

    /// Search of units by name, each with its current satisfaction per component.
    async fn search_units(
        &self,
        ctx: &Context<'_>,
        query: Option<String>,
        block: Option<Block>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<String, UnitHit, SearchFields>> {
        let state = ctx.state();
        let text = check_query(&query)?;
        let page = Page::parse(first, after.as_deref())?;
        let q = UnitQuery {
            text: text.clone(),
            block: block.map(|b| enum_value(unit::Block::from(b))),
            offset: page.offset as usize,
            limit: page.limit as usize,
        };
        let parsed = ParsedQuery::parse(&text);
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
