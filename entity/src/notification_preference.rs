use sea_orm::entity::prelude::*;

/// A recipient's choice for one kind of notification on one channel (`*` for every kind).
/// Without a row, the kind's default applies.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "notification_preferences")]
pub struct Model {
    /// `account:<id>` or `complaint:<id>`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub recipient: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub kind: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub channel: String,
    pub enabled: bool,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
