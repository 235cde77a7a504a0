use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// The satisfaction components of the SIPAS model.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(24))")]
pub enum Component {
    #[sea_orm(string_value = "ACCESS")]
    Access,
    #[sea_orm(string_value = "PROCEDURE")]
    Procedure,
    #[sea_orm(string_value = "OFFICIAL")]
    Official,
    #[sea_orm(string_value = "RESULT")]
    Result,
    #[sea_orm(string_value = "FEEDBACK_HANDLING")]
    FeedbackHandling,
}

/// One answered component of a rating (1–5). Unanswered components have no row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "rating_scores")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub rating_id: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub component: Component,
    pub score: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
