//! Integrity of the PAR index: the evaluator's review queue for what a unit's staff record
//! about their own figures, rating codes kept only as hashes, the addresses a unit's staff
//! use (so that their ratings of their own dossiers are refused), and the address hash of each
//! rating (the evaluator's signals).

use sea_orm_migration::sea_orm::{self, ConnectionTrait, Statement};
use sea_orm_migration::{prelude::*, schema::*};
use sha2::{Digest, Sha256};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ParReviews {
    Table,
    Id,
    Year,
    UnitId,
    Kind,
    DossierId,
    ComplaintId,
    Code,
    ClaimedAt,
    DueAt,
    Reason,
    RequestedBy,
    RequestedAt,
    Status,
    DecidedBy,
    DecidedAt,
    DecisionReason,
}

#[derive(DeriveIden)]
enum CatalogFigures {
    Table,
    Kind,
    Id,
    Satisfaction,
    OnTimeShare,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum StaffAddresses {
    Table,
    UnitId,
    ClientHash,
    LastSeen,
}

#[derive(DeriveIden)]
enum Dossiers {
    Table,
    RatingCode,
    RatingCodeHash,
    ExcuseAccepted,
}

#[derive(DeriveIden)]
enum Ratings {
    Table,
    ClientHash,
    Month,
    Verified,
}

/// The stored form of a rating code: SHA-256 of the dossier's id and the code as normalised
/// (upper case, no spaces, dashes or dots). The same function is in `portal::dossiers`.
pub fn rating_code_hash(dossier_id: &str, code: &str) -> String {
    let code: String = code
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '.'))
        .flat_map(char::to_uppercase)
        .collect();
    let mut h = Sha256::new();
    h.update(b"gopy-rating-code:v1:");
    h.update(dossier_id.as_bytes());
    h.update(b":");
    h.update(code.as_bytes());
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(ParReviews::Table)
                .col(string_len(ParReviews::Id, 36).primary_key())
                .col(integer(ParReviews::Year))
                .col(string_len(ParReviews::UnitId, 36))
                .col(string_len(ParReviews::Kind, 32))
                .col(string_len_null(ParReviews::DossierId, 36))
                .col(string_len_null(ParReviews::ComplaintId, 36))
                .col(string_len(ParReviews::Code, 64))
                .col(timestamp_with_time_zone_null(ParReviews::ClaimedAt))
                .col(timestamp_with_time_zone(ParReviews::DueAt))
                .col(text(ParReviews::Reason))
                .col(string_len(ParReviews::RequestedBy, 80))
                .col(timestamp_with_time_zone(ParReviews::RequestedAt))
                .col(string_len(ParReviews::Status, 16))
                .col(string_len_null(ParReviews::DecidedBy, 80))
                .col(timestamp_with_time_zone_null(ParReviews::DecidedAt))
                .col(text_null(ParReviews::DecisionReason))
                .to_owned(),
        )
        .await?;
        for (name, cols) in [
            (
                "idx_par_reviews_year_status",
                vec![ParReviews::Year, ParReviews::Status, ParReviews::UnitId],
            ),
            (
                "idx_par_reviews_unit",
                vec![ParReviews::UnitId, ParReviews::Year],
            ),
            ("idx_par_reviews_dossier", vec![ParReviews::DossierId]),
            ("idx_par_reviews_complaint", vec![ParReviews::ComplaintId]),
        ] {
            let mut i = Index::create();
            i.name(name).table(ParReviews::Table);
            for c in cols {
                i.col(c);
            }
            m.create_index(i.to_owned()).await?;
        }
        // What search hits show of a procedure or unit, kept by the indexer.
        m.create_table(
            Table::create()
                .table(CatalogFigures::Table)
                .col(string_len(CatalogFigures::Kind, 16))
                .col(string_len(CatalogFigures::Id, 36))
                .col(text(CatalogFigures::Satisfaction))
                .col(double_null(CatalogFigures::OnTimeShare))
                .col(timestamp_with_time_zone(CatalogFigures::UpdatedAt))
                .primary_key(
                    Index::create()
                        .col(CatalogFigures::Kind)
                        .col(CatalogFigures::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(StaffAddresses::Table)
                .col(string_len(StaffAddresses::UnitId, 36))
                .col(string_len(StaffAddresses::ClientHash, 32))
                .col(timestamp_with_time_zone(StaffAddresses::LastSeen))
                .primary_key(
                    Index::create()
                        .col(StaffAddresses::UnitId)
                        .col(StaffAddresses::ClientHash),
                )
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Ratings::Table)
                .add_column(string_len_null(Ratings::ClientHash, 32))
                .to_owned(),
        )
        .await?;
        // Counting a year's ratings of every unit reads a range of this index, not the table.
        m.create_index(
            Index::create()
                .name("idx_ratings_month_verified")
                .table(Ratings::Table)
                .col(Ratings::Month)
                .col(Ratings::Verified)
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Dossiers::Table)
                .add_column(string_len_null(Dossiers::RatingCodeHash, 64))
                .to_owned(),
        )
        .await?;
        // Excuses recorded before the review queue stand as they were decided then.
        m.alter_table(
            Table::alter()
                .table(Dossiers::Table)
                .add_column(boolean(Dossiers::ExcuseAccepted).default(false))
                .to_owned(),
        )
        .await?;
        let db = m.get_connection();
        db.execute_unprepared(
            "UPDATE dossiers SET excuse_accepted = TRUE WHERE delay_excused_at IS NOT NULL",
        )
        .await?;
        // Rating codes become hashes: read a page, write each hash, until none is left in clear.
        let backend = m.get_database_backend();
        loop {
            let rows = db
                .query_all_raw(Statement::from_string(
                    backend,
                    "SELECT id, rating_code FROM dossiers WHERE rating_code IS NOT NULL \
                     ORDER BY id LIMIT 1000",
                ))
                .await?;
            if rows.is_empty() {
                break;
            }
            for r in rows {
                let id: String = r.try_get("", "id")?;
                let code: String = r.try_get("", "rating_code")?;
                db.execute_raw(Statement::from_sql_and_values(
                    backend,
                    match backend {
                        sea_orm::DatabaseBackend::Postgres => {
                            "UPDATE dossiers SET rating_code_hash = $1, rating_code = NULL WHERE id = $2"
                        }
                        _ => "UPDATE dossiers SET rating_code_hash = ?, rating_code = NULL WHERE id = ?",
                    },
                    [rating_code_hash(&id, &code).into(), id.into()],
                ))
                .await?;
            }
        }
        m.alter_table(
            Table::alter()
                .table(Dossiers::Table)
                .drop_column(Dossiers::RatingCode)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // The codes in clear cannot come back: dossiers keep their hashes' column dropped and
        // get a code column without values (they are rated by a signed-in filer only).
        m.alter_table(
            Table::alter()
                .table(Dossiers::Table)
                .add_column(string_len_null(Dossiers::RatingCode, 16))
                .to_owned(),
        )
        .await?;
        for c in [Dossiers::RatingCodeHash, Dossiers::ExcuseAccepted] {
            m.alter_table(
                Table::alter()
                    .table(Dossiers::Table)
                    .drop_column(c)
                    .to_owned(),
            )
            .await?;
        }
        m.drop_index(
            Index::drop()
                .name("idx_ratings_month_verified")
                .table(Ratings::Table)
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Ratings::Table)
                .drop_column(Ratings::ClientHash)
                .to_owned(),
        )
        .await?;
        m.drop_table(Table::drop().table(StaffAddresses::Table).to_owned())
            .await?;
        m.drop_table(Table::drop().table(CatalogFigures::Table).to_owned())
            .await?;
        m.drop_table(Table::drop().table(ParReviews::Table).to_owned())
            .await
    }
}
