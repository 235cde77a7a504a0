//! Open data: a published year's PAR index as CSV (UTF-8 with a byte-order mark, so that
//! spreadsheet programs read the Vietnamese names right) and as JSON, one row per unit with the
//! columns of `parIndex`. Unpublished years are not served.

use entity::unit::Block;
use sea_orm::{ActiveEnum, DatabaseConnection};
use serde::Serialize;

use super::{AreaPoints, Entry, Status};
use crate::error::{AppError, AppResult};

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OpenRow {
    pub year: i32,
    pub block: String,
    pub unit_code: String,
    pub unit_name: String,
    pub total: f64,
    pub band: String,
    pub rank: Option<i32>,
    pub block_size: Option<u32>,
    pub previous_total: Option<f64>,
    pub areas: Vec<AreaPoints>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OpenTable {
    pub year: i32,
    pub imported: bool,
    pub source: Option<String>,
    pub published_at: Option<String>,
    pub rows: Vec<OpenRow>,
}

/// The published table of `year`, or `NOT_FOUND`.
pub async fn table(db: &DatabaseConnection, year: i32) -> AppResult<OpenTable> {
    let not_published = || {
        AppError::not_found(
            format!("Chỉ số CCHC năm {year} chưa được công bố."),
            format!("The {year} PAR index is not published."),
        )
    };
    let p = super::find_period(db, year)
        .await?
        .filter(|p| p.status == Status::Published)
        .ok_or_else(not_published)?;
    let (entries, sizes) = super::table(db, &p, None::<Block>).await?;
    Ok(OpenTable {
        year,
        imported: p.model.imported,
        source: p.model.source.clone(),
        published_at: p
            .model
            .published_at
            .map(|t| crate::clock::local(t).to_rfc3339()),
        rows: entries
            .into_iter()
            .map(|e: Entry| OpenRow {
                year,
                block: e.unit.block.to_value(),
                unit_code: e.unit.code.clone(),
                unit_name: e.unit.name.clone(),
                total: e.result.total,
                band: e.result.band.clone(),
                rank: e.result.rank,
                block_size: sizes.get(&e.unit.block.to_value()).copied(),
                previous_total: e.previous_total,
                areas: e.areas,
            })
            .collect(),
    })
}

/// A text cell a spreadsheet would take for a formula (`=`, `+`, `-`, `@`, a tab or a carriage
/// return first) is prefixed with an apostrophe.
fn cell(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    }
}

/// The CSV: fixed columns, then one column per area of the template (`area_<code>`), points.
pub fn csv(t: &OpenTable) -> AppResult<Vec<u8>> {
    let mut area_codes: Vec<String> = Vec::new();
    for r in &t.rows {
        for a in &r.areas {
            if !area_codes.contains(&a.code) {
                area_codes.push(a.code.clone());
            }
        }
    }
    let mut w = csv::Writer::from_writer(vec![0xEF, 0xBB, 0xBF]);
    let mut header: Vec<String> = [
        "year",
        "block",
        "unit_code",
        "unit_name",
        "total",
        "band",
        "rank",
        "block_size",
        "previous_total",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    header.extend(area_codes.iter().map(|c| format!("area_{c}")));
    w.write_record(&header).map_err(AppError::internal)?;
    let num = |v: f64| format!("{v:.2}");
    for r in &t.rows {
        let mut rec = vec![
            r.year.to_string(),
            r.block.clone(),
            cell(&r.unit_code),
            cell(&r.unit_name),
            num(r.total),
            cell(&r.band),
            r.rank.map(|x| x.to_string()).unwrap_or_default(),
            r.block_size.map(|x| x.to_string()).unwrap_or_default(),
            r.previous_total.map(num).unwrap_or_default(),
        ];
        for c in &area_codes {
            rec.push(
                r.areas
                    .iter()
                    .find(|a| &a.code == c)
                    .map(|a| num(a.points))
                    .unwrap_or_default(),
            );
        }
        w.write_record(&rec).map_err(AppError::internal)?;
    }
    w.into_inner().map_err(AppError::internal)
}
