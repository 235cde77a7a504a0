//! Rate limits kept in the database, so that several servers count together: one row per
//! limiter and (hashed) key, with the counts of the current and the previous window.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum RateCounts {
    Table,
    Name,
    Key,
    Win,
    Current,
    Previous,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(RateCounts::Table)
                .col(string_len(RateCounts::Name, 16))
                .col(string_len(RateCounts::Key, 32))
                .col(big_integer(RateCounts::Win))
                .col(big_integer(RateCounts::Current))
                .col(big_integer(RateCounts::Previous))
                .primary_key(Index::create().col(RateCounts::Name).col(RateCounts::Key))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_rate_counts_win")
                .table(RateCounts::Table)
                .col(RateCounts::Name)
                .col(RateCounts::Win)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(RateCounts::Table).to_owned())
            .await
    }
}
