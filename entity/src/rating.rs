use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// Where a rating was given.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum Channel {
    #[sea_orm(string_value = "WEB")]
    Web,
    #[sea_orm(string_value = "MOBILE")]
    Mobile,
    #[sea_orm(string_value = "KIOSK")]
    Kiosk,
    #[sea_orm(string_value = "COUNTER")]
    Counter,
    #[sea_orm(string_value = "OTHER")]
    Other,
}

/// A satisfaction rating. With a dossier it is verified (one per dossier); without one (a
/// kiosk at the counter) it is unverified, shown apart and fed into no index.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "ratings")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    #[sea_orm(unique)]
    pub dossier_id: Option<String>,
    pub unit_id: String,
    pub procedure_id: Option<String>,
    pub verified: bool,
    pub channel: Channel,
    pub comment: Option<String>,
    /// Confidential: visible to admins only.
    pub rater_account_id: Option<String>,
    #[sea_orm(unique)]
    pub idempotency_key: Option<String>,
    /// `YYYY-MM` in the city's time zone, for monthly series on both databases.
    pub month: String,
    pub created_at: DateTimeUtc,
    /// A keyed hash of the client address it came from (the evaluator's signals of a unit
    /// rating itself); never the address.
    pub client_hash: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
