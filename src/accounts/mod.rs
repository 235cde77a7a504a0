//! Accounts: registration of citizens and businesses, sign-in, staff accounts created by admins,
//! and disabling an account (its tokens stop working at once).

pub mod graphql;

use std::net::IpAddr;

use chrono::{DateTime, Utc};
use entity::account::{self, Role};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter, Set,
};

use crate::auth::limits::{self, LoginAttempt};
use crate::auth::{Actor, TokenFor, password};
use crate::businesses::{self, TaxCode};
use crate::contact::{Email, Phone};
use crate::error::{AppError, AppResult, on_unique};
use crate::state::AppState;
use crate::text;

/// A user name: 3–64 of a–z, 0–9, `.`, `_`, `-`, stored in lower case.
pub fn parse_username(s: &str) -> AppResult<String> {
    let u = s.trim().to_lowercase();
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
        display_name: text::required("displayName", &a.display_name, 200)?,
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

fn taken() -> AppError {
    AppError::conflict(
        "Tên đăng nhập, e-mail hoặc số điện thoại đã được dùng cho một tài khoản khác.",
        "The username, e-mail or phone number is already used by another account.",
    )
}

async fn insert(
    db: &impl sea_orm::ConnectionTrait,
    v: ValidAccount,
    hash: String,
    role: Role,
    unit_id: Option<String>,
    business_id: Option<String>,
) -> AppResult<account::Model> {
    let now = crate::clock::now();
    account::ActiveModel {
        id: Set(uuid::Uuid::now_v7().to_string()),
        username: Set(v.username),
        email: Set(v.email),
        phone: Set(v.phone),
        password_hash: Set(hash),
        display_name: Set(v.display_name),
        role: Set(role),
        unit_id: Set(unit_id),
        business_id: Set(business_id),
        disabled: Set(false),
        token_version: Set(0),
        created_at: Set(now),
        business_confirmed_at: Set(None),
        business_confirmed_by: Set(None),
    }
    .insert(db)
    .await
    .map_err(|e| on_unique(e, taken()))
}

/// Registers a citizen, or a business account when `business` is given (creating the business
/// record; a tax code that already has an account is `CONFLICT`, since anyone could otherwise
/// speak for a company).
pub async fn register(
    state: &AppState,
    client: IpAddr,
    input: NewAccount,
    business: Option<NewBusiness>,
) -> AppResult<account::Model> {
    let v = validate(input)?;
    let biz = match business {
        None => None,
        Some(b) => Some((
            TaxCode::parse(&b.tax_code)?,
            text::required("business.name", &b.name, 300)?,
        )),
    };
    // Counted before anything is written: a limited address gets its answer and no account.
    limits::registration(&state.limits, &state.config, client).await?;
    let hash = password::hash(v.password.clone()).await?;
    // Looked up in the transaction that may create the business (writes are serialised on
    // SQLite, see `db::WriteTxn`).
    let txn = crate::db::begin(&state.db).await?;
    let known = match &biz {
        Some((tax, _)) => businesses::find_by_tax_code(&txn, tax).await?,
        None => None,
    };
    let (role, business_id) = match (&biz, known) {
        (None, _) => (Role::Citizen, None),
        (Some(_), Some(b)) => (Role::Business, Some(b.id)),
        (Some((tax, name)), None) => {
            let b = businesses::create(&txn, tax, name).await?;
            (Role::Business, Some(b.id))
        }
    };
    let acc = insert(&txn, v, hash, role, None, business_id.clone()).await?;
    if let (Some((tax, _)), Some(b)) = (&biz, &business_id) {
        // One account per business at registration: another is added by whoever manages it.
        let others = account::Entity::find()
            .filter(account::Column::BusinessId.eq(b.as_str()))
            .filter(account::Column::Id.ne(acc.id.as_str()))
            .one(&txn)
            .await?;
        if others.is_some() {
            drop(txn);
            return Err(AppError::conflict(
                format!(
                    "Doanh nghiệp có mã số thuế {tax} đã có tài khoản; hãy liên hệ người quản lý tài khoản đó."
                ),
                format!(
                    "The business with tax code {tax} already has an account; ask whoever manages it."
                ),
            ));
        }
    }
    txn.commit().await?;
    Ok(acc)
}

/// Signs in with a user name, e-mail or phone number. Failed attempts are limited per client
/// address, and per account once the login resolves to one (so that spellings of one phone
/// number share a count); an unknown login is counted by its normalised form. Each attempt is
/// checked before the password is, and a wrong password counted (see
/// [`crate::auth::limits::LoginAttempt`]). An unknown login costs as much time as a wrong password.
pub async fn login(
    state: &AppState,
    client: IpAddr,
    login: &str,
    pw: &str,
) -> AppResult<(String, DateTime<Utc>, account::Model)> {
    let login = login.trim().to_lowercase();
    let phone = Phone::parse(&login).ok().map(Phone::into_string);
    let mut cond = Condition::any().add(account::Column::Username.eq(login.as_str()));
    if login.contains('@') {
        cond = cond.add(account::Column::Email.eq(login.as_str()));
    } else if let Some(p) = &phone {
        cond = cond.add(account::Column::Phone.eq(p.as_str()));
    }
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
    let (token, exp) = issue_token(state, &acc)?;
    Ok((token, exp, acc))
}

/// A token for an account that has just proven itself (signed in or registered).
pub fn issue_token(state: &AppState, acc: &account::Model) -> AppResult<(String, DateTime<Utc>)> {
    let (token, claims) = state.keys.issue(
        TokenFor {
            sub: acc.id.clone(),
            role: acc.role,
            unit: acc.unit_id.clone(),
            business: acc.business_id.clone(),
            ver: Some(acc.token_version),
        },
        None,
    )?;
    let exp = DateTime::from_timestamp(claims.exp, 0).unwrap_or_else(Utc::now);
    Ok((token, exp))
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
    if !matches!(role, Role::Official | Role::Evaluator) {
        return Err(AppError::bad_input(
            "role",
            "Chỉ tạo được tài khoản cán bộ (OFFICIAL) hoặc thẩm định (EVALUATOR).",
            "Only OFFICIAL or EVALUATOR accounts can be created here.",
        ));
    }
    let v = validate(input)?;
    crate::units::require(db, "unit", unit_id).await?;
    let hash = password::hash(v.password.clone()).await?;
    insert(db, v, hash, role, Some(unit_id.to_string()), None).await
}

/// Disables or re-enables an account (admins only). Disabling revokes every token issued so far.
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

/// Confirms (or withdraws) that a business account speaks for its business (admins only): a
/// tax code typed at registration proves nothing, so the business's dialogues, the issues
/// recorded for it and its dossiers' ratings wait for this.
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
    if acc.business_id.is_none() {
        return Err(AppError::bad_input(
            "account",
            "Tài khoản này không gắn với doanh nghiệp nào.",
            "This account is not bound to a business.",
        ));
    }
    let (at, by) = if confirmed {
        (Some(crate::clock::now()), Some(me.subject.clone()))
    } else {
        (None, None)
    };
    account::Entity::update_many()
        .col_expr(account::Column::BusinessConfirmedAt, Expr::value(at))
        .col_expr(account::Column::BusinessConfirmedBy, Expr::value(by))
        .filter(account::Column::Id.eq(id))
        .exec(db)
        .await?;
    find(db, id)
        .await?
        .ok_or_else(|| AppError::internal("account vanished after update"))
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
    }
}
