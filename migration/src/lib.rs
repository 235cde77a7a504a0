//! Schema migrations, applied at start-up and by `portal migrate`. The same migrations serve
//! SQLite and PostgreSQL; tests run them for real rather than building tables from entities.

pub use sea_orm_migration::prelude::*;

/// An index on `cols` of `table`, named `name`.
pub(crate) fn index(
    name: &str,
    table: impl IntoIden,
    cols: &[&'static str],
) -> IndexCreateStatement {
    let mut i = Index::create();
    i.name(name).table(table.into_iden());
    for c in cols {
        i.col(Alias::new(*c));
    }
    i.to_owned()
}

mod m20261128_000001_foundation;
mod m20261128_000002_intake;
mod m20261128_000003_search;
mod m20261201_000001_trust;
mod m20261202_000001_city2026;
mod m20261203_000001_par;
mod m20261204_000001_dialogues;
mod m20261205_000001_speed;
mod m20261205_000002_rate_counts;
pub mod m20261207_000001_integrity;
mod m20261207_000002_signup;
mod m20261208_000001_sessions;
mod m20261209_000001_privacy;
mod m20261210_000001_search_synonyms;
mod m20261211_000001_notifications;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261128_000001_foundation::Migration),
            Box::new(m20261128_000002_intake::Migration),
            Box::new(m20261128_000003_search::Migration),
            Box::new(m20261201_000001_trust::Migration),
            Box::new(m20261202_000001_city2026::Migration),
            Box::new(m20261203_000001_par::Migration),
            Box::new(m20261204_000001_dialogues::Migration),
            Box::new(m20261205_000001_speed::Migration),
            Box::new(m20261205_000002_rate_counts::Migration),
            Box::new(m20261207_000001_integrity::Migration),
            Box::new(m20261207_000002_signup::Migration),
            Box::new(m20261208_000001_sessions::Migration),
            Box::new(m20261209_000001_privacy::Migration),
            Box::new(m20261210_000001_search_synonyms::Migration),
            Box::new(m20261211_000001_notifications::Migration),
        ]
    }
}
