//! Demo data: the reference year's units, a sample catalog of procedures, one account per role.
//! Seeding is idempotent: what exists already (by code or user name) is left as it is.

pub mod bulk;
pub mod data;
pub mod synthetic;

use std::collections::HashMap;

use chrono::NaiveDate;
use entity::unit_succession;
use entity::{account, procedure_unit, unit, unit_version};
use indicatif::{ProgressBar, ProgressStyle};
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};

use crate::auth::{Role, password};
use crate::businesses::{self, TaxCode};
use crate::procedures::{self, ProcedureInput};
use crate::text;

/// A demo account: (user name, password, display name, role, unit code).
pub const DEMO_ACCOUNTS: &[(&str, &str, &str, Role, Option<&str>)] = &[
    (
        "admin",
        "gopy-admin-demo",
        "Quản trị hệ thống (demo)",
        Role::Admin,
        None,
    ),
    (
        "snv.danhgia",
        "gopy-evaluator-demo",
        "Chuyên viên Sở Nội vụ (demo)",
        Role::Evaluator,
        Some("SNV"),
    ),
    (
        "stp.canbo",
        "gopy-official-demo",
        "Cán bộ Sở Tư pháp (demo)",
        Role::Official,
        Some("STP"),
    ),
    // Quận 5 ended with the district level on 30 June 2025: its demo official moved to
    // phường Chợ Lớn, which took over part of its work, and keeps the user name.
    (
        "q5.canbo",
        "gopy-official-demo",
        "Cán bộ phường Chợ Lớn, trước đây Quận 5 (demo)",
        Role::Official,
        Some("P.CHOLON"),
    ),
    (
        "nguyenvana",
        "gopy-citizen-demo",
        "Nguyễn Văn A (demo)",
        Role::Citizen,
        None,
    ),
    (
        "congty.demo",
        "gopy-business-demo",
        "Công ty TNHH Góp Ý Demo",
        Role::Business,
        None,
    ),
];

/// The demo business's tax code (the valid example of DESIGN.md).
pub const DEMO_TAX_CODE: &str = "0100109106";

/// The first day of the reference year: demo units are valid from then.
pub fn reference_start() -> NaiveDate {
    NaiveDate::from_ymd_opt(2022, 1, 1).expect("static date")
}

#[derive(Debug, Default)]
pub struct SeedReport {
    pub units_created: usize,
    pub procedures_created: usize,
    pub accounts_created: usize,
    pub dossiers_created: usize,
    pub ratings_created: usize,
    pub complaints_created: usize,
    pub dialogues_created: usize,
}

impl std::fmt::Display for SeedReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} units, {} procedures, {} accounts, {} synthetic dossiers, {} synthetic ratings, {} synthetic complaints, {} dialogues created",
            self.units_created,
            self.procedures_created,
            self.accounts_created,
            self.dossiers_created,
            self.ratings_created,
            self.complaints_created,
            self.dialogues_created
        )
    }
}

/// Seeds the demo data; `progress` shows a progress bar (for the CLI).
pub async fn demo(
    db: &DatabaseConnection,
    cal: &crate::calendar::Calendar,
    progress: bool,
) -> anyhow::Result<SeedReport> {
    let total = (data::UNITS.len() + data::PROCEDURES.len() + DEMO_ACCOUNTS.len()) as u64;
    let bar = if progress {
        let b = ProgressBar::new(total);
        b.set_style(
            ProgressStyle::with_template(
                "{spinner} seeding demo data [{bar:40}] {pos}/{len} {msg}",
            )
            .expect("static template")
            .progress_chars("=> "),
        );
        b
    } else {
        ProgressBar::hidden()
    };
    let mut report = SeedReport::default();

    let mut by_code: HashMap<String, unit::Model> = unit::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.code.clone(), u))
        .collect();
    let mut new_units = Vec::new();
    for (code, name, short, block) in data::UNITS {
        bar.set_message("units");
        if !by_code.contains_key(*code) {
            let m = demo_unit(code, name, short, *block, reference_start());
            new_units.push(m.clone());
            by_code.insert(code.to_string(), m);
            report.units_created += 1;
        }
        bar.inc(1);
    }
    if !new_units.is_empty() {
        let versions: Vec<unit_version::ActiveModel> = new_units
            .iter()
            .map(|u| crate::units::version_of(u, u.valid_from))
            .collect();
        unit::Entity::insert_many(new_units.into_iter().map(unit::ActiveModel::from))
            .exec(db)
            .await?;
        unit_version::Entity::insert_many(versions).exec(db).await?;
        crate::catalog::changed();
    }
    bar.set_message("the 2025 reorganisation");
    report.units_created += reorganise_2025(db, &mut by_code).await?;
    // District-level procedures passed to the communes on 1 July 2025.
    let districts: Vec<String> = data::UNITS
        .iter()
        .filter(|u| u.3 == unit::Block::District)
        .map(|u| by_code[u.0].id.clone())
        .chain(
            data::UNITS_2025
                .iter()
                .filter(|u| u.3 == unit::Block::Commune)
                .map(|u| by_code[u.0].id.clone()),
        )
        .collect();

    for (code, name, field, level, days, one_day, online, units) in data::PROCEDURES {
        bar.set_message("procedures");
        let existing = procedures::get(db, None, Some(code)).await?;
        if let Some(p) = &existing
            && units.contains(&data::ALL_DISTRICTS)
        {
            // A catalog seeded before the communes existed: link them too.
            let linked: std::collections::HashSet<String> = procedure_unit::Entity::find()
                .filter(procedure_unit::Column::ProcedureId.eq(p.id.as_str()))
                .all(db)
                .await?
                .into_iter()
                .map(|l| l.unit_id)
                .collect();
            let missing: Vec<procedure_unit::ActiveModel> = districts
                .iter()
                .filter(|u| !linked.contains(*u))
                .map(|u| procedure_unit::ActiveModel {
                    procedure_id: Set(p.id.clone()),
                    unit_id: Set(u.clone()),
                })
                .collect();
            if !missing.is_empty() {
                procedure_unit::Entity::insert_many(missing)
                    .exec(db)
                    .await?;
                crate::catalog::changed();
            }
        }
        if existing.is_none() {
            let mut ids = Vec::new();
            for u in *units {
                if *u == data::ALL_DISTRICTS {
                    ids.extend(districts.iter().cloned());
                } else {
                    ids.push(by_code[*u].id.clone());
                }
            }
            let v = procedures::validate(
                db,
                ProcedureInput {
                    code: code.to_string(),
                    name: name.to_string(),
                    field: field.to_string(),
                    level: Some(*level),
                    processing_days: *days,
                    one_day: *one_day,
                    online_level: Some(*online),
                    units: ids,
                    retired: false,
                    receipt_cutoff: None,
                },
            )
            .await?;
            procedures::upsert(db, v).await?;
            report.procedures_created += 1;
        }
        bar.inc(1);
    }

    hand_over_procedures(db, &by_code).await?;

    for (username, pw, display, role, unit_code) in DEMO_ACCOUNTS {
        bar.set_message("accounts");
        let existing = account::Entity::find()
            .filter(account::Column::Username.eq(*username))
            .one(db)
            .await?;
        let unit_id = unit_code.map(|c| by_code[c].id.clone());
        if let Some(a) = existing {
            // A demo account of a unit that has ended moves to the unit that exists today.
            if a.unit_id != unit_id {
                let mut m: account::ActiveModel = a.into();
                m.unit_id = Set(unit_id);
                m.display_name = Set(display.to_string());
                m.update(db).await?;
            }
        } else {
            let business = if *role == Role::Business {
                let tax = TaxCode::parse(DEMO_TAX_CODE)?;
                Some(businesses::find_or_create(db, &tax, display).await?.0)
            } else {
                None
            };
            let business_id = business.as_ref().map(|b| b.id.clone());
            let now = crate::clock::now();
            let confirmed = business_id.as_ref().map(|_| now);
            account::ActiveModel {
                id: Set(uuid::Uuid::now_v7().to_string()),
                username: Set(username.to_string()),
                email: Set(Some(format!("{username}@demo.gopy.vn"))),
                phone: Set(None),
                password_hash: Set(password::hash(pw.to_string()).await?),
                display_name: Set(display.to_string()),
                role: Set(*role),
                unit_id: Set(unit_id),
                business_id: Set(business_id),
                disabled: Set(false),
                token_version: Set(0),
                created_at: Set(now),
                business_confirmed_at: Set(confirmed),
                business_confirmed_by: Set(confirmed.map(|_| "demo".to_string())),
                pending_email: Set(None),
                pending_phone: Set(None),
                claim_tax_code: Set(business.as_ref().map(|b| b.tax_code.clone())),
                claim_business_name: Set(business.as_ref().map(|b| b.name.clone())),
                claim_status: Set(business.as_ref().map(|_| account::ClaimStatus::Confirmed)),
                deleted_at: Set(None),
                notice_version: Set(None),
                lang: Set(None),
            }
            .insert(db)
            .await?;
            report.accounts_created += 1;
        }
        bar.inc(1);
    }
    bar.set_message("synthetic feedback");
    let (d, r, c) = synthetic::seed(db, cal).await?;
    report.dossiers_created = d;
    report.ratings_created = r;
    report.complaints_created = c;
    bar.set_message("dialogues");
    report.dialogues_created = crate::dialogues::demo::seed(db, cal).await?;
    // The city's published 2022 index, as far as the reference article gives it: six units.
    if entity::par_period::Entity::find_by_id(2022)
        .one(db)
        .await?
        .is_none()
    {
        bar.set_message("PAR index 2022");
        crate::par::import::import_text(
            db,
            crate::par::import::REFERENCE_2022,
            2022,
            crate::par::import::REFERENCE_2022_SOURCE,
        )
        .await?;
    }
    bar.finish_and_clear();
    Ok(report)
}

/// A demo unit valid from `from`, with no end, parent or successor.
fn demo_unit(
    code: &str,
    name: &str,
    short: &str,
    block: unit::Block,
    from: NaiveDate,
) -> unit::Model {
    let now = crate::clock::now();
    unit::Model {
        id: uuid::Uuid::now_v7().to_string(),
        code: code.to_string(),
        name: name.to_string(),
        name_folded: text::fold(name),
        short_name: Some(short.to_string()),
        block,
        parent_id: None,
        valid_from: from,
        valid_to: None,
        successor_id: None,
        created_at: now,
        updated_at: now,
    }
}

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("static date")
}

/// Applies the demo's 2025 reorganisation (new units, ends, later versions, succession links),
/// skipping what is there already, so that a database seeded before it is brought up to date.
/// Returns how many units it created.
async fn reorganise_2025(
    db: &DatabaseConnection,
    by_code: &mut HashMap<String, unit::Model>,
) -> anyhow::Result<usize> {
    let now = crate::clock::now();
    let txn = crate::db::begin(db).await?;
    let mut created = 0;
    for (code, name, short, block, from) in data::UNITS_2025 {
        if by_code.contains_key(*code) {
            continue;
        }
        let m = demo_unit(code, name, short, *block, day(from));
        unit::ActiveModel::from(m.clone()).insert(&txn).await?;
        crate::units::version_of(&m, m.valid_from)
            .insert(&txn)
            .await?;
        by_code.insert(code.to_string(), m);
        created += 1;
    }
    for (code, from, name, short) in data::VERSIONS_2025 {
        let u = by_code[*code].clone();
        let from = day(from);
        let has = unit_version::Entity::find_by_id((u.id.clone(), from))
            .one(&txn)
            .await?
            .is_some();
        if has {
            continue;
        }
        unit_version::ActiveModel {
            unit_id: Set(u.id.clone()),
            valid_from: Set(from),
            name: Set(name.to_string()),
            name_folded: Set(text::fold(name)),
            short_name: Set(Some(short.to_string())),
            block: Set(u.block),
            parent_id: Set(u.parent_id.clone()),
            created_at: Set(now),
        }
        .insert(&txn)
        .await?;
        let mut a: unit::ActiveModel = u.into();
        a.name = Set(name.to_string());
        a.name_folded = Set(text::fold(name));
        a.short_name = Set(Some(short.to_string()));
        a.updated_at = Set(now);
        let m = a.update(&txn).await?;
        by_code.insert(code.to_string(), m);
    }
    let ended: Vec<(String, NaiveDate)> = data::ENDED_2025
        .iter()
        .flat_map(|(code, last)| {
            let codes: Vec<String> = if *code == data::ALL_DISTRICTS {
                data::UNITS
                    .iter()
                    .filter(|u| u.3 == unit::Block::District)
                    .map(|u| u.0.to_string())
                    .collect()
            } else {
                vec![code.to_string()]
            };
            codes.into_iter().map(move |c| (c, day(last)))
        })
        .collect();
    for (code, last) in ended {
        let u = by_code[&code].clone();
        if u.valid_to.is_some() {
            continue;
        }
        let first_successor = data::SUCCESSIONS_2025
            .iter()
            .find(|s| s.0 == code)
            .map(|s| by_code[s.1].id.clone());
        let mut a: unit::ActiveModel = u.into();
        a.valid_to = Set(Some(last));
        a.successor_id = Set(first_successor);
        a.updated_at = Set(now);
        let m = a.update(&txn).await?;
        by_code.insert(code, m);
    }
    let mut position: HashMap<&str, i32> = HashMap::new();
    for (from, to, kind) in data::SUCCESSIONS_2025 {
        let p = position.entry(from).or_insert(0);
        let (a, b) = (&by_code[*from], &by_code[*to]);
        let has = unit_succession::Entity::find_by_id((a.id.clone(), b.id.clone()))
            .one(&txn)
            .await?
            .is_some();
        if !has {
            unit_succession::ActiveModel {
                predecessor_id: Set(a.id.clone()),
                successor_id: Set(b.id.clone()),
                effective_on: Set(a
                    .valid_to
                    .map(|t| t + chrono::Duration::days(1))
                    .unwrap_or(b.valid_from)),
                kind: Set(*kind),
                position: Set(*p),
                created_at: Set(now),
            }
            .insert(&txn)
            .await?;
        }
        *p += 1;
    }
    txn.commit().await?;
    crate::catalog::changed();
    Ok(created)
}

/// A department that took over another's work performs its procedures too.
async fn hand_over_procedures(
    db: &DatabaseConnection,
    by_code: &HashMap<String, unit::Model>,
) -> anyhow::Result<()> {
    let links = procedure_unit::Entity::find().all(db).await?;
    let has: std::collections::HashSet<(String, String)> = links
        .iter()
        .map(|l| (l.procedure_id.clone(), l.unit_id.clone()))
        .collect();
    let mut missing = std::collections::BTreeSet::new();
    for (from, to, _) in data::SUCCESSIONS_2025 {
        let (a, b) = (&by_code[*from], &by_code[*to]);
        if a.block != unit::Block::Department {
            continue;
        }
        for l in links.iter().filter(|l| l.unit_id == a.id) {
            if !has.contains(&(l.procedure_id.clone(), b.id.clone())) {
                missing.insert((l.procedure_id.clone(), b.id.clone()));
            }
        }
    }
    // A chain (Giao thông vận tải → Giao thông Công chánh → Xây dựng) hands over twice.
    for (from, to, _) in data::SUCCESSIONS_2025 {
        let (a, b) = (&by_code[*from], &by_code[*to]);
        if a.block != unit::Block::Department {
            continue;
        }
        let inherited: Vec<String> = missing
            .iter()
            .filter(|(_, u)| *u == a.id)
            .map(|(p, _)| p.clone())
            .collect();
        for p in inherited {
            if !has.contains(&(p.clone(), b.id.clone())) {
                missing.insert((p, b.id.clone()));
            }
        }
    }
    if missing.is_empty() {
        return Ok(());
    }
    procedure_unit::Entity::insert_many(missing.into_iter().map(|(p, u)| {
        procedure_unit::ActiveModel {
            procedure_id: Set(p),
            unit_id: Set(u),
        }
    }))
    .exec(db)
    .await?;
    crate::catalog::changed();
    Ok(())
}
