use sea_orm::entity::prelude::*;

/// One answer to one purpose of the notice: granted or refused, by whom (an account, the filer
/// of a complaint, or a business's contact at a dialogue), under which notice version, when and
/// through which channel. Withdrawal keeps the row and sets `withdrawn_at`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "consents")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub account_id: Option<String>,
    pub complaint_id: Option<String>,
    pub dialogue_id: Option<String>,
    pub business_id: Option<String>,
    pub purpose: String,
    pub granted: bool,
    pub notice_version: i32,
    pub channel: String,
    pub recorded_at: DateTimeUtc,
    pub withdrawn_at: Option<DateTimeUtc>,
    /// The request (or `DIRECT`) through which it was withdrawn.
    pub withdrawn_via: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
