use sea_orm::entity::prelude::*;

/// A retry key of one caller for one mutation, with the fingerprint of the request it first
/// came with and the id of what that request created.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "idempotency_keys")]
pub struct Model {
    /// `sub:<token subject>` for a signed-in caller, `addr:<client address>` otherwise.
    #[sea_orm(primary_key, auto_increment = false)]
    pub owner: String,
    /// The mutation, such as `fileComplaint`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub operation: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub key: String,
    /// SHA-256 of the validated input, in hexadecimal.
    pub fingerprint: String,
    pub result_id: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
