//! Units through time. A unit keeps its id and code for life; its name, block and parent come
//! in versions, each in force from a date until the next; and when a unit ends, succession
//! links (many-to-many, dated, of a kind) say which units carry on its work. A past year is
//! therefore shown with the units, names and blocks it had, and today's figures can roll past
//! units up into the units that carry on their work.

use std::collections::{HashMap, HashSet};

use chrono::{Duration, NaiveDate};
use entity::unit_succession;
use entity::{unit, unit_version};
use sea_orm::{DatabaseConnection, EntityTrait, QueryOrder};

use crate::error::{AppError, AppResult};

/// Every version and succession link, indexed both ways.
#[derive(Debug, Default)]
pub struct UnitHistory {
    /// By unit, oldest first.
    versions: HashMap<String, Vec<unit_version::Model>>,
    /// By predecessor, in their order.
    successors: HashMap<String, Vec<unit_succession::Model>>,
    /// By successor.
    predecessors: HashMap<String, Vec<unit_succession::Model>>,
}

impl UnitHistory {
    pub async fn load(db: &DatabaseConnection) -> AppResult<UnitHistory> {
        let mut h = UnitHistory::default();
        for v in unit_version::Entity::find()
            .order_by_asc(unit_version::Column::ValidFrom)
            .all(db)
            .await?
        {
            h.versions.entry(v.unit_id.clone()).or_default().push(v);
        }
        for s in unit_succession::Entity::find()
            .order_by_asc(unit_succession::Column::Position)
            .order_by_asc(unit_succession::Column::EffectiveOn)
            .all(db)
            .await?
        {
            h.successors
                .entry(s.predecessor_id.clone())
                .or_default()
                .push(s.clone());
            h.predecessors
                .entry(s.successor_id.clone())
                .or_default()
                .push(s);
        }
        Ok(h)
    }

    /// The history from the catalog's snapshot (see `crate::catalog`).
    pub async fn cached(state: &crate::state::AppState) -> AppResult<std::sync::Arc<UnitHistory>> {
        state
            .catalog
            .history
            .get(|db| async move { UnitHistory::load(&db).await })
            .await
    }

    pub fn versions(&self, id: &str) -> &[unit_version::Model] {
        self.versions.get(id).map(Vec::as_slice).unwrap_or_default()
    }

    /// The version in force on `d`: the last one starting on or before it.
    pub fn version_at(&self, id: &str, d: NaiveDate) -> Option<&unit_version::Model> {
        self.versions(id).iter().rev().find(|v| v.valid_from <= d)
    }

    pub fn successors(&self, id: &str) -> &[unit_succession::Model] {
        self.successors
            .get(id)
            .map(Vec::as_slice)
            .unwrap_or_default()
    }

    pub fn predecessors(&self, id: &str) -> &[unit_succession::Model] {
        self.predecessors
            .get(id)
            .map(Vec::as_slice)
            .unwrap_or_default()
    }

    /// Every unit whose work passed to `id`, directly or through others (not `id` itself).
    pub fn all_predecessors(&self, id: &str) -> Vec<String> {
        let mut seen = HashSet::from([id.to_string()]);
        let mut out = Vec::new();
        let mut todo = vec![id.to_string()];
        while let Some(u) = todo.pop() {
            for p in self.predecessors(&u) {
                if seen.insert(p.predecessor_id.clone()) {
                    out.push(p.predecessor_id.clone());
                    todo.push(p.predecessor_id.clone());
                }
            }
        }
        out
    }

    /// The units in existence on `on` that carry on `id`'s work: `id` itself when it exists
    /// then, else its successors (followed through later reorganisations), in link order.
    pub fn carriers_on(
        &self,
        units: &HashMap<String, unit::Model>,
        id: &str,
        on: NaiveDate,
    ) -> Vec<String> {
        let mut out = Vec::new();
        let mut seen = HashSet::new();
        self.collect_carriers(units, id, on, &mut seen, &mut out);
        out
    }

    fn collect_carriers(
        &self,
        units: &HashMap<String, unit::Model>,
        id: &str,
        on: NaiveDate,
        seen: &mut HashSet<String>,
        out: &mut Vec<String>,
    ) {
        if !seen.insert(id.to_string()) {
            return;
        }
        if units.get(id).is_some_and(|u| exists_on(u, on)) {
            out.push(id.to_string());
            return;
        }
        for s in self.successors(id) {
            if s.effective_on <= on {
                self.collect_carriers(units, &s.successor_id, on, seen, out);
            }
        }
    }
}

/// Whether the unit exists on `d`.
pub fn exists_on(u: &unit::Model, d: NaiveDate) -> bool {
    u.valid_from <= d && u.valid_to.is_none_or(|t| t >= d)
}

/// The unit as it was in `v`: the same id, code and validity with that version's name, block
/// and parent.
pub fn as_of(u: &unit::Model, v: &unit_version::Model) -> unit::Model {
    unit::Model {
        name: v.name.clone(),
        name_folded: v.name_folded.clone(),
        short_name: v.short_name.clone(),
        block: v.block,
        parent_id: v.parent_id.clone(),
        ..u.clone()
    }
}

/// The unit as it was on `d`: the version in force then, its first version for a day before
/// it existed, itself when it has no versions.
pub fn unit_at(h: &UnitHistory, u: &unit::Model, d: NaiveDate) -> unit::Model {
    match h.version_at(&u.id, d).or_else(|| h.versions(&u.id).first()) {
        Some(v) => as_of(u, v),
        None => u.clone(),
    }
}

/// The unit `id`, which must exist on `on` (the day a dossier was received, a rating or a
/// complaint is made); otherwise `BAD_USER_INPUT` on `field` naming the units that took over
/// its work.
pub async fn require_on(
    db: &DatabaseConnection,
    field: &str,
    id: &str,
    on: NaiveDate,
) -> AppResult<unit::Model> {
    let u = super::require(db, field, id).await?;
    if exists_on(&u, on) {
        return Ok(u);
    }
    if on < u.valid_from {
        return Err(AppError::bad_input(
            field,
            format!(
                "Đơn vị {} chỉ hoạt động từ ngày {}; ngày {on} đơn vị chưa tồn tại.",
                u.name, u.valid_from
            ),
            format!(
                "Unit {} exists from {} only; it did not exist on {on}.",
                u.name, u.valid_from
            ),
        ));
    }
    let h = UnitHistory::load(db).await?;
    let units = crate::db::by_id::<unit::Entity>(unit::Entity::find().all(db).await?);
    let carriers: Vec<&unit::Model> = h
        .carriers_on(&units, &u.id, on)
        .iter()
        .filter_map(|id| units.get(id))
        .collect();
    let end = u.valid_to.unwrap_or(on);
    let (vi, en) = if carriers.is_empty() {
        (
            "chưa ghi nhận đơn vị tiếp nhận công việc; vui lòng chọn đơn vị đang giải quyết việc này".to_string(),
            "no successor is recorded; choose the unit that handles this matter now".to_string(),
        )
    } else {
        let names = carriers
            .iter()
            .map(|c| format!("{} ({})", c.name, c.code))
            .collect::<Vec<_>>()
            .join(", ");
        (
            format!("công việc của đơn vị do {names} tiếp nhận"),
            format!("its work passed to {names}"),
        )
    };
    Err(AppError::bad_input(
        field,
        format!(
            "Đơn vị {} đã ngừng hoạt động từ ngày {}; {vi}.",
            u.name,
            end + Duration::days(1)
        ),
        format!(
            "Unit {} ceased to exist on {}; {en}.",
            u.name,
            end + Duration::days(1)
        ),
    ))
}
