//! `portal import dossiers FILE`: the one-stop-shop system's export, CSV (with a header) or
//! JSON lines, idempotent on the dossier code (a row for a known code only adds its completion).
//!
//! Columns / keys: `code, procedure_code, unit_code, filer_kind, tax_code, received_at,
//! completed_at`, and optionally `rating_code` (the code printed on the receipt for rating;
//! drawn here when absent), `channel` (ONLINE or IN_PERSON), `due_at` (the appointment the
//! one-stop-shop system gave; computed when absent), `apology_issued_at`, `apology_reason`,
//! `apology_new_due_at` (none for an apology at hand-over) and `delay_excused` (why a delay was
//! not the agency's fault). Times are RFC 3339 (`2026-04-24T09:00:00+07:00`) or `YYYY-MM-DD HH:MM` in the
//! city's time zone; `filer_kind` is CITIZEN or BUSINESS (default CITIZEN).

use std::collections::HashMap;
use std::path::Path;

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use entity::dossier::FilerKind;
use entity::{procedure, unit};
use sea_orm::{DatabaseConnection, EntityTrait};
use serde::Deserialize;

use super::NewDossier;
use crate::calendar::Calendar;
use crate::error::Lang;
pub use crate::import::ImportReport;

#[derive(Debug, Deserialize)]
struct Row {
    code: String,
    procedure_code: String,
    unit_code: String,
    #[serde(default)]
    filer_kind: Option<String>,
    #[serde(default)]
    tax_code: Option<String>,
    received_at: String,
    #[serde(default)]
    completed_at: Option<String>,
    /// The rating code printed on the receipt, when the one-stop-shop system prints its own.
    #[serde(default)]
    rating_code: Option<String>,
    /// ONLINE or IN_PERSON (default).
    #[serde(default)]
    channel: Option<String>,
    /// The appointment the one-stop-shop system gave.
    #[serde(default)]
    due_at: Option<String>,
    #[serde(default)]
    apology_issued_at: Option<String>,
    #[serde(default)]
    apology_reason: Option<String>,
    #[serde(default)]
    apology_new_due_at: Option<String>,
    /// Why the delay was not the agency's fault.
    #[serde(default)]
    delay_excused: Option<String>,
}

fn opt_time(field: &str, v: &Option<String>) -> Result<Option<DateTime<Utc>>, String> {
    match v.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => parse_time(field, s).map(Some),
        None => Ok(None),
    }
}

/// Parses an RFC 3339 time, or `YYYY-MM-DD HH:MM[:SS]` in the city's time zone.
pub fn parse_time(field: &str, s: &str) -> Result<DateTime<Utc>, String> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    for f in [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(n) = NaiveDateTime::parse_from_str(s, f) {
            return Ok(crate::clock::city_offset()
                .from_local_datetime(&n)
                .single()
                .expect("a fixed offset has no gaps")
                .with_timezone(&Utc));
        }
    }
    Err(format!(
        "{field} {s:?} is not a time like 2026-04-24T09:00:00+07:00 or 2026-04-24 09:00"
    ))
}

fn to_input(
    row: Row,
    procedures: &HashMap<String, String>,
    units: &HashMap<String, String>,
) -> Result<NewDossier, String> {
    let pc = row.procedure_code.trim().to_uppercase();
    let uc = row.unit_code.trim().to_uppercase();
    let procedure_id = procedures
        .get(&pc)
        .cloned()
        .ok_or_else(|| format!("procedure code {pc} is not in the catalog"))?;
    let unit_id = units
        .get(&uc)
        .cloned()
        .ok_or_else(|| format!("unit code {uc} is not in the catalog"))?;
    let filer_kind = match row
        .filer_kind
        .as_deref()
        .map(|s| s.trim().to_ascii_uppercase())
        .as_deref()
    {
        None | Some("") | Some("CITIZEN") => FilerKind::Citizen,
        Some("BUSINESS") => FilerKind::Business,
        Some(other) => return Err(format!("filer_kind {other:?} is not CITIZEN or BUSINESS")),
    };
    let received_at = parse_time("received_at", &row.received_at)?;
    let completed_at = opt_time("completed_at", &row.completed_at)?;
    let online = match row
        .channel
        .as_deref()
        .map(|s| s.trim().to_ascii_uppercase().replace('-', "_"))
        .as_deref()
    {
        None | Some("") | Some("IN_PERSON") | Some("DIRECT") => false,
        Some("ONLINE") => true,
        Some(other) => return Err(format!("channel {other:?} is not ONLINE or IN_PERSON")),
    };
    let apology = match opt_time("apology_issued_at", &row.apology_issued_at)? {
        None => None,
        Some(issued_at) => Some(super::ApologyRecord {
            issued_at,
            reason: row
                .apology_reason
                .clone()
                .filter(|r| !r.trim().is_empty())
                .ok_or("apology_issued_at needs an apology_reason")?,
            new_due_at: opt_time("apology_new_due_at", &row.apology_new_due_at)?,
        }),
    };
    Ok(NewDossier {
        code: row.code,
        procedure_id,
        unit_id,
        filer_kind,
        tax_code: row.tax_code,
        received_at: Some(received_at),
        completed_at,
        rating_code: row.rating_code,
        online,
        due_at: opt_time("due_at", &row.due_at)?,
        apology,
        delay_excused: row.delay_excused.filter(|r| !r.trim().is_empty()),
    })
}

/// A receipt to print: a new dossier's code and the rating code drawn for it (the export gave
/// none). The portal keeps only the code's hash, so this is the one time it can be read.
pub type Receipt = (String, String);

/// Imports a file; bad rows are reported by line, not fatal. Returns the report and the
/// receipts of the dossiers whose rating codes were drawn here.
pub async fn import_file(
    db: &DatabaseConnection,
    cal: &Calendar,
    path: &Path,
    progress: bool,
) -> anyhow::Result<(ImportReport, Vec<Receipt>)> {
    let rows = crate::import::read_rows::<Row>(path)?;
    let procedures: HashMap<String, String> = procedure::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.code, p.id))
        .collect();
    let units: HashMap<String, String> = unit::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.code, u.id))
        .collect();
    let bar = crate::import::progress(rows.len(), "importing dossiers", progress);
    let mut report = ImportReport::default();
    let mut receipts = Vec::new();
    for (line, row) in rows {
        let outcome = match row.and_then(|r| to_input(r, &procedures, &units)) {
            Err(e) => Err(e),
            Ok(input) => {
                let drawn = input.rating_code.is_none();
                match super::validate(db, cal, "import", super::Recorder::System, input).await {
                    Err(e) => Err(e.message(Lang::En)),
                    Ok(v) => {
                        let receipt = (v.code().to_string(), v.rating_code.clone());
                        let created = super::upsert(db, cal, v)
                            .await
                            .map_err(|e| e.message(Lang::En));
                        if drawn && created == Ok(true) {
                            receipts.push(receipt);
                        }
                        created
                    }
                }
            }
        };
        match outcome {
            Ok(true) => report.created += 1,
            Ok(false) => report.updated += 1,
            Err(msg) => report.rejected.push((line, msg)),
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    Ok((report, receipts))
}
