use sea_orm::entity::prelude::*;

/// The current figures of a procedure or unit, as the search indexer last computed them for its
/// document: what a search hit shows without summing every rating and dossier again.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "catalog_figures")]
pub struct Model {
    /// `procedure` or `unit`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub kind: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// Verified answers per component: `COMPONENT:answers:score_sum:satisfied` joined by `;`.
    pub satisfaction: String,
    pub on_time_share: Option<f64>,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
