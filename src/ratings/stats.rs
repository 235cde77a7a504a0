//! Satisfaction per component: the share of answers that are 4 or 5, in percent, with the mean
//! and the number of answers beside it (DESIGN.md §1). Below the minimum sample a share is
//! flagged insufficient, and ranking uses the Wilson lower bound instead of the raw share, so
//! that one enthusiastic rating cannot put a unit first.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use entity::rating_score::{self, Component};
use entity::unit::{self, Block};
use entity::{rating, rating_tally};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Func, Query, SelectStatement};
use sea_orm::{ConnectionTrait, DatabaseConnection, Iterable};

use crate::error::AppResult;

#[derive(Debug, Clone, Default)]
pub struct SatisfactionFilter {
    pub unit: Option<String>,
    /// Units rolled up into `unit` (its predecessors).
    pub also_units: Vec<String>,
    pub procedure: Option<String>,
    pub block: Option<Block>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub verified_only: bool,
}

/// Answers of one component (or of all, for the overall figure).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Tally {
    pub answers: u64,
    pub score_sum: u64,
    pub satisfied: u64,
}

impl Tally {
    pub fn add(&mut self, o: &Tally) {
        self.answers += o.answers;
        self.score_sum += o.score_sum;
        self.satisfied += o.satisfied;
    }

    pub fn mean(&self) -> Option<f64> {
        (self.answers > 0).then(|| self.score_sum as f64 / self.answers as f64)
    }

    /// Percent of answers that are 4 or 5.
    pub fn share(&self) -> Option<f64> {
        (self.answers > 0).then(|| 100.0 * self.satisfied as f64 / self.answers as f64)
    }

    /// The Wilson score lower bound of the share at 95% confidence, in percent.
    pub fn lower_bound(&self) -> Option<f64> {
        if self.answers == 0 {
            return None;
        }
        let n = self.answers as f64;
        let p = self.satisfied as f64 / n;
        let z = 1.96f64;
        let z2 = z * z;
        let centre = p + z2 / (2.0 * n);
        let margin = z * ((p * (1.0 - p) + z2 / (4.0 * n)) / n).sqrt();
        Some(100.0 * (centre - margin) / (1.0 + z2 / n))
    }

    pub fn sufficient(&self, min_sample: u32) -> bool {
        self.answers >= min_sample as u64
    }
}

/// Per component, overall, and month by month.
#[derive(Debug, Clone, Default)]
pub struct Satisfaction {
    pub ratings: u64,
    pub unverified_ratings: u64,
    pub components: BTreeMap<Component, Tally>,
    pub overall: Tally,
    /// `YYYY-MM` → per component.
    pub monthly: BTreeMap<String, BTreeMap<Component, Tally>>,
}

fn rating_filter(f: &SatisfactionFilter, q: &mut SelectStatement, verified_only: bool) {
    let r = |c: rating::Column| Expr::col((rating::Entity, c));
    if let Some(u) = &f.unit {
        q.and_where(
            r(rating::Column::UnitId).is_in(std::iter::once(u.clone()).chain(f.also_units.clone())),
        );
    }
    if let Some(p) = &f.procedure {
        q.and_where(r(rating::Column::ProcedureId).eq(p.as_str()));
    }
    if let Some(b) = f.block {
        q.and_where(
            r(rating::Column::UnitId).in_subquery(
                Query::select()
                    .column(unit::Column::Id)
                    .from(unit::Entity)
                    .and_where(Expr::col(unit::Column::Block).eq(b))
                    .to_owned(),
            ),
        );
    }
    // The month (indexed) narrows the rows first; the instants cut inside the month.
    if let Some(from) = f.from {
        q.and_where(r(rating::Column::Month).gte(month_key(from)));
        q.and_where(r(rating::Column::CreatedAt).gte(from));
    }
    if let Some(to) = f.to {
        q.and_where(
            r(rating::Column::Month).lte(month_key(to - chrono::Duration::milliseconds(1))),
        );
        q.and_where(r(rating::Column::CreatedAt).lt(to));
    }
    if verified_only {
        q.and_where(r(rating::Column::Verified).eq(true));
    }
}

/// A piece of a filter's time range: whole months, read from the running tallies, or a
/// stretch within a month, read from the ratings themselves.
#[derive(Debug, Clone, PartialEq)]
enum Part {
    /// `YYYY-MM` from (included) and to (excluded).
    Months(Option<String>, Option<String>),
    Raw(Option<DateTime<Utc>>, Option<DateTime<Utc>>),
}

/// The start of the month `t` falls in, in the city.
fn month_start(t: DateTime<Utc>) -> DateTime<Utc> {
    use chrono::Datelike;
    let l = crate::clock::local(t).date_naive();
    let first = chrono::NaiveDate::from_ymd_opt(l.year(), l.month(), 1).unwrap_or(l);
    (first.and_time(chrono::NaiveTime::MIN) - crate::clock::city_offset()).and_utc()
}

fn next_month(t: DateTime<Utc>) -> DateTime<Utc> {
    month_start(month_start(t) + chrono::Duration::days(40))
}

fn month_key(t: DateTime<Utc>) -> String {
    crate::clock::local(t).format("%Y-%m").to_string()
}

/// How a filter's range is read, so that no request sums every rating: its whole months from
/// the running tallies, the days before and after them (at most a month each) from the
/// ratings. A filter by procedure is read from the ratings (they are indexed by procedure).
fn parts(f: &SatisfactionFilter) -> Vec<Part> {
    if f.procedure.is_some() {
        return vec![Part::Raw(f.from, f.to)];
    }
    let first = f.from.map(|t| {
        if month_start(t) == t {
            t
        } else {
            next_month(t)
        }
    });
    let last = f.to.map(month_start);
    match (first, last) {
        (Some(a), Some(b)) if a >= b => vec![Part::Raw(f.from, f.to)],
        _ => {
            let mut out = vec![Part::Months(first.map(month_key), last.map(month_key))];
            if let (Some(from), Some(a)) = (f.from, first)
                && from < a
            {
                out.push(Part::Raw(Some(from), Some(a)));
            }
            if let (Some(to), Some(b)) = (f.to, last)
                && b < to
            {
                out.push(Part::Raw(Some(b), Some(to)));
            }
            out
        }
    }
}

/// The filter on `rating_tallies` of a filter, over whole months.
fn tally_filter(
    f: &SatisfactionFilter,
    months: (&Option<String>, &Option<String>),
    q: &mut SelectStatement,
) {
    let t = |c: rating_tally::Column| Expr::col((rating_tally::Entity, c));
    if let Some(u) = &f.unit {
        q.and_where(
            t(rating_tally::Column::UnitId)
                .is_in(std::iter::once(u.clone()).chain(f.also_units.clone())),
        );
    }
    if let Some(b) = f.block {
        q.and_where(
            t(rating_tally::Column::UnitId).in_subquery(
                Query::select()
                    .column(unit::Column::Id)
                    .from(unit::Entity)
                    .and_where(Expr::col(unit::Column::Block).eq(b))
                    .to_owned(),
            ),
        );
    }
    if let Some(m0) = &months.0 {
        q.and_where(t(rating_tally::Column::Month).gte(m0.as_str()));
    }
    if let Some(m1) = &months.1 {
        q.and_where(t(rating_tally::Column::Month).lt(m1.as_str()));
    }
    if f.verified_only {
        q.and_where(t(rating_tally::Column::Verified).eq(true));
    }
}

/// Answers per component grouped by a column of `rating_tallies`, as [`tally_select`] gives
/// them from the ratings themselves.
fn tally_sum(group: rating_tally::Column, alias: &str) -> SelectStatement {
    let t = |c: rating_tally::Column| Expr::col((rating_tally::Entity, c));
    let sum = |c: rating_tally::Column| Func::cast_as(Func::sum(t(c)), Alias::new("BIGINT"));
    let mut q = Query::select();
    q.expr_as(t(group), Alias::new(alias))
        .expr_as(t(rating_tally::Column::Component), Alias::new("component"))
        .expr_as(sum(rating_tally::Column::Answers), Alias::new("answers"))
        .expr_as(sum(rating_tally::Column::ScoreSum), Alias::new("score_sum"))
        .expr_as(
            sum(rating_tally::Column::Satisfied),
            Alias::new("satisfied"),
        )
        .from(rating_tally::Entity)
        .group_by_col((rating_tally::Entity, group))
        .group_by_col((rating_tally::Entity, rating_tally::Column::Component));
    q
}

async fn count(
    db: &DatabaseConnection,
    f: &SatisfactionFilter,
    verified: Option<bool>,
) -> AppResult<u64> {
    let mut n = 0u64;
    for part in parts(f) {
        let mut q = Query::select();
        q.expr_as(Expr::cust("COUNT(*)"), Alias::new("n"))
            .from(rating::Entity);
        let r = |c: rating::Column| Expr::col((rating::Entity, c));
        match &part {
            // Whole months read the month column (indexed), not the creation times.
            Part::Months(m0, m1) => {
                let g = SatisfactionFilter {
                    from: None,
                    to: None,
                    ..f.clone()
                };
                rating_filter(&g, &mut q, false);
                if let Some(m0) = m0 {
                    q.and_where(r(rating::Column::Month).gte(m0.as_str()));
                }
                if let Some(m1) = m1 {
                    q.and_where(r(rating::Column::Month).lt(m1.as_str()));
                }
            }
            Part::Raw(from, to) => {
                let g = SatisfactionFilter {
                    from: *from,
                    to: *to,
                    ..f.clone()
                };
                rating_filter(&g, &mut q, false);
            }
        }
        if let Some(v) = verified {
            q.and_where(r(rating::Column::Verified).eq(v));
        }
        let row = db.query_one(&q).await?;
        n += row
            .and_then(|r| r.try_get::<i64>("", "n").ok())
            .unwrap_or(0)
            .clamp(0, i64::MAX) as u64;
    }
    Ok(n)
}

/// The aggregate queries behind a filter, one per [`Part`], each grouped by `group` (a column
/// both tables have) and read back with [`tally_of`] and the key `alias`.
fn part_queries(
    f: &SatisfactionFilter,
    group: (rating::Column, rating_tally::Column),
    alias: &str,
) -> Vec<SelectStatement> {
    parts(f)
        .into_iter()
        .map(|part| match part {
            Part::Months(m0, m1) => {
                let mut q = tally_sum(group.1, alias);
                tally_filter(f, (&m0, &m1), &mut q);
                q
            }
            Part::Raw(from, to) => {
                let mut q = tally_select(group.0, alias);
                let g = SatisfactionFilter {
                    from,
                    to,
                    ..f.clone()
                };
                rating_filter(&g, &mut q, f.verified_only);
                q
            }
        })
        .collect()
}

/// Answers per component grouped by a column of `ratings` (selected as `alias`): the one
/// aggregate behind every satisfaction figure. Rows read back with [`tally_of`].
pub fn tally_select(group: rating::Column, alias: &str) -> SelectStatement {
    let rs = |c: rating_score::Column| Expr::col((rating_score::Entity, c));
    let mut q = Query::select();
    q.expr_as(Expr::col((rating::Entity, group)), Alias::new(alias))
        .expr_as(rs(rating_score::Column::Component), Alias::new("component"))
        .expr_as(Expr::cust("COUNT(*)"), Alias::new("answers"))
        .expr_as(
            Func::sum(rs(rating_score::Column::Score)),
            Alias::new("score_sum"),
        )
        .expr_as(
            Func::sum(Expr::case(rs(rating_score::Column::Score).gte(4), 1).finally(0)),
            Alias::new("satisfied"),
        )
        .from(rating_score::Entity)
        .inner_join(
            rating::Entity,
            Expr::col((rating::Entity, rating::Column::Id))
                .equals((rating_score::Entity, rating_score::Column::RatingId)),
        )
        .group_by_col((rating::Entity, group))
        .group_by_col((rating_score::Entity, rating_score::Column::Component));
    q
}

/// The component and tally of a row of [`tally_select`] (`None` for an unknown component).
pub fn tally_of(row: &sea_orm::QueryResult) -> AppResult<Option<(Component, Tally)>> {
    use sea_orm::ActiveEnum;
    let comp: String = row.try_get("", "component")?;
    let Some(component) = Component::iter().find(|c| c.to_value() == comp) else {
        return Ok(None);
    };
    let n = |k: &str| -> AppResult<u64> {
        Ok(row
            .try_get::<Option<i64>>("", k)?
            .unwrap_or(0)
            .clamp(0, i64::MAX) as u64)
    };
    Ok(Some((
        component,
        Tally {
            answers: n("answers")?,
            score_sum: n("score_sum")?,
            satisfied: n("satisfied")?,
        },
    )))
}

/// Computes satisfaction for a filter: from the running tallies when its bounds are whole
/// months and it names no procedure (a sum over a few rows a unit and month), else by one
/// aggregate over the matching ratings; then two counts.
pub async fn satisfaction(
    db: &DatabaseConnection,
    f: &SatisfactionFilter,
) -> AppResult<Satisfaction> {
    let mut rows = Vec::new();
    for q in part_queries(
        f,
        (rating::Column::Month, rating_tally::Column::Month),
        "month",
    ) {
        rows.extend(db.query_all(&q).await?);
    }

    let mut out = Satisfaction {
        components: Component::iter().map(|c| (c, Tally::default())).collect(),
        ..Default::default()
    };
    for row in rows {
        let Some((component, t)) = tally_of(&row)? else {
            continue;
        };
        let month: String = row.try_get("", "month")?;
        out.components.entry(component).or_default().add(&t);
        out.overall.add(&t);
        out.monthly
            .entry(month)
            .or_insert_with(|| Component::iter().map(|c| (c, Tally::default())).collect())
            .entry(component)
            .or_default()
            .add(&t);
    }
    out.ratings = count(db, f, if f.verified_only { Some(true) } else { None }).await?;
    out.unverified_ratings = count(db, f, Some(false)).await?;
    Ok(out)
}

/// What `satisfaction(groupBy: …)` groups by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupBy {
    Unit,
    Procedure,
    Month,
}

/// Satisfaction per component for each unit, procedure or month matching the filter, in one
/// grouped query: keys are unit or procedure ids (none for ratings without a procedure) or
/// `YYYY-MM`.
pub async fn grouped(
    db: &DatabaseConnection,
    f: &SatisfactionFilter,
    by: GroupBy,
) -> AppResult<Vec<(Option<String>, BTreeMap<Component, Tally>)>> {
    let col = match by {
        GroupBy::Unit => rating::Column::UnitId,
        GroupBy::Procedure => rating::Column::ProcedureId,
        GroupBy::Month => rating::Column::Month,
    };
    let queries = match by {
        GroupBy::Unit => part_queries(
            f,
            (rating::Column::UnitId, rating_tally::Column::UnitId),
            "group_key",
        ),
        GroupBy::Month => part_queries(
            f,
            (rating::Column::Month, rating_tally::Column::Month),
            "group_key",
        ),
        // The tallies have no procedure: read from the ratings, indexed by procedure.
        GroupBy::Procedure => {
            let mut q = tally_select(col, "group_key");
            rating_filter(f, &mut q, f.verified_only);
            vec![q]
        }
    };
    let mut rows = Vec::new();
    for q in queries {
        rows.extend(db.query_all(&q).await?);
    }
    let mut out: BTreeMap<Option<String>, BTreeMap<Component, Tally>> = BTreeMap::new();
    for row in rows {
        let Some((component, t)) = tally_of(&row)? else {
            continue;
        };
        let key: Option<String> = row.try_get("", "group_key")?;
        out.entry(key)
            .or_insert_with(|| Component::iter().map(|c| (c, Tally::default())).collect())
            .entry(component)
            .or_default()
            .add(&t);
    }
    Ok(out.into_iter().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn a_range_reads_whole_months_from_the_tallies_and_the_edges_from_the_ratings() {
        let f = |from: Option<&str>, to: Option<&str>| SatisfactionFilter {
            from: from.map(at),
            to: to.map(at),
            ..Default::default()
        };
        let m = |a: Option<&str>, b: Option<&str>| {
            Part::Months(a.map(str::to_string), b.map(str::to_string))
        };
        assert_eq!(parts(&f(None, None)), [m(None, None)]);
        assert_eq!(
            parts(&f(Some("2026-01-01T00:00:00+07:00"), None)),
            [m(Some("2026-01"), None)]
        );
        assert_eq!(
            parts(&f(
                Some("2026-01-15T00:00:00+07:00"),
                Some("2026-04-10T00:00:00+07:00")
            )),
            [
                m(Some("2026-02"), Some("2026-04")),
                Part::Raw(
                    Some(at("2026-01-15T00:00:00+07:00")),
                    Some(at("2026-02-01T00:00:00+07:00"))
                ),
                Part::Raw(
                    Some(at("2026-04-01T00:00:00+07:00")),
                    Some(at("2026-04-10T00:00:00+07:00"))
                ),
            ]
        );
        // Within one month: the ratings alone.
        let within = f(
            Some("2026-03-02T00:00:00+07:00"),
            Some("2026-03-09T00:00:00+07:00"),
        );
        assert_eq!(parts(&within), [Part::Raw(within.from, within.to)]);
        // A procedure is read from the ratings.
        let p = SatisfactionFilter {
            procedure: Some("p".into()),
            ..Default::default()
        };
        assert_eq!(parts(&p), [Part::Raw(None, None)]);
    }

    #[test]
    fn shares_means_and_bounds() {
        let t = Tally {
            answers: 4,
            score_sum: 5 + 4 + 3 + 2,
            satisfied: 2,
        };
        assert_eq!(t.share(), Some(50.0));
        assert_eq!(t.mean(), Some(3.5));
        assert!(!t.sufficient(30));
        let lb = t.lower_bound().unwrap();
        assert!(lb > 10.0 && lb < 20.0, "{lb}");
        // One perfect answer bounds far lower than many good ones.
        let one = Tally {
            answers: 1,
            score_sum: 5,
            satisfied: 1,
        };
        let many = Tally {
            answers: 100,
            score_sum: 450,
            satisfied: 90,
        };
        assert!(one.lower_bound().unwrap() < many.lower_bound().unwrap());
        assert_eq!(Tally::default().share(), None);
    }
}
