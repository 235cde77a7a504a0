//! Satisfaction per component: the share of answers that are 4 or 5, in percent, with the mean
//! and the number of answers beside it (DESIGN.md §1). Below the minimum sample a share is
//! flagged insufficient, and ranking uses the Wilson lower bound instead of the raw share, so
//! that one enthusiastic rating cannot put a unit first.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use entity::rating;
use entity::rating_score::{self, Component};
use entity::unit::{self, Block};
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
    if let Some(from) = f.from {
        q.and_where(r(rating::Column::CreatedAt).gte(from));
    }
    if let Some(to) = f.to {
        q.and_where(r(rating::Column::CreatedAt).lt(to));
    }
    if verified_only {
        q.and_where(r(rating::Column::Verified).eq(true));
    }
}

async fn count(
    db: &DatabaseConnection,
    f: &SatisfactionFilter,
    verified: Option<bool>,
) -> AppResult<u64> {
    let mut q = Query::select();
    q.expr_as(Expr::cust("COUNT(*)"), Alias::new("n"))
        .from(rating::Entity);
    rating_filter(f, &mut q, false);
    if let Some(v) = verified {
        q.and_where(Expr::col((rating::Entity, rating::Column::Verified)).eq(v));
    }
    let row = db.query_one(&q).await?;
    Ok(row
        .and_then(|r| r.try_get::<i64>("", "n").ok())
        .unwrap_or(0)
        .clamp(0, i64::MAX) as u64)
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

/// Computes satisfaction for a filter in two small aggregate queries.
pub async fn satisfaction(
    db: &DatabaseConnection,
    f: &SatisfactionFilter,
) -> AppResult<Satisfaction> {
    let mut q = tally_select(rating::Column::Month, "month");
    rating_filter(f, &mut q, f.verified_only);

    let mut out = Satisfaction {
        components: Component::iter().map(|c| (c, Tally::default())).collect(),
        ..Default::default()
    };
    for row in db.query_all(&q).await? {
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
    let mut q = tally_select(col, "group_key");
    rating_filter(f, &mut q, f.verified_only);
    let mut out: BTreeMap<Option<String>, BTreeMap<Component, Tally>> = BTreeMap::new();
    for row in db.query_all(&q).await? {
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
