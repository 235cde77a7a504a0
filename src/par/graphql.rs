//! GraphQL of the PAR index: periods, scores, deductions, computing and publishing, the
//! ranked table of a block, and a unit's breakdown down to the rows behind each point.

use crate::scalars::Instant;
use async_graphql::{ComplexObject, Context, Enum, ID, InputObject, Object, SimpleObject};
use entity::{par_audit, par_deduction, par_period_unit, unit};
use sea_orm::ActiveEnum;

use super::template::{Criterion, Source};
use super::{Detail, Period, Status};
use crate::clock::local;
use crate::context::CtxExt;
use crate::error::{AppError, Lang};
use crate::pagination::{Conn, Page};
use crate::ratings::graphql::Component;
use crate::units::graphql::{Block, Unit};

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum ParStatus {
    /// Open: scores and deductions are being entered.
    Draft,
    /// Computed and unchanged since: ready to publish.
    Computed,
    /// Published: frozen.
    Published,
}

impl From<Status> for ParStatus {
    fn from(s: Status) -> Self {
        match s {
            Status::Draft => ParStatus::Draft,
            Status::Computed => ParStatus::Computed,
            Status::Published => ParStatus::Published,
        }
    }
}

/// Where a criterion's points come from (DESIGN.md §7).
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum ParSource {
    Appraised,
    Satisfaction,
    Timeliness,
    ComplaintHandling,
    Apology,
}

impl From<Source> for ParSource {
    fn from(s: Source) -> Self {
        match s {
            Source::Appraised => ParSource::Appraised,
            Source::Satisfaction(_) => ParSource::Satisfaction,
            Source::Timeliness => ParSource::Timeliness,
            Source::ComplaintHandling => ParSource::ComplaintHandling,
            Source::Apology => ParSource::Apology,
        }
    }
}

#[derive(SimpleObject)]
pub struct ParBand {
    pub name: String,
    /// The lowest total in this band (null in a year imported with names only).
    pub min: Option<f64>,
}

#[derive(SimpleObject)]
pub struct ParBlockSetting {
    pub block: Block,
    pub ranked: bool,
    /// The block's size where a published year gives it.
    pub size: Option<u32>,
}

/// A criterion of a period's template.
#[derive(SimpleObject)]
pub struct ParCriterionDef {
    pub code: String,
    pub name: String,
    pub max: f64,
    /// Null for a group of criteria.
    pub source: Option<ParSource>,
    pub component: Option<Component>,
    pub parent: Option<String>,
    /// The area (top-level criterion) it belongs to.
    pub area: String,
    pub depth: u8,
}

fn def(c: &Criterion) -> ParCriterionDef {
    ParCriterionDef {
        code: c.code.clone(),
        name: c.name.clone(),
        max: c.max,
        source: c.source.map(Into::into),
        component: match c.source {
            Some(Source::Satisfaction(comp)) => Some(comp.into()),
            _ => None,
        },
        parent: c.parent.clone(),
        area: c.area.clone(),
        depth: c.depth,
    }
}

pub struct ParPeriod(pub Period);

#[Object]
impl ParPeriod {
    async fn year(&self) -> i32 {
        self.0.year()
    }
    async fn status(&self) -> ParStatus {
        self.0.status.into()
    }
    /// Published outside the portal and imported: totals, bands and ranks only.
    async fn imported(&self) -> bool {
        self.0.model.imported
    }
    /// Where an imported year's figures come from.
    async fn source(&self) -> Option<&str> {
        self.0.model.source.as_deref()
    }
    async fn template_name(&self) -> Option<&str> {
        self.0.template.as_ref().and_then(|t| t.name.as_deref())
    }
    /// Below this many answers a satisfaction share is ranked by its 95% lower bound.
    async fn min_sample(&self) -> i32 {
        self.0.model.min_sample
    }
    async fn bands(&self) -> Vec<ParBand> {
        self.0
            .bands
            .iter()
            .map(|b| ParBand {
                name: b.name.clone(),
                min: b.min,
            })
            .collect()
    }
    async fn blocks(&self) -> Vec<ParBlockSetting> {
        self.0
            .blocks
            .iter()
            .filter_map(|b| {
                let block = <entity::unit::Block as sea_orm::Iterable>::iter()
                    .find(|x| x.to_value() == b.block)?;
                Some(ParBlockSetting {
                    block: block.into(),
                    ranked: b.ranked,
                    size: b.size,
                })
            })
            .collect()
    }
    /// The criteria tree in order (areas at depth 0).
    async fn criteria(&self) -> Vec<ParCriterionDef> {
        self.0
            .template
            .as_ref()
            .map(|t| t.criteria.iter().map(def).collect())
            .unwrap_or_default()
    }
    /// The units of the year, as they were then.
    async fn units(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Unit>> {
        let db = &ctx.state().db;
        let pu = super::period_units(db, self.0.year()).await?;
        let mut out = Vec::new();
        for u in pu {
            out.push(unit_as_then(ctx, &u).await?);
        }
        Ok(out)
    }
    async fn computed_at(&self) -> Option<Instant> {
        self.0.model.computed_at.map(Instant::from)
    }
    async fn published_at(&self) -> Option<Instant> {
        self.0.model.published_at.map(Instant::from)
    }
}

/// The unit as the period keeps it: its code, name and block of that year.
async fn unit_as_then(
    ctx: &Context<'_>,
    u: &par_period_unit::Model,
) -> async_graphql::Result<Unit> {
    let current = ctx.loaders().units.load_one(u.unit_id.clone()).await?;
    let base = current.unwrap_or_else(|| unit::Model {
        id: u.unit_id.clone(),
        code: u.code.clone(),
        name: u.name.clone(),
        name_folded: crate::text::fold(&u.name),
        short_name: u.short_name.clone(),
        block: u.block,
        parent_id: None,
        valid_from: chrono::NaiveDate::MIN,
        valid_to: None,
        successor_id: None,
        created_at: crate::clock::now(),
        updated_at: crate::clock::now(),
    });
    Ok(Unit(unit::Model {
        code: u.code.clone(),
        name: u.name.clone(),
        name_folded: crate::text::fold(&u.name),
        short_name: u.short_name.clone(),
        block: u.block,
        parent_id: None,
        ..base
    }))
}

#[derive(SimpleObject)]
pub struct ParArea {
    pub code: String,
    pub name: String,
    pub points: f64,
    pub max: f64,
}

#[derive(SimpleObject)]
pub struct ParEntry {
    /// The unit as it was that year.
    pub unit: Unit,
    pub total: f64,
    pub band: String,
    /// Competition rank in the block ("1, 2, 2, 4"); null in an unranked block.
    pub rank: Option<i32>,
    /// Last year's total, where last year is published.
    pub previous_total: Option<f64>,
    /// Points per area, deductions on its criteria included (none for an imported year).
    pub areas: Vec<ParArea>,
}

#[derive(SimpleObject)]
pub struct ParTable {
    pub year: i32,
    pub status: ParStatus,
    pub block: Block,
    pub ranked: bool,
    /// Units in the block (the published size for an imported year).
    pub block_size: u32,
    pub bands: Vec<ParBand>,
    pub entries: Vec<ParEntry>,
}

fn areas(a: Vec<super::AreaPoints>) -> Vec<ParArea> {
    a.into_iter()
        .map(|a| ParArea {
            code: a.code,
            name: a.name,
            points: a.points,
            max: a.max,
        })
        .collect()
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum ParRowKind {
    Rating,
    Dossier,
    Complaint,
}

/// One row behind a computed criterion.
#[derive(SimpleObject)]
pub struct ParRow {
    pub kind: ParRowKind,
    /// The rating, dossier or complaint id.
    pub id: ID,
    /// The dossier's receipt code or the complaint's tracking code.
    pub code: Option<String>,
    /// When it was rated, received or filed.
    pub at: Instant,
    /// Whether it counted for the unit: a satisfied answer (4–5), on time, apologised.
    pub good: bool,
    /// The answer (1–5) of a rating.
    pub score: Option<i32>,
    pub due_at: Option<Instant>,
    /// Completed or answered.
    pub done_at: Option<Instant>,
    /// The latest request in the evaluator's review queue about this dossier or complaint,
    /// with its decision.
    pub review: Option<super::review_graphql::ParReview>,
}

/// A criterion of a unit's breakdown.
#[derive(SimpleObject, Clone)]
#[graphql(complex)]
pub struct ParCriterionResult {
    pub code: String,
    pub name: String,
    pub area: String,
    pub depth: u8,
    /// Null for a group of criteria.
    pub source: Option<ParSource>,
    pub component: Option<Component>,
    pub max: f64,
    /// Null until computed.
    pub points: Option<f64>,
    /// max − points (deductions are listed apart).
    pub lost: Option<f64>,
    pub self_score: Option<f64>,
    pub self_note: Option<String>,
    pub appraised_score: Option<f64>,
    pub appraisal_note: Option<String>,
    /// Rows counted (answers, dossiers, complaints, late dossiers).
    pub counted: Option<u64>,
    /// Of which good: satisfied, on time, apologised.
    pub good: Option<u64>,
    /// Percent.
    pub share: Option<f64>,
    /// The 95% lower bound used below the minimum sample, in percent.
    pub lower_bound: Option<f64>,
    pub mean: Option<f64>,
    /// Whether the sample reached the minimum (satisfaction only).
    pub sufficient: Option<bool>,
    /// Rows left out: delays excused as not the agency's fault.
    pub excluded: Option<u64>,
    /// How the points were reached, in words.
    pub explanation: Option<String>,
    #[graphql(skip)]
    rows_of: Option<super::compute::RowSet>,
    /// The unit and the wards it carried that year, read once per breakdown.
    #[graphql(skip)]
    members: std::sync::Arc<Vec<String>>,
    /// Whether the caller reads the rows (the unit's staff, evaluators, admins).
    #[graphql(skip)]
    staff: bool,
    /// Whether the request named this criterion in `rowsOf`: rows are listed for those only,
    /// so that a request costs what its row lists run.
    #[graphql(skip)]
    rows_named: bool,
    /// The frame the period was computed in.
    #[graphql(skip)]
    frame: super::compute::Frame,
}

#[ComplexObject]
impl ParCriterionResult {
    /// The very rows behind the points, those that cost points first (the unit's staff,
    /// evaluators and admins).
    /// Each list reads the tables behind the criterion, so it weighs like a search.
    #[graphql(
        complexity = "crate::pagination::SEARCH_COST + crate::pagination::list_cost(first, child_complexity)"
    )]
    async fn rows(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Option<Conn<ParRow>>> {
        if !self.rows_named {
            return Ok(None);
        }
        let page = Page::parse(first, after.as_deref())?;
        let state = ctx.state();
        // Decided once per breakdown, with `crate::access::sees_par_unit`.
        if !self.staff {
            ctx.actor().signed_in()?;
            return Err(AppError::forbidden(
                "Chỉ cán bộ của đơn vị, Sở Nội vụ và quản trị viên xem được các hồ sơ, phản ánh, đánh giá cụ thể.",
                "Only the unit's staff, evaluators and admins see the individual rows.",
            )
            .into());
        }
        let Some(set) = self.rows_of else {
            return Ok(Some(page.connection(0, vec![])));
        };
        let (total, rows) = super::compute::rows(
            &state.db,
            &self.frame,
            &self.members,
            set,
            page.offset,
            page.limit,
        )
        .await?;
        let kind = match set {
            super::compute::RowSet::Satisfaction(_) => ParRowKind::Rating,
            super::compute::RowSet::ComplaintHandling => ParRowKind::Complaint,
            _ => ParRowKind::Dossier,
        };
        let reviews = if kind == ParRowKind::Rating {
            Default::default()
        } else {
            let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
            ctx.loaders().par_reviews.load_many(ids).await?
        };
        Ok(Some(
            page.connection(
                total,
                rows.into_iter()
                    .map(|r| ParRow {
                        kind,
                        review: reviews
                            .get(&r.id)
                            .cloned()
                            .map(super::review_graphql::ParReview),
                        id: ID(r.id),
                        code: r.code,
                        at: local(r.at).into(),
                        good: r.good,
                        score: r.score,
                        due_at: r.due_at.map(Instant::from),
                        done_at: r.done_at.map(Instant::from),
                    })
                    .collect(),
            ),
        ))
    }
}

#[derive(SimpleObject)]
pub struct ParDeduction {
    pub id: ID,
    pub criterion: String,
    pub points: f64,
    pub reason: String,
    pub created_at: Instant,
    pub removed: bool,
    pub removed_at: Option<Instant>,
    pub removal_reason: Option<String>,
}

impl From<par_deduction::Model> for ParDeduction {
    fn from(d: par_deduction::Model) -> Self {
        ParDeduction {
            id: ID(d.id),
            criterion: d.criterion,
            points: d.points,
            reason: d.reason,
            created_at: local(d.created_at).into(),
            removed: d.removed_at.is_some(),
            removed_at: d.removed_at.map(Instant::from),
            removal_reason: d.removal_reason,
        }
    }
}

/// One change to the unit's scores or deductions.
#[derive(SimpleObject)]
pub struct ParAuditEntry {
    /// `SELF_SCORE`, `APPRAISAL`, `DEDUCTION_ADDED`, `DEDUCTION_REMOVED`.
    pub action: String,
    pub criterion: Option<String>,
    pub detail: String,
    /// Who made it (the account or script subject).
    pub actor: String,
    pub at: Instant,
}

impl From<par_audit::Model> for ParAuditEntry {
    fn from(a: par_audit::Model) -> Self {
        ParAuditEntry {
            action: a.action,
            criterion: a.criterion,
            detail: a.detail,
            actor: a.actor,
            at: local(a.at).into(),
        }
    }
}

#[derive(SimpleObject)]
pub struct ParBreakdown {
    pub year: i32,
    pub status: ParStatus,
    pub imported: bool,
    /// The unit as it was that year.
    pub unit: Unit,
    pub total: Option<f64>,
    pub band: Option<String>,
    pub rank: Option<i32>,
    pub block_size: Option<u32>,
    /// Every criterion of the template in tree order, groups with the sum of their leaves.
    pub criteria: Vec<ParCriterionResult>,
    /// The leaf criteria where points were lost, most lost first: the unit's improvement plan.
    pub improvement_plan: Vec<ParCriterionResult>,
    /// Deductions with their reasons (withdrawn ones marked).
    pub deductions: Vec<ParDeduction>,
    pub deducted: f64,
    /// Every change of the unit's scores and deductions (the unit's staff, evaluators, admins).
    pub audit: Vec<ParAuditEntry>,
}

fn explanation(source: Source, d: &Detail, max: f64, points: f64) -> String {
    let en = Lang::current() == Lang::En;
    let pts = super::template::round2(points);
    let n = |v: Option<u64>| v.unwrap_or(0);
    let f = |v: Option<f64>| v.map(|x| format!("{x:.2}")).unwrap_or_else(|| "—".into());
    match (d.rule.as_str(), source) {
        ("APPRAISED", _) => {
            if en {
                format!("Appraised by the Department of Home Affairs: {pts}/{max}.")
            } else {
                format!("Điểm thẩm định của Sở Nội vụ: {pts}/{max}.")
            }
        }
        ("NOT_APPRAISED", _) => {
            if en {
                format!("Not appraised yet: 0/{max}.")
            } else {
                format!("Chưa có điểm thẩm định: 0/{max}.")
            }
        }
        ("NOT_APPLICABLE", _) => {
            if en {
                format!("Nothing to count this year: full points ({max}).")
            } else {
                format!("Không có hồ sơ, phản ánh nào để tính trong năm: được điểm tối đa ({max}).")
            }
        }
        ("LOWER_BOUND", _) if n(d.counted) == 0 => {
            if en {
                format!("No verified rating this year: 0/{max}.")
            } else {
                format!("Không có đánh giá đã xác thực nào trong năm: 0/{max}.")
            }
        }
        ("LOWER_BOUND", _) => {
            if en {
                format!(
                    "Only {} answers, below the minimum sample of {}: scored by the 95% lower bound ({}%) instead of the raw share ({}%): {pts}/{max}.",
                    n(d.counted),
                    d.min_sample.unwrap_or(0),
                    f(d.lower_bound),
                    f(d.share)
                )
            } else {
                format!(
                    "Chỉ có {} câu trả lời, dưới cỡ mẫu tối thiểu {}: tính theo cận dưới tin cậy 95% ({}%) thay cho tỷ lệ thô ({}%): {pts}/{max}.",
                    n(d.counted),
                    d.min_sample.unwrap_or(0),
                    f(d.lower_bound),
                    f(d.share)
                )
            }
        }
        (_, Source::Satisfaction(_)) => {
            if en {
                format!(
                    "{} of {} answers satisfied (4 or 5) = {}%: {pts}/{max}.",
                    n(d.good),
                    n(d.counted),
                    f(d.share)
                )
            } else {
                format!(
                    "{}/{} câu trả lời hài lòng (4–5 điểm) = {}%: {pts}/{max}.",
                    n(d.good),
                    n(d.counted),
                    f(d.share)
                )
            }
        }
        (_, Source::Timeliness) => {
            let ex = n(d.excluded);
            if en {
                format!(
                    "{} of {} dossiers completed on time = {}%{}: {pts}/{max}.",
                    n(d.good),
                    n(d.counted),
                    f(d.share),
                    if ex > 0 {
                        format!("; {ex} excused delays not counted")
                    } else {
                        String::new()
                    }
                )
            } else {
                format!(
                    "{}/{} hồ sơ giải quyết đúng hạn = {}%{}: {pts}/{max}.",
                    n(d.good),
                    n(d.counted),
                    f(d.share),
                    if ex > 0 {
                        format!("; {ex} hồ sơ trễ do nguyên nhân khách quan không tính")
                    } else {
                        String::new()
                    }
                )
            }
        }
        (_, Source::Apology) => {
            if en {
                format!(
                    "{} of {} late dossiers got a timely apology = {}%: {pts}/{max}.",
                    n(d.good),
                    n(d.counted),
                    f(d.share)
                )
            } else {
                format!(
                    "{}/{} hồ sơ trễ hạn có phiếu xin lỗi đúng hạn = {}%: {pts}/{max}.",
                    n(d.good),
                    n(d.counted),
                    f(d.share)
                )
            }
        }
        (_, Source::ComplaintHandling) => {
            if en {
                format!(
                    "{} of {} complaints answered within their deadline = {}%: {pts}/{max}.",
                    n(d.good),
                    n(d.counted),
                    f(d.share)
                )
            } else {
                format!(
                    "{}/{} phản ánh, kiến nghị được trả lời đúng hạn = {}%: {pts}/{max}.",
                    n(d.good),
                    n(d.counted),
                    f(d.share)
                )
            }
        }
        (_, Source::Appraised) => String::new(),
    }
}

/// The period of a year for lookups: none when there is no such year or the caller may not see
/// it yet.
async fn visible_period_opt(ctx: &Context<'_>, year: i32) -> async_graphql::Result<Option<Period>> {
    let Some(p) = super::find_period(&ctx.state().db, year).await? else {
        return Ok(None);
    };
    let staff = crate::access::is_par_evaluator(ctx.actor())
        || ctx.actor().role() == Some(entity::account::Role::Official);
    Ok((p.status == Status::Published || staff).then_some(p))
}

/// Criteria whose rows one request may list.
pub const MAX_ROW_LISTS: usize = 10;

#[derive(Default)]
pub struct ParQuery;

#[Object]
impl ParQuery {
    /// The periods the caller may see, newest first (published ones for everyone; drafts for
    /// officials, evaluators and admins).
    async fn par_periods(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<ParPeriod>> {
        let staff = crate::access::is_par_evaluator(ctx.actor())
            || ctx.actor().role() == Some(entity::account::Role::Official);
        Ok(super::periods(&ctx.state().db)
            .await?
            .into_iter()
            .filter(|p| staff || p.status == Status::Published)
            .map(ParPeriod)
            .collect())
    }

    /// A year's period, or null when there is none or it is not published yet (for the
    /// public; drafts for officials, evaluators and admins).
    async fn par_period(
        &self,
        ctx: &Context<'_>,
        year: i32,
    ) -> async_graphql::Result<Option<ParPeriod>> {
        Ok(visible_period_opt(ctx, year).await?.map(ParPeriod))
    }

    /// The table of a block in rank order: published years for everyone, a draft or computed
    /// year for evaluators and admins; null when there is no such year or the caller may not
    /// see it yet.
    #[graphql(complexity = "crate::pagination::SEARCH_COST + child_complexity")]
    async fn par_index(
        &self,
        ctx: &Context<'_>,
        year: i32,
        block: Block,
    ) -> async_graphql::Result<Option<ParTable>> {
        let db = &ctx.state().db;
        let Some(p) = super::find_period(db, year).await? else {
            return Ok(None);
        };
        if p.status != Status::Published && !crate::access::is_par_evaluator(ctx.actor()) {
            return Ok(None);
        }
        let b: entity::unit::Block = block.into();
        let (entries, sizes) = super::table(db, &p, Some(b)).await?;
        let rule = p.rule(b);
        let mut out = Vec::new();
        for e in entries {
            out.push(ParEntry {
                unit: unit_as_then(ctx, &e.unit).await?,
                total: e.result.total,
                band: e.result.band.clone(),
                rank: if rule.ranked { e.result.rank } else { None },
                previous_total: e.previous_total,
                areas: areas(e.areas),
            });
        }
        Ok(Some(ParTable {
            year,
            status: p.status.into(),
            block,
            ranked: rule.ranked,
            block_size: sizes.get(&b.to_value()).copied().unwrap_or(0),
            bands: p
                .bands
                .iter()
                .map(|b| ParBand {
                    name: b.name.clone(),
                    min: b.min,
                })
                .collect(),
            entries: out,
        }))
    }

    /// Where a unit got and lost its points: every criterion with its points, maximum and
    /// source; for computed ones the counts behind them and the rows themselves; deductions
    /// with reasons; the changes made. Public once published; before, the unit's officials,
    /// evaluators and admins. `rowsOf` names the criteria (at most ten) whose `rows` are listed:
    /// each list reads the tables behind its criterion, and the request is weighed by how many
    /// it names; `rows` is null for the others.
    #[graphql(
        complexity = "crate::pagination::SEARCH_COST + child_complexity.saturating_mul(rows_of.as_ref().map_or(1, |r| r.len().max(1)))"
    )]
    async fn par_breakdown(
        &self,
        ctx: &Context<'_>,
        year: i32,
        unit: ID,
        rows_of: Option<Vec<String>>,
    ) -> async_graphql::Result<Option<ParBreakdown>> {
        let rows_of = rows_of.unwrap_or_default();
        if rows_of.len() > MAX_ROW_LISTS {
            return Err(AppError::bad_input(
                "rowsOf",
                format!(
                    "Mỗi yêu cầu liệt kê các dòng của tối đa {MAX_ROW_LISTS} tiêu chí; hãy chia thành nhiều yêu cầu."
                ),
                format!(
                    "A request lists the rows of at most {MAX_ROW_LISTS} criteria; split it into several requests."
                ),
            )
            .into());
        }
        let state = ctx.state();
        let db = &state.db;
        // No such year, or one the caller may not see yet (another unit's official, the
        // public before publication): null, as any lookup.
        let Some(p) = super::find_period(db, year).await? else {
            return Ok(None);
        };
        let staff = crate::access::sees_par_unit(db, ctx.actor(), unit.as_str()).await?;
        if p.status != Status::Published && !staff {
            return Ok(None);
        }
        let b = match super::breakdown(db, &p, unit.as_str()).await {
            Ok(b) => b,
            Err(AppError::NotFound(_)) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        let leaves_points = |code: &str| -> Option<f64> {
            let t = p.template.as_ref()?;
            let mut sum = None;
            for c in &t.criteria {
                let under = c.code == code || is_under(t, &c.code, code);
                if under
                    && c.source.is_some()
                    && let Some((_, Some(r), _)) = b.criteria.iter().find(|x| x.0.code == c.code)
                {
                    *sum.get_or_insert(0.0) += r.points;
                }
            }
            sum
        };
        let frame = p.frame()?;
        let members = std::sync::Arc::new(if staff {
            super::members_of(db, year, &b.unit.unit_id).await?
        } else {
            vec![]
        });
        let mut criteria = Vec::new();
        for (c, r, s) in &b.criteria {
            let detail: Option<Detail> = r
                .as_ref()
                .and_then(|r| serde_json::from_str(&r.detail).ok());
            let points = match c.source {
                Some(_) => r.as_ref().map(|r| r.points),
                None => leaves_points(&c.code),
            };
            let rows_set = match c.source {
                Some(Source::Satisfaction(comp)) => {
                    Some(super::compute::RowSet::Satisfaction(comp))
                }
                Some(Source::Timeliness) => Some(super::compute::RowSet::Timeliness),
                Some(Source::Apology) => Some(super::compute::RowSet::Apology),
                Some(Source::ComplaintHandling) => Some(super::compute::RowSet::ComplaintHandling),
                _ => None,
            };
            criteria.push(ParCriterionResult {
                code: c.code.clone(),
                name: c.name.clone(),
                area: c.area.clone(),
                depth: c.depth,
                source: c.source.map(Into::into),
                component: match c.source {
                    Some(Source::Satisfaction(comp)) => Some(comp.into()),
                    _ => None,
                },
                max: c.max,
                points: points.map(super::template::round2),
                lost: points.map(|x| super::template::round2(c.max - x)),
                self_score: s.as_ref().and_then(|s| s.self_score),
                self_note: s.as_ref().and_then(|s| s.self_note.clone()),
                appraised_score: s.as_ref().and_then(|s| s.appraised_score),
                appraisal_note: s.as_ref().and_then(|s| s.appraisal_note.clone()),
                counted: detail.as_ref().and_then(|d| d.counted),
                good: detail.as_ref().and_then(|d| d.good),
                share: detail.as_ref().and_then(|d| d.share),
                lower_bound: detail.as_ref().and_then(|d| d.lower_bound),
                mean: detail.as_ref().and_then(|d| d.mean),
                sufficient: match (c.source, detail.as_ref()) {
                    (Some(Source::Satisfaction(_)), Some(d)) => Some(d.rule == "SHARE"),
                    _ => None,
                },
                excluded: detail.as_ref().and_then(|d| d.excluded),
                explanation: match (c.source, detail.as_ref(), points) {
                    (Some(src), Some(d), Some(pts)) => Some(explanation(src, d, c.max, pts)),
                    _ => None,
                },
                rows_named: rows_of.iter().any(|r| r.trim() == c.code),
                rows_of: rows_set,
                members: members.clone(),
                staff,
                frame,
            });
        }
        let mut plan: Vec<ParCriterionResult> = criteria
            .iter()
            .filter(|c| c.source.is_some() && c.lost.is_some_and(|l| l > 0.0))
            .cloned()
            .collect();
        plan.sort_by(|a, b| {
            b.lost
                .partial_cmp(&a.lost)
                .unwrap_or(std::cmp::Ordering::Equal)
                .then(a.code.cmp(&b.code))
        });
        let deducted = super::template::round2(
            b.deductions
                .iter()
                .filter(|d| d.removed_at.is_none())
                .map(|d| d.points)
                .sum(),
        );
        let rule = p.rule(b.unit.block);
        let sizes = if b.result.is_some() {
            super::table(db, &p, Some(b.unit.block)).await?.1
        } else {
            Default::default()
        };
        Ok(Some(ParBreakdown {
            year,
            status: p.status.into(),
            imported: p.model.imported,
            unit: unit_as_then(ctx, &b.unit).await?,
            total: b.result.as_ref().map(|r| r.total),
            band: b.result.as_ref().map(|r| r.band.clone()),
            rank: b
                .result
                .as_ref()
                .and_then(|r| r.rank)
                .filter(|_| rule.ranked),
            block_size: sizes.get(&b.unit.block.to_value()).copied(),
            criteria,
            improvement_plan: plan,
            deductions: b.deductions.into_iter().map(Into::into).collect(),
            deducted,
            audit: if staff {
                b.audit.into_iter().map(Into::into).collect()
            } else {
                vec![]
            },
        }))
    }
}

fn is_under(t: &super::template::Template, code: &str, ancestor: &str) -> bool {
    let mut cur = t.get(code).and_then(|c| c.parent.clone());
    while let Some(p) = cur {
        if p == ancestor {
            return true;
        }
        cur = t.get(&p).and_then(|c| c.parent.clone());
    }
    false
}

#[derive(InputObject)]
pub struct ParBandInput {
    pub name: String,
    /// The lowest total of the band (0–100); the lowest band starts at 0.
    pub min: f64,
}

#[derive(InputObject)]
pub struct OpenParPeriodInput {
    pub year: i32,
    /// A criteria tree as JSON (see the README); the default template when absent.
    pub template: Option<String>,
    /// Classification bands; Tốt ≥ 80, Khá ≥ 70, Trung bình ≥ 50, Yếu below, when absent.
    pub bands: Option<Vec<ParBandInput>>,
    /// The blocks that are ranked; all but the vertical agencies when absent.
    pub ranked_blocks: Option<Vec<Block>>,
    /// The minimum sample of a satisfaction share; the server's setting when absent.
    pub min_sample: Option<i32>,
}

#[derive(InputObject)]
pub struct SetParScoreInput {
    pub year: i32,
    pub unit: ID,
    /// The code of an appraised criterion.
    pub criterion: String,
    /// The unit's own assessment (its officials, while the period is a draft).
    pub self_score: Option<f64>,
    /// The evaluator's appraisal.
    pub appraised_score: Option<f64>,
    pub note: Option<String>,
}

#[derive(SimpleObject)]
pub struct ParScore {
    pub year: i32,
    pub unit: ID,
    pub criterion: String,
    pub self_score: Option<f64>,
    pub self_note: Option<String>,
    pub appraised_score: Option<f64>,
    pub appraisal_note: Option<String>,
}

#[derive(InputObject)]
pub struct AddParDeductionInput {
    pub year: i32,
    pub unit: ID,
    /// The criterion (or group) the deduction concerns.
    pub criterion: String,
    /// Points deducted, above 0 and at most the criterion's maximum.
    pub points: f64,
    pub reason: String,
    /// A retry with the same key returns the first deduction.
    pub idempotency_key: Option<String>,
}

/// What a computation did.
#[derive(SimpleObject)]
pub struct ParComputation {
    pub period: ParPeriod,
    /// False when the period was already published: its frozen results were left as they are.
    pub recomputed: bool,
    pub units: u64,
    /// Counted over all units: verified ratings (the answers of each unit's most answered
    /// component), dossiers and complaints.
    pub ratings: u64,
    pub dossiers: u64,
    pub complaints: u64,
    /// Appraised criteria of some unit still without a score (they count 0).
    pub missing_appraisals: u64,
    pub milliseconds: f64,
}

#[derive(Default)]
pub struct ParMutation;

#[Object]
impl ParMutation {
    /// Opens a year's index (evaluators): its template, bands, ranked blocks and minimum sample,
    /// and the units of that year as they were then.
    async fn open_par_period(
        &self,
        ctx: &Context<'_>,
        input: OpenParPeriodInput,
    ) -> async_graphql::Result<ParPeriod> {
        let state = ctx.state();
        let p = super::open(
            &state.db,
            ctx.actor(),
            state.config.min_sample,
            super::OpenInput {
                year: input.year,
                template: input.template,
                bands: input.bands.map(|v| {
                    v.into_iter()
                        .map(|b| super::Band {
                            name: b.name,
                            min: Some(b.min),
                        })
                        .collect()
                }),
                ranked: input
                    .ranked_blocks
                    .map(|v| v.into_iter().map(Into::into).collect()),
                min_sample: input.min_sample,
            },
        )
        .await?;
        Ok(ParPeriod(p))
    }

    /// Enters a self-assessment (the unit's officials, in a draft) or an appraisal (evaluators).
    async fn set_par_score(
        &self,
        ctx: &Context<'_>,
        input: SetParScoreInput,
    ) -> async_graphql::Result<ParScore> {
        let s = super::set_score(
            &ctx.state().db,
            ctx.actor(),
            super::ScoreInput {
                year: input.year,
                unit: input.unit.0,
                criterion: input.criterion,
                self_score: input.self_score,
                appraised_score: input.appraised_score,
                note: input.note,
            },
        )
        .await?;
        Ok(ParScore {
            year: s.year,
            unit: ID(s.unit_id),
            criterion: s.criterion,
            self_score: s.self_score,
            self_note: s.self_note,
            appraised_score: s.appraised_score,
            appraisal_note: s.appraisal_note,
        })
    }

    /// Deducts points (điểm trừ) with a reason (evaluators).
    async fn add_par_deduction(
        &self,
        ctx: &Context<'_>,
        input: AddParDeductionInput,
    ) -> async_graphql::Result<ParDeduction> {
        let actor = ctx.actor();
        let claim = match crate::idempotency::IdempotencyKey::parse_opt(
            input.idempotency_key.as_deref(),
        )? {
            Some(k) => Some(crate::idempotency::Claim::new(
                crate::access::idempotency_owner(actor, ctx.req().client_ip),
                "addParDeduction",
                k,
                &[
                    &input.year.to_string(),
                    input.unit.as_str().trim(),
                    input.criterion.trim(),
                    &format!("{:.2}", input.points),
                    input.reason.trim(),
                ],
            )),
            None => None,
        };
        let d = super::add_deduction(
            &ctx.state().db,
            actor,
            super::DeductionInput {
                year: input.year,
                unit: input.unit.0,
                criterion: input.criterion,
                points: input.points,
                reason: input.reason,
            },
            claim,
        )
        .await?;
        Ok(d.into())
    }

    /// Withdraws a deduction (evaluators); it stays in the record, marked removed.
    async fn remove_par_deduction(
        &self,
        ctx: &Context<'_>,
        id: ID,
        reason: Option<String>,
    ) -> async_graphql::Result<ParDeduction> {
        let d =
            super::remove_deduction(&ctx.state().db, ctx.actor(), id.as_str(), reason.as_deref())
                .await?;
        Ok(d.into())
    }

    /// Computes every unit of the year from the data, the appraisals and the deductions
    /// (evaluators). A published year is left as it is: its numbers never move.
    async fn compute_par_index(
        &self,
        ctx: &Context<'_>,
        year: i32,
    ) -> async_graphql::Result<ParComputation> {
        let (p, s) = super::compute(&ctx.state().db, ctx.actor(), year).await?;
        let units = super::period_units(&ctx.state().db, p.year()).await?.len() as u64;
        Ok(match s {
            Some(s) => ParComputation {
                period: ParPeriod(p),
                recomputed: true,
                units: s.units as u64,
                ratings: s.ratings,
                dossiers: s.dossiers,
                complaints: s.complaints,
                missing_appraisals: s.missing_appraisals,
                milliseconds: super::template::round2(s.total_ms),
            },
            None => ParComputation {
                period: ParPeriod(p),
                recomputed: false,
                units,
                ratings: 0,
                dossiers: 0,
                complaints: 0,
                missing_appraisals: 0,
                milliseconds: 0.0,
            },
        })
    }

    /// Publishes a computed year (evaluators): its results are frozen from then on.
    async fn publish_par_index(
        &self,
        ctx: &Context<'_>,
        year: i32,
    ) -> async_graphql::Result<ParPeriod> {
        Ok(ParPeriod(
            super::publish(&ctx.state().db, ctx.actor(), year).await?,
        ))
    }
}
