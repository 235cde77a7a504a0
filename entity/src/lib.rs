//! sea-orm entities of the portal: one file per table, nothing else.
//! Domain rules live in the root package's feature modules.

pub mod account;
pub mod business;
pub mod calendar_year;
pub mod catalog_figure;
pub mod commitment;
pub mod complaint;
pub mod complaint_event;
pub mod dialogue;
pub mod dialogue_business;
pub mod dialogue_issue;
pub mod dialogue_unit;
pub mod dossier;
pub mod holiday;
pub mod idempotency_key;
pub mod par_audit;
pub mod par_criterion_result;
pub mod par_deduction;
pub mod par_period;
pub mod par_period_unit;
pub mod par_result;
pub mod par_review;
pub mod par_score;
pub mod procedure;
pub mod procedure_unit;
pub mod rating;
pub mod rating_score;
pub mod rating_tally;
pub mod refresh_token;
pub mod search_outbox;
pub mod session;
pub mod staff_address;
pub mod unit;
pub mod unit_succession;
pub mod unit_version;
