use sea_orm::entity::prelude::*;

/// A staff read of a person's contact: who, when, whose (a complaint's filer, or a business's
/// contact at a dialogue) and through which field. It holds no contact.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "contact_reads")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub complaint_id: Option<String>,
    pub dialogue_id: Option<String>,
    pub business_id: Option<String>,
    pub reader_account_id: Option<String>,
    pub reader_role: String,
    pub reader_unit_id: Option<String>,
    pub field: String,
    pub at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
