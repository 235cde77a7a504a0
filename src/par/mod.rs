//! The PAR index (Chỉ số CCHC, DESIGN.md §7): a period per year with its criteria template,
//! bands and blocks, the units of that year as they were then, self-assessed and appraised
//! scores, deductions with their reasons, the criteria computed from the year's ratings,
//! dossiers and complaints, and results that are frozen once published.
//!
//! A period goes `DRAFT → COMPUTED → PUBLISHED`. Any change of a score or a deduction takes a
//! computed period back to `DRAFT`, so what is published is always what was last computed.
//! A published period never changes: its results are stored, and computing it again returns
//! them as they are. Who may do what is decided in [`crate::access`].

pub mod compute;
pub mod graphql;
pub mod import;
pub mod open_data;
pub mod review;
pub mod review_graphql;
pub mod template;

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDate, Utc};
use entity::unit::{self, Block};
use entity::{
    par_audit, par_criterion_result, par_deduction, par_period, par_period_unit, par_result,
    par_score,
};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveEnum, ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    Iterable, QueryFilter, QueryOrder, Set,
};
use serde::{Deserialize, Serialize};

use crate::access;
use crate::auth::Actor;
use crate::error::{AppError, AppResult};
use crate::ratings::stats::Tally;
use compute::{Counts, Frame};
use template::{Source, Template, round2};

/// Where a period stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Draft,
    Computed,
    Published,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Draft => "DRAFT",
            Status::Computed => "COMPUTED",
            Status::Published => "PUBLISHED",
        }
    }

    pub fn parse(s: &str) -> Status {
        match s {
            "COMPUTED" => Status::Computed,
            "PUBLISHED" => Status::Published,
            _ => Status::Draft,
        }
    }
}

/// A classification band: a total at or above `min` (and below the next band's) gets `name`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Band {
    pub name: String,
    /// Null in an imported year, whose bands are only names.
    pub min: Option<f64>,
}

/// A block of a period: whether it is ranked, and its size where a published year gives it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BlockRule {
    pub block: String,
    pub ranked: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u32>,
}

/// The default bands. The city's 2022 frame classed all 55 units Tốt down to 85.18; the city
/// then asked for a narrower frame, so every period carries its own.
pub fn default_bands() -> Vec<Band> {
    [
        ("Tốt", 80.0),
        ("Khá", 70.0),
        ("Trung bình", 50.0),
        ("Yếu", 0.0),
    ]
    .into_iter()
    .map(|(n, m)| Band {
        name: n.to_string(),
        min: Some(m),
    })
    .collect()
}

/// Every block ranked but the vertical agencies (DESIGN.md §1).
pub fn default_ranked() -> Vec<Block> {
    vec![Block::Department, Block::District, Block::Commune]
}

/// A period with its parsed settings.
#[derive(Debug, Clone)]
pub struct Period {
    pub model: par_period::Model,
    pub status: Status,
    /// `None` for an imported year.
    pub template: Option<Template>,
    pub bands: Vec<Band>,
    pub blocks: Vec<BlockRule>,
}

impl Period {
    pub fn from_model(model: par_period::Model) -> AppResult<Period> {
        let template = if model.imported {
            None
        } else {
            Some(Template::parse(&model.template)?)
        };
        Ok(Period {
            status: Status::parse(&model.status),
            bands: serde_json::from_str(&model.bands).map_err(AppError::internal)?,
            blocks: serde_json::from_str(&model.blocks).map_err(AppError::internal)?,
            template,
            model,
        })
    }

    pub fn year(&self) -> i32 {
        self.model.year
    }

    pub fn rule(&self, block: Block) -> BlockRule {
        let b = block.to_value();
        self.blocks
            .iter()
            .find(|r| r.block == b)
            .cloned()
            .unwrap_or(BlockRule {
                block: b,
                ranked: false,
                size: None,
            })
    }

    pub fn band_of(&self, total: f64) -> String {
        band_of(&self.bands, total)
    }

    /// The leaf `code` of the template (`BAD_USER_INPUT` on `criterion` when unknown).
    pub fn leaf(&self, code: &str) -> AppResult<&template::Criterion> {
        match &self.template {
            Some(t) => t.leaf("criterion", code),
            None => Err(imported(self.year())),
        }
    }

    /// The frame the period's rows are read in: its computation time, or now for a draft.
    pub fn frame(&self) -> AppResult<Frame> {
        Frame::new(self.year(), self.model.computed_at.unwrap_or_else(Utc::now))
    }
}

pub fn band_of(bands: &[Band], total: f64) -> String {
    bands
        .iter()
        .filter(|b| b.min.is_some_and(|m| total + 1e-9 >= m))
        .max_by(|a, b| {
            a.min
                .partial_cmp(&b.min)
                .unwrap_or(std::cmp::Ordering::Equal)
        })
        .or(bands.last())
        .map(|b| b.name.clone())
        .unwrap_or_default()
}

fn imported(year: i32) -> AppError {
    AppError::conflict(
        format!("Kết quả năm {year} được nhập từ nơi khác và chỉ để xem; không thể chỉnh sửa."),
        format!("Year {year} was imported as published elsewhere and is read-only."),
    )
}

fn published(year: i32) -> AppError {
    AppError::conflict(
        format!("Chỉ số CCHC năm {year} đã công bố; kết quả đã chốt và không thể thay đổi."),
        format!("The {year} PAR index is published; its results are frozen and cannot change."),
    )
}

pub fn check_year(field: &str, year: i32) -> AppResult<i32> {
    if (2000..=2100).contains(&year) {
        Ok(year)
    } else {
        Err(AppError::bad_input(
            field,
            format!("Năm {year} không hợp lệ (2000–2100)."),
            format!("Year {year} is out of range (2000–2100)."),
        ))
    }
}

/// The period of `year`, or `NOT_FOUND`.
pub async fn period(db: &impl ConnectionTrait, year: i32) -> AppResult<Period> {
    match par_period::Entity::find_by_id(year).one(db).await? {
        Some(m) => Period::from_model(m),
        None => Err(AppError::not_found(
            format!("Chưa có kỳ đánh giá Chỉ số CCHC năm {year}."),
            format!("There is no PAR index period for {year}."),
        )),
    }
}

pub async fn find_period(db: &DatabaseConnection, year: i32) -> AppResult<Option<Period>> {
    par_period::Entity::find_by_id(year)
        .one(db)
        .await?
        .map(Period::from_model)
        .transpose()
}

pub async fn periods(db: &DatabaseConnection) -> AppResult<Vec<Period>> {
    par_period::Entity::find()
        .order_by_desc(par_period::Column::Year)
        .all(db)
        .await?
        .into_iter()
        .map(Period::from_model)
        .collect()
}

/// The units a period covers: every unit that existed during the year and was then directly
/// under the city (wards under a district are scored by their district), each with the name and
/// block of its last day in the year.
pub async fn units_of_year(db: &DatabaseConnection, year: i32) -> AppResult<Vec<unit::Model>> {
    let h = crate::units::history::UnitHistory::load(db).await?;
    let mut out = Vec::new();
    for u in unit::Entity::find()
        .order_by_asc(unit::Column::Code)
        .all(db)
        .await?
    {
        if let Some(then) = in_year(&h, &u, year)
            && then.parent_id.is_none()
        {
            out.push(then);
        }
    }
    Ok(out)
}

/// The unit as it was on its last day in `year` (name, block, parent of that version), or
/// `None` if it did not exist that year.
pub fn in_year(
    h: &crate::units::history::UnitHistory,
    u: &unit::Model,
    year: i32,
) -> Option<unit::Model> {
    let first = NaiveDate::from_ymd_opt(year, 1, 1)?;
    let last = NaiveDate::from_ymd_opt(year, 12, 31)?;
    if u.valid_from > last || u.valid_to.is_some_and(|t| t < first) {
        return None;
    }
    let day = u.valid_to.map_or(last, |t| t.min(last));
    Some(crate::units::history::unit_at(h, u, day))
}

/// Which period unit carries each unit's figures in `year`: a unit of the period itself, and a
/// unit that was then under one (a ward under its district) the unit above it.
pub async fn members_of_year(
    db: &DatabaseConnection,
    year: i32,
) -> AppResult<HashMap<String, String>> {
    let in_period: std::collections::HashSet<String> = period_units(db, year)
        .await?
        .into_iter()
        .map(|u| u.unit_id)
        .collect();
    let h = crate::units::history::UnitHistory::load(db).await?;
    let all: HashMap<String, unit::Model> = unit::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id.clone(), u))
        .collect();
    let parent_then = |id: &str| in_year(&h, all.get(id)?, year)?.parent_id;
    let mut out = HashMap::new();
    for id in all.keys() {
        let mut cur = id.clone();
        for _ in 0..4 {
            if in_period.contains(&cur) {
                out.insert(id.clone(), cur.clone());
                break;
            }
            match parent_then(&cur) {
                Some(p) => cur = p,
                None => break,
            }
        }
    }
    Ok(out)
}

/// The units whose rows a period unit's breakdown lists: itself and its wards of that year.
pub async fn members_of(
    db: &DatabaseConnection,
    year: i32,
    unit_id: &str,
) -> AppResult<Vec<String>> {
    let mut v: Vec<String> = members_of_year(db, year)
        .await?
        .into_iter()
        .filter(|(_, to)| to == unit_id)
        .map(|(m, _)| m)
        .collect();
    v.sort();
    Ok(v)
}

/// What `openParPeriod` is given.
#[derive(Debug, Clone, Default)]
pub struct OpenInput {
    pub year: i32,
    pub template: Option<String>,
    pub bands: Option<Vec<Band>>,
    pub ranked: Option<Vec<Block>>,
    pub min_sample: Option<i32>,
}

fn validate_bands(bands: Vec<Band>) -> AppResult<Vec<Band>> {
    let bad = |vi: String, en: String| AppError::bad_input("bands", vi, en);
    if bands.is_empty() || bands.len() > 10 {
        return Err(bad(
            "Cần từ 1 đến 10 mức xếp loại.".into(),
            "Give 1 to 10 bands.".into(),
        ));
    }
    let mut out: Vec<Band> = Vec::new();
    for b in bands {
        let name = crate::text::required("bands", &b.name, 64)?;
        let min = b.min.unwrap_or(f64::NAN);
        if !(min.is_finite() && (0.0..=100.0).contains(&min)) {
            return Err(bad(
                format!("Điểm sàn của mức \"{name}\" phải từ 0 đến 100."),
                format!("The lower bound of band \"{name}\" must be between 0 and 100."),
            ));
        }
        if out
            .iter()
            .any(|o| o.name == name || o.min == Some(round2(min)))
        {
            return Err(bad(
                format!("Mức \"{name}\" trùng tên hoặc điểm sàn với một mức khác."),
                format!("Band \"{name}\" repeats another band's name or lower bound."),
            ));
        }
        out.push(Band {
            name,
            min: Some(round2(min)),
        });
    }
    out.sort_by(|a, b| {
        b.min
            .partial_cmp(&a.min)
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    if out.last().and_then(|b| b.min) != Some(0.0) {
        return Err(bad(
            "Mức xếp loại thấp nhất phải có điểm sàn 0, để mọi đơn vị đều được xếp loại.".into(),
            "The lowest band must start at 0, so that every total gets a band.".into(),
        ));
    }
    Ok(out)
}

pub(crate) fn actor_name(actor: &Actor) -> String {
    actor
        .principal()
        .map(|p| p.subject.clone())
        .unwrap_or_else(|| "system".into())
}

/// Writes a line of a period's audit.
pub(crate) async fn audit(
    db: &impl ConnectionTrait,
    year: i32,
    unit: Option<&str>,
    action: &str,
    criterion: Option<&str>,
    detail: String,
    actor: &str,
) -> AppResult<()> {
    par_audit::ActiveModel {
        id: Set(uuid::Uuid::now_v7().to_string()),
        year: Set(year),
        unit_id: Set(unit.map(str::to_string)),
        action: Set(action.to_string()),
        criterion: Set(criterion.map(str::to_string)),
        detail: Set(detail),
        actor: Set(actor.to_string()),
        at: Set(crate::clock::now()),
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Opens a year: its template (the default, or one given as JSON), bands, ranked blocks and
/// minimum sample, and the list of its units as they were that year.
pub async fn open(
    db: &DatabaseConnection,
    actor: &Actor,
    default_min_sample: u32,
    i: OpenInput,
) -> AppResult<Period> {
    access::require_par_evaluator(actor)?;
    let year = check_year("year", i.year)?;
    let this_year = {
        use chrono::Datelike;
        crate::clock::today().year()
    };
    if year > this_year {
        return Err(AppError::bad_input(
            "year",
            format!("Năm {year} chưa bắt đầu; chỉ mở kỳ đánh giá cho năm nay hoặc các năm trước."),
            format!("{year} has not begun; open a period for this year or an earlier one."),
        ));
    }
    let template = match i.template.as_deref().map(str::trim) {
        None | Some("") => Template::default_template(),
        Some(j) => {
            if j.len() > 200_000 {
                return Err(AppError::bad_input(
                    "template",
                    "Bộ tiêu chí quá lớn (tối đa 200 KB).",
                    "The template is too large (200 KB at most).",
                ));
            }
            Template::parse(j)?
        }
    };
    let bands = validate_bands(i.bands.unwrap_or_else(default_bands))?;
    let ranked = i.ranked.unwrap_or_else(default_ranked);
    let blocks: Vec<BlockRule> = Block::iter()
        .map(|b| BlockRule {
            block: b.to_value(),
            ranked: ranked.contains(&b),
            size: None,
        })
        .collect();
    let min_sample = i.min_sample.unwrap_or(default_min_sample as i32);
    if !(1..=100_000).contains(&min_sample) {
        return Err(AppError::bad_input(
            "minSample",
            "Cỡ mẫu tối thiểu phải từ 1 đến 100000.",
            "minSample must be between 1 and 100000.",
        ));
    }
    if find_period(db, year).await?.is_some() {
        return Err(AppError::conflict(
            format!("Kỳ đánh giá năm {year} đã được mở."),
            format!("The {year} period is already open."),
        ));
    }
    let units = units_of_year(db, year).await?;
    let now = crate::clock::now();
    let who = actor_name(actor);
    let tx = crate::db::begin(db).await?;
    let inserted = par_period::ActiveModel {
        year: Set(year),
        status: Set(Status::Draft.as_str().into()),
        imported: Set(false),
        template: Set(template.json.clone()),
        bands: Set(serde_json::to_string(&bands).map_err(AppError::internal)?),
        blocks: Set(serde_json::to_string(&blocks).map_err(AppError::internal)?),
        min_sample: Set(min_sample),
        source: Set(None),
        computed_at: Set(None),
        published_at: Set(None),
        published_by: Set(None),
        created_by: Set(who.clone()),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&tx)
    .await;
    if let Err(e) = inserted {
        return Err(crate::error::on_unique(
            e,
            AppError::conflict(
                format!("Kỳ đánh giá năm {year} đã được mở."),
                format!("The {year} period is already open."),
            ),
        ));
    }
    insert_units(&tx, year, &units).await?;
    audit(
        &tx,
        year,
        None,
        "OPENED",
        None,
        format!(
            "{} đơn vị; bộ tiêu chí: {}",
            units.len(),
            template.name.clone().unwrap_or_default()
        ),
        &who,
    )
    .await?;
    tx.commit().await?;
    period(db, year).await
}

async fn insert_units(
    db: &impl ConnectionTrait,
    year: i32,
    units: &[unit::Model],
) -> AppResult<()> {
    for chunk in units.chunks(200) {
        par_period_unit::Entity::insert_many(chunk.iter().map(|u| par_period_unit::ActiveModel {
            year: Set(year),
            unit_id: Set(u.id.clone()),
            code: Set(u.code.clone()),
            name: Set(u.name.clone()),
            short_name: Set(u.short_name.clone()),
            block: Set(u.block),
        }))
        .exec(db)
        .await?;
    }
    Ok(())
}

pub async fn period_units(
    db: &impl ConnectionTrait,
    year: i32,
) -> AppResult<Vec<par_period_unit::Model>> {
    Ok(par_period_unit::Entity::find()
        .filter(par_period_unit::Column::Year.eq(year))
        .order_by_asc(par_period_unit::Column::Code)
        .all(db)
        .await?)
}

/// The unit of a period, or `BAD_USER_INPUT` naming it.
pub async fn period_unit(
    db: &impl ConnectionTrait,
    year: i32,
    unit_id: &str,
) -> AppResult<par_period_unit::Model> {
    par_period_unit::Entity::find_by_id((year, unit_id.to_string()))
        .one(db)
        .await?
        .ok_or_else(|| {
            AppError::bad_input(
                "unit",
                format!("Đơn vị {unit_id} không thuộc kỳ đánh giá năm {year}."),
                format!("Unit {unit_id} is not part of the {year} period."),
            )
        })
}

/// Marks a period changed: a computed one goes back to draft. Refused (`CONFLICT`) when the
/// period is published, or changed by someone else since it was read.
async fn touch(db: &impl ConnectionTrait, p: &Period) -> AppResult<()> {
    let r = back_to_draft(p.year())
        .filter(par_period::Column::Status.ne(Status::Published.as_str()))
        .exec(db)
        .await?;
    if r.rows_affected == 0 {
        return Err(published(p.year()));
    }
    Ok(())
}

fn editable(p: &Period) -> AppResult<()> {
    if p.model.imported {
        return Err(imported(p.year()));
    }
    if p.status == Status::Published {
        return Err(published(p.year()));
    }
    Ok(())
}

/// What `setParScore` is given.
#[derive(Debug, Clone)]
pub struct ScoreInput {
    pub year: i32,
    pub unit: String,
    pub criterion: String,
    pub self_score: Option<f64>,
    pub appraised_score: Option<f64>,
    pub note: Option<String>,
}

fn check_score(field: &str, c: &template::Criterion, v: f64) -> AppResult<f64> {
    if !(v.is_finite() && v >= 0.0 && v <= c.max + 1e-9) {
        return Err(AppError::bad_input(
            field,
            format!(
                "Điểm của tiêu chí {} ({}) phải từ 0 đến {}; đã nhập {v}.",
                c.code, c.name, c.max
            ),
            format!(
                "The score of criterion {} ({}) must be between 0 and {}; got {v}.",
                c.code, c.name, c.max
            ),
        ));
    }
    Ok(round2(v))
}

/// A unit's self-assessment (its officials, in a draft) or the evaluator's appraisal of one
/// appraised criterion.
pub async fn set_score(
    db: &DatabaseConnection,
    actor: &Actor,
    i: ScoreInput,
) -> AppResult<par_score::Model> {
    actor.require_role(&[
        crate::auth::Role::Official,
        crate::auth::Role::Evaluator,
        crate::auth::Role::Admin,
    ])?;
    if i.self_score.is_none() && i.appraised_score.is_none() {
        return Err(AppError::bad_input(
            "selfScore",
            "Hãy nhập điểm tự đánh giá hoặc điểm thẩm định.",
            "Give a selfScore or an appraisedScore.",
        ));
    }
    let p = period(db, check_year("year", i.year)?).await?;
    editable(&p)?;
    let c = p.leaf(&i.criterion)?.clone();
    let u = period_unit(db, p.year(), i.unit.trim()).await?;
    if i.appraised_score.is_some() {
        access::require_par_evaluator(actor)?;
    }
    if i.self_score.is_some() {
        access::require_par_self_assessment(db, actor, &u.unit_id).await?;
        if p.status != Status::Draft && !access::is_par_evaluator(actor) {
            return Err(AppError::conflict(
                format!(
                    "Kỳ đánh giá năm {} đã được tính điểm; đơn vị chỉ tự đánh giá khi kỳ còn ở dạng dự thảo.",
                    p.year()
                ),
                format!(
                    "The {} period has been computed; units enter self-assessments only while it is a draft.",
                    p.year()
                ),
            ));
        }
    }
    if c.source != Some(Source::Appraised) {
        return Err(AppError::bad_input(
            "criterion",
            format!(
                "Tiêu chí {} được tính từ dữ liệu ({}); không nhập điểm cho tiêu chí này.",
                c.code,
                c.source.map(|s| s.name()).unwrap_or_default()
            ),
            format!(
                "Criterion {} is computed from the data ({}); it takes no entered score.",
                c.code,
                c.source.map(|s| s.name()).unwrap_or_default()
            ),
        ));
    }
    let self_score = i
        .self_score
        .map(|v| check_score("selfScore", &c, v))
        .transpose()?;
    let appraised = i
        .appraised_score
        .map(|v| check_score("appraisedScore", &c, v))
        .transpose()?;
    let note = match i.note.as_deref() {
        Some(n) => Some(crate::text::clean("note", n, 2000)?).filter(|n| !n.is_empty()),
        None => None,
    };
    let who = actor_name(actor);
    let tx = crate::db::begin(db).await?;
    touch(&tx, &p).await?;
    let key = (p.year(), u.unit_id.clone(), c.code.clone());
    let existing = par_score::Entity::find_by_id(key.clone()).one(&tx).await?;
    let mut m: par_score::ActiveModel = match existing.clone() {
        Some(e) => e.into(),
        None => par_score::ActiveModel {
            year: Set(p.year()),
            unit_id: Set(u.unit_id.clone()),
            criterion: Set(c.code.clone()),
            self_score: Set(None),
            self_note: Set(None),
            appraised_score: Set(None),
            appraisal_note: Set(None),
            updated_by: Set(who.clone()),
            updated_at: Set(crate::clock::now()),
        },
    };
    if let Some(s) = self_score {
        m.self_score = Set(Some(s));
        if note.is_some() {
            m.self_note = Set(note.clone());
        }
        let was = existing.as_ref().and_then(|e| e.self_score);
        let detail = change(was, s, note.as_deref());
        audit(
            &tx,
            p.year(),
            Some(&u.unit_id),
            "SELF_SCORE",
            Some(&c.code),
            detail,
            &who,
        )
        .await?;
    }
    if let Some(a) = appraised {
        m.appraised_score = Set(Some(a));
        if note.is_some() {
            m.appraisal_note = Set(note.clone());
        }
        let was = existing.as_ref().and_then(|e| e.appraised_score);
        let detail = change(was, a, note.as_deref());
        audit(
            &tx,
            p.year(),
            Some(&u.unit_id),
            "APPRAISAL",
            Some(&c.code),
            detail,
            &who,
        )
        .await?;
    }
    m.updated_by = Set(who);
    m.updated_at = Set(crate::clock::now());
    let saved = if existing.is_some() {
        m.update(&tx).await?
    } else {
        m.insert(&tx).await?
    };
    tx.commit().await?;
    Ok(saved)
}

/// An audit line for a score: "old → new (note)".
fn change(was: Option<f64>, now: f64, note: Option<&str>) -> String {
    let was = was.map(|v| v.to_string()).unwrap_or_else(|| "—".into());
    let note = note.map(|n| format!(" ({n})")).unwrap_or_default();
    format!("{was} → {now}{note}")
}

/// What `addParDeduction` is given.
#[derive(Debug, Clone)]
pub struct DeductionInput {
    pub year: i32,
    pub unit: String,
    pub criterion: String,
    pub points: f64,
    pub reason: String,
}

/// Deducts points from a unit, with the reason and the criterion concerned (evaluators only).
pub async fn add_deduction(
    db: &DatabaseConnection,
    actor: &Actor,
    i: DeductionInput,
    claim: Option<crate::idempotency::Claim>,
) -> AppResult<par_deduction::Model> {
    access::require_par_evaluator(actor)?;
    let p = period(db, check_year("year", i.year)?).await?;
    editable(&p)?;
    let c = match &p.template {
        Some(t) => t.get(i.criterion.trim()).cloned().ok_or_else(|| {
            AppError::bad_input(
                "criterion",
                format!(
                    "Bộ tiêu chí của kỳ đánh giá không có tiêu chí {}.",
                    i.criterion.trim()
                ),
                format!(
                    "The period's template has no criterion {}.",
                    i.criterion.trim()
                ),
            )
        })?,
        None => return Err(imported(p.year())),
    };
    let u = period_unit(db, p.year(), i.unit.trim()).await?;
    let points = round2(i.points);
    if !(points.is_finite() && points > 0.0 && points <= c.max + 1e-9) {
        return Err(AppError::bad_input(
            "points",
            format!(
                "Điểm trừ ở tiêu chí {} phải lớn hơn 0 và không quá {} (điểm tối đa của tiêu chí).",
                c.code, c.max
            ),
            format!(
                "A deduction on criterion {} must be above 0 and at most {} (the criterion's maximum).",
                c.code, c.max
            ),
        ));
    }
    let reason = crate::text::required("reason", &i.reason, 2000)?;
    if let Some(cl) = &claim
        && let Some(id) = cl.prior(db).await?
        && let Some(d) = par_deduction::Entity::find_by_id(id).one(db).await?
    {
        return Ok(d);
    }
    let who = actor_name(actor);
    let id = uuid::Uuid::now_v7().to_string();
    let tx = crate::db::begin(db).await?;
    // The period's row is updated first: on PostgreSQL it stays locked until the commit, so
    // concurrent deductions are checked against the cap one after the other.
    touch(&tx, &p).await?;
    let already: f64 = active_deductions(&tx, p.year(), Some(&u.unit_id))
        .await?
        .iter()
        .filter(|d| d.criterion == c.code)
        .map(|d| d.points)
        .sum();
    if already + points > c.max + 1e-9 {
        return Err(AppError::bad_input(
            "points",
            format!(
                "Tiêu chí {} đã bị trừ {} điểm; tổng điểm trừ không được vượt quá điểm tối đa {} của tiêu chí.",
                c.code,
                round2(already),
                c.max
            ),
            format!(
                "Criterion {} already has {} points deducted; deductions may not exceed its maximum of {}.",
                c.code,
                round2(already),
                c.max
            ),
        ));
    }
    let m = par_deduction::ActiveModel {
        id: Set(id.clone()),
        year: Set(p.year()),
        unit_id: Set(u.unit_id.clone()),
        criterion: Set(c.code.clone()),
        points: Set(points),
        reason: Set(reason.clone()),
        created_by: Set(who.clone()),
        created_at: Set(crate::clock::now()),
        removed_at: Set(None),
        removed_by: Set(None),
        removal_reason: Set(None),
    }
    .insert(&tx)
    .await?;
    audit(
        &tx,
        p.year(),
        Some(&u.unit_id),
        "DEDUCTION_ADDED",
        Some(&c.code),
        format!("−{points}: {reason}"),
        &who,
    )
    .await?;
    if let Some(cl) = &claim
        && let Err(e) = cl.record(&tx, &id).await
    {
        drop(tx);
        if e.sql_err().is_some()
            && let Some(prior) = cl.prior(db).await?
            && let Some(d) = par_deduction::Entity::find_by_id(prior).one(db).await?
        {
            return Ok(d);
        }
        return Err(e.into());
    }
    tx.commit().await?;
    Ok(m)
}

/// Withdraws a deduction; it stays in the record, marked removed.
pub async fn remove_deduction(
    db: &DatabaseConnection,
    actor: &Actor,
    id: &str,
    reason: Option<&str>,
) -> AppResult<par_deduction::Model> {
    access::require_par_evaluator(actor)?;
    let not_found = || {
        AppError::not_found(
            format!("Không tìm thấy điểm trừ {id}."),
            format!("No deduction has id {id}."),
        )
    };
    let d = par_deduction::Entity::find_by_id(id.trim().to_string())
        .one(db)
        .await?
        .ok_or_else(not_found)?;
    let p = period(db, d.year).await?;
    editable(&p)?;
    if d.removed_at.is_some() {
        return Ok(d);
    }
    let reason = match reason {
        Some(r) => Some(crate::text::clean("reason", r, 2000)?).filter(|r| !r.is_empty()),
        None => None,
    };
    let who = actor_name(actor);
    let tx = crate::db::begin(db).await?;
    touch(&tx, &p).await?;
    let r = par_deduction::Entity::update_many()
        .col_expr(
            par_deduction::Column::RemovedAt,
            Expr::value(crate::clock::now()),
        )
        .col_expr(par_deduction::Column::RemovedBy, Expr::value(who.clone()))
        .col_expr(
            par_deduction::Column::RemovalReason,
            Expr::value(reason.clone()),
        )
        .filter(par_deduction::Column::Id.eq(d.id.clone()))
        .filter(par_deduction::Column::RemovedAt.is_null())
        .exec(&tx)
        .await?;
    if r.rows_affected == 1 {
        audit(
            &tx,
            d.year,
            Some(&d.unit_id),
            "DEDUCTION_REMOVED",
            Some(&d.criterion),
            format!(
                "−{}: {}{}",
                d.points,
                d.reason,
                reason
                    .as_deref()
                    .map(|r| format!(" — gỡ bỏ: {r}"))
                    .unwrap_or_default()
            ),
            &who,
        )
        .await?;
    }
    tx.commit().await?;
    par_deduction::Entity::find_by_id(d.id.clone())
        .one(db)
        .await?
        .ok_or_else(not_found)
}

/// How a computed criterion got its points, stored beside them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Detail {
    /// `SHARE`, `LOWER_BOUND` (sample below the minimum), `NOT_APPLICABLE` (nothing to count:
    /// full points), `APPRAISED`, `NOT_APPRAISED`.
    pub rule: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub counted: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub good: Option<u64>,
    /// Percent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub share: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lower_bound: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mean: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_sample: Option<u32>,
    /// Rows left out (excused delays).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub excluded: Option<u64>,
}

/// The points of a satisfaction criterion: maximum × satisfied share, or × its 95% lower bound
/// below the minimum sample (no answers at all: no points).
pub fn satisfaction_points(max: f64, t: &Tally, min_sample: u32) -> (f64, Detail) {
    let sufficient = t.sufficient(min_sample);
    let share = t.share();
    let lb = t.lower_bound();
    let used = if sufficient { share } else { lb };
    (
        max * used.unwrap_or(0.0) / 100.0,
        Detail {
            rule: if sufficient { "SHARE" } else { "LOWER_BOUND" }.into(),
            counted: Some(t.answers),
            good: Some(t.satisfied),
            share: share.map(round2),
            lower_bound: lb.map(round2),
            mean: t.mean().map(round2),
            min_sample: Some(min_sample),
            excluded: None,
        },
    )
}

/// Maximum × good / counted; nothing to count gives full points (the criterion does not apply).
pub fn share_points(max: f64, counted: u64, good: u64, excluded: Option<u64>) -> (f64, Detail) {
    if counted == 0 {
        return (
            max,
            Detail {
                rule: "NOT_APPLICABLE".into(),
                counted: Some(0),
                good: Some(0),
                excluded,
                ..Default::default()
            },
        );
    }
    let share = 100.0 * good as f64 / counted as f64;
    (
        max * good as f64 / counted as f64,
        Detail {
            rule: "SHARE".into(),
            counted: Some(counted),
            good: Some(good),
            share: Some(round2(share)),
            excluded,
            ..Default::default()
        },
    )
}

/// A unit's results before ranking.
#[derive(Debug, Clone)]
struct UnitResult {
    unit: par_period_unit::Model,
    leaves: Vec<(String, f64, f64, Detail)>,
    total: f64,
    areas: Vec<AreaPoints>,
}

/// Points of one area (a top-level criterion), deductions on its criteria included.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AreaPoints {
    pub code: String,
    pub name: String,
    pub points: f64,
    pub max: f64,
}

/// Competition ranks ("1, 2, 2, 4") of totals, highest first.
pub fn competition_ranks(totals: &[f64]) -> Vec<u32> {
    totals
        .iter()
        .map(|t| 1 + totals.iter().filter(|o| **o > *t + 1e-9).count() as u32)
        .collect()
}

/// The outcome of a computation, for the caller and the benchmark.
#[derive(Debug, Clone)]
pub struct ComputeSummary {
    pub units: usize,
    pub ratings: u64,
    pub dossiers: u64,
    pub complaints: u64,
    pub missing_appraisals: u64,
    pub aggregate_ms: f64,
    pub total_ms: f64,
}

/// Computes every unit of the period: the criteria from the data (three aggregate queries),
/// the appraised scores, the deductions; then totals, bands and ranks, stored in one
/// transaction. A published period is returned as it stands: its numbers never move.
pub async fn compute(
    db: &DatabaseConnection,
    actor: &Actor,
    year: i32,
) -> AppResult<(Period, Option<ComputeSummary>)> {
    access::require_par_evaluator(actor)?;
    let p = period(db, check_year("year", year)?).await?;
    if p.status == Status::Published {
        return Ok((p, None));
    }
    let Some(t) = p.template.clone() else {
        return Err(imported(p.year()));
    };
    let started = std::time::Instant::now();
    let now = crate::clock::now();
    let frame = Frame::new(p.year(), now)?;
    let members = members_of_year(db, p.year()).await?;
    let counts = compute::counts(db, &frame, None).await?.fold(&members);
    let aggregate_ms = started.elapsed().as_secs_f64() * 1000.0;
    let units = period_units(db, p.year()).await?;
    let scores: HashMap<(String, String), par_score::Model> = par_score::Entity::find()
        .filter(par_score::Column::Year.eq(p.year()))
        .all(db)
        .await?
        .into_iter()
        .map(|s| ((s.unit_id.clone(), s.criterion.clone()), s))
        .collect();
    let deductions = active_deductions(db, p.year(), None).await?;
    let (results, summary) = score_units(&p, &t, &units, &counts, &scores, &deductions);

    let tx = crate::db::begin(db).await?;
    par_criterion_result::Entity::delete_many()
        .filter(par_criterion_result::Column::Year.eq(p.year()))
        .exec(&tx)
        .await?;
    par_result::Entity::delete_many()
        .filter(par_result::Column::Year.eq(p.year()))
        .exec(&tx)
        .await?;
    let mut rows = Vec::new();
    for r in &results {
        for (code, points, max, detail) in &r.leaves {
            rows.push(par_criterion_result::ActiveModel {
                year: Set(p.year()),
                unit_id: Set(r.unit.unit_id.clone()),
                criterion: Set(code.clone()),
                points: Set(*points),
                max: Set(*max),
                detail: Set(serde_json::to_string(detail).map_err(AppError::internal)?),
            });
        }
    }
    while !rows.is_empty() {
        let rest = rows.split_off(rows.len().min(300));
        par_criterion_result::Entity::insert_many(std::mem::replace(&mut rows, rest))
            .exec(&tx)
            .await?;
    }
    // Ranks within each ranked block.
    let mut by_block: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, r) in results.iter().enumerate() {
        by_block.entry(r.unit.block.to_value()).or_default().push(i);
    }
    let mut ranks: HashMap<usize, Option<i32>> = HashMap::new();
    for (block, idx) in &by_block {
        let ranked = p.blocks.iter().any(|b| &b.block == block && b.ranked);
        let totals: Vec<f64> = idx.iter().map(|i| results[*i].total).collect();
        let rk = competition_ranks(&totals);
        for (k, i) in idx.iter().enumerate() {
            ranks.insert(*i, ranked.then_some(rk[k] as i32));
        }
    }
    let mut models = Vec::new();
    for (i, r) in results.iter().enumerate() {
        models.push(par_result::ActiveModel {
            year: Set(p.year()),
            unit_id: Set(r.unit.unit_id.clone()),
            block: Set(r.unit.block),
            total: Set(r.total),
            band: Set(p.band_of(r.total)),
            rank: Set(ranks.get(&i).copied().flatten()),
            areas: Set(serde_json::to_string(&r.areas).map_err(AppError::internal)?),
            computed_at: Set(now),
        });
    }
    for chunk in models.chunks(300) {
        par_result::Entity::insert_many(chunk.to_vec())
            .exec(&tx)
            .await?;
    }
    // Only if nobody changed or published the period meanwhile.
    let r = par_period::Entity::update_many()
        .col_expr(
            par_period::Column::Status,
            Expr::value(Status::Computed.as_str()),
        )
        .col_expr(par_period::Column::ComputedAt, Expr::value(now))
        .col_expr(par_period::Column::UpdatedAt, Expr::value(now))
        .filter(par_period::Column::Year.eq(p.year()))
        .filter(par_period::Column::UpdatedAt.eq(p.model.updated_at))
        .filter(par_period::Column::Status.ne(Status::Published.as_str()))
        .exec(&tx)
        .await?;
    if r.rows_affected == 0 {
        return Err(AppError::conflict(
            "Kỳ đánh giá vừa được người khác thay đổi trong lúc tính điểm; hãy tính lại.",
            "The period was changed by someone else while it was being computed; compute again.",
        ));
    }
    audit(
        &tx,
        p.year(),
        None,
        "COMPUTED",
        None,
        format!(
            "{} đơn vị; {} lượt đánh giá, {} hồ sơ, {} phản ánh; {} tiêu chí thẩm định chưa có điểm",
            summary.units, summary.ratings, summary.dossiers, summary.complaints, summary.missing_appraisals
        ),
        &actor_name(actor),
    )
    .await?;
    tx.commit().await?;
    let summary = ComputeSummary {
        aggregate_ms,
        total_ms: started.elapsed().as_secs_f64() * 1000.0,
        ..summary
    };
    Ok((period(db, p.year()).await?, Some(summary)))
}

/// One unit's points as they would be computed now, criterion by criterion, and its total:
/// `db` may be a transaction holding a change not yet committed (the effect of a review
/// request). `members` are the units whose figures the period unit carries that year.
pub async fn live_points(
    db: &impl ConnectionTrait,
    p: &Period,
    unit_id: &str,
    members: &[String],
) -> AppResult<Option<(f64, Vec<(String, f64)>)>> {
    let Some(t) = p.template.as_ref() else {
        return Ok(None);
    };
    let Some(unit) = par_period_unit::Entity::find_by_id((p.year(), unit_id.to_string()))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let frame = Frame::new(p.year(), crate::clock::now())?;
    let to: HashMap<String, String> = members
        .iter()
        .map(|m| (m.clone(), unit_id.to_string()))
        .collect();
    let counts = compute::counts(db, &frame, Some(members)).await?.fold(&to);
    let scores: HashMap<(String, String), par_score::Model> = par_score::Entity::find()
        .filter(par_score::Column::Year.eq(p.year()))
        .filter(par_score::Column::UnitId.eq(unit_id))
        .all(db)
        .await?
        .into_iter()
        .map(|s| ((s.unit_id.clone(), s.criterion.clone()), s))
        .collect();
    let deductions = active_deductions(db, p.year(), Some(unit_id)).await?;
    let (results, _) = score_units(p, t, &[unit], &counts, &scores, &deductions);
    Ok(results.into_iter().next().map(|r| {
        (
            r.total,
            r.leaves
                .into_iter()
                .map(|(c, pts, _, _)| (c, pts))
                .collect(),
        )
    }))
}

/// Marks a period's figures changed (a computed year goes back to draft, so that it is computed
/// again before it is published); nothing for a published or missing year.
pub async fn mark_changed(db: &impl ConnectionTrait, year: i32) -> AppResult<()> {
    back_to_draft(year)
        .filter(par_period::Column::Status.eq(Status::Computed.as_str()))
        .exec(db)
        .await?;
    Ok(())
}

/// The update that puts a year back to draft (its figures changed since computed).
fn back_to_draft(year: i32) -> sea_orm::UpdateMany<par_period::Entity> {
    par_period::Entity::update_many()
        .col_expr(
            par_period::Column::Status,
            Expr::value(Status::Draft.as_str()),
        )
        .col_expr(
            par_period::Column::UpdatedAt,
            Expr::value(crate::clock::now()),
        )
        .filter(par_period::Column::Year.eq(year))
}

async fn active_deductions(
    db: &impl ConnectionTrait,
    year: i32,
    unit: Option<&str>,
) -> AppResult<Vec<par_deduction::Model>> {
    let mut q = par_deduction::Entity::find()
        .filter(par_deduction::Column::Year.eq(year))
        .filter(par_deduction::Column::RemovedAt.is_null());
    if let Some(u) = unit {
        q = q.filter(par_deduction::Column::UnitId.eq(u));
    }
    Ok(q.order_by_asc(par_deduction::Column::CreatedAt)
        .all(db)
        .await?)
}

/// The scoring itself, without the database: leaf points, deductions, totals and areas.
fn score_units(
    p: &Period,
    t: &Template,
    units: &[par_period_unit::Model],
    counts: &Counts,
    scores: &HashMap<(String, String), par_score::Model>,
    deductions: &[par_deduction::Model],
) -> (Vec<UnitResult>, ComputeSummary) {
    let min_sample = p.model.min_sample.max(1) as u32;
    let mut summary = ComputeSummary {
        units: units.len(),
        ratings: 0,
        dossiers: 0,
        complaints: 0,
        missing_appraisals: 0,
        aggregate_ms: 0.0,
        total_ms: 0.0,
    };
    let empty = HashMap::new();
    let mut out = Vec::new();
    for u in units {
        let sat = counts.satisfaction.get(&u.unit_id).unwrap_or(&empty);
        let dc = counts.dossiers.get(&u.unit_id).copied().unwrap_or_default();
        let cc = counts
            .complaints
            .get(&u.unit_id)
            .copied()
            .unwrap_or_default();
        summary.ratings += sat.values().map(|t| t.answers).max().unwrap_or(0);
        summary.dossiers += dc.counted + dc.excused;
        summary.complaints += cc.counted;
        let mut leaves = Vec::new();
        for c in t.leaves() {
            let (points, detail) = match c.source.unwrap_or(Source::Appraised) {
                Source::Appraised => {
                    match scores
                        .get(&(u.unit_id.clone(), c.code.clone()))
                        .and_then(|s| s.appraised_score)
                    {
                        Some(v) => (
                            v.min(c.max),
                            Detail {
                                rule: "APPRAISED".into(),
                                ..Default::default()
                            },
                        ),
                        None => {
                            summary.missing_appraisals += 1;
                            (
                                0.0,
                                Detail {
                                    rule: "NOT_APPRAISED".into(),
                                    ..Default::default()
                                },
                            )
                        }
                    }
                }
                Source::Satisfaction(comp) => satisfaction_points(
                    c.max,
                    &sat.get(&comp).copied().unwrap_or_default(),
                    min_sample,
                ),
                Source::Timeliness => share_points(c.max, dc.counted, dc.on_time, Some(dc.excused)),
                Source::Apology => share_points(c.max, dc.late(), dc.apologised, None),
                Source::ComplaintHandling => share_points(c.max, cc.counted, cc.on_time, None),
            };
            leaves.push((c.code.clone(), points, c.max, detail));
        }
        let mine: Vec<&par_deduction::Model> = deductions
            .iter()
            .filter(|d| d.unit_id == u.unit_id)
            .collect();
        let sum: f64 =
            leaves.iter().map(|l| l.1).sum::<f64>() - mine.iter().map(|d| d.points).sum::<f64>();
        let total = round2(sum.clamp(0.0, 100.0));
        let areas = t
            .areas()
            .map(|a| {
                let leaf_points: f64 = leaves
                    .iter()
                    .filter(|l| t.get(&l.0).is_some_and(|c| c.area == a.code))
                    .map(|l| l.1)
                    .sum();
                let deducted: f64 = mine
                    .iter()
                    .filter(|d| t.get(&d.criterion).is_some_and(|c| c.area == a.code))
                    .map(|d| d.points)
                    .sum();
                AreaPoints {
                    code: a.code.clone(),
                    name: a.name.clone(),
                    points: round2(leaf_points - deducted),
                    max: a.max,
                }
            })
            .collect();
        out.push(UnitResult {
            unit: u.clone(),
            leaves,
            total,
            areas,
        });
    }
    (out, summary)
}

/// Publishes a computed period: its results are frozen from then on.
pub async fn publish(db: &DatabaseConnection, actor: &Actor, year: i32) -> AppResult<Period> {
    access::require_par_evaluator(actor)?;
    let p = period(db, check_year("year", year)?).await?;
    match p.status {
        Status::Published => return Err(published(p.year())),
        Status::Draft => {
            return Err(AppError::conflict(
                format!(
                    "Kỳ đánh giá năm {} có thay đổi chưa được tính điểm; hãy tính điểm (computeParIndex) trước khi công bố.",
                    p.year()
                ),
                format!(
                    "The {} period has changes that were not computed; run computeParIndex before publishing.",
                    p.year()
                ),
            ));
        }
        Status::Computed => {}
    }
    let now = crate::clock::now();
    let who = actor_name(actor);
    let tx = crate::db::begin(db).await?;
    let r = par_period::Entity::update_many()
        .col_expr(
            par_period::Column::Status,
            Expr::value(Status::Published.as_str()),
        )
        .col_expr(par_period::Column::PublishedAt, Expr::value(now))
        .col_expr(par_period::Column::PublishedBy, Expr::value(who.clone()))
        .col_expr(par_period::Column::UpdatedAt, Expr::value(now))
        .filter(par_period::Column::Year.eq(p.year()))
        .filter(par_period::Column::Status.eq(Status::Computed.as_str()))
        .filter(par_period::Column::UpdatedAt.eq(p.model.updated_at))
        .exec(&tx)
        .await?;
    if r.rows_affected == 0 {
        return Err(AppError::conflict(
            "Kỳ đánh giá vừa được người khác thay đổi; hãy xem lại và tính điểm lại trước khi công bố.",
            "The period was changed meanwhile; review it and compute again before publishing.",
        ));
    }
    audit(&tx, p.year(), None, "PUBLISHED", None, String::new(), &who).await?;
    tx.commit().await?;
    period(db, p.year()).await
}

/// One row of a period's table.
#[derive(Debug, Clone)]
pub struct Entry {
    pub unit: par_period_unit::Model,
    pub result: par_result::Model,
    pub areas: Vec<AreaPoints>,
    pub previous_total: Option<f64>,
}

/// The table of a block: entries in rank order (then by total, then code), with the block's
/// size (the published one for an imported year).
pub async fn table(
    db: &DatabaseConnection,
    p: &Period,
    block: Option<Block>,
) -> AppResult<(Vec<Entry>, HashMap<String, u32>)> {
    let units: HashMap<String, par_period_unit::Model> = period_units(db, p.year())
        .await?
        .into_iter()
        .map(|u| (u.unit_id.clone(), u))
        .collect();
    let mut q = par_result::Entity::find().filter(par_result::Column::Year.eq(p.year()));
    if let Some(b) = block {
        q = q.filter(par_result::Column::Block.eq(b));
    }
    let results = q.all(db).await?;
    // Last year's totals, where last year is published.
    let prev: HashMap<String, f64> = match find_period(db, p.year() - 1).await? {
        Some(pp) if pp.status == Status::Published => par_result::Entity::find()
            .filter(par_result::Column::Year.eq(pp.year()))
            .all(db)
            .await?
            .into_iter()
            .map(|r| (r.unit_id, r.total))
            .collect(),
        _ => HashMap::new(),
    };
    let mut entries = Vec::new();
    let mut sizes: HashMap<String, u32> = HashMap::new();
    for r in results {
        let Some(u) = units.get(&r.unit_id) else {
            continue;
        };
        *sizes.entry(r.block.to_value()).or_default() += 1;
        entries.push(Entry {
            unit: u.clone(),
            areas: serde_json::from_str(&r.areas).unwrap_or_default(),
            previous_total: prev.get(&r.unit_id).copied(),
            result: r,
        });
    }
    for b in &p.blocks {
        if let Some(s) = b.size {
            sizes.insert(b.block.clone(), s);
        }
    }
    entries.sort_by(|a, b| {
        let ba = block_order(a.unit.block);
        let bb = block_order(b.unit.block);
        ba.cmp(&bb)
            .then(
                a.result
                    .rank
                    .unwrap_or(i32::MAX)
                    .cmp(&b.result.rank.unwrap_or(i32::MAX)),
            )
            .then(
                b.result
                    .total
                    .partial_cmp(&a.result.total)
                    .unwrap_or(std::cmp::Ordering::Equal),
            )
            .then(a.unit.code.cmp(&b.unit.code))
    });
    Ok((entries, sizes))
}

fn block_order(b: Block) -> u8 {
    match b {
        Block::Department => 0,
        Block::VerticalAgency => 1,
        Block::District => 2,
        Block::Commune => 3,
    }
}

/// Everything a unit's breakdown shows.
#[derive(Debug, Clone)]
pub struct Breakdown {
    pub unit: par_period_unit::Model,
    pub result: Option<par_result::Model>,
    pub criteria: Vec<(
        template::Criterion,
        Option<par_criterion_result::Model>,
        Option<par_score::Model>,
    )>,
    pub deductions: Vec<par_deduction::Model>,
    pub audit: Vec<par_audit::Model>,
}

pub async fn breakdown(db: &DatabaseConnection, p: &Period, unit_id: &str) -> AppResult<Breakdown> {
    let unit = period_unit(db, p.year(), unit_id).await?;
    let result = par_result::Entity::find_by_id((p.year(), unit.unit_id.clone()))
        .one(db)
        .await?;
    let computed: HashMap<String, par_criterion_result::Model> =
        par_criterion_result::Entity::find()
            .filter(par_criterion_result::Column::Year.eq(p.year()))
            .filter(par_criterion_result::Column::UnitId.eq(unit.unit_id.clone()))
            .all(db)
            .await?
            .into_iter()
            .map(|c| (c.criterion.clone(), c))
            .collect();
    let scores: HashMap<String, par_score::Model> = par_score::Entity::find()
        .filter(par_score::Column::Year.eq(p.year()))
        .filter(par_score::Column::UnitId.eq(unit.unit_id.clone()))
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.criterion.clone(), s))
        .collect();
    let criteria = p
        .template
        .as_ref()
        .map(|t| {
            t.criteria
                .iter()
                .map(|c| {
                    (
                        c.clone(),
                        computed.get(&c.code).cloned(),
                        scores.get(&c.code).cloned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let deductions = par_deduction::Entity::find()
        .filter(par_deduction::Column::Year.eq(p.year()))
        .filter(par_deduction::Column::UnitId.eq(unit.unit_id.clone()))
        .order_by_asc(par_deduction::Column::CreatedAt)
        .all(db)
        .await?;
    let audit = par_audit::Entity::find()
        .filter(par_audit::Column::Year.eq(p.year()))
        .filter(par_audit::Column::UnitId.eq(unit.unit_id.clone()))
        .order_by_asc(par_audit::Column::At)
        .all(db)
        .await?;
    Ok(Breakdown {
        unit,
        result,
        criteria,
        deductions,
        audit,
    })
}

/// The time a period's rows are read at (for the row lists of a breakdown).
pub fn rows_frame(p: &Period) -> AppResult<Frame> {
    p.frame()
}

/// When a row list was fixed: the period's computation.
pub fn computed_at(p: &Period) -> Option<DateTime<Utc>> {
    p.model.computed_at
}

/// `portal bench-par`: computes a year `runs` times over what the database holds and prints the
/// time of each run (the three aggregates, then everything with the writes).
pub async fn bench(db: &DatabaseConnection, year: i32, runs: u32) -> anyhow::Result<()> {
    use sea_orm::PaginatorTrait;
    let actor = Actor::User(crate::auth::Principal {
        subject: "script:bench-par".into(),
        account_id: None,
        role: crate::auth::Role::Evaluator,
        unit_id: None,
        business_id: None,
        session_id: None,
        confirmed: true,
    });
    let backend = format!("{:?}", db.get_database_backend());
    let ratings = entity::rating::Entity::find().count(db).await?;
    // The answers from the running tallies: counting tens of millions of rows on a cold SQLite
    // file would take minutes and measure the disk, not the index.
    let scores: i64 = entity::rating_tally::Entity::find()
        .all(db)
        .await?
        .iter()
        .map(|t| t.answers)
        .sum();
    let dossiers = entity::dossier::Entity::find().count(db).await?;
    let complaints = entity::complaint::Entity::find().count(db).await?;
    println!(
        "{backend}: {ratings} ratings ({scores} component answers), {dossiers} dossiers, {complaints} complaints in the database; {} CPU cores",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    );
    let err = |e: AppError| anyhow::anyhow!(e.message(crate::error::Lang::En));
    if find_period(db, year).await.map_err(err)?.is_none() {
        open(
            db,
            &actor,
            30,
            OpenInput {
                year,
                ..Default::default()
            },
        )
        .await
        .map_err(err)?;
        println!("opened {year} with the default template");
    }
    for run in 1..=runs.max(1) {
        let (p, s) = compute(db, &actor, year).await.map_err(err)?;
        let Some(s) = s else {
            println!("{year} is published: its results are frozen, nothing to compute");
            return Ok(());
        };
        println!(
            "run {run}: {} units, {} ratings, {} dossiers, {} complaints counted; aggregates {:.0} ms, whole computation with its writes {:.0} ms ({})",
            s.units,
            s.ratings,
            s.dossiers,
            s.complaints,
            s.aggregate_ms,
            s.total_ms,
            p.status.as_str()
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn competition_ranks_share_a_place_and_skip_the_next() {
        assert_eq!(
            competition_ranks(&[90.0, 95.5, 90.0, 80.0]),
            vec![2, 1, 2, 4]
        );
        assert_eq!(competition_ranks(&[]), Vec::<u32>::new());
    }

    #[test]
    fn bands_follow_the_lower_bounds() {
        let b = default_bands();
        assert_eq!(band_of(&b, 85.18), "Tốt");
        assert_eq!(band_of(&b, 80.0), "Tốt");
        assert_eq!(band_of(&b, 79.99), "Khá");
        assert_eq!(band_of(&b, 12.0), "Yếu");
    }

    #[test]
    fn small_samples_use_the_lower_bound_and_nothing_counted_gives_full_points() {
        let t = Tally {
            answers: 4,
            score_sum: 20,
            satisfied: 4,
        };
        let (pts, d) = satisfaction_points(10.0, &t, 30);
        assert_eq!(d.rule, "LOWER_BOUND");
        assert!(pts < 10.0 * 0.6 && pts > 0.0, "{pts}");
        let (pts, d) = share_points(6.0, 0, 0, Some(2));
        assert_eq!(
            (pts, d.rule.as_str(), d.excluded),
            (6.0, "NOT_APPLICABLE", Some(2))
        );
        let (pts, _) = share_points(6.0, 4, 3, None);
        assert!((pts - 4.5).abs() < 1e-12);
        let (pts, d) = satisfaction_points(5.0, &Tally::default(), 30);
        assert_eq!((pts, d.counted), (0.0, Some(0)));
    }
}
