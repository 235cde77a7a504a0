//! The catalog of administrative procedures (thủ tục hành chính) and the units performing them.

pub mod graphql;
pub mod import;
pub mod search;

use std::collections::HashMap;

use chrono::{NaiveTime, Timelike};

use entity::procedure::{self, Level, OnlineLevel};
use entity::{procedure_unit, unit};
use sea_orm::sea_query::Query;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait,
    Order, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};

use crate::auth::Actor;
use crate::error::{AppError, AppResult, on_unique};
use crate::pagination::Page;
use crate::text;

#[derive(Debug, Default, Clone)]
pub struct ProcedureFilter {
    pub unit: Option<String>,
    pub field: Option<String>,
    pub level: Option<Level>,
    pub one_day: Option<bool>,
    pub search: Option<String>,
    pub include_retired: bool,
}

/// A page of procedures in name order, with the total matching the filter.
pub async fn list(
    db: &DatabaseConnection,
    f: &ProcedureFilter,
    page: Page,
) -> AppResult<(u64, Vec<procedure::Model>)> {
    let mut cond = Condition::all();
    if !f.include_retired {
        cond = cond.add(procedure::Column::Retired.eq(false));
    }
    if let Some(u) = &f.unit {
        cond = cond.add(
            procedure::Column::Id.in_subquery(
                Query::select()
                    .column(procedure_unit::Column::ProcedureId)
                    .from(procedure_unit::Entity)
                    .and_where(procedure_unit::Column::UnitId.eq(u.as_str()))
                    .to_owned(),
            ),
        );
    }
    if let Some(field) = &f.field {
        let field = text::clean("field", field, 200)?;
        cond = cond.add(procedure::Column::FieldFolded.eq(text::fold(&field)));
    }
    if let Some(l) = f.level {
        cond = cond.add(procedure::Column::Level.eq(l));
    }
    if let Some(o) = f.one_day {
        cond = cond.add(procedure::Column::OneDay.eq(o));
    }
    if let Some(q) = &f.search {
        let q = text::clean("filter.query", q, 200)?;
        // A query that is a procedure code finds that procedure; otherwise it searches names.
        let as_code = q.trim().to_uppercase();
        cond = cond.add(
            Condition::any()
                .add(procedure::Column::Code.eq(as_code))
                .add(crate::db::folded_words_match(
                    procedure::Column::NameFolded,
                    &q,
                )),
        );
    }
    let q = procedure::Entity::find().filter(cond);
    let total = q.clone().count(db).await?;
    let items = if page.limit == 0 {
        vec![]
    } else {
        let q = match &f.search {
            Some(s) => q.order_by(
                crate::db::phrase_first(procedure::Column::NameFolded, s),
                Order::Asc,
            ),
            None => q,
        };
        q.order_by_asc(procedure::Column::NameFolded)
            .order_by_asc(procedure::Column::Id)
            .offset(page.offset)
            .limit(page.limit)
            .all(db)
            .await?
    };
    Ok((total, items))
}

/// One procedure by id or by code (exactly one of the two).
pub async fn get(
    db: &DatabaseConnection,
    id: Option<&str>,
    code: Option<&str>,
) -> AppResult<Option<procedure::Model>> {
    match (id, code) {
        (Some(id), None) => Ok(procedure::Entity::find_by_id(id.to_string())
            .one(db)
            .await?),
        (None, Some(code)) => {
            let code = text::code("code", code, 64)?;
            Ok(procedure::Entity::find()
                .filter(procedure::Column::Code.eq(code))
                .one(db)
                .await?)
        }
        _ => Err(AppError::bad_input(
            "id",
            "Cần đúng một trong hai tham số id hoặc code.",
            "Give exactly one of id or code.",
        )),
    }
}

/// A procedure as given by an admin or an import row, before validation.
#[derive(Debug, Clone, Default)]
pub struct ProcedureInput {
    pub code: String,
    pub name: String,
    pub field: String,
    pub level: Option<Level>,
    pub processing_days: i32,
    pub one_day: bool,
    pub online_level: Option<OnlineLevel>,
    /// Unit ids.
    pub units: Vec<String>,
    pub retired: bool,
    /// The receipt cut-off: `None` for the default (15:00 for same-day procedures, none
    /// otherwise), `Some(None)` for none.
    pub receipt_cutoff: Option<Option<NaiveTime>>,
}

/// The default receipt cut-off of same-day procedures: received after it, they are due the
/// next working day.
pub fn same_day_cutoff() -> NaiveTime {
    NaiveTime::from_hms_opt(15, 0, 0).expect("static time")
}

/// A cut-off time as typed: `HH:MM`, or empty for none.
pub fn parse_cutoff(s: &str) -> AppResult<Option<NaiveTime>> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    NaiveTime::parse_from_str(s, "%H:%M")
        .map(Some)
        .map_err(|_| {
            AppError::bad_input(
                "receiptCutoff",
                format!(
                    "Giờ tiếp nhận cuối ngày {s:?} phải có dạng HH:MM, ví dụ 15:00 (hoặc để trống)."
                ),
                format!("receiptCutoff {s:?} must be HH:MM, e.g. 15:00 (or empty for none)."),
            )
        })
}

/// The cut-off of a stored procedure.
pub fn cutoff_of(p: &procedure::Model) -> Option<NaiveTime> {
    p.receipt_cutoff_minutes.and_then(|m| {
        NaiveTime::from_num_seconds_from_midnight_opt(m.clamp(0, 1439) as u32 * 60, 0)
    })
}

/// A procedure that passed validation.
#[derive(Debug, Clone)]
pub struct ValidProcedure {
    code: String,
    name: String,
    field: String,
    level: Level,
    processing_days: i32,
    one_day: bool,
    online_level: OnlineLevel,
    units: Vec<String>,
    retired: bool,
    receipt_cutoff_minutes: Option<i32>,
}

/// Checks every field; the first problem is reported with its field name.
pub async fn validate(db: &impl ConnectionTrait, i: ProcedureInput) -> AppResult<ValidProcedure> {
    let code = text::code("code", &i.code, 64)?;
    let name = text::required("name", &i.name, 500)?;
    let field = text::required("field", &i.field, 200)?;
    let level = i.level.ok_or_else(|| {
        AppError::bad_input("level", "Thiếu cấp thực hiện.", "level is required.")
    })?;
    if !(0..=365).contains(&i.processing_days) {
        return Err(AppError::bad_input(
            "processingDays",
            format!(
                "Thời hạn giải quyết phải từ 0 đến 365 ngày làm việc (nhận {}).",
                i.processing_days
            ),
            format!(
                "processingDays must be 0 to 365 working days (got {}).",
                i.processing_days
            ),
        ));
    }
    if i.one_day && i.processing_days > 1 {
        return Err(AppError::bad_input(
            "oneDay",
            "Thủ tục giải quyết trong 1 ngày phải có thời hạn không quá 1 ngày làm việc.",
            "A one-day procedure must take at most 1 working day.",
        ));
    }
    let mut units = i.units;
    units.sort();
    units.dedup();
    if units.is_empty() {
        return Err(AppError::bad_input(
            "units",
            "Cần ít nhất một đơn vị thực hiện thủ tục.",
            "At least one performing unit is required.",
        ));
    }
    let found = unit::Entity::find()
        .filter(unit::Column::Id.is_in(units.iter().cloned()))
        .count(db)
        .await?;
    if found as usize != units.len() {
        return Err(AppError::bad_input(
            "units",
            "Có đơn vị thực hiện không tồn tại.",
            "Some of the performing units do not exist.",
        ));
    }
    Ok(ValidProcedure {
        code,
        name,
        field,
        level,
        processing_days: i.processing_days,
        one_day: i.one_day,
        online_level: i.online_level.unwrap_or(OnlineLevel::None),
        units,
        retired: i.retired,
        receipt_cutoff_minutes: match i.receipt_cutoff {
            Some(c) => c,
            None => (i.processing_days == 0).then(same_day_cutoff),
        }
        .map(|t| (t.num_seconds_from_midnight() / 60) as i32),
    })
}

/// Whether an upsert created a new procedure or changed an existing one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Upserted {
    Created,
    Updated,
}

/// Writes a validated procedure, keyed on its code, with its units, in one transaction.
pub async fn upsert(
    db: &DatabaseConnection,
    v: ValidProcedure,
) -> AppResult<(procedure::Model, Upserted)> {
    let txn = crate::db::begin(db).await?;
    let existing = procedure::Entity::find()
        .filter(procedure::Column::Code.eq(v.code.as_str()))
        .one(&txn)
        .await?;
    let now = crate::clock::now();
    let (model, how) = match existing {
        Some(e) => {
            let mut m: procedure::ActiveModel = e.into();
            m.name_folded = Set(text::fold(&v.name));
            m.name = Set(v.name);
            m.field_folded = Set(text::fold(&v.field));
            m.field = Set(v.field);
            m.level = Set(v.level);
            m.processing_days = Set(v.processing_days);
            m.one_day = Set(v.one_day);
            m.online_level = Set(v.online_level);
            m.retired = Set(v.retired);
            m.receipt_cutoff_minutes = Set(v.receipt_cutoff_minutes);
            m.updated_at = Set(now);
            (m.update(&txn).await?, Upserted::Updated)
        }
        None => {
            let m = procedure::ActiveModel {
                id: Set(uuid::Uuid::now_v7().to_string()),
                code: Set(v.code.clone()),
                name_folded: Set(text::fold(&v.name)),
                name: Set(v.name),
                field_folded: Set(text::fold(&v.field)),
                field: Set(v.field),
                level: Set(v.level),
                processing_days: Set(v.processing_days),
                one_day: Set(v.one_day),
                online_level: Set(v.online_level),
                retired: Set(v.retired),
                receipt_cutoff_minutes: Set(v.receipt_cutoff_minutes),
                created_at: Set(now),
                updated_at: Set(now),
            };
            let m = m.insert(&txn).await.map_err(|e| {
                on_unique(
                    e,
                    AppError::conflict(
                        format!("Thủ tục mã {} vừa được tạo bởi một thao tác khác.", v.code),
                        format!("Procedure {} was just created by another request.", v.code),
                    ),
                )
            })?;
            (m, Upserted::Created)
        }
    };
    set_units(&txn, &model.id, &v.units).await?;
    crate::search::outbox::enqueue(
        &txn,
        crate::search::IndexKind::Procedures,
        std::slice::from_ref(&model.id),
    )
    .await?;
    txn.commit().await?;
    crate::catalog::changed();
    crate::announce::announce(db, crate::announce::Topic::Catalog).await;
    Ok((model, how))
}

async fn set_units(
    db: &impl ConnectionTrait,
    procedure_id: &str,
    units: &[String],
) -> AppResult<()> {
    procedure_unit::Entity::delete_many()
        .filter(procedure_unit::Column::ProcedureId.eq(procedure_id))
        .exec(db)
        .await?;
    if units.is_empty() {
        return Ok(());
    }
    procedure_unit::Entity::insert_many(units.iter().map(|u| procedure_unit::ActiveModel {
        procedure_id: Set(procedure_id.to_string()),
        unit_id: Set(u.clone()),
    }))
    .exec(db)
    .await?;
    Ok(())
}

/// Creates a procedure (admins only); a code already in the catalog is `CONFLICT`.
pub async fn create(
    db: &DatabaseConnection,
    actor: &Actor,
    input: ProcedureInput,
) -> AppResult<procedure::Model> {
    crate::access::require_admin(actor)?;
    let v = validate(db, input).await?;
    if get(db, None, Some(&v.code)).await?.is_some() {
        return Err(AppError::conflict(
            format!("Đã có thủ tục mang mã {}.", v.code),
            format!("A procedure with code {} already exists.", v.code),
        ));
    }
    Ok(upsert(db, v).await?.0)
}

/// Changes of `updateProcedure`: absent fields stay as they are.
#[derive(Debug, Clone, Default)]
pub struct ProcedurePatch {
    pub name: Option<String>,
    pub field: Option<String>,
    pub level: Option<Level>,
    pub processing_days: Option<i32>,
    pub one_day: Option<bool>,
    pub online_level: Option<OnlineLevel>,
    pub units: Option<Vec<String>>,
    pub retired: Option<bool>,
    pub receipt_cutoff: Option<Option<NaiveTime>>,
}

/// Updates a procedure (admins only). Retiring hides it from the public catalog but keeps it
/// for the dossiers and ratings that refer to it.
pub async fn update(
    db: &DatabaseConnection,
    actor: &Actor,
    id: &str,
    p: ProcedurePatch,
) -> AppResult<procedure::Model> {
    crate::access::require_admin(actor)?;
    let cur = procedure::Entity::find_by_id(id.to_string())
        .one(db)
        .await?
        .ok_or_else(|| {
            AppError::not_found(
                format!("Không tìm thấy thủ tục {id}."),
                format!("Procedure {id} was not found."),
            )
        })?;
    let units = match p.units {
        Some(u) => u,
        None => procedure_unit::Entity::find()
            .filter(procedure_unit::Column::ProcedureId.eq(id))
            .all(db)
            .await?
            .into_iter()
            .map(|r| r.unit_id)
            .collect(),
    };
    // A change of processing days without a cut-off brings the default of the new time.
    let days_changed = p.processing_days.is_some_and(|d| d != cur.processing_days);
    let cutoff = match p.receipt_cutoff {
        Some(c) => Some(c),
        None if days_changed => None,
        None => Some(cutoff_of(&cur)),
    };
    let v = validate(
        db,
        ProcedureInput {
            code: cur.code.clone(),
            name: p.name.unwrap_or(cur.name),
            field: p.field.unwrap_or(cur.field),
            level: Some(p.level.unwrap_or(cur.level)),
            processing_days: p.processing_days.unwrap_or(cur.processing_days),
            one_day: p.one_day.unwrap_or(cur.one_day),
            online_level: Some(p.online_level.unwrap_or(cur.online_level)),
            units,
            retired: p.retired.unwrap_or(cur.retired),
            receipt_cutoff: cutoff,
        },
    )
    .await?;
    Ok(upsert(db, v).await?.0)
}

/// Loads each procedure's performing units: two queries per batch, whatever its size.
pub struct ProcedureUnitsLoader(pub DatabaseConnection);

impl async_graphql::dataloader::Loader<String> for ProcedureUnitsLoader {
    type Value = Vec<unit::Model>;
    type Error = AppError;

    async fn load(&self, keys: &[String]) -> Result<HashMap<String, Vec<unit::Model>>, AppError> {
        let links = procedure_unit::Entity::find()
            .filter(procedure_unit::Column::ProcedureId.is_in(keys.iter().cloned()))
            .all(&self.0)
            .await?;
        let mut ids: Vec<String> = links.iter().map(|l| l.unit_id.clone()).collect();
        ids.sort();
        ids.dedup();
        let units = crate::units::by_ids(&self.0, &ids).await?;
        let mut out: HashMap<String, Vec<unit::Model>> = HashMap::new();
        for l in links {
            if let Some(u) = units.get(&l.unit_id) {
                out.entry(l.procedure_id).or_default().push(u.clone());
            }
        }
        for v in out.values_mut() {
            v.sort_by(|a, b| a.name_folded.cmp(&b.name_folded));
        }
        Ok(out)
    }
}
