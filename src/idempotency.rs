//! Retries of mobile clients (`idempotencyKey`): a retry returns what the first request
//! created, never a duplicate.
//!
//! A key belongs to its caller ([`crate::access::idempotency_owner`]: the account, or an
//! anonymous client's address) and to one mutation, and it remembers a fingerprint of the
//! validated input. A replay by another caller finds nothing; a replay by the same caller with
//! another input is `CONFLICT` and returns nothing of the first. Input is validated before a key
//! is looked up, so an invalid request never reaches a stored result.

use entity::idempotency_key;
use sea_orm::{ActiveModelTrait, ConnectionTrait, DatabaseConnection, EntityTrait, Set};
use sha2::{Digest, Sha256};

use crate::error::{AppError, AppResult};

/// A retry key: 1–100 characters of letters, digits, `-`, `_`, `:` or `.`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    /// Parses an optional key (absent or blank: none).
    pub fn parse_opt(k: Option<&str>) -> AppResult<Option<IdempotencyKey>> {
        match k.map(str::trim) {
            None => Ok(None),
            Some(k) => IdempotencyKey::parse(k).map(Some),
        }
    }

    pub fn parse(k: &str) -> AppResult<IdempotencyKey> {
        let k = k.trim();
        let ok = (1..=100).contains(&k.len())
            && k.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_:.".contains(&b));
        if !ok {
            return Err(AppError::bad_input(
                "idempotencyKey",
                "idempotencyKey gồm 1–100 ký tự chữ, số, '-', '_', ':' hoặc '.'.",
                "idempotencyKey is 1–100 characters of letters, digits, '-', '_', ':' or '.'.",
            ));
        }
        Ok(IdempotencyKey(k.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// One caller's key for one mutation, with the fingerprint of the validated input.
#[derive(Debug, Clone)]
pub struct Claim {
    owner: String,
    operation: &'static str,
    key: IdempotencyKey,
    fingerprint: String,
}

impl Claim {
    /// `parts` are the validated input's fields, in a fixed order.
    pub fn new(
        owner: String,
        operation: &'static str,
        key: IdempotencyKey,
        parts: &[&str],
    ) -> Claim {
        Claim {
            owner,
            operation,
            key,
            fingerprint: fingerprint(parts),
        }
    }

    /// The id of what the first request with this key created, if the caller already used it
    /// with the same input; `CONFLICT` if with another input.
    pub async fn prior(&self, db: &DatabaseConnection) -> AppResult<Option<String>> {
        let row = idempotency_key::Entity::find_by_id((
            self.owner.clone(),
            self.operation.to_string(),
            self.key.as_str().to_string(),
        ))
        .one(db)
        .await?;
        match row {
            None => Ok(None),
            Some(r) if r.fingerprint == self.fingerprint => Ok(Some(r.result_id)),
            Some(_) => Err(AppError::conflict(
                "idempotencyKey này đã được dùng cho một yêu cầu khác. Hãy tạo khóa mới cho mỗi yêu cầu mới.",
                "This idempotencyKey was already used with another request. Make a new key for each new request.",
            )),
        }
    }

    /// Records the key in the transaction that creates `result_id`. A unique violation means
    /// that a concurrent retry got there first: roll back and ask [`Claim::prior`].
    pub async fn record(
        &self,
        db: &impl ConnectionTrait,
        result_id: &str,
    ) -> Result<(), sea_orm::DbErr> {
        idempotency_key::ActiveModel {
            owner: Set(self.owner.clone()),
            operation: Set(self.operation.to_string()),
            key: Set(self.key.as_str().to_string()),
            fingerprint: Set(self.fingerprint.clone()),
            result_id: Set(result_id.to_string()),
            created_at: Set(crate::clock::now()),
        }
        .insert(db)
        .await
        .map(|_| ())
    }
}

/// SHA-256 of the parts, each length-prefixed so that no two inputs run together.
fn fingerprint(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update((p.len() as u64).to_le_bytes());
        h.update(p.as_bytes());
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_parse() {
        assert_eq!(
            IdempotencyKey::parse(" mobile-retry:42 ").unwrap().as_str(),
            "mobile-retry:42"
        );
        assert!(IdempotencyKey::parse("has space").is_err());
        assert!(IdempotencyKey::parse("").is_err());
        assert!(IdempotencyKey::parse(&"k".repeat(101)).is_err());
        assert!(IdempotencyKey::parse_opt(None).unwrap().is_none());
    }

    #[test]
    fn fingerprints_separate_fields() {
        assert_ne!(fingerprint(&["ab", "c"]), fingerprint(&["a", "bc"]));
        assert_eq!(fingerprint(&["x"]), fingerprint(&["x"]));
        assert_eq!(fingerprint(&["x"]).len(), 64);
    }
}
