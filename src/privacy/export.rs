//! The copy of a person's data: every record the portal keeps about them (their account, the
//! items they filed with their events, their consents, their requests and the steps on them,
//! the log of staff reads of their contact, their ratings and sign-ins), and nothing about
//! anyone else: no official's account, no other filer, a reader of their contact named by role
//! and unit only.

use entity::{complaint, complaint_event, privacy_event, privacy_request, rating, session};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};

use super::Subject;
use crate::error::AppResult;

fn t(d: &chrono::DateTime<chrono::Utc>) -> String {
    crate::scalars::Instant::print(d)
}

fn ot(d: &Option<chrono::DateTime<chrono::Utc>>) -> Value {
    d.as_ref().map_or(Value::Null, |d| Value::String(t(d)))
}

/// Builds the copy for `s`.
pub async fn build(db: &impl ConnectionTrait, s: &Subject) -> AppResult<Value> {
    let items = super::requests::complaints_of(db, s).await?;
    let ids: Vec<String> = items.iter().map(|c| c.id.clone()).collect();
    let events = if ids.is_empty() {
        vec![]
    } else {
        complaint_event::Entity::find()
            .filter(complaint_event::Column::ComplaintId.is_in(ids.clone()))
            .order_by_asc(complaint_event::Column::At)
            .all(db)
            .await?
    };
    let mut consents = super::consents_of(db, s).await?;
    if let Subject::Account(_) = s {
        for id in &ids {
            consents.extend(super::consents_of(db, &Subject::Complaint(id.clone())).await?);
        }
    }
    let (account_id, account) = match s {
        Subject::Account(a) => (
            Some(a.clone()),
            entity::account::Entity::find_by_id(a.clone())
                .one(db)
                .await?,
        ),
        _ => (None, None),
    };
    let (requests, steps) = requests_and_steps(db, account_id.as_deref(), &ids).await?;
    let reads = super::reads::of_complaints(db, &ids).await?;
    let (ratings, sessions) = match &account_id {
        Some(a) => ratings_and_sessions(db, a).await?,
        None => (vec![], vec![]),
    };
    let dossier_codes = {
        let dids: Vec<String> = items.iter().filter_map(|c| c.dossier_id.clone()).collect();
        entity::dossier::Entity::find()
            .filter(entity::dossier::Column::Id.is_in(dids))
            .all(db)
            .await?
            .into_iter()
            .map(|d| (d.id, d.code))
            .collect::<std::collections::HashMap<_, _>>()
    };
    Ok(json!({
        "madeAt": t(&crate::clock::now()),
        "controller": "Ủy ban nhân dân Thành phố — Cổng Góp Ý",
        "account": account.map(account_json),
        "complaints": items.iter().map(|c| complaint_json(c, &events, dossier_codes.get(c.dossier_id.as_deref().unwrap_or("")))).collect::<Vec<_>>(),
        "consents": consents.iter().map(|c| json!({
            "id": c.id,
            "complaintCode": c.complaint_id.as_ref().and_then(|id| items.iter().find(|i| &i.id == id)).map(|i| i.code.clone()),
            "purpose": c.purpose,
            "granted": c.granted,
            "noticeVersion": c.notice_version,
            "channel": c.channel,
            "recordedAt": t(&c.recorded_at),
            "withdrawnAt": ot(&c.withdrawn_at),
        })).collect::<Vec<_>>(),
        "requests": requests.iter().map(|r| json!({
            "code": r.code,
            "kind": r.kind,
            "status": r.status,
            "receivedAt": t(&r.received_at),
            "acknowledgeDueAt": t(&r.acknowledge_due_at),
            "acknowledgedAt": ot(&r.acknowledged_at),
            "dueAt": t(&r.due_at),
            "extensionReason": r.extension_reason,
            "completedAt": ot(&r.completed_at),
            "outcome": r.outcome,
            "outcomeNote": r.outcome_note,
            "details": r.details,
        })).collect::<Vec<_>>(),
        "steps": steps.iter().map(|e| json!({
            "at": t(&e.at),
            "action": e.action,
            "byRole": e.actor_role,
            "note": e.note,
        })).collect::<Vec<_>>(),
        "contactReads": reads.iter().map(|r| json!({
            "at": t(&r.at),
            "complaintCode": r.complaint_id.as_ref().and_then(|id| items.iter().find(|i| &i.id == id)).map(|i| i.code.clone()),
            "field": r.field,
            "readerRole": r.reader_role,
            "readerUnitId": r.reader_unit_id,
        })).collect::<Vec<_>>(),
        "ratings": ratings.iter().map(|r| json!({
            "id": r.id,
            "unitId": r.unit_id,
            "procedureId": r.procedure_id,
            "month": r.month,
            "comment": r.comment,
            "createdAt": t(&r.created_at),
        })).collect::<Vec<_>>(),
        "signIns": sessions.iter().map(|s| json!({
            "at": t(&s.created_at),
            "expiresAt": t(&s.expires_at),
            "endedAt": ot(&s.ended_at),
        })).collect::<Vec<_>>(),
    }))
}

/// The requests about the account or the items, and the steps on them, oldest first.
async fn requests_and_steps(
    db: &impl ConnectionTrait,
    account_id: Option<&str>,
    ids: &[String],
) -> AppResult<(Vec<privacy_request::Model>, Vec<privacy_event::Model>)> {
    let mut by = sea_orm::Condition::any();
    let mut ev_by = sea_orm::Condition::any();
    if let Some(a) = account_id {
        by = by.add(privacy_request::Column::AccountId.eq(a));
        ev_by = ev_by.add(privacy_event::Column::AccountId.eq(a));
    }
    if !ids.is_empty() {
        by = by.add(privacy_request::Column::ComplaintId.is_in(ids.to_vec()));
        ev_by = ev_by.add(privacy_event::Column::ComplaintId.is_in(ids.to_vec()));
    }
    // Nothing to be about: nothing (an empty condition would match every row).
    if account_id.is_none() && ids.is_empty() {
        return Ok((vec![], vec![]));
    }
    let requests = privacy_request::Entity::find()
        .filter(by)
        .order_by_asc(privacy_request::Column::ReceivedAt)
        .all(db)
        .await?;
    let steps = privacy_event::Entity::find()
        .filter(ev_by)
        .order_by_asc(privacy_event::Column::At)
        .all(db)
        .await?;
    Ok((requests, steps))
}

async fn ratings_and_sessions(
    db: &impl ConnectionTrait,
    account_id: &str,
) -> AppResult<(Vec<rating::Model>, Vec<session::Model>)> {
    Ok((
        rating::Entity::find()
            .filter(rating::Column::RaterAccountId.eq(account_id))
            .order_by_asc(rating::Column::CreatedAt)
            .all(db)
            .await?,
        session::Entity::find()
            .filter(session::Column::AccountId.eq(account_id))
            .order_by_asc(session::Column::CreatedAt)
            .all(db)
            .await?,
    ))
}

fn account_json(a: entity::account::Model) -> Value {
    use sea_orm::ActiveEnum;
    json!({
        "id": a.id,
        "username": a.username,
        "displayName": a.display_name,
        "email": a.email,
        "phone": a.phone,
        "pendingEmail": a.pending_email,
        "pendingPhone": a.pending_phone,
        "role": a.role.to_value(),
        "createdAt": t(&a.created_at),
        "claimedTaxCode": a.claim_tax_code,
        "claimedBusinessName": a.claim_business_name,
        "noticeVersion": a.notice_version,
        "deletedAt": ot(&a.deleted_at),
    })
}

fn complaint_json(
    c: &complaint::Model,
    events: &[complaint_event::Model],
    dossier_code: Option<&String>,
) -> Value {
    json!({
        "code": c.code,
        "kind": c.kind,
        "category": c.category,
        "unitId": c.unit_id,
        "assignedUnitId": c.assigned_unit_id,
        "procedureId": c.procedure_id,
        "dossierCode": dossier_code,
        "title": c.title,
        "body": c.body,
        "contact": {"name": c.contact_name, "phone": c.contact_phone, "email": c.contact_email},
        "status": c.status,
        "receivedAt": t(&c.received_at),
        "answer": c.answer,
        "answeredAt": ot(&c.answered_at),
        "published": c.published,
        "filerSatisfied": c.filer_satisfied,
        "filerComment": c.filer_comment,
        "closedAt": ot(&c.closed_at),
        "noticeVersion": c.notice_version,
        "anonymisedAt": ot(&c.anonymised_at),
        "restrictedAt": ot(&c.restricted_at),
        "events": events.iter().filter(|e| e.complaint_id == c.id).map(|e| json!({
            "at": t(&e.at),
            "action": e.action,
            "fromStatus": e.from_status,
            "toStatus": e.to_status,
            "byRole": e.actor_role,
            "note": e.note,
        })).collect::<Vec<_>>(),
    })
}

/// The copy of each person a request asks for, built once per request.
pub struct CopyLoader(pub sea_orm::DatabaseConnection);

impl async_graphql::dataloader::Loader<Subject> for CopyLoader {
    type Value = Value;
    type Error = crate::error::AppError;

    async fn load(
        &self,
        keys: &[Subject],
    ) -> Result<std::collections::HashMap<Subject, Value>, Self::Error> {
        let mut out = std::collections::HashMap::new();
        for k in keys {
            out.insert(k.clone(), build(&self.0, k).await?);
        }
        Ok(out)
    }
}
