//! `portal import units FILE`: a city's whole structure through time, CSV (with a header) or
//! JSON lines, idempotent on the unit code.
//!
//! Columns / keys: `code, name, short_name, block, parent, valid_from, valid_to, successors`.
//! - Several rows with one code are the versions of that unit, each in force from its
//!   `valid_from`; the unit exists from the first one's `valid_from` until the `valid_to` of the
//!   last row (empty: still exists).
//! - `block`: DEPARTMENT, VERTICAL_AGENCY, DISTRICT or COMMUNE (or sở, ngành dọc, quận/huyện,
//!   phường/xã).
//! - `parent`: a unit code, of this file or already recorded.
//! - `successors`: unit codes separated by `;`, each optionally `CODE:KIND` with KIND one of
//!   MERGED_INTO (the default for one successor), SPLIT_INTO (the default for several) or
//!   RENAMED; the links take effect the day after `valid_to`.
//!
//! The units whose rows are all valid are written in one transaction; a unit with a bad row
//! (or naming an unknown code, or that would be its own parent) is reported with its line
//! numbers and nothing of it is written.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use chrono::{Duration, NaiveDate};
use entity::unit::{self, Block};
use entity::unit_succession::{self, Kind};
use entity::unit_version;
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};
use serde::Deserialize;

pub use crate::import::ImportReport;
use crate::import::read_rows;
use crate::text;

#[derive(Debug, Deserialize)]
struct Row {
    code: String,
    name: String,
    #[serde(default)]
    short_name: Option<String>,
    block: String,
    #[serde(default)]
    parent: Option<String>,
    #[serde(alias = "validFrom")]
    valid_from: String,
    #[serde(default, alias = "validTo")]
    valid_to: Option<String>,
    #[serde(default)]
    successors: Option<String>,
}

/// One checked row.
#[derive(Debug, Clone)]
struct Version {
    line: usize,
    name: String,
    short_name: Option<String>,
    block: Block,
    parent: Option<String>,
    valid_from: NaiveDate,
    valid_to: Option<NaiveDate>,
    successors: Vec<(String, Kind)>,
}

pub fn parse_block(s: &str) -> Option<Block> {
    match text::fold(s).replace(['_', '-'], " ").as_str() {
        "department" | "so" | "so ban nganh" => Some(Block::Department),
        "vertical agency" | "nganh doc" | "co quan nganh doc" => Some(Block::VerticalAgency),
        "district" | "quan" | "huyen" | "quan huyen" | "cap huyen" => Some(Block::District),
        "commune" | "phuong" | "xa" | "phuong xa" | "dac khu" | "cap xa" => Some(Block::Commune),
        _ => None,
    }
}

fn parse_kind(s: &str) -> Option<Kind> {
    match s.trim().to_ascii_uppercase().replace('-', "_").as_str() {
        "MERGED_INTO" | "MERGED" => Some(Kind::MergedInto),
        "SPLIT_INTO" | "SPLIT" => Some(Kind::SplitInto),
        "RENAMED" => Some(Kind::Renamed),
        _ => None,
    }
}

fn date(field: &str, s: &str) -> Result<NaiveDate, String> {
    let d = NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map_err(|_| format!("{field} {s:?} is not a date YYYY-MM-DD"))?;
    crate::clock::check_date(field, d).map_err(|e| e.message(crate::error::Lang::En))
}

fn check(line: usize, r: Row) -> Result<(String, Version), String> {
    let en = |e: crate::error::AppError| e.message(crate::error::Lang::En);
    let code = text::code("code", &r.code, 32).map_err(en)?;
    let name = text::required("name", &r.name, 200).map_err(en)?;
    let short_name = match r.short_name.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(s) => Some(text::clean("short_name", s, 64).map_err(en)?),
    };
    let block = parse_block(&r.block).ok_or_else(|| {
        format!(
            "block {:?} is not DEPARTMENT, VERTICAL_AGENCY, DISTRICT or COMMUNE",
            r.block
        )
    })?;
    let parent = match r.parent.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(p) => Some(text::code("parent", p, 32).map_err(en)?),
    };
    let valid_from = date("valid_from", &r.valid_from)?;
    let valid_to = match r.valid_to.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(t) => Some(date("valid_to", t)?),
    };
    if valid_to.is_some_and(|t| t < valid_from) {
        return Err("valid_to is before valid_from".into());
    }
    let listed: Vec<&str> = r
        .successors
        .as_deref()
        .unwrap_or("")
        .split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    let default_kind = if listed.len() > 1 {
        Kind::SplitInto
    } else {
        Kind::MergedInto
    };
    let mut successors = Vec::new();
    for s in listed {
        let (c, kind) = match s.split_once(':') {
            Some((c, k)) => (
                c,
                parse_kind(k).ok_or_else(|| {
                    format!("successor kind {k:?} is not MERGED_INTO, SPLIT_INTO or RENAMED")
                })?,
            ),
            None => (s, default_kind),
        };
        let c = text::code("successors", c, 32).map_err(en)?;
        if c == code {
            return Err(format!("{code} cannot be its own successor"));
        }
        successors.push((c, kind));
    }
    if !successors.is_empty() && valid_to.is_none() {
        return Err("successors need a valid_to (the links start the day after it)".into());
    }
    Ok((
        code,
        Version {
            line,
            name,
            short_name,
            block,
            parent,
            valid_from,
            valid_to,
            successors,
        },
    ))
}

/// Imports a file; bad units are reported, not fatal. Fails only when the file cannot be read.
pub async fn import_file(
    db: &DatabaseConnection,
    path: &Path,
    progress: bool,
) -> anyhow::Result<ImportReport> {
    let rows = read_rows::<Row>(path)?;
    let mut report = ImportReport::default();
    let bar = crate::import::progress(rows.len(), "importing units", progress);

    // Check every row and group the versions of each code, oldest first.
    let mut groups: BTreeMap<String, Vec<Version>> = BTreeMap::new();
    let mut bad_codes: HashMap<String, ()> = HashMap::new();
    for (line, row) in rows {
        match row.map_err(|e| e.to_string()).and_then(|r| {
            let code = r.code.trim().to_uppercase();
            check(line, r).inspect_err(|_| {
                bad_codes.insert(code, ());
            })
        }) {
            Ok((code, v)) => groups.entry(code).or_default().push(v),
            Err(e) => report.rejected.push((line, e)),
        }
    }
    let mut existing: HashMap<String, unit::Model> = unit::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.code.clone(), u))
        .collect();
    // A unit is written only when all its rows are good, its versions do not overlap, and
    // every code it names is recorded or written by this file.
    let mut ok: BTreeMap<String, Vec<Version>> = BTreeMap::new();
    for (code, mut vs) in groups {
        vs.sort_by_key(|v| v.valid_from);
        let lines = vs.iter().map(|v| v.line).collect::<Vec<_>>();
        let problem = if bad_codes.contains_key(&code) {
            Some(format!("{code}: another row of this unit is refused"))
        } else if vs.windows(2).any(|w| w[0].valid_from == w[1].valid_from) {
            Some(format!("{code}: two versions start on the same day"))
        } else if vs[..vs.len() - 1]
            .iter()
            .any(|v| v.valid_to.is_some() || !v.successors.is_empty())
        {
            Some(format!(
                "{code}: only the last version (latest valid_from) may carry valid_to and successors"
            ))
        } else {
            None
        };
        match problem {
            Some(p) => {
                for l in lines {
                    report.rejected.push((l, p.clone()));
                }
            }
            None => {
                ok.insert(code, vs);
            }
        }
    }
    drop_missing(&mut ok, &existing, &mut report);

    // No unit may be its own parent, directly or through others, in the structure as it will
    // be (the file's latest versions over what is recorded).
    let code_of: HashMap<String, String> = existing
        .values()
        .map(|u| (u.id.clone(), u.code.clone()))
        .collect();
    let parent_of = |ok: &BTreeMap<String, Vec<Version>>, c: &str| -> Option<String> {
        match ok.get(c) {
            Some(vs) => vs.last().and_then(|v| v.parent.clone()),
            None => existing
                .get(c)
                .and_then(|u| u.parent_id.as_ref())
                .and_then(|p| code_of.get(p).cloned()),
        }
    };
    let cyclic: Vec<String> = ok
        .keys()
        .filter(|code| {
            let mut at = parent_of(&ok, code);
            for _ in 0..=ok.len() + existing.len() {
                match at {
                    None => return false,
                    Some(p) if &p == *code => return true,
                    Some(p) => at = parent_of(&ok, &p),
                }
            }
            true
        })
        .cloned()
        .collect();
    for code in cyclic {
        if let Some(vs) = ok.remove(&code) {
            for v in vs {
                report.rejected.push((
                    v.line,
                    format!(
                        "{code}: the unit would be its own parent (directly or through others)"
                    ),
                ));
            }
        }
    }

    // Units that named a unit refused just now go too.
    drop_missing(&mut ok, &existing, &mut report);

    // All of it in one transaction: first every new unit, so that parents and successors can
    // refer to one another, then each unit's versions and links.
    let txn = crate::db::begin(db).await?;
    let now = crate::clock::now();
    let mut created = std::collections::HashSet::new();
    for (code, vs) in &ok {
        if existing.contains_key(code) {
            continue;
        }
        let first = &vs[0];
        let m = unit::ActiveModel {
            id: Set(uuid::Uuid::now_v7().to_string()),
            code: Set(code.clone()),
            name: Set(first.name.clone()),
            name_folded: Set(text::fold(&first.name)),
            short_name: Set(first.short_name.clone()),
            block: Set(first.block),
            parent_id: Set(None),
            valid_from: Set(first.valid_from),
            valid_to: Set(None),
            successor_id: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(&txn)
        .await?;
        existing.insert(code.clone(), m);
        created.insert(code.clone());
        report.created += 1;
    }
    let id_of = |c: &str| existing.get(c).map(|u| u.id.clone());
    for (code, vs) in &ok {
        let u = &existing[code];
        let last = vs.last().expect("a group has a row");
        unit_version::Entity::delete_many()
            .filter(unit_version::Column::UnitId.eq(u.id.as_str()))
            .exec(&txn)
            .await?;
        for v in vs {
            unit_version::ActiveModel {
                unit_id: Set(u.id.clone()),
                valid_from: Set(v.valid_from),
                name: Set(v.name.clone()),
                name_folded: Set(text::fold(&v.name)),
                short_name: Set(v.short_name.clone()),
                block: Set(v.block),
                parent_id: Set(v.parent.as_deref().and_then(id_of)),
                created_at: Set(now),
            }
            .insert(&txn)
            .await?;
        }
        let successors: Vec<(String, Kind)> = last
            .successors
            .iter()
            .filter_map(|(c, k)| id_of(c).map(|id| (id, *k)))
            .collect();
        let mut a: unit::ActiveModel = u.clone().into();
        a.valid_from = Set(vs[0].valid_from);
        a.valid_to = Set(last.valid_to);
        a.successor_id = Set(successors.first().map(|s| s.0.clone()));
        a.updated_at = Set(now);
        a.update(&txn).await?;
        // The row holds the version in force today.
        super::sync_row(&txn, &u.id, crate::clock::today()).await?;
        unit_succession::Entity::delete_many()
            .filter(unit_succession::Column::PredecessorId.eq(u.id.as_str()))
            .exec(&txn)
            .await?;
        if let Some(t) = last.valid_to {
            super::link(&txn, &u.id, &successors, t + Duration::days(1)).await?;
        }
        super::enqueue(&txn, &u.id).await?;
        if !created.contains(code) {
            report.updated += 1;
        }
        bar.inc(vs.len() as u64);
    }
    txn.commit().await?;
    bar.finish_and_clear();
    crate::catalog::changed();
    crate::announce::announce(db, crate::announce::Topic::Catalog).await;
    report.rejected.sort();
    Ok(report)
}

/// Drops the units naming codes that are neither recorded nor importable, until none is left.
fn drop_missing(
    ok: &mut BTreeMap<String, Vec<Version>>,
    existing: &HashMap<String, unit::Model>,
    report: &mut ImportReport,
) {
    loop {
        let missing: Vec<(String, String)> = ok
            .iter()
            .filter_map(|(code, vs)| {
                vs.iter()
                    .flat_map(|v| v.parent.iter().chain(v.successors.iter().map(|(c, _)| c)))
                    .find(|c| !ok.contains_key(*c) && !existing.contains_key(*c))
                    .map(|c| (code.clone(), c.clone()))
            })
            .collect();
        if missing.is_empty() {
            break;
        }
        for (code, c) in missing {
            if let Some(vs) = ok.remove(&code) {
                for v in vs {
                    report.rejected.push((
                        v.line,
                        format!("{code}: unit code {c} is neither recorded nor in the file"),
                    ));
                }
            }
        }
    }
}
