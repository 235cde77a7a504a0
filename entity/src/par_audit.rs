use sea_orm::entity::prelude::*;

/// One change to a period: opened, a score set, a deduction added or removed, computed,
/// published, imported.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "par_audit")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub year: i32,
    pub unit_id: Option<String>,
    pub action: String,
    pub criterion: Option<String>,
    pub detail: String,
    pub actor: String,
    pub at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
