use sea_orm::entity::prelude::*;

/// A day an admin changed (the built-in list lives in `config/holidays.csv`): `kind` is
/// `HOLIDAY` (a day off), `WORKING_DAY` (a swapped working Saturday or Sunday) or `REMOVED`
/// (a day of the file that is an ordinary day after all).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "holidays")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub date: Date,
    pub name: String,
    pub kind: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
