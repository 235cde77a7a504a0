use sea_orm::entity::prelude::*;

/// Points deducted (điểm trừ) from a unit, with the reason and the criterion concerned. A removed
/// deduction stays, marked removed, for the record.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "par_deductions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub year: i32,
    pub unit_id: String,
    pub criterion: String,
    pub points: f64,
    pub reason: String,
    pub created_by: String,
    pub created_at: DateTimeUtc,
    pub removed_at: Option<DateTimeUtc>,
    pub removed_by: Option<String>,
    pub removal_reason: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
