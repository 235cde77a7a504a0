use sea_orm::entity::prelude::*;

/// A unit of a period as it was that year: later reorganisations change no past year.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "par_period_units")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub year: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub unit_id: String,
    pub code: String,
    pub name: String,
    pub short_name: Option<String>,
    pub block: super::unit::Block,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
