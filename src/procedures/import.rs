//! `portal import procedures FILE`: CSV (with a header) or JSON lines, idempotent on the
//! procedure code. Each row is validated and written in its own transaction, so a bad row is
//! reported with its line number and nothing of it is written, while good rows go in.
//!
//! Columns / keys: `code, name, field, level, processing_days, one_day, online_level, units` and optionally
//! `receipt_cutoff` (`HH:MM`, empty for none; absent: 15:00 for same-day procedures),
//! where `units` lists unit codes separated by `;` (or a JSON array). `level` is
//! CITY/DISTRICT/WARD/COMMUNE (or tỉnh/huyện/phường/xã); `online_level` NONE/PARTIAL/FULL.

use std::collections::HashMap;
use std::path::Path;

use entity::procedure::{Level, OnlineLevel};
use entity::unit;
use sea_orm::{DatabaseConnection, EntityTrait};
use serde::Deserialize;

use super::{ProcedureInput, Upserted};
use crate::error::{AppError, Lang};
pub use crate::import::ImportReport;
use crate::import::read_rows;

#[derive(Debug, Deserialize)]
struct Row {
    code: String,
    name: String,
    field: String,
    level: String,
    processing_days: serde_json::Value,
    #[serde(default)]
    one_day: Option<serde_json::Value>,
    #[serde(default)]
    online_level: Option<String>,
    #[serde(default)]
    units: Option<serde_json::Value>,
    /// `HH:MM`; absent for the default (15:00 for same-day procedures).
    #[serde(default)]
    receipt_cutoff: Option<String>,
}

fn parse_level(s: &str) -> Option<Level> {
    match crate::text::fold(s).as_str() {
        "city" | "tinh" | "cap tinh" | "thanh pho" => Some(Level::City),
        "district" | "huyen" | "cap huyen" | "quan" => Some(Level::District),
        "ward" | "phuong" => Some(Level::Ward),
        "commune" | "xa" | "cap xa" | "phuong xa" => Some(Level::Commune),
        _ => None,
    }
}

fn parse_online(s: &str) -> Option<OnlineLevel> {
    match crate::text::fold(s).as_str() {
        "" | "none" | "khong" => Some(OnlineLevel::None),
        "partial" | "mot phan" => Some(OnlineLevel::Partial),
        "full" | "toan trinh" => Some(OnlineLevel::Full),
        _ => None,
    }
}

fn parse_bool(v: &serde_json::Value) -> Option<bool> {
    match v {
        serde_json::Value::Bool(b) => Some(*b),
        serde_json::Value::Null => Some(false),
        serde_json::Value::Number(n) => n.as_i64().map(|n| n != 0),
        serde_json::Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "" | "0" | "false" | "no" | "khong" => Some(false),
            "1" | "true" | "yes" | "x" | "co" => Some(true),
            _ => None,
        },
        _ => None,
    }
}

fn bad(field: &str, en: String) -> AppError {
    AppError::bad_input(field, en.clone(), en)
}

fn to_input(row: Row, units_by_code: &HashMap<String, String>) -> Result<ProcedureInput, AppError> {
    let level = parse_level(&row.level).ok_or_else(|| {
        bad(
            "level",
            format!(
                "level {:?} is not CITY, DISTRICT, WARD or COMMUNE",
                row.level
            ),
        )
    })?;
    let processing_days = match &row.processing_days {
        serde_json::Value::Number(n) => n.as_i64(),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
    .and_then(|n| i32::try_from(n).ok())
    .ok_or_else(|| {
        bad(
            "processing_days",
            format!(
                "processing_days {} is not a whole number",
                row.processing_days
            ),
        )
    })?;
    let one_day = match &row.one_day {
        None => false,
        Some(v) => parse_bool(v)
            .ok_or_else(|| bad("one_day", format!("one_day {v} is not true or false")))?,
    };
    let online_level = match &row.online_level {
        None => OnlineLevel::None,
        Some(s) => parse_online(s).ok_or_else(|| {
            bad(
                "online_level",
                format!("online_level {s:?} is not NONE, PARTIAL or FULL"),
            )
        })?,
    };
    let codes: Vec<String> = match &row.units {
        None | Some(serde_json::Value::Null) => vec![],
        Some(serde_json::Value::String(s)) => s
            .split([';', ','])
            .map(|c| c.trim().to_uppercase())
            .filter(|c| !c.is_empty())
            .collect(),
        Some(serde_json::Value::Array(a)) => a
            .iter()
            .filter_map(|v| v.as_str())
            .map(|c| c.trim().to_uppercase())
            .collect(),
        Some(v) => {
            return Err(bad(
                "units",
                format!("units {v} is not a list of unit codes"),
            ));
        }
    };
    let mut units = Vec::with_capacity(codes.len());
    for c in codes {
        units.push(
            units_by_code
                .get(&c)
                .cloned()
                .ok_or_else(|| bad("units", format!("unit code {c} is not in the catalog")))?,
        );
    }
    Ok(ProcedureInput {
        code: row.code,
        name: row.name,
        field: row.field,
        level: Some(level),
        processing_days,
        one_day,
        online_level: Some(online_level),
        units,
        retired: false,
        receipt_cutoff: match row.receipt_cutoff.as_deref().map(str::trim) {
            None => None,
            Some(c) => Some(super::parse_cutoff(c)?),
        },
    })
}

/// Imports a file; rows are reported, not fatal. Fails only when the file cannot be read.
pub async fn import_file(
    db: &DatabaseConnection,
    path: &Path,
    progress: bool,
) -> anyhow::Result<ImportReport> {
    let rows = read_rows::<Row>(path)?;
    let units_by_code: HashMap<String, String> = unit::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.code, u.id))
        .collect();
    let bar = crate::import::progress(rows.len(), "importing procedures", progress);
    let mut report = ImportReport::default();
    for (line, row) in rows {
        let outcome = match row {
            Err(e) => Err(e),
            Ok(row) => match to_input(row, &units_by_code) {
                Err(e) => Err(e.message(Lang::En)),
                Ok(input) => match super::validate(db, input).await {
                    Err(e) => Err(e.message(Lang::En)),
                    Ok(v) => super::upsert(db, v)
                        .await
                        .map(|(_, how)| how)
                        .map_err(|e| e.message(Lang::En)),
                },
            },
        };
        match outcome {
            Ok(Upserted::Created) => report.created += 1,
            Ok(Upserted::Updated) => report.updated += 1,
            Err(msg) => report.rejected.push((line, msg)),
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    Ok(report)
}
