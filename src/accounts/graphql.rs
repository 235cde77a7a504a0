//! GraphQL types and resolvers of accounts and sign-in.

use crate::scalars::Instant;
use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject};
use entity::account;

use super::sessions::Tokens;
use super::{NewAccount, NewBusiness};
use crate::auth::Principal;
use crate::businesses::Business;
use crate::context::CtxExt;
use crate::units::graphql::Unit;

/// Roles carried in access tokens.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "entity::account::Role")]
pub enum Role {
    Citizen,
    Business,
    Official,
    Evaluator,
    Admin,
    /// Data-protection staff: the data subjects' requests, the contact-read log, breaches.
    DataProtection,
}

/// The roles an admin can create accounts for.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum StaffRole {
    Official,
    Evaluator,
    DataProtection,
}

pub struct Account {
    model: account::Model,
    /// The caller has just proven to be this account (register, login): show it in full.
    own: bool,
}

impl Account {
    pub fn new(model: account::Model) -> Account {
        Account { model, own: false }
    }

    fn own(model: account::Model) -> Account {
        Account { model, own: true }
    }

    /// Contact details are for the account holder and admins only.
    fn may_see_contact(&self, ctx: &Context<'_>) -> bool {
        self.own || crate::access::sees_account_contact(ctx.actor(), &self.model.id)
    }
}

#[Object]
impl Account {
    async fn id(&self) -> ID {
        ID(self.model.id.clone())
    }
    async fn username(&self) -> &str {
        &self.model.username
    }
    async fn display_name(&self) -> &str {
        &self.model.display_name
    }
    async fn role(&self) -> Role {
        self.model.role.into()
    }
    /// The e-mail the account gave, confirmed or not (`emailConfirmed`). Visible to the account
    /// holder and admins.
    async fn email(&self, ctx: &Context<'_>) -> Option<&str> {
        self.may_see_contact(ctx)
            .then(|| super::given_email(&self.model))
            .flatten()
    }
    /// Whether the account holds its e-mail: only a confirmed e-mail signs in. Null when there
    /// is none or it is not visible (as `email`).
    async fn email_confirmed(&self, ctx: &Context<'_>) -> Option<bool> {
        (self.may_see_contact(ctx) && super::given_email(&self.model).is_some())
            .then_some(self.model.email.is_some())
    }
    /// The phone number the account gave, confirmed or not (`phoneConfirmed`). Visible to the
    /// account holder and admins.
    async fn phone(&self, ctx: &Context<'_>) -> Option<&str> {
        self.may_see_contact(ctx)
            .then(|| super::given_phone(&self.model))
            .flatten()
    }
    /// Whether the account holds its phone number: only a confirmed number signs in. Null when
    /// there is none or it is not visible (as `phone`).
    async fn phone_confirmed(&self, ctx: &Context<'_>) -> Option<bool> {
        (self.may_see_contact(ctx) && super::given_phone(&self.model).is_some())
            .then_some(self.model.phone.is_some())
    }
    /// An admin confirmed that the account speaks for its business: until then it acts as
    /// itself only (its own filings), not for the business's dialogues, issues or dossiers.
    async fn business_confirmed(&self) -> bool {
        self.model.business_confirmed_at.is_some()
    }
    /// The business the account claimed at registration, as it was given, and where the claim
    /// stands. Visible to the account holder and admins.
    async fn business_claim(&self, ctx: &Context<'_>) -> Option<BusinessClaim> {
        if !self.may_see_contact(ctx) {
            return None;
        }
        let m = &self.model;
        Some(BusinessClaim {
            tax_code: m.claim_tax_code.clone()?,
            name: m.claim_business_name.clone().unwrap_or_default(),
            status: m
                .claim_status
                .unwrap_or(account::ClaimStatus::Pending)
                .into(),
        })
    }
    async fn disabled(&self) -> bool {
        self.model.disabled
    }
    async fn created_at(&self) -> Instant {
        crate::clock::local(self.model.created_at).into()
    }
    async fn unit(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Unit>> {
        unit_of(ctx, self.model.unit_id.as_deref()).await
    }
    /// The business the account speaks for, once an admin confirmed its claim
    /// (`businessClaim`).
    async fn business(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Business>> {
        business_of(ctx, self.model.business_id.as_deref()).await
    }
}

/// Where a business account's claim stands.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "entity::account::ClaimStatus")]
pub enum BusinessClaimStatus {
    /// Waiting for an admin; it blocks no other claim of the tax code.
    Pending,
    /// An admin confirmed it: the account speaks for the business (`Account.business`).
    Confirmed,
    /// An admin refused or withdrew it, or confirmed another claim of the tax code.
    Refused,
}

/// A business account's claim: the tax code and name as the account gave them at
/// registration (never what a registry holds for that tax code).
#[derive(SimpleObject)]
pub struct BusinessClaim {
    pub tax_code: String,
    pub name: String,
    pub status: BusinessClaimStatus,
}

async fn unit_of(ctx: &Context<'_>, id: Option<&str>) -> async_graphql::Result<Option<Unit>> {
    let Some(id) = id else { return Ok(None) };
    Ok(ctx
        .loaders()
        .units
        .load_one(id.to_string())
        .await?
        .map(Unit))
}

async fn business_of(
    ctx: &Context<'_>,
    id: Option<&str>,
) -> async_graphql::Result<Option<Business>> {
    let Some(id) = id else { return Ok(None) };
    Ok(ctx
        .loaders()
        .businesses
        .load_one(id.to_string())
        .await?
        .map(Business))
}

/// Who is signed in: the token's subject and role, and the account behind it (none for tokens
/// minted by `portal token` for scripts).
pub struct Viewer(Principal);

#[Object]
impl Viewer {
    async fn subject(&self) -> &str {
        &self.0.subject
    }
    async fn role(&self) -> Role {
        self.0.role.into()
    }
    async fn account(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Account>> {
        let Some(id) = &self.0.account_id else {
            return Ok(None);
        };
        Ok(super::find(&ctx.state().db, id).await?.map(Account::new))
    }
    /// The unit an official or evaluator acts for.
    async fn unit(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Unit>> {
        unit_of(ctx, self.0.unit_id.as_deref()).await
    }
    /// The business of a business account, once an admin has confirmed that it speaks for it
    /// (`account.businessClaim` shows a claim that waits).
    async fn business(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Business>> {
        let claimed = match &self.0.account_id {
            Some(id) => super::find(&ctx.state().db, id)
                .await?
                .and_then(|a| a.business_id),
            None => self.0.business_id.clone(),
        };
        business_of(ctx, claimed.as_deref()).await
    }
}

/// The tokens of a session, and the account it is of.
#[derive(SimpleObject)]
pub struct AuthPayload {
    /// Send as `Authorization: Bearer <accessToken>`. Short-lived: renew it with
    /// `refreshToken` before `accessTokenExpiresAt`.
    pub access_token: String,
    pub access_token_expires_at: Instant,
    /// Exchanged once with `refreshToken` for new tokens. Keep it secret and apart from the
    /// access token: presented a second time, it ends the session.
    pub refresh_token: String,
    pub refresh_token_expires_at: Instant,
    pub account: Account,
}

impl AuthPayload {
    fn new(t: Tokens, acc: account::Model) -> AuthPayload {
        AuthPayload {
            access_token: t.access_token,
            access_token_expires_at: Instant(t.access_expires_at),
            refresh_token: t.refresh_token,
            refresh_token_expires_at: Instant(t.refresh_expires_at),
            account: Account::own(acc),
        }
    }
}

/// What `logout` ended.
#[derive(SimpleObject)]
pub struct LogoutPayload {
    /// The sessions ended: 1 for this one, or every live session of the account with
    /// `everywhere`.
    pub sessions_ended: u64,
}

#[derive(Default)]
pub struct AccountsQuery;

#[Object]
impl AccountsQuery {
    /// The signed-in caller, or null when anonymous.
    async fn me(&self, ctx: &Context<'_>) -> Option<Viewer> {
        ctx.actor().principal().cloned().map(Viewer)
    }
}

#[derive(InputObject)]
pub struct BusinessInput {
    /// Mã số thuế: 10 digits, or 10 + "-" + 3 for a branch.
    pub tax_code: String,
    pub name: String,
}

#[derive(InputObject)]
pub struct RegisterInput {
    pub username: String,
    pub password: String,
    pub display_name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// Present for a business account: the business it speaks for.
    pub business: Option<BusinessInput>,
    /// The personal-data notice shown (`privacyNotice.version`) and the purposes ticked: none
    /// by default.
    pub privacy: Option<crate::privacy::graphql::PrivacyChoicesInput>,
}

#[derive(InputObject)]
pub struct LoginInput {
    /// User name, e-mail or phone number.
    pub login: String,
    pub password: String,
}

#[derive(InputObject)]
pub struct CreateStaffAccountInput {
    pub username: String,
    pub password: String,
    pub display_name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub role: StaffRole,
    /// The unit the account acts for.
    pub unit: ID,
}

#[derive(Default)]
pub struct AccountsMutation;

#[Object]
impl AccountsMutation {
    /// Creates a citizen account, or a business account when `business` is given, and signs in.
    async fn register(
        &self,
        ctx: &Context<'_>,
        input: RegisterInput,
    ) -> async_graphql::Result<AuthPayload> {
        let state = ctx.state();
        let acc = super::register(
            state,
            ctx.req().client_ip,
            NewAccount {
                username: input.username,
                password: input.password,
                display_name: input.display_name,
                email: input.email,
                phone: input.phone,
            },
            input.business.map(|b| NewBusiness {
                tax_code: b.tax_code,
                name: b.name,
            }),
            input.privacy.map(Into::into),
        )
        .await?;
        let tokens = super::sessions::start(state, &acc).await?;
        Ok(AuthPayload::new(tokens, acc))
    }

    /// Signs in with a user name, e-mail or phone number and a password.
    async fn login(
        &self,
        ctx: &Context<'_>,
        input: LoginInput,
    ) -> async_graphql::Result<AuthPayload> {
        let (tokens, acc) = super::login(
            ctx.state(),
            ctx.req().client_ip,
            &input.login,
            &input.password,
        )
        .await?;
        Ok(AuthPayload::new(tokens, acc))
    }

    /// Exchanges a refresh token for a new access token and a new refresh token; the one given
    /// is used up. Presenting a used refresh token again ends its session. It needs no
    /// `Authorization` header, and a request that only refreshes does not read one (the access
    /// token it would carry has usually expired).
    async fn refresh_token(
        &self,
        ctx: &Context<'_>,
        refresh_token: String,
    ) -> async_graphql::Result<AuthPayload> {
        let (tokens, acc) = super::sessions::refresh(ctx.state(), &refresh_token).await?;
        Ok(AuthPayload::new(tokens, acc))
    }

    /// Signs out: ends the session of the access token this is called with, so that its access
    /// and refresh tokens are refused from now on. With `everywhere: true`, ends every session
    /// of the account, on every device.
    async fn logout(
        &self,
        ctx: &Context<'_>,
        everywhere: Option<bool>,
    ) -> async_graphql::Result<LogoutPayload> {
        let n =
            super::sessions::logout(ctx.state(), ctx.actor(), everywhere.unwrap_or(false)).await?;
        Ok(LogoutPayload { sessions_ended: n })
    }

    /// Admins: creates an official, evaluator or data-protection account bound to a unit.
    async fn create_staff_account(
        &self,
        ctx: &Context<'_>,
        input: CreateStaffAccountInput,
    ) -> async_graphql::Result<Account> {
        let role = match input.role {
            StaffRole::Official => account::Role::Official,
            StaffRole::Evaluator => account::Role::Evaluator,
            StaffRole::DataProtection => account::Role::DataProtection,
        };
        let acc = super::create_staff(
            &ctx.state().db,
            ctx.actor(),
            NewAccount {
                username: input.username,
                password: input.password,
                display_name: input.display_name,
                email: input.email,
                phone: input.phone,
            },
            role,
            &input.unit,
        )
        .await?;
        Ok(Account::new(acc))
    }

    /// Admins: disables an account; every token it holds stops working at once.
    async fn disable_account(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Account> {
        Ok(Account::new(
            super::set_disabled(&ctx.state().db, ctx.actor(), &id, true).await?,
        ))
    }

    /// Admins: confirms that a business account speaks for the business whose tax code it
    /// claimed, ending the other claims of that tax code that wait (`REFUSED`); or refuses or
    /// withdraws the claim with `confirmed: false`. A tax code typed at registration proves
    /// nothing by itself.
    async fn confirm_business_account(
        &self,
        ctx: &Context<'_>,
        id: ID,
        confirmed: Option<bool>,
    ) -> async_graphql::Result<Account> {
        Ok(Account::new(
            super::confirm_business(&ctx.state().db, ctx.actor(), &id, confirmed.unwrap_or(true))
                .await?,
        ))
    }

    /// Admins: re-enables a disabled account (earlier tokens stay revoked).
    async fn enable_account(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Account> {
        Ok(Account::new(
            super::set_disabled(&ctx.state().db, ctx.actor(), &id, false).await?,
        ))
    }
}
