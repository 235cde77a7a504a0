//! The search dictionary's versions: every change by an admin or an import is a new row; the
//! highest version is in use (none: the default shipped with the release, version 0).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SearchSynonyms {
    Table,
    Version,
    Entries,
    Source,
    CreatedAt,
    CreatedBy,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(SearchSynonyms::Table)
                .col(integer(SearchSynonyms::Version).primary_key())
                .col(text(SearchSynonyms::Entries))
                .col(string_len(SearchSynonyms::Source, 16))
                .col(timestamp_with_time_zone(SearchSynonyms::CreatedAt))
                .col(string_len_null(SearchSynonyms::CreatedBy, 36))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(SearchSynonyms::Table).to_owned())
            .await
    }
}
