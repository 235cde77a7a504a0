//! GraphQL types and resolvers of dialogues and commitments.

use crate::scalars::{Day, Instant};
use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject};
use entity::{commitment, complaint, dialogue, dialogue_business, dialogue_issue};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};

use super::commitments::{self as cm, RecordInput, StatsFilter};
use super::{
    BusinessInvite, DialogueFilter, Full, JoinInput, RaiseInput, ScheduleInput, StepInput,
};
use crate::access::{self, DialogueView};
use crate::clock::local;
use crate::complaints::FileInput;
use crate::complaints::graphql::{
    Complaint, ComplaintCategory, ComplaintKind, ComplaintStatus, ContactInputGql,
};
use crate::context::CtxExt;
use crate::error::AppError;
use crate::pagination::{Conn, Page};
use crate::units::graphql::Unit;

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "entity::dialogue::Kind")]
pub enum DialogueKind {
    /// Định kỳ: the unit's regular meeting with businesses.
    Periodic,
    /// Theo chuyên đề: on one subject.
    Thematic,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "entity::dialogue::Status")]
pub enum DialogueStatus {
    Planned,
    Held,
    Closed,
    Cancelled,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "entity::commitment::Status")]
pub enum CommitmentStatus {
    Open,
    Done,
}

/// What a caller may do to a dialogue (`Dialogue.allowedActions`), each named after its
/// mutation.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "crate::access::DialogueAction")]
pub enum DialogueAction {
    /// `updateDialogue`: reschedule, move or rename it while planned.
    Update,
    /// `inviteToDialogue`.
    Invite,
    /// `holdDialogue`: on its day or later.
    Hold,
    /// `closeDialogue`.
    Close,
    /// `cancelDialogue`.
    Cancel,
    /// `joinDialogue`: a business account registers or confirms.
    Join,
    /// `raiseDialogueIssue`.
    RaiseIssue,
    /// `linkComplaintToDialogue`: the host for a complaint it handles, a business for its own.
    LinkComplaint,
}

/// What a caller may do to a commitment (`Commitment.allowedActions`), each named after its
/// mutation.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "crate::access::CommitmentAction")]
pub enum CommitmentAction {
    /// `completeCommitment`: report it done.
    Complete,
}

/// How the caller takes part in a dialogue.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "crate::access::DialogueView")]
pub enum DialogueRole {
    /// The host unit's officials, admins.
    Host,
    /// Evaluators.
    Staff,
    /// An invited unit's officials, a business taking part.
    Participant,
    /// Anyone, for a public dialogue.
    Public,
}

/// What a list inside a dialogue (its issues, businesses, units, an issue's commitments, a
/// complaint's dialogues) weighs in a request's complexity: as many items as a page, since
/// nothing bounds it by `first`. Without it, a few nested levels of these lists passed the limit
/// while their answer grew with the data (dialogues → issues → complaint → dialogues → …).
pub const LIST_COST: usize = 20;

/// Loads dialogues with their participants, per request.
pub struct DialogueLoader(pub DatabaseConnection);

impl async_graphql::dataloader::Loader<String> for DialogueLoader {
    type Value = Arc<Full>;
    type Error = AppError;

    async fn load(&self, keys: &[String]) -> Result<HashMap<String, Arc<Full>>, AppError> {
        Ok(super::load_full(&self.0, keys)
            .await?
            .into_iter()
            .map(|(k, v)| (k, Arc::new(v)))
            .collect())
    }
}

/// Loads each dialogue's issue links, oldest first.
pub struct IssuesLoader(pub DatabaseConnection);

impl async_graphql::dataloader::Loader<String> for IssuesLoader {
    type Value = Vec<dialogue_issue::Model>;
    type Error = AppError;

    async fn load(
        &self,
        keys: &[String],
    ) -> Result<HashMap<String, Vec<dialogue_issue::Model>>, AppError> {
        let mut out: HashMap<String, Vec<dialogue_issue::Model>> = HashMap::new();
        for l in dialogue_issue::Entity::find()
            .filter(dialogue_issue::Column::DialogueId.is_in(keys.iter().cloned()))
            .order_by_asc(dialogue_issue::Column::CreatedAt)
            .order_by_asc(dialogue_issue::Column::ComplaintId)
            .all(&self.0)
            .await?
        {
            out.entry(l.dialogue_id.clone()).or_default().push(l);
        }
        Ok(out)
    }
}

/// Loads each complaint's commitments.
pub struct CommitmentsLoader(pub DatabaseConnection);

impl async_graphql::dataloader::Loader<String> for CommitmentsLoader {
    type Value = Vec<commitment::Model>;
    type Error = AppError;

    async fn load(
        &self,
        keys: &[String],
    ) -> Result<HashMap<String, Vec<commitment::Model>>, AppError> {
        cm::of_complaints(&self.0, keys).await
    }
}

/// Loads the dialogues each complaint is an issue of.
pub struct ComplaintDialoguesLoader(pub DatabaseConnection);

impl async_graphql::dataloader::Loader<String> for ComplaintDialoguesLoader {
    type Value = Vec<String>;
    type Error = AppError;

    async fn load(&self, keys: &[String]) -> Result<HashMap<String, Vec<String>>, AppError> {
        super::dialogues_of(&self.0, keys).await
    }
}

/// Whether the caller sees the commitments on `c`: its inside, or the record of one of its
/// dialogues (`crate::access::sees_commitments`).
pub async fn sees_commitments_of(
    ctx: &Context<'_>,
    c: &complaint::Model,
    view: Option<crate::access::View>,
) -> async_graphql::Result<bool> {
    if view.is_some_and(crate::access::View::is_inner) {
        return Ok(true);
    }
    if c.legal_track.is_some() {
        return Ok(false);
    }
    let ids = ctx
        .loaders()
        .complaint_dialogues
        .load_one(c.id.clone())
        .await?
        .unwrap_or_default();
    let fulls = ctx.loaders().dialogues.load_many(ids).await?;
    let read = ctx.read_scope().await?;
    let record = fulls.values().any(|f| {
        f.view(ctx.actor(), read)
            .is_some_and(|v| v.sees_record(&f.model))
    });
    Ok(access::sees_commitments(view, record, c))
}

/// The units involved in the matter of `c` (`super::commitments::involved_of`), its dialogues
/// loaded through the request's loaders.
pub async fn involved_units(
    ctx: &Context<'_>,
    c: &complaint::Model,
) -> async_graphql::Result<Vec<String>> {
    let ids = ctx
        .loaders()
        .complaint_dialogues
        .load_one(c.id.clone())
        .await?
        .unwrap_or_default();
    let fulls = ctx.loaders().dialogues.load_many(ids).await?;
    Ok(cm::involved_of(
        c,
        fulls.values().flat_map(|f| f.all_units()),
    ))
}

/// The dialogues of a complaint the caller may see, as they would see them.
pub async fn dialogues_of_complaint(
    ctx: &Context<'_>,
    complaint_id: &str,
) -> async_graphql::Result<Vec<Dialogue>> {
    let ids = ctx
        .loaders()
        .complaint_dialogues
        .load_one(complaint_id.to_string())
        .await?
        .unwrap_or_default();
    let fulls = ctx.loaders().dialogues.load_many(ids.clone()).await?;
    let read = ctx.read_scope().await?;
    Ok(ids
        .iter()
        .filter_map(|id| fulls.get(id))
        .filter_map(|f| {
            f.view(ctx.actor(), read).map(|view| Dialogue {
                full: f.clone(),
                view,
            })
        })
        .collect())
}

/// A dialogue as the caller may see it (`crate::access::DialogueView`).
pub struct Dialogue {
    pub full: Arc<Full>,
    pub view: DialogueView,
}

impl Dialogue {
    fn m(&self) -> &dialogue::Model {
        &self.full.model
    }
}

/// The counts of a dialogue's issues and commitments, over what the caller sees.
#[derive(SimpleObject, Default)]
pub struct DialogueCounts {
    pub issues: u64,
    /// Issues whose complaint is received or accepted.
    pub open_issues: u64,
    /// Answered or closed.
    pub resolved_issues: u64,
    pub duplicates: u64,
    /// Refused (or gone).
    pub rejected_issues: u64,
    /// Commitments on the issues (a matter raised at several dialogues shows its commitments in
    /// each).
    pub commitments: u64,
    /// Commitments open and not yet due.
    pub open: u64,
    /// Commitments open past due.
    pub overdue: u64,
    /// Commitments done (on time or late).
    pub done: u64,
    /// Of which done after their due time.
    pub done_late: u64,
}

/// An issue of a dialogue: a complaint, in the caller's own view of it.
pub struct DialogueIssue {
    link: dialogue_issue::Model,
    /// The complaint's status, counted whether or not the caller sees the complaint.
    status: Option<complaint::Status>,
    complaint: Option<complaint::Model>,
    view: Option<crate::access::View>,
    /// The caller acts for the host (saw who raised what at the meeting).
    host: bool,
    commitments: Vec<commitment::Model>,
}

#[Object]
impl DialogueIssue {
    /// The complaint, as the caller would see it by asking for it directly; null when they may
    /// not (another business's unpublished issue).
    async fn complaint(&self) -> Option<Complaint> {
        let (c, v) = (self.complaint.as_ref()?, self.view?);
        Some(Complaint {
            model: c.clone(),
            view: v,
        })
    }
    /// Where the matter stands (received, accepted, answered, closed, rejected, duplicate),
    /// also when the complaint itself is not the caller's to see.
    async fn status(&self) -> Option<ComplaintStatus> {
        self.status.map(Into::into)
    }
    /// `SUBMITTED` before the meeting, `RAISED` at it, `LINKED` (an earlier complaint) or
    /// `MERGED` (the original of an issue marked as its duplicate).
    async fn origin(&self) -> &str {
        &self.link.origin
    }
    /// The business that raised it: to whoever sees the complaint's filer, and to the host for
    /// what was submitted to or raised at its meeting. A household's personal number shows to
    /// the host and the household only.
    async fn raised_by(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<BusinessRef>> {
        let at_meeting =
            self.host && matches!(self.link.origin.as_str(), super::SUBMITTED | super::RAISED);
        let visible = at_meeting || self.view.is_some_and(|v| v.sees_contact());
        let Some(b) = self.link.business_id.as_ref().filter(|_| visible) else {
            return Ok(None);
        };
        BusinessRef::load(ctx, b, self.host).await
    }
    async fn linked_at(&self) -> Instant {
        local(self.link.created_at).into()
    }
    /// The commitments made on it, to those who see its inside or the dialogue's record.
    /// At most `first` (default 20, at most 100), oldest first.
    #[graphql(complexity = "crate::pagination::nested_cost(first, child_complexity)")]
    async fn commitments(&self, first: Option<i32>) -> async_graphql::Result<Vec<Commitment>> {
        let n = crate::pagination::nested_first("commitments.first", first)?;
        Ok(self
            .commitments
            .iter()
            .take(n)
            .cloned()
            .map(Commitment)
            .collect())
    }
}

/// A business taking part in a dialogue.
pub struct DialogueBusiness {
    model: dialogue_business::Model,
    /// The caller sees this business's contact and agenda: the host, or the business itself.
    own: bool,
}

/// A business as a dialogue shows it: its name, and its tax code unless that is a household's
/// personal number and the caller is neither the host nor the household.
#[derive(SimpleObject)]
pub struct BusinessRef {
    pub name: String,
    pub tax_code: Option<String>,
}

impl BusinessRef {
    async fn load(
        ctx: &Context<'_>,
        id: &str,
        host: bool,
    ) -> async_graphql::Result<Option<BusinessRef>> {
        let Some(b) = ctx.loaders().businesses.load_one(id.to_string()).await? else {
            return Ok(None);
        };
        let personal = crate::businesses::TaxCode::parse(&b.tax_code)
            .map(|t| t.is_personal())
            .unwrap_or(true);
        let own = access::caller_business(ctx.actor()) == Some(id);
        Ok(Some(BusinessRef {
            tax_code: (!personal || host || own).then_some(b.tax_code),
            name: b.name,
        }))
    }
}

#[Object]
impl DialogueBusiness {
    async fn name(&self, ctx: &Context<'_>) -> async_graphql::Result<String> {
        Ok(BusinessRef::load(ctx, &self.model.business_id, self.own)
            .await?
            .map(|b| b.name)
            .unwrap_or_default())
    }
    /// The tax code. A household business's is its owner's personal identification number:
    /// shown to the host and the business itself only.
    async fn tax_code(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<String>> {
        Ok(BusinessRef::load(ctx, &self.model.business_id, self.own)
            .await?
            .and_then(|b| b.tax_code))
    }
    /// `INVITED` or `REGISTERED`.
    async fn origin(&self) -> &str {
        &self.model.origin
    }
    /// The contact person: the host and the business itself only. Every read by staff is
    /// logged before it is answered.
    async fn contact(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<crate::complaints::graphql::ComplaintContact>> {
        if !self.own {
            return Ok(None);
        }
        if crate::access::logs_contact_read(ctx.actor()) {
            ctx.loaders()
                .contact_reads
                .load_one((
                    crate::privacy::reads::Whose::DialogueContact {
                        dialogue: self.model.dialogue_id.clone(),
                        business: self.model.business_id.clone(),
                    },
                    "DialogueBusiness.contact".to_string(),
                ))
                .await?;
        }
        Ok(Some(crate::complaints::graphql::ComplaintContact {
            name: self.model.contact_name.clone().unwrap_or_default(),
            phone: self.model.contact_phone.clone(),
            email: self.model.contact_email.clone(),
        }))
    }
    /// What it means to raise: the host and the business itself only.
    async fn agenda(&self) -> Option<&str> {
        self.model.agenda.as_deref().filter(|_| self.own)
    }
}

#[Object]
impl Dialogue {
    async fn id(&self) -> ID {
        ID(self.m().id.clone())
    }
    async fn kind(&self) -> DialogueKind {
        self.m().kind.into()
    }
    async fn title(&self) -> &str {
        &self.m().title
    }
    async fn topic(&self) -> &str {
        &self.m().topic
    }
    async fn host_unit(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Unit>> {
        Ok(ctx
            .loaders()
            .units
            .load_one(self.m().host_unit_id.clone())
            .await?
            .map(Unit))
    }
    async fn starts_at(&self) -> Instant {
        local(self.m().starts_at).into()
    }
    async fn location(&self) -> Option<&str> {
        self.m().location.as_deref()
    }
    async fn online(&self) -> bool {
        self.m().online
    }
    /// Open to every business, listed to everyone.
    async fn public(&self) -> bool {
        self.m().public
    }
    async fn status(&self) -> DialogueStatus {
        self.m().status.into()
    }
    async fn held_at(&self) -> Option<Instant> {
        self.m().held_at.map(Instant::from)
    }
    async fn closed_at(&self) -> Option<Instant> {
        self.m().closed_at.map(Instant::from)
    }
    async fn cancelled_at(&self) -> Option<Instant> {
        self.m().cancelled_at.map(Instant::from)
    }
    async fn cancel_reason(&self) -> Option<&str> {
        self.m().cancel_reason.as_deref()
    }
    /// The minutes: to the participants; to everyone once closed, unless internal.
    async fn minutes(&self) -> Option<&str> {
        self.m()
            .minutes
            .as_deref()
            .filter(|_| self.view.sees_record(self.m()))
    }
    /// Minutes and commitments stay with the participants.
    async fn minutes_internal(&self) -> bool {
        self.m().minutes_internal
    }
    /// How the caller takes part.
    async fn my_role(&self) -> DialogueRole {
        self.view.into()
    }
    /// The units invited (the host apart).
    /// At most `first` (default 20, at most 100).
    #[graphql(complexity = "crate::pagination::nested_cost(first, child_complexity)")]
    async fn units(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
    ) -> async_graphql::Result<Vec<Unit>> {
        let n = crate::pagination::nested_first("units.first", first)?;
        let got = ctx
            .loaders()
            .units
            .load_many(self.full.units.clone())
            .await?;
        Ok(self
            .full
            .units
            .iter()
            .filter_map(|u| got.get(u).cloned().map(Unit))
            .take(n)
            .collect())
    }
    /// The businesses taking part, invited or registered.
    /// At most `first` (default 20, at most 100).
    #[graphql(complexity = "crate::pagination::nested_cost(first, child_complexity)")]
    async fn businesses(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
    ) -> async_graphql::Result<Vec<DialogueBusiness>> {
        let n = crate::pagination::nested_first("businesses.first", first)?;
        let mine = access::caller_business(ctx.actor());
        Ok(self
            .full
            .businesses
            .iter()
            .take(n)
            .map(|b| DialogueBusiness {
                own: self.view.sees_contacts() || mine == Some(b.business_id.as_str()),
                model: b.clone(),
            })
            .collect())
    }
    /// Every issue raised or linked, oldest first; each complaint in the caller's own view.
    /// At most `first` (default 20, at most 100).
    #[graphql(complexity = "crate::pagination::nested_cost(first, child_complexity)")]
    async fn issues(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
    ) -> async_graphql::Result<Vec<DialogueIssue>> {
        let n = crate::pagination::nested_first("issues.first", first)?;
        let mut all = issues(ctx, self).await?;
        all.truncate(n);
        Ok(all)
    }
    /// Issues and commitments counted over what the caller sees.
    #[graphql(complexity = "LIST_COST")]
    async fn counts(&self, ctx: &Context<'_>) -> async_graphql::Result<DialogueCounts> {
        let now = crate::clock::now();
        let mut c = DialogueCounts::default();
        for i in issues(ctx, self).await? {
            c.issues += 1;
            match i.status {
                Some(complaint::Status::Received | complaint::Status::Accepted) => {
                    c.open_issues += 1
                }
                Some(complaint::Status::Answered | complaint::Status::Closed) => {
                    c.resolved_issues += 1
                }
                Some(complaint::Status::Duplicate) => c.duplicates += 1,
                Some(complaint::Status::Rejected) | None => c.rejected_issues += 1,
            }
            for k in &i.commitments {
                c.commitments += 1;
                match k.status {
                    commitment::Status::Done => {
                        c.done += 1;
                        if k.done_at.is_some_and(|d| d > k.due_at) {
                            c.done_late += 1;
                        }
                    }
                    commitment::Status::Open if cm::is_overdue(k, now) => c.overdue += 1,
                    commitment::Status::Open => c.open += 1,
                }
            }
        }
        Ok(c)
    }
    /// What the caller may do to it now: who they are (the host unit's officials, admins, a
    /// business taking part or seeing a public one) and where it stands (status, its day come)
    /// both allow it. The same rules decide when the mutation is sent.
    async fn allowed_actions(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<DialogueAction>> {
        let read = ctx.read_scope().await?;
        Ok(access::dialogue_actions(
            ctx.actor(),
            read,
            self.view,
            self.m(),
            &self.full.business_ids(),
            crate::clock::now(),
        )
        .into_iter()
        .map(Into::into)
        .collect())
    }
}

async fn issues(ctx: &Context<'_>, d: &Dialogue) -> async_graphql::Result<Vec<DialogueIssue>> {
    let links = ctx
        .loaders()
        .dialogue_issues
        .load_one(d.m().id.clone())
        .await?
        .unwrap_or_default();
    let ids: Vec<String> = links.iter().map(|l| l.complaint_id.clone()).collect();
    let complaints = ctx.loaders().complaints.load_many(ids.clone()).await?;
    let mut commitments = ctx.loaders().commitments.load_many(ids).await?;
    let read = ctx.read_scope().await?;
    let record = d.view.sees_record(d.m());
    let mut out = Vec::with_capacity(links.len());
    for l in links {
        let c = complaints.get(&l.complaint_id).cloned();
        let view = c
            .as_ref()
            .and_then(|c| access::complaint_view(ctx.actor(), read, c));
        let shown = c
            .as_ref()
            .is_some_and(|c| access::sees_commitments(view, record, c));
        let ks = if shown {
            commitments.remove(&l.complaint_id).unwrap_or_default()
        } else {
            vec![]
        };
        out.push(DialogueIssue {
            status: c.as_ref().map(|c| c.status),
            complaint: c.filter(|_| view.is_some()),
            view,
            host: d.view == DialogueView::Host,
            commitments: ks,
            link: l,
        });
    }
    Ok(out)
}

/// A unit's commitment on a matter.
#[derive(Clone)]
pub struct Commitment(pub commitment::Model);

#[Object]
impl Commitment {
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }
    /// The unit that committed.
    async fn unit(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Unit>> {
        Ok(ctx
            .loaders()
            .units
            .load_one(self.0.unit_id.clone())
            .await?
            .map(Unit))
    }
    async fn text(&self) -> &str {
        &self.0.text
    }
    /// The day promised.
    async fn due_on(&self) -> Day {
        self.0.due_on.into()
    }
    /// When it falls due: the end of that day, or of the next working day when that day is off
    /// (Civil Code 2015, art. 148).
    async fn due_at(&self) -> Instant {
        local(self.0.due_at).into()
    }
    async fn status(&self) -> CommitmentStatus {
        self.0.status.into()
    }
    /// Open past its due time.
    async fn overdue(&self) -> bool {
        cm::is_overdue(&self.0, crate::clock::now())
    }
    /// Working days past the due day, while overdue.
    async fn working_days_overdue(&self, ctx: &Context<'_>) -> u32 {
        cm::working_days_overdue(&ctx.state().calendar.get(), &self.0, crate::clock::now())
    }
    /// Done by its due time (null while open).
    async fn kept_on_time(&self) -> Option<bool> {
        self.0.done_at.map(|d| d <= self.0.due_at)
    }
    async fn done_at(&self) -> Option<Instant> {
        self.0.done_at.map(Instant::from)
    }
    /// What shows it done.
    async fn evidence(&self) -> Option<&str> {
        self.0.evidence.as_deref()
    }
    async fn recorded_at(&self) -> Instant {
        local(self.0.recorded_at).into()
    }
    /// What the caller may do to it now: the committing unit's officials and admins report it
    /// done, once.
    async fn allowed_actions(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<CommitmentAction>> {
        let read = ctx.read_scope().await?;
        Ok(access::commitment_actions(ctx.actor(), read, &self.0)
            .into_iter()
            .map(Into::into)
            .collect())
    }
    /// The matter, in the caller's own view of it.
    async fn complaint(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Complaint>> {
        let Some(c) = ctx
            .loaders()
            .complaints
            .load_one(self.0.complaint_id.clone())
            .await?
        else {
            return Ok(None);
        };
        let read = ctx.read_scope().await?;
        Ok(access::complaint_view(ctx.actor(), read, &c).map(|view| Complaint { model: c, view }))
    }
}

/// A matter raised at several dialogues.
pub struct RecurringIssue {
    complaint: Complaint,
    times: u64,
}

#[Object]
impl RecurringIssue {
    async fn complaint(&self) -> &Complaint {
        &self.complaint
    }
    /// At how many dialogues it was raised or linked (its duplicates' included).
    async fn times_raised(&self) -> u64 {
        self.times
    }
    /// Those dialogues, as the caller may see them.
    /// At most `first` (default 20, at most 100).
    #[graphql(complexity = "crate::pagination::nested_cost(first, child_complexity)")]
    async fn dialogues(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
    ) -> async_graphql::Result<Vec<Dialogue>> {
        let n = crate::pagination::nested_first("dialogues.first", first)?;
        let mut all = dialogues_of_complaint(ctx, &self.complaint.model.id).await?;
        all.truncate(n);
        Ok(all)
    }
}

#[derive(InputObject, Default)]
pub struct RecurringIssueFilter {
    /// The assigned unit.
    pub unit: Option<ID>,
    /// Raised or linked from.
    pub from: Option<Instant>,
    /// Raised or linked before.
    pub to: Option<Instant>,
    /// At least this many dialogues (default and least 2).
    pub min_dialogues: Option<u32>,
}

/// One unit's record of keeping its commitments.
#[derive(SimpleObject)]
pub struct UnitCommitmentStats {
    pub unit: Option<Unit>,
    pub total: u64,
    pub kept_on_time: u64,
    pub kept_late: u64,
    /// Open past due.
    pub overdue: u64,
    /// Open, not yet due.
    pub open: u64,
    /// Percent of the commitments due so far (kept, or overdue) kept on time; null when none
    /// was due.
    pub kept_on_time_share: Option<f64>,
}

#[derive(InputObject)]
pub struct BusinessInviteInput {
    /// Mã số thuế: 10 digits, 10 + "-" + 3, or a household business's 12-digit personal
    /// number.
    pub tax_code: String,
    /// Needed only for a business the portal does not know yet.
    pub name: Option<String>,
}

#[derive(InputObject)]
pub struct ScheduleDialogueInput {
    pub kind: DialogueKind,
    /// At most 200 characters.
    pub title: String,
    /// The subject: at most 2,000 characters.
    pub topic: String,
    pub host_unit: ID,
    pub starts_at: Instant,
    /// Required unless online.
    pub location: Option<String>,
    #[graphql(default)]
    pub online: bool,
    /// Units invited beside the host.
    #[graphql(default)]
    pub units: Vec<ID>,
    #[graphql(default)]
    pub businesses: Vec<BusinessInviteInput>,
    /// Open to every business (which may register itself) and listed to everyone.
    #[graphql(default)]
    pub public: bool,
    pub idempotency_key: Option<String>,
}

#[derive(InputObject, Default)]
pub struct UpdateDialogueInput {
    pub title: Option<String>,
    pub topic: Option<String>,
    pub starts_at: Option<Instant>,
    /// An empty string clears it (for an online dialogue).
    pub location: Option<String>,
    pub online: Option<bool>,
}

#[derive(InputObject, Default)]
pub struct JoinDialogueInput {
    /// The contact person; the account's name, phone and e-mail when left out.
    pub contact: Option<ContactInputGql>,
    /// What the business means to raise.
    pub agenda: Option<String>,
    /// The personal-data notice shown to the contact person (`privacyNotice.version`) and the
    /// purposes ticked: none by default.
    pub privacy: Option<crate::privacy::graphql::PrivacyChoicesInput>,
}

#[derive(InputObject)]
pub struct RaiseDialogueIssueInput {
    /// The raising business's tax code: required when the host records the issue.
    pub business: Option<String>,
    /// The unit it concerns (it is routed there); the host when left out.
    pub unit: Option<ID>,
    pub procedure: Option<ID>,
    pub dossier_code: Option<String>,
    #[graphql(default_with = "ComplaintKind::Feedback")]
    pub kind: ComplaintKind,
    #[graphql(default_with = "ComplaintCategory::Other")]
    pub category: ComplaintCategory,
    pub title: String,
    pub body: String,
    /// The business's contact person: its registration's (or its account's) when left out.
    pub contact: Option<ContactInputGql>,
    #[graphql(default)]
    pub confirm_feedback: bool,
    pub idempotency_key: Option<String>,
}

#[derive(InputObject)]
pub struct RecordCommitmentInput {
    /// The unit committing.
    pub unit: ID,
    /// What it commits to: at most 2,000 characters.
    pub text: String,
    /// The day it is due (today or later).
    pub due_on: Day,
    pub idempotency_key: Option<String>,
}

#[derive(InputObject, Default)]
#[graphql(name = "DialogueFilter")]
pub struct DialogueFilterInput {
    pub host_unit: Option<ID>,
    pub kind: Option<DialogueKind>,
    pub status: Option<DialogueStatus>,
    /// Dialogues this business (tax code) takes part in.
    pub business: Option<String>,
    /// Starting from.
    pub from: Option<Instant>,
    /// Starting before.
    pub to: Option<Instant>,
    /// Words of the title or topic, with or without marks.
    pub query: Option<String>,
}

#[derive(InputObject, Default)]
pub struct CommitmentStatsFilter {
    pub unit: Option<ID>,
    /// Commitments due from.
    pub from: Option<Instant>,
    /// Commitments due before.
    pub to: Option<Instant>,
}

fn wrap(items: Vec<(Full, DialogueView)>) -> Vec<Dialogue> {
    items.into_iter().map(wrap_one).collect()
}

fn wrap_one((f, view): (Full, DialogueView)) -> Dialogue {
    Dialogue {
        full: Arc::new(f),
        view,
    }
}

async fn as_seen(ctx: &Context<'_>, id: &str) -> async_graphql::Result<Dialogue> {
    let (f, view) = super::require_visible(ctx.state(), ctx.actor(), id).await?;
    Ok(Dialogue {
        full: Arc::new(f),
        view,
    })
}

#[derive(Default)]
pub struct DialoguesQuery;

#[Object]
impl DialoguesQuery {
    /// Dialogues the caller may see, newest first: the public ones, and those of their units or
    /// business; all for staff of the Department of Home Affairs and admins. With
    /// `filter.query`, the best matches of the title and topic first.
    #[graphql(complexity = "crate::pagination::search_cost(first, child_complexity)")]
    async fn dialogues(
        &self,
        ctx: &Context<'_>,
        filter: Option<DialogueFilterInput>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Conn<Dialogue>> {
        let f = filter.unwrap_or_default();
        let text = crate::search::results::check_query(&f.query)?;
        // The newest first pages by key; the best matches of a query by position.
        let page = if text.trim().is_empty() {
            Page::keyed_for(ctx, super::SORT, first, after.as_deref())?
        } else {
            Page::parse(first, after.as_deref())?
        };
        let (from, to) = crate::clock::check_range(f.from, f.to)?;
        let business = match f
            .business
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            Some(t) => {
                let tax = super::parse_tax("filter.business", t)?;
                let found = crate::businesses::find_by_tax_code(&ctx.state().db, &tax).await?;
                // A household's number is its owner's personal ID: not a key for strangers to
                // try, whether or not it is known.
                if !access::may_look_up_business(
                    ctx.actor(),
                    tax.is_personal(),
                    found.as_ref().map(|b| b.id.as_str()).unwrap_or(""),
                ) {
                    return Err(AppError::forbidden(
                        "Mã số thuế của hộ kinh doanh là số định danh cá nhân: chỉ cán bộ và chính hộ kinh doanh được lọc theo số này.",
                        "A household business's tax code is a personal ID number: only staff and the household itself may filter by it.",
                    )
                    .into());
                }
                match found {
                    Some(b) => Some(b.id),
                    None => return Ok(page.connection(0, vec![])),
                }
            }
            None => None,
        };
        let filter = DialogueFilter {
            host_unit: f.host_unit.map(|i| i.0),
            kind: f.kind.map(Into::into),
            status: f.status.map(Into::into),
            business,
            from,
            to,
        };
        if text.trim().is_empty() {
            let found = super::list(ctx.state(), ctx.actor(), &filter, None, page.clone()).await?;
            return Ok(page.keyed_connection(found.map(wrap_one)));
        }
        let (total, items) =
            super::search::search(ctx.state(), ctx.actor(), &text, &filter, page.clone()).await?;
        Ok(page.connection(total, wrap(items)))
    }

    /// A dialogue, as the caller may see it (null when they may not).
    async fn dialogue(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<Dialogue>> {
        match super::require_visible(ctx.state(), ctx.actor(), &id).await {
            Ok((f, view)) => Ok(Some(Dialogue {
                full: Arc::new(f),
                view,
            })),
            Err(e) if e.code() == "NOT_FOUND" => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// The caller's own dialogues: a business's (invited or registered), an official's units'
    /// (hosted or invited to).
    #[graphql(complexity = "crate::pagination::list_cost(first, child_complexity)")]
    async fn my_dialogues(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Conn<Dialogue>> {
        let page = Page::keyed_for(ctx, super::SORT, first, after.as_deref())?;
        let found = super::mine(ctx.state(), ctx.actor(), page.clone()).await?;
        Ok(page.keyed_connection(found.map(wrap_one)))
    }

    /// A business's issues in one place, newest first: its complaints and what it raised at
    /// dialogues, by any of its accounts or recorded for it by a host (each complaint's
    /// `dialogues` says where it was raised). For other accounts, their own complaints.
    #[graphql(complexity = "crate::pagination::list_cost(first, child_complexity)")]
    async fn my_issues(
        &self,
        ctx: &Context<'_>,
        status: Option<ComplaintStatus>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Conn<Complaint>> {
        let page = Page::keyed_for(
            ctx,
            crate::complaints::Order::ReceivedDesc.sort(),
            first,
            after.as_deref(),
        )?;
        let found = crate::complaints::my_issues(
            ctx.state(),
            ctx.actor(),
            status.map(Into::into),
            page.clone(),
        )
        .await?;
        Ok(page.keyed_connection(found.map(crate::complaints::graphql::wrap_one)))
    }

    /// Matters that keep coming back: complaints raised at (or linked to) two or more
    /// dialogues, a duplicate's original counting its duplicates' dialogues; most often raised
    /// first. Staff only: officials of their units, evaluators and admins of all.
    #[graphql(complexity = "crate::pagination::search_cost(first, child_complexity)")]
    async fn recurring_issues(
        &self,
        ctx: &Context<'_>,
        filter: Option<RecurringIssueFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Conn<RecurringIssue>> {
        let page = Page::parse(first, after.as_deref())?;
        let f = filter.unwrap_or_default();
        let (from, to) = crate::clock::check_range(f.from, f.to)?;
        let (total, items) = super::recurring(
            ctx.state(),
            ctx.actor(),
            &super::RecurringFilter {
                unit: f.unit.map(|i| i.0),
                from,
                to,
                min_dialogues: f.min_dialogues.unwrap_or(2) as u64,
            },
            page.clone(),
        )
        .await?;
        Ok(page.connection(
            total,
            items
                .into_iter()
                .map(|(model, view, times)| RecurringIssue {
                    complaint: Complaint { model, view },
                    times,
                })
                .collect(),
        ))
    }

    /// Per unit: commitments kept on time, kept late, overdue and open, for those falling due
    /// in the window. Staff only: officials of their units, evaluators and admins of all.
    #[graphql(complexity = "crate::pagination::SEARCH_COST + child_complexity")]
    async fn commitment_stats(
        &self,
        ctx: &Context<'_>,
        filter: Option<CommitmentStatsFilter>,
    ) -> async_graphql::Result<Vec<UnitCommitmentStats>> {
        let f = filter.unwrap_or_default();
        let (from, to) = crate::clock::check_range(f.from, f.to)?;
        let rows = cm::stats(
            ctx.state(),
            ctx.actor(),
            &StatsFilter {
                unit: f.unit.map(|i| i.0),
                from,
                to,
            },
        )
        .await?;
        let units = ctx
            .loaders()
            .units
            .load_many(rows.iter().map(|r| r.unit_id.clone()))
            .await?;
        Ok(rows
            .into_iter()
            .map(|r| {
                let due = r.kept_on_time + r.kept_late + r.overdue;
                UnitCommitmentStats {
                    unit: units.get(&r.unit_id).cloned().map(Unit),
                    kept_on_time_share: (due > 0)
                        .then(|| (10_000.0 * r.kept_on_time as f64 / due as f64).round() / 100.0),
                    total: r.total,
                    kept_on_time: r.kept_on_time,
                    kept_late: r.kept_late,
                    overdue: r.overdue,
                    open: r.open,
                }
            })
            .collect())
    }
}

#[derive(Default)]
pub struct DialoguesMutation;

#[Object]
impl DialoguesMutation {
    /// Officials of the host unit, admins: schedules a dialogue and invites units and
    /// businesses (by tax code; a business the portal does not know is created with its name).
    async fn schedule_dialogue(
        &self,
        ctx: &Context<'_>,
        input: ScheduleDialogueInput,
    ) -> async_graphql::Result<Dialogue> {
        let starts_at = crate::clock::check_instant("input.startsAt", input.starts_at)?;
        let d = super::schedule(
            ctx.state(),
            ctx.actor(),
            ctx.req().client_ip,
            ScheduleInput {
                kind: input.kind.into(),
                title: input.title,
                topic: input.topic,
                host_unit: input.host_unit.0,
                starts_at,
                location: input.location,
                online: input.online,
                units: input.units.into_iter().map(|i| i.0).collect(),
                businesses: input
                    .businesses
                    .into_iter()
                    .map(|b| BusinessInvite {
                        tax_code: b.tax_code,
                        name: b.name,
                    })
                    .collect(),
                public: input.public,
                idempotency_key: input.idempotency_key,
            },
        )
        .await?;
        as_seen(ctx, &d.id).await
    }

    /// Officials of the host unit, admins: reschedules, moves or renames a planned dialogue
    /// (the fields given replace those recorded; an empty location clears it).
    async fn update_dialogue(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateDialogueInput,
    ) -> async_graphql::Result<Dialogue> {
        let starts_at = input
            .starts_at
            .map(|t| crate::clock::check_instant("input.startsAt", t))
            .transpose()?;
        super::update(
            ctx.state(),
            ctx.actor(),
            &id,
            super::UpdateInput {
                title: input.title,
                topic: input.topic,
                starts_at,
                location: input.location,
                online: input.online,
            },
        )
        .await?;
        as_seen(ctx, &id).await
    }

    /// Officials of the host unit, admins: invites more units and businesses to a planned or
    /// held dialogue (those already taking part are left as they are).
    async fn invite_to_dialogue(
        &self,
        ctx: &Context<'_>,
        id: ID,
        units: Option<Vec<ID>>,
        businesses: Option<Vec<BusinessInviteInput>>,
    ) -> async_graphql::Result<Dialogue> {
        let units: Vec<String> = units.unwrap_or_default().into_iter().map(|i| i.0).collect();
        let businesses: Vec<BusinessInvite> = businesses
            .unwrap_or_default()
            .into_iter()
            .map(|b| BusinessInvite {
                tax_code: b.tax_code,
                name: b.name,
            })
            .collect();
        super::invite(ctx.state(), ctx.actor(), &id, &units, &businesses).await?;
        as_seen(ctx, &id).await
    }

    /// Officials of the host unit, admins: the meeting took place (on or after its day).
    async fn hold_dialogue(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Dialogue> {
        super::step(ctx.state(), ctx.actor(), &id, StepInput::Hold).await?;
        as_seen(ctx, &id).await
    }

    /// Officials of the host unit, admins: closes a held dialogue with its minutes (public
    /// with its commitments unless `internal: true`). Commitments still open are followed up
    /// after.
    async fn close_dialogue(
        &self,
        ctx: &Context<'_>,
        id: ID,
        minutes: String,
        internal: Option<bool>,
    ) -> async_graphql::Result<Dialogue> {
        super::step(
            ctx.state(),
            ctx.actor(),
            &id,
            StepInput::Close {
                minutes,
                internal: internal.unwrap_or(false),
            },
        )
        .await?;
        as_seen(ctx, &id).await
    }

    /// Officials of the host unit, admins: cancels a planned dialogue, saying why. Issues
    /// submitted before go on as complaints.
    async fn cancel_dialogue(
        &self,
        ctx: &Context<'_>,
        id: ID,
        reason: String,
    ) -> async_graphql::Result<Dialogue> {
        super::step(ctx.state(), ctx.actor(), &id, StepInput::Cancel { reason }).await?;
        as_seen(ctx, &id).await
    }

    /// A business account registers for a public dialogue or confirms an invitation, with its
    /// contact person and what it means to raise.
    async fn join_dialogue(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: Option<JoinDialogueInput>,
    ) -> async_graphql::Result<Dialogue> {
        let i = input.unwrap_or_default();
        super::join(
            ctx.state(),
            ctx.actor(),
            &id,
            JoinInput {
                contact: i.contact.map(Into::into),
                agenda: i.agenda,
                privacy: i.privacy.map(Into::into),
            },
        )
        .await?;
        as_seen(ctx, &id).await
    }

    /// Raises an issue at a dialogue: a complaint (source DIALOGUE) filed by the business that
    /// raised it, routed to the unit it concerns, linked to the dialogue. A business taking part
    /// raises its own before or at the meeting; the host records issues for businesses present.
    async fn raise_dialogue_issue(
        &self,
        ctx: &Context<'_>,
        dialogue: ID,
        input: RaiseDialogueIssueInput,
    ) -> async_graphql::Result<Complaint> {
        let model = super::raise(
            ctx.state(),
            ctx.actor(),
            ctx.req().client_ip,
            &dialogue,
            RaiseInput {
                business: input.business,
                complaint: FileInput {
                    kind: input.kind.into(),
                    category: input.category.into(),
                    unit: input.unit.map(|i| i.0).unwrap_or_default(),
                    procedure: input.procedure.map(|i| i.0),
                    dossier_code: input.dossier_code,
                    title: input.title,
                    body: input.body,
                    contact: input.contact.map(Into::into),
                    confirm_feedback: input.confirm_feedback,
                    idempotency_key: input.idempotency_key,
                    privacy: None,
                },
            },
        )
        .await?;
        let view = crate::complaints::view_after(ctx.state(), ctx.actor(), &model, false).await?;
        Ok(Complaint { model, view })
    }

    /// Links an earlier complaint to a dialogue instead of raising it again: the host's
    /// officials, or the business that filed it.
    async fn link_complaint_to_dialogue(
        &self,
        ctx: &Context<'_>,
        dialogue: ID,
        complaint: ID,
    ) -> async_graphql::Result<Complaint> {
        let model = super::link(ctx.state(), ctx.actor(), &dialogue, &complaint).await?;
        let view = crate::complaints::view_after(ctx.state(), ctx.actor(), &model, false).await?;
        Ok(Complaint { model, view })
    }

    /// Records a unit's commitment on a complaint: the host's officials (for any unit
    /// involved), or officials of the committing unit when it is involved in the matter.
    async fn record_commitment(
        &self,
        ctx: &Context<'_>,
        complaint: ID,
        input: RecordCommitmentInput,
    ) -> async_graphql::Result<Commitment> {
        let c = cm::record(
            ctx.state(),
            ctx.actor(),
            ctx.req().client_ip,
            &complaint,
            RecordInput {
                unit: input.unit.0,
                text: input.text,
                due_on: input.due_on.0,
                idempotency_key: input.idempotency_key,
            },
        )
        .await?;
        Ok(Commitment(c))
    }

    /// The committing unit's officials (or an admin): reports a commitment done, with what shows
    /// it.
    async fn complete_commitment(
        &self,
        ctx: &Context<'_>,
        id: ID,
        evidence: String,
    ) -> async_graphql::Result<Commitment> {
        Ok(Commitment(
            cm::complete(ctx.state(), ctx.actor(), &id, &evidence).await?,
        ))
    }
}
