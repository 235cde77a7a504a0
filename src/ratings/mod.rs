//! Satisfaction ratings (đánh giá sự hài lòng) by component, and the satisfaction they add up to.
//!
//! A rating with a dossier code is verified: its unit and procedure come from the dossier, and a
//! dossier is rated once, by its filer (who proves it with the rating code printed on the
//! receipt, or by being the signed-in business that filed it; see `crate::access`). A rating without one (a kiosk at the counter) is unverified: it is
//! reported apart and feeds no index. The rater's identity is kept for admins only.

pub mod graphql;
pub mod self_rating;
pub mod stats;
pub mod tally;

use std::net::IpAddr;

use chrono::{DateTime, Utc};
use entity::procedure_unit;
use entity::rating::{self, Channel};
use entity::rating_score::{self, Component};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

use crate::access;
use crate::auth::Actor;
use crate::auth::limits::{self, CodeGuess};
use crate::error::{AppError, AppResult};
use crate::idempotency::{Claim, IdempotencyKey};
use crate::state::AppState;
use crate::text;

/// Input of `submitRating`.
#[derive(Debug, Clone, Default)]
pub struct RatingInput {
    pub dossier_code: Option<String>,
    /// The rating code printed on the dossier's receipt.
    pub rating_code: Option<String>,
    pub unit: Option<String>,
    pub procedure: Option<String>,
    pub scores: Vec<(Component, i32)>,
    pub comment: Option<String>,
    pub channel: Option<Channel>,
    pub idempotency_key: Option<String>,
}

/// A stored rating with its answered components.
#[derive(Debug, Clone)]
pub struct StoredRating {
    pub rating: rating::Model,
    pub scores: Vec<rating_score::Model>,
}

fn validate_scores(scores: &[(Component, i32)]) -> AppResult<()> {
    if scores.is_empty() {
        return Err(AppError::bad_input(
            "scores",
            "Cần chấm điểm ít nhất một tiêu chí.",
            "Score at least one component.",
        ));
    }
    for (i, (c, s)) in scores.iter().enumerate() {
        if !(1..=5).contains(s) {
            return Err(AppError::bad_input(
                format!("scores[{i}].score"),
                format!("Điểm phải từ 1 đến 5 (nhận {s})."),
                format!("Scores run from 1 to 5 (got {s})."),
            ));
        }
        if scores[..i].iter().any(|(d, _)| d == c) {
            return Err(AppError::bad_input(
                format!("scores[{i}].component"),
                format!("Tiêu chí {c:?} được chấm hai lần."),
                format!("Component {c:?} is scored twice."),
            ));
        }
    }
    Ok(())
}

async fn load(db: &impl sea_orm::ConnectionTrait, r: rating::Model) -> AppResult<StoredRating> {
    let scores = rating_score::Entity::find()
        .filter(rating_score::Column::RatingId.eq(r.id.as_str()))
        .all(db)
        .await?;
    Ok(StoredRating { rating: r, scores })
}

/// Submits a rating. The input is validated first; a retry by the same caller with the same
/// `idempotencyKey` and input returns the first result, with another input it is `CONFLICT`; a
/// second rating of one dossier is `CONFLICT`.
pub async fn submit(
    state: &AppState,
    actor: &Actor,
    client: IpAddr,
    i: RatingInput,
) -> AppResult<StoredRating> {
    let key = IdempotencyKey::parse_opt(i.idempotency_key.as_deref())?;
    validate_scores(&i.scores)?;
    let comment = i
        .comment
        .as_deref()
        .map(|c| text::clean("comment", c, 2000))
        .transpose()?
        .filter(|c| !c.is_empty());

    let (dossier, unit_id, procedure_id) = match i
        .dossier_code
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
    {
        Some(code) => {
            let d = crate::dossiers::from_input(&state.db, code).await?;
            if i.unit.as_deref().is_some_and(|u| u != d.unit_id)
                || i.procedure.as_deref().is_some_and(|p| p != d.procedure_id)
            {
                return Err(AppError::bad_input(
                    "unit",
                    "Đơn vị hoặc thủ tục không khớp với hồ sơ; có thể bỏ trống để lấy theo hồ sơ.",
                    "The unit or procedure does not match the dossier; leave them out to use the dossier's.",
                ));
            }
            let (u, p) = (d.unit_id.clone(), Some(d.procedure_id.clone()));
            (Some(d), u, p)
        }
        None => {
            let unit_id = i.unit.clone().ok_or_else(|| {
                AppError::bad_input(
                    "unit",
                    "Cần mã hồ sơ, hoặc đơn vị được đánh giá.",
                    "Give a dossier code, or the unit being rated.",
                )
            })?;
            // A unit rated without a dossier is rated as it is today: it must exist.
            crate::units::history::require_on(&state.db, "unit", &unit_id, crate::clock::today())
                .await?;
            if let Some(p) = &i.procedure {
                let performed = procedure_unit::Entity::find()
                    .filter(procedure_unit::Column::ProcedureId.eq(p.as_str()))
                    .filter(procedure_unit::Column::UnitId.eq(unit_id.as_str()))
                    .count(&state.db)
                    .await?;
                if performed == 0 {
                    return Err(AppError::bad_input(
                        "procedure",
                        "Đơn vị không thực hiện thủ tục này.",
                        "The unit does not perform this procedure.",
                    ));
                }
            }
            (None, unit_id, i.procedure.clone())
        }
    };
    let channel = i.channel.unwrap_or(if dossier.is_some() {
        Channel::Web
    } else {
        Channel::Kiosk
    });
    let claim = key.map(|k| {
        use sea_orm::ActiveEnum;
        let mut parts: Vec<String> = vec![
            dossier.as_ref().map(|d| d.id.clone()).unwrap_or_default(),
            unit_id.clone(),
            procedure_id.clone().unwrap_or_default(),
            channel.to_value(),
            comment.clone().unwrap_or_default(),
        ];
        parts.extend(
            i.scores
                .iter()
                .map(|(c, s)| format!("{}={s}", c.to_value())),
        );
        let parts: Vec<&str> = parts.iter().map(String::as_str).collect();
        Claim::new(
            access::idempotency_owner(actor, client),
            "submitRating",
            k,
            &parts,
        )
    });
    // A retry returns what the first attempt stored, before any later check can refuse it.
    if let Some(c) = &claim
        && let Some(id) = c.prior(&state.db).await?
    {
        return by_id(state, &id).await;
    }
    let client_hash = self_rating::client_hash(&state.config, client);
    // Staff rate nothing, a kiosk rating of their own unit included: it would move the unit's
    // published satisfaction.
    access::require_not_staff_for_rating(actor)?;
    if let Some(d) = &dossier {
        prove_filer(state, actor, client, d, i.rating_code.as_deref()).await?;
        self_rating::refuse_from_staff_address(&state.db, d, &client_hash).await?;
        access::actions::dossier_state(d, access::DossierAction::Rate, crate::clock::now())?;
    }
    limits::submission(&state.limits, &state.config, actor, client).await?;
    let verified = dossier.is_some();
    let dossier_id = dossier.map(|d| d.id);

    let now = crate::clock::now();
    let model = rating::Model {
        id: uuid::Uuid::now_v7().to_string(),
        dossier_id,
        unit_id,
        procedure_id,
        verified,
        channel,
        comment,
        rater_account_id: actor.principal().and_then(|p| p.account_id.clone()),
        idempotency_key: None,
        month: month_of(now),
        created_at: now,
        client_hash: Some(client_hash),
    };
    let scores: Vec<rating_score::Model> = i
        .scores
        .iter()
        .map(|(c, s)| rating_score::Model {
            rating_id: model.id.clone(),
            component: *c,
            score: *s,
        })
        .collect();
    // Write first inside the transaction: the unique keys on dossier and idempotency key decide
    // between concurrent submissions, and SQLite takes its write lock at the first write.
    let txn = crate::db::begin(&state.db).await?;
    let written = match &claim {
        Some(c) => c.record(&txn, &model.id).await,
        None => Ok(()),
    };
    let written = match written {
        Ok(()) => rating::ActiveModel::from(model.clone())
            .insert(&txn)
            .await
            .map(|_| ()),
        Err(e) => Err(e),
    };
    match written {
        Ok(()) => {}
        Err(e) => {
            drop(txn);
            if matches!(
                e.sql_err(),
                Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
            ) {
                if let Some(c) = &claim
                    && let Some(id) = c.prior(&state.db).await?
                {
                    return by_id(state, &id).await;
                }
                return Err(AppError::conflict(
                    "Hồ sơ này đã được đánh giá. Mỗi hồ sơ chỉ được đánh giá một lần.",
                    "This dossier has already been rated. A dossier is rated once.",
                ));
            }
            return Err(AppError::internal(e));
        }
    }
    rating_score::Entity::insert_many(scores.iter().cloned().map(rating_score::ActiveModel::from))
        .exec(&txn)
        .await?;
    let answers: Vec<tally::Answer> = scores
        .iter()
        .map(|s| tally::Answer {
            unit_id: &model.unit_id,
            month: &model.month,
            verified: model.verified,
            component: s.component,
            score: s.score,
        })
        .collect();
    tally::add(&txn, &answers).await?;
    // The procedure's and unit's satisfaction changed: their documents are refreshed (once per
    // indexer batch, however many ratings arrived meanwhile).
    use crate::search::{IndexKind, outbox};
    if let Some(p) = &model.procedure_id {
        outbox::enqueue(&txn, IndexKind::Procedures, std::slice::from_ref(p)).await?;
    }
    outbox::enqueue(&txn, IndexKind::Units, std::slice::from_ref(&model.unit_id)).await?;
    txn.commit().await?;
    state.indexer_wake.wake();
    Ok(StoredRating {
        rating: model,
        scores,
    })
}

async fn by_id(state: &AppState, id: &str) -> AppResult<StoredRating> {
    let r = rating::Entity::find_by_id(id.to_string())
        .one(&state.db)
        .await?
        .ok_or_else(|| AppError::internal("a retry key names a rating that is gone"))?;
    load(&state.db, r).await
}

/// `FORBIDDEN` unless the caller is the dossier's filer: the signed-in business whose tax code
/// filed it, or whoever holds the rating code from the receipt. Wrong codes are limited per
/// dossier, counted before they are checked.
async fn prove_filer(
    state: &AppState,
    actor: &Actor,
    client: IpAddr,
    d: &entity::dossier::Model,
    rating_code: Option<&str>,
) -> AppResult<()> {
    let business_tax = match actor.principal().and_then(|p| p.business_id.clone()) {
        Some(b) => entity::business::Entity::find_by_id(b)
            .one(&state.db)
            .await?
            .map(|b| b.tax_code),
        None => None,
    };
    if access::require_rating_proof(d, business_tax.as_deref(), None).is_ok() {
        return Ok(());
    }
    let proof = access::require_rating_proof(d, None, rating_code);
    CodeGuess::check(
        &state.limits,
        &state.config,
        format!("dossier:{}", d.id),
        client,
        proof.is_ok(),
    )
    .await?;
    proof
}

/// `YYYY-MM` of an instant in the city's time zone.
pub fn month_of(t: DateTime<Utc>) -> String {
    crate::clock::local(t).format("%Y-%m").to_string()
}
