//! What of a complaint's text its public view masks: what the detector finds ([`super::mask`])
//! unless staff unmasked it as a false positive, and what staff masked besides.

use std::collections::HashMap;

use async_graphql::dataloader::Loader;
use entity::{complaint, complaint_mask};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Set,
};

use super::mask::{self, Finding, Kind};
use crate::auth::Actor;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// Decisions one `setComplaintMasks` may take, and a complaint may hold: each is looked for in
/// the text on every public read.
pub const MAX_DECISIONS_AT_ONCE: usize = 20;
pub const MAX_DECISIONS: u64 = 60;

/// A text of a complaint that may be published.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, async_graphql::Enum)]
#[graphql(name = "ComplaintTextField")]
pub enum TextField {
    Title,
    Body,
    Answer,
}

impl TextField {
    pub fn as_str(self) -> &'static str {
        match self {
            TextField::Title => "TITLE",
            TextField::Body => "BODY",
            TextField::Answer => "ANSWER",
        }
    }
    pub fn of(self, c: &complaint::Model) -> &str {
        match self {
            TextField::Title => &c.title,
            TextField::Body => &c.body,
            TextField::Answer => c.answer.as_deref().unwrap_or(""),
        }
    }
}

/// Who decided a piece is masked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, async_graphql::Enum)]
#[graphql(name = "MaskSource")]
pub enum Source {
    /// Found by the detector.
    Detected,
    /// Masked by staff.
    Staff,
}

/// One piece of personal data in a text, and whether the public view masks it.
#[derive(Debug, Clone)]
pub struct Piece {
    pub field: TextField,
    pub finding: Finding,
    pub masked: bool,
    pub source: Source,
}

/// The pieces of one field of a complaint, in order.
pub fn pieces(text: &str, field: TextField, decisions: &[complaint_mask::Model]) -> Vec<Piece> {
    let of_field = |d: &&complaint_mask::Model| d.field == field.as_str();
    let mut out: Vec<Piece> = mask::detect(text)
        .into_iter()
        .map(|f| Piece {
            field,
            masked: !decisions
                .iter()
                .filter(of_field)
                .any(|d| !d.masked && d.text == f.text),
            finding: f,
            source: Source::Detected,
        })
        .collect();
    for d in decisions.iter().filter(of_field).filter(|d| d.masked) {
        for f in mask::find_all(text, &d.text) {
            if !out
                .iter()
                .any(|p| p.finding.start <= f.start && f.end <= p.finding.end && p.masked)
            {
                out.push(Piece {
                    field,
                    finding: f,
                    masked: true,
                    source: Source::Staff,
                });
            }
        }
    }
    out.sort_by_key(|p| p.finding.start);
    out
}

/// The text as the public reads it.
pub fn public_text(text: &str, field: TextField, decisions: &[complaint_mask::Model]) -> String {
    let masked: Vec<Finding> = pieces(text, field, decisions)
        .into_iter()
        .filter(|p| p.masked)
        .map(|p| p.finding)
        .collect();
    if masked.is_empty() {
        return text.to_string();
    }
    mask::mask(text, &masked)
}

/// The text with every piece masked for good (anonymisation): what is detected, unmasked or
/// not, and what staff masked.
pub fn redacted(text: &str, field: TextField, decisions: &[complaint_mask::Model]) -> String {
    let all: Vec<Finding> = pieces(text, field, decisions)
        .into_iter()
        .map(|p| p.finding)
        .collect();
    if all.is_empty() {
        return text.to_string();
    }
    mask::mask(text, &all)
}

/// A complaint's staff decisions.
pub async fn decisions(
    db: &impl sea_orm::ConnectionTrait,
    complaint_id: &str,
) -> AppResult<Vec<complaint_mask::Model>> {
    Ok(complaint_mask::Entity::find()
        .filter(complaint_mask::Column::ComplaintId.eq(complaint_id))
        .order_by_asc(complaint_mask::Column::SetAt)
        .all(db)
        .await?)
}

/// Staff decisions by complaint id, batched.
pub struct DecisionsLoader(pub DatabaseConnection);

impl Loader<String> for DecisionsLoader {
    type Value = Vec<complaint_mask::Model>;
    type Error = AppError;

    async fn load(&self, keys: &[String]) -> Result<HashMap<String, Self::Value>, Self::Error> {
        let rows = complaint_mask::Entity::find()
            .filter(complaint_mask::Column::ComplaintId.is_in(keys.iter().cloned()))
            .order_by_asc(complaint_mask::Column::SetAt)
            .all(&self.0)
            .await
            .map_err(AppError::from)?;
        let mut out: HashMap<String, Self::Value> =
            keys.iter().map(|k| (k.clone(), vec![])).collect();
        for r in rows {
            out.entry(r.complaint_id.clone()).or_default().push(r);
        }
        Ok(out)
    }
}

/// A piece of text staff mask or unmask.
#[derive(Debug, Clone)]
pub struct MaskText {
    pub field: TextField,
    pub text: String,
}

/// Staff of the assigned unit (and admins) unmask false positives and mask what the detector
/// missed. Each text must occur in its field.
pub async fn set(
    state: &AppState,
    actor: &Actor,
    complaint_id: &str,
    unmask: Vec<MaskText>,
    add: Vec<MaskText>,
) -> AppResult<complaint::Model> {
    let c = complaint::Entity::find_by_id(complaint_id.to_string())
        .one(&state.db)
        .await?
        .ok_or_else(|| AppError::not_found("Không tìm thấy phản ánh.", "No such complaint."))?;
    let scope = crate::access::act_scope(&state.db, actor).await?;
    if actor.principal().is_none() || !scope.covers(&c.assigned_unit_id) {
        return Err(AppError::not_allowed());
    }
    let rows = checked(&c, &unmask, &add)?;
    {
        use sea_orm::PaginatorTrait;
        let held = complaint_mask::Entity::find()
            .filter(complaint_mask::Column::ComplaintId.eq(c.id.clone()))
            .count(&state.db)
            .await?;
        if held + rows.len() as u64 > MAX_DECISIONS {
            return Err(AppError::bad_input(
                "input",
                format!("Một phản ánh giữ tối đa {MAX_DECISIONS} quyết định che hoặc bỏ che."),
                format!("A complaint holds at most {MAX_DECISIONS} masking decisions."),
            ));
        }
    }
    let now = crate::clock::now();
    let txn = crate::db::begin(&state.db).await?;
    for (field, text, masked) in &rows {
        complaint_mask::Entity::delete_many()
            .filter(complaint_mask::Column::ComplaintId.eq(c.id.clone()))
            .filter(complaint_mask::Column::Field.eq(field.as_str()))
            .filter(complaint_mask::Column::Text.eq(text.clone()))
            .exec(&*txn)
            .await?;
        complaint_mask::ActiveModel {
            id: Set(uuid::Uuid::now_v7().to_string()),
            complaint_id: Set(c.id.clone()),
            field: Set(field.as_str().to_string()),
            text: Set(text.clone()),
            masked: Set(*masked),
            set_by: Set(actor.principal().and_then(|p| p.account_id.clone())),
            set_at: Set(now),
        }
        .insert(&*txn)
        .await?;
        super::log(
            &*txn,
            super::Step {
                complaint_id: Some(c.id.clone()),
                action: if *masked {
                    "TEXT_MASKED"
                } else {
                    "TEXT_UNMASKED"
                },
                // The log holds no personal data: the field and the kind of piece only.
                note: Some(format!(
                    "{} ({})",
                    field.as_str(),
                    mask::detect(text)
                        .first()
                        .map_or(Kind::Other, |f| f.kind)
                        .as_str()
                )),
                ..super::Step::new(actor, now)
            },
        )
        .await?;
    }
    txn.commit().await?;
    Ok(c)
}

/// Pieces that no official may publish: ID numbers and tax codes (a false positive is rare,
/// and the harm of a true one is not), and the filer's own phone or e-mail.
fn never_unmasked(c: &complaint::Model, f: &Finding) -> bool {
    let digits: String = f.text.chars().filter(char::is_ascii_digit).collect();
    let own_phone = c.contact_phone.as_deref().is_some_and(|p| {
        let p: String = p.chars().filter(char::is_ascii_digit).collect();
        !p.is_empty() && (digits.ends_with(&p[1..]) || digits == p)
    });
    let own_email = c
        .contact_email
        .as_deref()
        .is_some_and(|e| f.text.to_lowercase().contains(&e.to_lowercase()));
    matches!(f.kind, Kind::IdNumber | Kind::TaxCode) || own_phone || own_email
}

/// The decisions asked for, each checked: a text of 1 to 500 characters that occurs in its
/// field, and for an unmasking, a piece the detector found.
fn checked(
    c: &complaint::Model,
    unmask: &[MaskText],
    add: &[MaskText],
) -> AppResult<Vec<(TextField, String, bool)>> {
    let mut rows = vec![];
    if unmask.len() + add.len() > MAX_DECISIONS_AT_ONCE {
        return Err(AppError::bad_input(
            "input",
            format!("Tối đa {MAX_DECISIONS_AT_ONCE} đoạn mỗi lần."),
            format!("At most {MAX_DECISIONS_AT_ONCE} pieces at once."),
        ));
    }
    for (list, masked, name) in [(unmask, false, "unmask"), (add, true, "mask")] {
        for (i, m) in list.iter().enumerate() {
            let t = crate::text::nfc(m.text.trim());
            let field = format!("input.{name}[{i}].text");
            if t.chars().count() < 3 || t.chars().count() > 500 {
                return Err(AppError::bad_input(
                    field,
                    "Đoạn văn bản phải có từ 3 đến 500 ký tự.",
                    "The text must have 3 to 500 characters.",
                ));
            }
            if !m.field.of(c).contains(&t) {
                return Err(AppError::bad_input(
                    field,
                    format!("Không thấy đoạn {t:?} trong {}.", m.field.as_str()),
                    format!("{t:?} does not occur in {}.", m.field.as_str()),
                ));
            }
            if !masked {
                let Some(found) = mask::detect(m.field.of(c))
                    .into_iter()
                    .find(|f| f.text == t)
                else {
                    return Err(AppError::bad_input(
                        field,
                        "Chỉ bỏ che được đúng một đoạn đã được phát hiện (xem personalData).",
                        "Only a piece the detector found can be unmasked (see personalData).",
                    ));
                };
                if never_unmasked(c, &found) {
                    return Err(AppError::bad_input(
                        field,
                        "Không được công khai số định danh, mã số thuế hay liên hệ của người gửi.",
                        "An ID number, a tax code or the filer's own contact is never published.",
                    ));
                }
            }
            rows.push((m.field, t, masked));
        }
    }
    Ok(rows)
}
