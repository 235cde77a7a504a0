use sea_orm::entity::prelude::*;

use crate::unit::Block;

/// A unit as it was from `valid_from` until the next version (or the unit's end): its name,
/// block and parent. A unit's code and id never change; its versions do.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "unit_versions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub unit_id: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub valid_from: Date,
    pub name: String,
    pub name_folded: String,
    pub short_name: Option<String>,
    pub block: Block,
    pub parent_id: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
