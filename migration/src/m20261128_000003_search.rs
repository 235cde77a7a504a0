//! Search: the outbox that feeds the search engine, and the folded text of complaints the
//! database falls back on while the engine is down.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SearchOutbox {
    Table,
    Id,
    Kind,
    DocId,
    CreatedAt,
    Attempts,
    NextAttemptAt,
    ClaimedUntil,
    LastError,
}

#[derive(DeriveIden)]
enum Complaints {
    Table,
    SearchText,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(SearchOutbox::Table)
                .col(big_pk_auto(SearchOutbox::Id))
                .col(string_len(SearchOutbox::Kind, 16))
                .col(string_len(SearchOutbox::DocId, 36))
                .col(timestamp_with_time_zone(SearchOutbox::CreatedAt))
                .col(integer(SearchOutbox::Attempts).default(0))
                .col(timestamp_with_time_zone(SearchOutbox::NextAttemptAt))
                .col(timestamp_with_time_zone_null(SearchOutbox::ClaimedUntil))
                .col(text_null(SearchOutbox::LastError))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_search_outbox_next")
                .table(SearchOutbox::Table)
                .col(SearchOutbox::NextAttemptAt)
                .to_owned(),
        )
        .await?;
        // SQLite applies one ALTER option per statement: one column per alter_table.
        m.alter_table(
            Table::alter()
                .table(Complaints::Table)
                .add_column(text(Complaints::SearchText).default(""))
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Complaints::Table)
                .drop_column(Complaints::SearchText)
                .to_owned(),
        )
        .await?;
        m.drop_table(Table::drop().table(SearchOutbox::Table).to_owned())
            .await
    }
}
