//! Indexes for lists paged by key: each list's filter, then its sort column, then the id that
//! breaks ties, so a page is read from the index in order and stops after one page. They
//! replace the shorter indexes they begin with.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// (name, table, columns, the index it replaces with that index's columns)
type Replaced = Option<(&'static str, &'static [&'static str])>;
const INDEXES: &[(&str, &str, &[&str], Replaced)] = &[
    (
        "idx_complaints_assigned_received",
        "complaints",
        &["assigned_unit_id", "received_at", "id"],
        None,
    ),
    (
        "idx_complaints_received_id",
        "complaints",
        &["received_at", "id"],
        Some(("idx_complaints_received", &["received_at"])),
    ),
    (
        "idx_complaints_filer_received",
        "complaints",
        &["filer_account_id", "received_at", "id"],
        Some(("idx_complaints_filer", &["filer_account_id"])),
    ),
    (
        "idx_complaints_published_received",
        "complaints",
        &["published", "received_at", "id"],
        None,
    ),
    (
        "idx_complaints_assigned_answer_due_id",
        "complaints",
        &["assigned_unit_id", "answer_due_at", "id"],
        Some((
            "idx_complaints_assigned_answer_due",
            &["assigned_unit_id", "answer_due_at"],
        )),
    ),
    (
        "idx_dossiers_unit_received_id",
        "dossiers",
        &["unit_id", "received_at", "id"],
        Some(("idx_dossiers_unit_received", &["unit_id", "received_at"])),
    ),
    (
        "idx_dossiers_received_id",
        "dossiers",
        &["received_at", "id"],
        None,
    ),
];

fn create(name: &str, table: &str, cols: &[&str]) -> IndexCreateStatement {
    let mut i = Index::create();
    i.name(name).table(Alias::new(table));
    for c in cols {
        i.col(Alias::new(*c));
    }
    i.to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for (name, table, cols, replaces) in INDEXES {
            m.create_index(create(name, table, cols)).await?;
            if let Some((old, _)) = replaces {
                m.drop_index(
                    Index::drop()
                        .name(*old)
                        .table(Alias::new(*table))
                        .to_owned(),
                )
                .await?;
            }
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for (name, table, _, replaces) in INDEXES.iter().rev() {
            if let Some((old, cols)) = replaces {
                m.create_index(create(old, table, cols)).await?;
            }
            m.drop_index(
                Index::drop()
                    .name(*name)
                    .table(Alias::new(*table))
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }
}
