use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// Who filed a dossier.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum FilerKind {
    #[sea_orm(string_value = "CITIZEN")]
    Citizen,
    #[sea_orm(string_value = "BUSINESS")]
    Business,
}

/// One application (hồ sơ) for one procedure at one unit.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "dossiers")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// Receipt code, stored trimmed and upper-cased.
    #[sea_orm(unique)]
    pub code: String,
    pub procedure_id: String,
    pub unit_id: String,
    pub filer_kind: FilerKind,
    pub tax_code: Option<String>,
    pub received_at: DateTimeUtc,
    /// The statutory due time: receipt + the procedure's processing days.
    pub original_due_at: DateTimeUtc,
    /// The current appointment: the statutory due time, or the apology's new date.
    pub due_at: DateTimeUtc,
    pub completed_at: Option<DateTimeUtc>,
    pub apology_issued_at: Option<DateTimeUtc>,
    pub apology_reason: Option<String>,
    /// Issued less than one working day before the due time, or after it.
    pub apology_late: Option<bool>,
    pub apology_by: Option<String>,
    pub recorded_by: String,
    /// The hash of the rating code printed on the receipt beside the code (which proves a
    /// rating comes from the filer). The code itself is shown once, when the dossier is
    /// recorded or imported, and kept nowhere.
    pub rating_code_hash: Option<String>,
    /// Submitted online (outside office hours it counts from the next working day).
    pub online: bool,
    /// The appointment was given by the one-stop-shop system, not computed here.
    pub due_given: bool,
    /// The working day the processing time counts from.
    pub counts_from: Option<Date>,
    /// The apology was given at hand-over, after completion.
    pub apology_at_handover: bool,
    /// The delay was found not to be the agency's fault: no apology is owed.
    pub delay_excused_at: Option<DateTimeUtc>,
    pub delay_excuse_reason: Option<String>,
    pub delay_excused_by: Option<String>,
    /// The excuse counts for the PAR index: an evaluator accepted it, or the one-stop-shop
    /// system recorded it.
    pub excuse_accepted: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
