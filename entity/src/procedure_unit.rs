use sea_orm::entity::prelude::*;

/// Which units perform which procedures.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "procedure_units")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub procedure_id: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub unit_id: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
