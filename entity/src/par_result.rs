use sea_orm::entity::prelude::*;

/// A unit's computed (or imported) total, band and rank for a year; `areas` is JSON.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "par_results")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub year: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub unit_id: String,
    pub block: super::unit::Block,
    pub total: f64,
    pub band: String,
    pub rank: Option<i32>,
    pub areas: String,
    pub computed_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
