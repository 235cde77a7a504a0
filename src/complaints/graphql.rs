//! GraphQL types and resolvers of complaints.

use crate::scalars::Instant;
use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject};
use entity::{complaint, complaint_event};

use super::{Action, ComplaintFilter, ContactInput, FileInput, Order, View};
use crate::clock::local;
use crate::context::CtxExt;
use crate::dossiers::graphql::Dossier;
use crate::pagination::{Conn, Page};
use crate::privacy::masks::TextField;
use crate::procedures::graphql::Procedure;
use crate::units::graphql::Unit;

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "entity::complaint::Kind")]
pub enum ComplaintKind {
    /// Phản ánh: about how a procedure was handled.
    Feedback,
    /// Kiến nghị: about a regulation itself.
    Petition,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "entity::complaint::Category")]
pub enum ComplaintCategory {
    /// Late processing (trễ hạn).
    LateProcessing,
    /// Documents demanded beyond the procedure's list.
    ExtraDocuments,
    /// Conduct of an official.
    OfficialConduct,
    Fees,
    Guidance,
    /// The online public-service system.
    OnlineSystem,
    Regulation,
    Other,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "entity::complaint::Status")]
pub enum ComplaintStatus {
    Received,
    Accepted,
    Answered,
    Closed,
    Rejected,
    Duplicate,
}

/// What happened to a complaint, in its history.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "super::lifecycle::Event")]
pub enum ComplaintEventAction {
    Filed,
    Accepted,
    Answered,
    Rejected,
    Forwarded,
    Duplicate,
    Rated,
    Reopened,
    Closed,
    /// An official decided the legal track (feedback, complaint, denunciation).
    Classified,
    /// Linked to a dialogue with businesses.
    DialogueLinked,
    /// A unit committed to a step on it.
    Committed,
    /// A unit reported its commitment done.
    CommitmentDone,
}

fn status_of(s: Option<&str>) -> Option<ComplaintStatus> {
    use sea_orm::ActiveEnum;
    s.and_then(|s| complaint::Status::try_from_value(&s.to_string()).ok())
        .map(Into::into)
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "super::RejectReason")]
pub enum RejectionReason {
    OutOfScope,
    /// A khiếu nại or tố cáo: another legal track; the filer is told where to go.
    ComplaintOrDenunciation,
    InsufficientInformation,
    /// Say why in the note.
    Other,
}

/// What a caller may do to a complaint (`Complaint.allowedActions`), each named after its
/// mutation.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "crate::access::ComplaintAction")]
pub enum ComplaintAction {
    /// `acceptComplaint`: the assigned unit takes it in hand.
    Accept,
    /// `answerComplaint`.
    Answer,
    /// `rejectComplaint`.
    Reject,
    /// `assignComplaint`: forward it to the competent unit.
    Assign,
    /// `markDuplicate`.
    MarkDuplicate,
    /// `classifyComplaint`: feedback, or a complaint or denunciation under their own laws.
    Classify,
    /// `closeComplaint`.
    Close,
    /// `rateComplaintAnswer`: its filer.
    RateAnswer,
    /// `linkComplaintToDialogue`: to a dialogue the caller hosts or takes part in.
    LinkToDialogue,
    /// `recordCommitment`: a unit involved in the matter.
    RecordCommitment,
}

/// How complaints are ordered (`complaints`, `searchComplaints`, `myComplaints`).
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum ComplaintOrder {
    /// Newest first: the default of lists, and of searches without a query.
    ReceivedAtDesc,
    ReceivedAtAsc,
    /// The answer deadline, soonest first.
    AnswerDueAtAsc,
    /// The next deadline, soonest first: a received item's forwarding deadline, an accepted
    /// one's answer deadline; answered and ended items after them. Lists only.
    NextDeadlineAsc,
    /// Best match first: the default of searches with a query; newest first otherwise.
    Relevance,
}

impl ComplaintOrder {
    /// The database order of a list (`RELEVANCE` is newest first there).
    pub fn list_order(o: Option<ComplaintOrder>) -> Order {
        match o {
            Some(ComplaintOrder::ReceivedAtAsc) => Order::ReceivedAsc,
            Some(ComplaintOrder::AnswerDueAtAsc) => Order::AnswerDueAsc,
            Some(ComplaintOrder::NextDeadlineAsc) => Order::NextDeadlineAsc,
            _ => Order::ReceivedDesc,
        }
    }
}

/// The filer's contact: the filer, the assigned unit's officials and admins only.
#[derive(SimpleObject)]
pub struct ComplaintContact {
    pub name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
}

/// One step of a complaint, as the viewer of the complaint may see it.
pub struct ComplaintEvent {
    model: complaint_event::Model,
    /// The viewer's view of the complaint.
    view: View,
}

// `from_unit` is a GraphQL field name, not a conversion.
#[allow(clippy::wrong_self_convention)]
#[Object]
impl ComplaintEvent {
    async fn at(&self) -> Instant {
        local(self.model.at).into()
    }
    /// What happened.
    async fn action(&self) -> Option<ComplaintEventAction> {
        super::lifecycle::Event::parse(&self.model.action).map(Into::into)
    }
    /// The account (or script) that acted: an official's for staff, the filer's for whoever
    /// sees the filer's contact; null otherwise and for an anonymous filer.
    async fn actor(&self) -> Option<&str> {
        let by_filer = matches!(
            self.model.actor_role.as_deref(),
            None | Some("CITIZEN") | Some("BUSINESS")
        );
        let visible = if by_filer {
            self.view.sees_contact()
        } else {
            self.view.sees_actors()
        };
        self.model.actor_subject.as_deref().filter(|_| visible)
    }
    /// The role of whoever acted (null for an anonymous filer).
    async fn actor_role(&self) -> Option<crate::accounts::graphql::Role> {
        use sea_orm::ActiveEnum;
        self.model
            .actor_role
            .as_ref()
            .and_then(|r| entity::account::Role::try_from_value(r).ok())
            .map(Into::into)
    }
    async fn from_status(&self) -> Option<ComplaintStatus> {
        status_of(self.model.from_status.as_deref())
    }
    async fn to_status(&self) -> Option<ComplaintStatus> {
        status_of(Some(&self.model.to_status))
    }
    async fn from_unit(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Unit>> {
        let Some(u) = &self.model.from_unit_id else {
            return Ok(None);
        };
        Ok(ctx.loaders().units.load_one(u.clone()).await?.map(Unit))
    }
    async fn to_unit(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Unit>> {
        let Some(u) = &self.model.to_unit_id else {
            return Ok(None);
        };
        Ok(ctx.loaders().units.load_one(u.clone()).await?.map(Unit))
    }
    async fn note(&self) -> Option<&str> {
        self.model.note.as_deref()
    }
}

/// A complaint as the caller may see it (`crate::access::View`): in full (the assigned unit,
/// admins), as its filer (no officials' accounts), without the contact (evaluators), or as a
/// published answer without identities (public).
pub struct Complaint {
    pub model: complaint::Model,
    pub view: View,
}

impl Complaint {
    fn inner(&self) -> bool {
        self.view.is_inner()
    }

    async fn decisions(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<entity::complaint_mask::Model>> {
        Ok(ctx
            .loaders()
            .complaint_masks
            .load_one(self.model.id.clone())
            .await?
            .unwrap_or_default())
    }

    async fn consents_given(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<entity::consent::Model>> {
        Ok(ctx
            .loaders()
            .complaint_consents
            .load_one(self.model.id.clone())
            .await?
            .unwrap_or_default())
    }

    /// A text as the caller reads it: as typed for the case's insiders, masked for the public.
    async fn text(&self, ctx: &Context<'_>, f: TextField) -> async_graphql::Result<String> {
        let raw = f.of(&self.model);
        if self.view != View::Public {
            return Ok(raw.to_string());
        }
        Ok(crate::privacy::masks::public_text(
            raw,
            f,
            &self.decisions(ctx).await?,
        ))
    }
}

#[Object]
impl Complaint {
    async fn id(&self) -> ID {
        ID(self.model.id.clone())
    }
    /// The public tracking code.
    async fn code(&self) -> &str {
        &self.model.code
    }
    async fn kind(&self) -> ComplaintKind {
        self.model.kind.into()
    }
    async fn category(&self) -> ComplaintCategory {
        self.model.category.into()
    }
    async fn status(&self) -> ComplaintStatus {
        self.model.status.into()
    }
    /// In the public view, with the personal data it holds masked (phones, e-mails, ID
    /// numbers, individual tax codes, house numbers), as staff decided.
    async fn title(&self, ctx: &Context<'_>) -> async_graphql::Result<String> {
        self.text(ctx, TextField::Title).await
    }
    /// In the public view, masked like `title`.
    async fn body(&self, ctx: &Context<'_>) -> async_graphql::Result<String> {
        self.text(ctx, TextField::Body).await
    }
    /// What the title and body read as by the search dictionary's concern groups (bribery,
    /// harassment, delay, attitude, overcharging, a lost file): a reading to search by, not a
    /// finding. Officials, evaluators and admins; null for everyone else.
    async fn concerns(&self, ctx: &Context<'_>) -> Option<Vec<crate::search::Concern>> {
        crate::access::sees_concerns(ctx.actor()).then(|| {
            ctx.state()
                .search
                .lexicon()
                .current()
                .concerns(&format!("{}\n{}", self.model.title, self.model.body))
        })
    }
    /// The personal data found in the title, body and answer, and whether the public view
    /// masks each piece: the assigned unit's officials, evaluators and admins; empty for
    /// everyone else.
    async fn personal_data(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<crate::privacy::graphql::PersonalDataPiece>> {
        if !self.view.sees_actors() {
            return Ok(vec![]);
        }
        let d = self.decisions(ctx).await?;
        let mut out = vec![];
        for f in [TextField::Title, TextField::Body, TextField::Answer] {
            out.extend(
                crate::privacy::masks::pieces(f.of(&self.model), f, &d)
                    .into_iter()
                    .map(Into::into),
            );
        }
        Ok(out)
    }
    /// The filer's consents, one row per purpose and answer: the filer, the assigned unit's
    /// officials and admins.
    async fn consents(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<crate::privacy::graphql::Consent>> {
        if !self.view.sees_contact() {
            return Ok(vec![]);
        }
        Ok(self
            .consents_given(ctx)
            .await?
            .into_iter()
            .map(crate::privacy::graphql::Consent)
            .collect())
    }
    /// The filer's name, shown with a published item only when the filer consented to it
    /// (and never for a complaint or denunciation under their own laws).
    async fn published_name(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<String>> {
        if !self.model.published
            || self.model.legal_track.is_some()
            || self.model.anonymised_at.is_some()
            || self.model.contact_name.is_empty()
        {
            return Ok(None);
        }
        let yes = crate::privacy::standing(
            &self.consents_given(ctx).await?,
            crate::privacy::Purpose::PublishName,
        );
        Ok(yes.then(|| self.model.contact_name.clone()))
    }
    /// When the filer's contact and the personal data in the text were anonymised (retention,
    /// or the filer's deletion request).
    async fn anonymised_at(&self) -> Option<Instant> {
        self.model.anonymised_at.map(Instant::from)
    }
    /// When the filer restricted processing: the unit's officials no longer read the contact.
    async fn restricted_at(&self) -> Option<Instant> {
        self.model
            .restricted_at
            .filter(|_| self.inner())
            .map(Instant::from)
    }
    /// The unit the complaint is about.
    async fn unit(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Unit>> {
        Ok(ctx
            .loaders()
            .units
            .load_one(self.model.unit_id.clone())
            .await?
            .map(Unit))
    }
    /// The unit handling it.
    async fn assigned_unit(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Unit>> {
        Ok(ctx
            .loaders()
            .units
            .load_one(self.model.assigned_unit_id.clone())
            .await?
            .map(Unit))
    }
    async fn procedure(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Procedure>> {
        let Some(p) = &self.model.procedure_id else {
            return Ok(None);
        };
        Ok(ctx
            .loaders()
            .procedures
            .load_one(p.clone())
            .await?
            .map(Procedure))
    }
    /// The dossier concerned, in the view its code would give the caller. Not public: the
    /// public view of a complaint does not say which dossier it was about.
    async fn dossier(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Dossier>> {
        let Some(d) = self.model.dossier_id.as_ref().filter(|_| self.inner()) else {
            return Ok(None);
        };
        let Some(model) = ctx.loaders().dossiers.load_one(d.clone()).await? else {
            return Ok(None);
        };
        Ok(Some(Dossier::for_caller(ctx, model).await?))
    }
    async fn received_at(&self) -> Instant {
        local(self.model.received_at).into()
    }
    /// Forwarding to the competent unit is due within 5 working days of receipt.
    async fn forward_due_at(&self) -> Instant {
        local(self.model.forward_due_at).into()
    }
    async fn forwarded_at(&self) -> Option<Instant> {
        self.model.forwarded_at.map(Instant::from)
    }
    /// Forwarded after its forwarding deadline.
    async fn forwarded_late(&self) -> bool {
        self.model
            .forwarded_at
            .is_some_and(|f| f > self.model.forward_due_at)
    }
    async fn answer_due_at(&self) -> Instant {
        local(self.model.answer_due_at).into()
    }
    /// The next deadline while the item is open: received, the forwarding deadline (to accept
    /// it or forward it); accepted, the answer deadline. Null once answered or ended.
    async fn next_deadline_at(&self) -> Option<Instant> {
        super::next_deadline(&self.model).map(Instant)
    }
    /// Still open past its answer deadline.
    async fn overdue(&self) -> bool {
        super::is_overdue(&self.model, crate::clock::now())
    }
    /// The answer, once published (or to the filer and staff before).
    /// In the public view, masked like `title`.
    async fn answer(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<String>> {
        if !(self.inner() || self.model.published) || self.model.answer.is_none() {
            return Ok(None);
        }
        Ok(Some(self.text(ctx, TextField::Answer).await?))
    }
    async fn answered_at(&self) -> Option<Instant> {
        self.model.answered_at.map(Instant::from)
    }
    /// The last answer came after its deadline.
    async fn answered_late(&self) -> Option<bool> {
        self.model.answered_late
    }
    async fn published(&self) -> bool {
        self.model.published
    }
    /// Set when the item reads like a complaint or denunciation under their own laws: never
    /// published automatically. Shown to the filer and staff, not to the public.
    async fn legal_track(&self, ctx: &Context<'_>) -> Option<LegalTrackFlag> {
        if !self.inner() {
            return None;
        }
        let track = match self.model.legal_track.as_deref()? {
            super::LEGAL_TRACK_DENUNCIATION => LegalTrack::Denunciation,
            _ => LegalTrack::Complaint,
        };
        Some(LegalTrackFlag {
            track,
            decided_by_official: self.model.legal_track_source.as_deref()
                == Some(super::LEGAL_TRACK_OFFICIAL),
            filer_confirmed_feedback: self.model.filer_confirmed_feedback,
            notice: match ctx.req().lang {
                crate::error::Lang::Vi => super::LEGAL_TRACK_NOTICE_VI,
                crate::error::Lang::En => super::LEGAL_TRACK_NOTICE_EN,
            }
            .to_string(),
        })
    }
    async fn published_at(&self) -> Option<Instant> {
        self.model.published_at.map(Instant::from)
    }
    async fn rejection_reason(&self) -> Option<&str> {
        self.model.rejection_reason.as_deref()
    }
    /// The original of a duplicate, in the view the caller would get by asking for it
    /// directly (null when they may not see it).
    async fn duplicate_of(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Complaint>> {
        let Some(d) = &self.model.duplicate_of_id else {
            return Ok(None);
        };
        let Some(c) = ctx.loaders().complaints.load_one(d.clone()).await? else {
            return Ok(None);
        };
        let scope = ctx.read_scope().await?;
        Ok(crate::access::complaint_view(ctx.actor(), scope, &c)
            .map(|view| Complaint { model: c, view }))
    }
    /// The filer's verdict on the answer.
    async fn filer_satisfied(&self) -> Option<bool> {
        if self.inner() {
            self.model.filer_satisfied
        } else {
            None
        }
    }
    async fn filer_comment(&self) -> Option<&str> {
        if self.inner() {
            self.model.filer_comment.as_deref()
        } else {
            None
        }
    }
    async fn reopen_count(&self) -> i32 {
        self.model.reopen_count
    }
    async fn closed_at(&self) -> Option<Instant> {
        self.model.closed_at.map(Instant::from)
    }
    /// The filer's name and phone or e-mail: the filer, the assigned unit's officials (unless
    /// the filer restricted processing) and admins only; null for everyone else. Every read by
    /// staff is logged before it is answered.
    async fn contact(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<ComplaintContact>> {
        if !self.view.sees_contact() || self.model.anonymised_at.is_some() {
            return Ok(None);
        }
        if self.view != View::Filer && crate::access::logs_contact_read(ctx.actor()) {
            ctx.loaders()
                .contact_reads
                .load_one((
                    crate::privacy::reads::Whose::Complaint(self.model.id.clone()),
                    "Complaint.contact".to_string(),
                ))
                .await?;
        }
        Ok(Some(ComplaintContact {
            name: self.model.contact_name.clone(),
            phone: self.model.contact_phone.clone(),
            email: self.model.contact_email.clone(),
        }))
    }
    /// Every step, oldest first. Not public.
    /// At most `first` (default 20, at most 100), oldest first.
    #[graphql(complexity = "crate::pagination::nested_cost(first, child_complexity)")]
    async fn events(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
    ) -> async_graphql::Result<Vec<ComplaintEvent>> {
        let n = crate::pagination::nested_first("events.first", first)?;
        if !self.inner() {
            return Ok(vec![]);
        }
        Ok(ctx
            .loaders()
            .complaint_events
            .load_one(self.model.id.clone())
            .await?
            .unwrap_or_default()
            .into_iter()
            .take(n)
            .map(|model| ComplaintEvent {
                model,
                view: self.view,
            })
            .collect())
    }
    /// What the caller may do to it now: who they are (its unit's officials, admins, its filer,
    /// a unit involved in the matter) and where it stands (status, duplicates) both allow it.
    /// The same rules decide when the mutation is sent.
    async fn allowed_actions(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<ComplaintAction>> {
        let read = ctx.read_scope().await?;
        let involved = if crate::access::may_record_commitments(ctx.actor()) {
            crate::dialogues::graphql::involved_units(ctx, &self.model).await?
        } else {
            vec![]
        };
        let caller = crate::access::ComplaintCaller {
            // The filer's view comes from being the filer, by account or by contact.
            proved_filer: self.view == View::Filer,
            involved: &involved,
            ..crate::access::ComplaintCaller::new(ctx.actor(), read)
        };
        Ok(crate::access::complaint_actions(&caller, &self.model)
            .into_iter()
            .map(Into::into)
            .collect())
    }
    /// `PORTAL` (filed through the portals) or `DIALOGUE` (raised at a dialogue with
    /// businesses).
    async fn source(&self) -> ComplaintSource {
        if self.model.source == super::SOURCE_DIALOGUE {
            ComplaintSource::Dialogue
        } else {
            ComplaintSource::Portal
        }
    }
    /// The dialogues it was raised at or linked to, those the caller may see.
    /// At most `first` (default 20, at most 100).
    #[graphql(complexity = "crate::pagination::nested_cost(first, child_complexity)")]
    async fn dialogues(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
    ) -> async_graphql::Result<Vec<crate::dialogues::graphql::Dialogue>> {
        let n = crate::pagination::nested_first("dialogues.first", first)?;
        let mut all =
            crate::dialogues::graphql::dialogues_of_complaint(ctx, &self.model.id).await?;
        all.truncate(n);
        Ok(all)
    }
    /// Units' commitments on it: to those who see its inside, or the record of a dialogue it
    /// was raised at.
    /// At most `first` (default 20, at most 100), oldest first.
    #[graphql(complexity = "crate::pagination::nested_cost(first, child_complexity)")]
    async fn commitments(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
    ) -> async_graphql::Result<Vec<crate::dialogues::graphql::Commitment>> {
        let n = crate::pagination::nested_first("commitments.first", first)?;
        if !crate::dialogues::graphql::sees_commitments_of(ctx, &self.model, Some(self.view))
            .await?
        {
            return Ok(vec![]);
        }
        Ok(ctx
            .loaders()
            .commitments
            .load_one(self.model.id.clone())
            .await?
            .unwrap_or_default()
            .into_iter()
            .take(n)
            .map(crate::dialogues::graphql::Commitment)
            .collect())
    }
}

/// Where a complaint came from.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum ComplaintSource {
    /// The web and mobile portals.
    Portal,
    /// Raised at a dialogue with businesses.
    Dialogue,
}

#[derive(InputObject, Default)]
#[graphql(name = "ContactInput")]
pub struct ContactInputGql {
    pub name: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
}

impl From<ContactInputGql> for ContactInput {
    fn from(c: ContactInputGql) -> ContactInput {
        ContactInput {
            name: c.name,
            phone: c.phone,
            email: c.email,
        }
    }
}

#[derive(InputObject)]
pub struct FileComplaintInput {
    pub kind: ComplaintKind,
    pub category: ComplaintCategory,
    /// The unit the complaint is about.
    pub unit: ID,
    pub procedure: Option<ID>,
    pub dossier_code: Option<String>,
    /// At most 200 characters.
    pub title: String,
    /// At most 10,000 characters.
    pub body: String,
    /// A name and a phone or e-mail; taken from the account when signed in and left out.
    pub contact: Option<ContactInputGql>,
    /// The filer, told that complaints and denunciations under their own laws go elsewhere,
    /// confirms this is feedback (recorded beside the flag; an official still decides).
    #[graphql(default)]
    pub confirm_feedback: bool,
    /// A retry with the same key returns the first result.
    pub idempotency_key: Option<String>,
    /// The personal-data notice the filer was shown (`privacyNotice.version`) and the purposes
    /// they ticked: none by default. Handling the item needs no consent.
    pub privacy: Option<crate::privacy::graphql::PrivacyChoicesInput>,
}

/// The legal track an item reads like: not feedback but a complaint (khiếu nại) or a
/// denunciation (tố cáo), which have their own laws and are never published.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum LegalTrack {
    Complaint,
    Denunciation,
}

/// What an official decides an item is.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum ComplaintTrack {
    /// Feedback or a petition after all: the flag is cleared.
    Feedback,
    Complaint,
    Denunciation,
}

/// The flag on an item that reads like a complaint or denunciation under their own laws.
#[derive(SimpleObject)]
pub struct LegalTrackFlag {
    pub track: LegalTrack,
    /// Set by an official (true) or found in the text (false).
    pub decided_by_official: bool,
    /// The filer confirmed this is feedback after being told where such items go.
    pub filer_confirmed_feedback: bool,
    /// Where complaints and denunciations go, in the caller's language.
    pub notice: String,
}

#[derive(InputObject)]
pub struct RateComplaintAnswerInput {
    pub id: ID,
    /// For a filer without an account: the phone or e-mail given when filing.
    pub contact: Option<String>,
    pub satisfied: bool,
    pub comment: Option<String>,
}

/// Which complaints a list or a search returns. Every field narrows; all are optional.
#[derive(InputObject, Default, Clone)]
#[graphql(name = "ComplaintFilter")]
pub struct ComplaintFilterInput {
    /// Words of the title, body or code, with or without marks. `searchComplaints` ranks by
    /// them; `complaints` only matches them.
    pub query: Option<String>,
    /// The unit handling it now (an official's inbox).
    pub assigned_unit: Option<ID>,
    /// The unit the matter concerns (`Complaint.unit`). Not in `searchComplaints`.
    pub unit: Option<ID>,
    /// With `assignedUnit` or `unit`: also the units whose work passed to it (directly or
    /// through several reorganisations), for trends across a reorganisation.
    #[graphql(default)]
    pub roll_up: bool,
    /// Any of these statuses.
    pub status: Option<Vec<ComplaintStatus>>,
    /// `true`: received or accepted (still to be handled); `false`: answered or ended.
    pub open: Option<bool>,
    pub kind: Option<ComplaintKind>,
    pub category: Option<ComplaintCategory>,
    pub procedure: Option<ID>,
    /// Issues raised at (or linked to) this dialogue.
    pub dialogue: Option<ID>,
    /// Open past the answer deadline.
    pub overdue: Option<bool>,
    /// Received at or after.
    pub from: Option<Instant>,
    /// Received before.
    pub to: Option<Instant>,
    /// Reading as this concern (bribery, harassment, …) by the search dictionary. Officials,
    /// evaluators and admins only.
    pub concern: Option<crate::search::Concern>,
}

impl ComplaintFilterInput {
    /// The database conditions of `query` and `concern` (a list's, and a search's while the
    /// engine is down), in the caller's scope.
    pub async fn extra_condition(
        &self,
        ctx: &Context<'_>,
        text: &str,
    ) -> async_graphql::Result<Option<sea_orm::Condition>> {
        let mut extra =
            super::search::query_condition(&ctx.state().db, ctx.read_scope().await?, text).await?;
        if let Some(c) = super::search::checked_concern(ctx.actor(), self.concern)? {
            let cond = super::search::concern_condition(&ctx.state().search.lexicon().current(), c);
            extra = Some(match extra {
                Some(e) => sea_orm::Condition::all().add(e).add(cond),
                None => cond,
            });
        }
        Ok(extra)
    }

    /// The service's filter, units rolled up and times checked.
    pub async fn resolve(&self, ctx: &Context<'_>) -> async_graphql::Result<ComplaintFilter> {
        let (from, to) = crate::clock::check_range(self.from, self.to)?;
        let id = |i: &Option<ID>| i.as_ref().map(|i| i.0.clone());
        let also_assigned = crate::units::graphql::rolled_up(
            ctx,
            self.assigned_unit.as_ref().map(|i| i.as_str()),
            self.roll_up,
        )
        .await?;
        let also_units = crate::units::graphql::rolled_up(
            ctx,
            self.unit.as_ref().map(|i| i.as_str()),
            self.roll_up,
        )
        .await?;
        Ok(ComplaintFilter {
            assigned_unit: id(&self.assigned_unit),
            also_assigned,
            unit: id(&self.unit),
            also_units,
            status: self.status.iter().flatten().map(|s| (*s).into()).collect(),
            open: self.open,
            kind: self.kind.map(Into::into),
            category: self.category.map(Into::into),
            overdue: self.overdue,
            procedure: id(&self.procedure),
            from,
            to,
            dialogue: id(&self.dialogue),
        })
    }
}

/// How many complaints have a status.
#[derive(SimpleObject)]
pub struct ComplaintStatusCount {
    pub status: ComplaintStatus,
    pub count: u64,
}

/// Complaints with the caller's view of each, as the API shows them.
pub fn wrap(items: Vec<(complaint::Model, View)>) -> Vec<Complaint> {
    items.into_iter().map(wrap_one).collect()
}

pub fn wrap_one((model, view): (complaint::Model, View)) -> Complaint {
    Complaint { model, view }
}

#[derive(Default)]
pub struct ComplaintsQuery;

#[Object]
impl ComplaintsQuery {
    /// A complaint by id, as the caller may see it (null when they may not).
    async fn complaint(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<Option<Complaint>> {
        Ok(super::get(ctx.state(), ctx.actor(), &id)
            .await?
            .map(|(model, view)| Complaint { model, view }))
    }

    /// A complaint by tracking code. A filer without an account proves themselves with the
    /// phone or e-mail given when filing; without it, the caller's usual view applies.
    async fn complaint_by_code(
        &self,
        ctx: &Context<'_>,
        code: String,
        contact: Option<String>,
    ) -> async_graphql::Result<Option<Complaint>> {
        Ok(super::get_by_code(
            ctx.state(),
            ctx.actor(),
            ctx.req().client_ip,
            &code,
            contact.as_deref(),
        )
        .await?
        .map(|(model, view)| Complaint { model, view }))
    }

    /// Complaints the caller may see: officials their units', evaluators and admins all,
    /// everyone else the published answers. An official's inbox is
    /// `complaints(filter: {assignedUnit: …, open: true}, orderBy: NEXT_DEADLINE_ASC)`. With
    /// `filter.query` it reads every row its words may match, so it weighs like a search.
    #[graphql(
        complexity = "if filter.as_ref().is_some_and(|f| f.query.as_deref().is_some_and(|q| !q.trim().is_empty())) { crate::pagination::search_cost(first, child_complexity) } else { crate::pagination::list_cost(first, child_complexity) }"
    )]
    async fn complaints(
        &self,
        ctx: &Context<'_>,
        filter: Option<ComplaintFilterInput>,
        order_by: Option<ComplaintOrder>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Conn<Complaint>> {
        let order = ComplaintOrder::list_order(order_by);
        let page = Page::keyed_for(ctx, order.sort(), first, after.as_deref())?;
        let input = filter.unwrap_or_default();
        let filter = input.resolve(ctx).await?;
        // A dialogue the caller may not see is not confirmed to exist by its issues' count.
        if let Some(d) = &filter.dialogue
            && !crate::dialogues::visible(ctx.state(), ctx.actor(), d).await?
        {
            return Ok(page.connection(0, vec![]));
        }
        let text = crate::text::clean("filter.query", input.query.as_deref().unwrap_or(""), 500)?;
        let extra = input.extra_condition(ctx, &text).await?;
        let found = super::list_matching(
            ctx.state(),
            ctx.actor(),
            &filter,
            order,
            page.clone(),
            extra,
        )
        .await?;
        Ok(page.keyed_connection(found.map(wrap_one)))
    }

    /// How many complaints of each status match the filter, in the caller's scope, in one
    /// query: an inbox's tabs. `status` and `open` are left aside; every status is listed,
    /// zeros included.
    #[graphql(complexity = "crate::pagination::SEARCH_COST")]
    async fn complaint_status_counts(
        &self,
        ctx: &Context<'_>,
        filter: Option<ComplaintFilterInput>,
    ) -> async_graphql::Result<Vec<ComplaintStatusCount>> {
        let input = filter.unwrap_or_default();
        let filter = input.resolve(ctx).await?;
        let text = crate::text::clean("filter.query", input.query.as_deref().unwrap_or(""), 500)?;
        let extra = input.extra_condition(ctx, &text).await?;
        if let Some(d) = &filter.dialogue
            && !crate::dialogues::visible(ctx.state(), ctx.actor(), d).await?
        {
            return Ok(vec![]);
        }
        Ok(
            super::status_counts(ctx.state(), ctx.actor(), &filter, extra)
                .await?
                .into_iter()
                .map(|(s, count)| ComplaintStatusCount {
                    status: s.into(),
                    count,
                })
                .collect(),
        )
    }

    /// The signed-in caller's own complaints, newest first.
    #[graphql(complexity = "crate::pagination::list_cost(first, child_complexity)")]
    async fn my_complaints(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Conn<Complaint>> {
        let page = Page::keyed_for(ctx, Order::ReceivedDesc.sort(), first, after.as_deref())?;
        let found = super::mine(ctx.state(), ctx.actor(), page.clone()).await?;
        Ok(page.keyed_connection(found.map(wrap_one)))
    }
}

#[derive(Default)]
pub struct ComplaintsMutation;

async fn act(ctx: &Context<'_>, id: &ID, a: Action) -> async_graphql::Result<Complaint> {
    let model = super::act(ctx.state(), ctx.actor(), id, a).await?;
    let view = super::view_after(ctx.state(), ctx.actor(), &model, false).await?;
    Ok(Complaint { model, view })
}

#[Object]
impl ComplaintsMutation {
    /// Files a complaint (anyone; anonymous filing is limited per client address) and returns
    /// it with its tracking code.
    async fn file_complaint(
        &self,
        ctx: &Context<'_>,
        input: FileComplaintInput,
    ) -> async_graphql::Result<Complaint> {
        let model = super::file(
            ctx.state(),
            ctx.actor(),
            ctx.req().client_ip,
            FileInput {
                kind: input.kind.into(),
                category: input.category.into(),
                unit: input.unit.0,
                procedure: input.procedure.map(|i| i.0),
                dossier_code: input.dossier_code,
                title: input.title,
                body: input.body,
                contact: input.contact.map(Into::into),
                confirm_feedback: input.confirm_feedback,
                idempotency_key: input.idempotency_key,
                privacy: input.privacy.map(Into::into),
            },
        )
        .await?;
        // The filer has just given the complaint, contact included.
        let view = super::view_after(ctx.state(), ctx.actor(), &model, true).await?;
        Ok(Complaint { model, view })
    }

    /// Officials of the assigned unit, admins: takes the complaint in hand.
    async fn accept_complaint(
        &self,
        ctx: &Context<'_>,
        id: ID,
        note: Option<String>,
    ) -> async_graphql::Result<Complaint> {
        act(ctx, &id, Action::Accept { note }).await
    }

    /// Officials of the assigned unit, admins: refuses the complaint, saying why.
    async fn reject_complaint(
        &self,
        ctx: &Context<'_>,
        id: ID,
        reason: RejectionReason,
        note: Option<String>,
    ) -> async_graphql::Result<Complaint> {
        act(
            ctx,
            &id,
            Action::Reject {
                reason: reason.into(),
                note,
            },
        )
        .await
    }

    /// Officials of the assigned unit, admins: forwards the complaint to the competent unit
    /// (due within 5 working days of receipt).
    async fn assign_complaint(
        &self,
        ctx: &Context<'_>,
        id: ID,
        unit: ID,
        note: Option<String>,
    ) -> async_graphql::Result<Complaint> {
        act(ctx, &id, Action::Assign { unit: unit.0, note }).await
    }

    /// Officials of the assigned unit, admins: the official answer, published unless
    /// `publish: false` or the item is flagged as a complaint or denunciation (then never
    /// published; `publish: true` on it is refused until it is reclassified as feedback).
    async fn answer_complaint(
        &self,
        ctx: &Context<'_>,
        id: ID,
        answer: String,
        publish: Option<bool>,
    ) -> async_graphql::Result<Complaint> {
        act(ctx, &id, Action::Answer { answer, publish }).await
    }

    /// Officials of the assigned unit, admins: decides whether the item is feedback (clears the
    /// flag) or a complaint or denunciation under their own laws (never published; forward it
    /// to the competent unit, or reject it with the reason COMPLAINT_OR_DENUNCIATION).
    async fn classify_complaint(
        &self,
        ctx: &Context<'_>,
        id: ID,
        track: ComplaintTrack,
        note: Option<String>,
    ) -> async_graphql::Result<Complaint> {
        let track = match track {
            ComplaintTrack::Feedback => super::Track::Feedback,
            ComplaintTrack::Complaint => super::Track::Complaint,
            ComplaintTrack::Denunciation => super::Track::Denunciation,
        };
        let model = super::classify(ctx.state(), ctx.actor(), &id, track, note).await?;
        let view = super::view_after(ctx.state(), ctx.actor(), &model, false).await?;
        Ok(Complaint { model, view })
    }

    /// Officials of the assigned unit, admins: closes an answered complaint.
    async fn close_complaint(
        &self,
        ctx: &Context<'_>,
        id: ID,
        note: Option<String>,
    ) -> async_graphql::Result<Complaint> {
        act(ctx, &id, Action::Close { note }).await
    }

    /// Officials of the assigned unit, admins: marks the complaint a duplicate of another.
    async fn mark_duplicate(
        &self,
        ctx: &Context<'_>,
        id: ID,
        of: ID,
        note: Option<String>,
    ) -> async_graphql::Result<Complaint> {
        act(ctx, &id, Action::MarkDuplicate { of: of.0, note }).await
    }

    /// The filer rates the answer: satisfied closes the complaint; unsatisfied reopens it once.
    async fn rate_complaint_answer(
        &self,
        ctx: &Context<'_>,
        input: RateComplaintAnswerInput,
    ) -> async_graphql::Result<Complaint> {
        let model = super::rate_answer(
            ctx.state(),
            ctx.actor(),
            ctx.req().client_ip,
            &input.id,
            input.contact.as_deref(),
            input.satisfied,
            input.comment,
        )
        .await?;
        // Only the filer gets this far (by account, or by the contact given when filing).
        let view = super::view_after(ctx.state(), ctx.actor(), &model, true).await?;
        Ok(Complaint { model, view })
    }
}
