use sea_orm::entity::prelude::*;

/// Answers per unit, month (`YYYY-MM`, city time) and component, kept in the transaction of
/// each rating: what a year's satisfaction for every unit is summed from.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "rating_tallies")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub month: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub unit_id: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub component: super::rating_score::Component,
    #[sea_orm(primary_key, auto_increment = false)]
    pub verified: bool,
    pub answers: i64,
    pub score_sum: i64,
    pub satisfied: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
