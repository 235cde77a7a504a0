//! From an event to its messages: who is told, on which channels, in which language, saying
//! what. Consent (the filer's `CONTACT_ABOUT_OUTCOME`) and each recipient's preferences are
//! applied here; the address itself is read only when a message is sent (`super::worker`).

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Duration, NaiveTime, TimeZone, Utc};
use entity::account::{self, Role};
use entity::complaint::{self, Status};
use entity::{
    commitment, consent, dialogue, dialogue_business, notification, notification_event, par_review,
    privacy_request,
};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use super::templates::{Facts, render};
use super::{Channel, Event, Kind, prefs, status};
use crate::error::{AppResult, Lang};
use crate::state::AppState;

/// Who a message goes to.
#[derive(Debug, Clone)]
pub struct To {
    /// `account:<id>` or `complaint:<id>`.
    pub key: String,
    pub account_id: Option<String>,
    /// The complaint whose filer this is (the address is its contact).
    pub complaint_id: Option<String>,
    pub lang: Lang,
    /// The channels this recipient can be reached on (before preferences).
    pub channels: Vec<Channel>,
}

/// One kind of message to some recipients, saying the same facts.
struct Send {
    kind: Kind,
    to: Vec<To>,
    facts: Facts,
}

/// The base of links in messages (`PORTAL_PUBLIC_URL`, else this server's address).
pub fn base_url(state: &AppState) -> String {
    state
        .config
        .notify
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{}", state.config.addr))
}

/// When a text message may go: not from 21:00 to 07:00 city time (it waits for 07:00), except
/// the filer's own acknowledgement, which they are waiting for.
pub fn not_before(now: DateTime<Utc>, kind: Kind, channel: Channel) -> DateTime<Utc> {
    if !channel.keeps_quiet_hours() || kind == Kind::ComplaintReceived {
        return now;
    }
    let local = crate::clock::local(now);
    let seven = NaiveTime::from_hms_opt(7, 0, 0).expect("static time");
    let nine_pm = NaiveTime::from_hms_opt(21, 0, 0).expect("static time");
    let day = if local.time() >= nine_pm {
        local.date_naive() + Duration::days(1)
    } else if local.time() < seven {
        local.date_naive()
    } else {
        return now;
    };
    crate::clock::city_offset()
        .from_local_datetime(&day.and_time(seven))
        .single()
        .expect("a fixed offset has no gaps")
        .with_timezone(&Utc)
}

/// The accounts an audience is: active, not deleted.
async fn accounts(state: &AppState, f: sea_orm::Condition) -> AppResult<Vec<account::Model>> {
    Ok(account::Entity::find()
        .filter(f)
        .filter(account::Column::Disabled.eq(false))
        .filter(account::Column::DeletedAt.is_null())
        .order_by_asc(account::Column::Id)
        .all(&state.db)
        .await?)
}

async fn officials_of(
    state: &AppState,
    cache: &Cache,
    unit: &str,
) -> AppResult<Vec<account::Model>> {
    let mut known = cache.officials.lock().await;
    if let Some(a) = known.get(unit) {
        return Ok(a.clone());
    }
    let a = accounts(
        state,
        sea_orm::Condition::all()
            .add(account::Column::Role.eq(Role::Official))
            .add(account::Column::UnitId.eq(unit)),
    )
    .await?;
    known.insert(unit.to_string(), a.clone());
    Ok(a)
}

/// The ids of `ids` that `known` lacks, once each, in order.
fn missing<V>(ids: &[String], known: &HashMap<String, V>) -> Vec<String> {
    ids.iter()
        .filter(|i| !known.contains_key(*i))
        .cloned()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

/// What a batch of events or messages reads once: their complaints, the consents of those, and
/// the officials of each unit met.
#[derive(Default)]
pub struct Cache {
    complaints: HashMap<String, complaint::Model>,
    /// Every loaded complaint has an entry (empty when it has no consents).
    consents: HashMap<String, Vec<consent::Model>>,
    officials: tokio::sync::Mutex<HashMap<String, Vec<account::Model>>>,
    /// Recipients' choices, by recipient key (an empty list: none made).
    prefs: tokio::sync::Mutex<HashMap<String, Vec<entity::notification_preference::Model>>>,
    /// Recipients' accounts, read once for a batch of messages ([`Cache::load_accounts`]).
    accounts: HashMap<String, Option<account::Model>>,
}

impl Cache {
    /// Loads `ids`' complaints and consents, two statements per 300 ids, and with `with_prefs`
    /// their filers' choices.
    pub async fn load(state: &AppState, ids: &[String], with_prefs: bool) -> AppResult<Cache> {
        let mut cache = Cache::default();
        cache.load_complaints(state, ids).await?;
        if !with_prefs {
            return Ok(cache);
        }
        // The filers' choices: the recipients of most of a batch's messages.
        let keys: Vec<String> = cache
            .complaints
            .values()
            .map(|c| match &c.filer_account_id {
                Some(a) => prefs::account(a),
                None => prefs::complaint(&c.id),
            })
            .collect();
        cache.prefs_of(state, &keys).await?;
        Ok(cache)
    }

    /// The choices of `keys`, read once per batch.
    pub async fn prefs_of(
        &self,
        state: &AppState,
        keys: &[String],
    ) -> AppResult<HashMap<String, Vec<entity::notification_preference::Model>>> {
        let mut known = self.prefs.lock().await;
        let unread = missing(keys, &known);
        if !unread.is_empty() {
            let mut found = prefs::of(&state.db, &unread).await?;
            for k in unread {
                let rows = found.remove(&k).unwrap_or_default();
                known.insert(k, rows);
            }
        }
        Ok(keys
            .iter()
            .filter_map(|k| known.get(k).map(|v| (k.clone(), v.clone())))
            .collect())
    }

    /// Reads the complaints of `ids` not yet read, with their consents: two statements per
    /// 300 ids.
    pub async fn load_complaints(&mut self, state: &AppState, ids: &[String]) -> AppResult<()> {
        for chunk in missing(ids, &self.complaints).chunks(300) {
            for c in complaint::Entity::find()
                .filter(complaint::Column::Id.is_in(chunk.iter().cloned()))
                .all(&state.db)
                .await?
            {
                self.consents.insert(c.id.clone(), vec![]);
                self.complaints.insert(c.id.clone(), c);
            }
            for r in consent::Entity::find()
                .filter(consent::Column::ComplaintId.is_in(chunk.iter().cloned()))
                .order_by_asc(consent::Column::RecordedAt)
                .all(&state.db)
                .await?
            {
                if let Some(id) = r.complaint_id.clone() {
                    self.consents.entry(id).or_default().push(r);
                }
            }
        }
        Ok(())
    }

    /// Reads the accounts of `ids` not yet read, 300 a statement.
    pub async fn load_accounts(&mut self, state: &AppState, ids: &[String]) -> AppResult<()> {
        for chunk in missing(ids, &self.accounts).chunks(300) {
            for id in chunk {
                self.accounts.insert(id.clone(), None);
            }
            for a in account::Entity::find()
                .filter(account::Column::Id.is_in(chunk.iter().cloned()))
                .all(&state.db)
                .await?
            {
                self.accounts.insert(a.id.clone(), Some(a));
            }
        }
        Ok(())
    }

    /// An account read by [`Cache::load_accounts`]: `None` when it was not read, `Some(None)`
    /// when it does not exist.
    pub fn account(&self, id: &str) -> Option<Option<&account::Model>> {
        self.accounts.get(id).map(Option::as_ref)
    }

    /// A loaded complaint.
    pub fn complaint(&self, id: &str) -> Option<complaint::Model> {
        self.complaints.get(id).cloned()
    }

    /// The complaints a batch of events is about.
    pub fn complaints_of(events: &[notification_event::Model]) -> Vec<String> {
        events
            .iter()
            .filter_map(|e| match serde_json::from_str::<Event>(&e.payload).ok()? {
                Event::ComplaintFiled { complaint }
                | Event::ComplaintStep { complaint, .. }
                | Event::DeadlineSoon { complaint, .. }
                | Event::Overdue { complaint, .. } => Some(complaint),
                _ => None,
            })
            .collect()
    }
}

async fn of_role(state: &AppState, role: Role) -> AppResult<Vec<account::Model>> {
    accounts(
        state,
        sea_orm::Condition::all().add(account::Column::Role.eq(role)),
    )
    .await
}

/// The confirmed accounts that speak for these businesses.
async fn of_businesses(state: &AppState, ids: &[String]) -> AppResult<Vec<account::Model>> {
    if ids.is_empty() {
        return Ok(vec![]);
    }
    accounts(
        state,
        sea_orm::Condition::all()
            .add(account::Column::Role.eq(Role::Business))
            .add(account::Column::BusinessId.is_in(ids.iter().cloned()))
            .add(account::Column::BusinessConfirmedAt.is_not_null()),
    )
    .await
}

/// An account as a recipient: the inbox always, e-mail and text messages where it holds an
/// address.
pub fn account_to(a: &account::Model) -> To {
    let mut channels = vec![Channel::InApp];
    if a.email.is_some() {
        channels.push(Channel::Email);
    }
    if a.phone.is_some() {
        channels.extend([Channel::Sms, Channel::Zalo]);
    }
    To {
        key: prefs::account(&a.id),
        account_id: Some(a.id.clone()),
        complaint_id: None,
        lang: Lang::from_code(a.lang.as_deref()),
        channels,
    }
}

/// Whether the filer of `c` stands by their consent to be contacted about its outcome: their
/// answer with the complaint, else their account's.
pub async fn filer_consents(
    state: &AppState,
    cache: &Cache,
    c: &complaint::Model,
) -> AppResult<bool> {
    use crate::privacy::{Purpose, standing};
    let purpose = Purpose::ContactAboutOutcome;
    let rows = match cache.consents.get(&c.id) {
        Some(rows) => rows.clone(),
        None => {
            consent::Entity::find()
                .filter(consent::Column::ComplaintId.eq(c.id.as_str()))
                .order_by_asc(consent::Column::RecordedAt)
                .all(&state.db)
                .await?
        }
    };
    if rows.iter().any(|r| r.purpose == purpose.as_str()) {
        return Ok(standing(&rows, purpose));
    }
    let Some(a) = &c.filer_account_id else {
        return Ok(false);
    };
    let rows = consent::Entity::find()
        .filter(consent::Column::AccountId.eq(a.as_str()))
        .filter(consent::Column::ComplaintId.is_null())
        .order_by_asc(consent::Column::RecordedAt)
        .all(&state.db)
        .await?;
    Ok(standing(&rows, purpose))
}

/// Whether the filer's contact may be used at all: not removed, not restricted.
pub fn contact_usable(c: &complaint::Model) -> bool {
    c.anonymised_at.is_none() && c.restricted_at.is_none()
}

/// The filer of `c` as a recipient: their account's inbox, and, with consent, the contact
/// given with the item.
async fn filer_of(state: &AppState, cache: &Cache, c: &complaint::Model) -> AppResult<Option<To>> {
    let external = contact_usable(c) && filer_consents(state, cache, c).await?;
    let mut channels = vec![];
    if external {
        if c.contact_email.is_some() {
            channels.push(Channel::Email);
        }
        if c.contact_phone.is_some() {
            channels.extend([Channel::Sms, Channel::Zalo]);
        }
    }
    let account = match &c.filer_account_id {
        Some(a) => account::Entity::find_by_id(a.clone())
            .one(&state.db)
            .await?
            .filter(|a| !a.disabled && a.deleted_at.is_none()),
        None => None,
    };
    let to = match account {
        Some(a) => {
            channels.insert(0, Channel::InApp);
            To {
                key: prefs::account(&a.id),
                account_id: Some(a.id.clone()),
                complaint_id: Some(c.id.clone()),
                lang: Lang::from_code(a.lang.as_deref().or(c.contact_lang.as_deref())),
                channels,
            }
        }
        None => To {
            key: prefs::complaint(&c.id),
            account_id: None,
            complaint_id: Some(c.id.clone()),
            lang: Lang::from_code(c.contact_lang.as_deref()),
            channels,
        },
    };
    Ok((!to.channels.is_empty()).then_some(to))
}

async fn unit_name(state: &AppState, id: &str) -> AppResult<Option<String>> {
    // From the catalog held in memory.
    Ok(state
        .catalog
        .units
        .rows()
        .await?
        .get(id)
        .map(|u| u.name.clone()))
}

async fn complaint(
    state: &AppState,
    cache: &Cache,
    id: &str,
) -> AppResult<Option<complaint::Model>> {
    if let Some(c) = cache.complaints.get(id) {
        return Ok(Some(c.clone()));
    }
    Ok(complaint::Entity::find_by_id(id.to_string())
        .one(&state.db)
        .await?)
}

fn open(c: &complaint::Model) -> bool {
    matches!(c.status, Status::Received | Status::Accepted)
}

/// What a message says about a complaint.
async fn complaint_facts(state: &AppState, c: &complaint::Model) -> AppResult<Facts> {
    Ok(Facts {
        code: Some(c.code.clone()),
        unit: unit_name(state, &c.assigned_unit_id).await?,
        detail: None,
        deadline: open(c).then_some(c.answer_due_at),
        link: Some(format!("{}/complaints/{}", base_url(state), c.code)),
    })
}

/// A short text for a message: personal data masked, links left out (an official's note is no
/// way to send a filer a link to follow), at most `max` characters.
fn excerpt(s: &str, max: usize) -> String {
    let masked = crate::pii_mask::mask(s, &crate::pii_mask::detect(s));
    let masked = masked
        .split(' ')
        .map(|w| {
            let l = w.to_ascii_lowercase();
            if l.contains("://") || l.starts_with("www.") {
                "[…]"
            } else {
                w
            }
        })
        .collect::<Vec<_>>()
        .join(" ");
    let mut out: String = masked.chars().take(max).collect();
    if masked.chars().count() > max {
        out.push('…');
    }
    out
}

/// The sends of an event.
async fn sends(state: &AppState, cache: &Cache, ev: &Event) -> AppResult<Vec<Send>> {
    let mut out = vec![];
    match ev {
        Event::ComplaintFiled { .. } => on_filed(state, cache, ev, &mut out).await?,
        Event::ComplaintStep { .. } => on_step(state, cache, ev, &mut out).await?,
        Event::DeadlineSoon { .. } | Event::Overdue { .. } => {
            on_deadline(state, cache, ev, &mut out).await?
        }
        Event::Digest { .. } => digest(state, &mut out).await?,
        Event::DialogueInvited { .. } => on_invited(state, cache, ev, &mut out).await?,
        Event::DialogueRescheduled { .. } | Event::DialogueCancelled { .. } => {
            on_dialogue_changed(state, cache, ev, &mut out).await?
        }
        Event::CommitmentMade { .. }
        | Event::CommitmentDue { .. }
        | Event::CommitmentDone { .. } => on_commitment(state, cache, ev, &mut out).await?,
        Event::ReviewRequested { .. } => on_review(state, cache, ev, &mut out).await?,
        Event::PrivacyRequestDue { .. } => on_privacy_due(state, cache, ev, &mut out).await?,
    }
    Ok(out)
}

/// A new item: the filer's acknowledgement, the unit's officials' new item.
async fn on_filed(
    state: &AppState,
    cache: &Cache,
    ev: &Event,
    out: &mut Vec<Send>,
) -> AppResult<()> {
    let Event::ComplaintFiled { complaint: id } = ev else {
        return Ok(());
    };
    let Some(c) = complaint(state, cache, id).await? else {
        return Ok(());
    };
    let facts = complaint_facts(state, &c).await?;
    if let Some(to) = filer_of(state, cache, &c).await? {
        out.push(Send {
            kind: Kind::ComplaintReceived,
            to: vec![to],
            facts: facts.clone(),
        });
    }
    out.push(Send {
        kind: Kind::NewItem,
        to: officials_of(state, cache, &c.assigned_unit_id)
            .await?
            .iter()
            .map(account_to)
            .collect(),
        facts,
    });
    Ok(())
}

/// A step of an item: the filer told of it; a forwarding tells the receiving unit, a reopening the unit.
async fn on_step(
    state: &AppState,
    cache: &Cache,
    ev: &Event,
    out: &mut Vec<Send>,
) -> AppResult<()> {
    let Event::ComplaintStep {
        complaint: id,
        step,
        to_unit,
    } = ev
    else {
        return Ok(());
    };
    let Some(c) = complaint(state, cache, id).await? else {
        return Ok(());
    };
    let mut facts = complaint_facts(state, &c).await?;
    let filer_kind = match step.as_str() {
        "ACCEPTED" => Some(Kind::ComplaintAccepted),
        "FORWARDED" => Some(Kind::ComplaintForwarded),
        "ANSWERED" => {
            facts.detail = Some(if c.published {
                (
                    "Câu trả lời đã được công khai trên cổng Góp Ý.".to_string(),
                    "The answer is published on the Góp Ý portal.".to_string(),
                )
            } else {
                (
                    "Câu trả lời được gửi riêng cho người phản ánh.".to_string(),
                    "The answer is for you only and is not published.".to_string(),
                )
            });
            Some(Kind::ComplaintAnswered)
        }
        "CLOSED" => Some(Kind::ComplaintClosed),
        "DUPLICATE" => {
            facts.detail = Some((
                "Nội dung trùng với một phản ánh đã gửi trước; câu trả lời được đưa ra tại phản ánh đó.".to_string(),
                "It repeats an earlier item, where the answer is given.".to_string(),
            ));
            Some(Kind::ComplaintClosed)
        }
        "REJECTED" => {
            let reason = c
                .rejection_reason
                .as_deref()
                .map(|r| excerpt(r, 300))
                .unwrap_or_default();
            facts.detail = Some((format!("Lý do: {reason}"), format!("Reason: {reason}")));
            Some(Kind::ComplaintRejected)
        }
        _ => None,
    };
    if let Some(kind) = filer_kind
        && let Some(to) = filer_of(state, cache, &c).await?
    {
        out.push(Send {
            kind,
            to: vec![to],
            facts: facts.clone(),
        });
    }
    let officials = match step.as_str() {
        "FORWARDED" => to_unit
            .as_deref()
            .filter(|u| *u == c.assigned_unit_id && open(&c))
            .map(|u| (Kind::NewItem, u.to_string())),
        "REOPENED" => Some((Kind::Reopened, c.assigned_unit_id.clone())),
        _ => None,
    };
    if let Some((kind, unit)) = officials {
        let mut facts = facts;
        facts.detail = None;
        out.push(Send {
            kind,
            to: officials_of(state, cache, &unit)
                .await?
                .iter()
                .map(account_to)
                .collect(),
            facts,
        });
    }
    Ok(())
}

/// A deadline one working day away, or passed: the unit's officials, if the item is still open on it.
async fn on_deadline(
    state: &AppState,
    cache: &Cache,
    ev: &Event,
    out: &mut Vec<Send>,
) -> AppResult<()> {
    let (Event::DeadlineSoon { complaint: id, due } | Event::Overdue { complaint: id, due }) = ev
    else {
        return Ok(());
    };
    let Some(c) = complaint(state, cache, id).await? else {
        return Ok(());
    };
    // Answered or moved on since: nothing to remind of.
    if !open(&c) || c.answer_due_at != *due {
        return Ok(());
    }
    let kind = if matches!(ev, Event::Overdue { .. }) {
        Kind::Overdue
    } else {
        Kind::DeadlineSoon
    };
    out.push(Send {
        kind,
        to: officials_of(state, cache, &c.assigned_unit_id)
            .await?
            .iter()
            .map(account_to)
            .collect(),
        facts: complaint_facts(state, &c).await?,
    });
    Ok(())
}

/// Businesses newly invited to a dialogue.
async fn on_invited(
    state: &AppState,
    _cache: &Cache,
    ev: &Event,
    out: &mut Vec<Send>,
) -> AppResult<()> {
    let Event::DialogueInvited {
        dialogue: id,
        businesses,
    } = ev
    else {
        return Ok(());
    };
    if let Some((d, facts)) = dialogue_facts(state, id).await? {
        let _ = d;
        out.push(Send {
            kind: Kind::DialogueInvitation,
            to: of_businesses(state, businesses)
                .await?
                .iter()
                .map(account_to)
                .collect(),
            facts,
        });
    }
    Ok(())
}

/// A dialogue moved or cancelled: every business taking part.
async fn on_dialogue_changed(
    state: &AppState,
    _cache: &Cache,
    ev: &Event,
    out: &mut Vec<Send>,
) -> AppResult<()> {
    let (Event::DialogueRescheduled { dialogue: id } | Event::DialogueCancelled { dialogue: id }) =
        ev
    else {
        return Ok(());
    };
    if let Some((d, facts)) = dialogue_facts(state, id).await? {
        let ids: Vec<String> = dialogue_business::Entity::find()
            .filter(dialogue_business::Column::DialogueId.eq(d.id.as_str()))
            .all(&state.db)
            .await?
            .into_iter()
            .map(|b| b.business_id)
            .collect();
        let kind = if matches!(ev, Event::DialogueCancelled { .. }) {
            Kind::DialogueCancelled
        } else {
            Kind::DialogueRescheduled
        };
        out.push(Send {
            kind,
            to: of_businesses(state, &ids)
                .await?
                .iter()
                .map(account_to)
                .collect(),
            facts,
        });
    }
    Ok(())
}

/// A commitment made, falling due or done: the business that raised the item (or its filer's account).
async fn on_commitment(
    state: &AppState,
    cache: &Cache,
    ev: &Event,
    out: &mut Vec<Send>,
) -> AppResult<()> {
    let (Event::CommitmentMade { commitment: id }
    | Event::CommitmentDue { commitment: id }
    | Event::CommitmentDone { commitment: id }) = ev
    else {
        return Ok(());
    };
    let Some(m) = commitment::Entity::find_by_id(id.clone())
        .one(&state.db)
        .await?
    else {
        return Ok(());
    };
    let Some(c) = complaint(state, cache, &m.complaint_id).await? else {
        return Ok(());
    };
    let (kind, deadline) = match ev {
        Event::CommitmentMade { .. } => (Kind::CommitmentMade, Some(m.due_at)),
        Event::CommitmentDue { .. } => {
            if m.status != commitment::Status::Open {
                return Ok(());
            }
            (Kind::CommitmentDue, Some(m.due_at))
        }
        _ => (Kind::CommitmentDone, None),
    };
    let to: Vec<To> = match &c.business_id {
        Some(b) => of_businesses(state, std::slice::from_ref(b))
            .await?
            .iter()
            .map(account_to)
            .collect(),
        // A person who filed: told as the filer is, with their consent, to the item's contact
        // (and their account's inbox).
        None => filer_of(state, cache, &c).await?.into_iter().collect(),
    };
    let text = excerpt(&m.text, 300);
    out.push(Send {
        kind,
        to,
        facts: Facts {
            code: Some(c.code.clone()),
            unit: unit_name(state, &m.unit_id).await?,
            detail: Some((format!("Cam kết: {text}"), format!("Commitment: {text}"))),
            deadline,
            link: Some(format!("{}/complaints/{}", base_url(state), c.code)),
        },
    });
    Ok(())
}

/// A new request in the PAR review queue: the evaluators.
async fn on_review(
    state: &AppState,
    _cache: &Cache,
    ev: &Event,
    out: &mut Vec<Send>,
) -> AppResult<()> {
    let Event::ReviewRequested { review: id } = ev else {
        return Ok(());
    };
    let Some(r) = par_review::Entity::find_by_id(id.clone())
        .one(&state.db)
        .await?
    else {
        return Ok(());
    };
    use sea_orm::ActiveEnum;
    let kind_name = r.kind.to_value();
    out.push(Send {
        kind: Kind::ReviewRequested,
        to: of_role(state, Role::Evaluator)
            .await?
            .iter()
            .map(account_to)
            .collect(),
        facts: Facts {
            code: Some(r.code.clone()),
            unit: unit_name(state, &r.unit_id).await?,
            detail: Some((
                format!("Loại yêu cầu: {kind_name}, năm {}.", r.year),
                format!("Request: {kind_name}, year {}.", r.year),
            )),
            deadline: None,
            link: Some(format!("{}/par/reviews/{}", base_url(state), r.id)),
        },
    });
    Ok(())
}

/// A person's request falling due: data-protection staff (admins when there are none).
async fn on_privacy_due(
    state: &AppState,
    _cache: &Cache,
    ev: &Event,
    out: &mut Vec<Send>,
) -> AppResult<()> {
    let Event::PrivacyRequestDue { request: id } = ev else {
        return Ok(());
    };
    let Some(r) = privacy_request::Entity::find_by_id(id.clone())
        .one(&state.db)
        .await?
    else {
        return Ok(());
    };
    if r.completed_at.is_some() {
        return Ok(());
    }
    let mut staff = of_role(state, Role::DataProtection).await?;
    if staff.is_empty() {
        staff = of_role(state, Role::Admin).await?;
    }
    out.push(Send {
        kind: Kind::PrivacyRequestDue,
        to: staff.iter().map(account_to).collect(),
        facts: Facts {
            code: Some(r.code.clone()),
            unit: None,
            detail: Some((
                format!("Loại yêu cầu: {}.", r.kind),
                format!("Request: {}.", r.kind),
            )),
            deadline: Some(r.due_at),
            link: Some(format!("{}/privacy/requests/{}", base_url(state), r.code)),
        },
    });
    Ok(())
}

/// A dialogue and what its messages say (its title, time and place; never its businesses).
async fn dialogue_facts(state: &AppState, id: &str) -> AppResult<Option<(dialogue::Model, Facts)>> {
    let Some(d) = dialogue::Entity::find_by_id(id.to_string())
        .one(&state.db)
        .await?
    else {
        return Ok(None);
    };
    let place_vi = d.location.clone().unwrap_or_else(|| "trực tuyến".into());
    let place_en = d.location.clone().unwrap_or_else(|| "online".into());
    let at = super::templates::when(d.starts_at);
    let facts = Facts {
        code: None,
        unit: unit_name(state, &d.host_unit_id).await?,
        detail: Some((
            format!("{}. Thời gian: {at}. Địa điểm: {place_vi}.", d.title),
            format!("{}. Time: {at}. Place: {place_en}.", d.title),
        )),
        deadline: None,
        link: Some(format!("{}/dialogues/{}", base_url(state), d.id)),
    };
    Ok(Some((d, facts)))
}

/// The morning digest: each official, their unit's open items, those due within a working
/// day and those overdue. A unit with nothing open gets no digest.
async fn digest(state: &AppState, out: &mut Vec<Send>) -> AppResult<()> {
    use sea_orm::PaginatorTrait;
    let officials = of_role(state, Role::Official).await?;
    let units: BTreeSet<String> = officials.iter().filter_map(|a| a.unit_id.clone()).collect();
    let now = crate::clock::now();
    let soon = state.calendar.get().deadline(now, 1);
    for u in units {
        let open_q = || {
            complaint::Entity::find()
                .filter(complaint::Column::AssignedUnitId.eq(u.as_str()))
                .filter(complaint::Column::Status.is_in([Status::Received, Status::Accepted]))
        };
        let open_n = open_q().count(&state.db).await?;
        if open_n == 0 {
            continue;
        }
        let overdue = open_q()
            .filter(complaint::Column::AnswerDueAt.lt(now))
            .count(&state.db)
            .await?;
        let due = open_q()
            .filter(complaint::Column::AnswerDueAt.gte(now))
            .filter(complaint::Column::AnswerDueAt.lte(soon))
            .count(&state.db)
            .await?;
        out.push(Send {
            kind: Kind::DailyDigest,
            to: officials
                .iter()
                .filter(|a| a.unit_id.as_deref() == Some(u.as_str()))
                .map(account_to)
                .collect(),
            facts: Facts {
                code: None,
                unit: unit_name(state, &u).await?,
                detail: Some((
                    format!("Đang mở: {open_n}. Đến hạn trong một ngày làm việc: {due}. Quá hạn: {overdue}."),
                    format!("Open: {open_n}. Due within one working day: {due}. Overdue: {overdue}."),
                )),
                deadline: None,
                link: Some(format!("{}/complaints?unit={u}", base_url(state))),
            },
        });
    }
    Ok(())
}

/// The messages of an event, ready to insert.
pub async fn messages(
    state: &AppState,
    cache: &Cache,
    ev_row: &notification_event::Model,
) -> AppResult<Vec<notification::Model>> {
    let Ok(ev) = serde_json::from_str::<Event>(&ev_row.payload) else {
        tracing::warn!(
            event = ev_row.id,
            "an unreadable notification event is skipped"
        );
        return Ok(vec![]);
    };
    let sends = sends(state, cache, &ev).await?;
    let keys: Vec<String> = sends
        .iter()
        .flat_map(|s| s.to.iter().map(|t| t.key.clone()))
        .collect();
    let chosen = cache.prefs_of(state, &keys).await?;
    let now = crate::clock::now();
    let mut out = vec![];
    let mut seen: HashMap<(String, Channel), ()> = HashMap::new();
    for s in &sends {
        for to in &s.to {
            let rows = chosen.get(&to.key).map(Vec::as_slice).unwrap_or(&[]);
            let mut rendered: HashMap<&str, super::templates::Rendered> = HashMap::new();
            for &channel in &to.channels {
                // One message per recipient and channel for an event.
                if !prefs::enabled(rows, s.kind, channel)
                    || seen.insert((to.key.clone(), channel), ()).is_some()
                {
                    continue;
                }
                let r = rendered
                    .entry(to.lang.code())
                    .or_insert_with(|| render(s.kind, to.lang, &s.facts))
                    .clone();
                let body = match channel {
                    Channel::Sms => r.sms,
                    Channel::Zalo => r.zns,
                    Channel::Email | Channel::InApp => r.body,
                };
                let in_app = channel == Channel::InApp;
                out.push(notification::Model {
                    id: uuid::Uuid::now_v7().to_string(),
                    event_id: ev_row.id,
                    kind: s.kind.as_str().to_string(),
                    recipient: to.key.clone(),
                    account_id: to.account_id.clone(),
                    complaint_id: to.complaint_id.clone(),
                    channel: channel.as_str().to_string(),
                    lang: to.lang.code().to_string(),
                    subject: r.subject,
                    body,
                    link: s.facts.link.clone(),
                    status: if in_app { status::SENT } else { status::QUEUED }.to_string(),
                    attempts: 0,
                    next_attempt_at: not_before(now, s.kind, channel),
                    claimed_until: None,
                    last_error: None,
                    created_at: now,
                    sent_at: in_app.then_some(now),
                    read_at: None,
                });
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn text_messages_wait_out_the_night_except_the_filers_acknowledgement() {
        // 22:30 in the city.
        let night = at("2026-12-04T22:30:00+07:00");
        assert_eq!(
            not_before(night, Kind::ComplaintAnswered, Channel::Sms),
            at("2026-12-05T07:00:00+07:00")
        );
        assert_eq!(
            not_before(night, Kind::NewItem, Channel::Zalo),
            at("2026-12-05T07:00:00+07:00")
        );
        assert_eq!(
            not_before(night, Kind::ComplaintReceived, Channel::Sms),
            night
        );
        assert_eq!(
            not_before(night, Kind::ComplaintAnswered, Channel::Email),
            night
        );
        // 05:10, before seven: the same morning.
        let early = at("2026-12-04T05:10:00+07:00");
        assert_eq!(
            not_before(early, Kind::ComplaintAccepted, Channel::Sms),
            at("2026-12-04T07:00:00+07:00")
        );
        // 21:00 sharp waits; 20:59 and 07:00 go.
        assert_eq!(
            not_before(at("2026-12-04T21:00:00+07:00"), Kind::Overdue, Channel::Sms),
            at("2026-12-05T07:00:00+07:00")
        );
        let ok = at("2026-12-04T20:59:00+07:00");
        assert_eq!(not_before(ok, Kind::Overdue, Channel::Sms), ok);
        let seven = at("2026-12-04T07:00:00+07:00");
        assert_eq!(not_before(seven, Kind::Overdue, Channel::Sms), seven);
    }
}
