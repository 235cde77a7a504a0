//! Who is making a request. No `Authorization` header means anonymous; a header that does not
//! carry a valid token is refused with `UNAUTHENTICATED`, never downgraded to anonymous.
//!
//! An account's token is checked against the database on every request, in one query: the
//! account must be enabled and at the token's version (`disableAccount` and signing out
//! everywhere move the version on), and the session the token names must not have ended.

use entity::account::{self, Role};
use entity::session;
use sea_orm::EntityTrait;

use super::jwt::SCRIPT_SUBJECT_PREFIX;
use crate::error::AppError;
use crate::state::AppState;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The token's subject: an account id or `script:<role>`.
    pub subject: String,
    pub account_id: Option<String>,
    pub role: Role,
    pub unit_id: Option<String>,
    pub business_id: Option<String>,
    /// The session of an account's token (`logout` ends it); none for scripts.
    pub session_id: Option<String>,
    /// Whether the account has been confirmed as someone: a business account whose claim an
    /// admin confirmed, a citizen who holds a confirmed contact. Staff accounts (made by an
    /// admin) and scripts are. An unconfirmed account is a throwaway until shown otherwise,
    /// and shares the anonymous limits of its client address.
    pub confirmed: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    Anonymous,
    User(Principal),
}

impl Actor {
    pub fn principal(&self) -> Option<&Principal> {
        match self {
            Actor::Anonymous => None,
            Actor::User(p) => Some(p),
        }
    }

    pub fn role(&self) -> Option<Role> {
        self.principal().map(|p| p.role)
    }

    pub fn is_admin(&self) -> bool {
        self.role() == Some(Role::Admin)
    }

    /// The signed-in principal, or `UNAUTHENTICATED`.
    pub fn signed_in(&self) -> Result<&Principal, AppError> {
        self.principal().ok_or_else(AppError::sign_in_required)
    }

    /// The principal if its role is one of `roles`; `UNAUTHENTICATED` when anonymous,
    /// `FORBIDDEN` otherwise.
    pub fn require_role(&self, roles: &[Role]) -> Result<&Principal, AppError> {
        let p = self.signed_in()?;
        if roles.contains(&p.role) {
            Ok(p)
        } else {
            Err(AppError::not_allowed())
        }
    }

    /// Reads the `Authorization` header value, if any.
    pub async fn from_header(state: &AppState, header: Option<&str>) -> Result<Actor, AppError> {
        let Some(h) = header else {
            return Ok(Actor::Anonymous);
        };
        let token = h
            .strip_prefix("Bearer ")
            .or_else(|| h.strip_prefix("bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                AppError::unauthenticated(
                    "Tiêu đề Authorization phải có dạng \"Bearer <mã truy cập>\".",
                    "The Authorization header must be \"Bearer <token>\".",
                )
            })?;
        let claims = state.keys.verify(token)?;
        if claims.sub.starts_with(SCRIPT_SUBJECT_PREFIX) {
            return Ok(Actor::User(Principal {
                subject: claims.sub,
                account_id: None,
                role: claims.role,
                unit_id: claims.unit,
                business_id: claims.business,
                session_id: None,
                confirmed: true,
            }));
        }
        // Account tokens follow the account as it is now: a disabled account's tokens stop
        // working at once, and a changed role or unit takes effect without a new token. Every
        // account token names its session; one without (issued before sessions existed) cannot
        // be signed out, so it is refused and its holder signs in again.
        let sid = claims.sid.clone().ok_or_else(revoked)?;
        let (sess, acc) = session::Entity::find_by_id(sid)
            .find_also_related(account::Entity)
            .one(&state.db)
            .await?
            .ok_or_else(revoked)?;
        let acc = acc.ok_or_else(revoked)?;
        if sess.account_id != claims.sub {
            return Err(revoked());
        }
        if sess.ended_at.is_some() {
            return Err(session_ended());
        }
        if acc.disabled || claims.ver != Some(acc.token_version) {
            return Err(revoked());
        }
        let confirmed = match acc.role {
            Role::Business => acc.business_confirmed_at.is_some(),
            Role::Citizen => acc.email.is_some() || acc.phone.is_some(),
            Role::Official | Role::Evaluator | Role::Admin | Role::DataProtection => true,
        };
        Ok(Actor::User(Principal {
            subject: claims.sub,
            account_id: Some(acc.id),
            session_id: Some(sess.id),
            confirmed,
            role: acc.role,
            unit_id: acc.unit_id,
            // A business account speaks for its business once an admin confirmed it.
            business_id: acc
                .business_id
                .filter(|_| acc.business_confirmed_at.is_some()),
        }))
    }
}

/// The account is disabled, signed out everywhere, or the token names no session of it.
pub fn revoked() -> AppError {
    AppError::unauthenticated(
        "Tài khoản đã bị khóa hoặc mã truy cập đã bị thu hồi.",
        "The account is disabled or the token was revoked.",
    )
}

/// The token's session has ended (signed out, or its refresh token was used twice).
pub fn session_ended() -> AppError {
    AppError::unauthenticated(
        "Phiên đăng nhập đã kết thúc. Vui lòng đăng nhập lại.",
        "This session has ended. Please sign in again.",
    )
}
