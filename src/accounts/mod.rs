//! Accounts: registration of citizens and businesses, sign-in, staff accounts created by admins,
//! and disabling an account (its tokens stop working at once).

pub mod graphql;

use std::net::IpAddr;

use chrono::{DateTime, Utc};
use entity::account::{self, Role};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter, Set,
    TransactionTrait,
};

use crate::auth::{Actor, TokenFor, password};
use crate::businesses::{self, TaxCode};
use crate::error::{AppError, AppResult, Msg, on_unique};
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

/// An e-mail address, trimmed and lower-cased; a plain shape check (one `@`, a dot after it).
pub fn parse_email(s: &str) -> AppResult<String> {
    let e = s.trim().to_lowercase();
    let ok = e.len() <= 254
        && !e.chars().any(char::is_whitespace)
        && match e.split_once('@') {
            Some((local, domain)) => {
                !local.is_empty()
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
                    && !domain.contains('@')
            }
            None => false,
        };
    if !ok {
        return Err(AppError::bad_input(
            "email",
            format!("Địa chỉ e-mail {e:?} không hợp lệ."),
            format!("{e:?} is not a valid e-mail address."),
        ));
    }
    Ok(e)
}

/// A Vietnamese phone number in national form: `+84 912 345 678` and `0912.345.678` both
/// become `0912345678` (10 digits starting with 0).
pub fn parse_phone(s: &str) -> AppResult<String> {
    let t: String = s
        .chars()
        .filter(|c| !matches!(c, ' ' | '.' | '-' | '(' | ')'))
        .collect();
    let national = if let Some(r) = t.strip_prefix("+84") {
        format!("0{r}")
    } else if let Some(r) = t.strip_prefix("84").filter(|r| r.len() == 9) {
        format!("0{r}")
    } else {
        t
    };
    if national.len() != 10
        || !national.starts_with('0')
        || !national.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(AppError::bad_input(
            "phone",
            format!("Số điện thoại {s:?} không hợp lệ (10 chữ số, bắt đầu bằng 0)."),
            format!("{s:?} is not a valid phone number (10 digits starting with 0)."),
        ));
    }
    Ok(national)
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
            .map(parse_email)
            .transpose()?,
        phone: a
            .phone
            .as_deref()
            .filter(|s| !s.trim().is_empty())
            .map(parse_phone)
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
    let now = Utc::now();
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
    let hash = password::hash(v.password.clone()).await?;
    let txn = state.db.begin().await?;
    let (role, business_id) = match biz {
        None => (Role::Citizen, None),
        Some((tax, name)) => {
            let (b, created) = businesses::find_or_create(&txn, &tax, &name).await?;
            if !created {
                let bound = account::Entity::find()
                    .filter(account::Column::BusinessId.eq(b.id.as_str()))
                    .one(&txn)
                    .await?;
                if bound.is_some() {
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
            (Role::Business, Some(b.id))
        }
    };
    let acc = insert(&txn, v, hash, role, None, business_id).await?;
    txn.commit().await?;
    Ok(acc)
}

/// Signs in with a user name, e-mail or phone number. Failed attempts are limited per account
/// and per client address; an unknown login costs as much time as a wrong password.
pub async fn login(
    state: &AppState,
    client: IpAddr,
    login: &str,
    pw: &str,
) -> AppResult<(String, DateTime<Utc>, account::Model)> {
    let login = login.trim().to_lowercase();
    let acct_key = format!("acct:{login}");
    let addr_key = format!("addr:{client}");
    let cfg = &state.config;
    for (key, limit) in [
        (&acct_key, cfg.login_failures_per_account),
        (&addr_key, cfg.login_failures_per_address),
    ] {
        if let Some(secs) = state.login_failures.blocked_for(key, limit) {
            return Err(AppError::RateLimited {
                msg: Msg::new(
                    format!("Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau {secs} giây."),
                    format!("Too many failed sign-ins. Try again in {secs} seconds."),
                ),
                retry_after_secs: secs,
            });
        }
    }
    let mut cond = Condition::any().add(account::Column::Username.eq(login.as_str()));
    if login.contains('@') {
        cond = cond.add(account::Column::Email.eq(login.as_str()));
    } else if let Ok(p) = parse_phone(&login) {
        cond = cond.add(account::Column::Phone.eq(p));
    }
    let acc = account::Entity::find().filter(cond).one(&state.db).await?;
    let ok = password::verify(
        pw.to_string(),
        acc.as_ref().map(|a| a.password_hash.clone()),
    )
    .await?;
    let acc = match acc {
        Some(a) if ok && !a.disabled => a,
        Some(a) if ok && a.disabled => {
            return Err(AppError::forbidden(
                "Tài khoản này đã bị khóa. Vui lòng liên hệ quản trị viên.",
                "This account is disabled. Contact an administrator.",
            ));
        }
        _ => {
            state.login_failures.hit(&acct_key);
            state.login_failures.hit(&addr_key);
            return Err(AppError::unauthenticated(
                "Sai tên đăng nhập hoặc mật khẩu.",
                "Wrong username or password.",
            ));
        }
    };
    state.login_failures.clear(&acct_key);
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
    Ok((token, exp, acc))
}

/// Creates an `OFFICIAL` or `EVALUATOR` account bound to a unit (admins only).
pub async fn create_staff(
    db: &DatabaseConnection,
    actor: &Actor,
    input: NewAccount,
    role: Role,
    unit_id: &str,
) -> AppResult<account::Model> {
    actor.require_role(&[Role::Admin])?;
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
    let me = actor.require_role(&[Role::Admin])?;
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

pub async fn find(db: &DatabaseConnection, id: &str) -> AppResult<Option<account::Model>> {
    Ok(account::Entity::find_by_id(id.to_string()).one(db).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones() {
        assert_eq!(parse_phone("+84 912 345 678").unwrap(), "0912345678");
        assert_eq!(parse_phone("0912.345.678").unwrap(), "0912345678");
        assert_eq!(parse_phone("84912345678").unwrap(), "0912345678");
        assert!(parse_phone("12345").is_err());
        assert!(parse_phone("09123456ab").is_err());
    }

    #[test]
    fn emails_and_usernames() {
        assert_eq!(parse_email(" An@Example.VN ").unwrap(), "an@example.vn");
        assert!(parse_email("an@").is_err());
        assert!(parse_email("an example@x.vn").is_err());
        assert_eq!(parse_username("Nguyen.Van_A").unwrap(), "nguyen.van_a");
        assert!(parse_username("ng").is_err());
        assert!(parse_username("nguyễn").is_err());
    }
}
