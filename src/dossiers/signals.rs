//! The signals of a unit recording dossiers to its own advantage: the people measured record
//! the facts, and a dossier received and completed within the hour by the unit's own staff
//! account adds an on-time dossier that nobody else saw. Evaluators read, per unit and month,
//! how many of the unit's dossiers its staff recorded themselves and how many of those were
//! completed within an hour of receipt.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use entity::dossier;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};

use crate::auth::Actor;
use crate::error::AppResult;
use crate::state::AppState;

/// A dossier completed within this many minutes of its receipt is quick.
pub const QUICK_MINUTES: i64 = 60;

/// One unit's month.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DossierSignals {
    pub unit_id: String,
    /// Dossiers recorded during the month.
    pub recorded: u64,
    /// Of those, recorded by a staff account rather than the one-stop-shop system.
    pub by_staff: u64,
    /// Of those, completed within [`QUICK_MINUTES`] of receipt.
    pub quick: u64,
}

impl DossierSignals {
    /// `quick` as a share of `by_staff`, in percent.
    pub fn quick_share(&self) -> Option<f64> {
        (self.by_staff > 0).then(|| 100.0 * self.quick as f64 / self.by_staff as f64)
    }
}

/// A dossier's unit, recorder, receipt and completion.
type Recorded = (String, String, DateTime<Utc>, Option<DateTime<Utc>>);

/// Whether a recorder is a staff account (integration tokens are `script:…`; imports and seeds
/// name themselves).
fn is_staff_account(recorded_by: &str) -> bool {
    !recorded_by.starts_with(crate::auth::jwt::SCRIPT_SUBJECT_PREFIX)
        && !matches!(recorded_by, "import" | "demo" | "system")
}

/// The signals of every unit (or one) for the month `[from, to)`: evaluators and admins.
pub async fn signals(
    state: &AppState,
    actor: &Actor,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    unit: Option<&str>,
) -> AppResult<Vec<DossierSignals>> {
    crate::access::require_par_evaluator(actor)?;
    let mut q = dossier::Entity::find()
        .select_only()
        .column(dossier::Column::UnitId)
        .column(dossier::Column::RecordedBy)
        .column(dossier::Column::ReceivedAt)
        .column(dossier::Column::CompletedAt)
        .filter(dossier::Column::CreatedAt.gte(from))
        .filter(dossier::Column::CreatedAt.lt(to));
    if let Some(u) = unit {
        q = q.filter(dossier::Column::UnitId.eq(u));
    }
    let rows: Vec<Recorded> = q.into_tuple().all(&state.db).await?;
    let mut by_unit: BTreeMap<String, DossierSignals> = BTreeMap::new();
    for (unit_id, by, received, completed) in rows {
        let s = by_unit
            .entry(unit_id.clone())
            .or_insert_with(|| DossierSignals {
                unit_id,
                ..Default::default()
            });
        s.recorded += 1;
        if is_staff_account(&by) {
            s.by_staff += 1;
            if completed.is_some_and(|c| c - received <= chrono::Duration::minutes(QUICK_MINUTES)) {
                s.quick += 1;
            }
        }
    }
    let mut out: Vec<DossierSignals> = by_unit.into_values().collect();
    out.sort_by(|a, b| {
        b.quick
            .cmp(&a.quick)
            .then_with(|| a.unit_id.cmp(&b.unit_id))
    });
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recorders_are_told_apart() {
        assert!(is_staff_account("01a25057-05fc-76fe-a332-2692c615a570"));
        assert!(!is_staff_account("script:official"));
        assert!(!is_staff_account("import"));
        let s = DossierSignals {
            by_staff: 4,
            quick: 3,
            ..Default::default()
        };
        assert_eq!(s.quick_share(), Some(75.0));
        assert_eq!(DossierSignals::default().quick_share(), None);
    }
}
