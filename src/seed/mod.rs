//! Demo data: the reference year's units, a sample catalog of procedures, one account per role.
//! Seeding is idempotent: what exists already (by code or user name) is left as it is.

pub mod data;
pub mod synthetic;

use std::collections::HashMap;

use chrono::NaiveDate;
use entity::{account, unit};
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
    (
        "q5.canbo",
        "gopy-official-demo",
        "Cán bộ Quận 5 (demo)",
        Role::Official,
        Some("Q5"),
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
}

impl std::fmt::Display for SeedReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} units, {} procedures, {} accounts, {} synthetic dossiers, {} synthetic ratings, {} synthetic complaints created",
            self.units_created,
            self.procedures_created,
            self.accounts_created,
            self.dossiers_created,
            self.ratings_created,
            self.complaints_created
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
    let now = chrono::Utc::now();
    let mut new_units = Vec::new();
    for (code, name, short, block) in data::UNITS {
        bar.set_message("units");
        if !by_code.contains_key(*code) {
            let m = unit::Model {
                id: uuid::Uuid::now_v7().to_string(),
                code: code.to_string(),
                name: name.to_string(),
                name_folded: text::fold(name),
                short_name: Some(short.to_string()),
                block: *block,
                parent_id: None,
                valid_from: reference_start(),
                valid_to: None,
                successor_id: None,
                created_at: now,
                updated_at: now,
            };
            new_units.push(unit::ActiveModel::from(m.clone()));
            by_code.insert(code.to_string(), m);
            report.units_created += 1;
        }
        bar.inc(1);
    }
    if !new_units.is_empty() {
        unit::Entity::insert_many(new_units).exec(db).await?;
        crate::catalog::changed();
    }
    let districts: Vec<String> = data::UNITS
        .iter()
        .filter(|u| u.3 == unit::Block::District)
        .map(|u| by_code[u.0].id.clone())
        .collect();

    for (code, name, field, level, days, one_day, online, units) in data::PROCEDURES {
        bar.set_message("procedures");
        if procedures::get(db, None, Some(code)).await?.is_none() {
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
                },
            )
            .await?;
            procedures::upsert(db, v).await?;
            report.procedures_created += 1;
        }
        bar.inc(1);
    }

    for (username, pw, display, role, unit_code) in DEMO_ACCOUNTS {
        bar.set_message("accounts");
        let exists = account::Entity::find()
            .filter(account::Column::Username.eq(*username))
            .one(db)
            .await?
            .is_some();
        if !exists {
            let business_id = if *role == Role::Business {
                let tax = TaxCode::parse(DEMO_TAX_CODE)?;
                Some(businesses::find_or_create(db, &tax, display).await?.0.id)
            } else {
                None
            };
            let now = chrono::Utc::now();
            account::ActiveModel {
                id: Set(uuid::Uuid::now_v7().to_string()),
                username: Set(username.to_string()),
                email: Set(Some(format!("{username}@demo.gopy.vn"))),
                phone: Set(None),
                password_hash: Set(password::hash(pw.to_string()).await?),
                display_name: Set(display.to_string()),
                role: Set(*role),
                unit_id: Set(unit_code.map(|c| by_code[c].id.clone())),
                business_id: Set(business_id),
                disabled: Set(false),
                token_version: Set(0),
                created_at: Set(now),
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
    bar.finish_and_clear();
    Ok(report)
}
