//! Sessions that can end. Each sign-in (`login`, `register`) starts a session and gets two
//! tokens: a short-lived access token (a JWT naming the session, `sid`) and a long-lived
//! refresh token (random, not a JWT) that `refreshToken` exchanges for a new pair.
//!
//! - Refresh tokens are stored only as SHA-256 hashes: a copy of the table signs no one in.
//! - Each refresh token works once. Its exchange marks it used; a used one presented again
//!   means two parties hold the session (the thief or the owner, whichever comes second), so
//!   the whole session ends and both sign in again (the "reuse detection" of OAuth 2.0 BCP).
//! - `logout` ends the caller's session: its access tokens are refused from the next request
//!   (`crate::auth::actor` reads the session with the account, in the same query) and its
//!   refresh tokens can no longer be exchanged. `everywhere` ends every session of the account
//!   by moving its token version on, the way `disableAccount` does, so a token of any session
//!   stops at once; the sessions are marked ended too.
//! - A session remembers the account's token version at sign-in: a disabled account, or one
//!   signed out everywhere, cannot refresh, even once re-enabled.
//!
//! Token lifetimes run on the machine's clock, not the city's (`crate::clock`), as the JWT's do.

use chrono::{DateTime, Utc};
use entity::account;
use entity::refresh_token;
use entity::session::{self, EndReason};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};
use sha2::Digest;

use crate::auth::actor::{revoked, session_ended};
use crate::auth::{Actor, TokenFor};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// The tokens of a session, as handed to its holder.
#[derive(Debug, Clone)]
pub struct Tokens {
    /// Sent as `Authorization: Bearer <access_token>`.
    pub access_token: String,
    pub access_expires_at: DateTime<Utc>,
    /// Exchanged once with `refreshToken`.
    pub refresh_token: String,
    pub refresh_expires_at: DateTime<Utc>,
}

/// The stored form of a refresh token. The token carries 256 random bits, so a plain hash is
/// enough: there is nothing to guess, and no slow hash is needed on every refresh.
pub fn refresh_hash(token: &str) -> String {
    let mut h = sha2::Sha256::new();
    h.update(b"gopy-refresh-token:v1:");
    h.update(token.as_bytes());
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// A new refresh token: 32 random bytes, base64url (43 characters).
fn new_refresh_token() -> String {
    use base64::Engine;
    let bytes: [u8; 32] = rand::random();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn ttl(d: std::time::Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}

/// An access token of the account for the session.
fn access_token(
    state: &AppState,
    acc: &account::Model,
    session_id: &str,
) -> AppResult<(String, DateTime<Utc>)> {
    let (token, claims) = state.keys.issue(
        TokenFor {
            sub: acc.id.clone(),
            role: acc.role,
            unit: acc.unit_id.clone(),
            business: acc.business_id.clone(),
            ver: Some(acc.token_version),
            sid: Some(session_id.to_string()),
        },
        None,
    )?;
    let exp = DateTime::from_timestamp(claims.exp, 0).unwrap_or_else(Utc::now);
    Ok((token, exp))
}

fn refresh_row(
    hash: String,
    session_id: &str,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> refresh_token::ActiveModel {
    refresh_token::ActiveModel {
        token_hash: Set(hash),
        session_id: Set(session_id.to_string()),
        created_at: Set(now),
        expires_at: Set(expires_at),
        used_at: Set(None),
    }
}

/// Starts a session for an account that has just proven itself (signed in or registered).
pub async fn start(state: &AppState, acc: &account::Model) -> AppResult<Tokens> {
    let now = Utc::now();
    let id = uuid::Uuid::now_v7().to_string();
    let refresh = new_refresh_token();
    let refresh_expires_at = now + ttl(state.config.refresh_token_ttl);
    let txn = crate::db::begin(&state.db).await?;
    session::ActiveModel {
        id: Set(id.clone()),
        account_id: Set(acc.id.clone()),
        token_version: Set(acc.token_version),
        created_at: Set(now),
        expires_at: Set(refresh_expires_at),
        ended_at: Set(None),
        end_reason: Set(None),
    }
    .insert(&txn)
    .await?;
    refresh_row(refresh_hash(&refresh), &id, now, refresh_expires_at)
        .insert(&txn)
        .await?;
    txn.commit().await?;
    let (access_token, access_expires_at) = access_token(state, acc, &id)?;
    Ok(Tokens {
        access_token,
        access_expires_at,
        refresh_token: refresh,
        refresh_expires_at,
    })
}

fn invalid_refresh() -> AppError {
    AppError::unauthenticated(
        "Mã làm mới phiên không hợp lệ. Vui lòng đăng nhập lại.",
        "The refresh token is invalid. Please sign in again.",
    )
}

fn expired_refresh() -> AppError {
    AppError::unauthenticated(
        "Mã làm mới phiên đã hết hạn. Vui lòng đăng nhập lại.",
        "The refresh token has expired. Please sign in again.",
    )
}

fn reused_refresh() -> AppError {
    AppError::unauthenticated(
        "Mã làm mới phiên này đã được dùng. Để an toàn, phiên đăng nhập đã bị kết thúc; vui lòng đăng nhập lại.",
        "This refresh token was already used. For safety the session has been ended; please sign in again.",
    )
}

/// Ends one session (if it has not ended), for `reason`.
async fn end_session(db: &DatabaseConnection, id: &str, reason: EndReason) -> AppResult<u64> {
    let res = session::Entity::update_many()
        .col_expr(session::Column::EndedAt, Expr::value(Utc::now()))
        .col_expr(session::Column::EndReason, Expr::value(reason))
        .filter(session::Column::Id.eq(id))
        .filter(session::Column::EndedAt.is_null())
        .exec(db)
        .await?;
    Ok(res.rows_affected)
}

/// Exchanges a refresh token for a new access token and a new refresh token (the presented one
/// is used up). Refused with `UNAUTHENTICATED`: an unknown token, one expired, one whose session
/// ended, one of a disabled account or of an account signed out everywhere since, and one
/// already exchanged, which also ends its session.
pub async fn refresh(state: &AppState, presented: &str) -> AppResult<(Tokens, account::Model)> {
    let db = &state.db;
    let hash = refresh_hash(presented.trim());
    let row = refresh_token::Entity::find_by_id(hash.clone())
        .one(db)
        .await?
        .ok_or_else(invalid_refresh)?;
    if row.used_at.is_some() {
        end_session(db, &row.session_id, EndReason::Reuse).await?;
        tracing::warn!(session = %row.session_id, "a used refresh token came again: session ended");
        return Err(reused_refresh());
    }
    let (sess, acc) = session::Entity::find_by_id(row.session_id.clone())
        .find_also_related(account::Entity)
        .one(db)
        .await?
        .ok_or_else(invalid_refresh)?;
    if sess.ended_at.is_some() {
        return Err(session_ended());
    }
    let now = Utc::now();
    if row.expires_at <= now {
        return Err(expired_refresh());
    }
    let acc = acc.ok_or_else(revoked)?;
    if acc.disabled || acc.token_version != sess.token_version {
        return Err(revoked());
    }
    let next = new_refresh_token();
    let next_expires_at = now + ttl(state.config.refresh_token_ttl);
    let txn = crate::db::begin(db).await?;
    // The token is used up here, once: of two exchanges racing, one finds it taken.
    let taken = refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::UsedAt, Expr::value(now))
        .filter(refresh_token::Column::TokenHash.eq(hash.as_str()))
        .filter(refresh_token::Column::UsedAt.is_null())
        .exec(&txn)
        .await?;
    if taken.rows_affected == 0 {
        txn.rollback().await?;
        end_session(db, &sess.id, EndReason::Reuse).await?;
        tracing::warn!(session = %sess.id, "a refresh token was exchanged twice at once: session ended");
        return Err(reused_refresh());
    }
    // A session ended meanwhile (a logout racing this) stays ended.
    let live = session::Entity::update_many()
        .col_expr(session::Column::ExpiresAt, Expr::value(next_expires_at))
        .filter(session::Column::Id.eq(sess.id.as_str()))
        .filter(session::Column::EndedAt.is_null())
        .exec(&txn)
        .await?;
    if live.rows_affected == 0 {
        txn.rollback().await?;
        return Err(session_ended());
    }
    refresh_row(refresh_hash(&next), &sess.id, now, next_expires_at)
        .insert(&txn)
        .await?;
    txn.commit().await?;
    let (access_token, access_expires_at) = access_token(state, &acc, &sess.id)?;
    Ok((
        Tokens {
            access_token,
            access_expires_at,
            refresh_token: next,
            refresh_expires_at: next_expires_at,
        },
        acc,
    ))
}

/// Ends the caller's session, or with `everywhere` every session of the account; returns how
/// many sessions ended. Anonymous callers are `UNAUTHENTICATED`; a token minted for scripts
/// has no session to end (`FORBIDDEN`): it runs until it expires, or until `JWT_SECRET` changes.
pub async fn logout(state: &AppState, actor: &Actor, everywhere: bool) -> AppResult<u64> {
    let me = actor.signed_in()?;
    let (Some(account_id), Some(session_id)) = (&me.account_id, &me.session_id) else {
        return Err(AppError::forbidden(
            "Mã truy cập cấp cho script không có phiên đăng nhập để kết thúc; nó hết hiệu lực khi hết hạn.",
            "A token minted for scripts has no session to end; it stops when it expires.",
        ));
    };
    if !everywhere {
        return end_session(&state.db, session_id, EndReason::Logout).await;
    }
    let now = Utc::now();
    let txn = crate::db::begin(&state.db).await?;
    // The same step as disabling the account: every token issued so far stops at once.
    account::Entity::update_many()
        .col_expr(
            account::Column::TokenVersion,
            Expr::col(account::Column::TokenVersion).add(1),
        )
        .filter(account::Column::Id.eq(account_id.as_str()))
        .exec(&txn)
        .await?;
    let ended = session::Entity::update_many()
        .col_expr(session::Column::EndedAt, Expr::value(now))
        .col_expr(
            session::Column::EndReason,
            Expr::value(EndReason::Everywhere),
        )
        .filter(session::Column::AccountId.eq(account_id.as_str()))
        .filter(session::Column::EndedAt.is_null())
        .filter(session::Column::ExpiresAt.gt(now))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(ended.rows_affected)
}

/// Deletes sessions, and refresh tokens, past their expiry: none of their tokens can work any
/// more (an access token never outlives its session's newest refresh token). Returns how many
/// rows went.
pub async fn prune(db: &DatabaseConnection) -> AppResult<u64> {
    let now = Utc::now();
    let tokens = refresh_token::Entity::delete_many()
        .filter(refresh_token::Column::ExpiresAt.lt(now))
        .exec(db)
        .await?;
    let sessions = session::Entity::delete_many()
        .filter(session::Column::ExpiresAt.lt(now))
        .exec(db)
        .await?;
    Ok(tokens.rows_affected + sessions.rows_affected)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refresh_tokens_are_random_and_stored_as_hashes() {
        let a = new_refresh_token();
        let b = new_refresh_token();
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert!(
            a.bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
        );
        let h = refresh_hash(&a);
        assert_eq!(h.len(), 64);
        assert_eq!(h, refresh_hash(&a));
        assert_ne!(h, refresh_hash(&b));
        assert!(!h.contains(&a));
    }
}
