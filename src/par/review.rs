//! The evaluator's review queue (DESIGN.md §7, "No unit moves its own index alone").
//!
//! The people measured are the people who record the facts. Whatever a unit's own staff record
//! that would move the unit's PAR figures counts as the plain facts say, and a request waits
//! here with its evidence and its effect on the score:
//! - **an excused delay** counts only once accepted (until then the delay is late, and owes
//!   an apology); refusing it clears the excuse, so the unit can still apologise;
//! - **a completion time more than a working day before it was recorded** counts as recorded;
//!   accepting it moves the completion to the time given;
//! - **an appointment beyond the statutory time** is flagged, and the index measures against the
//!   statutory time; accepting it makes the appointment the due time;
//! - **an apology after the hand-over day** is a late apology; accepting it counts it as given at
//!   hand-over;
//! - **a complaint reclassified, rejected, marked a duplicate or forwarded after it fell due**
//!   (or forwarded after its forwarding days) stays a late item of the unit that held it, for
//!   the year it fell due; accepting the request takes it out.
//!
//! The one-stop-shop system's record (imports, integration tokens) is the fact itself and needs
//! no review. Evaluators and admins decide, never on their own request; every decision is in the
//! period's audit and shown beside the rows of a breakdown. A decision changes the computed
//! figures only when the year is computed again (a computed year goes back to draft); a
//! published year never changes.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::par_review::{self, Model};
use entity::{dossier, par_review::Column as C};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    QuerySelect, Set,
};

pub use entity::par_review::{Kind, Status};

use crate::access::{self, Scope};
use crate::auth::Actor;
use crate::error::{AppError, AppResult};
use crate::pagination::{Page, Slice};
use crate::state::AppState;
use crate::text;

/// A request, before the year it concerns is known.
#[derive(Debug, Clone)]
pub struct Request {
    pub kind: Kind,
    /// The unit whose figures it would change (the one that held the item).
    pub unit_id: String,
    pub dossier_id: Option<String>,
    pub complaint_id: Option<String>,
    pub code: String,
    /// What the unit claims (a completion time, an appointment).
    pub claimed_at: Option<DateTime<Utc>>,
    /// The deadline it is about.
    pub due_at: DateTime<Utc>,
    pub reason: String,
    pub requested_by: String,
}

/// A request for the figures of one year.
#[derive(Debug, Clone)]
pub struct Dated {
    year: i32,
    request: Request,
}

impl Request {
    pub fn in_year(self, year: i32) -> Dated {
        Dated {
            year,
            request: self,
        }
    }
}

/// Whether a kind is about a complaint kept late with the unit (the rest are about dossiers).
pub fn is_complaint_kind(k: Kind) -> bool {
    matches!(
        k,
        Kind::LateReclassification | Kind::LateRejection | Kind::LateDuplicate | Kind::LateForward
    )
}

/// Queues a request, in the transaction of the change it is about.
pub async fn insert(db: &impl ConnectionTrait, d: Dated) -> AppResult<Model> {
    let r = d.request;
    let m = par_review::ActiveModel {
        id: Set(uuid::Uuid::now_v7().to_string()),
        year: Set(d.year),
        unit_id: Set(r.unit_id),
        kind: Set(r.kind),
        dossier_id: Set(r.dossier_id),
        complaint_id: Set(r.complaint_id),
        code: Set(r.code),
        claimed_at: Set(r.claimed_at),
        due_at: Set(r.due_at),
        reason: Set(r.reason),
        requested_by: Set(r.requested_by),
        requested_at: Set(crate::clock::now()),
        status: Set(Status::Pending),
        decided_by: Set(None),
        decided_at: Set(None),
        decision_reason: Set(None),
    }
    .insert(db)
    .await?;
    // The evaluators are told of the new request (the worker picks it up within a second).
    crate::notify::enqueue(
        db,
        crate::notify::Event::ReviewRequested {
            review: m.id.clone(),
        },
    )
    .await?;
    Ok(m)
}

/// Voids the pending requests of `kind` about a complaint (its classification was undone: the
/// complaint counts again as itself).
pub async fn withdraw(db: &impl ConnectionTrait, complaint_id: &str, kind: Kind) -> AppResult<()> {
    par_review::Entity::update_many()
        .col_expr(C::Status, Expr::value(Status::Withdrawn))
        .col_expr(C::DecidedAt, Expr::value(crate::clock::now()))
        .filter(C::ComplaintId.eq(complaint_id))
        .filter(C::Kind.eq(kind))
        .filter(C::Status.eq(Status::Pending))
        .exec(db)
        .await?;
    Ok(())
}

/// Filters of `parReviews`.
#[derive(Debug, Clone, Default)]
pub struct ReviewFilter {
    pub year: Option<i32>,
    pub unit: Option<String>,
    pub status: Option<Status>,
    pub kind: Option<Kind>,
}

/// The sort of the queue's cursors: oldest request first.
pub const SORT: &str = "pr.ra";

fn condition(scope: &Scope, f: &ReviewFilter) -> Condition {
    let mut c = Condition::all();
    match scope {
        Scope::All => {}
        Scope::Units(u) => c = c.add(C::UnitId.is_in(u.iter().cloned())),
        Scope::None => c = c.add(Expr::value(false)),
    }
    if let Some(y) = f.year {
        c = c.add(C::Year.eq(y));
    }
    if let Some(u) = &f.unit {
        c = c.add(C::UnitId.eq(u.as_str()));
    }
    if let Some(s) = f.status {
        c = c.add(C::Status.eq(s));
    }
    if let Some(k) = f.kind {
        c = c.add(C::Kind.eq(k));
    }
    c
}

/// A page of the queue, oldest first: evaluators and admins every unit's, officials their
/// units'.
pub async fn list(
    state: &AppState,
    actor: &Actor,
    f: &ReviewFilter,
    page: Page,
) -> AppResult<Slice<Model>> {
    use sea_orm::PaginatorTrait;
    let scope = access::review_read_scope(&state.db, actor).await?;
    let cond = condition(&scope, f);
    let total = if page.count {
        Some(
            par_review::Entity::find()
                .filter(cond.clone())
                .count(&state.db)
                .await?,
        )
    } else {
        None
    };
    let rows = if page.limit == 0 {
        vec![]
    } else {
        page.seek(
            par_review::Entity::find().filter(cond),
            C::RequestedAt,
            false,
            C::Id,
        )
        .all(&state.db)
        .await?
    };
    Ok(page.slice(total, rows, |r| (r.requested_at, r.id.as_str())))
}

/// Requests of a year per unit and status, in the caller's scope: (unit, status, count).
pub async fn counts(
    state: &AppState,
    actor: &Actor,
    year: i32,
) -> AppResult<Vec<(String, Status, u64)>> {
    let scope = access::review_read_scope(&state.db, actor).await?;
    let cond = condition(
        &scope,
        &ReviewFilter {
            year: Some(year),
            ..Default::default()
        },
    );
    let rows: Vec<(String, Status, i64)> = par_review::Entity::find()
        .select_only()
        .column(C::UnitId)
        .column(C::Status)
        .column_as(Expr::cust("COUNT(*)"), "n")
        .filter(cond)
        .group_by(C::UnitId)
        .group_by(C::Status)
        .into_tuple()
        .all(&state.db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(u, s, n)| (u, s, n.max(0) as u64))
        .collect())
}

/// The latest request about each of these dossiers or complaints (`subjects` are their ids).
pub async fn latest_of(
    db: &impl ConnectionTrait,
    subjects: &[String],
) -> AppResult<HashMap<String, Model>> {
    let rows = par_review::Entity::find()
        .filter(
            Condition::any()
                .add(C::DossierId.is_in(subjects.iter().cloned()))
                .add(C::ComplaintId.is_in(subjects.iter().cloned())),
        )
        .all(db)
        .await?;
    let mut out: HashMap<String, Model> = HashMap::new();
    for r in rows {
        let Some(subject) = r.dossier_id.clone().or_else(|| r.complaint_id.clone()) else {
            continue;
        };
        match out.get(&subject) {
            Some(had) if (had.requested_at, &had.id) >= (r.requested_at, &r.id) => {}
            _ => {
                out.insert(subject, r);
            }
        }
    }
    Ok(out)
}

/// The latest request about each dossier or complaint of a batch, in one query.
pub struct LatestLoader(pub sea_orm::DatabaseConnection);

impl async_graphql::dataloader::Loader<String> for LatestLoader {
    type Value = Model;
    type Error = AppError;

    async fn load(&self, keys: &[String]) -> Result<HashMap<String, Model>, AppError> {
        latest_of(&self.0, keys).await
    }
}

fn not_found() -> AppError {
    AppError::not_found(
        "Không tìm thấy đề nghị xem xét này.",
        "No such review request.",
    )
}

async fn require(db: &impl ConnectionTrait, id: &str) -> AppResult<Model> {
    par_review::Entity::find_by_id(id.to_string())
        .one(db)
        .await?
        .ok_or_else(not_found)
}

/// One request, for a caller who may read it.
pub async fn get(state: &AppState, actor: &Actor, id: &str) -> AppResult<Model> {
    let scope = access::review_read_scope(&state.db, actor).await?;
    let r = require(&state.db, id).await?;
    if scope.covers(&r.unit_id) {
        Ok(r)
    } else {
        Err(not_found())
    }
}

fn set_dossier(id: &str) -> sea_orm::UpdateMany<dossier::Entity> {
    dossier::Entity::update_many()
        .col_expr(dossier::Column::UpdatedAt, Expr::value(crate::clock::now()))
        .filter(dossier::Column::Id.eq(id))
}

/// What accepting or refusing a request does to the item it is about (the request's own status
/// is written by the caller).
async fn apply(db: &impl ConnectionTrait, r: &Model, accept: bool) -> AppResult<()> {
    let Some(d) = r.dossier_id.as_deref() else {
        // A complaint kept late: the request's status alone decides.
        return Ok(());
    };
    let upd = match (r.kind, accept) {
        (Kind::ExcusedDelay, true) => {
            set_dossier(d).col_expr(dossier::Column::ExcuseAccepted, Expr::value(true))
        }
        // Refused: no excuse stands, and the unit may still apologise.
        (Kind::ExcusedDelay, false) => set_dossier(d)
            .col_expr(
                dossier::Column::DelayExcusedAt,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .col_expr(
                dossier::Column::DelayExcuseReason,
                Expr::value(Option::<String>::None),
            )
            .col_expr(
                dossier::Column::DelayExcusedBy,
                Expr::value(Option::<String>::None),
            )
            .col_expr(dossier::Column::ExcuseAccepted, Expr::value(false)),
        (Kind::EarlyCompletion, true) => {
            set_dossier(d).col_expr(dossier::Column::CompletedAt, Expr::value(r.claimed_at))
        }
        (Kind::LongAppointment, true) => match r.claimed_at {
            Some(t) => set_dossier(d).col_expr(dossier::Column::OriginalDueAt, Expr::value(t)),
            None => return Ok(()),
        },
        (Kind::HandoverApology, true) => {
            set_dossier(d).col_expr(dossier::Column::ApologyAtHandover, Expr::value(true))
        }
        _ => return Ok(()),
    };
    upd.exec(db).await?;
    Ok(())
}

/// Accepts or refuses a pending request, with the reason: evaluators and admins, never on their
/// own request. In one transaction with its effect on the item and its line in the year's
/// audit; a computed year goes back to draft, to be computed again.
pub async fn decide(
    state: &AppState,
    actor: &Actor,
    id: &str,
    accept: bool,
    reason: &str,
) -> AppResult<Model> {
    access::require_par_evaluator(actor)?;
    let r = require(&state.db, id).await?;
    access::require_review_decider(actor, &r.requested_by)?;
    let reason = text::reason("reason", reason, 2000)?;
    if r.status != Status::Pending {
        return Err(already_decided());
    }
    // The effect is measured before the change, so that the audit says what the decision did.
    let effect = if accept {
        effect(state, &r).await?
    } else {
        None
    };
    let now = crate::clock::now();
    let status = if accept {
        Status::Accepted
    } else {
        Status::Refused
    };
    let txn = crate::db::begin(&state.db).await?;
    let res = par_review::Entity::update_many()
        .col_expr(C::Status, Expr::value(status))
        .col_expr(
            C::DecidedBy,
            Expr::value(actor.signed_in()?.subject.clone()),
        )
        .col_expr(C::DecidedAt, Expr::value(now))
        .col_expr(C::DecisionReason, Expr::value(reason.clone()))
        .filter(C::Id.eq(r.id.as_str()))
        .filter(C::Status.eq(Status::Pending))
        .exec(&txn)
        .await?;
    if res.rows_affected == 0 {
        return Err(already_decided());
    }
    apply(&txn, &r, accept).await?;
    if let Some(d) = &r.dossier_id
        && accept
    {
        crate::dossiers::enqueue_shares_of(&txn, d).await?;
    }
    let detail = format!(
        "{} {} {} ({}): {}{}",
        if accept {
            "Chấp nhận"
        } else {
            "Không chấp nhận"
        },
        kind_name(r.kind),
        r.code,
        r.requested_by,
        reason,
        match &effect {
            Some(e) => format!("; tổng điểm {:.2} → {:.2} khi tính lại", e.before, e.after),
            None => String::new(),
        }
    );
    crate::par::audit(
        &txn,
        r.year,
        Some(&r.unit_id),
        if accept {
            "REVIEW_ACCEPTED"
        } else {
            "REVIEW_REFUSED"
        },
        None,
        detail,
        &crate::par::actor_name(actor),
    )
    .await?;
    crate::par::mark_changed(&txn, r.year).await?;
    txn.commit().await?;
    state.indexer_wake.wake();
    require(&state.db, id).await
}

fn already_decided() -> AppError {
    AppError::conflict(
        "Đề nghị này đã được xem xét.",
        "This request has already been decided.",
    )
}

/// The Vietnamese name of a kind, for the audit.
pub fn kind_name(k: Kind) -> &'static str {
    match k {
        Kind::ExcusedDelay => "xác nhận trễ hạn không do lỗi của cơ quan",
        Kind::EarlyCompletion => "thời điểm hoàn thành ghi nhận muộn",
        Kind::LongAppointment => "ngày hẹn vượt thời hạn theo quy định",
        Kind::HandoverApology => "xin lỗi khi trả kết quả, ghi nhận sau ngày trả",
        Kind::LateReclassification => "phân loại lại phản ánh sau hạn",
        Kind::LateRejection => "từ chối phản ánh sau hạn",
        Kind::LateDuplicate => "đánh dấu trùng sau hạn",
        Kind::LateForward => "chuyển phản ánh quá hạn",
    }
}

/// What accepting a request would do to its unit's figures, were the year computed now.
#[derive(Debug, Clone, PartialEq)]
pub struct Effect {
    /// The period unit whose figures change (a ward's go to its district in the years before
    /// 2025's reorganisation).
    pub unit_id: String,
    pub before: f64,
    pub after: f64,
    /// The criteria whose points change: (code, before, after).
    pub criteria: Vec<(String, f64, f64)>,
}

/// The effect of accepting a pending request: the unit's points computed now, without and with
/// it, in a transaction that is rolled back. `None` when the request is decided, or its year
/// has no open period (or is published, and can no longer change).
pub async fn effect(state: &AppState, r: &Model) -> AppResult<Option<Effect>> {
    if r.status != Status::Pending {
        return Ok(None);
    }
    let Some(p) = crate::par::find_period(&state.db, r.year).await? else {
        return Ok(None);
    };
    if p.status == crate::par::Status::Published || p.template.is_none() {
        return Ok(None);
    }
    let members = crate::par::members_of_year(&state.db, r.year).await?;
    let Some(unit) = members.get(&r.unit_id).cloned() else {
        return Ok(None);
    };
    let mine: Vec<String> = members
        .iter()
        .filter(|(_, to)| **to == unit)
        .map(|(m, _)| m.clone())
        .collect();
    let txn = crate::db::begin(&state.db).await?;
    let before = crate::par::live_points(&txn, &p, &unit, &mine).await?;
    par_review::Entity::update_many()
        .col_expr(C::Status, Expr::value(Status::Accepted))
        .filter(C::Id.eq(r.id.as_str()))
        .exec(&txn)
        .await?;
    apply(&txn, r, true).await?;
    let after = crate::par::live_points(&txn, &p, &unit, &mine).await?;
    // Rolled back: nothing of the trial stays.
    txn.rollback().await?;
    let (Some((b, bl)), Some((a, al))) = (before, after) else {
        return Ok(None);
    };
    let was: HashMap<String, f64> = bl.into_iter().collect();
    let criteria = al
        .into_iter()
        .filter_map(|(code, now)| {
            let then = was.get(&code).copied().unwrap_or(0.0);
            ((now - then).abs() > 1e-9).then(|| {
                (
                    code,
                    crate::par::template::round2(then),
                    crate::par::template::round2(now),
                )
            })
        })
        .collect();
    Ok(Some(Effect {
        unit_id: unit,
        before: b,
        after: a,
        criteria,
    }))
}
