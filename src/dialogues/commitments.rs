//! Commitments (cam kết): a unit promises a step on a matter by a date, and reports it done
//! with evidence. A commitment is due at the end of its day; when that day is not a working
//! day, at the end of the next working day (Civil Code 2015, art. 148(5) and (6): a period
//! ends at 24:00 of its last day, and one whose last day is a weekend day or a holiday ends at
//! the end of the next working day). It is overdue once that passes while it is open, kept on
//! time when done by then, kept late after.

use std::collections::HashMap;
use std::net::IpAddr;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use entity::commitment::{self, Status};
use entity::{complaint, dialogue, dialogue_issue, dialogue_unit};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Func, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder,
};

use crate::access::{self, CommitmentAction, Scope};
use crate::auth::Actor;
use crate::error::{AppError, AppResult};
use crate::idempotency::{Claim, IdempotencyKey};
use crate::state::AppState;
use crate::text;

fn not_found() -> AppError {
    AppError::not_found("Không tìm thấy cam kết.", "The commitment was not found.")
}

/// When a commitment promised for `day` falls due: the end of that day (Civil Code 2015, art.
/// 148(6): a period ends at 24:00 of its last day), or of the next working day when that day is
/// off (art. 148(5)). The last second of the day stands for 24:00.
pub fn due_at(cal: &crate::calendar::Calendar, day: NaiveDate) -> DateTime<Utc> {
    use chrono::TimeZone;
    let last = cal.add_days(day, 0);
    crate::clock::city_offset()
        .from_local_datetime(&last.and_hms_opt(23, 59, 59).expect("static time"))
        .single()
        .expect("a fixed offset has no gaps")
        .with_timezone(&Utc)
}

/// Open past its due time.
pub fn is_overdue(c: &commitment::Model, now: DateTime<Utc>) -> bool {
    c.status == Status::Open && now > c.due_at
}

/// Working days between the due day and today for an overdue commitment (0 otherwise).
pub fn working_days_overdue(
    cal: &crate::calendar::Calendar,
    c: &commitment::Model,
    now: DateTime<Utc>,
) -> u32 {
    if !is_overdue(c, now) {
        return 0;
    }
    let due_day = crate::clock::local(c.due_at).date_naive();
    let today = crate::clock::local(now).date_naive();
    let mut n = 0;
    let mut d = due_day;
    while d < today && n < 10_000 {
        d += Duration::days(1);
        if cal.is_working_day(d) {
            n += 1;
        }
    }
    n
}

/// The units involved in a matter: the complaint's unit and assigned unit, the hosts and
/// invited units of every dialogue it is an issue of.
pub async fn involved(db: &impl ConnectionTrait, c: &complaint::Model) -> AppResult<Vec<String>> {
    let dialogue_ids: Vec<String> = dialogue_issue::Entity::find()
        .filter(dialogue_issue::Column::ComplaintId.eq(c.id.as_str()))
        .all(db)
        .await?
        .into_iter()
        .map(|l| l.dialogue_id)
        .collect();
    let mut units = Vec::new();
    if !dialogue_ids.is_empty() {
        for d in dialogue::Entity::find()
            .filter(dialogue::Column::Id.is_in(dialogue_ids.iter().cloned()))
            .all(db)
            .await?
        {
            units.push(d.host_unit_id);
        }
        for u in dialogue_unit::Entity::find()
            .filter(dialogue_unit::Column::DialogueId.is_in(dialogue_ids))
            .all(db)
            .await?
        {
            units.push(u.unit_id);
        }
    }
    Ok(involved_of(c, units))
}

/// The units involved in a matter, from the units (hosts and invited) of the dialogues it is
/// an issue of, however they were loaded (here, or by a request's DataLoaders).
pub fn involved_of(
    c: &complaint::Model,
    dialogue_units: impl IntoIterator<Item = String>,
) -> Vec<String> {
    let mut units = vec![c.unit_id.clone(), c.assigned_unit_id.clone()];
    units.extend(dialogue_units);
    units.sort();
    units.dedup();
    units
}

/// Input of `recordCommitment`.
#[derive(Debug, Clone)]
pub struct RecordInput {
    pub unit: String,
    pub text: String,
    pub due_on: NaiveDate,
    pub idempotency_key: Option<String>,
}

/// Records a unit's commitment on a complaint (see `crate::access::require_commitment_recorder`
/// for who may). The due day is today or later, within three years.
pub async fn record(
    state: &AppState,
    actor: &Actor,
    client: IpAddr,
    complaint_id: &str,
    i: RecordInput,
) -> AppResult<commitment::Model> {
    let p = access::require_staff(actor)?.clone();
    let key = IdempotencyKey::parse_opt(i.idempotency_key.as_deref())?;
    let c = complaint::Entity::find_by_id(complaint_id.to_string())
        .one(&state.db)
        .await?
        .ok_or_else(|| {
            AppError::not_found("Không tìm thấy phản ánh.", "The complaint was not found.")
        })?;
    let involved = involved(&state.db, &c).await?;
    let read = access::read_scope(&state.db, actor).await?;
    access::require_commitment_recorder(actor, &read, &i.unit, &involved)?;
    if !involved.contains(&i.unit) {
        return Err(AppError::bad_input(
            "input.unit",
            "Đơn vị này không liên quan đến vấn đề (không phải đơn vị xử lý, đơn vị chủ trì hay đơn vị được mời đối thoại).",
            "This unit is not involved in the matter (neither handling it, nor hosting or invited to its dialogue).",
        ));
    }
    // Not on a duplicate: on its original.
    access::actions::complaint_state(&c, access::ComplaintAction::RecordCommitment)?;
    let body = text::required("input.text", &i.text, 2000)?;
    let due_on = crate::clock::check_date("input.dueOn", i.due_on)?;
    let today = crate::clock::today();
    if due_on < today || due_on > today + Duration::days(3 * 366) {
        return Err(AppError::bad_input(
            "input.dueOn",
            format!("Hạn cam kết phải từ hôm nay ({today}) đến trong vòng ba năm."),
            format!("A commitment is due from today ({today}) to within three years."),
        ));
    }
    let claim = key.map(|k| {
        Claim::new(
            access::idempotency_owner(actor, client),
            "recordCommitment",
            k,
            &[&c.id, &i.unit, &body, &due_on.to_string()],
        )
    });
    if let Some(cl) = &claim
        && let Some(id) = cl.prior(&state.db).await?
    {
        return require(&state.db, &id).await;
    }
    let now = crate::clock::now();
    let model = commitment::Model {
        id: uuid::Uuid::now_v7().to_string(),
        complaint_id: c.id.clone(),
        unit_id: i.unit.clone(),
        text: body,
        due_on,
        due_at: due_at(&state.calendar.get(), due_on),
        status: Status::Open,
        done_at: None,
        evidence: None,
        recorded_by: p.subject.clone(),
        recorded_at: now,
        completed_by: None,
    };
    let txn = crate::db::begin(&state.db).await?;
    if let Some(cl) = &claim
        && let Err(e) = cl.record(&txn, &model.id).await
    {
        drop(txn);
        if matches!(
            e.sql_err(),
            Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
        ) && let Some(first) = cl.prior(&state.db).await?
        {
            return require(&state.db, &first).await;
        }
        return Err(AppError::internal(e));
    }
    commitment::ActiveModel::from(model.clone())
        .insert(&txn)
        .await?;
    crate::complaints::side_event(
        &c,
        actor,
        crate::complaints::lifecycle::Event::Committed,
        format!(
            "Cam kết (hạn {}): {}",
            due_on.format("%d/%m/%Y"),
            model.text
        ),
    )
    .insert(&txn)
    .await?;
    crate::notify::enqueue(
        &txn,
        crate::notify::Event::CommitmentMade {
            commitment: model.id.clone(),
        },
    )
    .await?;
    txn.commit().await?;
    state.notify_wake.wake();
    Ok(model)
}

pub async fn require(db: &DatabaseConnection, id: &str) -> AppResult<commitment::Model> {
    commitment::Entity::find_by_id(id.to_string())
        .one(db)
        .await?
        .ok_or_else(not_found)
}

/// The committing unit reports a commitment done, with what shows it (`OPEN → DONE`, once; the
/// same report again returns it as it is, another is `CONFLICT`).
pub async fn complete(
    state: &AppState,
    actor: &Actor,
    id: &str,
    evidence: &str,
) -> AppResult<commitment::Model> {
    let p = access::require_staff(actor)?.clone();
    let c = require(&state.db, id).await?;
    let read = access::read_scope(&state.db, actor).await?;
    access::actions::commitment_who(actor, &read, &c, CommitmentAction::Complete)?;
    let evidence = text::required("evidence", evidence, 4000)?;
    // A retry of the very report (a phone that lost the answer) gets it again.
    if c.status == Status::Done && c.evidence.as_deref() == Some(evidence.as_str()) {
        return Ok(c);
    }
    // Reported done once.
    access::actions::commitment_state(&c, CommitmentAction::Complete)?;

    let txn = crate::db::begin(&state.db).await?;
    let res = commitment::Entity::update_many()
        .col_expr(commitment::Column::Status, Expr::value(Status::Done))
        .col_expr(commitment::Column::DoneAt, Expr::value(crate::clock::now()))
        .col_expr(commitment::Column::Evidence, Expr::value(evidence.clone()))
        .col_expr(commitment::Column::CompletedBy, Expr::value(p.subject))
        .filter(commitment::Column::Id.eq(c.id.as_str()))
        .filter(commitment::Column::Status.eq(Status::Open))
        .exec(&txn)
        .await?;
    if res.rows_affected == 0 {
        // Reported done by a concurrent request meanwhile.
        drop(txn);
        let now_c = require(&state.db, id).await?;
        return Err(
            access::actions::commitment_state(&now_c, CommitmentAction::Complete)
                .err()
                .unwrap_or_else(|| AppError::internal("a commitment changed under the update")),
        );
    }
    if let Some(m) = complaint::Entity::find_by_id(c.complaint_id.clone())
        .one(&txn)
        .await?
    {
        crate::complaints::side_event(
            &m,
            actor,
            crate::complaints::lifecycle::Event::CommitmentDone,
            format!("Hoàn thành cam kết \u{201c}{}\u{201d}: {evidence}", c.text),
        )
        .insert(&txn)
        .await?;
    }
    crate::notify::enqueue(
        &txn,
        crate::notify::Event::CommitmentDone {
            commitment: c.id.clone(),
        },
    )
    .await?;
    txn.commit().await?;
    state.notify_wake.wake();
    require(&state.db, id).await
}

/// Commitments of each complaint, oldest first.
pub async fn of_complaints(
    db: &impl ConnectionTrait,
    ids: &[String],
) -> AppResult<HashMap<String, Vec<commitment::Model>>> {
    let mut out: HashMap<String, Vec<commitment::Model>> = HashMap::new();
    for chunk in ids.chunks(500) {
        for c in commitment::Entity::find()
            .filter(commitment::Column::ComplaintId.is_in(chunk.iter().cloned()))
            .order_by_asc(commitment::Column::RecordedAt)
            .order_by_asc(commitment::Column::Id)
            .all(db)
            .await?
        {
            out.entry(c.complaint_id.clone()).or_default().push(c);
        }
    }
    Ok(out)
}

/// One unit's record of keeping its commitments.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UnitStats {
    pub unit_id: String,
    pub total: u64,
    pub kept_on_time: u64,
    pub kept_late: u64,
    /// Open past due.
    pub overdue: u64,
    /// Open, not yet due.
    pub open: u64,
}

/// Filter of `commitmentStats`: commitments falling due in `[from, to)`.
#[derive(Debug, Clone, Default)]
pub struct StatsFilter {
    pub unit: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

/// Per unit: kept on time, kept late, overdue and open, in one grouped query over the units the
/// caller may read (staff only).
pub async fn stats(state: &AppState, actor: &Actor, f: &StatsFilter) -> AppResult<Vec<UnitStats>> {
    let read = access::read_scope(&state.db, actor).await?;
    let scope = access::commitment_stats_scope(actor, &read)?;
    if let Some(u) = &f.unit
        && !scope.covers(u)
    {
        return Err(AppError::forbidden(
            "Bạn chỉ xem được thống kê cam kết của đơn vị mình.",
            "You may only read the commitment statistics of your own units.",
        ));
    }
    if scope == Scope::None {
        return Ok(vec![]);
    }
    let now = crate::clock::now();
    let col = |c: commitment::Column| Expr::col((commitment::Entity, c));
    let done = || col(commitment::Column::Status).eq(Status::Done);
    let open = || col(commitment::Column::Status).eq(Status::Open);
    let count_if = |cond: sea_orm::sea_query::SimpleExpr| Func::sum(Expr::case(cond, 1).finally(0));
    let mut q = Query::select();
    q.expr_as(col(commitment::Column::UnitId), Alias::new("unit_id"))
        .expr_as(Expr::cust("COUNT(*)"), Alias::new("total"))
        .expr_as(
            count_if(
                done().and(col(commitment::Column::DoneAt).lte(col(commitment::Column::DueAt))),
            ),
            Alias::new("on_time"),
        )
        .expr_as(
            count_if(
                done().and(col(commitment::Column::DoneAt).gt(col(commitment::Column::DueAt))),
            ),
            Alias::new("late"),
        )
        .expr_as(
            count_if(open().and(col(commitment::Column::DueAt).lt(now))),
            Alias::new("overdue"),
        )
        .expr_as(
            count_if(open().and(col(commitment::Column::DueAt).gte(now))),
            Alias::new("open"),
        )
        .from(commitment::Entity)
        .group_by_col((commitment::Entity, commitment::Column::UnitId));
    match (&f.unit, &scope) {
        (Some(u), _) => {
            q.and_where(col(commitment::Column::UnitId).eq(u.as_str()));
        }
        (None, Scope::Units(u)) => {
            q.and_where(col(commitment::Column::UnitId).is_in(u.iter().cloned()));
        }
        (None, _) => {}
    }
    if let Some(from) = f.from {
        q.and_where(col(commitment::Column::DueAt).gte(from));
    }
    if let Some(to) = f.to {
        q.and_where(col(commitment::Column::DueAt).lt(to));
    }
    let mut out = Vec::new();
    for row in state.db.query_all(&q).await? {
        let n = |c: &str| -> AppResult<u64> {
            Ok(row
                .try_get::<Option<i64>>("", c)?
                .unwrap_or(0)
                .clamp(0, i64::MAX) as u64)
        };
        out.push(UnitStats {
            unit_id: row.try_get("", "unit_id")?,
            total: n("total")?,
            kept_on_time: n("on_time")?,
            kept_late: n("late")?,
            overdue: n("overdue")?,
            open: n("open")?,
        });
    }
    out.sort_by(|a, b| a.unit_id.cmp(&b.unit_id));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::{BUILT_IN, Calendar, parse_holidays};

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn a_commitment_due_on_a_day_off_falls_due_at_the_end_of_the_next_working_day() {
        let cal = Calendar::new(parse_holidays(BUILT_IN).unwrap());
        // A working Tuesday: its own close of office hours.
        assert_eq!(
            due_at(&cal, day("2026-10-13")),
            at("2026-10-13T23:59:59+07:00")
        );
        // A Saturday: the Monday after.
        assert_eq!(
            due_at(&cal, day("2026-10-10")),
            at("2026-10-12T23:59:59+07:00")
        );
        // 30 April and 1 May (Thursday, Friday), then the weekend: Monday 4 May.
        assert_eq!(
            due_at(&cal, day("2026-04-30")),
            at("2026-05-04T23:59:59+07:00")
        );
    }

    #[test]
    fn overdue_counts_working_days_after_the_due_day() {
        let cal = Calendar::new(parse_holidays(BUILT_IN).unwrap());
        let c = commitment::Model {
            id: "k".into(),
            complaint_id: "c".into(),
            unit_id: "u".into(),
            text: "t".into(),
            due_on: day("2026-04-29"),
            due_at: due_at(&cal, day("2026-04-29")),
            status: Status::Open,
            done_at: None,
            evidence: None,
            recorded_by: "x".into(),
            recorded_at: at("2026-04-01T09:00:00+07:00"),
            completed_by: None,
        };
        // Due by the end of Wednesday 29 April; on Monday 4 May it is one working day late (the
        // holidays and the weekend between do not count).
        let monday = at("2026-05-04T09:00:00+07:00");
        assert!(is_overdue(&c, monday));
        assert_eq!(working_days_overdue(&cal, &c, monday), 1);
        assert!(!is_overdue(&c, at("2026-04-29T20:00:00+07:00")));
        let done = commitment::Model {
            status: Status::Done,
            done_at: Some(monday),
            ..c
        };
        assert!(!is_overdue(&done, monday));
    }
}
