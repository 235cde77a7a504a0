//! `searchComplaints`: the engine finds ids, the database hydrates them in the caller's view
//! (`crate::access`), and the hits are highlighted. When the engine is down, the database answers
//! (folded text, every word required, no typos, no facets) and says `degraded: true`.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::connection::Connection;
use async_graphql::{Context, Object, SimpleObject};
use entity::complaint;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use super::graphql::{Complaint, ComplaintFilterInput, ComplaintOrder};
use super::{ComplaintFilter, Order as ListOrder, View};
use crate::access::Scope;
use crate::context::CtxExt;
use crate::error::AppError;
use crate::pagination::Page;
use crate::privacy::masks::TextField;
use crate::search::results::{Highlights, SearchFields, enum_value, fields, order};
use crate::search::text::ParsedQuery;
use crate::search::{ComplaintQuery, ComplaintSort, Concern, Dictionary, Hits};

#[derive(SimpleObject)]
pub struct ComplaintHit {
    pub complaint: Complaint,
    pub highlights: Highlights,
}

/// The database's match of a query's words (a list's `filter.query`, and searches while the
/// engine is down).
pub fn words_condition(text: &str) -> sea_orm::Condition {
    let parsed = ParsedQuery::parse(text);
    let mut words: Vec<String> = parsed.words.iter().map(|(_, f)| f.clone()).collect();
    for c in &parsed.codes {
        words.extend(crate::search::text::words(c));
    }
    // Each word is a scan pattern: the same word once, and at most a dozen of them.
    let mut seen = std::collections::HashSet::new();
    words.retain(|w| seen.insert(w.clone()));
    words.truncate(12);
    crate::db::words_match(complaint::Column::SearchText, &words)
}

/// Whether `text` names a code that only a hidden link could match for a caller who sees
/// published answers only: a code that is neither a tracking code nor a catalogued procedure's
/// could only be a dossier's, and the public view hides which dossier an item is about (its
/// receipt code leads to its filer). Such a query finds nothing for that caller, in its count
/// too.
pub async fn names_hidden_code(
    db: &sea_orm::DatabaseConnection,
    text: &str,
) -> Result<bool, AppError> {
    let others: Vec<String> = ParsedQuery::parse(text)
        .codes
        .into_iter()
        .filter(|c| !(c.starts_with("GY") && super::code::parse(c).is_ok()))
        .collect();
    if others.is_empty() {
        return Ok(false);
    }
    let known = entity::procedure::Entity::find()
        .filter(entity::procedure::Column::Code.is_in(others.iter().cloned()))
        .all(db)
        .await?;
    Ok(others
        .iter()
        .any(|c| !known.iter().any(|p| p.code.eq_ignore_ascii_case(c))))
}

/// A list's `filter.query` as a condition in the caller's scope ([`words_condition`], and
/// nothing for a public caller whose query names a hidden code: [`names_hidden_code`]).
pub async fn query_condition(
    db: &sea_orm::DatabaseConnection,
    scope: &Scope,
    text: &str,
) -> Result<Option<sea_orm::Condition>, AppError> {
    if text.is_empty() {
        return Ok(None);
    }
    if *scope == Scope::None && names_hidden_code(db, text).await? {
        return Ok(Some(
            sea_orm::Condition::all().add(sea_orm::sea_query::Expr::cust("1 = 0")),
        ));
    }
    Ok(Some(words_condition(text)))
}

/// A `filter.concern`, for the callers who may use it (`access::sees_concerns`).
pub fn checked_concern(
    actor: &crate::auth::Actor,
    concern: Option<Concern>,
) -> Result<Option<Concern>, AppError> {
    match concern {
        Some(_) if !crate::access::sees_concerns(actor) => Err(AppError::forbidden(
            "Chỉ cán bộ, người thẩm định và quản trị viên lọc được theo mối quan tâm (concern).",
            "Only officials, evaluators and admins may filter by concern.",
        )
        .with_field("filter.concern")),
        c => Ok(c),
    }
}

/// The database's match of a concern: the stored folded text holds one of its phrases, its
/// words in a row (as complaints are flagged). An `all` condition holding the alternatives,
/// so that conditions added to it are required.
pub fn concern_condition(dict: &Dictionary, c: Concern) -> sea_orm::Condition {
    let mut any = sea_orm::Condition::any();
    for phrase in dict.concern_phrases(c) {
        any = any.add(crate::db::words_match(
            complaint::Column::SearchText,
            &[phrase.join(" ")],
        ));
    }
    sea_orm::Condition::all().add(any)
}

#[derive(Default)]
pub struct ComplaintsSearchQuery;

#[Object]
impl ComplaintsSearchQuery {
    /// Full-text search of complaints, in Vietnamese with or without marks: officials in their
    /// units, evaluators and admins everywhere, everyone else among published answers.
    #[graphql(complexity = "crate::pagination::search_cost(first, child_complexity)")]
    async fn search_complaints(
        &self,
        ctx: &Context<'_>,
        filter: Option<ComplaintFilterInput>,
        order_by: Option<ComplaintOrder>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<String, ComplaintHit, SearchFields>> {
        let state = ctx.state();
        let actor = ctx.actor();
        let f = filter.unwrap_or_default();
        let text = crate::text::clean("filter.query", f.query.as_deref().unwrap_or(""), 500)?;
        let page = Page::parse(first, after.as_deref())?;
        if f.unit.is_some() {
            return Err(AppError::bad_input(
                "filter.unit",
                "Tìm kiếm lọc theo đơn vị đang xử lý (assignedUnit); lọc theo đơn vị bị phản ánh (unit) hãy dùng complaints.",
                "Searches filter by the unit handling the item (assignedUnit); to filter by the unit concerned (unit), use complaints.",
            )
            .into());
        }
        let sort = match order_by {
            None | Some(ComplaintOrder::Relevance) => ComplaintSort::Relevance,
            Some(ComplaintOrder::ReceivedAtDesc) => ComplaintSort::ReceivedDesc,
            Some(ComplaintOrder::ReceivedAtAsc) => ComplaintSort::ReceivedAsc,
            Some(ComplaintOrder::AnswerDueAtAsc) => ComplaintSort::AnswerDueAsc,
            Some(ComplaintOrder::NextDeadlineAsc) => {
                return Err(AppError::bad_input(
                    "orderBy",
                    "Tìm kiếm không sắp theo hạn kế tiếp; hãy dùng complaints(orderBy: NEXT_DEADLINE_ASC).",
                    "Searches do not order by the next deadline; use complaints(orderBy: NEXT_DEADLINE_ASC).",
                )
                .into());
            }
        };
        let resolved = f.resolve(ctx).await?;
        let concern = checked_concern(actor, f.concern)?;
        let scope = ctx.read_scope().await?.clone();
        // Rolling up: the unit and its predecessors, within the caller's scope.
        let rolled = resolved.also_assigned.clone();
        let (scope_units, unit) = match (&f.assigned_unit, rolled.is_empty()) {
            (Some(u), false) => {
                let mut all: Vec<String> = std::iter::once(u.0.clone()).chain(rolled).collect();
                if let Scope::Units(mine) = &scope {
                    all.retain(|x| mine.contains(x));
                }
                (Some(all), None)
            }
            _ => (
                match &scope {
                    Scope::Units(u) => Some(u.clone()),
                    _ => None,
                },
                f.assigned_unit.clone().map(|i| i.0),
            ),
        };
        // A dialogue the caller may not see is not confirmed to exist by its issues' count.
        if let Some(d) = &f.dialogue
            && !crate::dialogues::visible(state, actor, d).await?
        {
            let none = Hits::default();
            return Ok(page.connection_with(
                0,
                vec![],
                fields(&none, false, state.search.engine_name()),
            ));
        }
        if scope == Scope::None && names_hidden_code(&state.db, &text).await? {
            let none = Hits::default();
            return Ok(page.connection_with(
                0,
                vec![],
                fields(&none, false, state.search.engine_name()),
            ));
        }
        let now = crate::clock::now();
        let q = ComplaintQuery {
            text: text.clone(),
            scope_units,
            published_only: scope == Scope::None,
            unit,
            status: resolved.status.iter().map(|s| enum_value(*s)).collect(),
            open: f.open,
            kind: f.kind.map(|s| enum_value(complaint::Kind::from(s))),
            category: f.category.map(|s| enum_value(complaint::Category::from(s))),
            procedure: f.procedure.clone().map(|i| i.0),
            dialogue: f.dialogue.clone().map(|i| i.0),
            concern: concern.map(|c| c.key().to_string()),
            overdue: f.overdue,
            now: now.timestamp_millis(),
            from: resolved.from.map(|t| t.timestamp_millis()),
            to: resolved.to.map(|t| t.timestamp_millis()),
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
                    .filter_map(|c| {
                        crate::access::complaint_view(actor, &scope, &c).map(|v| (c, v))
                    })
                    .collect();
                (h, items, false, state.search.engine_name())
            }
            Err(e) => {
                tracing::warn!(error = %e, "search engine unavailable: answering from the database");
                let started = std::time::Instant::now();
                // Rolled up, the query's scope lists the unit and its predecessors.
                let rolled_up = q.unit.is_none() && f.assigned_unit.is_some();
                let filter = ComplaintFilter {
                    assigned_unit: if rolled_up {
                        f.assigned_unit.clone().map(|i| i.0)
                    } else {
                        q.unit.clone()
                    },
                    also_assigned: if rolled_up {
                        q.scope_units.clone().unwrap_or_default()
                    } else {
                        vec![]
                    },
                    ..resolved.clone()
                };
                let mut extra = sea_orm::Condition::all().add(words_condition(&text));
                if let Some(c) = concern {
                    extra = extra.add(concern_condition(&state.search.lexicon().current(), c));
                }
                let order = match sort {
                    ComplaintSort::ReceivedAsc => ListOrder::ReceivedAsc,
                    ComplaintSort::AnswerDueAsc => ListOrder::AnswerDueAsc,
                    _ => ListOrder::ReceivedDesc,
                };
                let found = crate::complaints::list_matching(
                    state,
                    actor,
                    &filter,
                    order,
                    page.clone(),
                    Some(extra),
                )
                .await?;
                let total = found.total.unwrap_or(0);
                let items: Vec<_> = found.items.into_iter().map(|(_, c)| c).collect();
                let h = Hits {
                    total,
                    took_ms: started.elapsed().as_secs_f64() * 1000.0,
                    ..Default::default()
                };
                (h, items, true, "database")
            }
        };
        let mut meta = fields(&hits, degraded, engine);
        if !crate::access::sees_concerns(actor) {
            meta.facets.retain(|f| f.name != "concern");
        }
        // A dialogue the caller may not see is not named, even by its id.
        if let Some(f) = meta.facets.iter_mut().find(|f| f.name == "dialogue") {
            let ids: Vec<String> = f.values.iter().map(|v| v.value.clone()).collect();
            let full = crate::dialogues::load_full(&state.db, &ids).await?;
            f.values.retain(|v| {
                full.get(&v.value)
                    .is_some_and(|d| d.view(actor, &scope).is_some())
            });
        }
        let parsed = Arc::new(parsed);
        // The public reads highlights of the masked text, as it reads the item itself.
        let public: Vec<String> = items
            .iter()
            .filter(|(_, v)| *v == View::Public)
            .map(|(c, _)| c.id.clone())
            .collect();
        let decisions = ctx.loaders().complaint_masks.load_many(public).await?;
        let nodes: Vec<ComplaintHit> = items
            .into_iter()
            .map(|(model, view)| {
                let (title, body) = match decisions.get(&model.id) {
                    Some(d) if view == View::Public => (
                        crate::privacy::masks::public_text(&model.title, TextField::Title, d),
                        crate::privacy::masks::public_text(&model.body, TextField::Body, d),
                    ),
                    _ => (model.title.clone(), model.body.clone()),
                };
                ComplaintHit {
                    highlights: Highlights {
                        title,
                        body,
                        query: parsed.clone(),
                    },
                    complaint: Complaint { model, view },
                }
            })
            .collect();
        Ok(page.connection_with(hits.total, nodes, meta))
    }
}
