//! What a caller may do to an item now: the `allowedActions` of complaints, dossiers, dialogues
//! and commitments. Every action is decided twice over, by who the caller is (the rules of this
//! module, DESIGN.md §4) and by where the item stands (its lifecycle table, its deadlines, its
//! once-only rules), and both through the functions the services call before they act: the
//! `*_who` and `*_state` functions below, or the predicates they are made of. What a portal
//! offers and what the server accepts cannot drift apart.
//!
//! What only the input decides is not weighed: the unit a complaint is forwarded to, the
//! original of a duplicate, the dialogue a complaint is linked to (or the complaint linked to a
//! dialogue), the unit that commits, a new appointment's date. A portal asks for those when the
//! action is taken, and the service checks them then.

use chrono::{DateTime, Utc};
use entity::{commitment, complaint, dialogue, dossier};

use super::{
    DialogueView, Scope, acts_for, caller_business, commitment_forbidden, complaint_view, is_filer,
    link_forbidden, may_link, not_speaking_for_a_business, records_commitment_of, require_acts_for,
    require_host_of, require_not_staff_for_rating, require_rating_proof, require_staff,
};
use crate::auth::Actor;
use crate::complaints::lifecycle::{self, Step};
use crate::error::{AppError, AppResult};

// ---------------------------------------------------------------------------------------------
// Complaints

/// What can be done to a complaint, each named after its mutation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ComplaintAction {
    /// `acceptComplaint`
    Accept,
    /// `answerComplaint`
    Answer,
    /// `rejectComplaint`
    Reject,
    /// `assignComplaint`
    Assign,
    /// `markDuplicate`
    MarkDuplicate,
    /// `classifyComplaint`
    Classify,
    /// `closeComplaint`
    Close,
    /// `rateComplaintAnswer`
    RateAnswer,
    /// `linkComplaintToDialogue`
    LinkToDialogue,
    /// `recordCommitment`
    RecordCommitment,
}

impl ComplaintAction {
    /// Every action, in the order portals list them.
    pub const ALL: [ComplaintAction; 10] = [
        ComplaintAction::Accept,
        ComplaintAction::Answer,
        ComplaintAction::Reject,
        ComplaintAction::Assign,
        ComplaintAction::MarkDuplicate,
        ComplaintAction::Classify,
        ComplaintAction::Close,
        ComplaintAction::RateAnswer,
        ComplaintAction::LinkToDialogue,
        ComplaintAction::RecordCommitment,
    ];

    /// The lifecycle steps the action takes (`crate::complaints::lifecycle`): rating the answer
    /// closes, reopens (once) or records, as the filer says; none for the actions beside the
    /// lifecycle.
    pub fn steps(self) -> &'static [Step] {
        use ComplaintAction as A;
        match self {
            A::Accept => &[Step::Accept],
            A::Answer => &[Step::Answer],
            A::Reject => &[Step::Reject],
            A::Assign => &[Step::Assign],
            A::MarkDuplicate => &[Step::MarkDuplicate],
            A::Close => &[Step::Close],
            A::RateAnswer => &[Step::RateSatisfied, Step::Reopen, Step::RateUnsatisfied],
            A::Classify | A::LinkToDialogue | A::RecordCommitment => &[],
        }
    }
}

/// Who is acting on a complaint.
#[derive(Debug, Clone, Copy)]
pub struct ComplaintCaller<'a> {
    pub actor: &'a Actor,
    /// The caller's [`super::read_scope`].
    pub read: &'a Scope,
    /// The caller proved to be the filer with the phone or e-mail given when filing (or has
    /// just filed it).
    pub proved_filer: bool,
    /// The units involved in the matter (`crate::dialogues::commitments::involved`): read for
    /// `RecordCommitment` only, and worth loading only for [`super::may_record_commitments`].
    pub involved: &'a [String],
}

impl<'a> ComplaintCaller<'a> {
    /// A caller who has proved nothing and for whom no involved unit was loaded.
    pub fn new(actor: &'a Actor, read: &'a Scope) -> ComplaintCaller<'a> {
        ComplaintCaller {
            actor,
            read,
            proved_filer: false,
            involved: &[],
        }
    }
}

fn not_the_filer() -> AppError {
    AppError::forbidden(
        "Chỉ người gửi phản ánh được đánh giá câu trả lời (đăng nhập, hoặc nhập đúng số điện thoại hay e-mail đã dùng khi gửi).",
        "Only the filer may rate the answer (sign in, or give the phone or e-mail used when filing).",
    )
}

/// Whether the caller is one who may take `action` on `c`, wherever it stands: the assigned
/// unit's officials and admins handle it; its filer (by account, or proved by contact) rates
/// the answer; the host of a dialogue (for a complaint it handles) or a business taking part
/// (for its own) links it to a dialogue; a unit involved in the matter commits to it.
/// `UNAUTHENTICATED` or `FORBIDDEN` otherwise.
pub fn complaint_who(
    caller: &ComplaintCaller<'_>,
    c: &complaint::Model,
    action: ComplaintAction,
) -> AppResult<()> {
    use ComplaintAction as A;
    let actor = caller.actor;
    match action {
        A::Accept
        | A::Answer
        | A::Reject
        | A::Assign
        | A::MarkDuplicate
        | A::Classify
        | A::Close => require_acts_for(actor, caller.read, &c.assigned_unit_id),
        A::RateAnswer if is_filer(actor, c) => Ok(()),
        // A contact proves the filer only to those who could not read it: staff see it in
        // their view, so an official (or an evaluator, an admin) typing it proves nothing
        // and never rates the unit's own answer.
        A::RateAnswer if caller.proved_filer && !super::is_staff(actor) => Ok(()),
        A::RateAnswer => Err(not_the_filer()),
        A::LinkToDialogue => {
            actor.signed_in()?;
            // To a dialogue of their own: the officials handling it host one of their unit's,
            // a business takes part in one.
            let view = complaint_view(actor, caller.read, c);
            if may_link(actor, DialogueView::Host, view, c)
                || may_link(actor, DialogueView::Participant, view, c)
            {
                Ok(())
            } else {
                Err(link_forbidden())
            }
        }
        A::RecordCommitment => {
            require_staff(actor)?;
            if caller
                .involved
                .iter()
                .any(|u| records_commitment_of(actor, caller.read, u, caller.involved))
            {
                Ok(())
            } else {
                Err(commitment_forbidden())
            }
        }
    }
}

/// Whether `c` can be linked to a dialogue: a duplicate cannot, its original is.
pub fn linkable(c: &complaint::Model) -> bool {
    c.status != complaint::Status::Duplicate
}

/// Whether where `c` stands allows `action`: the lifecycle table for its steps (`CONFLICT`,
/// naming what its status allows), any status for a classification, anything but a duplicate
/// for a link or a commitment (`BAD_USER_INPUT`: the original takes them).
pub fn complaint_state(c: &complaint::Model, action: ComplaintAction) -> AppResult<()> {
    use ComplaintAction as A;
    match action {
        A::Classify => Ok(()),
        A::LinkToDialogue if linkable(c) => Ok(()),
        A::LinkToDialogue => Err(AppError::bad_input(
            "complaint",
            "Phản ánh này là bản trùng: hãy gắn phản ánh gốc.",
            "This complaint is a duplicate: link the original.",
        )),
        A::RecordCommitment if c.status != complaint::Status::Duplicate => Ok(()),
        A::RecordCommitment => Err(AppError::bad_input(
            "complaint",
            "Phản ánh này là bản trùng: hãy ghi cam kết trên phản ánh gốc.",
            "This complaint is a duplicate: record the commitment on the original.",
        )),
        _ => {
            let steps = action.steps();
            if steps.iter().any(|s| lifecycle::allows(*s, c.status)) {
                Ok(())
            } else {
                let mutation = steps
                    .first()
                    .map(|s| lifecycle::transition(*s).mutation)
                    .unwrap_or_default();
                Err(lifecycle::illegal(mutation, c.status))
            }
        }
    }
}

/// [`complaint_who`], then [`complaint_state`].
pub fn require_complaint_action(
    caller: &ComplaintCaller<'_>,
    c: &complaint::Model,
    action: ComplaintAction,
) -> AppResult<()> {
    complaint_who(caller, c, action)?;
    complaint_state(c, action)
}

/// What the caller may do to `c` now.
pub fn complaint_actions(
    caller: &ComplaintCaller<'_>,
    c: &complaint::Model,
) -> Vec<ComplaintAction> {
    ComplaintAction::ALL
        .into_iter()
        .filter(|a| require_complaint_action(caller, c, *a).is_ok())
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Dossiers

/// What can be done to a dossier, each named after its mutation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DossierAction {
    /// `completeDossier`
    Complete,
    /// `excuseDelay`
    ExcuseDelay,
    /// `issueApology`
    IssueApology,
    /// `submitRating` with the dossier's code
    Rate,
}

impl DossierAction {
    /// Every action, in the order portals list them.
    pub const ALL: [DossierAction; 4] = [
        DossierAction::Complete,
        DossierAction::ExcuseDelay,
        DossierAction::IssueApology,
        DossierAction::Rate,
    ];
}

/// Whether the caller is one who may take `action` on `d`: the officials of its unit (and of
/// the unit above it) and admins record what happens to it; its filer rates it, which here is
/// the signed-in business whose tax code filed it (`business_tax`, the tax code of the
/// caller's business). Anyone holding the rating code printed on the receipt rates it too, but
/// that is proved by giving the code with the rating, not by who the caller is.
pub fn dossier_who(
    actor: &Actor,
    read: &Scope,
    business_tax: Option<&str>,
    d: &dossier::Model,
    action: DossierAction,
) -> AppResult<()> {
    match action {
        DossierAction::Complete | DossierAction::ExcuseDelay | DossierAction::IssueApology => {
            require_acts_for(actor, read, &d.unit_id)
        }
        DossierAction::Rate => {
            require_not_staff_for_rating(actor)?;
            require_rating_proof(d, business_tax, None)
        }
    }
}

fn excused(code: &str) -> AppError {
    AppError::conflict(
        format!("Hồ sơ {code} đã được xác nhận trễ hạn không do lỗi của cơ quan."),
        format!("Dossier {code}'s delay is already marked as not the agency's fault."),
    )
}

fn not_late(code: &str) -> AppError {
    AppError::bad_input(
        "code",
        format!("Hồ sơ {code} không trễ hạn; không có gì để xác nhận."),
        format!("Dossier {code} is not late; there is no delay to excuse."),
    )
}

/// Whether where `d` stands at `now` allows `action`:
/// - completing it: still open (`CONFLICT`);
/// - an apology: none given yet, since the appointment is reset once only (`CONFLICT`), no
///   delay excused (`CONFLICT`), and, once completed, completed late (`BAD_USER_INPUT`: on time,
///   none is owed); an open dossier may be apologised for before it is late, where the delay is
///   foreseen;
/// - excusing its delay: late (`BAD_USER_INPUT`), no apology given (the agency took the fault),
///   not excused already (`CONFLICT`);
/// - rating it: completed (`CONFLICT`). A dossier is rated once: the rating's unique key
///   decides, [`dossier_actions`] reads whether it was.
pub fn dossier_state(
    d: &dossier::Model,
    action: DossierAction,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let late = crate::dossiers::is_late(d, now);
    match action {
        DossierAction::Complete if d.completed_at.is_some() => Err(AppError::conflict(
            format!("Hồ sơ {} đã hoàn thành trước đó.", d.code),
            format!("Dossier {} is already completed.", d.code),
        )),
        DossierAction::IssueApology if d.apology_issued_at.is_some() => Err(AppError::conflict(
            format!(
                "Hồ sơ {} đã có phiếu xin lỗi; ngày hẹn chỉ được điều chỉnh một lần.",
                d.code
            ),
            format!(
                "Dossier {} already has an apology; the appointment may be reset only once.",
                d.code
            ),
        )),
        DossierAction::IssueApology if d.delay_excused_at.is_some() => Err(excused(&d.code)),
        DossierAction::IssueApology if d.completed_at.is_some() && !late => {
            Err(AppError::bad_input(
                "code",
                format!("Hồ sơ {} hoàn thành đúng hạn; không cần xin lỗi.", d.code),
                format!(
                    "Dossier {} was completed on time; no apology is owed.",
                    d.code
                ),
            ))
        }
        DossierAction::ExcuseDelay if !late => Err(not_late(&d.code)),
        DossierAction::ExcuseDelay if d.apology_issued_at.is_some() => Err(AppError::conflict(
            format!(
                "Hồ sơ {} đã có phiếu xin lỗi: cơ quan đã nhận trách nhiệm về việc trễ hạn.",
                d.code
            ),
            format!(
                "Dossier {} already has an apology: the agency took responsibility for the delay.",
                d.code
            ),
        )),
        DossierAction::ExcuseDelay if d.delay_excused_at.is_some() => Err(excused(&d.code)),
        DossierAction::Rate if d.completed_at.is_none() => Err(AppError::conflict(
            format!(
                "Hồ sơ {} chưa có kết quả; có thể đánh giá sau khi nhận kết quả.",
                d.code
            ),
            format!(
                "Dossier {} has no result yet; rate it once the result is returned.",
                d.code
            ),
        )),
        _ => Ok(()),
    }
}

/// [`dossier_who`], then [`dossier_state`].
pub fn require_dossier_action(
    actor: &Actor,
    read: &Scope,
    d: &dossier::Model,
    action: DossierAction,
    now: DateTime<Utc>,
) -> AppResult<()> {
    dossier_who(actor, read, None, d, action)?;
    dossier_state(d, action, now)
}

/// What the caller may do to `d` now. `business_tax` is the tax code of the caller's business
/// (a business account), `rated` whether the dossier has its rating. A rating from a network
/// address the unit's officials just used is refused as well
/// (`crate::ratings::self_rating::refused_from`): the caller of this weighs that last, with the
/// addresses its request's loader read.
pub fn dossier_actions(
    actor: &Actor,
    read: &Scope,
    business_tax: Option<&str>,
    d: &dossier::Model,
    rated: bool,
    now: DateTime<Utc>,
) -> Vec<DossierAction> {
    DossierAction::ALL
        .into_iter()
        .filter(|a| *a != DossierAction::Rate || !rated)
        .filter(|a| {
            dossier_who(actor, read, business_tax, d, *a).is_ok()
                && dossier_state(d, *a, now).is_ok()
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Dialogues

/// What can be done to a dialogue, each named after its mutation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DialogueAction {
    /// `updateDialogue`
    Update,
    /// `inviteToDialogue`
    Invite,
    /// `holdDialogue`
    Hold,
    /// `closeDialogue`
    Close,
    /// `cancelDialogue`
    Cancel,
    /// `joinDialogue`
    Join,
    /// `raiseDialogueIssue`
    RaiseIssue,
    /// `linkComplaintToDialogue`
    LinkComplaint,
}

impl DialogueAction {
    /// Every action, in the order portals list them.
    pub const ALL: [DialogueAction; 8] = [
        DialogueAction::Update,
        DialogueAction::Invite,
        DialogueAction::Hold,
        DialogueAction::Close,
        DialogueAction::Cancel,
        DialogueAction::Join,
        DialogueAction::RaiseIssue,
        DialogueAction::LinkComplaint,
    ];

    /// The mutation that takes it.
    pub fn mutation(self) -> &'static str {
        match self {
            DialogueAction::Update => "updateDialogue",
            DialogueAction::Invite => "inviteToDialogue",
            DialogueAction::Hold => "holdDialogue",
            DialogueAction::Close => "closeDialogue",
            DialogueAction::Cancel => "cancelDialogue",
            DialogueAction::Join => "joinDialogue",
            DialogueAction::RaiseIssue => "raiseDialogueIssue",
            DialogueAction::LinkComplaint => "linkComplaintToDialogue",
        }
    }
}

/// Whether the caller, who sees the dialogue `d` as `view`, is one who may take `action` on it
/// (`businesses`: the ids of the businesses taking part): the host unit's officials and admins
/// organise and run it; a business account joins one it sees; a business taking part raises its
/// own issues and links its own complaints, and the host records issues for businesses and
/// links the complaints it handles.
pub fn dialogue_who(
    actor: &Actor,
    read: &Scope,
    view: DialogueView,
    d: &dialogue::Model,
    businesses: &[String],
    action: DialogueAction,
) -> AppResult<()> {
    use DialogueAction as A;
    match action {
        A::Update | A::Invite | A::Hold | A::Close | A::Cancel => {
            require_host_of(actor, read, &d.host_unit_id)
        }
        A::Join => {
            actor.signed_in()?;
            match caller_business(actor) {
                Some(_) => Ok(()),
                None => Err(not_speaking_for_a_business(actor)),
            }
        }
        A::RaiseIssue => {
            actor.signed_in()?;
            let taking_part =
                caller_business(actor).is_some_and(|b| businesses.iter().any(|x| x == b));
            if view == DialogueView::Host || (view == DialogueView::Participant && taking_part) {
                Ok(())
            } else {
                Err(AppError::forbidden(
                    "Chỉ doanh nghiệp tham dự (hoặc cán bộ đơn vị chủ trì ghi nhận thay) được nêu vấn đề tại đối thoại.",
                    "Only a business taking part (or the host's officials on its behalf) may raise an issue at the dialogue.",
                ))
            }
        }
        A::LinkComplaint => {
            actor.signed_in()?;
            if view == DialogueView::Host
                || (view == DialogueView::Participant && caller_business(actor).is_some())
            {
                Ok(())
            } else {
                Err(link_forbidden())
            }
        }
    }
}

/// Whether the dialogue's day has come at `now`, counted in the city's days: it is held on its
/// day or later.
pub fn dialogue_day_has_come(d: &dialogue::Model, now: DateTime<Utc>) -> bool {
    let day = |t: DateTime<Utc>| crate::clock::local(t).date_naive();
    day(d.starts_at) <= day(now)
}

/// Whether where `d` stands at `now` allows `action` (`businesses`: the ids of those taking
/// part): its lifecycle table for holding, closing and cancelling, and for holding its day
/// come; changes while it is planned; invitations, registrations, issues and links while it is
/// planned or held; an issue raised for a business taking part, so there must be one. A refusal
/// is a `CONFLICT` naming what its status allows, or `BAD_USER_INPUT` when no business takes
/// part.
pub fn dialogue_state(
    d: &dialogue::Model,
    businesses: &[String],
    action: DialogueAction,
    now: DateTime<Utc>,
) -> AppResult<()> {
    use crate::dialogues::{self as dl, Step};
    use DialogueAction as A;
    let step = match action {
        A::Hold => Some(Step::Hold),
        A::Close => Some(Step::Close),
        A::Cancel => Some(Step::Cancel),
        _ => None,
    };
    let allowed = match (action, step) {
        (_, Some(s)) => dl::transition(s).from.contains(&d.status),
        (A::Update, None) => d.status == dialogue::Status::Planned,
        (_, None) => dl::takes_issues(d.status),
    };
    if !allowed {
        return Err(dl::illegal(action.mutation(), d.status));
    }
    if action == A::Hold && !dialogue_day_has_come(d, now) {
        return Err(AppError::conflict(
            format!(
                "Cuộc đối thoại được lên lịch vào {}; chỉ ghi nhận đã tổ chức từ ngày đó.",
                crate::clock::local(d.starts_at).format("%d/%m/%Y %H:%M")
            ),
            format!(
                "The dialogue is scheduled for {}; mark it held on the day.",
                crate::clock::local(d.starts_at).to_rfc3339()
            ),
        ));
    }
    if action == A::RaiseIssue && businesses.is_empty() {
        return Err(AppError::bad_input(
            "business",
            "Chưa có doanh nghiệp nào tham dự cuộc đối thoại này; hãy mời doanh nghiệp trước.",
            "No business takes part in this dialogue yet; invite one first.",
        ));
    }
    Ok(())
}

/// [`dialogue_who`], then [`dialogue_state`].
pub fn require_dialogue_action(
    actor: &Actor,
    read: &Scope,
    view: DialogueView,
    d: &dialogue::Model,
    businesses: &[String],
    action: DialogueAction,
    now: DateTime<Utc>,
) -> AppResult<()> {
    dialogue_who(actor, read, view, d, businesses, action)?;
    dialogue_state(d, businesses, action, now)
}

/// What the caller, who sees `d` as `view`, may do to it now.
pub fn dialogue_actions(
    actor: &Actor,
    read: &Scope,
    view: DialogueView,
    d: &dialogue::Model,
    businesses: &[String],
    now: DateTime<Utc>,
) -> Vec<DialogueAction> {
    DialogueAction::ALL
        .into_iter()
        .filter(|a| require_dialogue_action(actor, read, view, d, businesses, *a, now).is_ok())
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Commitments

/// What can be done to a commitment, each named after its mutation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CommitmentAction {
    /// `completeCommitment`
    Complete,
}

impl CommitmentAction {
    /// Every action.
    pub const ALL: [CommitmentAction; 1] = [CommitmentAction::Complete];
}

/// Whether the caller is one who may take `action` on the commitment `k`: staff
/// (`FORBIDDEN` for anyone else, before anything is looked up), acting for the unit that made
/// it (its officials, and those of the unit above it) or admins.
pub fn commitment_who(
    actor: &Actor,
    read: &Scope,
    k: &commitment::Model,
    action: CommitmentAction,
) -> AppResult<()> {
    match action {
        CommitmentAction::Complete => {
            require_staff(actor)?;
            if acts_for(actor, read, &k.unit_id) {
                Ok(())
            } else {
                Err(AppError::forbidden(
                    "Chỉ đơn vị đã cam kết được báo cáo hoàn thành cam kết.",
                    "Only the unit that made the commitment may report it done.",
                ))
            }
        }
    }
}

/// Whether where `k` stands allows `action`: reported done once (`CONFLICT`).
pub fn commitment_state(k: &commitment::Model, action: CommitmentAction) -> AppResult<()> {
    match action {
        CommitmentAction::Complete if k.status == commitment::Status::Open => Ok(()),
        CommitmentAction::Complete => Err(AppError::conflict(
            "Cam kết đã được báo cáo hoàn thành.",
            "The commitment was already reported done.",
        )),
    }
}

/// What the caller may do to `k` now.
pub fn commitment_actions(
    actor: &Actor,
    read: &Scope,
    k: &commitment::Model,
) -> Vec<CommitmentAction> {
    CommitmentAction::ALL
        .into_iter()
        .filter(|a| commitment_who(actor, read, k, *a).is_ok() && commitment_state(k, *a).is_ok())
        .collect()
}
