use sea_orm::entity::prelude::*;

/// One version of the search dictionary (the highest is in use).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "search_synonyms")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub version: i32,
    /// The entries in the dictionary's file format (`KIND | PHRASES [=> EXPANSIONS]`).
    pub entries: String,
    /// `graphql` or `import`.
    pub source: String,
    pub created_at: DateTimeUtc,
    pub created_by: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
