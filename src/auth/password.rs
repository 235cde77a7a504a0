//! argon2id password hashing, run on the blocking pool so that a login never stalls the async
//! worker threads.

use std::sync::LazyLock;

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier, phc::PasswordHash};

use crate::error::AppError;

/// Hashes a password to a PHC string (`$argon2id$…`).
pub async fn hash(password: String) -> Result<String, AppError> {
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
            .map_err(AppError::internal)
    })
    .await
    .map_err(AppError::internal)?
}

/// A hash to verify against when the account does not exist, so that an unknown user name
/// takes as long to refuse as a wrong password.
static DUMMY: LazyLock<String> = LazyLock::new(|| {
    Argon2::default()
        .hash_password(b"not-a-real-password")
        .map(|h| h.to_string())
        .unwrap_or_default()
});

/// Checks a password against a stored hash (or the dummy hash when `stored` is `None`).
pub async fn verify(password: String, stored: Option<String>) -> Result<bool, AppError> {
    tokio::task::spawn_blocking(move || {
        let known = stored.is_some();
        let s = stored.unwrap_or_else(|| DUMMY.clone());
        let parsed = PasswordHash::new(&s).map_err(AppError::internal)?;
        let ok = Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok();
        Ok(ok && known)
    })
    .await
    .map_err(AppError::internal)?
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn hashes_and_verifies() {
        let h = super::hash("mật khẩu dài".into()).await.unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(
            super::verify("mật khẩu dài".into(), Some(h.clone()))
                .await
                .unwrap()
        );
        assert!(!super::verify("sai".into(), Some(h)).await.unwrap());
        assert!(
            !super::verify("not-a-real-password".into(), None)
                .await
                .unwrap()
        );
    }
}
