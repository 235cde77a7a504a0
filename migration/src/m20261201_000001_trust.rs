//! Trust: retry keys that belong to their caller, and the rating code printed on a dossier's
//! receipt (proof that a rating comes from the dossier's filer).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum IdempotencyKeys {
    Table,
    Owner,
    Operation,
    Key,
    Fingerprint,
    ResultId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Dossiers {
    Table,
    RatingCode,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(IdempotencyKeys::Table)
                .col(string_len(IdempotencyKeys::Owner, 160))
                .col(string_len(IdempotencyKeys::Operation, 32))
                .col(string_len(IdempotencyKeys::Key, 100))
                .col(string_len(IdempotencyKeys::Fingerprint, 64))
                .col(string_len(IdempotencyKeys::ResultId, 36))
                .col(timestamp_with_time_zone(IdempotencyKeys::CreatedAt))
                .primary_key(
                    Index::create()
                        .col(IdempotencyKeys::Owner)
                        .col(IdempotencyKeys::Operation)
                        .col(IdempotencyKeys::Key),
                )
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Dossiers::Table)
                .add_column(string_len_null(Dossiers::RatingCode, 16))
                .to_owned(),
        )
        .await?;
        // Dossiers recorded before rating codes existed get one each: 8 random hexadecimal
        // characters (new dossiers draw theirs from a wider alphabet).
        let fill = match m.get_database_backend() {
            sea_orm::DatabaseBackend::Postgres => {
                "UPDATE dossiers SET rating_code = upper(substr(md5(random()::text || id), 1, 8)) \
                 WHERE rating_code IS NULL"
            }
            _ => {
                "UPDATE dossiers SET rating_code = upper(hex(randomblob(4))) WHERE rating_code IS NULL"
            }
        };
        m.get_connection().execute_unprepared(fill).await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Dossiers::Table)
                .drop_column(Dossiers::RatingCode)
                .to_owned(),
        )
        .await?;
        m.drop_table(Table::drop().table(IdempotencyKeys::Table).to_owned())
            .await
    }
}
