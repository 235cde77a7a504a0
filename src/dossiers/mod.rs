//! Dossiers (hồ sơ): one application for one procedure at one unit, with its statutory due time
//! in working days, its completion, and the apology a late dossier needs.
//!
//! Rules (Decree 118/2025/NĐ-CP on the one-stop shop, which replaced Decrees 61/2018 and
//! 107/2021 from 1 July 2025): the due time is the procedure's processing days after the day the
//! receipt counts from (the next working day for same-day procedures received after their
//! cut-off, and for online submissions outside office hours), at the close of office hours; an
//! appointment date given by the one-stop-shop system wins over the computed one. A dossier is
//! late when completed, or still open, after that statutory due time; open past it is backlog.
//! A late dossier needs an apology with a reason and a new appointment, issued no later than
//! one working day before the due time; the appointment is reset once only. An apology issued
//! later than that is recorded as late; one given at hand-over, after completion, is recorded
//! as such; a delay that was not the agency's fault is marked excused and owes no apology.

pub mod graphql;
pub mod import;
pub mod signals;

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use entity::dossier::{self, FilerKind};
use entity::{procedure, procedure_unit, rating};
use sea_orm::sea_query::{Expr, ExprTrait, Func, SimpleExpr};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, DatabaseConnection, EntityTrait, FromQueryResult,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};

use crate::access::{self, DossierAction, Scope};
use crate::auth::Actor;
use crate::businesses::TaxCode;
use crate::calendar::{Calendar, Receipt};
use crate::error::{AppError, AppResult, on_unique};
use crate::pagination::{Page, Slice};
use crate::par::review;
use crate::state::AppState;
use crate::text;
use crate::units;

/// How a dossier stands with the apology rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApologyStatus {
    /// Not late, and no apology issued.
    NoneNeeded,
    /// Late, and no apology issued.
    Missing,
    /// Issued in time.
    Issued,
    /// Issued less than one working day before the due time, or after it.
    Late,
    /// Given at hand-over, after completion (the delay was not foreseen in time).
    AtHandover,
    /// Late, but not through the agency's fault: no apology owed.
    Excused,
}

/// Whether an apology issued at `issued` is the one given at hand-over of a result completed at
/// `completed`: on the hand-over day itself (city time), not later.
pub fn handover_day(completed: DateTime<Utc>, issued: DateTime<Utc>) -> bool {
    issued >= completed
        && crate::clock::local(issued).date_naive() == crate::clock::local(completed).date_naive()
}

/// Whether the dossier is late at `now`: completed after its statutory due time, or open past it.
pub fn is_late(d: &dossier::Model, now: DateTime<Utc>) -> bool {
    match d.completed_at {
        Some(c) => c > d.original_due_at,
        None => now > d.original_due_at,
    }
}

/// Open past its statutory due time.
pub fn is_backlog(d: &dossier::Model, now: DateTime<Utc>) -> bool {
    d.completed_at.is_none() && now > d.original_due_at
}

pub fn apology_status(d: &dossier::Model, now: DateTime<Utc>) -> ApologyStatus {
    match (d.apology_issued_at, d.apology_late) {
        (Some(_), _) if d.apology_at_handover => ApologyStatus::AtHandover,
        (Some(_), Some(true)) => ApologyStatus::Late,
        (Some(_), _) => ApologyStatus::Issued,
        (None, _) if is_late(d, now) && d.excuse_accepted => ApologyStatus::Excused,
        (None, _) if is_late(d, now) => ApologyStatus::Missing,
        (None, _) => ApologyStatus::NoneNeeded,
    }
}

fn col(c: dossier::Column) -> Expr {
    Expr::col((dossier::Entity, c))
}

/// SQL twin of [`is_late`].
fn late_sql(now: DateTime<Utc>) -> SimpleExpr {
    col(dossier::Column::CompletedAt)
        .is_not_null()
        .and(col(dossier::Column::CompletedAt).gt(col(dossier::Column::OriginalDueAt)))
        .or(col(dossier::Column::CompletedAt)
            .is_null()
            .and(col(dossier::Column::OriginalDueAt).lt(now)))
}

/// SQL twin of [`is_backlog`].
fn backlog_sql(now: DateTime<Utc>) -> SimpleExpr {
    col(dossier::Column::CompletedAt)
        .is_null()
        .and(col(dossier::Column::OriginalDueAt).lt(now))
}

/// Letters and digits that cannot be misread for one another (no 0/O, 1/I/L).
const RATING_ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";

/// A fresh rating code: 8 random characters (31⁸, about 10¹²), printed on the receipt beside
/// the dossier code. With wrong guesses limited per dossier, it cannot be found by trying.
pub fn new_rating_code() -> String {
    (0..8)
        .map(|_| RATING_ALPHABET[rand::random_range(0..RATING_ALPHABET.len())] as char)
        .collect()
}

/// A rating code given by the one-stop-shop system: 6 to 16 letters and digits (it must be
/// as hard to guess as ours).
pub fn parse_rating_code(s: &str) -> AppResult<String> {
    let c = normalise_rating_code(s);
    if (6..=16).contains(&c.len()) && c.bytes().all(|b| b.is_ascii_alphanumeric()) {
        Ok(c)
    } else {
        Err(AppError::bad_input(
            "ratingCode",
            "Mã đánh giá gồm 6–16 chữ cái và chữ số.",
            "A rating code is 6 to 16 letters and digits.",
        ))
    }
}

/// The stored form of a dossier's rating code: a hash bound to the dossier (the code itself is
/// shown once, on the receipt, and kept nowhere). The migration that hashed the codes kept
/// before uses the same function.
pub fn rating_code_hash(dossier_id: &str, code: &str) -> String {
    migration::m20261207_000001_integrity::rating_code_hash(dossier_id, code)
}

/// A rating code as typed: case, spaces and dashes do not matter.
pub fn normalise_rating_code(s: &str) -> String {
    s.chars()
        .filter(|c| !matches!(c, ' ' | '-' | '.'))
        .flat_map(char::to_uppercase)
        .collect()
}

fn not_found(code: &str) -> AppError {
    AppError::not_found(
        format!("Không tìm thấy hồ sơ mã {code}."),
        format!("No dossier has code {code}."),
    )
}

/// Input of `recordDossier` and of an import row.
#[derive(Debug, Clone)]
pub struct NewDossier {
    pub code: String,
    pub procedure_id: String,
    pub unit_id: String,
    pub filer_kind: FilerKind,
    pub tax_code: Option<String>,
    pub received_at: Option<DateTime<Utc>>,
    pub completed_at: Option<DateTime<Utc>>,
    /// The rating code the one-stop-shop system printed on the receipt, if it prints its own;
    /// otherwise one is drawn here (and shown to staff, to print).
    pub rating_code: Option<String>,
    /// Submitted online (outside office hours it counts from the next working day).
    pub online: bool,
    /// The appointment the one-stop-shop system gave; computed on the calendar when absent.
    pub due_at: Option<DateTime<Utc>>,
    /// An apology the one-stop-shop system recorded (imports).
    pub apology: Option<ApologyRecord>,
    /// The reason a delay was not the agency's fault (imports).
    pub delay_excused: Option<String>,
}

/// An apology as the one-stop-shop system exported it.
#[derive(Debug, Clone)]
pub struct ApologyRecord {
    pub issued_at: DateTime<Utc>,
    pub reason: String,
    /// The new appointment (none when given at hand-over).
    pub new_due_at: Option<DateTime<Utc>>,
}

/// A dossier that passed validation, with its due time computed.
#[derive(Debug, Clone)]
pub struct ValidDossier {
    model: dossier::Model,
    /// The rating code in clear, for the receipt: returned once, never stored.
    pub rating_code: String,
    /// What the evaluator must decide before the PAR index counts the recorder's word (an
    /// appointment beyond the statutory time).
    review: Option<review::Dated>,
}

impl ValidDossier {
    /// The receipt code.
    pub fn code(&self) -> &str {
        &self.model.code
    }
}

/// Who records a dossier: the one-stop-shop system (an import, an integration token) is the
/// record; a unit's own staff record facts about their own figures, which the PAR index counts
/// as the facts say until an evaluator accepts what would move them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorder {
    System,
    UnitStaff,
}

impl Recorder {
    pub fn of(actor: &Actor) -> Recorder {
        if access::records_as_system(actor) {
            Recorder::System
        } else {
            Recorder::UnitStaff
        }
    }
}

/// Checks a new dossier and computes its due time on the calendar.
pub async fn validate(
    db: &DatabaseConnection,
    cal: &Calendar,
    recorded_by: &str,
    recorder: Recorder,
    i: NewDossier,
) -> AppResult<ValidDossier> {
    let now = crate::clock::now();
    let code = text::code("code", &i.code, 64)?;
    let proc = procedure::Entity::find_by_id(i.procedure_id.clone())
        .one(db)
        .await?
        .ok_or_else(|| {
            AppError::bad_input(
                "procedure",
                "Không tìm thấy thủ tục của hồ sơ.",
                "The dossier's procedure does not exist.",
            )
        })?;
    let received_at = i.received_at.unwrap_or(now);
    // The unit must have existed on the day of receipt.
    let unit = units::history::require_on(
        db,
        "unit",
        &i.unit_id,
        received_at
            .with_timezone(&crate::clock::city_offset())
            .date_naive(),
    )
    .await?;
    // The procedure must be performed by the unit, or by the unit it hangs under (a ward
    // performs its district's ward-level procedures).
    let received_day = received_at
        .with_timezone(&crate::clock::city_offset())
        .date_naive();
    let parent_then = entity::unit_version::Entity::find()
        .filter(entity::unit_version::Column::UnitId.eq(unit.id.as_str()))
        .filter(entity::unit_version::Column::ValidFrom.lte(received_day))
        .order_by_desc(entity::unit_version::Column::ValidFrom)
        .one(db)
        .await?
        .map_or(unit.parent_id.clone(), |v| v.parent_id);
    let mut performers = vec![unit.id.clone()];
    performers.extend(parent_then);
    let performed = procedure_unit::Entity::find()
        .filter(procedure_unit::Column::ProcedureId.eq(proc.id.as_str()))
        .filter(procedure_unit::Column::UnitId.is_in(performers))
        .count(db)
        .await?;
    if performed == 0 {
        return Err(AppError::bad_input(
            "procedure",
            format!(
                "Đơn vị {} không thực hiện thủ tục {}.",
                unit.name, proc.code
            ),
            format!("{} does not perform procedure {}.", unit.name, proc.code),
        ));
    }
    let tax_code = match (
        i.filer_kind,
        i.tax_code
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty()),
    ) {
        (FilerKind::Business, None) => {
            return Err(AppError::bad_input(
                "taxCode",
                "Hồ sơ của doanh nghiệp cần mã số thuế.",
                "A business's dossier needs its tax code.",
            ));
        }
        (_, Some(t)) => Some(TaxCode::parse(t)?.as_str().to_string()),
        (FilerKind::Citizen, None) => None,
    };
    if received_at > now + Duration::minutes(5) {
        return Err(AppError::bad_input(
            "receivedAt",
            "Thời điểm tiếp nhận không được ở tương lai.",
            "receivedAt must not be in the future.",
        ));
    }
    if let Some(c) = i.completed_at
        && (c < received_at || c > now + Duration::minutes(5))
    {
        return Err(AppError::bad_input(
            "completedAt",
            "Thời điểm hoàn thành phải sau khi tiếp nhận và không ở tương lai.",
            "completedAt must be after receivedAt and not in the future.",
        ));
    }
    let given_code = i.rating_code.as_deref().filter(|c| !c.trim().is_empty());
    if given_code.is_some() && recorder == Recorder::UnitStaff {
        return Err(AppError::bad_input(
            "ratingCode",
            "Mã đánh giá do hệ thống một cửa in hoặc do cổng rút ngẫu nhiên; cán bộ không tự đặt mã.",
            "A rating code is printed by the one-stop-shop system or drawn by the portal; staff do not choose one.",
        ));
    }
    let plain_rating_code = match given_code {
        None => new_rating_code(),
        Some(c) => parse_rating_code(c)?,
    };
    let receipt = Receipt {
        cutoff: crate::procedures::cutoff_of(&proc),
        online: i.online,
    };
    let counts_from = cal.counts_from(received_at, receipt);
    let statutory = cal.due(
        received_at,
        proc.processing_days.clamp(0, 365) as u32,
        receipt,
    );
    let id = uuid::Uuid::now_v7().to_string();
    let (due, appointment, review) =
        appointment(i.due_at, received_at, statutory, recorder, || {
            review::Request {
                kind: review::Kind::LongAppointment,
                unit_id: i.unit_id.clone(),
                dossier_id: Some(id.clone()),
                complaint_id: None,
                code: code.clone(),
                claimed_at: i.due_at,
                due_at: statutory,
                reason: String::new(),
                requested_by: recorded_by.to_string(),
            }
        })?;
    let excuse = i
        .delay_excused
        .as_deref()
        .map(|r| text::clean("delayExcused", r, 2000))
        .transpose()?
        .filter(|r| !r.is_empty());
    let apology = match i.apology {
        None => None,
        Some(a) => {
            let reason = text::required("apologyReason", &a.reason, 2000)?;
            if a.issued_at < received_at || a.issued_at > now + Duration::minutes(5) {
                return Err(AppError::bad_input(
                    "apologyIssuedAt",
                    "Thời điểm xin lỗi phải sau khi tiếp nhận và không ở tương lai.",
                    "apologyIssuedAt must be after receivedAt and not in the future.",
                ));
            }
            let at_handover = i.completed_at.is_some_and(|c| handover_day(c, a.issued_at));
            if a.new_due_at
                .is_some_and(|n| n <= due || n > due + Duration::days(366))
            {
                return Err(AppError::bad_input(
                    "apologyNewDueAt",
                    "Ngày hẹn mới phải sau ngày hẹn ban đầu và trong vòng một năm.",
                    "apologyNewDueAt must be after the original due time and within a year of it.",
                ));
            }
            if at_handover && i.completed_at.is_some_and(|c| c <= due) {
                return Err(AppError::bad_input(
                    "apologyIssuedAt",
                    "Hồ sơ hoàn thành đúng hạn; không cần xin lỗi.",
                    "The dossier was completed on time; no apology is owed.",
                ));
            }
            if i.delay_excused
                .as_deref()
                .is_some_and(|r| !r.trim().is_empty())
            {
                return Err(AppError::bad_input(
                    "delayExcused",
                    "Hồ sơ có phiếu xin lỗi thì việc trễ hạn là do cơ quan; không thể đồng thời xác nhận không do lỗi.",
                    "A dossier with an apology cannot also have its delay excused.",
                ));
            }
            Some((a, reason, at_handover))
        }
    };
    Ok(ValidDossier {
        review: review.map(|r| r.in_year(crate::par::compute::year_of(due))),
        rating_code: plain_rating_code.clone(),
        model: dossier::Model {
            rating_code_hash: Some(rating_code_hash(&id, &plain_rating_code)),
            id,
            code,
            procedure_id: proc.id,
            unit_id: unit.id,
            filer_kind: i.filer_kind,
            tax_code,
            received_at,
            original_due_at: due,
            due_at: apology
                .as_ref()
                .and_then(|(a, _, _)| a.new_due_at)
                .unwrap_or(appointment),
            completed_at: i.completed_at,
            apology_issued_at: apology.as_ref().map(|(a, _, _)| a.issued_at),
            apology_reason: apology.as_ref().map(|(_, r, _)| r.clone()),
            apology_late: apology
                .as_ref()
                .map(|(a, _, handover)| *handover || a.issued_at > cal.one_working_day_before(due)),
            apology_by: apology.as_ref().map(|_| recorded_by.to_string()),
            recorded_by: recorded_by.to_string(),
            online: i.online,
            due_given: i.due_at.is_some(),
            counts_from: Some(counts_from),
            apology_at_handover: apology.as_ref().is_some_and(|(_, _, h)| *h),
            delay_excused_at: excuse.as_ref().map(|_| now),
            delay_excused_by: excuse.as_ref().map(|_| recorded_by.to_string()),
            excuse_accepted: excuse.is_some(),
            delay_excuse_reason: excuse,
            created_at: now,
            updated_at: now,
        },
    })
}

/// The due time the index measures against and the appointment the filer was told, from the
/// appointment given (if any) and the statutory due time. A unit's own appointment beyond the
/// statutory time is flagged: the index keeps the statutory time unless the evaluator accepts
/// the appointment (`request` makes that request).
fn appointment(
    given: Option<DateTime<Utc>>,
    received_at: DateTime<Utc>,
    statutory: DateTime<Utc>,
    recorder: Recorder,
    request: impl FnOnce() -> review::Request,
) -> AppResult<(DateTime<Utc>, DateTime<Utc>, Option<review::Request>)> {
    match given {
        Some(d) if d <= received_at || d > received_at + Duration::days(366) => {
            Err(AppError::bad_input(
                "dueAt",
                "Ngày hẹn trả kết quả phải sau thời điểm tiếp nhận và trong vòng một năm.",
                "dueAt must be after receivedAt and within a year of it.",
            ))
        }
        Some(d) if d > statutory && recorder == Recorder::UnitStaff => {
            let reason = format!(
                "Ngày hẹn {} sau thời hạn theo quy định {}.",
                crate::clock::local(d).format("%d/%m/%Y %H:%M"),
                crate::clock::local(statutory).format("%d/%m/%Y %H:%M")
            );
            Ok((
                statutory,
                d,
                Some(review::Request {
                    reason,
                    ..request()
                }),
            ))
        }
        Some(d) => Ok((d, d, None)),
        None => Ok((statutory, statutory, None)),
    }
}

/// Records a dossier (officials of its unit, admins). A code already recorded is `CONFLICT`.
/// Returns the dossier and its rating code in clear, to print on the receipt: the only time it
/// is shown.
pub async fn record(
    state: &AppState,
    actor: &Actor,
    i: NewDossier,
) -> AppResult<(dossier::Model, String)> {
    access::require_act(&state.db, actor, &i.unit_id).await?;
    let by = actor.signed_in()?.subject.clone();
    let v = validate(
        &state.db,
        &state.calendar.get(),
        &by,
        Recorder::of(actor),
        i,
    )
    .await?;
    let code = v.model.code.clone();
    let txn = crate::db::begin(&state.db).await?;
    let inserted = dossier::ActiveModel::from(v.model).insert(&txn).await;
    let model = inserted.map_err(|e| {
        on_unique(
            e,
            AppError::conflict(
                format!("Hồ sơ mã {code} đã được ghi nhận."),
                format!("Dossier {code} is already recorded."),
            ),
        )
    })?;
    if let Some(r) = v.review {
        review::insert(&txn, r).await?;
    }
    txn.commit().await?;
    Ok((model, v.rating_code))
}

/// Inserts a validated dossier or, when its code exists, adds what the export adds: its
/// completion, an apology or an excused delay (imports). Times already fixed stay as they are.
pub async fn upsert(db: &DatabaseConnection, cal: &Calendar, v: ValidDossier) -> AppResult<bool> {
    let existing = find_by_code(db, &v.model.code).await?;
    let txn = crate::db::begin(db).await?;
    let created = match existing {
        None => {
            if v.model.completed_at.is_some() {
                enqueue_shares(&txn, &v.model).await?;
            }
            dossier::ActiveModel::from(v.model).insert(&txn).await?;
            true
        }
        Some(e) => {
            let complete = e.completed_at.is_none() && v.model.completed_at.is_some();
            // An apology and an excused delay exclude each other.
            let apology = e.apology_issued_at.is_none()
                && e.delay_excused_at.is_none()
                && v.model.apology_issued_at.is_some();
            let excuse = e.delay_excused_at.is_none()
                && e.apology_issued_at.is_none()
                && v.model.delay_excused_at.is_some();
            if complete {
                enqueue_shares(&txn, &e).await?;
            }
            if complete || apology || excuse {
                let n = v.model;
                let completed_at = e.completed_at.or(n.completed_at);
                let (original_due, due) = (e.original_due_at, e.due_at);
                let mut a: dossier::ActiveModel = e.into();
                if complete {
                    a.completed_at = Set(n.completed_at);
                }
                if apology && let Some(issued) = n.apology_issued_at {
                    let at_handover = completed_at.is_some_and(|c| handover_day(c, issued));
                    // A new appointment only when the export gives one; measured against the
                    // statutory due time already fixed.
                    let new_due = (n.due_at != n.original_due_at).then_some(n.due_at);
                    a.apology_issued_at = Set(Some(issued));
                    a.apology_reason = Set(n.apology_reason);
                    a.apology_late = Set(Some(
                        at_handover || issued > cal.one_working_day_before(original_due),
                    ));
                    a.apology_by = Set(n.apology_by);
                    a.apology_at_handover = Set(at_handover);
                    a.due_at = Set(new_due.filter(|d| *d > due).unwrap_or(due));
                }
                if excuse {
                    a.excuse_accepted = Set(n.excuse_accepted);
                    a.delay_excused_at = Set(n.delay_excused_at);
                    a.delay_excuse_reason = Set(n.delay_excuse_reason);
                    a.delay_excused_by = Set(n.delay_excused_by);
                }
                a.updated_at = Set(crate::clock::now());
                a.update(&txn).await?;
            }
            false
        }
    };
    txn.commit().await?;
    Ok(created)
}

pub async fn find_by_code(
    db: &DatabaseConnection,
    code: &str,
) -> AppResult<Option<dossier::Model>> {
    let code = text::code("code", code, 64)?;
    Ok(dossier::Entity::find()
        .filter(dossier::Column::Code.eq(code))
        .one(db)
        .await?)
}

/// The dossier an input refers to by code; `BAD_USER_INPUT` on `dossierCode` when unknown.
pub async fn from_input(db: &DatabaseConnection, code: &str) -> AppResult<dossier::Model> {
    find_by_code(db, code).await?.ok_or_else(|| {
        AppError::bad_input(
            "dossierCode",
            format!("Không tìm thấy hồ sơ mã {code}."),
            format!("No dossier has code {code}."),
        )
    })
}

async fn require_by_code(db: &DatabaseConnection, code: &str) -> AppResult<dossier::Model> {
    find_by_code(db, code)
        .await?
        .ok_or_else(|| not_found(code.trim()))
}

/// Marks a dossier completed (officials of its unit, admins). A completion time more than a
/// working day before it is recorded counts, for a unit's own staff, as recorded now, with the
/// time given sent to the evaluator's review queue (`reason` says why it comes late).
pub async fn complete(
    state: &AppState,
    actor: &Actor,
    code: &str,
    completed_at: Option<DateTime<Utc>>,
    reason: Option<&str>,
) -> AppResult<dossier::Model> {
    let d = require_by_code(&state.db, code).await?;
    require_action(state, actor, &d, DossierAction::Complete).await?;
    let reason = reason
        .filter(|r| !r.trim().is_empty())
        .map(|r| text::reason("reason", r, 2000))
        .transpose()?
        .unwrap_or_default();
    let now = crate::clock::now();
    let given = completed_at.unwrap_or(now);
    if given < d.received_at || given > now + Duration::minutes(5) {
        return Err(AppError::bad_input(
            "completedAt",
            "Thời điểm hoàn thành phải sau khi tiếp nhận và không ở tương lai.",
            "completedAt must be after the receipt and not in the future.",
        ));
    }
    let backdated = Recorder::of(actor) == Recorder::UnitStaff
        && given < state.calendar.get().one_working_day_before(now);
    let at = if backdated { now } else { given };
    let txn = crate::db::begin(&state.db).await?;
    let res = dossier::Entity::update_many()
        .col_expr(dossier::Column::CompletedAt, Expr::value(at))
        .col_expr(dossier::Column::UpdatedAt, Expr::value(now))
        .filter(dossier::Column::Id.eq(d.id.as_str()))
        .filter(dossier::Column::CompletedAt.is_null())
        .exec(&txn)
        .await?;
    if res.rows_affected > 0 {
        // The on-time shares of the procedure and the unit changed.
        enqueue_shares(&txn, &d).await?;
        if backdated {
            review::insert(
                &txn,
                review::Request {
                    kind: review::Kind::EarlyCompletion,
                    unit_id: d.unit_id.clone(),
                    dossier_id: Some(d.id.clone()),
                    complaint_id: None,
                    code: d.code.clone(),
                    claimed_at: Some(given),
                    due_at: d.original_due_at,
                    reason,
                    requested_by: actor.signed_in()?.subject.clone(),
                }
                .in_year(crate::par::compute::year_of(given)),
            )
            .await?;
        }
    }
    txn.commit().await?;
    state.indexer_wake.wake();
    if res.rows_affected == 0 {
        // Completed by a concurrent request meanwhile.
        let now_d = reload(&state.db, &d.id).await?;
        return Err(
            access::actions::dossier_state(&now_d, DossierAction::Complete, now)
                .err()
                .unwrap_or_else(changed_meanwhile),
        );
    }
    reload(&state.db, &d.id).await
}

/// Queues the search documents whose on-time shares a dossier (by id) feeds: its procedure's
/// and its unit's.
pub async fn enqueue_shares_of(db: &impl sea_orm::ConnectionTrait, id: &str) -> AppResult<()> {
    if let Some(d) = dossier::Entity::find_by_id(id.to_string()).one(db).await? {
        enqueue_shares(db, &d).await?;
    }
    Ok(())
}

async fn enqueue_shares(db: &impl sea_orm::ConnectionTrait, d: &dossier::Model) -> AppResult<()> {
    use crate::search::{IndexKind, outbox};
    outbox::enqueue(
        db,
        IndexKind::Procedures,
        std::slice::from_ref(&d.procedure_id),
    )
    .await?;
    outbox::enqueue(db, IndexKind::Units, std::slice::from_ref(&d.unit_id)).await
}

async fn reload(db: &DatabaseConnection, id: &str) -> AppResult<dossier::Model> {
    dossier::Entity::find_by_id(id.to_string())
        .one(db)
        .await?
        .ok_or_else(|| AppError::internal("dossier vanished"))
}

/// Issues the apology of a dossier (officials of its unit, admins). For an open dossier it
/// comes with a new appointment, reset once only; an apology later than one working day before
/// the due time is recorded as late. For a completed, late dossier it is the apology given at
/// hand-over, with no new appointment.
pub async fn issue_apology(
    state: &AppState,
    actor: &Actor,
    code: &str,
    reason: &str,
    new_due_at: Option<DateTime<Utc>>,
) -> AppResult<dossier::Model> {
    let d = require_by_code(&state.db, code).await?;
    // Once only, never after an excuse, and for a completed dossier only when it was late.
    require_action(state, actor, &d, DossierAction::IssueApology).await?;
    let reason = text::reason("reason", reason, 2000)?;
    let now = crate::clock::now();
    let after_completion = d.completed_at.is_some();
    // An apology recorded after completion is the unit's word that it was given at hand-over:
    // it counts as a late apology until an evaluator accepts it, whatever the day (on the
    // completion day itself it would otherwise turn any late dossier into one apologised for,
    // and a backdated completion made that day moves with it).
    let at_handover = false;
    if after_completion {
        if new_due_at.is_some() {
            return Err(AppError::bad_input(
                "newDueAt",
                format!(
                    "Hồ sơ {} đã hoàn thành: xin lỗi khi trả kết quả không hẹn lại ngày.",
                    d.code
                ),
                format!(
                    "Dossier {} is completed: an apology at hand-over sets no new appointment.",
                    d.code
                ),
            ));
        }
    } else {
        match new_due_at {
            None => {
                return Err(AppError::bad_input(
                    "newDueAt",
                    "Phiếu xin lỗi của hồ sơ đang giải quyết cần ngày hẹn mới.",
                    "An apology for an open dossier needs the new appointment (newDueAt).",
                ));
            }
            Some(n) if n <= d.due_at || n <= now || n > d.due_at + Duration::days(366) => {
                return Err(AppError::bad_input(
                    "newDueAt",
                    "Ngày hẹn mới phải sau ngày hẹn hiện tại, sau thời điểm này và trong vòng một năm.",
                    "newDueAt must be after the current due time, after now, and within a year.",
                ));
            }
            Some(_) => {}
        }
    }
    let deadline = state
        .calendar
        .get()
        .one_working_day_before(d.original_due_at);
    let late = after_completion || now > deadline;
    let by = actor.signed_in()?.subject.clone();
    let (reason_text, by_subject) = (reason.clone(), by.clone());
    let mut upd = dossier::Entity::update_many()
        .col_expr(dossier::Column::ApologyIssuedAt, Expr::value(now))
        .col_expr(dossier::Column::ApologyReason, Expr::value(reason))
        .col_expr(dossier::Column::ApologyLate, Expr::value(late))
        .col_expr(dossier::Column::ApologyBy, Expr::value(by))
        .col_expr(dossier::Column::ApologyAtHandover, Expr::value(at_handover))
        .col_expr(dossier::Column::UpdatedAt, Expr::value(now))
        .filter(dossier::Column::Id.eq(d.id.as_str()))
        .filter(dossier::Column::ApologyIssuedAt.is_null())
        .filter(dossier::Column::DelayExcusedAt.is_null());
    upd = match new_due_at {
        Some(n) => upd
            .col_expr(dossier::Column::DueAt, Expr::value(n))
            .filter(dossier::Column::CompletedAt.is_null()),
        None => upd.filter(dossier::Column::CompletedAt.is_not_null()),
    };
    let txn = crate::db::begin(&state.db).await?;
    let res = upd.exec(&txn).await?;
    if res.rows_affected == 0 {
        return Err(changed_meanwhile());
    }
    if let Some(completed) = d.completed_at.filter(|_| !at_handover) {
        review::insert(
            &txn,
            review::Request {
                kind: review::Kind::HandoverApology,
                unit_id: d.unit_id.clone(),
                dossier_id: Some(d.id.clone()),
                complaint_id: None,
                code: d.code.clone(),
                claimed_at: Some(completed),
                due_at: d.original_due_at,
                reason: reason_text,
                requested_by: by_subject,
            }
            .in_year(crate::par::compute::year_of(completed)),
        )
        .await?;
    }
    txn.commit().await?;
    reload(&state.db, &d.id).await
}

/// `UNAUTHENTICATED`, `FORBIDDEN`, `CONFLICT` or `BAD_USER_INPUT` unless the caller may take
/// `action` on `d` now (`crate::access::require_dossier_action`: the staff of its unit and
/// admins, and where it stands).
async fn require_action(
    state: &AppState,
    actor: &Actor,
    d: &dossier::Model,
    action: DossierAction,
) -> AppResult<()> {
    actor.signed_in()?;
    let read = access::read_scope(&state.db, actor).await?;
    access::actions::require_dossier_action(actor, &read, d, action, crate::clock::now())
}

fn changed_meanwhile() -> AppError {
    AppError::conflict(
        "Hồ sơ vừa được cập nhật bởi một thao tác khác.",
        "The dossier was just changed by another request.",
    )
}

/// Marks a dossier's delay as not the agency's fault, with the reason (officials of its unit,
/// admins): no apology is owed. Once per dossier.
pub async fn excuse_delay(
    state: &AppState,
    actor: &Actor,
    code: &str,
    reason: &str,
) -> AppResult<dossier::Model> {
    let d = require_by_code(&state.db, code).await?;
    // Late, with no apology given and not excused already.
    require_action(state, actor, &d, DossierAction::ExcuseDelay).await?;
    let reason = text::reason("reason", reason, 2000)?;
    let now = crate::clock::now();
    let by = actor.signed_in()?.subject.clone();
    // The one-stop-shop system's word is the record; a unit's own excuse counts once an
    // evaluator accepts it.
    let system = Recorder::of(actor) == Recorder::System;
    let txn = crate::db::begin(&state.db).await?;
    let res = dossier::Entity::update_many()
        .col_expr(dossier::Column::DelayExcusedAt, Expr::value(now))
        .col_expr(
            dossier::Column::DelayExcuseReason,
            Expr::value(reason.clone()),
        )
        .col_expr(dossier::Column::DelayExcusedBy, Expr::value(by.clone()))
        .col_expr(dossier::Column::ExcuseAccepted, Expr::value(system))
        .col_expr(dossier::Column::UpdatedAt, Expr::value(now))
        .filter(dossier::Column::Id.eq(d.id.as_str()))
        .filter(dossier::Column::DelayExcusedAt.is_null())
        .filter(dossier::Column::ApologyIssuedAt.is_null())
        .exec(&txn)
        .await?;
    if res.rows_affected == 0 {
        return Err(changed_meanwhile());
    }
    if !system {
        review::insert(
            &txn,
            review::Request {
                kind: review::Kind::ExcusedDelay,
                unit_id: d.unit_id.clone(),
                dossier_id: Some(d.id.clone()),
                complaint_id: None,
                code: d.code.clone(),
                claimed_at: None,
                due_at: d.original_due_at,
                reason,
                requested_by: by,
            }
            .in_year(crate::par::compute::year_of(
                d.completed_at.unwrap_or(d.original_due_at),
            )),
        )
        .await?;
    }
    txn.commit().await?;
    reload(&state.db, &d.id).await
}

/// Filters of `dossiers(filter: …)`.
#[derive(Debug, Clone, Default)]
pub struct DossierFilter {
    pub unit: Option<String>,
    /// Units rolled up into `unit` (its predecessors).
    pub also_units: Vec<String>,
    /// Units of this block.
    pub block: Option<entity::unit::Block>,
    /// `Some(true)`: not yet completed; `Some(false)`: completed.
    pub open: Option<bool>,
    /// Due before this instant.
    pub due_before: Option<DateTime<Utc>>,
    /// `Some(true)`: rated by the filer (a verified rating); `Some(false)`: not rated.
    pub rated: Option<bool>,
    /// `Some((true, close))`: open, without an apology or an excuse, and due before `close`
    /// (the close of the next working day), or already late: the apology is owed now.
    pub apology_due: Option<(bool, DateTime<Utc>)>,
    pub procedure: Option<String>,
    pub late: Option<bool>,
    pub backlog: Option<bool>,
    pub apology: Option<ApologyStatus>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

/// Counts over every dossier matching a filter: what the PAR index needs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DossierStats {
    pub total: u64,
    pub completed: u64,
    pub completed_on_time: u64,
    pub late: u64,
    pub backlog: u64,
    pub apologies_issued: u64,
    pub apologies_late: u64,
    /// Given at hand-over, after completion.
    pub apologies_at_handover: u64,
    pub apologies_missing: u64,
    /// Late through no fault of the agency: no apology owed.
    pub delays_excused: u64,
}

impl DossierStats {
    /// Share of completed dossiers completed on time, in percent (none when nothing completed).
    pub fn on_time_share(&self) -> Option<f64> {
        (self.completed > 0).then(|| 100.0 * self.completed_on_time as f64 / self.completed as f64)
    }
}

fn filter_condition(f: &DossierFilter, scope: &Scope, now: DateTime<Utc>) -> AppResult<Condition> {
    let mut c = Condition::all();
    match scope {
        Scope::All => {}
        Scope::Units(u) => c = c.add(dossier::Column::UnitId.is_in(u.iter().cloned())),
        Scope::None => return Err(AppError::not_allowed()),
    }
    if let Some(u) = &f.unit {
        c = c.add(
            dossier::Column::UnitId.is_in(std::iter::once(u.clone()).chain(f.also_units.clone())),
        );
    }
    if let Some(p) = &f.procedure {
        c = c.add(dossier::Column::ProcedureId.eq(p.as_str()));
    }
    if let Some(b) = f.block {
        c = c.add(
            dossier::Column::UnitId.in_subquery(
                sea_orm::sea_query::Query::select()
                    .column(entity::unit::Column::Id)
                    .from(entity::unit::Entity)
                    .and_where(Expr::col(entity::unit::Column::Block).eq(b))
                    .to_owned(),
            ),
        );
    }
    if let Some(o) = f.open {
        c = c.add(if o {
            dossier::Column::CompletedAt.is_null()
        } else {
            dossier::Column::CompletedAt.is_not_null()
        });
    }
    if let Some(t) = f.due_before {
        c = c.add(dossier::Column::DueAt.lt(t));
    }
    if let Some(r) = f.rated {
        let rated = dossier::Column::Id.in_subquery(
            sea_orm::sea_query::Query::select()
                .column(entity::rating::Column::DossierId)
                .from(entity::rating::Entity)
                .and_where(Expr::col(entity::rating::Column::DossierId).is_not_null())
                .and_where(Expr::col(entity::rating::Column::Verified).eq(true))
                .to_owned(),
        );
        c = c.add(if r { rated } else { rated.not() });
    }
    if let Some((a, next_close)) = f.apology_due {
        let due = Condition::all()
            .add(dossier::Column::CompletedAt.is_null())
            .add(dossier::Column::ApologyIssuedAt.is_null())
            .add(dossier::Column::DelayExcusedAt.is_null())
            .add(dossier::Column::DueAt.lt(next_close));
        c = c.add(if a { due } else { due.not() });
    }
    if let Some(l) = f.late {
        c = c.add(if l {
            late_sql(now)
        } else {
            late_sql(now).not()
        });
    }
    if let Some(b) = f.backlog {
        c = c.add(if b {
            backlog_sql(now)
        } else {
            backlog_sql(now).not()
        });
    }
    if let Some(a) = f.apology {
        let issued = dossier::Column::ApologyIssuedAt;
        let handover = dossier::Column::ApologyAtHandover;
        let excused = dossier::Column::ExcuseAccepted;
        c = c.add(match a {
            ApologyStatus::Issued => Condition::all()
                .add(issued.is_not_null())
                .add(handover.eq(false))
                .add(dossier::Column::ApologyLate.eq(false)),
            ApologyStatus::Late => Condition::all()
                .add(issued.is_not_null())
                .add(handover.eq(false))
                .add(dossier::Column::ApologyLate.eq(true)),
            ApologyStatus::AtHandover => Condition::all()
                .add(issued.is_not_null())
                .add(handover.eq(true)),
            ApologyStatus::Missing => Condition::all()
                .add(issued.is_null())
                .add(excused.eq(false))
                .add(late_sql(now)),
            ApologyStatus::Excused => Condition::all()
                .add(issued.is_null())
                .add(excused.eq(true))
                .add(late_sql(now)),
            ApologyStatus::NoneNeeded => Condition::all()
                .add(issued.is_null())
                .add(late_sql(now).not()),
        });
    }
    if let Some(from) = f.from {
        c = c.add(dossier::Column::ReceivedAt.gte(from));
    }
    if let Some(to) = f.to {
        c = c.add(dossier::Column::ReceivedAt.lt(to));
    }
    Ok(c)
}

#[derive(Debug, FromQueryResult)]
struct StatsRow {
    total: Option<i64>,
    completed: Option<i64>,
    completed_on_time: Option<i64>,
    late: Option<i64>,
    backlog: Option<i64>,
    apologies_issued: Option<i64>,
    apologies_late: Option<i64>,
    apologies_at_handover: Option<i64>,
    apologies_missing: Option<i64>,
    delays_excused: Option<i64>,
}

impl StatsRow {
    fn stats(self) -> DossierStats {
        let n = |v: Option<i64>| v.unwrap_or(0).clamp(0, i64::MAX) as u64;
        DossierStats {
            total: n(self.total),
            completed: n(self.completed),
            completed_on_time: n(self.completed_on_time),
            late: n(self.late),
            backlog: n(self.backlog),
            apologies_issued: n(self.apologies_issued),
            apologies_late: n(self.apologies_late),
            apologies_at_handover: n(self.apologies_at_handover),
            apologies_missing: n(self.apologies_missing),
            delays_excused: n(self.delays_excused),
        }
    }
}

fn count_if(e: SimpleExpr) -> SimpleExpr {
    Func::sum(Expr::case(e, 1).finally(0)).into()
}

/// The counts of [`DossierStats`] over the dossiers matching `cond`, as one aggregate select.
fn stats_select(cond: Condition, now: DateTime<Utc>) -> sea_orm::Select<dossier::Entity> {
    let completed = col(dossier::Column::CompletedAt).is_not_null();
    dossier::Entity::find()
        .select_only()
        .filter(cond)
        .column_as(Expr::cust("COUNT(*)"), "total")
        .column_as(count_if(completed.clone()), "completed")
        .column_as(
            count_if(
                completed.and(
                    col(dossier::Column::CompletedAt).lte(col(dossier::Column::OriginalDueAt)),
                ),
            ),
            "completed_on_time",
        )
        .column_as(count_if(late_sql(now)), "late")
        .column_as(count_if(backlog_sql(now)), "backlog")
        .column_as(
            count_if(
                col(dossier::Column::ApologyIssuedAt)
                    .is_not_null()
                    .and(col(dossier::Column::ApologyAtHandover).eq(false))
                    .and(col(dossier::Column::ApologyLate).eq(false)),
            ),
            "apologies_issued",
        )
        .column_as(
            count_if(
                col(dossier::Column::ApologyIssuedAt)
                    .is_not_null()
                    .and(col(dossier::Column::ApologyAtHandover).eq(false))
                    .and(col(dossier::Column::ApologyLate).eq(true)),
            ),
            "apologies_late",
        )
        .column_as(
            count_if(
                col(dossier::Column::ApologyIssuedAt)
                    .is_not_null()
                    .and(col(dossier::Column::ApologyAtHandover).eq(true)),
            ),
            "apologies_at_handover",
        )
        .column_as(
            count_if(
                col(dossier::Column::ApologyIssuedAt)
                    .is_null()
                    .and(col(dossier::Column::ExcuseAccepted).eq(false))
                    .and(late_sql(now)),
            ),
            "apologies_missing",
        )
        .column_as(
            count_if(
                col(dossier::Column::ApologyIssuedAt)
                    .is_null()
                    .and(col(dossier::Column::ExcuseAccepted).eq(true))
                    .and(late_sql(now)),
            ),
            "delays_excused",
        )
}

#[derive(Debug, FromQueryResult)]
struct UnitStatsRow {
    unit_id: String,
    #[sea_orm(nested)]
    stats: StatsRow,
}

/// The same counts per unit, in one grouped query (an evaluator's dashboard): the caller's
/// units for officials, every unit for evaluators and admins.
pub async fn stats_by_unit(
    state: &AppState,
    actor: &Actor,
    f: &DossierFilter,
) -> AppResult<Vec<(String, DossierStats)>> {
    actor.signed_in()?;
    let scope = access::read_scope(&state.db, actor).await?;
    let now = crate::clock::now();
    let cond = filter_condition(f, &scope, now)?;
    let rows = stats_select(cond, now)
        .column_as(col(dossier::Column::UnitId), "unit_id")
        .group_by(col(dossier::Column::UnitId))
        .into_model::<UnitStatsRow>()
        .all(&state.db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.unit_id, r.stats.stats()))
        .collect())
}

/// A page of dossiers (newest receipt first) with the counts over the whole filter. Officials
/// see their units; admins and evaluators all.
pub async fn list(
    state: &AppState,
    actor: &Actor,
    f: &DossierFilter,
    page: Page,
) -> AppResult<(Slice<dossier::Model>, DossierStats)> {
    actor.signed_in()?;
    let scope = access::read_scope(&state.db, actor).await?;
    let now = crate::clock::now();
    let cond = filter_condition(f, &scope, now)?;
    let stats = if page.count {
        stats_select(cond.clone(), now)
            .into_model::<StatsRow>()
            .one(&state.db)
            .await?
            .map(StatsRow::stats)
            .unwrap_or_default()
    } else {
        DossierStats::default()
    };
    let items = if page.limit == 0 {
        vec![]
    } else {
        page.seek(
            dossier::Entity::find().filter(cond),
            dossier::Column::ReceivedAt,
            true,
            dossier::Column::Id,
        )
        .all(&state.db)
        .await?
    };
    let total = page.count.then_some(stats.total);
    let found = page.slice(total, items, |d| (d.received_at, d.id.as_str()));
    Ok((found, stats))
}

/// The sort of dossier lists' cursors: latest receipt first.
pub const SORT: &str = "d.rd";

/// Whether each dossier has a rating, in one query per batch.
pub struct RatedLoader(pub DatabaseConnection);

impl async_graphql::dataloader::Loader<String> for RatedLoader {
    type Value = bool;
    type Error = AppError;

    async fn load(&self, keys: &[String]) -> Result<HashMap<String, bool>, AppError> {
        let rated: Vec<Option<String>> = rating::Entity::find()
            .select_only()
            .column(rating::Column::DossierId)
            .filter(rating::Column::DossierId.is_in(keys.iter().cloned()))
            .into_tuple()
            .all(&self.0)
            .await?;
        let mut out: HashMap<String, bool> = keys.iter().map(|k| (k.clone(), false)).collect();
        for id in rated.into_iter().flatten() {
            out.insert(id, true);
        }
        Ok(out)
    }
}
