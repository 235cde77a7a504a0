//! GraphQL types and resolvers of dossiers.

use crate::scalars::{Day, Instant};
use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject};
use entity::dossier;

use super::{ApologyStatus, DossierFilter, NewDossier};
use crate::clock::local;
use crate::context::CtxExt;
use crate::error::AppError;
use crate::pagination::Page;
use crate::procedures::graphql::Procedure;
use crate::units::graphql::{Block, Unit};

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "entity::dossier::FilerKind")]
pub enum FilerKind {
    Citizen,
    Business,
}

/// How a dossier stands with the apology rule.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "super::ApologyStatus")]
pub enum ApologyState {
    /// Not late, and no apology issued.
    NoneNeeded,
    /// Late, and no apology issued.
    Missing,
    /// Issued no later than one working day before the due time.
    Issued,
    /// Issued later than that.
    Late,
    /// Given at hand-over, after completion.
    AtHandover,
    /// Late through no fault of the agency: no apology owed.
    Excused,
}

/// Why a dossier's delay was not the agency's fault.
#[derive(SimpleObject)]
pub struct DelayExcuse {
    pub at: Instant,
    pub reason: String,
}

/// What a caller may do to a dossier (`Dossier.allowedActions`), each named after its
/// mutation.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "crate::access::DossierAction")]
pub enum DossierAction {
    /// `completeDossier`: the result was returned.
    Complete,
    /// `excuseDelay`: the delay was not the agency's fault.
    ExcuseDelay,
    /// `issueApology`: once, with a new appointment while open, at hand-over once completed.
    IssueApology,
    /// `submitRating` with the dossier's code: its filer, once completed.
    Rate,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum DossierStatus {
    Open,
    Completed,
}

/// The apology (phiếu xin lỗi) of a late dossier.
#[derive(SimpleObject)]
pub struct Apology {
    pub issued_at: Instant,
    /// Staff only: the reason may name the filer's circumstances.
    pub reason: Option<String>,
    /// The new appointment it set (for an apology at hand-over, the appointment unchanged).
    pub new_due_at: Instant,
    /// Issued less than one working day before the due time, or after it.
    pub late: bool,
    /// Given at hand-over, after completion.
    pub at_handover: bool,
}

/// A dossier. The public (anyone with its code) sees status and dates; the unit's officials,
/// evaluators and admins also see who filed it.
pub struct Dossier {
    pub model: dossier::Model,
    pub staff: bool,
    /// The caller handles this dossier's receipts and filer (`crate::access::handles_dossier`).
    pub handles: bool,
    /// The rating code in clear: only in the answer that recorded the dossier.
    pub printed_code: Option<String>,
}

impl Dossier {
    /// The view of `model` for the caller of this request.
    pub async fn for_caller(
        ctx: &Context<'_>,
        model: dossier::Model,
    ) -> async_graphql::Result<Dossier> {
        let scope = ctx.read_scope().await?;
        Ok(Dossier::in_scope(ctx, scope, model))
    }

    fn in_scope(ctx: &Context<'_>, scope: &crate::access::Scope, model: dossier::Model) -> Dossier {
        Dossier {
            staff: crate::access::dossier_staff_view(scope, &model),
            handles: crate::access::handles_dossier(ctx.actor(), scope, &model),
            printed_code: None,
            model,
        }
    }
}

#[Object]
impl Dossier {
    async fn id(&self) -> ID {
        ID(self.model.id.clone())
    }
    async fn code(&self) -> &str {
        &self.model.code
    }
    async fn procedure(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Procedure>> {
        Ok(ctx
            .loaders()
            .procedures
            .load_one(self.model.procedure_id.clone())
            .await?
            .map(Procedure))
    }
    async fn unit(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Unit>> {
        Ok(ctx
            .loaders()
            .units
            .load_one(self.model.unit_id.clone())
            .await?
            .map(Unit))
    }
    async fn status(&self) -> DossierStatus {
        if self.model.completed_at.is_some() {
            DossierStatus::Completed
        } else {
            DossierStatus::Open
        }
    }
    async fn received_at(&self) -> Instant {
        local(self.model.received_at).into()
    }
    /// The statutory due time: receipt + the procedure's processing days.
    async fn original_due_at(&self) -> Instant {
        local(self.model.original_due_at).into()
    }
    /// The current appointment (the apology's new date once one is issued).
    async fn due_at(&self) -> Instant {
        local(self.model.due_at).into()
    }
    async fn completed_at(&self) -> Option<Instant> {
        self.model.completed_at.map(Instant::from)
    }
    /// Completed, or still open, after the statutory due time.
    async fn late(&self) -> bool {
        super::is_late(&self.model, crate::clock::now())
    }
    /// Open past the statutory due time (tồn đọng).
    async fn backlog(&self) -> bool {
        super::is_backlog(&self.model, crate::clock::now())
    }
    async fn apology_status(&self) -> ApologyState {
        super::apology_status(&self.model, crate::clock::now()).into()
    }
    async fn apology(&self) -> Option<Apology> {
        let m = &self.model;
        Some(Apology {
            issued_at: local(m.apology_issued_at?).into(),
            reason: m.apology_reason.clone().filter(|_| self.staff),
            new_due_at: local(m.due_at).into(),
            late: m.apology_late.unwrap_or(false),
            at_handover: m.apology_at_handover,
        })
    }
    /// Submitted online.
    async fn online(&self) -> bool {
        self.model.online
    }
    /// The appointment was given by the one-stop-shop system rather than computed here.
    async fn due_given(&self) -> bool {
        self.model.due_given
    }
    /// The working day the processing time counts from (the next one for a same-day
    /// procedure received after its cut-off, or online outside office hours).
    async fn counts_from(&self) -> Option<Day> {
        self.model.counts_from.map(Into::into)
    }
    /// Why the delay was not the agency's fault. Staff only.
    async fn delay_excuse(&self) -> Option<DelayExcuse> {
        if !self.staff {
            return None;
        }
        Some(DelayExcuse {
            at: local(self.model.delay_excused_at?).into(),
            reason: self.model.delay_excuse_reason.clone().unwrap_or_default(),
        })
    }
    /// The code to print on the receipt beside the dossier code, which the filer gives to rate
    /// the dossier. Only in the answer of `recordDossier`: it is kept as a hash, and no query
    /// reads it later (staff never rate their own dossiers).
    async fn rating_code(&self) -> Option<&str> {
        self.printed_code.as_deref()
    }
    /// The latest request in the evaluator's review queue about this dossier (an excuse, a late
    /// completion time, a long appointment, an apology at hand-over). Staff only.
    async fn par_review(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<crate::par::review_graphql::ParReview>> {
        if !self.staff {
            return Ok(None);
        }
        crate::par::review_graphql::latest_of(ctx, &self.model.id).await
    }
    /// Staff only.
    async fn filer_kind(&self) -> Option<FilerKind> {
        self.staff.then(|| self.model.filer_kind.into())
    }
    /// The filing business's tax code. Staff only.
    /// Staff only. A 12-digit personal identification number (a household business's tax
    /// code) is personal data: officials of the dossier's unit and admins only.
    async fn tax_code(&self) -> Option<&str> {
        let t = self.model.tax_code.as_deref()?;
        let personal = crate::businesses::TaxCode::parse(t).is_ok_and(|c| c.is_personal());
        if (self.staff && !personal) || self.handles {
            Some(t)
        } else {
            None
        }
    }
    /// What the caller may do to it now: its unit's officials and admins complete it,
    /// apologise for it or excuse its delay where it stands; the business that filed it rates
    /// it once completed, if nobody has (anyone else rates it by giving the rating code printed
    /// on the receipt). The same rules decide when the mutation is sent.
    async fn allowed_actions(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<DossierAction>> {
        let read = ctx.read_scope().await?;
        let business_tax = match ctx.actor().principal().and_then(|p| p.business_id.clone()) {
            Some(b) => ctx
                .loaders()
                .businesses
                .load_one(b)
                .await?
                .map(|b| b.tax_code),
            None => None,
        };
        let rated = ctx
            .loaders()
            .rated
            .load_one(self.model.id.clone())
            .await?
            .unwrap_or(false);
        let mut actions = crate::access::dossier_actions(
            ctx.actor(),
            read,
            business_tax.as_deref(),
            &self.model,
            rated,
            crate::clock::now(),
        );
        // Nor from an address the unit's officials just used (`ratings::self_rating`).
        if actions.contains(&crate::access::DossierAction::Rate) {
            use crate::ratings::self_rating;
            let hash = self_rating::client_hash(&ctx.state().config, ctx.req().client_ip);
            let used = ctx
                .loaders()
                .staff_addresses
                .load_one(hash)
                .await?
                .unwrap_or_default();
            let parent = match used.is_empty() {
                true => None,
                false => ctx
                    .loaders()
                    .units
                    .load_one(self.model.unit_id.clone())
                    .await?
                    .and_then(|u| u.parent_id.clone()),
            };
            if self_rating::refused_from(&used, &self.model.unit_id, parent.as_deref()) {
                actions.retain(|a| *a != crate::access::DossierAction::Rate);
            }
        }
        Ok(actions.into_iter().map(Into::into).collect())
    }
    /// Whether the dossier has been rated.
    async fn rated(&self, ctx: &Context<'_>) -> async_graphql::Result<bool> {
        Ok(ctx
            .loaders()
            .rated
            .load_one(self.model.id.clone())
            .await?
            .unwrap_or(false))
    }
}

/// Counts over every dossier matching the filter.
#[derive(SimpleObject)]
pub struct DossierStats {
    pub total: u64,
    pub completed: u64,
    pub completed_on_time: u64,
    /// Share of completed dossiers completed on time, in percent; null when none completed.
    pub on_time_share: Option<f64>,
    pub late: u64,
    pub backlog: u64,
    pub apologies_issued: u64,
    pub apologies_late: u64,
    /// Given at hand-over, after completion.
    pub apologies_at_handover: u64,
    pub apologies_missing: u64,
    /// Late through no fault of the agency: no apology owed.
    pub delays_excused: u64,
}

impl From<super::DossierStats> for DossierStats {
    fn from(s: super::DossierStats) -> Self {
        DossierStats {
            on_time_share: s.on_time_share().map(|v| (v * 100.0).round() / 100.0),
            total: s.total,
            completed: s.completed,
            completed_on_time: s.completed_on_time,
            late: s.late,
            backlog: s.backlog,
            apologies_issued: s.apologies_issued,
            apologies_late: s.apologies_late,
            apologies_at_handover: s.apologies_at_handover,
            apologies_missing: s.apologies_missing,
            delays_excused: s.delays_excused,
        }
    }
}

#[derive(SimpleObject)]
pub struct DossierConnectionFields {
    pub total_count: u64,
    pub stats: DossierStats,
}

/// Which dossiers a list or a count covers. Every field narrows; all are optional.
#[derive(InputObject, Default)]
#[graphql(name = "DossierFilter")]
pub struct DossierFilterInput {
    pub unit: Option<ID>,
    /// With `unit`: also count the units whose work passed to it (directly or through
    /// several reorganisations), for trends across a reorganisation.
    #[graphql(default)]
    pub roll_up: bool,
    /// Units of this block.
    pub block: Option<Block>,
    pub procedure: Option<ID>,
    /// Any of these statuses.
    pub status: Option<Vec<DossierStatus>>,
    /// Due before this moment.
    pub due_before: Option<Instant>,
    /// Open and due within this many working days from now (the close of office hours of
    /// the last of them), late ones included: a backlog screen's "due soon".
    pub due_within_working_days: Option<i32>,
    /// Rated by the filer (`true`), or not yet (`false`).
    pub rated: Option<bool>,
    /// Open, with no apology issued and no delay excused, and due before the close of the
    /// next working day or already past due: the apology is owed now (Decision 118/QĐ-TTg
    /// asks for it no later than one working day before the due time).
    pub apology_due: Option<bool>,
    pub late: Option<bool>,
    pub backlog: Option<bool>,
    pub apology: Option<ApologyState>,
    /// Received at or after.
    pub from: Option<Instant>,
    /// Received before.
    pub to: Option<Instant>,
}

async fn filter_of(
    ctx: &Context<'_>,
    f: DossierFilterInput,
) -> async_graphql::Result<DossierFilter> {
    let (from, to) = crate::clock::check_range(f.from, f.to)?;
    let due_before = f
        .due_before
        .map(|t| crate::clock::check_instant("filter.dueBefore", t))
        .transpose()?;
    let now = crate::clock::now();
    let calendar = ctx.state().calendar.get();
    let within = match f.due_within_working_days {
        None => None,
        Some(n @ 0..=60) => Some(calendar.deadline(now, n as u32)),
        Some(_) => {
            return Err(AppError::bad_input(
                "filter.dueWithinWorkingDays",
                "Số ngày làm việc từ 0 đến 60.",
                "Give between 0 and 60 working days.",
            )
            .into());
        }
    };
    let due_before = match (due_before, within) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    let status: Vec<DossierStatus> = f.status.unwrap_or_default();
    let open = match (
        status.contains(&DossierStatus::Open),
        status.contains(&DossierStatus::Completed),
    ) {
        _ if within.is_some() => Some(true),
        (true, false) => Some(true),
        (false, true) => Some(false),
        _ => None,
    };
    let also_units =
        crate::units::graphql::rolled_up(ctx, f.unit.as_ref().map(|i| i.as_str()), f.roll_up)
            .await?;
    Ok(DossierFilter {
        unit: f.unit.map(|i| i.0),
        also_units,
        block: f.block.map(Into::into),
        open,
        due_before,
        rated: f.rated,
        apology_due: f.apology_due.map(|a| (a, calendar.deadline(now, 1))),
        procedure: f.procedure.map(|i| i.0),
        late: f.late,
        backlog: f.backlog,
        apology: f.apology.map(ApologyStatus::from),
        from,
        to,
    })
}

/// One unit's dossier counts.
#[derive(SimpleObject)]
pub struct UnitDossierStats {
    pub unit: Option<Unit>,
    pub stats: DossierStats,
}

/// The receipt code of the dossier an action names by id (`NOT_FOUND` on `id` when there is
/// none).
async fn code_of(ctx: &Context<'_>, id: &ID) -> async_graphql::Result<String> {
    match ctx.loaders().dossiers.load_one(id.0.clone()).await? {
        Some(d) => Ok(d.code),
        None => Err(AppError::not_found(
            "Không tìm thấy hồ sơ với id này.",
            "No dossier has this id.",
        )
        .into()),
    }
}

#[derive(Default)]
pub struct DossiersQuery;

/// The signals of a unit recording dossiers to its own advantage, for one unit and month.
#[derive(SimpleObject)]
pub struct DossierSignals {
    pub unit: Option<Unit>,
    /// `YYYY-MM`.
    pub month: String,
    /// Dossiers recorded during the month.
    pub recorded: u64,
    /// Of those, recorded by a staff account rather than the one-stop-shop system.
    pub by_staff: u64,
    /// Of those, completed within an hour of receipt.
    pub quick: u64,
    /// `quick` as a share of `byStaff`, in percent.
    pub quick_share: Option<f64>,
}

#[Object]
impl DossiersQuery {
    /// Evaluators and admins: per unit, the dossiers of a month (`YYYY-MM`, by when they were
    /// recorded) that its own staff recorded, and those completed within an hour of receipt,
    /// the most first. It reads the month's dossiers, so it weighs like a search.
    #[graphql(complexity = "crate::pagination::SEARCH_COST + child_complexity")]
    async fn dossier_signals(
        &self,
        ctx: &Context<'_>,
        month: String,
        unit: Option<ID>,
    ) -> async_graphql::Result<Vec<DossierSignals>> {
        let (month, from, to) = crate::clock::month_range("month", &month)?;
        let rows = super::signals::signals(
            ctx.state(),
            ctx.actor(),
            from,
            to,
            unit.as_ref().map(|u| u.as_str()),
        )
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for s in rows {
            let share = s.quick_share().map(crate::par::template::round2);
            out.push(DossierSignals {
                unit: ctx.loaders().units.load_one(s.unit_id).await?.map(Unit),
                month: month.clone(),
                recorded: s.recorded,
                by_staff: s.by_staff,
                quick: s.quick,
                quick_share: share,
            });
        }
        Ok(out)
    }

    /// A dossier by id. Public: status and dates only; its unit's officials, evaluators
    /// and admins see the rest.
    async fn dossier(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<Dossier>> {
        match ctx.loaders().dossiers.load_one(id.0).await? {
            Some(d) => Ok(Some(Dossier::for_caller(ctx, d).await?)),
            None => Ok(None),
        }
    }

    /// A dossier by its receipt code (as printed, any case). Public: status and dates only;
    /// its unit's officials, evaluators and admins see the rest.
    async fn dossier_by_code(
        &self,
        ctx: &Context<'_>,
        code: String,
    ) -> async_graphql::Result<Option<Dossier>> {
        match super::find_by_code(&ctx.state().db, &code).await? {
            Some(d) => Ok(Some(Dossier::for_caller(ctx, d).await?)),
            None => Ok(None),
        }
    }

    /// The counts of `dossiers` per unit, in one query: an evaluator's dashboard (officials get
    /// their own units). Units in code order.
    #[graphql(complexity = "crate::pagination::SEARCH_COST + child_complexity")]
    async fn dossier_stats_by_unit(
        &self,
        ctx: &Context<'_>,
        filter: Option<DossierFilterInput>,
    ) -> async_graphql::Result<Vec<UnitDossierStats>> {
        let filter = filter_of(ctx, filter.unwrap_or_default()).await?;
        let rows = super::stats_by_unit(ctx.state(), ctx.actor(), &filter).await?;
        let ids: Vec<String> = rows.iter().map(|r| r.0.clone()).collect();
        let units = ctx.loaders().units.load_many(ids).await?;
        let mut out: Vec<UnitDossierStats> = rows
            .into_iter()
            .map(|(id, s)| UnitDossierStats {
                unit: units.get(&id).cloned().map(Unit),
                stats: s.into(),
            })
            .collect();
        out.sort_by(|a, b| {
            let code = |x: &UnitDossierStats| x.unit.as_ref().map(|u| u.0.code.clone());
            code(a).cmp(&code(b))
        });
        Ok(out)
    }

    /// Dossiers of the caller's units (officials) or of all units (evaluators, admins), newest
    /// first, with the counts the PAR index needs. It weighs like a search whatever its
    /// `first`: `totalCount` and `stats` count every dossier of the filter.
    #[graphql(complexity = "crate::pagination::search_cost(first, child_complexity)")]
    async fn dossiers(
        &self,
        ctx: &Context<'_>,
        filter: Option<DossierFilterInput>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<
        async_graphql::connection::Connection<String, Dossier, DossierConnectionFields>,
    > {
        // The counts over the whole filter are computed only when asked for.
        let look = ctx.look_ahead();
        let counted = look.field("totalCount").exists() || look.field("stats").exists();
        let page = Page::keyed(super::SORT, first, after.as_deref(), counted)?;
        let filter = filter_of(ctx, filter.unwrap_or_default()).await?;
        let (found, stats) = super::list(ctx.state(), ctx.actor(), &filter, page.clone()).await?;
        let scope = ctx.read_scope().await?;
        let found = found.map(|model| Dossier::in_scope(ctx, scope, model));
        Ok(page.keyed_connection_with(
            found,
            DossierConnectionFields {
                total_count: stats.total,
                stats: stats.into(),
            },
        ))
    }
}

#[derive(InputObject)]
pub struct RecordDossierInput {
    /// The receipt code from the one-stop-shop system.
    pub code: String,
    pub procedure: ID,
    pub unit: ID,
    pub filer_kind: FilerKind,
    /// Required for a business.
    pub tax_code: Option<String>,
    /// Defaults to now.
    pub received_at: Option<Instant>,
    /// The rating code printed on the receipt, when the one-stop-shop system prints its own
    /// (6–16 letters and digits); drawn here otherwise, and returned as `ratingCode`.
    pub rating_code: Option<String>,
    /// Submitted online: outside office hours it counts from the next working day.
    #[graphql(default)]
    pub online: bool,
    /// The appointment the one-stop-shop system gave: it wins over the computed due time.
    pub due_at: Option<Instant>,
}

#[derive(Default)]
pub struct DossiersMutation;

#[Object]
impl DossiersMutation {
    /// Officials of the unit, admins: records a dossier; its due time follows from the
    /// procedure's processing days on the working-day calendar.
    async fn record_dossier(
        &self,
        ctx: &Context<'_>,
        input: RecordDossierInput,
    ) -> async_graphql::Result<Dossier> {
        let (d, printed) = super::record(
            ctx.state(),
            ctx.actor(),
            NewDossier {
                code: input.code,
                procedure_id: input.procedure.0,
                unit_id: input.unit.0,
                filer_kind: input.filer_kind.into(),
                tax_code: input.tax_code,
                received_at: input
                    .received_at
                    .map(|t| crate::clock::check_instant("receivedAt", t))
                    .transpose()?,
                completed_at: None,
                rating_code: input.rating_code,
                online: input.online,
                due_at: input
                    .due_at
                    .map(|t| crate::clock::check_instant("dueAt", t))
                    .transpose()?,
                apology: None,
                delay_excused: None,
            },
        )
        .await?;
        let mut out = Dossier::for_caller(ctx, d).await?;
        out.printed_code = Some(printed);
        Ok(out)
    }

    /// Officials of the unit, admins: the result was returned (`completedAt`, now by default).
    /// A time more than a working day before now counts as now until an evaluator accepts it;
    /// `reason` says why it is recorded late.
    async fn complete_dossier(
        &self,
        ctx: &Context<'_>,
        id: ID,
        completed_at: Option<Instant>,
        reason: Option<String>,
    ) -> async_graphql::Result<Dossier> {
        let code = code_of(ctx, &id).await?;
        let d = super::complete(
            ctx.state(),
            ctx.actor(),
            &code,
            completed_at
                .map(|t| crate::clock::check_instant("completedAt", t))
                .transpose()?,
            reason.as_deref(),
        )
        .await?;
        Dossier::for_caller(ctx, d).await
    }

    /// Officials of the unit, admins: the apology of a late dossier. For an open dossier it
    /// sets the new appointment (`newDueAt`, required; reset once only); for a completed, late
    /// dossier it records the apology given at hand-over (no `newDueAt`).
    async fn issue_apology(
        &self,
        ctx: &Context<'_>,
        id: ID,
        reason: String,
        new_due_at: Option<Instant>,
    ) -> async_graphql::Result<Dossier> {
        let code = code_of(ctx, &id).await?;
        let d = super::issue_apology(
            ctx.state(),
            ctx.actor(),
            &code,
            &reason,
            new_due_at
                .map(|t| crate::clock::check_instant("newDueAt", t))
                .transpose()?,
        )
        .await?;
        Dossier::for_caller(ctx, d).await
    }

    /// Officials of the unit, admins: marks a dossier's delay as not the agency's fault, with
    /// the reason; no apology is owed (`apologyStatus: EXCUSED`).
    async fn excuse_delay(
        &self,
        ctx: &Context<'_>,
        id: ID,
        reason: String,
    ) -> async_graphql::Result<Dossier> {
        let code = code_of(ctx, &id).await?;
        let d = super::excuse_delay(ctx.state(), ctx.actor(), &code, &reason).await?;
        Dossier::for_caller(ctx, d).await
    }
}
