//! `portal import par-results FILE --year Y`: a year published outside the portal (the city's
//! own decision), loaded as a read-only period: per unit its total, band and rank where
//! published, and the size of each block. Nothing else is invented: a unit the file does not
//! name is simply absent from that year.
//!
//! Columns: `unit_code,block,total,band,rank,block_size` (rank empty in an unranked block). The
//! whole file is checked first; one bad row refuses the import and writes nothing.

use std::collections::HashMap;

use entity::unit::{self, Block};
use entity::{par_period, par_period_unit, par_result};
use sea_orm::{
    ActiveEnum, ColumnTrait, DatabaseConnection, EntityTrait, Iterable, QueryFilter, Set,
};
use serde::Deserialize;

use super::{Band, BlockRule, Status, check_year};
use crate::import::ImportReport;

#[derive(Debug, Deserialize)]
struct Row {
    unit_code: String,
    block: String,
    total: f64,
    band: String,
    #[serde(default)]
    rank: Option<u32>,
    #[serde(default)]
    block_size: Option<u32>,
}

/// The 2022 results published by the city (Decision announced on 27 April 2023, see
/// `../shared/reference/`): only the six units whose figures the article gives.
pub const REFERENCE_2022: &str = include_str!("../../config/par-results-2022.csv");
pub const REFERENCE_2022_SOURCE: &str = "Quyết định phê duyệt và công bố Chỉ số CCHC năm 2022 của UBND TP.HCM (tin ngày 27/04/2023): chỉ 6 đơn vị có điểm được nêu trong bản tin";

pub async fn import_file(
    db: &DatabaseConnection,
    path: &std::path::Path,
    year: i32,
    source: Option<String>,
) -> anyhow::Result<ImportReport> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
    let source = source.unwrap_or_else(|| {
        path.file_name()
            .map(|f| f.to_string_lossy().to_string())
            .unwrap_or_default()
    });
    import_text(db, &text, year, &source).await
}

pub async fn import_text(
    db: &DatabaseConnection,
    text: &str,
    year: i32,
    source: &str,
) -> anyhow::Result<ImportReport> {
    check_year("year", year).map_err(|e| anyhow::anyhow!(e.message(crate::error::Lang::En)))?;
    let rows = crate::import::rows_of::<Row>(text, text.trim_start().starts_with('{'))?;
    let bar = crate::import::progress(rows.len(), "par results", false);
    let mut report = ImportReport::default();
    let units: HashMap<String, unit::Model> = unit::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.code.clone(), u))
        .collect();
    let h = crate::units::history::UnitHistory::load(db).await?;
    let mut good: Vec<(unit::Model, Block, Row)> = Vec::new();
    let mut sizes: HashMap<Block, u32> = HashMap::new();
    for (line, r) in rows {
        bar.inc(1);
        let r = match r {
            Ok(r) => r,
            Err(e) => {
                report.rejected.push((line, e));
                continue;
            }
        };
        let code = r.unit_code.trim().to_uppercase();
        let Some(u) = units.get(&code) else {
            report
                .rejected
                .push((line, format!("no unit has code {code}")));
            continue;
        };
        let Some(then) = super::in_year(&h, u, year) else {
            report
                .rejected
                .push((line, format!("unit {code} did not exist in {year}")));
            continue;
        };
        let Some(block) = Block::iter().find(|b| b.to_value() == r.block.trim().to_uppercase())
        else {
            report.rejected.push((
                line,
                format!(
                    "block {} is not DEPARTMENT, VERTICAL_AGENCY, DISTRICT or COMMUNE",
                    r.block
                ),
            ));
            continue;
        };
        if !(r.total.is_finite() && (0.0..=100.0).contains(&r.total)) {
            report
                .rejected
                .push((line, format!("total {} is not between 0 and 100", r.total)));
            continue;
        }
        if r.band.trim().is_empty() {
            report.rejected.push((line, "band is empty".into()));
            continue;
        }
        if let Some(s) = r.block_size {
            if let Some(prev) = sizes.get(&block)
                && *prev != s
            {
                report.rejected.push((
                    line,
                    format!("block {} has size {prev} on another row", block.to_value()),
                ));
                continue;
            }
            sizes.insert(block, s);
        }
        if let (Some(rank), Some(size)) = (r.rank, r.block_size.or(sizes.get(&block).copied()))
            && (rank == 0 || rank > size)
        {
            report
                .rejected
                .push((line, format!("rank {rank} is outside 1..{size}")));
            continue;
        }
        if good.iter().any(|(g, _, _)| g.id == u.id) {
            report
                .rejected
                .push((line, format!("unit {code} appears twice")));
            continue;
        }
        good.push((then, block, r));
    }
    bar.finish_and_clear();
    if !report.rejected.is_empty() {
        return Ok(report);
    }
    if let Some(p) = par_period::Entity::find_by_id(year).one(db).await?
        && !p.imported
    {
        anyhow::bail!(
            "the {year} period was computed in the portal; an imported year cannot replace it"
        );
    }
    let mut bands: Vec<Band> = Vec::new();
    for (_, _, r) in &good {
        if !bands.iter().any(|b| b.name == r.band.trim()) {
            bands.push(Band {
                name: r.band.trim().to_string(),
                min: None,
            });
        }
    }
    let blocks: Vec<BlockRule> = Block::iter()
        .filter(|b| good.iter().any(|(_, gb, _)| gb == b) || sizes.contains_key(b))
        .map(|b| BlockRule {
            block: b.to_value(),
            ranked: good.iter().any(|(_, gb, r)| *gb == b && r.rank.is_some()),
            size: sizes.get(&b).copied(),
        })
        .collect();
    let now = crate::clock::now();
    let existed = par_period::Entity::find_by_id(year)
        .one(db)
        .await?
        .is_some();
    let tx = crate::db::begin(db).await?;
    if existed {
        par_result::Entity::delete_many()
            .filter(par_result::Column::Year.eq(year))
            .exec(&tx)
            .await?;
        par_period_unit::Entity::delete_many()
            .filter(par_period_unit::Column::Year.eq(year))
            .exec(&tx)
            .await?;
        par_period::Entity::delete_by_id(year).exec(&tx).await?;
    }
    par_period::Entity::insert(par_period::ActiveModel {
        year: Set(year),
        status: Set(Status::Published.as_str().into()),
        imported: Set(true),
        template: Set(String::new()),
        bands: Set(serde_json::to_string(&bands)?),
        blocks: Set(serde_json::to_string(&blocks)?),
        min_sample: Set(0),
        source: Set(Some(source.to_string())),
        computed_at: Set(Some(now)),
        published_at: Set(Some(now)),
        published_by: Set(Some("import".into())),
        created_by: Set("import".into()),
        created_at: Set(now),
        updated_at: Set(now),
    })
    .exec(&tx)
    .await?;
    let then: Vec<unit::Model> = good
        .iter()
        .map(|(u, b, _)| unit::Model {
            block: *b,
            ..u.clone()
        })
        .collect();
    super::insert_units(&tx, year, &then).await?;
    for (u, b, r) in &good {
        par_result::Entity::insert(par_result::ActiveModel {
            year: Set(year),
            unit_id: Set(u.id.clone()),
            block: Set(*b),
            total: Set(super::template::round2(r.total)),
            band: Set(r.band.trim().to_string()),
            rank: Set(r.rank.map(|x| x as i32)),
            areas: Set("[]".into()),
            computed_at: Set(now),
        })
        .exec(&tx)
        .await?;
    }
    super::audit(
        &tx,
        year,
        None,
        "IMPORTED",
        None,
        format!("{} đơn vị; nguồn: {source}", good.len()),
        "import",
    )
    .await
    .map_err(|e| anyhow::anyhow!(e.message(crate::error::Lang::En)))?;
    tx.commit().await?;
    if existed {
        report.updated = good.len();
    } else {
        report.created = good.len();
    }
    Ok(report)
}
