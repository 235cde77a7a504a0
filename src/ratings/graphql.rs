//! GraphQL types and resolvers of ratings and satisfaction.

use crate::scalars::{Day, Instant};
use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject};
use std::collections::{BTreeMap, HashMap};

use entity::rating_score;

use super::stats::{Satisfaction, SatisfactionFilter, Tally};
use super::{RatingInput, StoredRating};
use crate::clock::local;
use crate::context::CtxExt;
use crate::procedures::graphql::Procedure;
use crate::units::graphql::{Block, Unit};

/// The satisfaction components of the SIPAS model.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "entity::rating_score::Component")]
pub enum Component {
    /// Tiếp cận dịch vụ.
    Access,
    /// Thủ tục hành chính.
    Procedure,
    /// Công chức giải quyết công việc.
    Official,
    /// Kết quả giải quyết.
    Result,
    /// Tiếp nhận, xử lý góp ý, phản ánh, kiến nghị.
    FeedbackHandling,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "entity::rating::Channel")]
pub enum Channel {
    Web,
    Mobile,
    Kiosk,
    Counter,
    Other,
}

#[derive(InputObject, Clone, Copy)]
pub struct ScoreInput {
    pub component: Component,
    /// 1 (very dissatisfied) to 5 (very satisfied).
    pub score: i32,
}

#[derive(InputObject)]
pub struct SubmitRatingInput {
    /// The dossier's receipt code: the rating is then verified, and its unit and procedure
    /// come from the dossier.
    pub dossier_code: Option<String>,
    /// With a dossier code: the rating code printed beside it on the receipt, which proves
    /// the rating comes from the filer (a signed-in business rating its own dossier needs none).
    pub rating_code: Option<String>,
    /// Without a dossier code: the unit rated (an unverified kiosk rating).
    pub unit: Option<ID>,
    pub procedure: Option<ID>,
    /// At least one component; unanswered components are simply left out.
    pub scores: Vec<ScoreInput>,
    pub comment: Option<String>,
    pub channel: Option<Channel>,
    /// A retry with the same key returns the first result.
    pub idempotency_key: Option<String>,
}

#[derive(SimpleObject)]
pub struct ComponentScore {
    pub component: Component,
    pub score: i32,
}

pub struct Rating(pub StoredRating);

#[Object]
impl Rating {
    async fn id(&self) -> ID {
        ID(self.0.rating.id.clone())
    }
    /// Tied to a dossier (and so counted in the index).
    async fn verified(&self) -> bool {
        self.0.rating.verified
    }
    async fn channel(&self) -> Channel {
        self.0.rating.channel.into()
    }
    async fn unit(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Unit>> {
        Ok(ctx
            .loaders()
            .units
            .load_one(self.0.rating.unit_id.clone())
            .await?
            .map(Unit))
    }
    async fn procedure(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Procedure>> {
        let Some(p) = &self.0.rating.procedure_id else {
            return Ok(None);
        };
        Ok(ctx
            .loaders()
            .procedures
            .load_one(p.clone())
            .await?
            .map(Procedure))
    }
    async fn scores(&self) -> Vec<ComponentScore> {
        let mut v: Vec<&rating_score::Model> = self.0.scores.iter().collect();
        v.sort_by_key(|s| s.component);
        v.into_iter()
            .map(|s| ComponentScore {
                component: s.component.into(),
                score: s.score,
            })
            .collect()
    }
    async fn comment(&self) -> Option<&str> {
        self.0.rating.comment.as_deref()
    }
    async fn created_at(&self) -> Instant {
        local(self.0.rating.created_at).into()
    }
    /// The rater's account. Confidential: admins only.
    async fn rater_account_id(&self, ctx: &Context<'_>) -> Option<ID> {
        if crate::access::sees_rater(ctx.actor()) {
            self.0.rating.rater_account_id.clone().map(ID)
        } else {
            None
        }
    }
}

/// Satisfaction of one component (or overall).
#[derive(SimpleObject, Clone, Default)]
pub struct ComponentSatisfaction {
    /// Null for the overall figure.
    pub component: Option<Component>,
    pub answers: u64,
    /// Mean score, 1–5.
    pub mean: Option<f64>,
    /// Percent of answers that are 4 or 5.
    pub satisfied_share: Option<f64>,
    /// Whether the answers reach the minimum sample; below it the share is not meaningful.
    pub sufficient: bool,
    /// The 95% Wilson lower bound of the share, in percent: what rankings use.
    pub lower_bound: Option<f64>,
}

fn round2(v: Option<f64>) -> Option<f64> {
    v.map(|x| (x * 100.0).round() / 100.0)
}

pub fn stat(
    component: Option<rating_score::Component>,
    t: &Tally,
    min_sample: u32,
) -> ComponentSatisfaction {
    ComponentSatisfaction {
        component: component.map(Into::into),
        answers: t.answers,
        mean: round2(t.mean()),
        satisfied_share: round2(t.share()),
        sufficient: t.sufficient(min_sample),
        lower_bound: round2(t.lower_bound()),
    }
}

/// Satisfaction as every part of the API shows it: the overall figure (all components'
/// answers together) and one figure per component, in component order.
#[derive(SimpleObject, Clone, Default)]
#[graphql(name = "Satisfaction")]
pub struct SatisfactionView {
    pub overall: ComponentSatisfaction,
    pub components: Vec<ComponentSatisfaction>,
}

impl SatisfactionView {
    /// From per-component tallies (missing components count as no answers).
    pub fn of(
        comps: &BTreeMap<rating_score::Component, Tally>,
        min_sample: u32,
    ) -> SatisfactionView {
        let mut overall = Tally::default();
        comps.values().for_each(|t| overall.add(t));
        SatisfactionView {
            overall: stat(None, &overall, min_sample),
            components: <rating_score::Component as sea_orm::Iterable>::iter()
                .map(|c| {
                    stat(
                        Some(c),
                        &comps.get(&c).copied().unwrap_or_default(),
                        min_sample,
                    )
                })
                .collect(),
        }
    }
}

/// The months from `from` to `to` (`YYYY-MM`, `to` excluded when it is a month's first
/// instant), or from the first to the last key given when a bound is missing: every month,
/// those without answers included.
pub fn month_keys(
    from: Option<chrono::DateTime<chrono::Utc>>,
    to: Option<chrono::DateTime<chrono::Utc>>,
    seen: impl Iterator<Item = String>,
) -> Vec<String> {
    use chrono::Datelike;
    let seen: Vec<String> = seen.collect();
    let key = |t: chrono::DateTime<chrono::Utc>| crate::clock::local(t).format("%Y-%m").to_string();
    let first = from.map(key).or_else(|| seen.iter().min().cloned());
    // `to` is exclusive: the month of the instant just before it.
    let last = to
        .map(|t| key(t - chrono::Duration::seconds(1)))
        .or_else(|| seen.iter().max().cloned());
    let (Some(first), Some(last)) = (first, last) else {
        return vec![];
    };
    let parse = |k: &str| chrono::NaiveDate::parse_from_str(&format!("{k}-01"), "%Y-%m-%d").ok();
    let (Some(mut d), Some(end)) = (parse(&first), parse(&last)) else {
        return vec![];
    };
    let mut out = vec![];
    // At most ten years of months: a wider range is listed by its months with answers.
    while d <= end && out.len() < 120 {
        out.push(format!("{:04}-{:02}", d.year(), d.month()));
        d = d
            .checked_add_months(chrono::Months::new(1))
            .unwrap_or(end.succ_opt().unwrap_or(end));
    }
    out
}

/// One entry per month of `keys`, from the tallies of `monthly` (zeros where none).
pub fn months_of(
    keys: &[String],
    monthly: &BTreeMap<String, BTreeMap<rating_score::Component, Tally>>,
    min_sample: u32,
) -> Vec<MonthSatisfaction> {
    let empty = BTreeMap::new();
    keys.iter()
        .map(|m| {
            let s = SatisfactionView::of(monthly.get(m).unwrap_or(&empty), min_sample);
            MonthSatisfaction {
                month: m.clone(),
                overall: s.overall,
                components: s.components,
            }
        })
        .collect()
}

#[derive(SimpleObject)]
pub struct MonthSatisfaction {
    /// `YYYY-MM`, in the city's time zone.
    pub month: String,
    pub overall: ComponentSatisfaction,
    pub components: Vec<ComponentSatisfaction>,
}

/// What `satisfaction(groupBy: …)` groups by.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum SatisfactionGroupBy {
    Unit,
    Procedure,
    Month,
}

/// Satisfaction of one unit, procedure or month.
#[derive(SimpleObject)]
pub struct SatisfactionGroup {
    /// The unit or procedure id, or the month (`YYYY-MM`); null for ratings without a procedure.
    pub key: Option<String>,
    pub unit: Option<Unit>,
    pub procedure: Option<Procedure>,
    pub month: Option<String>,
    pub overall: ComponentSatisfaction,
    pub components: Vec<ComponentSatisfaction>,
    /// With `groupBy: UNIT` or `PROCEDURE`: the group's months, as the report's `months`
    /// (one query per month of the period, for every group at once). Empty for `MONTH`.
    pub months: Vec<MonthSatisfaction>,
}

#[derive(SimpleObject)]
pub struct SatisfactionReport {
    /// Ratings counted (verified only, unless `verifiedOnly: false`).
    pub ratings: u64,
    /// Unverified (kiosk) ratings matching the filter, reported apart.
    pub unverified_ratings: u64,
    /// The minimum sample in force.
    pub min_sample: u32,
    pub overall: ComponentSatisfaction,
    pub components: Vec<ComponentSatisfaction>,
    /// Every month of the period, those without answers included (without bounds: from the
    /// first month with answers to the last).
    pub months: Vec<MonthSatisfaction>,
    /// With `groupBy`: one entry per unit, procedure or month, in one query (units and
    /// procedures with the most answers first, months in order).
    pub groups: Vec<SatisfactionGroup>,
}

fn report(s: Satisfaction, f: &SatisfactionFilter, min_sample: u32) -> SatisfactionReport {
    let keys = month_keys(f.from, f.to, s.monthly.keys().cloned());
    SatisfactionReport {
        ratings: s.ratings,
        unverified_ratings: s.unverified_ratings,
        min_sample,
        overall: stat(None, &s.overall, min_sample),
        components: s
            .components
            .iter()
            .map(|(c, t)| stat(Some(*c), t, min_sample))
            .collect(),
        months: months_of(&keys, &s.monthly, min_sample),
        groups: vec![],
    }
}

#[derive(InputObject, Default)]
#[graphql(name = "SatisfactionFilter")]
pub struct SatisfactionFilterInput {
    pub unit: Option<ID>,
    /// With `unit`: also count the units whose work passed to it (directly or through
    /// several reorganisations), for trends across a reorganisation.
    #[graphql(default)]
    pub roll_up: bool,
    pub procedure: Option<ID>,
    pub block: Option<Block>,
    /// The first day counted (city time).
    pub from: Option<Day>,
    /// The day after the last one counted (city time): `to` is excluded, as everywhere in
    /// the API (`from: "2026-01-01", to: "2027-01-01"` is the year 2026).
    pub to: Option<Day>,
    /// Count only verified ratings (the default), as the PAR index does.
    pub verified_only: Option<bool>,
}

/// The signals of a unit rating its own dossiers, for one unit and month (evaluators).
#[derive(SimpleObject)]
pub struct RatingSignals {
    pub unit: Option<Unit>,
    /// `YYYY-MM`.
    pub month: String,
    /// Verified ratings of the month.
    pub verified: u64,
    /// Given within ten minutes of the result's hand-over.
    pub quick: u64,
    /// From one address that gave three or more of the unit's ratings within an hour.
    pub burst: u64,
    /// In a run of five or more consecutive ratings with the very same scores.
    pub repeated: u64,
    /// Touched by any of the signals.
    pub touched: u64,
    /// `touched` as a share of `verified`, in percent.
    pub touched_share: Option<f64>,
}

#[derive(Default)]
pub struct RatingsQuery;

#[Object]
impl RatingsQuery {
    /// Evaluators and admins: the signals of units rating themselves in a month (`YYYY-MM`),
    /// the most touched units first. It reads the month's ratings, so it weighs like a search.
    #[graphql(complexity = "crate::pagination::SEARCH_COST + child_complexity")]
    async fn rating_signals(
        &self,
        ctx: &Context<'_>,
        month: String,
        unit: Option<ID>,
    ) -> async_graphql::Result<Vec<RatingSignals>> {
        let (month, _, _) = crate::clock::month_range("month", &month)?;
        let rows = super::self_rating::signals(
            ctx.state(),
            ctx.actor(),
            &month,
            unit.as_ref().map(|u| u.as_str()),
        )
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for s in rows {
            let share = s.touched_share().map(crate::par::template::round2);
            out.push(RatingSignals {
                unit: ctx.loaders().units.load_one(s.unit_id).await?.map(Unit),
                month: s.month,
                verified: s.verified,
                quick: s.quick,
                burst: s.burst,
                repeated: s.repeated,
                touched: s.touched,
                touched_share: share,
            });
        }
        Ok(out)
    }

    /// Satisfaction per component, overall and month by month. Public: aggregates only. It
    /// reads every matching rating, so it weighs like a search in a request's complexity.
    #[graphql(complexity = "crate::pagination::SEARCH_COST + child_complexity")]
    async fn satisfaction(
        &self,
        ctx: &Context<'_>,
        filter: Option<SatisfactionFilterInput>,
        group_by: Option<SatisfactionGroupBy>,
    ) -> async_graphql::Result<SatisfactionReport> {
        let f = filter.unwrap_or_default();
        if let (Some(a), Some(b)) = (f.from, f.to)
            && a >= b
        {
            return Err(crate::error::AppError::bad_input(
                "filter.from",
                "Ngày bắt đầu (from) phải trước ngày kết thúc (to, không tính ngày này).",
                "from must be before to (to is excluded).",
            )
            .into());
        }
        let also_units =
            crate::units::graphql::rolled_up(ctx, f.unit.as_ref().map(|i| i.as_str()), f.roll_up)
                .await?;
        let filter = SatisfactionFilter {
            unit: f.unit.map(|i| i.0),
            also_units,
            procedure: f.procedure.map(|i| i.0),
            block: f.block.map(Into::into),
            from: f
                .from
                .map(|d| crate::clock::day_start("filter.from", d))
                .transpose()?,
            to: f
                .to
                .map(|d| crate::clock::day_start("filter.to", d))
                .transpose()?,
            verified_only: f.verified_only.unwrap_or(true),
        };
        let s = super::stats::satisfaction(&ctx.state().db, &filter).await?;
        let min = ctx.state().config.min_sample;
        let mut r = report(s, &filter, min);
        if let Some(by) = group_by {
            let keys: Vec<String> = r.months.iter().map(|m| m.month.clone()).collect();
            r.groups = groups_of(ctx, &filter, by, &keys).await?;
        }
        Ok(r)
    }
}

#[derive(Default)]
pub struct RatingsMutation;

#[Object]
impl RatingsMutation {
    /// Rates a dossier by its code and rating code (verified), or a unit at a kiosk
    /// (unverified). Anonymous ratings are limited per client address, citizens' and
    /// businesses' per account.
    async fn submit_rating(
        &self,
        ctx: &Context<'_>,
        input: SubmitRatingInput,
    ) -> async_graphql::Result<Rating> {
        let r = super::submit(
            ctx.state(),
            ctx.actor(),
            ctx.req().client_ip,
            RatingInput {
                dossier_code: input.dossier_code,
                rating_code: input.rating_code,
                unit: input.unit.map(|i| i.0),
                procedure: input.procedure.map(|i| i.0),
                scores: input
                    .scores
                    .iter()
                    .map(|s| (s.component.into(), s.score))
                    .collect(),
                comment: input.comment,
                channel: input.channel.map(Into::into),
                idempotency_key: input.idempotency_key,
            },
        )
        .await?;
        Ok(Rating(r))
    }
}

/// Current verified satisfaction per component, and the on-time share, of procedures or units
/// (for search hits).
pub async fn satisfaction_of(
    ctx: &Context<'_>,
    by: crate::search::docs::By,
    ids: &[String],
) -> async_graphql::Result<(HashMap<String, SatisfactionView>, HashMap<String, f64>)> {
    let db = &ctx.state().db;
    let min = ctx.state().config.min_sample;
    // Each reads every rating or dossier of the hits: only when the request selects it.
    let look = ctx.look_ahead();
    let selects = |f: &str| {
        look.field("edges").field("node").field(f).exists() || look.field("nodes").field(f).exists()
    };
    // The figures the indexer kept with the hits' documents: as fresh as the documents.
    let (t, on) = if selects("satisfaction") || selects("onTimeShare") {
        crate::search::docs::figures(db, by, ids).await?
    } else {
        (HashMap::new(), HashMap::new())
    };
    let mut out = HashMap::new();
    for id in ids {
        out.insert(id.clone(), figures_view(t.get(id), min));
    }
    Ok((out, on))
}

/// The current figures of a unit or procedure, as [`SatisfactionView`].
pub fn figures_view(
    f: Option<&crate::search::docs::SatisfactionFields>,
    min_sample: u32,
) -> SatisfactionView {
    let comps: BTreeMap<rating_score::Component, Tally> =
        <rating_score::Component as sea_orm::Iterable>::iter()
            .map(|c| (c, f.map(|f| f.get(c)).unwrap_or_default()))
            .collect();
    SatisfactionView::of(&comps, min_sample)
}

/// The current figures of one unit or procedure (`Unit.satisfaction`, `Procedure.onTimeShare`,
/// …), through its loader: the satisfaction and the on-time share in percent, rounded.
pub async fn current_figures(
    ctx: &Context<'_>,
    loader: &async_graphql::dataloader::DataLoader<FiguresLoader>,
    id: &str,
) -> async_graphql::Result<(SatisfactionView, Option<f64>)> {
    let f = loader.load_one(id.to_string()).await?;
    let (t, on) = f.unwrap_or_default();
    Ok((
        figures_view(t.as_ref(), ctx.state().config.min_sample),
        on.map(|v| (v * 100.0).round() / 100.0),
    ))
}

/// The current verified figures of units or procedures, by id, with their on-time share:
/// those of the search hits, for `Unit.satisfaction` and `Procedure.satisfaction`.
pub struct FiguresLoader(pub sea_orm::DatabaseConnection, pub crate::search::docs::By);

impl async_graphql::dataloader::Loader<String> for FiguresLoader {
    type Value = (Option<crate::search::docs::SatisfactionFields>, Option<f64>);
    type Error = crate::error::AppError;

    async fn load(&self, keys: &[String]) -> Result<HashMap<String, Self::Value>, Self::Error> {
        let (mut t, on) = crate::search::docs::figures(&self.0, self.1, keys).await?;
        Ok(keys
            .iter()
            .map(|k| (k.clone(), (t.remove(k), on.get(k).copied())))
            .collect())
    }
}

/// The groups of `satisfaction(groupBy:)`, each with its months (`keys`) when they are
/// selected: one grouped query, and one more per month for the grid.
async fn groups_of(
    ctx: &Context<'_>,
    filter: &SatisfactionFilter,
    by: SatisfactionGroupBy,
    keys: &[String],
) -> async_graphql::Result<Vec<SatisfactionGroup>> {
    let min = ctx.state().config.min_sample;
    let by = match by {
        SatisfactionGroupBy::Unit => super::stats::GroupBy::Unit,
        SatisfactionGroupBy::Procedure => super::stats::GroupBy::Procedure,
        SatisfactionGroupBy::Month => super::stats::GroupBy::Month,
    };
    let mut groups = super::stats::grouped(&ctx.state().db, filter, by).await?;
    if by != super::stats::GroupBy::Month {
        groups.sort_by_key(|(k, comps)| {
            let answers: u64 = comps.values().map(|t| t.answers).sum();
            (std::cmp::Reverse(answers), k.clone())
        });
    }
    let ids: Vec<String> = groups.iter().filter_map(|g| g.0.clone()).collect();
    let units = if by == super::stats::GroupBy::Unit {
        ctx.loaders().units.load_many(ids.clone()).await?
    } else {
        HashMap::new()
    };
    let procs = if by == super::stats::GroupBy::Procedure {
        ctx.loaders().procedures.load_many(ids).await?
    } else {
        HashMap::new()
    };
    // The grid of groups and months: one grouped query per month of the period.

    let mut per_group: HashMap<
        Option<String>,
        BTreeMap<String, BTreeMap<rating_score::Component, Tally>>,
    > = HashMap::new();
    if by != super::stats::GroupBy::Month
        && ctx.look_ahead().field("groups").field("months").exists()
    {
        for k in keys {
            let (_, start, end) = crate::clock::month_range("filter", k)?;
            let month = SatisfactionFilter {
                from: Some(filter.from.map_or(start, |f| f.max(start))),
                to: Some(filter.to.map_or(end, |t| t.min(end))),
                ..filter.clone()
            };
            for (g, comps) in super::stats::grouped(&ctx.state().db, &month, by).await? {
                per_group.entry(g).or_default().insert(k.clone(), comps);
            }
        }
    }
    Ok(groups
        .into_iter()
        .map(|(key, comps)| {
            let mut overall = Tally::default();
            comps.values().for_each(|t| overall.add(t));
            let months = if by == super::stats::GroupBy::Month {
                vec![]
            } else {
                months_of(keys, per_group.get(&key).unwrap_or(&BTreeMap::new()), min)
            };
            SatisfactionGroup {
                months,
                unit: key.as_ref().and_then(|k| units.get(k)).cloned().map(Unit),
                procedure: key
                    .as_ref()
                    .and_then(|k| procs.get(k))
                    .cloned()
                    .map(Procedure),
                month: key.clone().filter(|_| by == super::stats::GroupBy::Month),
                overall: stat(None, &overall, min),
                components: comps.iter().map(|(c, t)| stat(Some(*c), t, min)).collect(),
                key,
            }
        })
        .collect())
}
