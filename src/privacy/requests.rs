//! The data subject's requests (Law 91/2025/QH15; Decree 356/2025/NĐ-CP Art. 5): access,
//! correction, a copy, deletion, restriction, objection and withdrawal of consent, made from a
//! signed-in account (about the account and everything it filed) or anonymously with a
//! tracking code and the contact given when filing (about that item).
//!
//! Deadlines (Decree 356/2025/NĐ-CP Art. 5):
//! - acknowledged within 2 working days, on the portal's calendar;
//! - withdrawal, restriction and objection carried out within 15 days; access, correction and a
//!   copy within 10; deletion within 20. These are calendar days: a time limit whose last day
//!   is a day off ends with the next working day (Civil Code 2015 Art. 148(5)), at the close
//!   of office hours;
//! - one extension, of at most as many days again, with a reason the person is told.
//!
//! Access, a copy and withdrawal are carried out the moment they are made (the copy is built
//! when the person reads it, so it is always whole). The others wait for data-protection staff,
//! who carry them out or refuse them with a reason.

use chrono::{DateTime, Duration, Utc};
use entity::{complaint, privacy_request};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};

use super::{Purpose, Step, Subject};
use crate::auth::Actor;
use crate::calendar::Calendar;
use crate::contact::{Email, Phone};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, async_graphql::Enum)]
#[graphql(name = "PrivacyRequestKind")]
pub enum Kind {
    /// See what is kept (the copy, read on screen).
    Access,
    /// Correct the contact or name.
    Correction,
    /// A copy of everything kept, as JSON.
    Copy,
    /// Deletion: anonymised in place where a legal duty keeps the record.
    Deletion,
    /// Restriction of processing: kept, but no longer read by the unit's officials.
    Restriction,
    /// Objection to processing beyond the legal duty: consents withdrawn and restricted.
    Objection,
    /// Withdrawal of consent (to one purpose, or all).
    Withdrawal,
}

pub const KINDS: [Kind; 7] = [
    Kind::Access,
    Kind::Correction,
    Kind::Copy,
    Kind::Deletion,
    Kind::Restriction,
    Kind::Objection,
    Kind::Withdrawal,
];

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Access => "ACCESS",
            Kind::Correction => "CORRECTION",
            Kind::Copy => "COPY",
            Kind::Deletion => "DELETION",
            Kind::Restriction => "RESTRICTION",
            Kind::Objection => "OBJECTION",
            Kind::Withdrawal => "WITHDRAWAL",
        }
    }
    pub fn parse(s: &str) -> Option<Kind> {
        KINDS.into_iter().find(|k| k.as_str() == s)
    }
    /// Days to carry it out (Decree 356/2025/NĐ-CP Art. 5), and as many again at most for the
    /// one extension.
    pub fn days(self) -> i64 {
        match self {
            Kind::Access | Kind::Correction | Kind::Copy => 10,
            Kind::Deletion => 20,
            Kind::Restriction | Kind::Objection | Kind::Withdrawal => 15,
        }
    }
    /// Carried out the moment it is made.
    pub fn immediate(self) -> bool {
        matches!(self, Kind::Access | Kind::Copy | Kind::Withdrawal)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, async_graphql::Enum)]
#[graphql(name = "PrivacyRequestStatus")]
pub enum Status {
    Received,
    Acknowledged,
    Done,
    Refused,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Received => "RECEIVED",
            Status::Acknowledged => "ACKNOWLEDGED",
            Status::Done => "DONE",
            Status::Refused => "REFUSED",
        }
    }
    pub fn parse(s: &str) -> Status {
        match s {
            "ACKNOWLEDGED" => Status::Acknowledged,
            "DONE" => Status::Done,
            "REFUSED" => Status::Refused,
            _ => Status::Received,
        }
    }
    pub fn open(self) -> bool {
        matches!(self, Status::Received | Status::Acknowledged)
    }
}

/// When the acknowledgement is due: 2 working days after receipt.
pub fn acknowledge_due(cal: &Calendar, received: DateTime<Utc>) -> DateTime<Utc> {
    cal.deadline(received, 2)
}

/// `days` calendar days after `from`, ending with the next working day when that day is off,
/// at the close of office hours.
pub fn calendar_days_after(cal: &Calendar, from: DateTime<Utc>, days: i64) -> DateTime<Utc> {
    let local = from
        .with_timezone(&crate::clock::city_offset())
        .date_naive()
        + Duration::days(days);
    crate::calendar::at_close(cal.add_days(local, 0))
}

/// A request's tracking code: `DL-` and eight Crockford base-32 characters.
pub fn new_code() -> String {
    format!("DL-{}", &crate::complaints::code::generate()[3..])
}

/// A request's code as typed: case and spaces do not matter.
pub fn parse_code(s: &str) -> AppResult<String> {
    let t: String = s
        .trim()
        .to_uppercase()
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let ok = t.len() == 12
        && t.starts_with("DL-")
        && t.as_bytes()[7] == b'-'
        && t[3..]
            .chars()
            .filter(|c| *c != '-')
            .all(|c| c.is_ascii_alphanumeric());
    if !ok {
        return Err(AppError::bad_input(
            "code",
            format!("Mã yêu cầu {s:?} không đúng dạng DL-XXXX-XXXX."),
            format!("Request code {s:?} is not of the form DL-XXXX-XXXX."),
        ));
    }
    Ok(t)
}

/// What a person asks for.
#[derive(Debug, Clone, Default)]
pub struct SubmitInput {
    pub kind: Option<Kind>,
    /// Anonymous requests: the item's tracking code and the phone or e-mail given with it.
    pub complaint_code: Option<String>,
    pub contact: Option<String>,
    pub details: Option<String>,
    /// Withdrawal: the purpose (all when none).
    pub purpose: Option<Purpose>,
    pub correct_name: Option<String>,
    pub correct_phone: Option<String>,
    pub correct_email: Option<String>,
    pub idempotency_key: Option<String>,
}

/// Who a request is about, found from the caller: with a tracking code and its contact, that
/// item's filer; signed in, the account (or, with a tracking code of an item the account filed,
/// that item).
async fn subject_of(
    state: &AppState,
    actor: &Actor,
    client: std::net::IpAddr,
    code: Option<&str>,
    contact: Option<&str>,
) -> AppResult<Subject> {
    match code.map(str::trim).filter(|c| !c.is_empty()) {
        Some(code) => {
            let c = crate::complaints::filer_by_code(state, actor, client, code, contact).await?;
            Ok(Subject::Complaint(c.id))
        }
        None => match actor.principal().and_then(|p| p.account_id.clone()) {
            Some(a) => Ok(Subject::Account(a)),
            None => Err(AppError::bad_input(
                "complaintCode",
                "Hãy đăng nhập, hoặc nhập mã theo dõi và số điện thoại hoặc thư điện tử đã khai khi gửi.",
                "Sign in, or give the tracking code and the phone or e-mail given when filing.",
            )),
        },
    }
}

/// A request's input, checked.
struct Valid {
    kind: Kind,
    details: Option<String>,
    purpose: Option<Purpose>,
    name: Option<String>,
    phone: Option<String>,
    email: Option<String>,
}

impl Valid {
    /// The idempotency fingerprint's parts.
    fn parts(&self) -> [&str; 6] {
        [
            self.kind.as_str(),
            self.details.as_deref().unwrap_or(""),
            self.purpose.map(|p| p.as_str()).unwrap_or(""),
            self.name.as_deref().unwrap_or(""),
            self.phone.as_deref().unwrap_or(""),
            self.email.as_deref().unwrap_or(""),
        ]
    }
}

fn validate(i: &SubmitInput) -> AppResult<Valid> {
    let kind = i.kind.ok_or_else(|| {
        AppError::bad_input(
            "kind",
            "Hãy chọn loại yêu cầu.",
            "Choose the kind of request.",
        )
    })?;
    let given = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let details = i
        .details
        .as_deref()
        .map(|d| crate::text::clean("details", d, 4000))
        .transpose()?
        .filter(|d| !d.is_empty());
    let name = given(&i.correct_name)
        .map(|n| crate::text::one_line("correction.name", &n, 200))
        .transpose()?;
    let phone = given(&i.correct_phone)
        .map(|p| {
            Phone::parse(&p)
                .map(Phone::into_string)
                .map_err(|e| e.with_field("correction.phone"))
        })
        .transpose()?;
    let email = given(&i.correct_email)
        .map(|e| {
            Email::parse(&e)
                .map(Email::into_string)
                .map_err(|e| e.with_field("correction.email"))
        })
        .transpose()?;
    let corrects = name.is_some() || phone.is_some() || email.is_some();
    if kind == Kind::Correction && !corrects && details.is_none() {
        return Err(AppError::bad_input(
            "correction",
            "Hãy cho biết thông tin cần sửa (họ tên, số điện thoại, thư điện tử, hoặc mô tả).",
            "Say what to correct (name, phone, e-mail, or a description).",
        ));
    }
    if kind != Kind::Correction && corrects {
        return Err(AppError::bad_input(
            "correction",
            "Thông tin sửa chỉ dùng cho yêu cầu CORRECTION.",
            "A correction goes with a CORRECTION request only.",
        ));
    }
    if kind != Kind::Withdrawal && i.purpose.is_some() {
        return Err(AppError::bad_input(
            "purpose",
            "Mục đích chỉ dùng cho yêu cầu rút lại sự đồng ý (WITHDRAWAL).",
            "A purpose goes with a WITHDRAWAL request only.",
        ));
    }
    Ok(Valid {
        kind,
        details,
        purpose: i.purpose,
        name,
        phone,
        email,
    })
}

/// Records a request; access, a copy and withdrawal are carried out at once.
pub async fn submit(
    state: &AppState,
    actor: &Actor,
    client: std::net::IpAddr,
    i: SubmitInput,
) -> AppResult<privacy_request::Model> {
    let v = validate(&i)?;
    let kind = v.kind;
    let key = crate::idempotency::IdempotencyKey::parse_opt(i.idempotency_key.as_deref())?;
    let subject = subject_of(
        state,
        actor,
        client,
        i.complaint_code.as_deref(),
        i.contact.as_deref(),
    )
    .await?;
    let (account_id, complaint_id) = match &subject {
        Subject::Account(a) => (Some(a.clone()), None),
        Subject::Complaint(c) => (None, Some(c.clone())),
        Subject::DialogueContact { .. } => (None, None),
    };
    let owner = account_id
        .clone()
        .or_else(|| complaint_id.as_ref().map(|c| format!("complaint:{c}")))
        .unwrap_or_default();
    let claim =
        key.map(|k| crate::idempotency::Claim::new(owner, "submitPrivacyRequest", k, &v.parts()));
    if let Some(c) = &claim
        && let Some(id) = c.prior(&state.db).await?
    {
        return require(&state.db, &id).await;
    }
    crate::auth::limits::submission(&state.limits, &state.config, actor, client).await?;
    let now = crate::clock::now();
    let cal = state.calendar.get();
    let id = uuid::Uuid::now_v7().to_string();
    let immediate = kind.immediate();
    let m = privacy_request::Model {
        id: id.clone(),
        code: new_code(),
        kind: kind.as_str().to_string(),
        status: if immediate {
            Status::Done
        } else {
            Status::Received
        }
        .as_str()
        .to_string(),
        account_id: account_id.clone(),
        complaint_id: complaint_id.clone(),
        details: v.details,
        purpose: v.purpose.map(|p| p.as_str().to_string()),
        correct_name: v.name,
        correct_phone: v.phone,
        correct_email: v.email,
        received_at: now,
        acknowledge_due_at: acknowledge_due(&cal, now),
        acknowledged_at: immediate.then_some(now),
        due_at: calendar_days_after(&cal, now, kind.days()),
        extended_at: None,
        extension_reason: None,
        completed_at: immediate.then_some(now),
        outcome: immediate.then(|| "CARRIED_OUT".to_string()),
        outcome_note: None,
        idempotency_key: None,
    };
    let txn = crate::db::begin(&state.db).await?;
    if let Some(c) = &claim
        && let Err(e) = c.record(&*txn, &id).await
    {
        drop(txn);
        if matches!(
            e.sql_err(),
            Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
        ) && let Some(first) = c.prior(&state.db).await?
        {
            return require(&state.db, &first).await;
        }
        return Err(AppError::internal(e));
    }
    privacy_request::ActiveModel::from(m.clone())
        .insert(&*txn)
        .await?;
    let step = |action: &'static str, note: Option<String>| Step {
        request_id: Some(id.clone()),
        complaint_id: complaint_id.clone(),
        account_id: account_id.clone(),
        action,
        note,
        ..Step::new(actor, now)
    };
    super::log(
        &*txn,
        step("REQUEST_RECEIVED", Some(kind.as_str().to_string())),
    )
    .await?;
    if immediate {
        let done = carry_out(state, &txn, actor, &m, kind, &subject, now).await?;
        super::log(&*txn, step("REQUEST_CARRIED_OUT", Some(done))).await?;
    }
    txn.commit().await?;
    Ok(m)
}

pub async fn require(
    db: &sea_orm::DatabaseConnection,
    id: &str,
) -> AppResult<privacy_request::Model> {
    privacy_request::Entity::find_by_id(id.to_string())
        .one(db)
        .await?
        .ok_or_else(not_found)
}

fn not_found() -> AppError {
    AppError::not_found("Không tìm thấy yêu cầu.", "No such request.")
}

/// The subject of a stored request.
pub fn subject(r: &privacy_request::Model) -> Option<Subject> {
    match (&r.account_id, &r.complaint_id) {
        (Some(a), _) => Some(Subject::Account(a.clone())),
        (None, Some(c)) => Some(Subject::Complaint(c.clone())),
        _ => None,
    }
}

/// Whether the caller made the request: the account it is about, or (anonymous) the filer of
/// its item proved by `proved_complaint`.
pub fn is_requester(
    actor: &Actor,
    r: &privacy_request::Model,
    proved_complaint: Option<&str>,
) -> bool {
    let own_account = r.account_id.is_some()
        && actor.principal().and_then(|p| p.account_id.as_deref()) == r.account_id.as_deref();
    own_account || (r.complaint_id.is_some() && proved_complaint == r.complaint_id.as_deref())
}

/// A request by code, with whether the caller made it: the person who made it (signed in as
/// its account, or with the contact given with its item, counted against guesses like the
/// item's own lookup), or data-protection staff; `None` for anyone else.
pub async fn by_code(
    state: &AppState,
    actor: &Actor,
    client: std::net::IpAddr,
    code: &str,
    contact: Option<&str>,
) -> AppResult<Option<(privacy_request::Model, bool)>> {
    let code = parse_code(code)?;
    let Some(r) = privacy_request::Entity::find()
        .filter(privacy_request::Column::Code.eq(code.clone()))
        .one(&state.db)
        .await?
    else {
        // A guess at an unknown code counts like one at a known code: being refused as too
        // many says nothing about which codes exist.
        if contact.is_some_and(|k| !k.trim().is_empty()) {
            crate::auth::limits::CodeGuess::check(
                &state.limits,
                &state.config,
                format!("privacy:{code}"),
                client,
                false,
            )
            .await?;
        }
        return Ok(None);
    };
    if is_requester(actor, &r, None) {
        return Ok(Some((r, true)));
    }
    if let Some(cid) = &r.complaint_id
        && let Some(c) = complaint::Entity::find_by_id(cid.clone())
            .one(&state.db)
            .await?
        && (crate::access::is_filing_account(actor, &c)
            || crate::complaints::proves_filer(state, actor, client, &c, contact).await?)
    {
        return Ok(Some((r, true)));
    }
    if crate::access::require_data_protection(actor).is_ok() {
        return Ok(Some((r, false)));
    }
    Ok(None)
}

/// The requests made by a signed-in account, and about the items it filed, newest first.
pub async fn mine(
    state: &AppState,
    actor: &Actor,
    page: &crate::pagination::Page,
) -> AppResult<(u64, Vec<privacy_request::Model>)> {
    use sea_orm::{PaginatorTrait, QuerySelect};
    let Some(a) = actor.principal().and_then(|p| p.account_id.clone()) else {
        return Err(AppError::sign_in_required());
    };
    let filed: Vec<String> = complaints_of(&state.db, &Subject::Account(a.clone()))
        .await?
        .into_iter()
        .map(|c| c.id)
        .collect();
    let mut mine = sea_orm::Condition::any().add(privacy_request::Column::AccountId.eq(a));
    if !filed.is_empty() {
        mine = mine.add(privacy_request::Column::ComplaintId.is_in(filed));
    }
    let q = privacy_request::Entity::find().filter(mine);
    let total = q.clone().count(&state.db).await?;
    let rows = q
        .order_by_desc(privacy_request::Column::ReceivedAt)
        .order_by_desc(privacy_request::Column::Id)
        .offset(page.offset)
        .limit(page.limit)
        .all(&state.db)
        .await?;
    Ok((total, rows))
}

/// The staff's queue, filtered, earliest deadline first.
#[derive(Debug, Clone, Default)]
pub struct QueueFilter {
    pub status: Vec<Status>,
    pub kind: Option<Kind>,
    /// Open and past its due time (or its acknowledgement's).
    pub overdue: Option<bool>,
}

pub async fn queue(
    state: &AppState,
    actor: &Actor,
    f: &QueueFilter,
    page: &crate::pagination::Page,
) -> AppResult<(u64, Vec<privacy_request::Model>)> {
    use sea_orm::{PaginatorTrait, QuerySelect};
    crate::access::require_data_protection(actor)?;
    let now = crate::clock::now();
    let mut q = privacy_request::Entity::find();
    if !f.status.is_empty() {
        q = q.filter(
            privacy_request::Column::Status.is_in(f.status.iter().map(|s| s.as_str().to_string())),
        );
    }
    if let Some(k) = f.kind {
        q = q.filter(privacy_request::Column::Kind.eq(k.as_str()));
    }
    use sea_orm::sea_query::ExprTrait;
    let open = privacy_request::Column::Status.is_in(["RECEIVED", "ACKNOWLEDGED"]);
    let late = sea_orm::Condition::any()
        .add(privacy_request::Column::DueAt.lt(now))
        .add(
            sea_orm::Condition::all()
                .add(privacy_request::Column::Status.eq("RECEIVED"))
                .add(privacy_request::Column::AcknowledgeDueAt.lt(now)),
        );
    match f.overdue {
        Some(true) => q = q.filter(open).filter(late),
        Some(false) => q = q.filter(sea_orm::Condition::any().add(open.not()).add(late.not())),
        None => {}
    }
    let total = q.clone().count(&state.db).await?;
    let rows = q
        .order_by_asc(privacy_request::Column::DueAt)
        .order_by_asc(privacy_request::Column::Id)
        .offset(page.offset)
        .limit(page.limit)
        .all(&state.db)
        .await?;
    Ok((total, rows))
}

/// What staff decide.
#[derive(Debug, Clone, Copy, PartialEq, Eq, async_graphql::Enum)]
#[graphql(name = "PrivacyDecision")]
pub enum Decision {
    CarryOut,
    Refuse,
}

fn conflict_status(r: &privacy_request::Model) -> AppError {
    AppError::conflict(
        format!("Yêu cầu {} đã kết thúc ({}).", r.code, r.status),
        format!("Request {} has ended ({}).", r.code, r.status),
    )
}

/// Staff acknowledge a request (it is then being handled).
pub async fn acknowledge(
    state: &AppState,
    actor: &Actor,
    id: &str,
) -> AppResult<privacy_request::Model> {
    crate::access::require_data_protection(actor)?;
    let r = require(&state.db, id).await?;
    if Status::parse(&r.status) != Status::Received {
        return Err(AppError::conflict(
            format!("Yêu cầu {} đã được xác nhận hoặc đã kết thúc.", r.code),
            format!("Request {} was already acknowledged or has ended.", r.code),
        ));
    }
    let now = crate::clock::now();
    let txn = crate::db::begin(&state.db).await?;
    let mut m: privacy_request::ActiveModel = r.clone().into();
    m.status = Set(Status::Acknowledged.as_str().into());
    m.acknowledged_at = Set(Some(now));
    let m = m.update(&*txn).await?;
    super::log(
        &*txn,
        request_step(&r, actor, now, "REQUEST_ACKNOWLEDGED", None),
    )
    .await?;
    txn.commit().await?;
    Ok(m)
}

fn request_step(
    r: &privacy_request::Model,
    actor: &Actor,
    now: DateTime<Utc>,
    action: &'static str,
    note: Option<String>,
) -> Step {
    Step {
        request_id: Some(r.id.clone()),
        complaint_id: r.complaint_id.clone(),
        account_id: r.account_id.clone(),
        action,
        note,
        ..Step::new(actor, now)
    }
}

/// Extends a request once, by at most its own number of days, with a reason the person reads.
pub async fn extend(
    state: &AppState,
    actor: &Actor,
    id: &str,
    days: i32,
    reason: &str,
) -> AppResult<privacy_request::Model> {
    crate::access::require_data_protection(actor)?;
    let reason = crate::text::reason("reason", reason, 2000)?;
    let r = require(&state.db, id).await?;
    if !Status::parse(&r.status).open() {
        return Err(conflict_status(&r));
    }
    if r.extended_at.is_some() {
        return Err(AppError::conflict(
            format!(
                "Yêu cầu {} đã được gia hạn một lần; chỉ được gia hạn một lần.",
                r.code
            ),
            format!(
                "Request {} was already extended; it may be extended once only.",
                r.code
            ),
        ));
    }
    let max = Kind::parse(&r.kind).map_or(10, Kind::days);
    if days < 1 || i64::from(days) > max {
        return Err(AppError::bad_input(
            "days",
            format!("Gia hạn từ 1 đến {max} ngày."),
            format!("Extend by 1 to {max} days."),
        ));
    }
    let now = crate::clock::now();
    let cal = state.calendar.get();
    let txn = crate::db::begin(&state.db).await?;
    // Counted on from the first time limit's own last day, not from the working day it was
    // moved to.
    let mut m: privacy_request::ActiveModel = r.clone().into();
    m.due_at = Set(calendar_days_after(
        &cal,
        r.received_at,
        max + i64::from(days),
    ));
    m.extended_at = Set(Some(now));
    m.extension_reason = Set(Some(reason.clone()));
    if r.acknowledged_at.is_none() {
        m.acknowledged_at = Set(Some(now));
        m.status = Set(Status::Acknowledged.as_str().into());
    }
    let m = m.update(&*txn).await?;
    super::log(
        &*txn,
        request_step(
            &r,
            actor,
            now,
            "REQUEST_EXTENDED",
            Some(format!("{days} day(s): {reason}")),
        ),
    )
    .await?;
    txn.commit().await?;
    Ok(m)
}

/// Staff carry a request out (its effect, in the same transaction) or refuse it with a reason.
pub async fn decide(
    state: &AppState,
    actor: &Actor,
    id: &str,
    decision: Decision,
    note: Option<&str>,
) -> AppResult<privacy_request::Model> {
    crate::access::require_data_protection(actor)?;
    let note = note
        .map(|n| crate::text::reason("note", n, 2000))
        .transpose()?;
    let r = require(&state.db, id).await?;
    if !Status::parse(&r.status).open() {
        return Err(conflict_status(&r));
    }
    if decision == Decision::Refuse && note.is_none() {
        return Err(AppError::bad_input(
            "note",
            "Từ chối phải nêu lý do để thông báo cho người yêu cầu.",
            "A refusal needs a reason the person is told.",
        ));
    }
    let kind = Kind::parse(&r.kind).ok_or_else(|| AppError::internal("unknown request kind"))?;
    let subject = subject(&r).ok_or_else(|| AppError::internal("a request without a subject"))?;
    let now = crate::clock::now();
    let txn = crate::db::begin(&state.db).await?;
    let mut effect = None;
    if decision == Decision::CarryOut {
        effect = Some(carry_out(state, &txn, actor, &r, kind, &subject, now).await?);
    }
    let mut m: privacy_request::ActiveModel = r.clone().into();
    let status = match decision {
        Decision::CarryOut => Status::Done,
        Decision::Refuse => Status::Refused,
    };
    m.status = Set(status.as_str().into());
    m.acknowledged_at = Set(Some(r.acknowledged_at.unwrap_or(now)));
    m.completed_at = Set(Some(now));
    m.outcome = Set(Some(
        match decision {
            Decision::CarryOut => "CARRIED_OUT",
            Decision::Refuse => "REFUSED",
        }
        .into(),
    ));
    m.outcome_note = Set(note.clone());
    let m = m.update(&*txn).await?;
    let action = match decision {
        Decision::CarryOut => "REQUEST_CARRIED_OUT",
        Decision::Refuse => "REQUEST_REFUSED",
    };
    super::log(&*txn, request_step(&r, actor, now, action, effect.or(note))).await?;
    txn.commit().await?;
    state.indexer_wake.wake();
    Ok(m)
}

/// The complaints a subject's request reaches: the one item, or every item the account filed.
pub async fn complaints_of(
    db: &impl ConnectionTrait,
    s: &Subject,
) -> AppResult<Vec<complaint::Model>> {
    Ok(match s {
        Subject::Complaint(c) => complaint::Entity::find_by_id(c.clone()).all(db).await?,
        Subject::Account(a) => {
            complaint::Entity::find()
                .filter(complaint::Column::FilerAccountId.eq(a.clone()))
                .order_by_asc(complaint::Column::ReceivedAt)
                .all(db)
                .await?
        }
        Subject::DialogueContact { .. } => vec![],
    })
}

/// A request's effect; returns what was done, for the log.
async fn carry_out(
    state: &AppState,
    txn: &crate::db::WriteTxn,
    actor: &Actor,
    r: &privacy_request::Model,
    kind: Kind,
    s: &Subject,
    now: DateTime<Utc>,
) -> AppResult<String> {
    let items = complaints_of(&**txn, s).await?;
    // An account's request reaches the items it filed too; an item's request is the item.
    let also: Vec<Subject> = match s {
        Subject::Account(_) => items
            .iter()
            .map(|c| Subject::Complaint(c.id.clone()))
            .collect(),
        _ => vec![],
    };
    match kind {
        Kind::Access | Kind::Copy => Ok("copy made available".into()),
        Kind::Withdrawal => {
            let purpose = r.purpose.as_deref().and_then(Purpose::parse);
            let mut n = super::withdraw_all(&**txn, s, purpose, &r.id, actor, now).await?;
            for c in &also {
                n += super::withdraw_all(&**txn, c, purpose, &r.id, actor, now).await?;
            }
            Ok(format!("{n} consent(s) withdrawn"))
        }
        Kind::Correction => correct(txn, r, s, &items, now).await,
        Kind::Deletion => {
            let mut n = 0;
            for c in &items {
                if super::retention::anonymise(
                    &**txn,
                    c,
                    now,
                    Step {
                        request_id: Some(r.id.clone()),
                        ..Step::new(actor, now)
                    },
                    "REQUEST_ANONYMISED",
                )
                .await?
                {
                    n += 1;
                }
            }
            // What the person wrote in their requests goes with the rest.
            let mut about = sea_orm::Condition::any();
            if let Subject::Account(a) = s {
                about = about.add(privacy_request::Column::AccountId.eq(a.clone()));
            }
            let ids: Vec<String> = items.iter().map(|c| c.id.clone()).collect();
            if !ids.is_empty() {
                about = about.add(privacy_request::Column::ComplaintId.is_in(ids));
            }
            use sea_orm::sea_query::Expr;
            privacy_request::Entity::update_many()
                .col_expr(
                    privacy_request::Column::Details,
                    Expr::value(Option::<String>::None),
                )
                .col_expr(
                    privacy_request::Column::CorrectName,
                    Expr::value(Option::<String>::None),
                )
                .col_expr(
                    privacy_request::Column::CorrectPhone,
                    Expr::value(Option::<String>::None),
                )
                .col_expr(
                    privacy_request::Column::CorrectEmail,
                    Expr::value(Option::<String>::None),
                )
                .filter(about)
                .exec(&**txn)
                .await?;
            if let Subject::Account(a) = s {
                delete_account(&**txn, a, now).await?;
                let _ = super::withdraw_all(&**txn, s, None, &r.id, actor, now).await?;
                return Ok(format!("account deleted; {n} item(s) anonymised"));
            }
            let _ = state;
            Ok(format!("{n} item(s) anonymised"))
        }
        Kind::Restriction | Kind::Objection => {
            let mut n = 0;
            if kind == Kind::Objection {
                n += super::withdraw_all(&**txn, s, None, &r.id, actor, now).await?;
                for c in &also {
                    n += super::withdraw_all(&**txn, c, None, &r.id, actor, now).await?;
                }
            }
            let ids: Vec<String> = items.iter().map(|c| c.id.clone()).collect();
            if !ids.is_empty() {
                complaint::Entity::update_many()
                    .col_expr(
                        complaint::Column::RestrictedAt,
                        sea_orm::sea_query::Expr::value(now),
                    )
                    .filter(complaint::Column::Id.is_in(ids.clone()))
                    .filter(complaint::Column::RestrictedAt.is_null())
                    .exec(&**txn)
                    .await?;
            }
            Ok(format!(
                "{} item(s) restricted; {n} consent(s) withdrawn",
                ids.len()
            ))
        }
    }
}

/// Applies a correction: an item's contact, or an account's name (its sign-in phone and e-mail
/// change through confirmation, so they wait as unconfirmed).
async fn correct(
    txn: &crate::db::WriteTxn,
    r: &privacy_request::Model,
    s: &Subject,
    items: &[complaint::Model],
    now: DateTime<Utc>,
) -> AppResult<String> {
    use sea_orm::sea_query::Expr;
    let mut done = vec![];
    match s {
        Subject::Complaint(_) => {
            for c in items {
                let mut u =
                    complaint::Entity::update_many().filter(complaint::Column::Id.eq(c.id.clone()));
                if let Some(n) = &r.correct_name {
                    u = u.col_expr(complaint::Column::ContactName, Expr::value(n.clone()));
                }
                if let Some(p) = &r.correct_phone {
                    u = u.col_expr(complaint::Column::ContactPhone, Expr::value(p.clone()));
                }
                if let Some(e) = &r.correct_email {
                    u = u.col_expr(complaint::Column::ContactEmail, Expr::value(e.clone()));
                }
                u.col_expr(complaint::Column::UpdatedAt, Expr::value(now))
                    .exec(&**txn)
                    .await?;
            }
            done.push(format!("{} item(s)", items.len()));
        }
        Subject::Account(a) => {
            let mut u = entity::account::Entity::update_many()
                .filter(entity::account::Column::Id.eq(a.clone()));
            if let Some(n) = &r.correct_name {
                u = u.col_expr(entity::account::Column::DisplayName, Expr::value(n.clone()));
            }
            if let Some(p) = &r.correct_phone {
                u = u.col_expr(
                    entity::account::Column::PendingPhone,
                    Expr::value(p.clone()),
                );
            }
            if let Some(e) = &r.correct_email {
                u = u.col_expr(
                    entity::account::Column::PendingEmail,
                    Expr::value(e.clone()),
                );
            }
            u.exec(&**txn).await?;
            done.push("account".into());
        }
        Subject::DialogueContact { .. } => {}
    }
    Ok(format!("corrected: {}", done.join(", ")))
}

/// Deletes an account in place: no name, no contact, no password, no session; rows that
/// counted (ratings, complaints) stay and no longer point at it.
pub async fn delete_account(
    txn: &impl ConnectionTrait,
    account_id: &str,
    now: DateTime<Utc>,
) -> AppResult<()> {
    use sea_orm::sea_query::{Expr, ExprTrait};
    let short: String = account_id.chars().rev().take(12).collect();
    entity::account::Entity::update_many()
        .col_expr(
            entity::account::Column::Username,
            Expr::value(format!("deleted-{short}")),
        )
        .col_expr(
            entity::account::Column::Email,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            entity::account::Column::Phone,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            entity::account::Column::PendingEmail,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            entity::account::Column::PendingPhone,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            entity::account::Column::DisplayName,
            Expr::value(String::new()),
        )
        .col_expr(
            entity::account::Column::PasswordHash,
            Expr::value("!deleted".to_string()),
        )
        .col_expr(
            entity::account::Column::ClaimBusinessName,
            Expr::value(Option::<String>::None),
        )
        .col_expr(entity::account::Column::Disabled, Expr::value(true))
        .col_expr(
            entity::account::Column::TokenVersion,
            Expr::col(entity::account::Column::TokenVersion).add(Expr::value(1)),
        )
        .col_expr(entity::account::Column::DeletedAt, Expr::value(now))
        .filter(entity::account::Column::Id.eq(account_id))
        .exec(txn)
        .await?;
    entity::session::Entity::delete_many()
        .filter(entity::session::Column::AccountId.eq(account_id))
        .exec(txn)
        .await?;
    // Its inbox, its messages not yet sent, and its notification choices go with it.
    crate::notify::forget_account(txn, account_id).await?;
    entity::rating::Entity::update_many()
        .col_expr(
            entity::rating::Column::RaterAccountId,
            Expr::value(Option::<String>::None),
        )
        .filter(entity::rating::Column::RaterAccountId.eq(account_id))
        .exec(txn)
        .await?;
    entity::complaint::Entity::update_many()
        .col_expr(
            entity::complaint::Column::FilerAccountId,
            Expr::value(Option::<String>::None),
        )
        .filter(entity::complaint::Column::FilerAccountId.eq(account_id))
        .exec(txn)
        .await?;
    Ok(())
}
