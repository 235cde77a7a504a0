//! Góp Ý: the GraphQL backend of a citizen and business feedback portal of a Vietnamese city
//! administration. See `../shared/DESIGN.md` for the domain and the architecture.
//!
//! The binary (`main.rs`) is a thin CLI over this library; tests and benchmarks use the same
//! `Application` the binary runs.

pub mod access;
pub mod accounts;
pub mod announce;
pub mod app;
pub mod auth;
pub mod bench;
pub mod bench_api;
pub mod businesses;
pub mod calendar;
pub mod catalog;
pub mod client_addr;
pub mod clock;
pub mod complaints;
pub mod complexity;
pub mod config;
pub mod contact;
pub mod context;
pub mod db;
pub mod dialogues;
pub mod documents;
pub mod dossiers;
pub mod error;
pub mod field_paths;
pub mod graphiql;
pub mod graphql;
pub mod graphql_errors;
pub mod graphql_ws;
pub mod idempotency;
pub mod import;
pub mod notify;
pub mod pagination;
pub mod par;
pub mod pii_mask;
pub mod privacy;
pub mod procedures;
pub mod query_limits;
pub mod ratings;
pub mod scalars;
pub mod search;
pub mod seed;
pub mod state;
pub mod telemetry;
pub mod text;
pub mod units;

pub use app::Application;
pub use config::Config;
