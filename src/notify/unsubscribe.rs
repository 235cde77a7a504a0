//! One-click unsubscribe (RFC 8058): every e-mail links to
//! `/notifications/unsubscribe?token=…`, a token signed with the server's secret that names the
//! recipient, the kind and the channel. It needs no sign-in.
//!
//! `GET` only shows a page with a button (mail scanners open links, and must not unsubscribe
//! anyone); `POST`, which mail clients send with `List-Unsubscribe=One-Click`, turns the kind
//! off for that channel. A token altered in any way is refused and changes nothing.

use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::{Channel, Kind};
use crate::state::AppState;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// The path the links point to.
pub const PATH: &str = "/notifications/unsubscribe";

/// What a link turns off: one kind, or every update on a filer's items (a filer unsubscribes
/// from the progress of their item, not from one of its steps).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Kind(Kind),
    FilerUpdates,
}

const FILER_UPDATES: &str = "FILER_UPDATES";

impl Scope {
    /// The scope of a link in a message of `kind`.
    pub fn of(kind: Kind) -> Scope {
        if kind.to_filer() {
            Scope::FilerUpdates
        } else {
            Scope::Kind(kind)
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Scope::Kind(k) => k.as_str(),
            Scope::FilerUpdates => FILER_UPDATES,
        }
    }

    fn parse(s: &str) -> Option<Scope> {
        if s == FILER_UPDATES {
            Some(Scope::FilerUpdates)
        } else {
            Kind::parse(s).map(Scope::Kind)
        }
    }

    /// The kinds it turns off.
    pub fn kinds(self) -> Vec<Kind> {
        match self {
            Scope::Kind(k) => vec![k],
            Scope::FilerUpdates => Kind::ALL.into_iter().filter(|k| k.to_filer()).collect(),
        }
    }

    fn name(self, lang: crate::error::Lang) -> &'static str {
        match (self, lang) {
            (Scope::Kind(k), l) => super::templates::headline(k, l),
            (Scope::FilerUpdates, crate::error::Lang::Vi) => {
                "Cập nhật về phản ánh, kiến nghị của bạn"
            }
            (Scope::FilerUpdates, crate::error::Lang::En) => "Updates on your feedback",
        }
    }
}

fn mac(secret: &str, payload: &str) -> Hmac<Sha256> {
    let mut m =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes a key of any size");
    m.update(b"gopy-unsubscribe-v1\n");
    m.update(payload.as_bytes());
    m
}

/// The token that turns `scope` off on `channel` for `recipient`.
pub fn token(secret: &str, recipient: &str, scope: Scope, channel: Channel) -> String {
    let payload = format!("{recipient}|{}|{}", scope.as_str(), channel.as_str());
    format!(
        "v1.{}.{}",
        B64.encode(payload.as_bytes()),
        B64.encode(mac(secret, &payload).finalize().into_bytes())
    )
}

/// What a token says, if it is one of ours and unaltered.
pub fn verify(secret: &str, token: &str) -> Option<(String, Scope, Channel)> {
    let mut it = token.split('.');
    let (Some("v1"), Some(p), Some(sig), None) = (it.next(), it.next(), it.next(), it.next())
    else {
        return None;
    };
    let payload = String::from_utf8(B64.decode(p).ok()?).ok()?;
    let sig = B64.decode(sig).ok()?;
    mac(secret, &payload).verify_slice(&sig).ok()?;
    let mut parts = payload.split('|');
    let (Some(r), Some(k), Some(c), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    Some((r.to_string(), Scope::parse(k)?, Channel::parse(c)?))
}

/// The link of a token, on the public address.
pub fn link(base: &str, token: &str) -> String {
    format!("{base}{PATH}?token={token}")
}

#[derive(serde::Deserialize)]
pub struct TokenParam {
    token: Option<String>,
}

fn page(status: StatusCode, vi: &str, en: &str, form: Option<&str>) -> Response {
    let button = form
        .map(|t| {
            format!(
                r#"<form method="post" action="{PATH}?token={t}"><input type="hidden" name="List-Unsubscribe" value="One-Click"><button type="submit">Ngừng nhận / Unsubscribe</button></form>"#
            )
        })
        .unwrap_or_default();
    let html = format!(
        r#"<!doctype html><html lang="vi"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>Góp Ý</title></head><body><p>{vi}</p><p lang="en">{en}</p>{button}</body></html>"#
    );
    (
        status,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; form-action 'self'; frame-ancestors 'none'",
            ),
            (header::X_FRAME_OPTIONS, "DENY"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        html,
    )
        .into_response()
}

fn refused() -> Response {
    page(
        StatusCode::BAD_REQUEST,
        "Liên kết ngừng nhận thư không hợp lệ. Hãy dùng đúng liên kết trong thư, hoặc đăng nhập để chỉnh cài đặt thông báo.",
        "This unsubscribe link is not valid. Use the link exactly as it is in the e-mail, or sign in to change your notification settings.",
        None,
    )
}

/// `GET`: a page that asks, and changes nothing.
pub async fn show(State(state): State<AppState>, Query(q): Query<TokenParam>) -> Response {
    let secret = state.config.jwt_secret.clone().unwrap_or_default();
    let Some(t) = q.token.filter(|t| t.len() <= 1024) else {
        return refused();
    };
    match verify(&secret, &t) {
        Some((_, kind, channel)) => page(
            StatusCode::OK,
            &format!(
                "Ngừng nhận thông báo “{}” qua {}?",
                kind.name(crate::error::Lang::Vi),
                channel.as_str()
            ),
            &format!(
                "Stop “{}” notifications by {}?",
                kind.name(crate::error::Lang::En),
                channel.as_str()
            ),
            Some(&t),
        ),
        None => refused(),
    }
}

/// `POST`: turns the kind off for the channel (RFC 8058 one-click, or the page's button).
pub async fn confirm(State(state): State<AppState>, Query(q): Query<TokenParam>) -> Response {
    let secret = state.config.jwt_secret.clone().unwrap_or_default();
    let Some((recipient, kind, channel)) = q
        .token
        .filter(|t| t.len() <= 1024)
        .and_then(|t| verify(&secret, &t))
    else {
        return refused();
    };
    let done = async {
        let txn = crate::db::begin(&state.db).await?;
        for k in kind.kinds() {
            super::prefs::set(&*txn, &recipient, Some(k), channel, false).await?;
        }
        txn.commit().await?;
        Ok::<(), crate::error::AppError>(())
    };
    if let Err(e) = done.await {
        tracing::warn!(error = %e.message(crate::error::Lang::En), "unsubscribing failed");
        return page(
            StatusCode::SERVICE_UNAVAILABLE,
            "Chưa ngừng được; vui lòng thử lại sau ít phút.",
            "Not done yet; please try again in a few minutes.",
            None,
        );
    }
    tracing::info!(
        scope = kind.as_str(),
        channel = channel.as_str(),
        "unsubscribed by link"
    );
    page(
        StatusCode::OK,
        &format!(
            "Đã ngừng gửi “{}” qua {}.",
            kind.name(crate::error::Lang::Vi),
            channel.as_str()
        ),
        &format!(
            "You will no longer get “{}” by {}.",
            kind.name(crate::error::Lang::En),
            channel.as_str()
        ),
        None,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_says_who_what_and_where_and_cannot_be_altered() {
        let t = token(
            "s3cret-s3cret-s3cret",
            "complaint:abc",
            Scope::of(Kind::ComplaintAnswered),
            Channel::Email,
        );
        assert_eq!(
            verify("s3cret-s3cret-s3cret", &t),
            Some(("complaint:abc".into(), Scope::FilerUpdates, Channel::Email))
        );
        let t2 = token(
            "s3cret-s3cret-s3cret",
            "account:a",
            Scope::of(Kind::NewItem),
            Channel::Email,
        );
        assert_eq!(
            verify("s3cret-s3cret-s3cret", &t2),
            Some((
                "account:a".into(),
                Scope::Kind(Kind::NewItem),
                Channel::Email
            ))
        );
        assert_eq!(Scope::FilerUpdates.kinds().len(), 6);
        assert_eq!(verify("another-secret-value", &t), None);
        // Another recipient with the same signature.
        let parts: Vec<&str> = t.split('.').collect();
        let forged = format!(
            "v1.{}.{}",
            B64.encode("account:x|FILER_UPDATES|EMAIL"),
            parts[2]
        );
        assert_eq!(verify("s3cret-s3cret-s3cret", &forged), None);
        assert_eq!(verify("s3cret-s3cret-s3cret", "v1.e30"), None);
        assert_eq!(verify("s3cret-s3cret-s3cret", ""), None);
    }
}
