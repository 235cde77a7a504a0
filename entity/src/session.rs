use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// Why a session ended before its time.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum EndReason {
    /// The holder signed out of this session.
    #[sea_orm(string_value = "LOGOUT")]
    Logout,
    /// The holder signed out of every session of the account.
    #[sea_orm(string_value = "EVERYWHERE")]
    Everywhere,
    /// A refresh token of the session was presented after it had been exchanged: someone else
    /// holds a copy, so the whole session ends.
    #[sea_orm(string_value = "REUSE")]
    Reuse,
}

/// One sign-in of an account: the access tokens issued for it carry its id (`sid`), and its
/// refresh tokens (`refresh_tokens`) renew them until it ends or expires.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sessions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub account_id: String,
    /// The account's token version at sign-in: once the account's moves on (disabled, signed
    /// out everywhere), the session cannot be refreshed.
    pub token_version: i32,
    pub created_at: DateTimeUtc,
    /// When its newest refresh token expires; no token of the session outlives it.
    pub expires_at: DateTimeUtc,
    pub ended_at: Option<DateTimeUtc>,
    pub end_reason: Option<EndReason>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::account::Entity",
        from = "Column::AccountId",
        to = "super::account::Column::Id",
        on_delete = "Cascade"
    )]
    Account,
}

impl Related<super::account::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Account.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
