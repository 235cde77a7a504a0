//! The breach register: a personal-data breach is recorded with the time it was discovered,
//! and must be reported to the specialised data-protection authority within 72 hours of that
//! (Law 91/2025/QH15 Art. 23). The register shows the deadline and what was reported.

use chrono::{DateTime, Duration, Utc};
use entity::breach;
use sea_orm::{ActiveModelTrait, DatabaseConnection, EntityTrait, QueryOrder, QuerySelect, Set};

use crate::auth::Actor;
use crate::error::{AppError, AppResult};

/// Hours from discovery to the report.
pub const REPORT_HOURS: i64 = 72;

pub fn report_due(b: &breach::Model) -> DateTime<Utc> {
    b.discovered_at + Duration::hours(REPORT_HOURS)
}

pub struct NewBreach {
    pub description: String,
    pub discovered_at: DateTime<Utc>,
    pub people_affected: Option<i32>,
    pub data_kinds: Option<String>,
}

pub async fn record(
    db: &DatabaseConnection,
    actor: &Actor,
    i: NewBreach,
) -> AppResult<breach::Model> {
    let p = crate::access::require_data_protection(actor)?;
    let description = crate::text::required("description", &i.description, 10_000)?;
    let now = crate::clock::now();
    if i.discovered_at > now + Duration::minutes(5) {
        return Err(AppError::bad_input(
            "discoveredAt",
            "Thời điểm phát hiện không được ở tương lai.",
            "The discovery time cannot be in the future.",
        ));
    }
    if i.people_affected.is_some_and(|n| n < 0) {
        return Err(AppError::bad_input(
            "peopleAffected",
            "Số người bị ảnh hưởng không được âm.",
            "The number of people affected cannot be negative.",
        ));
    }
    let kinds = i
        .data_kinds
        .map(|k| crate::text::clean("dataKinds", &k, 2000))
        .transpose()?
        .filter(|k| !k.is_empty());
    let txn = crate::db::begin(db).await?;
    let m = breach::ActiveModel {
        id: Set(uuid::Uuid::now_v7().to_string()),
        description: Set(description),
        discovered_at: Set(i.discovered_at),
        recorded_at: Set(now),
        recorded_by: Set(p.account_id.clone()),
        people_affected: Set(i.people_affected),
        data_kinds: Set(kinds),
        reported_at: Set(None),
        reported_to: Set(None),
        report_reference: Set(None),
        reported_by: Set(None),
    }
    .insert(&*txn)
    .await?;
    super::log(
        &*txn,
        super::Step {
            action: "BREACH_RECORDED",
            note: Some(m.id.clone()),
            ..super::Step::new(actor, now)
        },
    )
    .await?;
    txn.commit().await?;
    Ok(m)
}

pub async fn report(
    db: &DatabaseConnection,
    actor: &Actor,
    id: &str,
    reported_at: DateTime<Utc>,
    reported_to: &str,
    reference: Option<&str>,
) -> AppResult<breach::Model> {
    let p = crate::access::require_data_protection(actor)?;
    let to = crate::text::required("reportedTo", reported_to, 500)?;
    let reference = reference
        .map(|r| crate::text::one_line("reference", r, 200))
        .transpose()?;
    let b = breach::Entity::find_by_id(id.to_string())
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("Không tìm thấy vụ vi phạm.", "No such breach."))?;
    if b.reported_at.is_some() {
        return Err(AppError::conflict(
            "Vụ vi phạm này đã được báo cáo.",
            "This breach was already reported.",
        ));
    }
    let now = crate::clock::now();
    if reported_at < b.discovered_at || reported_at > now + Duration::minutes(5) {
        return Err(AppError::bad_input(
            "reportedAt",
            "Thời điểm báo cáo phải sau khi phát hiện và không ở tương lai.",
            "The report time must be after the discovery and not in the future.",
        ));
    }
    let txn = crate::db::begin(db).await?;
    let mut m: breach::ActiveModel = b.into();
    m.reported_at = Set(Some(reported_at));
    m.reported_to = Set(Some(to));
    m.report_reference = Set(reference);
    m.reported_by = Set(p.account_id.clone());
    let m = m.update(&*txn).await?;
    super::log(
        &*txn,
        super::Step {
            action: "BREACH_REPORTED",
            note: Some(m.id.clone()),
            ..super::Step::new(actor, now)
        },
    )
    .await?;
    txn.commit().await?;
    Ok(m)
}

pub async fn list(
    db: &DatabaseConnection,
    actor: &Actor,
    page: &crate::pagination::Page,
) -> AppResult<(u64, Vec<breach::Model>)> {
    use sea_orm::PaginatorTrait;
    crate::access::require_data_protection(actor)?;
    let total = breach::Entity::find().count(db).await?;
    let rows = breach::Entity::find()
        .order_by_desc(breach::Column::DiscoveredAt)
        .offset(page.offset)
        .limit(page.limit)
        .all(db)
        .await?;
    Ok((total, rows))
}
