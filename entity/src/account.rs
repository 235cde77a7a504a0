use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// Roles carried in the JWT (DESIGN.md §4).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum Role {
    #[sea_orm(string_value = "CITIZEN")]
    Citizen,
    #[sea_orm(string_value = "BUSINESS")]
    Business,
    #[sea_orm(string_value = "OFFICIAL")]
    Official,
    #[sea_orm(string_value = "EVALUATOR")]
    Evaluator,
    #[sea_orm(string_value = "ADMIN")]
    Admin,
    /// Data-protection staff: the data subjects' requests, the contact-read log, breaches.
    #[sea_orm(string_value = "DATA_PROTECTION")]
    DataProtection,
}

/// Where a business account's claim to speak for a business stands.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum ClaimStatus {
    /// Waiting for an admin; blocks nobody (several claims of one tax code may wait).
    #[sea_orm(string_value = "PENDING")]
    Pending,
    /// An admin confirmed it: the account is bound to the business (`business_id`).
    #[sea_orm(string_value = "CONFIRMED")]
    Confirmed,
    /// Refused or withdrawn by an admin, or ended when another claim was confirmed.
    #[sea_orm(string_value = "REFUSED")]
    Refused,
}

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "accounts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    #[sea_orm(unique)]
    pub username: String,
    /// The e-mail the account holds: confirmed, unique, and a sign-in name.
    #[sea_orm(unique)]
    pub email: Option<String>,
    /// The phone number the account holds: confirmed, unique, and a sign-in name.
    #[sea_orm(unique)]
    pub phone: Option<String>,
    pub password_hash: String,
    pub display_name: String,
    pub role: Role,
    pub unit_id: Option<String>,
    pub business_id: Option<String>,
    pub disabled: bool,
    /// Carried in every token of the account; bumping it (on disable) revokes them all.
    pub token_version: i32,
    pub created_at: DateTimeUtc,
    /// When an admin confirmed that the account speaks for `business_id`. Until then it acts as
    /// itself only: its own filings, never the business's dialogues, issues or dossiers.
    pub business_confirmed_at: Option<DateTimeUtc>,
    pub business_confirmed_by: Option<String>,
    /// The e-mail given at registration, not confirmed: neither unique nor a sign-in name.
    pub pending_email: Option<String>,
    /// The phone number given at registration, not confirmed: neither unique nor a sign-in name.
    pub pending_phone: Option<String>,
    /// The tax code a business account claims to speak for, as given at registration.
    pub claim_tax_code: Option<String>,
    /// The business's name as the claimant gave it (never the registry's).
    pub claim_business_name: Option<String>,
    pub claim_status: Option<ClaimStatus>,
    /// When the holder's deletion request was carried out: the account is anonymised and shut.
    pub deleted_at: Option<DateTimeUtc>,
    /// The personal-data notice shown at registration.
    pub notice_version: Option<i32>,
    /// The language notifications are written in (`vi`, `en`; none: Vietnamese).
    pub lang: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
