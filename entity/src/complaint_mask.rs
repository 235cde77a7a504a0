use sea_orm::entity::prelude::*;

/// A staff decision on a piece of a complaint's text in its public view: `masked` false
/// unmasks a false positive of the detector, true masks what it missed.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "complaint_masks")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub complaint_id: String,
    /// `TITLE`, `BODY` or `ANSWER`.
    pub field: String,
    pub text: String,
    pub masked: bool,
    pub set_by: Option<String>,
    pub set_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
