//! GraphQL of the evaluator's review queue: the requests, their effect on the score, the
//! counts per unit, and the decision.

use crate::scalars::Instant;
use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject};
use entity::par_review::{self, Kind, Status};

use super::review;
use crate::clock::local;
use crate::context::CtxExt;
use crate::pagination::{Conn, Page};
use crate::units::graphql::Unit;

/// What a unit's staff recorded that would move the unit's own PAR figures.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum ParReviewKind {
    /// A late dossier's delay said not to be the agency's fault (`excuseDelay`).
    ExcusedDelay,
    /// A completion time more than a working day before it was recorded (`completeDossier`).
    EarlyCompletion,
    /// An appointment beyond the procedure's statutory time (`recordDossier(dueAt)`).
    LongAppointment,
    /// An apology said to be given at hand-over, recorded after the hand-over day.
    HandoverApology,
    /// A complaint reclassified as a complaint or denunciation after it fell due.
    LateReclassification,
    /// A complaint rejected after it fell due.
    LateRejection,
    /// A complaint marked a duplicate after it fell due.
    LateDuplicate,
    /// A complaint forwarded after its forwarding days or its answer deadline.
    LateForward,
}

impl From<Kind> for ParReviewKind {
    fn from(k: Kind) -> Self {
        match k {
            Kind::ExcusedDelay => ParReviewKind::ExcusedDelay,
            Kind::EarlyCompletion => ParReviewKind::EarlyCompletion,
            Kind::LongAppointment => ParReviewKind::LongAppointment,
            Kind::HandoverApology => ParReviewKind::HandoverApology,
            Kind::LateReclassification => ParReviewKind::LateReclassification,
            Kind::LateRejection => ParReviewKind::LateRejection,
            Kind::LateDuplicate => ParReviewKind::LateDuplicate,
            Kind::LateForward => ParReviewKind::LateForward,
        }
    }
}

impl From<ParReviewKind> for Kind {
    fn from(k: ParReviewKind) -> Self {
        match k {
            ParReviewKind::ExcusedDelay => Kind::ExcusedDelay,
            ParReviewKind::EarlyCompletion => Kind::EarlyCompletion,
            ParReviewKind::LongAppointment => Kind::LongAppointment,
            ParReviewKind::HandoverApology => Kind::HandoverApology,
            ParReviewKind::LateReclassification => Kind::LateReclassification,
            ParReviewKind::LateRejection => Kind::LateRejection,
            ParReviewKind::LateDuplicate => Kind::LateDuplicate,
            ParReviewKind::LateForward => Kind::LateForward,
        }
    }
}

/// Where a request stands.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum ParReviewStatus {
    /// Waiting: the index counts the plain facts.
    Pending,
    /// Accepted: counted as the unit said, once the year is computed again.
    Accepted,
    /// Refused: the plain facts stand.
    Refused,
    /// Void: the item was put back as it was.
    Withdrawn,
}

impl From<Status> for ParReviewStatus {
    fn from(s: Status) -> Self {
        match s {
            Status::Pending => ParReviewStatus::Pending,
            Status::Accepted => ParReviewStatus::Accepted,
            Status::Refused => ParReviewStatus::Refused,
            Status::Withdrawn => ParReviewStatus::Withdrawn,
        }
    }
}

impl From<ParReviewStatus> for Status {
    fn from(s: ParReviewStatus) -> Self {
        match s {
            ParReviewStatus::Pending => Status::Pending,
            ParReviewStatus::Accepted => Status::Accepted,
            ParReviewStatus::Refused => Status::Refused,
            ParReviewStatus::Withdrawn => Status::Withdrawn,
        }
    }
}

/// A criterion whose points a decision would change.
#[derive(SimpleObject)]
pub struct ParCriterionChange {
    pub code: String,
    pub before: f64,
    pub after: f64,
}

/// What accepting a pending request would do to its unit's total, were the year computed now.
#[derive(SimpleObject)]
pub struct ParReviewEffect {
    /// The unit of the period whose total changes (a ward's figures count for its district in
    /// the years it had one).
    pub unit: Option<Unit>,
    pub before: f64,
    pub after: f64,
    /// `after − before`, rounded to two decimals.
    pub change: f64,
    pub criteria: Vec<ParCriterionChange>,
}

/// A request in the evaluator's review queue.
pub struct ParReview(pub par_review::Model);

#[Object]
impl ParReview {
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }
    /// The year whose figures it would change.
    async fn year(&self) -> i32 {
        self.0.year
    }
    /// The unit that held the item.
    async fn unit(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Unit>> {
        Ok(ctx
            .loaders()
            .units
            .load_one(self.0.unit_id.clone())
            .await?
            .map(Unit))
    }
    async fn kind(&self) -> ParReviewKind {
        self.0.kind.into()
    }
    async fn status(&self) -> ParReviewStatus {
        self.0.status.into()
    }
    /// The dossier's receipt code or the complaint's tracking code.
    async fn code(&self) -> &str {
        &self.0.code
    }
    /// Whether it is about a complaint (else a dossier).
    async fn about_complaint(&self) -> bool {
        review::is_complaint_kind(self.0.kind)
    }
    /// What the unit claims: the completion time it gave, the appointment it gave, the
    /// hand-over time.
    async fn claimed_at(&self) -> Option<Instant> {
        self.0.claimed_at.map(Instant::from)
    }
    /// The deadline it is about: the statutory due time, or the complaint's deadline when it
    /// was acted on.
    async fn due_at(&self) -> Instant {
        local(self.0.due_at).into()
    }
    /// The unit's reason, as given.
    async fn reason(&self) -> &str {
        &self.0.reason
    }
    /// The account (or integration) that recorded it.
    async fn requested_by(&self) -> &str {
        &self.0.requested_by
    }
    /// When it was recorded: the evidence of a late record.
    async fn requested_at(&self) -> Instant {
        local(self.0.requested_at).into()
    }
    async fn decided_by(&self) -> Option<&str> {
        self.0.decided_by.as_deref()
    }
    async fn decided_at(&self) -> Option<Instant> {
        self.0.decided_at.map(Instant::from)
    }
    async fn decision_reason(&self) -> Option<&str> {
        self.0.decision_reason.as_deref()
    }
    /// What accepting it would do to the unit's total, computed now (pending requests of a
    /// year with an open period only): for evaluators and admins, who decide. Each computes the
    /// unit's criteria twice in a transaction that is rolled back, so it weighs like a search.
    #[graphql(complexity = "crate::pagination::SEARCH_COST + child_complexity")]
    async fn effect(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<ParReviewEffect>> {
        if !crate::access::is_par_evaluator(ctx.actor()) {
            return Ok(None);
        }
        let Some(e) = review::effect(ctx.state(), &self.0).await? else {
            return Ok(None);
        };
        let unit = ctx.loaders().units.load_one(e.unit_id.clone()).await?;
        Ok(Some(ParReviewEffect {
            unit: unit.map(Unit),
            before: e.before,
            after: e.after,
            change: crate::par::template::round2(e.after - e.before),
            criteria: e
                .criteria
                .into_iter()
                .map(|(code, before, after)| ParCriterionChange {
                    code,
                    before,
                    after,
                })
                .collect(),
        }))
    }
}

/// The latest request about a dossier or complaint (by id), for staff.
pub async fn latest_of(
    ctx: &Context<'_>,
    subject: &str,
) -> async_graphql::Result<Option<ParReview>> {
    Ok(ctx
        .loaders()
        .par_reviews
        .load_one(subject.to_string())
        .await?
        .map(ParReview))
}

#[derive(InputObject, Default)]
#[graphql(name = "ParReviewFilter")]
pub struct ParReviewFilterInput {
    pub year: Option<i32>,
    pub unit: Option<ID>,
    pub status: Option<ParReviewStatus>,
    pub kind: Option<ParReviewKind>,
}

/// A unit's requests of a year, by where they stand.
#[derive(SimpleObject)]
pub struct ParReviewCount {
    pub unit: Option<Unit>,
    pub pending: u64,
    pub accepted: u64,
    pub refused: u64,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum ParReviewDecision {
    Accept,
    Refuse,
}

#[derive(InputObject)]
pub struct DecideParReviewInput {
    pub id: ID,
    pub decision: ParReviewDecision,
    /// Why: recorded in the year's audit and shown to the unit.
    pub reason: String,
}

#[derive(Default)]
pub struct ParReviewQuery;

#[Object]
impl ParReviewQuery {
    /// The review queue, oldest first: evaluators and admins every unit's requests, officials
    /// their units'.
    #[graphql(complexity = "crate::pagination::list_cost(first, child_complexity)")]
    async fn par_reviews(
        &self,
        ctx: &Context<'_>,
        filter: Option<ParReviewFilterInput>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Conn<ParReview>> {
        let f = filter.unwrap_or_default();
        let page = Page::keyed_for(ctx, review::SORT, first, after.as_deref())?;
        let found = review::list(
            ctx.state(),
            ctx.actor(),
            &review::ReviewFilter {
                year: f.year,
                unit: f.unit.map(|u| u.0),
                status: f.status.map(Into::into),
                kind: f.kind.map(Into::into),
            },
            page.clone(),
        )
        .await?;
        Ok(page.keyed_connection(found.map(ParReview)))
    }

    /// One request, or null when there is none in the caller's scope.
    async fn par_review(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<Option<ParReview>> {
        match review::get(ctx.state(), ctx.actor(), &id).await {
            Ok(r) => Ok(Some(ParReview(r))),
            // Not found, or outside the caller's units: null, as any lookup.
            Err(crate::error::AppError::NotFound(_)) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// A year's requests per unit, by where they stand (units with none are left out).
    async fn par_review_counts(
        &self,
        ctx: &Context<'_>,
        year: i32,
    ) -> async_graphql::Result<Vec<ParReviewCount>> {
        let rows = review::counts(ctx.state(), ctx.actor(), year).await?;
        let mut by_unit: std::collections::BTreeMap<String, (u64, u64, u64)> =
            std::collections::BTreeMap::new();
        for (u, s, n) in rows {
            let e = by_unit.entry(u).or_default();
            match s {
                Status::Pending => e.0 += n,
                Status::Accepted => e.1 += n,
                Status::Refused => e.2 += n,
                Status::Withdrawn => {}
            }
        }
        let mut out = Vec::new();
        for (u, (pending, accepted, refused)) in by_unit {
            let unit = ctx.loaders().units.load_one(u).await?.map(Unit);
            out.push(ParReviewCount {
                unit,
                pending,
                accepted,
                refused,
            });
        }
        Ok(out)
    }
}

#[derive(Default)]
pub struct ParReviewMutation;

#[Object]
impl ParReviewMutation {
    /// Evaluators and admins: accepts or refuses a pending request, with the reason, never one's
    /// own. It counts in the year's figures once the year is computed again.
    async fn decide_par_review(
        &self,
        ctx: &Context<'_>,
        input: DecideParReviewInput,
    ) -> async_graphql::Result<ParReview> {
        Ok(ParReview(
            review::decide(
                ctx.state(),
                ctx.actor(),
                &input.id,
                input.decision == ParReviewDecision::Accept,
                &input.reason,
            )
            .await?,
        ))
    }
}
