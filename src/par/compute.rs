//! The computed criteria of a period, by SQL aggregates grouped by unit (never row by row), and
//! the very rows behind each of them. One set of predicates serves both, so a breakdown's counts
//! and the rows it lists cannot drift apart.
//!
//! For a year `[y0, y1)` (city time), computed at `cutoff` (`asof` = the earlier of the year's
//! end and the cutoff):
//! - **satisfaction**: the verified ratings given during the year (summed from the running
//!   tallies of `rating_tallies`; the rows listed are the ratings themselves);
//! - **timeliness**: dossiers completed during the year, and dossiers due during the year still
//!   open at `asof` (late). On time = completed by the statutory due time. A delay excused as
//!   not the agency's fault is left out;
//! - **apology**: the late dossiers of that set; a timely apology is one issued at least one
//!   working day before the due time, or at hand-over for a delay not foreseen in time;
//! - **complaint handling**: complaints assigned to the unit, answered during the year or due
//!   during the year and unanswered at `asof`; rejected, duplicate and unconfirmed legal-track
//!   complaints are left out. On time = answered by the answer deadline. A complaint that a
//!   unit reclassified, rejected, marked duplicate or forwarded after it fell due (or forwarded
//!   after its forwarding days) stays a late item of that unit, for the year it fell due,
//!   unless an evaluator accepts the unit's request (`par_reviews`);
//! - a delay excused by a unit's own staff counts only once an evaluator accepts it.

use std::collections::HashMap;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use entity::complaint::{self, Status};
use entity::rating_score::Component;
use entity::{dossier, par_review, rating, rating_score, rating_tally};
use sea_orm::ConnectionTrait;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Func, Query, SimpleExpr, UnionType};

use crate::error::AppResult;
use crate::ratings::stats::{Tally, tally_of};

/// The time frame of a computation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Frame {
    pub year: i32,
    pub y0: DateTime<Utc>,
    pub y1: DateTime<Utc>,
    pub asof: DateTime<Utc>,
    pub cutoff: DateTime<Utc>,
}

impl Frame {
    pub fn new(year: i32, cutoff: DateTime<Utc>) -> AppResult<Frame> {
        let day = |y: i32| {
            NaiveDate::from_ymd_opt(y, 1, 1)
                .ok_or_else(|| crate::error::AppError::internal("year out of range"))
                .and_then(|d| crate::clock::day_start("year", d))
        };
        let y0 = day(year)?;
        let y1 = day(year + 1)?;
        Ok(Frame {
            year,
            y0,
            y1,
            asof: std::cmp::min(y1, cutoff),
            cutoff,
        })
    }

    fn months(&self) -> (String, String) {
        (
            format!("{:04}-01", self.year),
            format!("{:04}-12", self.year),
        )
    }

    /// Whether the year had ended at the cutoff.
    pub fn year_over(&self) -> bool {
        self.cutoff >= self.y1
    }
}

fn d(c: dossier::Column) -> Expr {
    Expr::col((dossier::Entity, c))
}

fn cm(c: complaint::Column) -> Expr {
    Expr::col((complaint::Entity, c))
}

/// Within the year and by `asof`; never NULL (a missing time is simply not within), so that
/// `NOT` of an expression built on it means what it says.
fn within(e: Expr, f: &Frame) -> SimpleExpr {
    e.clone()
        .is_not_null()
        .and(e.clone().gte(f.y0))
        .and(e.clone().lt(f.y1))
        .and(e.lte(f.asof))
}

/// The dossiers a year's timeliness counts (excused delays included; see [`dossier_counted`]).
pub fn dossier_in_year(f: &Frame) -> SimpleExpr {
    use dossier::Column as C;
    d(C::CreatedAt).lte(f.cutoff).and(
        within(d(C::CompletedAt), f).or(d(C::OriginalDueAt)
            .gte(f.y0)
            .and(d(C::OriginalDueAt).lt(f.asof))
            .and(d(C::CompletedAt).is_null().or(d(C::CompletedAt).gt(f.asof)))),
    )
}

/// Completed during the year by the statutory due time.
pub fn dossier_on_time(f: &Frame) -> SimpleExpr {
    use dossier::Column as C;
    within(d(C::CompletedAt), f).and(d(C::CompletedAt).lte(d(C::OriginalDueAt)))
}

/// Late through no fault of the agency, as accepted: left out of timeliness and apologies.
pub fn dossier_excused(f: &Frame) -> SimpleExpr {
    d(dossier::Column::ExcuseAccepted)
        .eq(true)
        .and(dossier_on_time(f).not())
}

pub fn dossier_counted(f: &Frame) -> SimpleExpr {
    dossier_in_year(f).and(dossier_excused(f).not())
}

pub fn dossier_late(f: &Frame) -> SimpleExpr {
    dossier_counted(f).and(dossier_on_time(f).not())
}

/// An apology issued in time, or at hand-over for a delay not foreseen in time.
pub fn dossier_apologised() -> SimpleExpr {
    use dossier::Column as C;
    d(C::ApologyIssuedAt).is_not_null().and(
        d(C::ApologyLate)
            .eq(false)
            .or(d(C::ApologyAtHandover).eq(true)),
    )
}

pub fn complaint_counted(f: &Frame) -> SimpleExpr {
    use complaint::Column as C;
    // A complaint kept late with the unit it is assigned to (forwarded away late and sent
    // back) counts once, as the late item.
    let kept_here = Expr::exists(
        Query::select()
            .expr(Expr::cust("1"))
            .from(par_review::Entity)
            .and_where(rv(par_review::Column::ComplaintId).equals((complaint::Entity, C::Id)))
            .and_where(
                rv(par_review::Column::UnitId).equals((complaint::Entity, C::AssignedUnitId)),
            )
            .and_where(complaint_kept_late(f))
            .to_owned(),
    );
    let excluded = cm(C::Status)
        .is_in([Status::Rejected, Status::Duplicate])
        .or(cm(C::LegalTrack)
            .is_not_null()
            .and(cm(C::FilerConfirmedFeedback).eq(false)))
        .or(kept_here);
    cm(C::ReceivedAt).lte(f.cutoff).and(excluded.not()).and(
        within(cm(C::AnsweredAt), f).or(cm(C::AnswerDueAt)
            .gte(f.y0)
            .and(cm(C::AnswerDueAt).lt(f.asof))
            .and(cm(C::AnsweredAt).is_null().or(cm(C::AnsweredAt).gt(f.asof)))),
    )
}

/// Answered during the year by its deadline, and never answered late before (a reopened
/// complaint gets a new deadline, which does not undo the first lateness).
pub fn complaint_on_time(f: &Frame) -> SimpleExpr {
    use complaint::Column as C;
    within(cm(C::AnsweredAt), f)
        .and(cm(C::AnsweredAt).lte(cm(C::AnswerDueAt)))
        .and(Expr::cust(
            "COALESCE(\"complaints\".\"answered_late\", FALSE) = FALSE",
        ))
}

fn rv(c: par_review::Column) -> Expr {
    Expr::col((par_review::Entity, c))
}

/// The review requests that keep a complaint late with the unit that held it: a late
/// reclassification, rejection, duplicate or forwarding of the year, not accepted (pending or
/// refused), requested by the cutoff.
pub fn complaint_kept_late(f: &Frame) -> SimpleExpr {
    use par_review::{Column as C, Kind, Status};
    rv(C::Kind)
        .is_in([
            Kind::LateReclassification,
            Kind::LateRejection,
            Kind::LateDuplicate,
            Kind::LateForward,
        ])
        .and(rv(C::Status).is_in([Status::Pending, Status::Refused]))
        .and(rv(C::DueAt).gte(f.y0))
        .and(rv(C::DueAt).lt(f.asof))
        .and(rv(C::RequestedAt).lte(f.cutoff))
}

/// The verified ratings of the year.
pub fn rating_in_year(f: &Frame) -> SimpleExpr {
    let (m0, m1) = f.months();
    let r = |c: rating::Column| Expr::col((rating::Entity, c));
    r(rating::Column::Verified)
        .eq(true)
        .and(r(rating::Column::Month).gte(m0))
        .and(r(rating::Column::Month).lte(m1))
        .and(r(rating::Column::CreatedAt).lte(f.cutoff))
}

fn count_if(e: SimpleExpr) -> SimpleExpr {
    Func::sum(Expr::case(e, 1).finally(0)).into()
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DossierCounts {
    /// Counted for timeliness.
    pub counted: u64,
    pub on_time: u64,
    /// Left out: late through no fault of the agency.
    pub excused: u64,
    /// Late dossiers with a timely apology.
    pub apologised: u64,
}

impl DossierCounts {
    pub fn late(&self) -> u64 {
        self.counted.saturating_sub(self.on_time)
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ComplaintCounts {
    pub counted: u64,
    pub on_time: u64,
}

/// Everything a period's computed criteria need, for every unit at once.
#[derive(Debug, Default)]
pub struct Counts {
    pub satisfaction: HashMap<String, HashMap<Component, Tally>>,
    pub dossiers: HashMap<String, DossierCounts>,
    pub complaints: HashMap<String, ComplaintCounts>,
}

impl Counts {
    /// The counts carried by the units of a period: each member's (a unit, or a ward under a
    /// district that year) added to the period unit it belongs to; units outside the period
    /// are dropped.
    pub fn fold(self, members: &HashMap<String, String>) -> Counts {
        let mut out = Counts::default();
        for (u, comps) in self.satisfaction {
            let Some(to) = members.get(&u) else { continue };
            let e = out.satisfaction.entry(to.clone()).or_default();
            for (c, t) in comps {
                e.entry(c).or_default().add(&t);
            }
        }
        for (u, d) in self.dossiers {
            let Some(to) = members.get(&u) else { continue };
            let e = out.dossiers.entry(to.clone()).or_default();
            e.counted += d.counted;
            e.on_time += d.on_time;
            e.excused += d.excused;
            e.apologised += d.apologised;
        }
        for (u, c) in self.complaints {
            let Some(to) = members.get(&u) else { continue };
            let e = out.complaints.entry(to.clone()).or_default();
            e.counted += c.counted;
            e.on_time += c.on_time;
        }
        out
    }
}

fn n(row: &sea_orm::QueryResult, k: &str) -> AppResult<u64> {
    Ok(row
        .try_get::<Option<i64>>("", k)?
        .unwrap_or(0)
        .clamp(0, i64::MAX) as u64)
}

/// Four aggregate queries, each grouped by unit; `only` restricts them to some units (one
/// unit's figures, for the effect of a review request).
pub async fn counts(
    db: &impl ConnectionTrait,
    f: &Frame,
    only: Option<&[String]>,
) -> AppResult<Counts> {
    let mut out = Counts::default();
    let of = |e: Expr| -> SimpleExpr {
        match only {
            Some(u) => e.is_in(u.iter().cloned()),
            None => Expr::value(true),
        }
    };

    // Satisfaction from the running tallies (kept with every rating): a sum over a few
    // thousand rows whatever the number of ratings.
    let (m0, m1) = f.months();
    let t = |c: rating_tally::Column| Expr::col((rating_tally::Entity, c));
    let q = Query::select()
        .expr_as(t(rating_tally::Column::UnitId), Alias::new("unit_id"))
        .expr_as(t(rating_tally::Column::Component), Alias::new("component"))
        .expr_as(
            Func::cast_as(
                Func::sum(t(rating_tally::Column::Answers)),
                Alias::new("BIGINT"),
            ),
            Alias::new("answers"),
        )
        .expr_as(
            Func::cast_as(
                Func::sum(t(rating_tally::Column::ScoreSum)),
                Alias::new("BIGINT"),
            ),
            Alias::new("score_sum"),
        )
        .expr_as(
            Func::cast_as(
                Func::sum(t(rating_tally::Column::Satisfied)),
                Alias::new("BIGINT"),
            ),
            Alias::new("satisfied"),
        )
        .from(rating_tally::Entity)
        .and_where(t(rating_tally::Column::Verified).eq(true))
        .and_where(t(rating_tally::Column::Month).gte(m0))
        .and_where(t(rating_tally::Column::Month).lte(m1))
        .and_where(of(t(rating_tally::Column::UnitId)))
        .group_by_col((rating_tally::Entity, rating_tally::Column::UnitId))
        .group_by_col((rating_tally::Entity, rating_tally::Column::Component))
        .to_owned();
    for row in db.query_all(&q).await? {
        let Some((component, t)) = tally_of(&row)? else {
            continue;
        };
        let unit: String = row.try_get("", "unit_id")?;
        out.satisfaction
            .entry(unit)
            .or_default()
            .entry(component)
            .or_default()
            .add(&t);
    }

    let q = Query::select()
        .expr_as(d(dossier::Column::UnitId), Alias::new("unit_id"))
        .expr_as(count_if(dossier_counted(f)), Alias::new("counted"))
        .expr_as(
            count_if(dossier_counted(f).and(dossier_on_time(f))),
            Alias::new("on_time"),
        )
        .expr_as(count_if(dossier_excused(f)), Alias::new("excused"))
        .expr_as(
            count_if(dossier_late(f).and(dossier_apologised())),
            Alias::new("apologised"),
        )
        .from(dossier::Entity)
        .and_where(dossier_in_year(f))
        .and_where(of(d(dossier::Column::UnitId)))
        .group_by_col((dossier::Entity, dossier::Column::UnitId))
        .to_owned();
    for row in db.query_all(&q).await? {
        let unit: String = row.try_get("", "unit_id")?;
        out.dossiers.insert(
            unit,
            DossierCounts {
                counted: n(&row, "counted")?,
                on_time: n(&row, "on_time")?,
                excused: n(&row, "excused")?,
                apologised: n(&row, "apologised")?,
            },
        );
    }

    let q = Query::select()
        .expr_as(cm(complaint::Column::AssignedUnitId), Alias::new("unit_id"))
        .expr_as(Expr::cust("COUNT(*)"), Alias::new("counted"))
        .expr_as(count_if(complaint_on_time(f)), Alias::new("on_time"))
        .from(complaint::Entity)
        .and_where(complaint_counted(f))
        .and_where(of(cm(complaint::Column::AssignedUnitId)))
        .group_by_col((complaint::Entity, complaint::Column::AssignedUnitId))
        .to_owned();
    for row in db.query_all(&q).await? {
        let unit: String = row.try_get("", "unit_id")?;
        out.complaints.insert(
            unit,
            ComplaintCounts {
                counted: n(&row, "counted")?,
                on_time: n(&row, "on_time")?,
            },
        );
    }

    let q = Query::select()
        .expr_as(rv(par_review::Column::UnitId), Alias::new("unit_id"))
        .expr_as(Expr::cust("COUNT(*)"), Alias::new("counted"))
        .from(par_review::Entity)
        .and_where(complaint_kept_late(f))
        .and_where(of(rv(par_review::Column::UnitId)))
        .group_by_col((par_review::Entity, par_review::Column::UnitId))
        .to_owned();
    for row in db.query_all(&q).await? {
        let unit: String = row.try_get("", "unit_id")?;
        out.complaints.entry(unit).or_default().counted += n(&row, "counted")?;
    }
    Ok(out)
}

/// One row behind a computed criterion.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub id: String,
    /// A dossier's receipt code or a complaint's tracking code (none for a rating).
    pub code: Option<String>,
    pub at: DateTime<Utc>,
    /// Whether the row counts for the unit (a satisfied answer, on time, apologised).
    pub good: bool,
    /// A rating's score.
    pub score: Option<i32>,
    pub due_at: Option<DateTime<Utc>>,
    pub done_at: Option<DateTime<Utc>>,
}

/// Which rows a criterion lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowSet {
    Satisfaction(Component),
    Timeliness,
    Apology,
    ComplaintHandling,
}

/// A page of the rows behind a criterion of a unit (with the wards it carried that year,
/// `units`), bad ones first, with their total.
pub async fn rows(
    db: &impl ConnectionTrait,
    f: &Frame,
    units: &[String],
    set: RowSet,
    offset: u64,
    limit: u64,
) -> AppResult<(u64, Vec<Row>)> {
    use sea_orm::ActiveEnum;
    let (mut q, good) = match set {
        RowSet::Satisfaction(c) => {
            let rs = |x: rating_score::Column| Expr::col((rating_score::Entity, x));
            let r = |x: rating::Column| Expr::col((rating::Entity, x));
            let mut q = Query::select();
            q.expr_as(r(rating::Column::Id), Alias::new("id"))
                .expr_as(Expr::cust("NULL"), Alias::new("code"))
                .expr_as(r(rating::Column::CreatedAt), Alias::new("at"))
                .expr_as(rs(rating_score::Column::Score), Alias::new("score"))
                .expr_as(Expr::cust("NULL"), Alias::new("due_at"))
                .expr_as(Expr::cust("NULL"), Alias::new("done_at"))
                .from(rating_score::Entity)
                .inner_join(
                    rating::Entity,
                    r(rating::Column::Id)
                        .equals((rating_score::Entity, rating_score::Column::RatingId)),
                )
                .and_where(rating_in_year(f))
                .and_where(r(rating::Column::UnitId).is_in(units.iter().cloned()))
                .and_where(rs(rating_score::Column::Component).eq(c.to_value()));
            (q, rs(rating_score::Column::Score).gte(4))
        }
        RowSet::Timeliness | RowSet::Apology => {
            use dossier::Column as C;
            let mut q = Query::select();
            q.expr_as(d(C::Id), Alias::new("id"))
                .expr_as(d(C::Code), Alias::new("code"))
                .expr_as(d(C::ReceivedAt), Alias::new("at"))
                .expr_as(Expr::cust("NULL"), Alias::new("score"))
                .expr_as(d(C::OriginalDueAt), Alias::new("due_at"))
                .expr_as(d(C::CompletedAt), Alias::new("done_at"))
                .from(dossier::Entity)
                .and_where(d(C::UnitId).is_in(units.iter().cloned()));
            if set == RowSet::Timeliness {
                q.and_where(dossier_counted(f));
                (q, dossier_on_time(f))
            } else {
                q.and_where(dossier_late(f));
                (q, dossier_apologised())
            }
        }
        RowSet::ComplaintHandling => {
            use complaint::Column as C;
            let mut q = Query::select();
            q.expr_as(cm(C::Id), Alias::new("id"))
                .expr_as(cm(C::Code), Alias::new("code"))
                .expr_as(cm(C::ReceivedAt), Alias::new("at"))
                .expr_as(Expr::cust("NULL"), Alias::new("score"))
                .expr_as(cm(C::AnswerDueAt), Alias::new("due_at"))
                .expr_as(cm(C::AnsweredAt), Alias::new("done_at"))
                .from(complaint::Entity)
                .and_where(cm(C::AssignedUnitId).is_in(units.iter().cloned()))
                .and_where(complaint_counted(f));
            (q, complaint_on_time(f))
        }
    };
    if set == RowSet::ComplaintHandling {
        // The complaints kept late with the unit by a review request: rows that are never good.
        let good_col = Expr::case(good.clone(), 1).finally(0);
        q.expr_as(good_col, Alias::new("good"));
        let mut kept = Query::select();
        kept.expr_as(rv(par_review::Column::ComplaintId), Alias::new("id"))
            .expr_as(rv(par_review::Column::Code), Alias::new("code"))
            .expr_as(rv(par_review::Column::RequestedAt), Alias::new("at"))
            .expr_as(Expr::cust("NULL"), Alias::new("score"))
            .expr_as(rv(par_review::Column::DueAt), Alias::new("due_at"))
            .expr_as(rv(par_review::Column::RequestedAt), Alias::new("done_at"))
            .expr_as(Expr::cust("0"), Alias::new("good"))
            .from(par_review::Entity)
            .and_where(rv(par_review::Column::UnitId).is_in(units.iter().cloned()))
            .and_where(complaint_kept_late(f));
        q.union(UnionType::All, kept);
        return page_of(db, q, offset, limit).await;
    }
    q.expr_as(Expr::case(good, 1).finally(0), Alias::new("good"));
    page_of(db, q, offset, limit).await
}

/// A page of rows selected by `q` (columns id, code, at, score, due_at, done_at, good), bad ones
/// first, with their total: `q` is read as a derived table, so that a union pages too.
async fn page_of(
    db: &impl ConnectionTrait,
    q: sea_orm::sea_query::SelectStatement,
    offset: u64,
    limit: u64,
) -> AppResult<(u64, Vec<Row>)> {
    let count = Query::select()
        .expr_as(Expr::cust("COUNT(*)"), Alias::new("n"))
        .from_subquery(q.clone(), Alias::new("r"))
        .to_owned();
    let total = match db.query_one(&count).await? {
        Some(r) => n(&r, "n")?,
        None => 0,
    };
    let q = Query::select()
        .column(sea_orm::sea_query::Asterisk)
        .from_subquery(q, Alias::new("r"))
        .order_by_expr(Expr::cust("good"), sea_orm::Order::Asc)
        .order_by_expr(Expr::cust("at"), sea_orm::Order::Asc)
        .order_by_expr(Expr::cust("id"), sea_orm::Order::Asc)
        .limit(limit)
        .offset(offset)
        .to_owned();
    let mut out = Vec::new();
    for row in db.query_all(&q).await? {
        out.push(Row {
            id: row.try_get("", "id")?,
            code: row.try_get("", "code")?,
            at: row.try_get("", "at")?,
            good: row.try_get::<i32>("", "good")? == 1,
            score: row.try_get("", "score")?,
            due_at: row.try_get("", "due_at")?,
            done_at: row.try_get("", "done_at")?,
        });
    }
    Ok((total, out))
}

/// The year `d` falls in, in the city's time zone.
pub fn year_of(t: DateTime<Utc>) -> i32 {
    crate::clock::local(t).year()
}
