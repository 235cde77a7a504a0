//! Personal data under the Law on Personal Data Protection (91/2025/QH15) and Decree
//! 356/2025/NĐ-CP: the notice shown wherever personal data is collected, consent per purpose
//! (none by default), the data subject's requests with their deadlines, retention, the log of
//! staff reads of contacts, masking of published text, and the breach register.
//!
//! Handling an item rests on the agency's legal duty (Law Art. 19), so it needs no consent; the
//! purposes below are the opt-in ones. Every step on personal data is written to
//! `privacy_events`, which holds no contact.

pub mod breaches;
pub mod export;
pub mod graphql;
pub mod masks;
/// The detector of personal data in text (a domain value, below search and storage).
pub use crate::pii_mask as mask;
pub mod notice;
pub mod reads;
pub mod requests;
pub mod retention;

use chrono::{DateTime, Utc};
use entity::{consent, privacy_event};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Set,
};

use crate::auth::Actor;
use crate::error::{AppError, AppResult};

/// A purpose a person may consent to, each on its own, none by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, async_graphql::Enum)]
#[graphql(name = "ConsentPurpose")]
pub enum Purpose {
    /// Being contacted (SMS, e-mail, Zalo) about what happens to the item and its outcome.
    ContactAboutOutcome,
    /// Having one's name shown with the published item.
    PublishName,
}

pub const PURPOSES: [Purpose; 2] = [Purpose::ContactAboutOutcome, Purpose::PublishName];

impl Purpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::ContactAboutOutcome => "CONTACT_ABOUT_OUTCOME",
            Purpose::PublishName => "PUBLISH_NAME",
        }
    }
    pub fn parse(s: &str) -> Option<Purpose> {
        PURPOSES.into_iter().find(|p| p.as_str() == s)
    }
}

/// Where a choice was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, async_graphql::Enum)]
#[graphql(name = "ConsentChannel")]
pub enum Channel {
    #[default]
    Web,
    Mobile,
    /// A kiosk at a one-stop shop.
    Kiosk,
    /// Staff entering it at a counter for a person present.
    Counter,
    /// By telephone (the 1022 line), entered by staff.
    Phone,
    /// A dialogue with businesses.
    Dialogue,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Web => "WEB",
            Channel::Mobile => "MOBILE",
            Channel::Kiosk => "KIOSK",
            Channel::Counter => "COUNTER",
            Channel::Phone => "PHONE",
            Channel::Dialogue => "DIALOGUE",
        }
    }
}

/// What a person chose where their data was collected: the notice they were shown, the
/// purposes they consented to (the others are recorded as refused), and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choices {
    pub notice_version: i32,
    pub consents: Vec<Purpose>,
    pub channel: Channel,
}

impl Choices {
    /// The choices as an idempotency fingerprint part.
    pub fn fingerprint(&self) -> String {
        let mut p: Vec<&str> = self.consents.iter().map(|p| p.as_str()).collect();
        p.sort_unstable();
        format!(
            "{}:{}:{}",
            self.notice_version,
            self.channel.as_str(),
            p.join(",")
        )
    }
}

/// Whose personal data a record is about.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Subject {
    /// An account holder.
    Account(String),
    /// The filer of a complaint (anonymous or not).
    Complaint(String),
    /// A business's contact person at a dialogue.
    DialogueContact { dialogue: String, business: String },
}

/// Checks that the notice the person was shown is the current one: consent to an outdated
/// text is not informed. `field` is the input's name (`input.privacy`).
pub async fn check_choices(db: &DatabaseConnection, field: &str, c: &Choices) -> AppResult<()> {
    let current = notice::current(db).await?;
    if c.notice_version != current.version {
        return Err(AppError::bad_input(
            format!("{field}.noticeVersion"),
            format!(
                "Thông báo xử lý dữ liệu cá nhân đã được cập nhật (phiên bản {}). Hãy hiển thị bản mới và hỏi lại sự đồng ý.",
                current.version
            ),
            format!(
                "The personal-data notice has changed (version {}). Show the new one and ask for consent again.",
                current.version
            ),
        ));
    }
    Ok(())
}

/// Records one row per purpose (granted or refused) for `subject`, and the step.
pub async fn record_choices(
    txn: &impl ConnectionTrait,
    subject: &Subject,
    c: &Choices,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<(), sea_orm::DbErr> {
    let (account, complaint, dialogue, business) = subject_columns(subject);
    for p in PURPOSES {
        consent::ActiveModel {
            id: Set(uuid::Uuid::now_v7().to_string()),
            account_id: Set(account.clone()),
            complaint_id: Set(complaint.clone()),
            dialogue_id: Set(dialogue.clone()),
            business_id: Set(business.clone()),
            purpose: Set(p.as_str().to_string()),
            granted: Set(c.consents.contains(&p)),
            notice_version: Set(c.notice_version),
            channel: Set(c.channel.as_str().to_string()),
            recorded_at: Set(now),
            withdrawn_at: Set(None),
            withdrawn_via: Set(None),
        }
        .insert(txn)
        .await?;
    }
    let granted: Vec<&str> = c.consents.iter().map(|p| p.as_str()).collect();
    log(
        txn,
        Step {
            complaint_id: complaint,
            account_id: account,
            action: "CONSENT_RECORDED",
            note: Some(format!(
                "notice v{} via {}: {}",
                c.notice_version,
                c.channel.as_str(),
                if granted.is_empty() {
                    "none granted".to_string()
                } else {
                    granted.join(", ")
                }
            )),
            ..Step::new(actor, now)
        },
    )
    .await
}

fn subject_columns(
    s: &Subject,
) -> (
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
) {
    match s {
        Subject::Account(a) => (Some(a.clone()), None, None, None),
        Subject::Complaint(c) => (None, Some(c.clone()), None, None),
        Subject::DialogueContact { dialogue, business } => {
            (None, None, Some(dialogue.clone()), Some(business.clone()))
        }
    }
}

/// The consent rows of a subject, oldest first.
pub async fn consents_of(db: &impl ConnectionTrait, s: &Subject) -> AppResult<Vec<consent::Model>> {
    let q = consent::Entity::find();
    let q = match s {
        Subject::Account(a) => q.filter(consent::Column::AccountId.eq(a.clone())),
        Subject::Complaint(c) => q.filter(consent::Column::ComplaintId.eq(c.clone())),
        Subject::DialogueContact { dialogue, business } => q
            .filter(consent::Column::DialogueId.eq(dialogue.clone()))
            .filter(consent::Column::BusinessId.eq(business.clone())),
    };
    Ok(q.order_by_asc(consent::Column::RecordedAt).all(db).await?)
}

/// Whether `subject` has a standing consent to `purpose`: the latest answer granted it and was
/// not withdrawn.
pub async fn has_consent(
    db: &impl ConnectionTrait,
    s: &Subject,
    purpose: Purpose,
) -> AppResult<bool> {
    Ok(consents_of(db, s)
        .await?
        .into_iter()
        .rev()
        .find(|c| c.purpose == purpose.as_str())
        .is_some_and(|c| c.granted && c.withdrawn_at.is_none()))
}

/// Withdraws the standing consents of `subject` (to `purpose`, or all), at once; returns how
/// many were withdrawn. `via` is the request's id, or `DIRECT`.
pub async fn withdraw_all(
    txn: &impl ConnectionTrait,
    s: &Subject,
    purpose: Option<Purpose>,
    via: &str,
    actor: &Actor,
    now: DateTime<Utc>,
) -> AppResult<usize> {
    let standing: Vec<consent::Model> = consents_of(txn, s)
        .await?
        .into_iter()
        .filter(|c| c.granted && c.withdrawn_at.is_none())
        .filter(|c| purpose.is_none_or(|p| c.purpose == p.as_str()))
        .collect();
    let (account, complaint, _, _) = subject_columns(s);
    for c in &standing {
        let mut m: consent::ActiveModel = c.clone().into();
        m.withdrawn_at = Set(Some(now));
        m.withdrawn_via = Set(Some(via.to_string()));
        m.update(txn).await?;
        log(
            txn,
            Step {
                complaint_id: complaint.clone(),
                account_id: account.clone(),
                request_id: (via != DIRECT).then(|| via.to_string()),
                action: "CONSENT_WITHDRAWN",
                note: Some(c.purpose.clone()),
                ..Step::new(actor, now)
            },
        )
        .await?;
    }
    Ok(standing.len())
}

/// `withdrawn_via` of a consent withdrawn by the person directly (not through a request).
pub const DIRECT: &str = "DIRECT";

/// One step on personal data, for `privacy_events`.
pub struct Step {
    pub request_id: Option<String>,
    pub complaint_id: Option<String>,
    pub account_id: Option<String>,
    pub action: &'static str,
    pub actor_role: Option<String>,
    pub actor_account_id: Option<String>,
    pub at: DateTime<Utc>,
    pub note: Option<String>,
}

impl Step {
    /// A step by `actor` at `at`, about nothing yet.
    pub fn new(actor: &Actor, at: DateTime<Utc>) -> Step {
        use sea_orm::ActiveEnum;
        let p = actor.principal();
        Step {
            request_id: None,
            complaint_id: None,
            account_id: None,
            action: "",
            actor_role: p.map(|p| p.role.to_value()),
            actor_account_id: p.and_then(|p| p.account_id.clone()),
            at,
            note: None,
        }
    }

    /// A step taken by the system itself (retention).
    pub fn system(at: DateTime<Utc>) -> Step {
        Step {
            actor_role: Some("SYSTEM".into()),
            ..Step::new(&Actor::Anonymous, at)
        }
    }
}

/// Writes a step.
pub async fn log(txn: &impl ConnectionTrait, s: Step) -> Result<(), sea_orm::DbErr> {
    privacy_event::ActiveModel {
        id: Set(uuid::Uuid::now_v7().to_string()),
        request_id: Set(s.request_id),
        complaint_id: Set(s.complaint_id),
        account_id: Set(s.account_id),
        action: Set(s.action.to_string()),
        actor_role: Set(s.actor_role),
        actor_account_id: Set(s.actor_account_id),
        at: Set(s.at),
        note: Set(s.note),
    }
    .insert(txn)
    .await
    .map(|_| ())
}

/// Withdraws one consent at once: the account that gave it, or the filer of its item (signed
/// in, or with the phone or e-mail given with it).
pub async fn withdraw_one(
    state: &crate::state::AppState,
    actor: &Actor,
    client: std::net::IpAddr,
    id: &str,
    contact: Option<&str>,
) -> AppResult<consent::Model> {
    let not_found = || AppError::not_found("Không tìm thấy sự đồng ý.", "No such consent.");
    let c = consent::Entity::find_by_id(id.to_string())
        .one(&state.db)
        .await?
        .ok_or_else(not_found)?;
    let caller = actor.principal().and_then(|p| p.account_id.as_deref());
    let mine = match (&c.account_id, &c.complaint_id) {
        (Some(a), _) => caller == Some(a.as_str()),
        (None, Some(cid)) => match entity::complaint::Entity::find_by_id(cid.clone())
            .one(&state.db)
            .await?
        {
            Some(item) => {
                crate::access::is_filing_account(actor, &item)
                    || crate::complaints::proves_filer(state, actor, client, &item, contact).await?
            }
            None => false,
        },
        _ => false,
    };
    // Someone else's consent is not confirmed to exist.
    if !mine {
        return Err(not_found());
    }
    if !c.granted || c.withdrawn_at.is_some() {
        return Ok(c);
    }
    let now = crate::clock::now();
    let txn = crate::db::begin(&state.db).await?;
    let mut m: consent::ActiveModel = c.clone().into();
    m.withdrawn_at = Set(Some(now));
    m.withdrawn_via = Set(Some(DIRECT.to_string()));
    let m = m.update(&*txn).await?;
    log(
        &*txn,
        Step {
            complaint_id: c.complaint_id.clone(),
            account_id: c.account_id.clone(),
            action: "CONSENT_WITHDRAWN",
            note: Some(c.purpose.clone()),
            ..Step::new(actor, now)
        },
    )
    .await?;
    txn.commit().await?;
    Ok(m)
}

/// The consent rows of complaints' filers, by complaint id, oldest first: one query per batch.
pub struct ConsentsLoader(pub DatabaseConnection);

impl async_graphql::dataloader::Loader<String> for ConsentsLoader {
    type Value = Vec<consent::Model>;
    type Error = AppError;

    async fn load(
        &self,
        keys: &[String],
    ) -> Result<std::collections::HashMap<String, Self::Value>, Self::Error> {
        let rows = consent::Entity::find()
            .filter(consent::Column::ComplaintId.is_in(keys.iter().cloned()))
            .order_by_asc(consent::Column::RecordedAt)
            .all(&self.0)
            .await?;
        let mut out: std::collections::HashMap<String, Self::Value> =
            keys.iter().map(|k| (k.clone(), vec![])).collect();
        for r in rows {
            if let Some(k) = r.complaint_id.clone() {
                out.entry(k).or_default().push(r);
            }
        }
        Ok(out)
    }
}

/// Whether the latest answer to `purpose` among `rows` grants it and stands.
pub fn standing(rows: &[consent::Model], purpose: Purpose) -> bool {
    rows.iter()
        .rev()
        .find(|c| c.purpose == purpose.as_str())
        .is_some_and(|c| c.granted && c.withdrawn_at.is_none())
}
