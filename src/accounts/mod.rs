//! Accounts: registration of citizens and businesses, sign-in, staff accounts created by admins,
//! and disabling an account (its tokens stop working at once). Sign-in sessions, their tokens
//! and signing out are in [`sessions`].

pub mod graphql;
pub mod sessions;

use std::net::IpAddr;

use entity::account::{self, ClaimStatus, Role};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};

use crate::auth::limits::{self, LoginAttempt};
use crate::auth::{Actor, password};
use crate::businesses::{self, TaxCode};
use crate::contact::{Email, Phone};
use crate::error::{AppError, AppResult, on_unique};
use crate::state::AppState;
use crate::text;

/// A user name: 3–64 of a–z, 0–9, `.`, `_`, `-`, stored in lower case. It is never a phone
/// number or an e-mail address: those sign in as the contacts an account holds, and a user name
/// equal to someone's phone number would take over sign-in by that number.
pub fn parse_username(s: &str) -> AppResult<String> {
    let u = s.trim().to_lowercase();
    if u.contains('@') || Phone::parse(&u).is_ok() {
        return Err(AppError::bad_input(
            "username",
            "Tên đăng nhập không được là số điện thoại hay địa chỉ e-mail.",
            "A username must not be a phone number or an e-mail address.",
        ));
    }
    let ok = (3..=64).contains(&u.len())
        && u.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b));
    if !ok {
        return Err(AppError::bad_input(
            "username",
            "Tên đăng nhập gồm 3–64 ký tự a–z, 0–9, dấu chấm, gạch dưới hoặc gạch ngang.",
            "A username is 3–64 characters of a–z, 0–9, '.', '_' or '-'.",
        ));
    }
    Ok(u)
}

fn parse_password(p: &str) -> AppResult<String> {
    let n = p.chars().count();
    if !(8..=128).contains(&n) {
        return Err(AppError::bad_input(
            "password",
            "Mật khẩu phải dài từ 8 đến 128 ký tự.",
            "A password must be 8 to 128 characters long.",
        ));
    }
    Ok(p.to_string())
}

/// Input of `register` and of the staff-account mutation.
#[derive(Debug, Clone, Default)]
pub struct NewAccount {
    pub username: String,
    pub password: String,
    pub display_name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
}

/// A business registering: its tax code and name.
#[derive(Debug, Clone)]
pub struct NewBusiness {
    pub tax_code: String,
    pub name: String,
}

struct ValidAccount {
    username: String,
    password: String,
    display_name: String,
    email: Option<String>,
    phone: Option<String>,
}

fn validate(a: NewAccount) -> AppResult<ValidAccount> {
    Ok(ValidAccount {
        username: parse_username(&a.username)?,
        password: parse_password(&a.password)?,
        // A name is shown to others on one line, as a complaint's title is.
        display_name: text::one_line("displayName", &a.display_name, 200)?,
        email: a
            .email
            .as_deref()
            .filter(|s| !s.trim().is_empty())
            .map(|e| Email::parse(e).map(Email::into_string))
            .transpose()?,
        phone: a
            .phone
            .as_deref()
            .filter(|s| !s.trim().is_empty())
            .map(|p| Phone::parse(p).map(Phone::into_string))
            .transpose()?,
    })
}

/// Staff accounts: the admin who creates one vouches for its contacts, so they are told when
/// one is taken.
fn taken() -> AppError {
    AppError::conflict(
        "Tên đăng nhập, e-mail hoặc số điện thoại đã được dùng cho một tài khoản khác.",
        "The username, e-mail or phone number is already used by another account.",
    )
}

/// Registration: only the user name can collide (contacts and tax codes are claims that
/// collide with nothing), and it is the one thing the person must change.
fn username_taken() -> AppError {
    AppError::conflict(
        "Tên đăng nhập này không dùng được; hãy chọn tên khác.",
        "This username is not available; choose another.",
    )
}

/// What a new account starts with, besides its name and password.
struct Standing {
    role: Role,
    unit_id: Option<String>,
    /// Whether the contacts are held at once (an admin vouches for staff) or wait for
    /// confirmation (registration).
    contacts_held: bool,
    /// A business claim: the tax code and the name as given.
    claim: Option<(TaxCode, String)>,
    /// The personal-data notice shown at registration.
    notice_version: Option<i32>,
}

async fn insert(
    db: &impl sea_orm::ConnectionTrait,
    v: ValidAccount,
    hash: String,
    s: Standing,
    on_taken: AppError,
) -> AppResult<account::Model> {
    let now = crate::clock::now();
    let (held, pending) = if s.contacts_held {
        ((v.email, v.phone), (None, None))
    } else {
        ((None, None), (v.email, v.phone))
    };
    let (claim_tax_code, claim_business_name, claim_status) = match s.claim {
        Some((tax, name)) => (
            Some(tax.as_str().to_string()),
            Some(name),
            Some(ClaimStatus::Pending),
        ),
        None => (None, None, None),
    };
    account::ActiveModel {
        id: Set(uuid::Uuid::now_v7().to_string()),
        username: Set(v.username),
        email: Set(held.0),
        phone: Set(held.1),
        password_hash: Set(hash),
        display_name: Set(v.display_name),
        role: Set(s.role),
        unit_id: Set(s.unit_id),
        business_id: Set(None),
        disabled: Set(false),
        token_version: Set(0),
        created_at: Set(now),
        business_confirmed_at: Set(None),
        business_confirmed_by: Set(None),
        pending_email: Set(pending.0),
        pending_phone: Set(pending.1),
        claim_tax_code: Set(claim_tax_code),
        claim_business_name: Set(claim_business_name),
        claim_status: Set(claim_status),
        deleted_at: Set(None),
        notice_version: Set(s.notice_version),
        lang: Set(Some(crate::error::Lang::current().code().to_string())),
    }
    .insert(db)
    .await
    .map_err(|e| on_unique(e, on_taken))
}

/// Registers a citizen, or a business account when `business` is given.
///
/// What is typed here proves nothing, so it blocks nobody and reveals nothing:
/// - The e-mail and phone wait unconfirmed on the account (`pending_email`, `pending_phone`):
///   they are neither unique nor sign-in names, so the answer is the same whether another
///   account holds them or not.
/// - The tax code is a claim that waits for an admin ([`confirm_business`]); any number of
///   claims of one tax code may wait, and registration never reads the business registry, so
///   it neither refuses a tax code that has an account nor shows a registered business's name.
/// - Only a user name can be taken, and is said to be (the person must choose another; a user
///   name is never a phone or e-mail, so this reveals no contact). The password is hashed
///   before the name is tried, so a taken name answers in the time a new account takes.
pub async fn register(
    state: &AppState,
    client: IpAddr,
    input: NewAccount,
    business: Option<NewBusiness>,
    privacy: Option<crate::privacy::Choices>,
) -> AppResult<account::Model> {
    let v = validate(input)?;
    if let Some(p) = &privacy {
        crate::privacy::check_choices(&state.db, "input.privacy", p).await?;
    }
    let claim = match business {
        None => None,
        Some(b) => Some((
            TaxCode::parse(&b.tax_code)?,
            text::one_line("business.name", &b.name, 300)?,
        )),
    };
    // Counted before anything is written: a limited address gets its answer and no account.
    limits::registration(&state.limits, &state.config, client).await?;
    let hash = password::hash(v.password.clone()).await?;
    // When contacts can be confirmed (notifications do not exist yet), a contact that another
    // account already holds must not be confirmed for this one: the message sent to that
    // contact says it is already registered (with a way to sign in or reset), never this
    // response. Until then every registered contact waits, so nothing here depends on it.
    let role = if claim.is_some() {
        Role::Business
    } else {
        Role::Citizen
    };
    let standing = Standing {
        role,
        unit_id: None,
        contacts_held: false,
        claim,
        notice_version: privacy.as_ref().map(|p| p.notice_version),
    };
    let Some(choices) = privacy else {
        return insert(&state.db, v, hash, standing, username_taken()).await;
    };
    let txn = crate::db::begin(&state.db).await?;
    let acc = insert(&*txn, v, hash, standing, username_taken()).await?;
    crate::privacy::record_choices(
        &*txn,
        &crate::privacy::Subject::Account(acc.id.clone()),
        &choices,
        &crate::auth::Actor::Anonymous,
        acc.created_at,
    )
    .await?;
    txn.commit().await?;
    Ok(acc)
}

/// Signs in with a user name, e-mail or phone number. Failed attempts are limited per client
/// address, and per account once the login resolves to one (so that spellings of one phone
/// number share a count); an unknown login is counted by its normalised form. Each attempt is
/// checked before the password is, and a wrong password counted (see
/// [`crate::auth::limits::LoginAttempt`]). An unknown login costs as much time as a wrong password.
/// A successful sign-in starts a session ([`sessions::start`]).
pub async fn login(
    state: &AppState,
    client: IpAddr,
    login: &str,
    pw: &str,
) -> AppResult<(sessions::Tokens, account::Model)> {
    let login = login.trim().to_lowercase();
    let phone = Phone::parse(&login).ok().map(Phone::into_string);
    // A login is one kind of name: an e-mail or a phone number finds only the account that
    // holds it (confirmed), never a user name spelt like it, nor a contact that waits.
    let cond = if login.contains('@') {
        account::Column::Email.eq(login.as_str())
    } else if let Some(p) = &phone {
        account::Column::Phone.eq(p.as_str())
    } else {
        account::Column::Username.eq(login.as_str())
    };
    let acc = account::Entity::find().filter(cond).one(&state.db).await?;
    let target = match &acc {
        Some(a) => format!("acct:{}", a.id),
        None => format!("login:{}", phone.as_deref().unwrap_or(&login)),
    };
    let attempt = LoginAttempt::check(&state.limits, &state.config, client, target).await?;
    let ok = password::verify(
        pw.to_string(),
        acc.as_ref().map(|a| a.password_hash.clone()),
    )
    .await?;
    let acc = match acc {
        Some(a) if ok && !a.disabled => a,
        Some(a) if ok && a.disabled => {
            attempt.succeeded().await?;
            return Err(AppError::forbidden(
                "Tài khoản này đã bị khóa. Vui lòng liên hệ quản trị viên.",
                "This account is disabled. Contact an administrator.",
            ));
        }
        _ => {
            attempt.failed().await?;
            return Err(AppError::unauthenticated(
                "Sai tên đăng nhập hoặc mật khẩu.",
                "Wrong username or password.",
            ));
        }
    };
    attempt.succeeded().await?;
    let tokens = sessions::start(state, &acc).await?;
    Ok((tokens, acc))
}

/// Creates an `OFFICIAL` or `EVALUATOR` account bound to a unit (admins only).
pub async fn create_staff(
    db: &DatabaseConnection,
    actor: &Actor,
    input: NewAccount,
    role: Role,
    unit_id: &str,
) -> AppResult<account::Model> {
    crate::access::require_admin(actor)?;
    if !matches!(
        role,
        Role::Official | Role::Evaluator | Role::DataProtection
    ) {
        return Err(AppError::bad_input(
            "role",
            "Chỉ tạo được tài khoản cán bộ (OFFICIAL) hoặc thẩm định (EVALUATOR).",
            "Only OFFICIAL or EVALUATOR accounts can be created here.",
        ));
    }
    let v = validate(input)?;
    crate::units::require(db, "unit", unit_id).await?;
    let hash = password::hash(v.password.clone()).await?;
    let standing = Standing {
        role,
        unit_id: Some(unit_id.to_string()),
        contacts_held: true,
        claim: None,
        notice_version: None,
    };
    insert(db, v, hash, standing, taken()).await
}

/// Disables or re-enables an account (admins only). Disabling revokes every token issued so far:
/// access tokens by the token version they carry, sessions (their refresh tokens) by the one
/// they were started at.
pub async fn set_disabled(
    db: &DatabaseConnection,
    actor: &Actor,
    id: &str,
    disabled: bool,
) -> AppResult<account::Model> {
    let me = crate::access::require_admin(actor)?;
    if disabled && me.account_id.as_deref() == Some(id) {
        return Err(AppError::conflict(
            "Không thể tự khóa tài khoản của chính mình.",
            "You cannot disable your own account.",
        ));
    }
    let mut upd = account::Entity::update_many()
        .col_expr(account::Column::Disabled, Expr::value(disabled))
        .filter(account::Column::Id.eq(id));
    if disabled {
        upd = upd.col_expr(
            account::Column::TokenVersion,
            Expr::col(account::Column::TokenVersion).add(1),
        );
    }
    let res = upd.exec(db).await?;
    if res.rows_affected == 0 {
        return Err(AppError::not_found(
            format!("Không tìm thấy tài khoản {id}."),
            format!("Account {id} was not found."),
        ));
    }
    account::Entity::find_by_id(id.to_string())
        .one(db)
        .await?
        .ok_or_else(|| AppError::internal("account vanished after update"))
}

/// Confirms (or refuses, or withdraws) that a business account speaks for the business whose
/// tax code it claimed (admins only): a tax code typed at registration proves nothing, so the
/// business's dialogues, the issues recorded for it and its dossiers' ratings wait for this.
///
/// Confirming binds the account to the business (creating its record from the claim when the
/// registry has none) and ends every other claim of that tax code still waiting: they are
/// `REFUSED` and stay unbound. Refusing (`confirmed: false`) unbinds the account at once.
pub async fn confirm_business(
    db: &DatabaseConnection,
    actor: &Actor,
    id: &str,
    confirmed: bool,
) -> AppResult<account::Model> {
    let me = crate::access::require_admin(actor)?;
    let acc = find(db, id).await?.ok_or_else(|| {
        AppError::not_found(
            format!("Không tìm thấy tài khoản {id}."),
            format!("Account {id} was not found."),
        )
    })?;
    let Some(tax) = acc.claim_tax_code.as_deref() else {
        return Err(AppError::bad_input(
            "account",
            "Tài khoản này không gắn với doanh nghiệp nào.",
            "This account is not bound to a business.",
        ));
    };
    let tax = TaxCode::parse(tax)?;
    let txn = crate::db::begin(db).await?;
    let (business_id, at, by, status) = if confirmed {
        let name = acc.claim_business_name.as_deref().unwrap_or_default();
        let (b, _) = businesses::find_or_create(&txn, &tax, name).await?;
        // The other claims of this tax code still waiting end here.
        account::Entity::update_many()
            .col_expr(
                account::Column::ClaimStatus,
                Expr::value(ClaimStatus::Refused),
            )
            .filter(account::Column::ClaimTaxCode.eq(tax.as_str()))
            .filter(account::Column::ClaimStatus.eq(ClaimStatus::Pending))
            .filter(account::Column::Id.ne(id))
            .exec(&txn)
            .await?;
        (
            Some(b.id),
            Some(crate::clock::now()),
            Some(me.subject.clone()),
            ClaimStatus::Confirmed,
        )
    } else {
        (None, None, None, ClaimStatus::Refused)
    };
    account::Entity::update_many()
        .col_expr(account::Column::BusinessId, Expr::value(business_id))
        .col_expr(account::Column::BusinessConfirmedAt, Expr::value(at))
        .col_expr(account::Column::BusinessConfirmedBy, Expr::value(by))
        .col_expr(account::Column::ClaimStatus, Expr::value(status))
        .filter(account::Column::Id.eq(id))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    find(db, id)
        .await?
        .ok_or_else(|| AppError::internal("account vanished after update"))
}

/// The e-mail an account gave: the one it holds, else the one waiting for confirmation.
pub fn given_email(a: &account::Model) -> Option<&str> {
    a.email.as_deref().or(a.pending_email.as_deref())
}

/// The phone number an account gave: the one it holds, else the one waiting for confirmation.
pub fn given_phone(a: &account::Model) -> Option<&str> {
    a.phone.as_deref().or(a.pending_phone.as_deref())
}

pub async fn find(db: &DatabaseConnection, id: &str) -> AppResult<Option<account::Model>> {
    Ok(account::Entity::find_by_id(id.to_string()).one(db).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames() {
        assert_eq!(parse_username("Nguyen.Van_A").unwrap(), "nguyen.van_a");
        assert!(parse_username("ng").is_err());
        assert!(parse_username("nguyễn").is_err());
        assert_eq!(parse_username("user2024").unwrap(), "user2024");
    }

    #[test]
    fn usernames_are_never_phones_or_emails() {
        for s in [
            "0912345678",
            "0912.345.678",
            "0912-345-678",
            "84912345678",
            "a@b.vn",
        ] {
            let e = parse_username(s).unwrap_err();
            assert!(format!("{e:?}").contains("username"), "{s}: {e:?}");
        }
    }
}
