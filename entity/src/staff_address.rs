use sea_orm::entity::prelude::*;

/// A client address (as a keyed hash) from which a unit's official was signed in, and when
/// last: ratings of the unit's dossiers from there are refused for an hour.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "staff_addresses")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub unit_id: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub client_hash: String,
    pub last_seen: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
