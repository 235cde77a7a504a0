//! The one error type of the portal, and how it reaches a client.
//!
//! Policy: every failure a client can cause is a variant with a code from DESIGN.md §3 and a
//! message in Vietnamese and English; the request's `Accept-Language` picks one. Everything else
//! is `Internal`: it is logged with a fresh id, and the client gets only that id, never SQL, a
//! stack trace or a secret.

use std::borrow::Cow;

use async_graphql::ErrorExtensions;
use sea_orm::{DbErr, SqlErr};

/// The language of messages for the current request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Vi,
    En,
}

tokio::task_local! {
    /// Set by the HTTP handler around the execution of one GraphQL request.
    pub static LANG: Lang;
}

impl Lang {
    /// Picks Vietnamese or English from an `Accept-Language` header: the supported language with
    /// the highest quality wins, Vietnamese on a tie or when neither is named.
    pub fn from_accept_language(header: Option<&str>) -> Lang {
        let Some(h) = header else { return Lang::Vi };
        let (mut vi, mut en) = (-1.0f32, -1.0f32);
        for (i, part) in h.split(',').enumerate() {
            let mut it = part.trim().split(';');
            let tag = it.next().unwrap_or("").trim().to_ascii_lowercase();
            let mut q = 1.0f32;
            for p in it {
                if let Some(v) = p.trim().strip_prefix("q=") {
                    q = v.trim().parse().unwrap_or(0.0);
                }
            }
            // Earlier entries win ties between equal qualities.
            let q = q - (i as f32) * 1e-4;
            if tag == "vi" || tag.starts_with("vi-") {
                vi = vi.max(q);
            } else if tag == "en" || tag.starts_with("en-") {
                en = en.max(q);
            }
        }
        if en > vi && en > 0.0 {
            Lang::En
        } else {
            Lang::Vi
        }
    }

    /// The language's code, as stored (`vi`, `en`).
    pub fn code(self) -> &'static str {
        match self {
            Lang::Vi => "vi",
            Lang::En => "en",
        }
    }

    /// The language of a stored code (Vietnamese for anything else).
    pub fn from_code(code: Option<&str>) -> Lang {
        match code {
            Some("en") => Lang::En,
            _ => Lang::Vi,
        }
    }

    /// The language of the request being executed (Vietnamese outside a request).
    pub fn current() -> Lang {
        LANG.try_with(|l| *l).unwrap_or_default()
    }
}

/// A message in both languages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Msg {
    pub vi: Cow<'static, str>,
    pub en: Cow<'static, str>,
}

impl Msg {
    pub fn new(vi: impl Into<Cow<'static, str>>, en: impl Into<Cow<'static, str>>) -> Msg {
        Msg {
            vi: vi.into(),
            en: en.into(),
        }
    }

    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::Vi => &self.vi,
            Lang::En => &self.en,
        }
    }
}

/// Deliberately not `Display`: async-graphql converts any `Display` type into an error without
/// extensions, and this type must always go through [`AppError::to_graphql`].
#[derive(Debug, Clone)]
pub enum AppError {
    Unauthenticated(Msg),
    Forbidden(Msg),
    BadInput {
        field: String,
        msg: Msg,
    },
    NotFound(Msg),
    Conflict(Msg),
    /// `CONFLICT` on an object whose state does not allow an action: `extensions.status` is its
    /// state and `extensions.allowedActions` what its state allows (names of the object's
    /// `XAction` enum).
    ConflictState {
        msg: Msg,
        status: String,
        allowed: Vec<String>,
    },
    RateLimited {
        msg: Msg,
        retry_after_secs: u64,
    },
    Internal {
        id: String,
    },
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    pub fn code(&self) -> &'static str {
        match self {
            AppError::Unauthenticated(_) => "UNAUTHENTICATED",
            AppError::Forbidden(_) => "FORBIDDEN",
            AppError::BadInput { .. } => "BAD_USER_INPUT",
            AppError::NotFound(_) => "NOT_FOUND",
            AppError::Conflict(_) | AppError::ConflictState { .. } => "CONFLICT",
            AppError::RateLimited { .. } => "RATE_LIMITED",
            AppError::Internal { .. } => "INTERNAL",
        }
    }

    pub fn unauthenticated(
        vi: impl Into<Cow<'static, str>>,
        en: impl Into<Cow<'static, str>>,
    ) -> Self {
        AppError::Unauthenticated(Msg::new(vi, en))
    }

    pub fn forbidden(vi: impl Into<Cow<'static, str>>, en: impl Into<Cow<'static, str>>) -> Self {
        AppError::Forbidden(Msg::new(vi, en))
    }

    pub fn bad_input(
        field: impl Into<String>,
        vi: impl Into<Cow<'static, str>>,
        en: impl Into<Cow<'static, str>>,
    ) -> Self {
        AppError::BadInput {
            field: field.into(),
            msg: Msg::new(vi, en),
        }
    }

    /// The same error on another input field (a `BAD_USER_INPUT`); others unchanged.
    pub fn with_field(self, field: impl Into<String>) -> Self {
        match self {
            AppError::BadInput { msg, .. } => AppError::BadInput {
                field: field.into(),
                msg,
            },
            e => e,
        }
    }

    pub fn not_found(vi: impl Into<Cow<'static, str>>, en: impl Into<Cow<'static, str>>) -> Self {
        AppError::NotFound(Msg::new(vi, en))
    }

    pub fn conflict(vi: impl Into<Cow<'static, str>>, en: impl Into<Cow<'static, str>>) -> Self {
        AppError::Conflict(Msg::new(vi, en))
    }

    /// The caller must sign in first.
    pub fn sign_in_required() -> Self {
        AppError::unauthenticated(
            "Bạn cần đăng nhập để thực hiện thao tác này.",
            "You need to sign in to do this.",
        )
    }

    /// The caller is signed in but their role or unit does not allow this.
    pub fn not_allowed() -> Self {
        AppError::forbidden(
            "Tài khoản của bạn không có quyền thực hiện thao tác này.",
            "Your account is not allowed to do this.",
        )
    }

    /// Logs an unexpected failure under a fresh id and returns an error carrying only that id.
    pub fn internal(err: impl std::fmt::Display) -> Self {
        let id = uuid::Uuid::new_v4().simple().to_string()[..12].to_string();
        tracing::error!(error_id = %id, error = %err, "internal error");
        AppError::Internal { id }
    }

    /// The message in the given language.
    pub fn message(&self, lang: Lang) -> String {
        match self {
            AppError::Unauthenticated(m)
            | AppError::Forbidden(m)
            | AppError::NotFound(m)
            | AppError::Conflict(m) => m.get(lang).to_string(),
            AppError::BadInput { msg, .. }
            | AppError::RateLimited { msg, .. }
            | AppError::ConflictState { msg, .. } => msg.get(lang).to_string(),
            AppError::Internal { id } => match lang {
                Lang::Vi => format!("Lỗi hệ thống. Vui lòng thử lại sau (mã lỗi {id})."),
                Lang::En => format!("Internal error. Please try again later (error id {id})."),
            },
        }
    }

    /// The GraphQL error in the given language, with `extensions.code` (and `field`,
    /// `retryAfter` or `errorId` where they apply).
    pub fn to_graphql(&self, lang: Lang) -> async_graphql::Error {
        async_graphql::Error::new(self.message(lang)).extend_with(|_, e| {
            e.set("code", self.code());
            match self {
                AppError::BadInput { field, .. } => e.set("field", field.as_str()),
                AppError::RateLimited {
                    retry_after_secs, ..
                } => e.set("retryAfter", *retry_after_secs),
                AppError::Internal { id } => e.set("errorId", id.as_str()),
                AppError::ConflictState {
                    status, allowed, ..
                } => {
                    e.set("status", status.as_str());
                    e.set(
                        "allowedActions",
                        async_graphql::Value::List(
                            allowed
                                .iter()
                                .map(|a| async_graphql::Value::String(a.clone()))
                                .collect(),
                        ),
                    );
                }
                _ => {}
            }
        })
    }

    /// A whole GraphQL response body carrying only this error (for failures before execution,
    /// such as a rejected token).
    pub fn to_response_body(&self, lang: Lang) -> serde_json::Value {
        let mut ext = serde_json::json!({ "code": self.code() });
        if let AppError::Internal { id } = self {
            ext["errorId"] = id.clone().into();
        }
        if let AppError::BadInput { field, .. } = self {
            ext["field"] = field.clone().into();
        }
        serde_json::json!({ "errors": [{ "message": self.message(lang), "extensions": ext }] })
    }
}

impl From<AppError> for async_graphql::Error {
    fn from(e: AppError) -> Self {
        e.to_graphql(Lang::current())
    }
}

impl From<AppError> for anyhow::Error {
    fn from(e: AppError) -> Self {
        anyhow::anyhow!("{}: {}", e.code(), e.message(Lang::En))
    }
}

impl From<DbErr> for AppError {
    fn from(e: DbErr) -> Self {
        AppError::internal(e)
    }
}

/// Turns a unique-constraint violation into the given user error; anything else is internal.
/// One place for this, rather than string-matching database messages at every call site.
pub fn on_unique(e: DbErr, user_error: AppError) -> AppError {
    match e.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => user_error,
        _ => AppError::internal(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_picks_best_supported() {
        assert_eq!(Lang::from_accept_language(None), Lang::Vi);
        assert_eq!(Lang::from_accept_language(Some("en")), Lang::En);
        assert_eq!(Lang::from_accept_language(Some("en-US,en;q=0.9")), Lang::En);
        assert_eq!(
            Lang::from_accept_language(Some("vi-VN,vi;q=0.9,en;q=0.8")),
            Lang::Vi
        );
        assert_eq!(Lang::from_accept_language(Some("fr,en;q=0.5")), Lang::En);
        assert_eq!(Lang::from_accept_language(Some("fr")), Lang::Vi);
        assert_eq!(
            Lang::from_accept_language(Some("vi;q=0.2, en;q=0.8")),
            Lang::En
        );
    }

    fn code_of(e: AppError) -> String {
        let g = e.to_graphql(Lang::En);
        let ext = g.extensions.expect("extensions");
        match ext.get("code") {
            Some(async_graphql::Value::String(s)) => s.clone(),
            other => panic!("no code: {other:?}"),
        }
    }

    #[test]
    fn every_variant_maps_to_its_code() {
        assert_eq!(code_of(AppError::sign_in_required()), "UNAUTHENTICATED");
        assert_eq!(code_of(AppError::not_allowed()), "FORBIDDEN");
        assert_eq!(
            code_of(AppError::bad_input("f", "a", "b")),
            "BAD_USER_INPUT"
        );
        assert_eq!(code_of(AppError::not_found("a", "b")), "NOT_FOUND");
        assert_eq!(code_of(AppError::conflict("a", "b")), "CONFLICT");
        assert_eq!(
            code_of(AppError::RateLimited {
                msg: Msg::new("a", "b"),
                retry_after_secs: 3
            }),
            "RATE_LIMITED"
        );
        assert_eq!(code_of(AppError::internal("boom")), "INTERNAL");
    }

    #[test]
    fn internal_error_hides_its_cause() {
        let e = AppError::internal("SELECT secret FROM accounts");
        let msg = e.message(Lang::En);
        assert!(!msg.contains("SELECT"), "{msg}");
        assert!(msg.contains("error id"));
    }
}
