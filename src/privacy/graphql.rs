//! The personal-data API: the notice, consents, the data subject's requests and the staff's
//! queue, the contact-read log, the breach register and masking of published text.

use async_graphql::{Context, Enum, ID, InputObject, Json, Object, SimpleObject};
use entity::{breach, consent, contact_read, privacy_event, privacy_notice, privacy_request};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use super::requests::{self, Decision, Kind, QueueFilter, Status};
use super::{Channel, Purpose};
use crate::accounts::graphql::Role;
use crate::complaints::graphql::Complaint;
use crate::context::CtxExt;
use crate::error::{AppError, Lang};
use crate::pagination::{Conn, Page};
use crate::scalars::Instant;
use crate::units::graphql::Unit;

/// The tracking code of a complaint by id (batched), for records that name one.
async fn code_of(ctx: &Context<'_>, id: Option<&str>) -> async_graphql::Result<Option<String>> {
    let Some(id) = id else { return Ok(None) };
    Ok(ctx
        .loaders()
        .complaints
        .load_one(id.to_string())
        .await?
        .map(|c| c.code))
}

/// What a person chose where their data was collected.
#[derive(InputObject, Debug, Clone)]
pub struct PrivacyChoicesInput {
    /// The version of the notice the person was shown (`privacyNotice.version`).
    pub notice_version: i32,
    /// The purposes the person ticked; the others are recorded as refused. None by default.
    #[graphql(default)]
    pub consents: Vec<Purpose>,
    #[graphql(default)]
    pub channel: Channel,
}

impl From<PrivacyChoicesInput> for super::Choices {
    fn from(i: PrivacyChoicesInput) -> super::Choices {
        let mut consents = i.consents;
        consents.dedup();
        super::Choices {
            notice_version: i.notice_version,
            consents,
            channel: i.channel,
        }
    }
}

pub struct PrivacyNotice(pub privacy_notice::Model, pub u32);

/// A purpose of the notice and its basis.
#[derive(SimpleObject)]
pub struct NoticePurpose {
    /// Null for the item's handling itself, which needs no consent.
    pub purpose: Option<Purpose>,
    pub needs_consent: bool,
    pub description: String,
}

#[Object]
impl PrivacyNotice {
    async fn version(&self) -> i32 {
        self.0.version
    }
    /// The text in the caller's language.
    async fn text(&self, ctx: &Context<'_>) -> &str {
        match ctx.req().lang {
            Lang::En => &self.0.text_en,
            _ => &self.0.text_vi,
        }
    }
    async fn text_vi(&self) -> &str {
        &self.0.text_vi
    }
    async fn text_en(&self) -> &str {
        &self.0.text_en
    }
    async fn published_at(&self) -> Instant {
        self.0.published_at.into()
    }
    /// Days after an item ends before its contact is anonymised.
    async fn retain_contact_days(&self) -> i32 {
        i32::try_from(self.1).unwrap_or(i32::MAX)
    }
    /// The purposes, each consented to separately (none by default), after the handling that
    /// rests on the agency's legal duty.
    async fn purposes(&self, ctx: &Context<'_>) -> Vec<NoticePurpose> {
        let en = ctx.req().lang == Lang::En;
        let d = |vi: &str, e: &str| if en { e.to_string() } else { vi.to_string() };
        vec![
            NoticePurpose {
                purpose: None,
                needs_consent: false,
                description: d(
                    "Tiếp nhận, giải quyết, trả lời và thống kê (nhiệm vụ luật định, không cần đồng ý).",
                    "Receiving, handling, answering and counting the item (legal duty, no consent needed).",
                ),
            },
            NoticePurpose {
                purpose: Some(Purpose::ContactAboutOutcome),
                needs_consent: true,
                description: d(
                    "Liên hệ với bạn về tiến độ và kết quả.",
                    "Contacting you about progress and the outcome.",
                ),
            },
            NoticePurpose {
                purpose: Some(Purpose::PublishName),
                needs_consent: true,
                description: d(
                    "Công khai họ tên bạn cùng phản ánh đã trả lời.",
                    "Publishing your name with the answered item.",
                ),
            },
        ]
    }
}

/// One answer to one purpose.
pub struct Consent(pub consent::Model);

#[Object]
impl Consent {
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }
    async fn purpose(&self) -> Option<Purpose> {
        Purpose::parse(&self.0.purpose)
    }
    async fn granted(&self) -> bool {
        self.0.granted
    }
    /// Granted and not withdrawn.
    async fn standing(&self) -> bool {
        self.0.granted && self.0.withdrawn_at.is_none()
    }
    async fn notice_version(&self) -> i32 {
        self.0.notice_version
    }
    async fn channel(&self) -> &str {
        &self.0.channel
    }
    async fn recorded_at(&self) -> Instant {
        self.0.recorded_at.into()
    }
    async fn withdrawn_at(&self) -> Option<Instant> {
        self.0.withdrawn_at.map(Instant::from)
    }
}

/// A request as the person who made it, or data-protection staff, see it.
pub struct PrivacyRequest {
    pub model: privacy_request::Model,
    /// The caller made it (and may read its copy).
    pub requester: bool,
}

/// One step on a request.
pub struct PrivacyStep(pub privacy_event::Model);

#[Object]
impl PrivacyStep {
    async fn at(&self) -> Instant {
        self.0.at.into()
    }
    async fn action(&self) -> &str {
        &self.0.action
    }
    async fn actor_role(&self) -> Option<Role> {
        use sea_orm::ActiveEnum;
        self.0
            .actor_role
            .as_ref()
            .and_then(|r| entity::account::Role::try_from_value(r).ok())
            .map(Into::into)
    }
    async fn note(&self) -> Option<&str> {
        self.0.note.as_deref()
    }
}

#[Object]
impl PrivacyRequest {
    async fn id(&self) -> ID {
        ID(self.model.id.clone())
    }
    /// The tracking code the person follows it with.
    async fn code(&self) -> &str {
        &self.model.code
    }
    async fn kind(&self) -> Option<Kind> {
        Kind::parse(&self.model.kind)
    }
    async fn status(&self) -> Status {
        Status::parse(&self.model.status)
    }
    async fn received_at(&self) -> Instant {
        self.model.received_at.into()
    }
    /// 2 working days after receipt.
    async fn acknowledge_due_at(&self) -> Instant {
        self.model.acknowledge_due_at.into()
    }
    async fn acknowledged_at(&self) -> Option<Instant> {
        self.model.acknowledged_at.map(Instant::from)
    }
    /// When it must be carried out (after an extension, the extended time).
    async fn due_at(&self) -> Instant {
        self.model.due_at.into()
    }
    async fn extended_at(&self) -> Option<Instant> {
        self.model.extended_at.map(Instant::from)
    }
    async fn extension_reason(&self) -> Option<&str> {
        self.model.extension_reason.as_deref()
    }
    async fn completed_at(&self) -> Option<Instant> {
        self.model.completed_at.map(Instant::from)
    }
    /// The reason of a refusal, or what was done.
    async fn outcome_note(&self) -> Option<&str> {
        self.model.outcome_note.as_deref()
    }
    /// Open and past its due time, or not acknowledged in time.
    async fn overdue(&self) -> bool {
        let now = crate::clock::now();
        Status::parse(&self.model.status).open()
            && (self.model.due_at < now
                || (self.model.acknowledged_at.is_none() && self.model.acknowledge_due_at < now))
    }
    async fn details(&self) -> Option<&str> {
        self.model.details.as_deref()
    }
    async fn purpose(&self) -> Option<Purpose> {
        self.model.purpose.as_deref().and_then(Purpose::parse)
    }
    /// The tracking code of the item it is about (none: about an account).
    async fn complaint_code(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<String>> {
        code_of(ctx, self.model.complaint_id.as_deref()).await
    }
    /// Whether it is about a signed-in account (and all it filed).
    async fn about_account(&self) -> bool {
        self.model.account_id.is_some()
    }
    /// Every step, oldest first.
    async fn steps(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<PrivacyStep>> {
        Ok(privacy_event::Entity::find()
            .filter(privacy_event::Column::RequestId.eq(self.model.id.clone()))
            .order_by_asc(privacy_event::Column::At)
            .all(&ctx.state().db)
            .await
            .map_err(AppError::from)?
            .into_iter()
            .map(PrivacyStep)
            .collect())
    }
    /// The copy of everything kept about the person, as JSON: for the person who made an
    /// ACCESS or COPY request that was carried out; null for anyone else.
    #[graphql(complexity = 1000)]
    async fn copy(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<Json<serde_json::Value>>> {
        let kind = Kind::parse(&self.model.kind);
        if !self.requester
            || !matches!(kind, Some(Kind::Access | Kind::Copy))
            || Status::parse(&self.model.status) != Status::Done
        {
            return Ok(None);
        }
        let Some(s) = requests::subject(&self.model) else {
            return Ok(None);
        };
        // One copy per person per request, however many aliases or requests ask for it.
        Ok(ctx.loaders().copies.load_one(s).await?.map(Json))
    }
}

/// A staff read of a person's contact.
pub struct ContactRead(pub contact_read::Model);

#[Object]
impl ContactRead {
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }
    async fn at(&self) -> Instant {
        self.0.at.into()
    }
    /// `Complaint.contact` or `DialogueBusiness.contact`.
    async fn field(&self) -> &str {
        &self.0.field
    }
    async fn reader_role(&self) -> Option<Role> {
        use sea_orm::ActiveEnum;
        entity::account::Role::try_from_value(&self.0.reader_role)
            .ok()
            .map(Into::into)
    }
    /// The reader's account id (none for an integration token).
    async fn reader_account_id(&self) -> Option<ID> {
        self.0.reader_account_id.clone().map(ID)
    }
    async fn reader_unit(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Unit>> {
        let Some(u) = &self.0.reader_unit_id else {
            return Ok(None);
        };
        Ok(ctx.loaders().units.load_one(u.clone()).await?.map(Unit))
    }
    async fn complaint_code(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<String>> {
        code_of(ctx, self.0.complaint_id.as_deref()).await
    }
    async fn dialogue_id(&self) -> Option<ID> {
        self.0.dialogue_id.clone().map(ID)
    }
}

/// A personal-data breach and its 72-hour reporting clock.
pub struct Breach(pub breach::Model);

#[Object]
impl Breach {
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }
    async fn description(&self) -> &str {
        &self.0.description
    }
    async fn discovered_at(&self) -> Instant {
        self.0.discovered_at.into()
    }
    async fn recorded_at(&self) -> Instant {
        self.0.recorded_at.into()
    }
    async fn people_affected(&self) -> Option<i32> {
        self.0.people_affected
    }
    async fn data_kinds(&self) -> Option<&str> {
        self.0.data_kinds.as_deref()
    }
    /// 72 hours after discovery.
    async fn report_due_at(&self) -> Instant {
        super::breaches::report_due(&self.0).into()
    }
    async fn reported_at(&self) -> Option<Instant> {
        self.0.reported_at.map(Instant::from)
    }
    async fn reported_to(&self) -> Option<&str> {
        self.0.reported_to.as_deref()
    }
    async fn report_reference(&self) -> Option<&str> {
        self.0.report_reference.as_deref()
    }
    /// Not reported, or reported after the 72 hours.
    async fn overdue(&self) -> bool {
        let due = super::breaches::report_due(&self.0);
        match self.0.reported_at {
            Some(r) => r > due,
            None => crate::clock::now() > due,
        }
    }
}

/// A piece of personal data in a complaint's text, and whether its public view masks it.
#[derive(SimpleObject)]
pub struct PersonalDataPiece {
    pub field: super::masks::TextField,
    /// `PHONE`, `EMAIL`, `ID_NUMBER`, `TAX_CODE`, `ADDRESS` or `OTHER` (masked by staff).
    pub kind: PersonalDataKind,
    pub text: String,
    pub masked: bool,
    pub source: super::masks::Source,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum PersonalDataKind {
    Phone,
    Email,
    IdNumber,
    TaxCode,
    Address,
    Other,
}

impl From<super::mask::Kind> for PersonalDataKind {
    fn from(k: super::mask::Kind) -> PersonalDataKind {
        use super::mask::Kind as K;
        match k {
            K::Phone => PersonalDataKind::Phone,
            K::Email => PersonalDataKind::Email,
            K::IdNumber => PersonalDataKind::IdNumber,
            K::TaxCode => PersonalDataKind::TaxCode,
            K::Address => PersonalDataKind::Address,
            K::Other => PersonalDataKind::Other,
        }
    }
}

impl From<super::masks::Piece> for PersonalDataPiece {
    fn from(p: super::masks::Piece) -> PersonalDataPiece {
        PersonalDataPiece {
            field: p.field,
            kind: p.finding.kind.into(),
            text: p.finding.text,
            masked: p.masked,
            source: p.source,
        }
    }
}

#[derive(InputObject, Default)]
pub struct PrivacyRequestFilter {
    #[graphql(default)]
    pub status: Vec<Status>,
    pub kind: Option<Kind>,
    pub overdue: Option<bool>,
}

#[derive(InputObject, Default)]
pub struct ContactReadFilter {
    pub complaint: Option<ID>,
    pub reader: Option<ID>,
    pub from: Option<Instant>,
    pub to: Option<Instant>,
}

#[derive(InputObject)]
pub struct CorrectionInput {
    pub name: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
}

#[derive(InputObject)]
pub struct SubmitPrivacyRequestInput {
    pub kind: Kind,
    /// Without signing in: the tracking code of the item and the phone or e-mail given with it.
    pub complaint_code: Option<String>,
    pub contact: Option<String>,
    /// What the person wants, in their words.
    pub details: Option<String>,
    /// WITHDRAWAL: the purpose (all when left out).
    pub purpose: Option<Purpose>,
    /// CORRECTION: the right values.
    pub correction: Option<CorrectionInput>,
    pub idempotency_key: Option<String>,
}

#[derive(InputObject)]
pub struct ExtendPrivacyRequestInput {
    /// At most the request's own number of days (10, 15 or 20).
    pub days: i32,
    /// Told to the person.
    pub reason: String,
}

#[derive(InputObject)]
pub struct DecidePrivacyRequestInput {
    pub decision: Decision,
    /// The reason of a refusal (required), or a note on what was done.
    pub note: Option<String>,
}

#[derive(InputObject)]
pub struct PublishPrivacyNoticeInput {
    pub text_vi: String,
    pub text_en: String,
}

#[derive(InputObject)]
pub struct MaskTextInput {
    pub field: super::masks::TextField,
    /// The exact text, as it appears in the field.
    pub text: String,
}

#[derive(InputObject, Default)]
pub struct SetComplaintMasksInput {
    /// Pieces the detector found that are not personal data (a false positive).
    #[graphql(default)]
    pub unmask: Vec<MaskTextInput>,
    /// Pieces to mask that the detector missed.
    #[graphql(default)]
    pub mask: Vec<MaskTextInput>,
}

#[derive(InputObject)]
pub struct RecordBreachInput {
    pub description: String,
    pub discovered_at: Instant,
    pub people_affected: Option<i32>,
    /// Which kinds of personal data (names, phones, ID numbers…).
    pub data_kinds: Option<String>,
}

#[derive(InputObject)]
pub struct ReportBreachInput {
    pub reported_at: Instant,
    /// The authority reported to (the Ministry of Public Security's A05 department, say).
    pub reported_to: String,
    pub reference: Option<String>,
}

#[derive(Default)]
pub struct PrivacyQuery;

#[Object]
impl PrivacyQuery {
    /// The personal-data notice: the current version, or `version`. Portals show it wherever
    /// they collect personal data, and send its version with the person's choices.
    async fn privacy_notice(
        &self,
        ctx: &Context<'_>,
        version: Option<i32>,
    ) -> async_graphql::Result<Option<PrivacyNotice>> {
        let db = &ctx.state().db;
        let days = ctx.state().config.retain_contact_days;
        Ok(match version {
            Some(v) => super::notice::get(db, v).await?,
            None => Some(super::notice::current(db).await?),
        }
        .map(|n| PrivacyNotice(n, days)))
    }

    /// The signed-in account's consents, and those given with the items it filed.
    async fn my_consents(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Consent>> {
        let a = ctx
            .actor()
            .principal()
            .and_then(|p| p.account_id.clone())
            .ok_or_else(AppError::sign_in_required)?;
        let db = &ctx.state().db;
        let s = super::Subject::Account(a);
        let mut all = super::consents_of(db, &s).await?;
        for c in requests::complaints_of(db, &s).await? {
            all.extend(super::consents_of(db, &super::Subject::Complaint(c.id)).await?);
        }
        Ok(all.into_iter().map(Consent).collect())
    }

    /// The signed-in account's requests, and those about the items it filed, newest first.
    async fn my_privacy_requests(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Conn<PrivacyRequest>> {
        let page = Page::parse(first, after.as_deref())?;
        let (total, rows) = requests::mine(ctx.state(), ctx.actor(), &page).await?;
        Ok(page.connection(
            total,
            rows.into_iter()
                .map(|model| PrivacyRequest {
                    model,
                    requester: true,
                })
                .collect(),
        ))
    }

    /// A request by its code: for the person who made it (signed in, or with the contact given
    /// with the item) and data-protection staff; null for anyone else.
    async fn privacy_request_by_code(
        &self,
        ctx: &Context<'_>,
        code: String,
        contact: Option<String>,
    ) -> async_graphql::Result<Option<PrivacyRequest>> {
        let actor = ctx.actor();
        let r = requests::by_code(
            ctx.state(),
            actor,
            ctx.req().client_ip,
            &code,
            contact.as_deref(),
        )
        .await?;
        Ok(r.map(|(model, requester)| PrivacyRequest { model, requester }))
    }

    /// Data-protection staff and admins: a request by id.
    async fn privacy_request(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<Option<PrivacyRequest>> {
        let actor = ctx.actor();
        let Some(model) = privacy_request::Entity::find_by_id(id.0)
            .one(&ctx.state().db)
            .await
            .map_err(AppError::from)?
        else {
            return Ok(None);
        };
        let requester = requests::is_requester(actor, &model, None);
        if !requester && crate::access::require_data_protection(actor).is_err() {
            return Ok(None);
        }
        Ok(Some(PrivacyRequest { model, requester }))
    }

    /// Data-protection staff and admins: the queue of requests, earliest deadline first.
    async fn privacy_requests(
        &self,
        ctx: &Context<'_>,
        filter: Option<PrivacyRequestFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Conn<PrivacyRequest>> {
        let page = Page::parse(first, after.as_deref())?;
        let f = filter.unwrap_or_default();
        let (total, rows) = requests::queue(
            ctx.state(),
            ctx.actor(),
            &QueueFilter {
                status: f.status,
                kind: f.kind,
                overdue: f.overdue,
            },
            &page,
        )
        .await?;
        let actor = ctx.actor();
        Ok(page.connection(
            total,
            rows.into_iter()
                .map(|model| PrivacyRequest {
                    requester: requests::is_requester(actor, &model, None),
                    model,
                })
                .collect(),
        ))
    }

    /// Data-protection staff and admins: the log of staff reads of contacts, newest first.
    async fn contact_reads(
        &self,
        ctx: &Context<'_>,
        filter: Option<ContactReadFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Conn<ContactRead>> {
        let page = Page::parse(first, after.as_deref())?;
        let f = filter.unwrap_or_default();
        let (total, rows) = super::reads::list(
            &ctx.state().db,
            ctx.actor(),
            &super::reads::ReadFilter {
                complaint: f.complaint.map(|i| i.0),
                reader: f.reader.map(|i| i.0),
                from: f.from.map(Into::into),
                to: f.to.map(Into::into),
            },
            &page,
        )
        .await?;
        Ok(page.connection(total, rows.into_iter().map(ContactRead).collect()))
    }

    /// Data-protection staff and admins: the breach register, latest discovery first.
    async fn breaches(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Conn<Breach>> {
        let page = Page::parse(first, after.as_deref())?;
        let (total, rows) = super::breaches::list(&ctx.state().db, ctx.actor(), &page).await?;
        Ok(page.connection(total, rows.into_iter().map(Breach).collect()))
    }
}

#[derive(Default)]
pub struct PrivacyMutation;

#[Object]
impl PrivacyMutation {
    /// Data-protection staff and admins: publishes a new version of the notice.
    async fn publish_privacy_notice(
        &self,
        ctx: &Context<'_>,
        input: PublishPrivacyNoticeInput,
    ) -> async_graphql::Result<PrivacyNotice> {
        let n =
            super::notice::publish(&ctx.state().db, ctx.actor(), &input.text_vi, &input.text_en)
                .await?;
        Ok(PrivacyNotice(n, ctx.state().config.retain_contact_days))
    }

    /// Withdraws one consent, at once: the account that gave it, or the filer of its item
    /// (signed in, or with the phone or e-mail given with it).
    async fn withdraw_consent(
        &self,
        ctx: &Context<'_>,
        id: ID,
        contact: Option<String>,
    ) -> async_graphql::Result<Consent> {
        Ok(Consent(
            super::withdraw_one(
                ctx.state(),
                ctx.actor(),
                ctx.req().client_ip,
                &id,
                contact.as_deref(),
            )
            .await?,
        ))
    }

    /// A data subject's request: signed in (about the account and all it filed), or with the
    /// tracking code and contact of an item (about that item). ACCESS, COPY and WITHDRAWAL are
    /// carried out at once; the others are acknowledged within 2 working days and carried out
    /// by data-protection staff within the time limits of Decree 356/2025/NĐ-CP.
    async fn submit_privacy_request(
        &self,
        ctx: &Context<'_>,
        input: SubmitPrivacyRequestInput,
    ) -> async_graphql::Result<PrivacyRequest> {
        let (name, phone, email) = match input.correction {
            Some(c) => (c.name, c.phone, c.email),
            None => (None, None, None),
        };
        let m = requests::submit(
            ctx.state(),
            ctx.actor(),
            ctx.req().client_ip,
            requests::SubmitInput {
                kind: Some(input.kind),
                complaint_code: input.complaint_code,
                contact: input.contact,
                details: input.details,
                purpose: input.purpose,
                correct_name: name,
                correct_phone: phone,
                correct_email: email,
                idempotency_key: input.idempotency_key,
            },
        )
        .await?;
        Ok(PrivacyRequest {
            model: m,
            requester: true,
        })
    }

    /// Data-protection staff and admins: acknowledges a request.
    async fn acknowledge_privacy_request(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<PrivacyRequest> {
        let model = requests::acknowledge(ctx.state(), ctx.actor(), &id).await?;
        Ok(PrivacyRequest {
            model,
            requester: false,
        })
    }

    /// Data-protection staff and admins: extends a request once, with a reason.
    async fn extend_privacy_request(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: ExtendPrivacyRequestInput,
    ) -> async_graphql::Result<PrivacyRequest> {
        let model =
            requests::extend(ctx.state(), ctx.actor(), &id, input.days, &input.reason).await?;
        Ok(PrivacyRequest {
            model,
            requester: false,
        })
    }

    /// Data-protection staff and admins: carries a request out, or refuses it with a reason.
    async fn decide_privacy_request(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: DecidePrivacyRequestInput,
    ) -> async_graphql::Result<PrivacyRequest> {
        let model = requests::decide(
            ctx.state(),
            ctx.actor(),
            &id,
            input.decision,
            input.note.as_deref(),
        )
        .await?;
        Ok(PrivacyRequest {
            model,
            requester: false,
        })
    }

    /// Officials of the assigned unit and admins: unmask a false positive in a complaint's
    /// public text, or mask what the detector missed.
    async fn set_complaint_masks(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: SetComplaintMasksInput,
    ) -> async_graphql::Result<Option<Complaint>> {
        let conv = |v: Vec<MaskTextInput>| {
            v.into_iter()
                .map(|m| super::masks::MaskText {
                    field: m.field,
                    text: m.text,
                })
                .collect()
        };
        let c = super::masks::set(
            ctx.state(),
            ctx.actor(),
            &id,
            conv(input.unmask),
            conv(input.mask),
        )
        .await?;
        let (c, view) = match crate::complaints::get(ctx.state(), ctx.actor(), &c.id).await? {
            Some(x) => x,
            None => return Ok(None),
        };
        Ok(Some(Complaint { model: c, view }))
    }

    /// Data-protection staff and admins: records a breach; the report is due 72 hours after
    /// its discovery.
    async fn record_breach(
        &self,
        ctx: &Context<'_>,
        input: RecordBreachInput,
    ) -> async_graphql::Result<Breach> {
        Ok(Breach(
            super::breaches::record(
                &ctx.state().db,
                ctx.actor(),
                super::breaches::NewBreach {
                    description: input.description,
                    discovered_at: input.discovered_at.into(),
                    people_affected: input.people_affected,
                    data_kinds: input.data_kinds,
                },
            )
            .await?,
        ))
    }

    /// Data-protection staff and admins: records the report of a breach to the authority.
    async fn report_breach(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: ReportBreachInput,
    ) -> async_graphql::Result<Breach> {
        Ok(Breach(
            super::breaches::report(
                &ctx.state().db,
                ctx.actor(),
                &id,
                input.reported_at.into(),
                &input.reported_to,
                input.reference.as_deref(),
            )
            .await?,
        ))
    }
}
