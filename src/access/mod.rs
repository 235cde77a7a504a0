//! Who may see and do what (DESIGN.md §4): every rule of that kind lives in this module, and
//! the feature services call it. Resolvers never pick a view by role themselves; an object
//! reached through a link (`duplicateOf`, `dossier`, a search hit) is given the view that the
//! caller would get by asking for it directly.
//!
//! The rules, in one place:
//! - **Units.** Admins act everywhere; evaluators read everywhere; an official reads and acts
//!   for their unit and the units directly under it (a district and its wards). Everyone else
//!   has no unit scope.
//! - **Complaints.** The filer's contact is seen by the filer ([`View::Filer`]), the officials
//!   of the assigned unit (with its parent) and admins ([`View::Full`]). Evaluators see
//!   everything but the contact ([`View::Staff`]). The filer sees their case's steps but not
//!   which official account took them. Everyone else sees published answers only, with nobody's
//!   identity ([`View::Public`]), and nothing of an unpublished complaint.
//! - **Dossiers.** Anyone holding a receipt code sees its status and dates; the staff of its unit
//!   (and evaluators, admins) see who filed it. The rating code is shown once, in the answer
//!   that records the dossier (or the import's receipts file), and kept only as a hash.
//! - **Ratings.** A verified rating needs proof of being the filer: the rating code printed on the
//!   receipt, or being the signed-in business account whose tax code filed the dossier. Staff
//!   never rate: a staff token is refused, and so is a rating of a unit's dossier from a client
//!   address that one of the unit's officials used in the last hour. The rater is seen by admins
//!   only; evaluators get the signals of a unit rating itself.
//! - **The unit's own figures.** What a unit's staff record that would move the unit's PAR
//!   figures (an excused delay, a completion time more than a working day before it was
//!   recorded, an appointment beyond the statutory time, an apology said to be at hand-over
//!   after the hand-over day, a complaint reclassified, rejected, marked duplicate or forwarded
//!   after it fell due or after its forwarding days) counts as the plain facts say, and waits in
//!   the evaluator's review queue. Evaluators and admins decide, never their own request; a
//!   unit's officials read their units' requests. The one-stop-shop system's record (imports,
//!   integration tokens) is the fact itself.
//! - **Accounts.** Contact details (and a business account's claim) are seen by the holder and
//!   admins only. What registration takes proves nothing until confirmed: contacts wait
//!   unconfirmed (only a contact an account holds signs in), and a tax code is a claim that
//!   blocks nobody until an admin confirms it, which ends the other claims of that tax code.
//! - **Submission limits.** Anonymous callers are limited per address; citizen and business
//!   accounts per account, and while unconfirmed (no confirmed contact, no business confirmed
//!   by an admin) by their address's anonymous limit as well. Staff and scripts are not
//!   limited.
//! - **Catalog and calendar.** Admins change units, procedures and holidays.
//! - **PAR index.** Evaluators (and admins) open periods, appraise, deduct, compute and
//!   publish. A unit's officials enter its self-assessment while the period is a draft, and
//!   read its breakdown and the rows behind it at any time; evaluators and admins read every
//!   unit's. Everyone reads a published year's table and breakdowns, but the rows behind a
//!   breakdown (dossier and complaint codes) stay with the unit's staff, evaluators and admins.
//! - **Dialogues.** The host unit's officials and admins schedule, hold, close and cancel a
//!   dialogue, invite to it, record issues on behalf of businesses and see every business's
//!   contact ([`DialogueView::Host`]); evaluators see everything but contacts. Officials of an
//!   invited unit and the businesses taking part see the meeting whole, minutes and commitments
//!   included, and their own contact only ([`DialogueView::Participant`]). Everyone sees a public
//!   dialogue; its minutes and commitments once it is closed, unless marked internal
//!   ([`DialogueView::Public`]). An issue's complaint is shown in the caller's own view of it.
//!   A business taking part raises issues as itself and links its own earlier complaints.
//! - **Commitments.** A unit's commitment is recorded and completed by its own officials (or an
//!   admin), and only when the unit is involved in the matter (the complaint's units, the hosts
//!   and invited units of its dialogues): nobody promises in another unit's name. Statistics
//!   and recurring matters are for staff: officials of their units, evaluators and admins of
//!   all.
//! - **Personal data.** A filer who restricted or objected to processing keeps their contact
//!   from the unit's officials (admins still see it). Every staff read of a contact is logged.
//!   The data subject's requests are handled by data-protection staff and admins
//!   ([`require_data_protection`]), who also read the contact-read log and keep the breach
//!   register; the copy of a person's data goes to that person only. Staff of the assigned unit
//!   (and admins) decide what of a complaint's text is masked in its public view.
//! - **Business accounts** speak for their business (its dialogues, the issues recorded for it,
//!   its dossiers' ratings) once an admin has confirmed them: a tax code typed at registration
//!   proves nothing.
//! - **Retry keys.** An `idempotencyKey` belongs to its caller (the account, or an anonymous
//!   client's address): another caller's replay finds nothing of the first.
//! - **What a caller may do now** (`allowedActions` of complaints, dossiers, dialogues and
//!   commitments) is decided in [`actions`] by the functions the services call before they
//!   act: who the caller is, by the rules above, and where the item stands.

pub mod actions;

pub use actions::{
    CommitmentAction, ComplaintAction, ComplaintCaller, DialogueAction, DossierAction,
    commitment_actions, complaint_actions, dialogue_actions, dossier_actions,
};

use std::net::IpAddr;

use entity::{complaint, dialogue, dossier, unit};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect};

use crate::auth::{Actor, Principal, Role};
use crate::error::{AppError, AppResult};

/// Which units a caller may see or act for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Every unit (admins; evaluators for reading).
    All,
    /// An official's unit and the units directly under it (its wards).
    Units(Vec<String>),
    /// No unit: citizens, businesses and anonymous callers.
    None,
}

impl Scope {
    pub fn covers(&self, unit_id: &str) -> bool {
        match self {
            Scope::All => true,
            Scope::Units(u) => u.iter().any(|x| x == unit_id),
            Scope::None => false,
        }
    }
}

/// The units an official of `unit_id` acts for: the unit and the units directly under it.
pub async fn official_units(db: &DatabaseConnection, unit_id: &str) -> AppResult<Vec<String>> {
    let mut ids = vec![unit_id.to_string()];
    ids.extend(
        unit::Entity::find()
            .select_only()
            .column(unit::Column::Id)
            .filter(unit::Column::ParentId.eq(unit_id))
            .into_tuple::<String>()
            .all(db)
            .await?,
    );
    Ok(ids)
}

/// What a caller may read: admins and evaluators everything, officials their units.
pub async fn read_scope(db: &DatabaseConnection, actor: &Actor) -> AppResult<Scope> {
    match actor.principal() {
        Some(p) if matches!(p.role, Role::Admin | Role::Evaluator) => Ok(Scope::All),
        Some(p) if p.role == Role::Official => match &p.unit_id {
            Some(u) => Ok(Scope::Units(official_units(db, u).await?)),
            None => Ok(Scope::None),
        },
        _ => Ok(Scope::None),
    }
}

/// What a caller may act on: admins everything, officials their units, nobody else.
pub async fn act_scope(db: &DatabaseConnection, actor: &Actor) -> AppResult<Scope> {
    match actor.principal() {
        Some(p) if p.role == Role::Admin => Ok(Scope::All),
        Some(p) if p.role == Role::Official => match &p.unit_id {
            Some(u) => Ok(Scope::Units(official_units(db, u).await?)),
            None => Ok(Scope::None),
        },
        _ => Ok(Scope::None),
    }
}

fn other_unit() -> AppError {
    AppError::forbidden(
        "Bạn chỉ được thao tác trên hồ sơ, phản ánh của đơn vị mình.",
        "You may only act on dossiers and complaints of your own unit.",
    )
}

/// Whether the caller acts for `unit_id`: admins everywhere, officials for the units of their
/// read scope (`read`, their unit and its wards). The same as [`act_scope`] covering it, without
/// looking the scope up again.
pub fn acts_for(actor: &Actor, read: &Scope, unit_id: &str) -> bool {
    match actor.role() {
        Some(Role::Admin) => true,
        Some(Role::Official) => read.covers(unit_id),
        _ => false,
    }
}

/// `FORBIDDEN` unless the caller acts for `unit_id` (`UNAUTHENTICATED` when anonymous); `read`
/// is the caller's [`read_scope`].
pub fn require_acts_for(actor: &Actor, read: &Scope, unit_id: &str) -> AppResult<()> {
    actor.signed_in()?;
    if acts_for(actor, read, unit_id) {
        Ok(())
    } else {
        Err(other_unit())
    }
}

/// `FORBIDDEN` unless the caller may act for `unit_id` (`UNAUTHENTICATED` when anonymous).
pub async fn require_act(db: &DatabaseConnection, actor: &Actor, unit_id: &str) -> AppResult<()> {
    actor.signed_in()?;
    require_acts_for(actor, &read_scope(db, actor).await?, unit_id)
}

/// Data-protection staff and admins: the data subjects' requests, the contact-read log, the
/// breach register, the personal-data notice.
pub fn require_data_protection(actor: &Actor) -> AppResult<&Principal> {
    actor.require_role(&[Role::DataProtection, Role::Admin])
}

/// Whether the caller is staff (officials, evaluators, admins, data-protection staff): staff
/// read contacts in their views, so typing one proves nothing about them. A contact proves
/// the filer only to callers who are not staff.
pub fn is_staff(actor: &Actor) -> bool {
    matches!(
        actor.role(),
        Some(Role::Official | Role::Evaluator | Role::Admin | Role::DataProtection)
    )
}

/// Whether the signed-in caller is the account that filed the complaint itself (not another
/// account of the same business): what a request about the filer's personal data needs.
pub fn is_filing_account(actor: &Actor, c: &complaint::Model) -> bool {
    actor
        .principal()
        .and_then(|p| p.account_id.as_deref())
        .is_some_and(|a| c.filer_account_id.as_deref() == Some(a))
}

/// Whether a read of a person's contact by this caller is logged: every staff read (not the
/// person's own).
pub fn logs_contact_read(actor: &Actor) -> bool {
    is_staff(actor)
}

/// Who sees the concerns a complaint reads as (bribery, harassment, …), filters and counts
/// searches by them: officials (within what they may see), evaluators and admins. The public,
/// filers and data-protection staff do not: a flag is a reading of the text, not a finding.
pub fn sees_concerns(actor: &Actor) -> bool {
    matches!(
        actor.role(),
        Some(Role::Official | Role::Evaluator | Role::Admin)
    )
}

/// Admins only: the search dictionary (it decides what every search finds and how complaints
/// are flagged).
pub fn require_dictionary_editor(actor: &Actor) -> AppResult<&Principal> {
    require_admin(actor)
}

/// Admins only: the unit and procedure catalog, the holiday calendar, staff accounts.
pub fn require_admin(actor: &Actor) -> AppResult<&Principal> {
    actor.require_role(&[Role::Admin])
}

/// What a caller may see of a complaint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    /// Everything, the filer's contact included: the assigned unit, admins.
    Full,
    /// The filer's own case: everything but the accounts of the officials who acted.
    Filer,
    /// Everything but the contact: evaluators.
    Staff,
    /// The published answer, without anyone's identity.
    Public,
}

impl View {
    /// Sees the inside of the case: events, the unpublished answer, the filer's verdict.
    pub fn is_inner(self) -> bool {
        matches!(self, View::Full | View::Filer | View::Staff)
    }

    /// Sees the filer's name, phone and e-mail.
    pub fn sees_contact(self) -> bool {
        matches!(self, View::Full | View::Filer)
    }

    /// Sees which accounts acted on the case (staff only).
    pub fn sees_actors(self) -> bool {
        matches!(self, View::Full | View::Staff)
    }
}

/// Whether the signed-in caller is the account that filed the complaint, or an account of the
/// business that filed or raised it (a business speaks through several accounts, and an issue
/// recorded for it at a dialogue has no filing account).
pub fn is_filer(actor: &Actor, c: &complaint::Model) -> bool {
    let by_account = actor
        .principal()
        .and_then(|p| p.account_id.as_deref())
        .is_some_and(|a| c.filer_account_id.as_deref() == Some(a));
    by_account || (c.business_id.is_some() && caller_business(actor) == c.business_id.as_deref())
}

/// `FORBIDDEN` for a caller who does not speak for a business: an account whose business an
/// admin has not confirmed yet is told so.
pub fn not_speaking_for_a_business(actor: &Actor) -> AppError {
    if actor.role() == Some(Role::Business) {
        AppError::forbidden(
            "Tài khoản chưa được xác nhận là đại diện của doanh nghiệp; hãy đề nghị quản trị viên xác nhận.",
            "The account is not yet confirmed as speaking for its business; ask an admin to confirm it.",
        )
    } else {
        AppError::forbidden(
            "Chỉ tài khoản doanh nghiệp được đăng ký tham dự đối thoại doanh nghiệp.",
            "Only business accounts register for a dialogue with businesses.",
        )
    }
}

/// The business a signed-in business account speaks for (confirmed by an admin).
pub fn caller_business(actor: &Actor) -> Option<&str> {
    actor
        .principal()
        .filter(|p| p.role == Role::Business)
        .and_then(|p| p.business_id.as_deref())
}

/// Whether the caller may see a complaint, and how much. `read` is the caller's
/// [`read_scope`].
pub fn complaint_view(actor: &Actor, read: &Scope, c: &complaint::Model) -> Option<View> {
    match actor.role() {
        Some(Role::Admin) => Some(View::Full),
        // Its filer restricted processing: the unit handles it without reading the contact.
        Some(Role::Official) if read.covers(&c.assigned_unit_id) && c.restricted_at.is_some() => {
            Some(View::Staff)
        }
        Some(Role::Official) if read.covers(&c.assigned_unit_id) => Some(View::Full),
        _ if is_filer(actor, c) => Some(View::Filer),
        Some(Role::Evaluator) => Some(View::Staff),
        _ if c.published => Some(View::Public),
        _ => None,
    }
}

/// The view of a complaint for a caller who may have proved to be its filer by the phone or
/// e-mail given when filing (or by having just filed it): the filer's view, or their usual one
/// where that is wider (an admin filing, say).
pub fn complaint_view_as_filer(
    actor: &Actor,
    read: &Scope,
    c: &complaint::Model,
    proved_filer: bool,
) -> Option<View> {
    match complaint_view(actor, read, c) {
        Some(View::Full) => Some(View::Full),
        _ if proved_filer => Some(View::Filer),
        usual => usual,
    }
}

/// Whether the caller may link the complaint `c` (which they see as `complaint_view`) to a
/// dialogue they see as `dialogue_view`: the host, for a complaint it handles (a complaint of
/// another unit is that unit's, or its filer's, to bring), or a business taking part, for its
/// own.
pub fn may_link(
    actor: &Actor,
    dialogue_view: DialogueView,
    complaint_view: Option<View>,
    c: &complaint::Model,
) -> bool {
    match dialogue_view {
        DialogueView::Host => complaint_view == Some(View::Full),
        DialogueView::Participant => caller_business(actor).is_some() && is_filer(actor, c),
        DialogueView::Staff | DialogueView::Public => false,
    }
}

/// `FORBIDDEN`: the caller may not link a complaint to a dialogue.
pub fn link_forbidden() -> AppError {
    AppError::forbidden(
        "Chỉ đơn vị chủ trì (với phản ánh do đơn vị xử lý), hoặc doanh nghiệp đã gửi phản ánh, được gắn phản ánh vào cuộc đối thoại.",
        "Only the host unit (for a complaint it handles), or the business that filed the complaint, may link it to the dialogue.",
    )
}

/// Whether the caller sees a dossier as staff (who filed it): the staff of its unit (and the
/// unit above it), evaluators and admins. `read` is the caller's [`read_scope`].
pub fn dossier_staff_view(read: &Scope, d: &dossier::Model) -> bool {
    read.covers(&d.unit_id)
}

/// Whether the caller handles a dossier's receipts and filer: officials of its unit (and the
/// unit above it) and admins, not evaluators. They see a household filer's personal number;
/// nobody reads the rating code after the receipt is printed (it is kept only as a hash).
pub fn handles_dossier(actor: &Actor, read: &Scope, d: &dossier::Model) -> bool {
    actor.role() != Some(Role::Evaluator) && read.covers(&d.unit_id)
}

/// Whether what the caller records about dossiers is the one-stop-shop system's record: an
/// integration token made with `portal token` by the operator (no account behind it), like an
/// import. A signed-in account of a unit's staff records facts about its own figures, which the
/// PAR index counts as the facts say until an evaluator accepts what would move them.
pub fn records_as_system(actor: &Actor) -> bool {
    actor
        .principal()
        .is_some_and(|p| p.account_id.is_none() && matches!(p.role, Role::Official | Role::Admin))
}

/// `FORBIDDEN` for staff (officials, evaluators, admins) rating a dossier: a verified rating is
/// the filer's, and staff hold every rating code of their units.
pub fn require_not_staff_for_rating(actor: &Actor) -> AppResult<()> {
    match actor.role() {
        Some(Role::Official | Role::Evaluator | Role::Admin) => Err(AppError::forbidden(
            "Cán bộ không được đánh giá hồ sơ: đánh giá là của người nộp hồ sơ.",
            "Staff may not rate a dossier: a rating is the filer's.",
        )),
        _ => Ok(()),
    }
}

/// The rater's account of a rating: admins only.
pub fn sees_rater(actor: &Actor) -> bool {
    actor.is_admin()
}

/// An account's e-mail and phone: the holder and admins only.
pub fn sees_account_contact(actor: &Actor, account_id: &str) -> bool {
    actor.is_admin() || actor.principal().and_then(|p| p.account_id.as_deref()) == Some(account_id)
}

/// Retired procedures in the public catalog: admins only.
pub fn sees_retired_procedures(actor: &Actor) -> bool {
    actor.is_admin()
}

/// `FORBIDDEN` unless the caller may rate `d`: the signed-in business whose tax code filed it,
/// or anyone holding its rating code (`given`, as typed). `business_tax_code` is the tax code
/// of the caller's business, if the caller is a business account.
pub fn require_rating_proof(
    d: &dossier::Model,
    business_tax_code: Option<&str>,
    given: Option<&str>,
) -> AppResult<()> {
    if let (Some(mine), Some(filed)) = (business_tax_code, d.tax_code.as_deref())
        && mine == filed
    {
        return Ok(());
    }
    let ok = match (given, d.rating_code_hash.as_deref()) {
        (Some(g), Some(expected)) => constant_time_eq(
            crate::dossiers::rating_code_hash(&d.id, g).as_bytes(),
            expected.as_bytes(),
        ),
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(AppError::forbidden(
            "Chỉ người nộp hồ sơ được đánh giá: nhập mã đánh giá in trên phiếu tiếp nhận, bên cạnh mã hồ sơ.",
            "Only the dossier's filer may rate it: give the rating code printed on the receipt beside the dossier code.",
        ))
    }
}

/// Compares two secrets in time that does not depend on where they differ.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Whose a retry key is: the account when signed in (a script token: its role with its unit and
/// business, since script subjects are shared by role), else the client address. Keys of
/// different owners never meet.
pub fn idempotency_owner(actor: &Actor, client: IpAddr) -> String {
    match actor.principal() {
        Some(p) => match &p.account_id {
            Some(a) => format!("acct:{a}"),
            None => format!(
                "{}|unit:{}|biz:{}",
                p.subject,
                p.unit_id.as_deref().unwrap_or("-"),
                p.business_id.as_deref().unwrap_or("-")
            ),
        },
        None => format!("addr:{client}"),
    }
}

/// Which submission limits (ratings and complaints) a caller counts against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubmissionLimits<'a> {
    /// The account's own limit (citizens and businesses).
    pub account: Option<&'a str>,
    /// The anonymous limit of the client's address.
    pub address: bool,
}

/// Staff roles and scripts are trusted with bulk submissions (a kiosk, an import) and are not
/// limited. Anonymous callers count against their address. Citizen and business accounts count
/// against their own limit, and while unconfirmed (see [`Principal::confirmed`]) against their
/// address's anonymous limit too: otherwise fresh throwaway accounts would each bring a new
/// allowance to an address that has used up its own.
pub fn submission_limits(actor: &Actor) -> SubmissionLimits<'_> {
    match actor.principal() {
        None => SubmissionLimits {
            account: None,
            address: true,
        },
        Some(p) => match p.account_id.as_deref() {
            Some(a) if matches!(p.role, Role::Citizen | Role::Business) => SubmissionLimits {
                account: Some(a),
                address: !p.confirmed,
            },
            _ => SubmissionLimits {
                account: None,
                address: false,
            },
        },
    }
}

/// What a caller may see of a dialogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DialogueView {
    /// The host unit's officials and admins: everything, every business's contact included.
    Host,
    /// Evaluators: everything but the businesses' contacts.
    Staff,
    /// Officials of an invited unit, businesses taking part: the whole meeting, their own
    /// contact only.
    Participant,
    /// A public dialogue for everyone else: minutes and commitments once closed, unless
    /// internal.
    Public,
}

impl DialogueView {
    /// Sees the minutes and the commitments made.
    pub fn sees_record(self, d: &dialogue::Model) -> bool {
        match self {
            DialogueView::Public => d.status == dialogue::Status::Closed && !d.minutes_internal,
            _ => true,
        }
    }

    /// Sees every business's contact and agenda.
    pub fn sees_contacts(self) -> bool {
        self == DialogueView::Host
    }
}

/// Whether and how the caller sees a dialogue with the invited `units` and taking-part
/// `businesses`. `read` is the caller's [`read_scope`].
pub fn dialogue_view(
    actor: &Actor,
    read: &Scope,
    d: &dialogue::Model,
    units: &[String],
    businesses: &[String],
) -> Option<DialogueView> {
    match actor.role() {
        Some(Role::Admin) => Some(DialogueView::Host),
        Some(Role::Official) if read.covers(&d.host_unit_id) => Some(DialogueView::Host),
        Some(Role::Evaluator) => Some(DialogueView::Staff),
        Some(Role::Official) if units.iter().any(|u| read.covers(u)) => {
            Some(DialogueView::Participant)
        }
        _ if caller_business(actor).is_some_and(|b| businesses.iter().any(|x| x == b)) => {
            Some(DialogueView::Participant)
        }
        _ if d.public => Some(DialogueView::Public),
        _ => None,
    }
}

/// The dialogues a caller may list, as a condition on `dialogues`: all for admins and
/// evaluators; for officials their units' (hosted or invited to) and the public ones; for a
/// business those it takes part in and the public ones; the public ones for everyone else.
pub fn dialogue_list_condition(actor: &Actor, read: &Scope) -> sea_orm::Condition {
    use sea_orm::Condition;
    let mut any = Condition::any().add(dialogue::Column::Public.eq(true));
    match read {
        Scope::All => return Condition::all(),
        Scope::Units(u) => any = any.add(dialogues_of_units(u)),
        Scope::None => {}
    }
    if let Some(b) = caller_business(actor) {
        any = any.add(dialogues_with_business(b));
    }
    any
}

/// The dialogues these units host or are invited to, as a condition on `dialogues`.
pub fn dialogues_of_units(units: &[String]) -> sea_orm::Condition {
    use entity::dialogue_unit;
    use sea_orm::sea_query::Query;
    sea_orm::Condition::any()
        .add(dialogue::Column::HostUnitId.is_in(units.iter().cloned()))
        .add(
            dialogue::Column::Id.in_subquery(
                Query::select()
                    .column(dialogue_unit::Column::DialogueId)
                    .from(dialogue_unit::Entity)
                    .and_where(dialogue_unit::Column::UnitId.is_in(units.iter().cloned()))
                    .to_owned(),
            ),
        )
}

/// The dialogues a business (by id) takes part in, as a condition on `dialogues`.
pub fn dialogues_with_business(business: &str) -> sea_orm::Condition {
    use entity::dialogue_business;
    use sea_orm::sea_query::Query;
    sea_orm::Condition::all().add(
        dialogue::Column::Id.in_subquery(
            Query::select()
                .column(dialogue_business::Column::DialogueId)
                .from(dialogue_business::Entity)
                .and_where(dialogue_business::Column::BusinessId.eq(business))
                .to_owned(),
        ),
    )
}

/// `FORBIDDEN` unless the caller acts for the host unit `host` (its officials, admins):
/// scheduling, holding, closing, cancelling, recording issues for businesses. `read` is the
/// caller's [`read_scope`].
pub fn require_host_of(actor: &Actor, read: &Scope, host: &str) -> AppResult<()> {
    actor.signed_in()?;
    if acts_for(actor, read, host) {
        Ok(())
    } else {
        Err(AppError::forbidden(
            "Chỉ cán bộ của đơn vị chủ trì được tổ chức, điều hành và ghi nhận đối thoại.",
            "Only officials of the host unit may organise, run and record the dialogue.",
        ))
    }
}

/// [`require_host_of`], looking the caller's scope up.
pub async fn require_dialogue_host(
    db: &DatabaseConnection,
    actor: &Actor,
    host: &str,
) -> AppResult<()> {
    actor.signed_in()?;
    require_host_of(actor, &read_scope(db, actor).await?, host)
}

fn commitment_forbidden() -> AppError {
    AppError::forbidden(
        "Chỉ đơn vị liên quan đến vấn đề (đơn vị chủ trì đối thoại, đơn vị được mời, đơn vị xử lý) được ghi nhận cam kết, và chỉ cho đơn vị mình.",
        "Only a unit involved in the matter (the dialogue's host, an invited unit, the handling unit) may record a commitment, and only its own.",
    )
}

/// Whether the caller may record a commitment of `unit` on a matter whose involved units are
/// `involved`: admins; officials of `unit` when it is involved. An admin naming a unit not
/// involved is a bad input, checked by the caller of this. `read` is the caller's
/// [`read_scope`].
pub fn records_commitment_of(actor: &Actor, read: &Scope, unit: &str, involved: &[String]) -> bool {
    match actor.role() {
        Some(Role::Admin) => true,
        Some(Role::Official) => read.covers(unit) && involved.iter().any(|u| u == unit),
        _ => false,
    }
}

/// Whether the caller is of a role that records commitments at all (officials, admins): only
/// for them are a matter's involved units worth loading.
pub fn may_record_commitments(actor: &Actor) -> bool {
    matches!(actor.role(), Some(Role::Official | Role::Admin))
}

/// `FORBIDDEN` unless the caller may record a commitment of `unit` ([`records_commitment_of`]).
pub fn require_commitment_recorder(
    actor: &Actor,
    read: &Scope,
    unit: &str,
    involved: &[String],
) -> AppResult<()> {
    actor.signed_in()?;
    if records_commitment_of(actor, read, unit, involved) {
        Ok(())
    } else {
        Err(commitment_forbidden())
    }
}

/// Staff only (officials, evaluators, admins), before anything is looked up.
pub fn require_staff(actor: &Actor) -> AppResult<&Principal> {
    let p = actor.signed_in()?;
    if matches!(p.role, Role::Official | Role::Admin | Role::Evaluator) {
        Ok(p)
    } else {
        Err(AppError::forbidden(
            "Chỉ cán bộ (đơn vị, Sở Nội vụ, quản trị) được thực hiện thao tác này.",
            "Only staff (officials, evaluators, admins) may do this.",
        ))
    }
}

/// Whether the caller sees the commitments on a complaint: those who see its inside, and,
/// for a matter that is not a complaint or denunciation under their own laws, those who see the
/// record of a dialogue it was raised in (`record_of_a_dialogue`).
pub fn sees_commitments(
    complaint_view: Option<View>,
    record_of_a_dialogue: bool,
    c: &complaint::Model,
) -> bool {
    complaint_view.is_some_and(View::is_inner) || (record_of_a_dialogue && c.legal_track.is_none())
}

/// The units whose commitment statistics and recurring matters a caller reads: staff only,
/// each in their read scope (an official bound to no unit reads none).
pub fn commitment_stats_scope(actor: &Actor, read: &Scope) -> AppResult<Scope> {
    require_staff(actor)?;
    Ok(read.clone())
}

/// Whether the caller may filter by a business's tax code: anyone for a company's, but a
/// household business's is its owner's personal number, so staff and the household only.
pub fn may_look_up_business(actor: &Actor, personal: bool, business_id: &str) -> bool {
    !personal
        || matches!(
            actor.role(),
            Some(Role::Official | Role::Evaluator | Role::Admin)
        )
        || caller_business(actor) == Some(business_id)
}

fn par_forbidden() -> AppError {
    AppError::forbidden(
        "Chỉ Sở Nội vụ (người thẩm định Chỉ số CCHC) được thẩm định, trừ điểm, tính điểm và công bố.",
        "Only the evaluators of the Department of Home Affairs may appraise, deduct, compute and publish the PAR index.",
    )
}

/// Evaluators and admins run the PAR index.
pub fn is_par_evaluator(actor: &Actor) -> bool {
    matches!(actor.role(), Some(Role::Evaluator | Role::Admin))
}

/// `FORBIDDEN` unless the caller is an evaluator or an admin (`UNAUTHENTICATED` if anonymous).
pub fn require_par_evaluator(actor: &Actor) -> AppResult<&Principal> {
    let p = actor.signed_in()?;
    if is_par_evaluator(actor) {
        Ok(p)
    } else {
        Err(par_forbidden())
    }
}

/// A unit's self-assessment is entered by its own officials (or an admin).
pub async fn require_par_self_assessment(
    db: &DatabaseConnection,
    actor: &Actor,
    unit_id: &str,
) -> AppResult<()> {
    let p = actor.signed_in()?;
    match p.role {
        Role::Admin => Ok(()),
        Role::Official if act_scope(db, actor).await?.covers(unit_id) => Ok(()),
        _ => Err(AppError::forbidden(
            "Chỉ cán bộ của đơn vị được nhập điểm tự đánh giá của đơn vị mình.",
            "Only the unit's own officials enter its self-assessment.",
        )),
    }
}

/// The review requests a caller reads: evaluators and admins every unit's, officials their
/// units' (to see what waits and why); nobody else.
pub async fn review_read_scope(db: &DatabaseConnection, actor: &Actor) -> AppResult<Scope> {
    require_staff(actor)?;
    read_scope(db, actor).await
}

/// `FORBIDDEN` unless the caller may decide a review request made by `requested_by`: an
/// evaluator or admin, and not the one who made it. A unit's officials never decide.
pub fn require_review_decider(actor: &Actor, requested_by: &str) -> AppResult<()> {
    let p = require_par_evaluator(actor)?;
    if p.subject == requested_by {
        return Err(AppError::forbidden(
            "Không ai được tự xem xét đề nghị của chính mình.",
            "Nobody decides their own request.",
        ));
    }
    Ok(())
}

/// Whether the caller reads a unit's unpublished PAR figures and the rows behind them: its
/// officials, evaluators and admins.
pub async fn sees_par_unit(
    db: &DatabaseConnection,
    actor: &Actor,
    unit_id: &str,
) -> AppResult<bool> {
    if is_par_evaluator(actor) {
        return Ok(true);
    }
    Ok(actor.role() == Some(Role::Official) && read_scope(db, actor).await?.covers(unit_id))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn official(unit: &str) -> Actor {
        Actor::User(Principal {
            subject: "acc-1".into(),
            account_id: Some("acc-1".into()),
            role: Role::Official,
            unit_id: Some(unit.into()),
            business_id: None,
            session_id: None,
            confirmed: true,
        })
    }

    fn complaint(assigned: &str, published: bool) -> complaint::Model {
        complaint::Model {
            published,
            filer_account_id: Some("filer".into()),
            ..crate::complaints::received(
                "c".into(),
                "GY-0000-0000".into(),
                assigned,
                crate::clock::now(),
            )
        }
    }

    #[test]
    fn another_units_official_gets_the_public_view_or_nothing() {
        let a = official("Q5");
        let scope = Scope::Units(vec!["Q5".into(), "P1".into()]);
        assert_eq!(
            complaint_view(&a, &scope, &complaint("Q5", false)),
            Some(View::Full)
        );
        assert_eq!(
            complaint_view(&a, &scope, &complaint("P1", false)),
            Some(View::Full)
        );
        assert_eq!(complaint_view(&a, &scope, &complaint("STP", false)), None);
        assert_eq!(
            complaint_view(&a, &scope, &complaint("STP", true)),
            Some(View::Public)
        );
        assert_eq!(
            complaint_view(&Actor::Anonymous, &Scope::None, &complaint("STP", false)),
            None
        );
        let filer = Actor::User(Principal {
            subject: "filer".into(),
            account_id: Some("filer".into()),
            role: Role::Citizen,
            unit_id: None,
            business_id: None,
            session_id: None,
            confirmed: true,
        });
        let v = complaint_view(&filer, &Scope::None, &complaint("STP", false));
        assert_eq!(v, Some(View::Filer));
        assert!(v.unwrap().sees_contact() && !v.unwrap().sees_actors());
    }

    #[test]
    fn owners_of_retry_keys_differ_by_account_and_address() {
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        assert_ne!(
            idempotency_owner(&Actor::Anonymous, a),
            idempotency_owner(&Actor::Anonymous, b)
        );
        assert_ne!(
            idempotency_owner(&official("Q5"), a),
            idempotency_owner(&Actor::Anonymous, a)
        );
        let script = |unit: &str| {
            Actor::User(Principal {
                subject: "script:official".into(),
                account_id: None,
                role: Role::Official,
                unit_id: Some(unit.into()),
                business_id: None,
                session_id: None,
                confirmed: true,
            })
        };
        assert_ne!(
            idempotency_owner(&script("Q5"), a),
            idempotency_owner(&script("STP"), a)
        );
    }

    #[test]
    fn secrets_compare_exactly() {
        assert!(constant_time_eq(b"ABC234", b"ABC234"));
        assert!(!constant_time_eq(b"ABC234", b"ABC235"));
        assert!(!constant_time_eq(b"ABC", b"ABC234"));
    }
}
