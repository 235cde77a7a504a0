//! HS256 tokens with `exp`, `nbf`, `iss` and `aud` checked. Only HS256 is accepted, so a token
//! that claims `alg: none` or any other algorithm is refused rather than trusted.
//!
//! An account's access token names its session (`sid`), which can end before the token
//! expires (`crate::accounts::sessions`); tokens minted for scripts have none.

use std::time::Duration;

use entity::account::Role;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::error::AppError;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Claims {
    /// An account id, or `script:<role>` for tokens minted by `portal token`.
    pub sub: String,
    pub role: Role,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub business: Option<String>,
    /// The account's token version when issued; a disabled account's version moves on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ver: Option<i32>,
    /// The session an account's token was issued for (none for scripts).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    pub iss: String,
    pub aud: String,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
    pub jti: String,
}

/// Prefix of the subject of tokens that no account stands behind.
pub const SCRIPT_SUBJECT_PREFIX: &str = "script:";

/// Seconds by which a token may be past its `exp` (or before its `nbf`) and still pass: clocks
/// of servers and clients drift a little, no more.
pub const LEEWAY_SECS: u64 = 5;

/// Whom a token is for.
#[derive(Debug, Clone)]
pub struct TokenFor {
    pub sub: String,
    pub role: Role,
    pub unit: Option<String>,
    pub business: Option<String>,
    pub ver: Option<i32>,
    pub sid: Option<String>,
}

impl TokenFor {
    /// A token with no account behind it, for scripts (`portal token`).
    pub fn script(role: Role, unit: Option<String>, business: Option<String>) -> TokenFor {
        TokenFor {
            sub: format!("{SCRIPT_SUBJECT_PREFIX}{role:?}").to_lowercase(),
            role,
            unit,
            business,
            ver: None,
            sid: None,
        }
    }
}

#[derive(Clone)]
pub struct Keys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    issuer: String,
    audience: String,
    ttl: Duration,
}

impl Keys {
    pub fn new(secret: &str, issuer: &str, audience: &str, ttl: Duration) -> Keys {
        Keys {
            encoding: EncodingKey::from_secret(secret.as_bytes()),
            decoding: DecodingKey::from_secret(secret.as_bytes()),
            issuer: issuer.to_string(),
            audience: audience.to_string(),
            ttl,
        }
    }

    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// Signs a token for the subject, valid from now for `ttl` (or the configured default).
    pub fn issue(
        &self,
        who: TokenFor,
        ttl: Option<Duration>,
    ) -> Result<(String, Claims), AppError> {
        let now = chrono::Utc::now().timestamp();
        let ttl = ttl.unwrap_or(self.ttl).as_secs() as i64;
        let claims = Claims {
            sub: who.sub,
            role: who.role,
            unit: who.unit,
            business: who.business,
            ver: who.ver,
            sid: who.sid,
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            iat: now,
            nbf: now,
            exp: now + ttl,
            jti: uuid::Uuid::new_v4().to_string(),
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(AppError::internal)?;
        Ok((token, claims))
    }

    /// Verifies signature, algorithm, expiry, not-before, issuer and audience.
    pub fn verify(&self, token: &str) -> Result<Claims, AppError> {
        let mut v = Validation::new(Algorithm::HS256);
        v.algorithms = vec![Algorithm::HS256];
        v.leeway = LEEWAY_SECS;
        v.validate_nbf = true;
        v.set_issuer(&[&self.issuer]);
        v.set_audience(&[&self.audience]);
        v.set_required_spec_claims(&["exp", "nbf", "iss", "aud", "sub"]);
        match jsonwebtoken::decode::<Claims>(token, &self.decoding, &v) {
            Ok(data) => Ok(data.claims),
            Err(e) => {
                use jsonwebtoken::errors::ErrorKind;
                let (vi, en) = match e.kind() {
                    ErrorKind::ExpiredSignature => (
                        "Phiên đăng nhập đã hết hạn. Vui lòng đăng nhập lại.",
                        "Your session has expired. Please sign in again.",
                    ),
                    ErrorKind::ImmatureSignature => (
                        "Mã truy cập chưa có hiệu lực.",
                        "The access token is not valid yet.",
                    ),
                    _ => (
                        "Mã truy cập không hợp lệ. Vui lòng đăng nhập lại.",
                        "The access token is invalid. Please sign in again.",
                    ),
                };
                tracing::debug!(error = %e, "token refused");
                Err(AppError::unauthenticated(vi, en))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;

    fn keys() -> Keys {
        Keys::new(
            "a-test-secret-that-is-long-enough-123456",
            "gop-y",
            "gop-y-portal",
            Duration::from_secs(60),
        )
    }

    #[test]
    fn signs_and_verifies() {
        let k = keys();
        let (t, c) = k
            .issue(
                TokenFor::script(Role::Official, Some("u1".into()), None),
                None,
            )
            .unwrap();
        let back = k.verify(&t).unwrap();
        assert_eq!(back, c);
        assert_eq!(back.role, Role::Official);
        assert_eq!(back.unit.as_deref(), Some("u1"));
    }

    #[test]
    fn refuses_other_secret_and_alg_none() {
        let k = keys();
        let other = Keys::new(
            "another-secret-that-is-long-enough-98765",
            "gop-y",
            "gop-y-portal",
            Duration::from_secs(60),
        );
        let (t, c) = other
            .issue(TokenFor::script(Role::Admin, None, None), None)
            .unwrap();
        assert!(k.verify(&t).is_err());

        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let header = b64.encode(br#"{"alg":"none","typ":"JWT"}"#);
        let body = b64.encode(serde_json::to_vec(&c).unwrap());
        assert!(k.verify(&format!("{header}.{body}.")).is_err());
    }

    #[test]
    fn refuses_expired_and_wrong_audience() {
        let k = keys();
        let (t, _) = k
            .issue(
                TokenFor::script(Role::Citizen, None, None),
                Some(Duration::from_secs(0)),
            )
            .unwrap();
        // exp = now; within the 5 s leeway it is still accepted, 10 s past it is not.
        assert!(k.verify(&t).is_ok());
        let c = k.verify(&t).unwrap();
        let forge = |exp_offset: i64| {
            let mut c = c.clone();
            c.exp = chrono::Utc::now().timestamp() + exp_offset;
            c.nbf = c.exp - 600;
            jsonwebtoken::encode(
                &Header::new(Algorithm::HS256),
                &c,
                &EncodingKey::from_secret(b"a-test-secret-that-is-long-enough-123456"),
            )
            .unwrap()
        };
        assert!(k.verify(&forge(-2)).is_ok());
        assert!(matches!(
            k.verify(&forge(-10)),
            Err(AppError::Unauthenticated(_))
        ));
        assert!(matches!(
            k.verify(&forge(-3600)),
            Err(AppError::Unauthenticated(_))
        ));
        let wrong_aud = Keys::new(
            "a-test-secret-that-is-long-enough-123456",
            "gop-y",
            "someone-else",
            Duration::from_secs(60),
        );
        let (t, _) = wrong_aud
            .issue(TokenFor::script(Role::Citizen, None, None), None)
            .unwrap();
        assert!(k.verify(&t).is_err());
    }
}
