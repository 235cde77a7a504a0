//! Dialogues with businesses (đối thoại doanh nghiệp): a unit's periodic meeting with
//! businesses, or a thematic one, with the units and businesses it invites (and, for a public
//! one, the businesses that register themselves). What is raised there is a complaint like any
//! other (source `DIALOGUE`, filed by the business that raised it, routed to the unit it
//! concerns), linked to the dialogue; an earlier complaint is linked instead of filed twice, and
//! a duplicate's original takes over its links. Units commit to steps on an issue
//! (`commitments`), followed up after the meeting until each is done.
//!
//! The lifecycle is one table ([`TRANSITIONS`]): `PLANNED → HELD → CLOSED`, or
//! `PLANNED → CANCELLED`. Who sees and does what is decided by `crate::access`.

pub mod commitments;
pub mod demo;
pub mod graphql;
pub mod search;

use std::collections::HashMap;
use std::net::IpAddr;

use chrono::{DateTime, Duration, Utc};
use entity::dialogue::{self, Kind, Status};
use entity::{complaint, dialogue_business, dialogue_issue, dialogue_unit};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};

use crate::access::{self, DialogueAction, DialogueView, Scope};
use crate::auth::Actor;
use crate::businesses::TaxCode;
use crate::complaints::ContactInput;
use crate::error::{AppError, AppResult};
use crate::idempotency::{Claim, IdempotencyKey};
use crate::pagination::{Page, Slice};
use crate::search::IndexKind;
use crate::state::AppState;
use crate::text;

/// `dialogue_businesses.origin`.
pub const INVITED: &str = "INVITED";
pub const REGISTERED: &str = "REGISTERED";
/// `dialogue_issues.origin`.
pub const SUBMITTED: &str = "SUBMITTED";
pub const RAISED: &str = "RAISED";
pub const LINKED: &str = "LINKED";
pub const MERGED: &str = "MERGED";

/// At most this many units and businesses invited at once.
pub const MAX_UNITS: usize = 100;
pub const MAX_BUSINESSES: usize = 500;

/// A step of the lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Hold,
    Close,
    Cancel,
}

/// One row of the lifecycle table.
pub struct Transition {
    pub step: Step,
    pub mutation: &'static str,
    pub from: &'static [Status],
    pub to: Status,
}

/// The lifecycle: every allowed step, from which states, to which.
pub const TRANSITIONS: &[Transition] = &[
    Transition {
        step: Step::Hold,
        mutation: "holdDialogue",
        from: &[Status::Planned],
        to: Status::Held,
    },
    Transition {
        step: Step::Close,
        mutation: "closeDialogue",
        from: &[Status::Held],
        to: Status::Closed,
    },
    Transition {
        step: Step::Cancel,
        mutation: "cancelDialogue",
        from: &[Status::Planned],
        to: Status::Cancelled,
    },
];

/// The table's row of a step.
pub fn transition(step: Step) -> &'static Transition {
    TRANSITIONS
        .iter()
        .find(|t| t.step == step)
        .expect("every step is in the table")
}

/// The mutations a dialogue in status `s` allows (lifecycle steps, and what is open while it
/// is planned or held): what a refusal names. Who may take them, and whether the day has come,
/// is another matter (`crate::access::dialogue_actions`).
fn mutations_in(s: Status) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = TRANSITIONS
        .iter()
        .filter(|t| t.from.contains(&s))
        .map(|t| t.mutation)
        .collect();
    if s == Status::Planned {
        out.push("updateDialogue");
    }
    if takes_issues(s) {
        out.extend([
            "inviteToDialogue",
            "joinDialogue",
            "raiseDialogueIssue",
            "linkComplaintToDialogue",
        ]);
    }
    out
}

/// Issues are submitted before the meeting and raised at it; afterwards the follow-up goes on
/// through the complaints and their commitments.
pub fn takes_issues(s: Status) -> bool {
    matches!(s, Status::Planned | Status::Held)
}

fn status_name(s: Status) -> String {
    use sea_orm::ActiveEnum;
    s.to_value()
}

fn not_found() -> AppError {
    AppError::not_found(
        "Không tìm thấy cuộc đối thoại.",
        "The dialogue was not found.",
    )
}

/// `CONFLICT`: `action` (a mutation) cannot be taken in status `s`; says which can.
pub fn illegal(action: &str, s: Status) -> AppError {
    let allowed: Vec<(&str, &str, &str)> = mutations_in(s).into_iter().map(words).collect();
    let (vi_list, en_list) = if allowed.is_empty() {
        ("không còn thao tác nào".to_string(), "nothing".to_string())
    } else {
        (
            allowed.iter().map(|a| a.0).collect::<Vec<_>>().join(", "),
            allowed.iter().map(|a| a.1).collect::<Vec<_>>().join(", "),
        )
    };
    let (act_vi, act_en, _) = words(action);
    let (st_vi, st_en) = match s {
        Status::Planned => ("đang lên lịch", "planned"),
        Status::Held => ("đã diễn ra", "held"),
        Status::Closed => ("đã kết thúc", "closed"),
        Status::Cancelled => ("đã hủy", "cancelled"),
    };
    AppError::ConflictState {
        msg: crate::error::Msg::new(
            format!("Không thể {act_vi} khi cuộc đối thoại {st_vi}. Còn có thể: {vi_list}."),
            format!("A dialogue that is {st_en} cannot {act_en}. It can still: {en_list}."),
        ),
        status: status_name(s),
        allowed: allowed.iter().map(|a| a.2.to_string()).collect(),
    }
}

/// A step's words (Vietnamese, English) and its `DialogueAction` name.
fn words(mutation: &str) -> (&'static str, &'static str, &'static str) {
    match mutation {
        "holdDialogue" => ("ghi nhận đã họp", "be marked held", "HOLD"),
        "closeDialogue" => ("kết thúc kèm biên bản", "be closed", "CLOSE"),
        "cancelDialogue" => ("hủy", "be cancelled", "CANCEL"),
        "updateDialogue" => ("đổi lịch, địa điểm, tên", "be rescheduled", "UPDATE"),
        "inviteToDialogue" => ("mời thêm", "take more guests", "INVITE"),
        "joinDialogue" => ("đăng ký tham dự", "be joined", "JOIN"),
        "raiseDialogueIssue" => ("nêu vấn đề", "take issues", "RAISE_ISSUE"),
        "linkComplaintToDialogue" => ("gắn phản ánh", "take linked complaints", "LINK_COMPLAINT"),
        _ => ("thực hiện thao tác", "do this", "UNKNOWN"),
    }
}

/// A dialogue with who takes part, as loaded for a caller.
#[derive(Debug, Clone)]
pub struct Full {
    pub model: dialogue::Model,
    /// Invited units (the host is not among them).
    pub units: Vec<String>,
    pub businesses: Vec<dialogue_business::Model>,
}

impl Full {
    pub fn business_ids(&self) -> Vec<String> {
        self.businesses
            .iter()
            .map(|b| b.business_id.clone())
            .collect()
    }

    /// The host and the invited units.
    pub fn all_units(&self) -> Vec<String> {
        std::iter::once(self.model.host_unit_id.clone())
            .chain(self.units.iter().cloned())
            .collect()
    }

    pub fn view(&self, actor: &Actor, read: &Scope) -> Option<DialogueView> {
        access::dialogue_view(actor, read, &self.model, &self.units, &self.business_ids())
    }
}

/// Dialogues by id with their participants, in three queries.
pub async fn load_full(
    db: &impl ConnectionTrait,
    ids: &[String],
) -> AppResult<HashMap<String, Full>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let models = dialogue::Entity::find()
        .filter(dialogue::Column::Id.is_in(ids.iter().cloned()))
        .all(db)
        .await?;
    let units = dialogue_unit::Entity::find()
        .filter(dialogue_unit::Column::DialogueId.is_in(ids.iter().cloned()))
        .all(db)
        .await?;
    let businesses = dialogue_business::Entity::find()
        .filter(dialogue_business::Column::DialogueId.is_in(ids.iter().cloned()))
        .order_by_asc(dialogue_business::Column::CreatedAt)
        .all(db)
        .await?;
    let mut out: HashMap<String, Full> = models
        .into_iter()
        .map(|m| {
            (
                m.id.clone(),
                Full {
                    model: m,
                    units: vec![],
                    businesses: vec![],
                },
            )
        })
        .collect();
    for u in units {
        if let Some(f) = out.get_mut(&u.dialogue_id) {
            f.units.push(u.unit_id);
        }
    }
    for b in businesses {
        if let Some(f) = out.get_mut(&b.dialogue_id) {
            f.businesses.push(b);
        }
    }
    Ok(out)
}

/// One dialogue with its participants, or `NOT_FOUND`.
async fn require_full(db: &impl ConnectionTrait, id: &str) -> AppResult<Full> {
    load_full(db, &[id.to_string()])
        .await?
        .remove(id)
        .ok_or_else(not_found)
}

/// A dialogue the caller may see, with their view; `NOT_FOUND` when they may not (a private
/// dialogue is not confirmed to exist).
pub async fn require_visible(
    state: &AppState,
    actor: &Actor,
    id: &str,
) -> AppResult<(Full, DialogueView)> {
    let (f, view, _) = visible_in_scope(state, actor, id).await?;
    Ok((f, view))
}

/// [`require_visible`], with the caller's read scope.
async fn visible_in_scope(
    state: &AppState,
    actor: &Actor,
    id: &str,
) -> AppResult<(Full, DialogueView, Scope)> {
    let f = require_full(&state.db, id).await?;
    let read = access::read_scope(&state.db, actor).await?;
    let view = f.view(actor, &read).ok_or_else(not_found)?;
    Ok((f, view, read))
}

/// Whether the caller may see the dialogue `id` (false for one that does not exist).
pub async fn visible(state: &AppState, actor: &Actor, id: &str) -> AppResult<bool> {
    match require_visible(state, actor, id).await {
        Ok(_) => Ok(true),
        Err(e) if e.code() == "NOT_FOUND" => Ok(false),
        Err(e) => Err(e),
    }
}

/// A dialogue the caller sees (`NOT_FOUND` otherwise) and may take `action` on now
/// (`crate::access::require_dialogue_action`).
async fn require_action(
    state: &AppState,
    actor: &Actor,
    id: &str,
    action: DialogueAction,
) -> AppResult<Full> {
    require_action_in_scope(state, actor, id, action)
        .await
        .map(|(f, _, _)| f)
}

/// [`require_action`], with the caller's view and read scope.
async fn require_action_in_scope(
    state: &AppState,
    actor: &Actor,
    id: &str,
    action: DialogueAction,
) -> AppResult<(Full, DialogueView, Scope)> {
    let (f, view, read) = visible_in_scope(state, actor, id).await?;
    access::actions::require_dialogue_action(
        actor,
        &read,
        view,
        &f.model,
        &f.business_ids(),
        action,
        crate::clock::now(),
    )?;
    Ok((f, view, read))
}

/// A business invited by tax code; the name is needed only for a business not yet known.
#[derive(Debug, Clone)]
pub struct BusinessInvite {
    pub tax_code: String,
    pub name: Option<String>,
}

/// Input of `scheduleDialogue`.
#[derive(Debug, Clone)]
pub struct ScheduleInput {
    pub kind: Kind,
    pub title: String,
    pub topic: String,
    pub host_unit: String,
    pub starts_at: DateTime<Utc>,
    pub location: Option<String>,
    pub online: bool,
    pub units: Vec<String>,
    pub businesses: Vec<BusinessInvite>,
    pub public: bool,
    pub idempotency_key: Option<String>,
}

fn search_text(title: &str, topic: &str) -> String {
    crate::search::text::fallback_text(title, topic, &[])
}

/// Schedules a dialogue (officials of the host unit, admins). Every invited unit must exist
/// today; a business unknown to the portal is created from its tax code and name.
pub async fn schedule(
    state: &AppState,
    actor: &Actor,
    client: IpAddr,
    i: ScheduleInput,
) -> AppResult<dialogue::Model> {
    let p = actor.signed_in()?;
    let key = IdempotencyKey::parse_opt(i.idempotency_key.as_deref())?;
    let today = crate::clock::today();
    let host =
        crate::units::history::require_on(&state.db, "hostUnit", &i.host_unit, today).await?;
    access::require_dialogue_host(&state.db, actor, &host.id).await?;
    let title = text::one_line("title", &i.title, 200)?;
    let topic = text::required("topic", &i.topic, 2000)?;
    let location = match i
        .location
        .as_deref()
        .map(str::trim)
        .filter(|l| !l.is_empty())
    {
        Some(l) => Some(text::one_line("location", l, 500)?),
        None => None,
    };
    if location.is_none() && !i.online {
        return Err(AppError::bad_input(
            "location",
            "Cần địa điểm tổ chức, hoặc đánh dấu đối thoại trực tuyến.",
            "Give the place of the meeting, or mark the dialogue as online.",
        ));
    }
    let now = crate::clock::now();
    if i.starts_at < now - Duration::days(1) || i.starts_at > now + Duration::days(2 * 366) {
        return Err(AppError::bad_input(
            "startsAt",
            "Thời gian đối thoại phải từ hôm qua đến trong vòng hai năm tới.",
            "The dialogue must start between yesterday and two years from now.",
        ));
    }
    let (units, invites) = check_invites(state, &host.id, &i.units, &i.businesses).await?;
    let claim = key.map(|k| {
        use sea_orm::ActiveEnum;
        let tax: Vec<&str> = invites.iter().map(|(t, _)| t.as_str()).collect();
        Claim::new(
            access::idempotency_owner(actor, client),
            "scheduleDialogue",
            k,
            &[
                &i.kind.to_value(),
                &title,
                &topic,
                &host.id,
                &i.starts_at.to_rfc3339(),
                location.as_deref().unwrap_or(""),
                if i.online { "1" } else { "0" },
                if i.public { "1" } else { "0" },
                &units.join(","),
                &tax.join(","),
            ],
        )
    });
    if let Some(c) = &claim
        && let Some(id) = c.prior(&state.db).await?
    {
        return require_full(&state.db, &id).await.map(|f| f.model);
    }
    let id = uuid::Uuid::now_v7().to_string();
    let model = dialogue::Model {
        id: id.clone(),
        kind: i.kind,
        search_text: search_text(&title, &topic),
        title,
        topic,
        host_unit_id: host.id.clone(),
        starts_at: i.starts_at,
        location,
        online: i.online,
        public: i.public,
        status: Status::Planned,
        held_at: None,
        closed_at: None,
        minutes: None,
        minutes_internal: false,
        cancelled_at: None,
        cancel_reason: None,
        created_by: p.subject.clone(),
        created_at: now,
        updated_at: now,
    };
    let txn = crate::db::begin(&state.db).await?;
    if let Some(c) = &claim
        && let Err(e) = c.record(&txn, &id).await
    {
        drop(txn);
        if matches!(
            e.sql_err(),
            Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
        ) && let Some(first) = c.prior(&state.db).await?
        {
            return require_full(&state.db, &first).await.map(|f| f.model);
        }
        return Err(AppError::internal(e));
    }
    dialogue::ActiveModel::from(model.clone())
        .insert(&txn)
        .await?;
    add_invites(&txn, &id, &units, &invites, &[], &[]).await?;
    crate::search::outbox::enqueue(&txn, IndexKind::Dialogues, std::slice::from_ref(&id)).await?;
    txn.commit().await?;
    state.indexer_wake.wake();
    state.notify_wake.wake();
    Ok(model)
}

/// The units and businesses of an invitation, checked: every unit exists today (the host and
/// repeats left out), every tax code is valid, and a business the portal does not know has a
/// name.
async fn check_invites(
    state: &AppState,
    host: &str,
    unit_ids: &[String],
    businesses: &[BusinessInvite],
) -> AppResult<(Vec<String>, Vec<(TaxCode, Option<String>)>)> {
    if unit_ids.len() > MAX_UNITS || businesses.len() > MAX_BUSINESSES {
        return Err(AppError::bad_input(
            "units",
            format!("Mời tối đa {MAX_UNITS} đơn vị và {MAX_BUSINESSES} doanh nghiệp mỗi lần."),
            format!("Invite at most {MAX_UNITS} units and {MAX_BUSINESSES} businesses at once."),
        ));
    }
    let today = crate::clock::today();
    let mut units: Vec<String> = Vec::new();
    for (n, u) in unit_ids.iter().enumerate() {
        let field = format!("units[{n}]");
        let unit = crate::units::history::require_on(&state.db, &field, u, today).await?;
        if unit.id != host && !units.contains(&unit.id) {
            units.push(unit.id);
        }
    }
    let mut invites: Vec<(TaxCode, Option<String>)> = Vec::new();
    for (n, b) in businesses.iter().enumerate() {
        let tax = TaxCode::parse(&b.tax_code).map_err(|e| {
            AppError::bad_input(
                format!("businesses[{n}].taxCode"),
                e.message(crate::error::Lang::Vi),
                e.message(crate::error::Lang::En),
            )
        })?;
        let name = match b.name.as_deref().map(str::trim).filter(|x| !x.is_empty()) {
            Some(x) => Some(text::one_line(&format!("businesses[{n}].name"), x, 200)?),
            None => None,
        };
        if crate::businesses::find_by_tax_code(&state.db, &tax)
            .await?
            .is_none()
            && name.is_none()
        {
            return Err(AppError::bad_input(
                format!("businesses[{n}].name"),
                format!("Doanh nghiệp mã số thuế {tax} chưa có trên cổng: cần tên doanh nghiệp."),
                format!("No business with tax code {tax} is known yet: give its name."),
            ));
        }
        if !invites.iter().any(|(t, _)| t == &tax) {
            invites.push((tax, name));
        }
    }
    Ok((units, invites))
}

/// Writes an invitation in the caller's transaction, leaving out the units and businesses
/// already taking part (`had_units`, `had_businesses`: business ids). The businesses newly
/// invited are told (`crate::notify`).
async fn add_invites(
    txn: &impl ConnectionTrait,
    dialogue_id: &str,
    units: &[String],
    invites: &[(TaxCode, Option<String>)],
    had_units: &[String],
    had_businesses: &[String],
) -> AppResult<()> {
    let now = crate::clock::now();
    // Invited by a concurrent request meanwhile: that invitation stands.
    for u in units.iter().filter(|u| !had_units.contains(u)) {
        dialogue_unit::Entity::insert(dialogue_unit::ActiveModel {
            dialogue_id: Set(dialogue_id.to_string()),
            unit_id: Set(u.clone()),
        })
        .on_conflict(
            sea_orm::sea_query::OnConflict::columns([
                dialogue_unit::Column::DialogueId,
                dialogue_unit::Column::UnitId,
            ])
            .do_nothing()
            .to_owned(),
        )
        .exec_without_returning(txn)
        .await?;
    }
    let mut told = vec![];
    for (tax, name) in invites {
        let (b, _) =
            crate::businesses::find_or_create(txn, tax, name.as_deref().unwrap_or("")).await?;
        if had_businesses.contains(&b.id) {
            continue;
        }
        told.push(b.id.clone());
        dialogue_business::Entity::insert(dialogue_business::ActiveModel {
            dialogue_id: Set(dialogue_id.to_string()),
            business_id: Set(b.id),
            origin: Set(INVITED.to_string()),
            contact_name: Set(None),
            contact_phone: Set(None),
            contact_email: Set(None),
            agenda: Set(None),
            created_at: Set(now),
        })
        .on_conflict(
            sea_orm::sea_query::OnConflict::columns([
                dialogue_business::Column::DialogueId,
                dialogue_business::Column::BusinessId,
            ])
            .do_nothing()
            .to_owned(),
        )
        .exec_without_returning(txn)
        .await?;
    }
    if !told.is_empty() {
        crate::notify::enqueue(
            txn,
            crate::notify::Event::DialogueInvited {
                dialogue: dialogue_id.to_string(),
                businesses: told,
            },
        )
        .await?;
    }
    Ok(())
}

/// What `updateDialogue` changes: each field given replaces the one recorded.
#[derive(Debug, Clone, Default)]
pub struct UpdateInput {
    pub title: Option<String>,
    pub topic: Option<String>,
    pub starts_at: Option<DateTime<Utc>>,
    pub location: Option<String>,
    pub online: Option<bool>,
}

/// Changes a planned dialogue (officials of the host unit, admins): reschedules it, moves it,
/// renames it. The same rules as scheduling apply; who takes part is changed by invitations.
pub async fn update(state: &AppState, actor: &Actor, id: &str, i: UpdateInput) -> AppResult<Full> {
    actor.signed_in()?;
    let f = require_action(state, actor, id, DialogueAction::Update).await?;
    let d = &f.model;
    let title = match &i.title {
        Some(t) => text::one_line("title", t, 200)?,
        None => d.title.clone(),
    };
    let topic = match &i.topic {
        Some(t) => text::required("topic", t, 2000)?,
        None => d.topic.clone(),
    };
    let location = match i.location.as_deref().map(str::trim) {
        Some("") => None,
        Some(l) => Some(text::one_line("location", l, 500)?),
        None => d.location.clone(),
    };
    let online = i.online.unwrap_or(d.online);
    if location.is_none() && !online {
        return Err(AppError::bad_input(
            "location",
            "Cần địa điểm tổ chức, hoặc đánh dấu đối thoại trực tuyến.",
            "Give the place of the meeting, or mark the dialogue as online.",
        ));
    }
    let now = crate::clock::now();
    let starts_at = i.starts_at.unwrap_or(d.starts_at);
    if i.starts_at.is_some()
        && (starts_at < now - Duration::days(1) || starts_at > now + Duration::days(2 * 366))
    {
        return Err(AppError::bad_input(
            "startsAt",
            "Thời gian đối thoại phải từ hôm qua đến trong vòng hai năm tới.",
            "The dialogue must start between yesterday and two years from now.",
        ));
    }
    let txn = crate::db::begin(&state.db).await?;
    let res = dialogue::Entity::update_many()
        .col_expr(dialogue::Column::Title, Expr::value(title.clone()))
        .col_expr(dialogue::Column::Topic, Expr::value(topic.clone()))
        .col_expr(
            dialogue::Column::SearchText,
            Expr::value(search_text(&title, &topic)),
        )
        .col_expr(dialogue::Column::StartsAt, Expr::value(starts_at))
        .col_expr(dialogue::Column::Location, Expr::value(location.clone()))
        .col_expr(dialogue::Column::Online, Expr::value(online))
        .col_expr(dialogue::Column::UpdatedAt, Expr::value(now))
        .filter(dialogue::Column::Id.eq(d.id.as_str()))
        .filter(dialogue::Column::Status.eq(Status::Planned))
        .exec(&txn)
        .await?;
    if res.rows_affected == 0 {
        drop(txn);
        let now_status = require_full(&state.db, &d.id).await?.model.status;
        return Err(illegal("updateDialogue", now_status));
    }
    // The businesses taking part are told when the meeting moves.
    if starts_at != d.starts_at || location != d.location || online != d.online {
        crate::notify::enqueue(
            &txn,
            crate::notify::Event::DialogueRescheduled {
                dialogue: d.id.clone(),
            },
        )
        .await?;
    }
    finish(state, txn, &d.id).await
}

/// Invites more units and businesses to a planned or held dialogue (officials of the host
/// unit, admins). Those already taking part are left as they are.
pub async fn invite(
    state: &AppState,
    actor: &Actor,
    id: &str,
    units: &[String],
    businesses: &[BusinessInvite],
) -> AppResult<Full> {
    actor.signed_in()?;
    let f = require_action(state, actor, id, DialogueAction::Invite).await?;
    let (units, invites) = check_invites(state, &f.model.host_unit_id, units, businesses).await?;
    let txn = crate::db::begin(&state.db).await?;
    touch(&txn, &f.model.id).await?;
    add_invites(
        &txn,
        &f.model.id,
        &units,
        &invites,
        &f.units,
        &f.business_ids(),
    )
    .await?;
    finish(state, txn, &f.model.id).await
}

/// Marks a dialogue changed (its `updated_at`).
async fn touch(txn: &impl ConnectionTrait, id: &str) -> AppResult<()> {
    dialogue::Entity::update_many()
        .col_expr(
            dialogue::Column::UpdatedAt,
            Expr::value(crate::clock::now()),
        )
        .filter(dialogue::Column::Id.eq(id))
        .exec(txn)
        .await?;
    Ok(())
}

/// Ends a change of a dialogue: its search document queued, committed, and the dialogue as it
/// is now.
async fn finish(state: &AppState, txn: crate::db::WriteTxn, id: &str) -> AppResult<Full> {
    crate::search::outbox::enqueue(&txn, IndexKind::Dialogues, &[id.to_string()]).await?;
    txn.commit().await?;
    state.indexer_wake.wake();
    state.notify_wake.wake();
    require_full(&state.db, id).await
}

/// What a step writes beside the status.
pub enum StepInput {
    Hold,
    Close { minutes: String, internal: bool },
    Cancel { reason: String },
}

/// Holds, closes or cancels a dialogue (officials of the host unit, admins): applied only if
/// the dialogue is still in one of the step's from-states.
pub async fn step(
    state: &AppState,
    actor: &Actor,
    id: &str,
    input: StepInput,
) -> AppResult<dialogue::Model> {
    actor.signed_in()?;
    let action = match input {
        StepInput::Hold => DialogueAction::Hold,
        StepInput::Close { .. } => DialogueAction::Close,
        StepInput::Cancel { .. } => DialogueAction::Cancel,
    };
    // Held on its day or later: `crate::access::dialogue_state`.
    let d = require_action(state, actor, id, action).await?.model;
    let now = crate::clock::now();
    let (t, mut upd) = match input {
        StepInput::Hold => (
            transition(Step::Hold),
            dialogue::Entity::update_many().col_expr(dialogue::Column::HeldAt, Expr::value(now)),
        ),
        StepInput::Close { minutes, internal } => {
            let minutes = text::required("minutes", &minutes, 50_000)?;
            (
                transition(Step::Close),
                dialogue::Entity::update_many()
                    .col_expr(dialogue::Column::ClosedAt, Expr::value(now))
                    .col_expr(dialogue::Column::Minutes, Expr::value(minutes))
                    .col_expr(dialogue::Column::MinutesInternal, Expr::value(internal)),
            )
        }
        StepInput::Cancel { reason } => {
            let reason = text::required("reason", &reason, 2000)?;
            (
                transition(Step::Cancel),
                dialogue::Entity::update_many()
                    .col_expr(dialogue::Column::CancelledAt, Expr::value(now))
                    .col_expr(dialogue::Column::CancelReason, Expr::value(reason)),
            )
        }
    };
    upd = upd
        .col_expr(dialogue::Column::Status, Expr::value(t.to))
        .col_expr(dialogue::Column::UpdatedAt, Expr::value(now));
    let txn = crate::db::begin(&state.db).await?;
    let res = upd
        .filter(dialogue::Column::Id.eq(d.id.as_str()))
        .filter(dialogue::Column::Status.is_in(t.from.iter().copied()))
        .exec(&txn)
        .await?;
    if res.rows_affected == 0 {
        drop(txn);
        let now_status = require_full(&state.db, &d.id).await?.model.status;
        return Err(illegal(t.mutation, now_status));
    }
    if action == DialogueAction::Cancel {
        crate::notify::enqueue(
            &txn,
            crate::notify::Event::DialogueCancelled {
                dialogue: d.id.clone(),
            },
        )
        .await?;
    }
    Ok(finish(state, txn, &d.id).await?.model)
}

/// Input of `joinDialogue`: the business's contact person (its account's by default) and what
/// it means to raise.
#[derive(Debug, Clone, Default)]
pub struct JoinInput {
    pub contact: Option<ContactInput>,
    pub agenda: Option<String>,
    /// The notice the contact person was shown and the purposes ticked.
    pub privacy: Option<crate::privacy::Choices>,
}

/// A business account registers for a public dialogue, or confirms an invitation, with its
/// contact person and agenda. Registering again updates them.
pub async fn join(state: &AppState, actor: &Actor, id: &str, i: JoinInput) -> AppResult<Full> {
    actor.signed_in()?;
    let Some(business) = access::caller_business(actor).map(str::to_string) else {
        return Err(access::not_speaking_for_a_business(actor));
    };
    let f = require_action(state, actor, id, DialogueAction::Join).await?;
    let c = i.contact.unwrap_or_default();
    let (name, phone, email) = crate::contact::given_or_callers(&state.db, actor, &c).await?;
    let agenda = i
        .agenda
        .as_deref()
        .map(|a| text::clean("agenda", a, 4000))
        .transpose()?
        .filter(|a| !a.is_empty());
    if let Some(p) = &i.privacy {
        crate::privacy::check_choices(&state.db, "input.privacy", p).await?;
    }
    let existing = f.businesses.iter().find(|b| b.business_id == business);
    let txn = crate::db::begin(&state.db).await?;
    if let Some(p) = &i.privacy {
        crate::privacy::record_choices(
            &*txn,
            &crate::privacy::Subject::DialogueContact {
                dialogue: f.model.id.clone(),
                business: business.clone(),
            },
            p,
            actor,
            crate::clock::now(),
        )
        .await?;
    }
    match existing {
        Some(b) => {
            let mut m: dialogue_business::ActiveModel = b.clone().into();
            m.contact_name = Set(name);
            m.contact_phone = Set(phone);
            m.contact_email = Set(email);
            if agenda.is_some() {
                m.agenda = Set(agenda);
            }
            m.update(&txn).await?;
        }
        None => {
            let ins = dialogue_business::ActiveModel {
                dialogue_id: Set(f.model.id.clone()),
                business_id: Set(business.clone()),
                origin: Set(REGISTERED.to_string()),
                contact_name: Set(name),
                contact_phone: Set(phone),
                contact_email: Set(email),
                agenda: Set(agenda),
                created_at: Set(crate::clock::now()),
            }
            .insert(&txn)
            .await;
            match ins {
                Ok(_) => {}
                // Registered by a concurrent request of the same business: that one stands.
                Err(e)
                    if matches!(
                        e.sql_err(),
                        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
                    ) => {}
                Err(e) => return Err(AppError::internal(e)),
            }
        }
    }
    finish(state, txn, &f.model.id).await
}

/// Input of `raiseDialogueIssue`: a complaint's input, and for a host recording it, the
/// business that raised it.
#[derive(Debug, Clone)]
pub struct RaiseInput {
    /// The raising business's tax code: required when the host records the issue; a business
    /// account raises as itself.
    pub business: Option<String>,
    pub complaint: crate::complaints::FileInput,
}

/// Raises an issue at a dialogue: a complaint filed by the business that raised it, routed to
/// the unit it concerns (the host when none is named), linked to the dialogue. Before the
/// meeting a business submits what it will raise; at it, the host records issues for the
/// businesses present.
pub async fn raise(
    state: &AppState,
    actor: &Actor,
    client: IpAddr,
    dialogue_id: &str,
    mut i: RaiseInput,
) -> AppResult<complaint::Model> {
    actor.signed_in()?;
    let (f, view, _) =
        require_action_in_scope(state, actor, dialogue_id, DialogueAction::RaiseIssue).await?;
    let origin = if f.model.status == Status::Planned {
        SUBMITTED
    } else {
        RAISED
    };
    let mine = access::caller_business(actor).map(str::to_string);
    let (business, by_business) = match (&mine, view) {
        (Some(b), DialogueView::Participant) if f.business_ids().contains(b) => {
            if let Some(t) = &i.business {
                let tax = parse_tax("business", t)?;
                let same = crate::businesses::find_by_tax_code(&state.db, &tax)
                    .await?
                    .is_some_and(|x| &x.id == b);
                if !same {
                    return Err(AppError::forbidden(
                        "Doanh nghiệp chỉ nêu vấn đề của chính mình.",
                        "A business raises its own issues only.",
                    ));
                }
            }
            (b.clone(), true)
        }
        (_, DialogueView::Host) => {
            let Some(t) = &i.business else {
                return Err(AppError::bad_input(
                    "business",
                    "Cần mã số thuế của doanh nghiệp nêu vấn đề.",
                    "Give the tax code of the business raising the issue.",
                ));
            };
            let tax = parse_tax("business", t)?;
            let b = crate::businesses::find_by_tax_code(&state.db, &tax)
                .await?
                .filter(|b| f.business_ids().contains(&b.id))
                .ok_or_else(|| {
                    AppError::bad_input(
                        "business",
                        format!("Doanh nghiệp mã số thuế {tax} không tham dự cuộc đối thoại này; hãy mời doanh nghiệp trước."),
                        format!("The business with tax code {tax} does not take part in this dialogue; invite it first."),
                    )
                })?;
            (b.id, false)
        }
        // Refused by `dialogue_who` above.
        _ => return Err(AppError::not_allowed()),
    };
    // The contact given, else the one the business registered for the dialogue; a business
    // raising its own issue falls back on its account's, a host recording one on the
    // business's name.
    let reg = f.businesses.iter().find(|x| x.business_id == business);
    let given = i.complaint.contact.take().unwrap_or_default();
    let pick = |g: Option<String>, r: Option<&String>| {
        g.filter(|x| !x.trim().is_empty()).or_else(|| r.cloned())
    };
    let mut contact = ContactInput {
        name: pick(given.name, reg.and_then(|r| r.contact_name.as_ref())),
        phone: pick(given.phone, reg.and_then(|r| r.contact_phone.as_ref())),
        email: pick(given.email, reg.and_then(|r| r.contact_email.as_ref())),
    };
    if !by_business {
        if contact.phone.is_none() && contact.email.is_none() {
            return Err(AppError::bad_input(
                "contact",
                "Doanh nghiệp chưa đăng ký người liên hệ cho cuộc đối thoại: nhập số điện thoại hoặc e-mail của người đại diện.",
                "The business registered no contact for this dialogue: give its representative's phone or e-mail.",
            ));
        }
        if contact.name.is_none() {
            contact.name = crate::businesses::find_by_id(&state.db, &business)
                .await?
                .map(|b| b.name);
        }
    }
    i.complaint.contact = Some(contact);
    if i.complaint.unit.trim().is_empty() {
        i.complaint.unit = f.model.host_unit_id.clone();
    }
    crate::complaints::file_from(
        state,
        actor,
        client,
        i.complaint,
        Some(crate::complaints::Raised {
            dialogue_id: f.model.id.clone(),
            business_id: business,
            origin,
            by_business,
        }),
    )
    .await
}

fn parse_tax(field: &str, t: &str) -> AppResult<TaxCode> {
    TaxCode::parse(t).map_err(|e| {
        AppError::bad_input(
            field,
            e.message(crate::error::Lang::Vi),
            e.message(crate::error::Lang::En),
        )
    })
}

/// Links an earlier complaint to a dialogue, so that one matter is tracked once: the host's
/// officials (for a complaint they may see) or the business that filed it. A duplicate is
/// refused in favour of its original; a complaint already linked is returned as it is.
pub async fn link(
    state: &AppState,
    actor: &Actor,
    dialogue_id: &str,
    complaint_id: &str,
) -> AppResult<complaint::Model> {
    actor.signed_in()?;
    let (f, view, read) =
        require_action_in_scope(state, actor, dialogue_id, DialogueAction::LinkComplaint).await?;
    let missing = || {
        AppError::bad_input(
            "complaint",
            "Không tìm thấy phản ánh.",
            "The complaint does not exist.",
        )
    };
    let c = complaint::Entity::find_by_id(complaint_id.to_string())
        .one(&state.db)
        .await?
        .ok_or_else(missing)?;
    let sees = access::complaint_view(actor, &read, &c);
    if sees.is_none() {
        // Not confirmed to exist to a caller who may not see it.
        return Err(missing());
    }
    if !access::may_link(actor, view, sees, &c) {
        return Err(access::link_forbidden());
    }
    if !access::actions::linkable(&c) {
        let original = match &c.duplicate_of_id {
            Some(o) => complaint::Entity::find_by_id(o.clone())
                .one(&state.db)
                .await?
                .map(|o| o.code)
                .unwrap_or_default(),
            None => String::new(),
        };
        return Err(AppError::bad_input(
            "complaint",
            format!(
                "Phản ánh {} là bản trùng của {original}: hãy gắn phản ánh gốc.",
                c.code
            ),
            format!(
                "Complaint {} duplicates {original}: link the original.",
                c.code
            ),
        ));
    }
    let txn = crate::db::begin(&state.db).await?;
    let added = link_in(
        &txn,
        &f.model.id,
        &c.id,
        LINKED,
        c.business_id.as_deref(),
        actor,
    )
    .await?;
    if added {
        crate::complaints::side_event(
            &c,
            actor,
            crate::complaints::lifecycle::Event::DialogueLinked,
            format!("Gắn vào đối thoại: {}", f.model.title),
        )
        .insert(&txn)
        .await?;
        crate::search::outbox::enqueue(&txn, IndexKind::Complaints, std::slice::from_ref(&c.id))
            .await?;
    }
    txn.commit().await?;
    state.indexer_wake.wake();
    Ok(c)
}

/// Links a complaint to a dialogue in the caller's transaction; `false` when it was linked
/// already.
pub async fn link_in(
    txn: &impl ConnectionTrait,
    dialogue_id: &str,
    complaint_id: &str,
    origin: &str,
    business_id: Option<&str>,
    actor: &Actor,
) -> AppResult<bool> {
    // One statement whatever a concurrent link did: a link already there is left as it is.
    let am = dialogue_issue::ActiveModel {
        dialogue_id: Set(dialogue_id.to_string()),
        complaint_id: Set(complaint_id.to_string()),
        origin: Set(origin.to_string()),
        business_id: Set(business_id.map(str::to_string)),
        created_by: Set(actor
            .principal()
            .map(|p| p.subject.clone())
            .unwrap_or_else(|| "system".into())),
        created_at: Set(crate::clock::now()),
    };
    let inserted = dialogue_issue::Entity::insert(am)
        .on_conflict(
            sea_orm::sea_query::OnConflict::columns([
                dialogue_issue::Column::DialogueId,
                dialogue_issue::Column::ComplaintId,
            ])
            .do_nothing()
            .to_owned(),
        )
        .exec_without_returning(txn)
        .await?;
    Ok(inserted > 0)
}

/// The original of a duplicate takes over the duplicate's dialogues and commitments, in the
/// transaction that marks it: the matter is followed once, wherever it was raised.
pub async fn carry_issues(
    txn: &impl ConnectionTrait,
    duplicate: &str,
    original: &str,
    actor: &Actor,
) -> AppResult<()> {
    // The duplicate's commitments are the matter's: they follow it to the original.
    entity::commitment::Entity::update_many()
        .col_expr(
            entity::commitment::Column::ComplaintId,
            Expr::value(original),
        )
        .filter(entity::commitment::Column::ComplaintId.eq(duplicate))
        .exec(txn)
        .await?;
    let links = dialogue_issue::Entity::find()
        .filter(dialogue_issue::Column::ComplaintId.eq(duplicate))
        .all(txn)
        .await?;
    let mut added = false;
    for l in links {
        added |= link_in(
            txn,
            &l.dialogue_id,
            original,
            MERGED,
            l.business_id.as_deref(),
            actor,
        )
        .await?;
    }
    if added
        && let Some(o) = complaint::Entity::find_by_id(original.to_string())
            .one(txn)
            .await?
    {
        crate::complaints::side_event(
            &o,
            actor,
            crate::complaints::lifecycle::Event::DialogueLinked,
            "Nhận vấn đề trùng nêu tại đối thoại doanh nghiệp.".to_string(),
        )
        .insert(txn)
        .await?;
        crate::search::outbox::enqueue(txn, IndexKind::Complaints, &[original.to_string()]).await?;
    }
    Ok(())
}

/// The condition "is an issue of dialogue `d`" on complaints.
pub fn issue_of(d: &str) -> Condition {
    Condition::all().add(
        complaint::Column::Id.in_subquery(
            Query::select()
                .column(dialogue_issue::Column::ComplaintId)
                .from(dialogue_issue::Entity)
                .and_where(dialogue_issue::Column::DialogueId.eq(d))
                .to_owned(),
        ),
    )
}

/// The dialogue ids each complaint is an issue of.
pub async fn dialogues_of(
    db: &impl ConnectionTrait,
    complaints: &[String],
) -> AppResult<HashMap<String, Vec<String>>> {
    let mut out: HashMap<String, Vec<String>> = HashMap::new();
    if complaints.is_empty() {
        return Ok(out);
    }
    for chunk in complaints.chunks(500) {
        for l in dialogue_issue::Entity::find()
            .filter(dialogue_issue::Column::ComplaintId.is_in(chunk.iter().cloned()))
            .all(db)
            .await?
        {
            out.entry(l.complaint_id).or_default().push(l.dialogue_id);
        }
    }
    Ok(out)
}

/// Filter of `dialogues`.
#[derive(Debug, Clone, Default)]
pub struct DialogueFilter {
    pub host_unit: Option<String>,
    pub kind: Option<Kind>,
    pub status: Option<Status>,
    /// Dialogues this business (by id) takes part in.
    pub business: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

/// The SQL condition of a filter.
fn filter_condition(f: &DialogueFilter) -> Condition {
    let mut cond = Condition::all();
    if let Some(h) = &f.host_unit {
        cond = cond.add(dialogue::Column::HostUnitId.eq(h.as_str()));
    }
    if let Some(k) = f.kind {
        cond = cond.add(dialogue::Column::Kind.eq(k));
    }
    if let Some(s) = f.status {
        cond = cond.add(dialogue::Column::Status.eq(s));
    }
    if let Some(b) = &f.business {
        cond = cond.add(access::dialogues_with_business(b));
    }
    if let Some(from) = f.from {
        cond = cond.add(dialogue::Column::StartsAt.gte(from));
    }
    if let Some(to) = f.to {
        cond = cond.add(dialogue::Column::StartsAt.lt(to));
    }
    cond
}

/// A page of the dialogues the caller may see, newest first; `only` narrows them further (a
/// caller's own, a text match when the search engine is down).
pub async fn list(
    state: &AppState,
    actor: &Actor,
    f: &DialogueFilter,
    only: Option<Condition>,
    page: Page,
) -> AppResult<Slice<(Full, DialogueView)>> {
    let read = access::read_scope(&state.db, actor).await?;
    let mut cond = Condition::all()
        .add(access::dialogue_list_condition(actor, &read))
        .add(filter_condition(f));
    if let Some(o) = only {
        cond = cond.add(o);
    }
    let q = dialogue::Entity::find().filter(cond);
    let total = if page.count {
        Some(q.clone().count(&state.db).await?)
    } else {
        None
    };
    if page.limit == 0 {
        return Ok(Slice {
            total,
            has_next: false,
            items: vec![],
        });
    }
    let keys: Vec<(String, DateTime<Utc>)> = page
        .seek(q, dialogue::Column::StartsAt, true, dialogue::Column::Id)
        .select_only()
        .column(dialogue::Column::Id)
        .column(dialogue::Column::StartsAt)
        .into_tuple()
        .all(&state.db)
        .await?;
    let keys = page.slice(total, keys, |(id, at)| (*at, id.as_str()));
    let ids: Vec<String> = keys.items.iter().map(|(_, (id, _))| id.clone()).collect();
    let mut cursors: HashMap<String, String> = keys
        .items
        .into_iter()
        .map(|(cur, (id, _))| (id, cur))
        .collect();
    let items = visible_in_order(state, actor, &read, &ids)
        .await?
        .into_iter()
        .map(|(f, v)| (cursors.remove(&f.model.id).unwrap_or_default(), (f, v)))
        .collect();
    Ok(Slice {
        total: keys.total,
        has_next: keys.has_next,
        items,
    })
}

/// The sort of dialogue lists' cursors: latest start first.
pub const SORT: &str = "g.sd";

/// Dialogues by id in the order given, each with the caller's view, leaving out those they may
/// not see.
pub async fn visible_in_order(
    state: &AppState,
    actor: &Actor,
    read: &Scope,
    ids: &[String],
) -> AppResult<Vec<(Full, DialogueView)>> {
    let mut full = load_full(&state.db, ids).await?;
    Ok(ids
        .iter()
        .filter_map(|id| full.remove(id))
        .filter_map(|f| f.view(actor, read).map(|v| (f, v)))
        .collect())
}

/// The caller's own dialogues: a business's (invited or registered), an official's units'
/// (hosted or invited to); all for admins and evaluators.
pub async fn mine(
    state: &AppState,
    actor: &Actor,
    page: Page,
) -> AppResult<Slice<(Full, DialogueView)>> {
    actor.signed_in()?;
    let read = access::read_scope(&state.db, actor).await?;
    let only = match (&read, access::caller_business(actor)) {
        (Scope::All, _) => Condition::all(),
        (Scope::Units(u), _) => access::dialogues_of_units(u),
        (Scope::None, Some(b)) => access::dialogues_with_business(b),
        (Scope::None, None) => return Ok(Slice::empty()),
    };
    list(state, actor, &DialogueFilter::default(), Some(only), page).await
}

/// Filter of `recurringIssues`.
#[derive(Debug, Clone)]
pub struct RecurringFilter {
    /// The assigned unit.
    pub unit: Option<String>,
    /// Raised (or linked) in this window.
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    /// At least this many dialogues (2 or more).
    pub min_dialogues: u64,
}

/// Matters that keep coming back: complaints raised at (or linked to) several dialogues, a
/// duplicate's original counting the dialogues of its duplicates, most often raised first.
/// Staff only, each in their scope.
pub async fn recurring(
    state: &AppState,
    actor: &Actor,
    f: &RecurringFilter,
    page: Page,
) -> AppResult<(u64, Vec<(complaint::Model, crate::access::View, u64)>)> {
    access::require_staff(actor)?;
    let read = access::read_scope(&state.db, actor).await?;
    if read == Scope::None {
        return Ok((0, vec![]));
    }
    if let Some(u) = &f.unit
        && !read.covers(u)
    {
        return Err(AppError::forbidden(
            "Bạn chỉ xem được vấn đề của đơn vị mình.",
            "You may only read your own units' issues.",
        ));
    }
    let mut links = dialogue_issue::Entity::find();
    if let Some(from) = f.from {
        links = links.filter(dialogue_issue::Column::CreatedAt.gte(from));
    }
    if let Some(to) = f.to {
        links = links.filter(dialogue_issue::Column::CreatedAt.lt(to));
    }
    let counts: Vec<(String, i64)> = links
        .select_only()
        .column(dialogue_issue::Column::ComplaintId)
        .column_as(Expr::cust("COUNT(*)"), "n")
        .group_by(dialogue_issue::Column::ComplaintId)
        .having(Expr::cust("COUNT(*)").gte(Ord::max(f.min_dialogues, 2) as i64))
        .into_tuple()
        .all(&state.db)
        .await?;
    let n: HashMap<String, u64> = counts
        .into_iter()
        .map(|(c, k)| (c, Ord::max(k, 0) as u64))
        .collect();
    let mut found: Vec<complaint::Model> = Vec::new();
    let ids: Vec<String> = n.keys().cloned().collect();
    for chunk in ids.chunks(500) {
        let mut q =
            complaint::Entity::find().filter(complaint::Column::Id.is_in(chunk.iter().cloned()));
        if let Scope::Units(u) = &read {
            q = q.filter(complaint::Column::AssignedUnitId.is_in(u.iter().cloned()));
        }
        if let Some(u) = &f.unit {
            q = q.filter(complaint::Column::AssignedUnitId.eq(u.as_str()));
        }
        found.extend(q.all(&state.db).await?);
    }
    found.sort_by(|a, b| {
        n[&b.id]
            .cmp(&n[&a.id])
            .then(b.received_at.cmp(&a.received_at))
            .then(a.id.cmp(&b.id))
    });
    let total = found.len() as u64;
    let items = found
        .into_iter()
        .skip(page.offset as usize)
        .take(page.limit as usize)
        .filter_map(|c| {
            let times = n[&c.id];
            access::complaint_view(actor, &read, &c).map(|v| (c, v, times))
        })
        .collect();
    Ok((total, items))
}
