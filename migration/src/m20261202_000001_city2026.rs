//! The city as it is in 2026: units through time (versions and many-to-many succession), the
//! working-day calendar with swapped working days and confirmed/provisional years, receipt rules
//! of the one-stop shop (cut-off time, online receipt, an appointment given by the one-stop-shop
//! system), apologies at hand-over and excused delays, and the flag on what reads like a
//! complaint or denunciation under their own laws.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Units {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum UnitVersions {
    Table,
    UnitId,
    ValidFrom,
    Name,
    NameFolded,
    ShortName,
    Block,
    ParentId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum UnitSuccessions {
    Table,
    PredecessorId,
    SuccessorId,
    EffectiveOn,
    Kind,
    Position,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Holidays {
    Table,
    Kind,
}

#[derive(DeriveIden)]
enum CalendarYears {
    Table,
    Year,
    Status,
    Source,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Procedures {
    Table,
    ReceiptCutoffMinutes,
}

#[derive(DeriveIden)]
enum Dossiers {
    Table,
    Online,
    DueGiven,
    CountsFrom,
    ApologyAtHandover,
    DelayExcusedAt,
    DelayExcuseReason,
    DelayExcusedBy,
}

#[derive(DeriveIden)]
enum Complaints {
    Table,
    LegalTrack,
    LegalTrackSource,
    FilerConfirmedFeedback,
}

/// SQLite alters one column per statement.
async fn add(m: &SchemaManager<'_>, table: impl IntoIden, col: ColumnDef) -> Result<(), DbErr> {
    let mut col = col;
    m.alter_table(Table::alter().table(table).add_column(&mut col).to_owned())
        .await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(UnitVersions::Table)
                .col(string_len(UnitVersions::UnitId, 36))
                .col(date(UnitVersions::ValidFrom))
                .col(string_len(UnitVersions::Name, 200))
                .col(string_len(UnitVersions::NameFolded, 200))
                .col(string_len_null(UnitVersions::ShortName, 64))
                .col(string_len(UnitVersions::Block, 24))
                .col(string_len_null(UnitVersions::ParentId, 36))
                .col(timestamp_with_time_zone(UnitVersions::CreatedAt))
                .primary_key(
                    Index::create()
                        .col(UnitVersions::UnitId)
                        .col(UnitVersions::ValidFrom),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_unit_versions_unit")
                        .from(UnitVersions::Table, UnitVersions::UnitId)
                        .to(Units::Table, Units::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(UnitSuccessions::Table)
                .col(string_len(UnitSuccessions::PredecessorId, 36))
                .col(string_len(UnitSuccessions::SuccessorId, 36))
                .col(date(UnitSuccessions::EffectiveOn))
                .col(string_len(UnitSuccessions::Kind, 16))
                .col(integer(UnitSuccessions::Position).default(0))
                .col(timestamp_with_time_zone(UnitSuccessions::CreatedAt))
                .primary_key(
                    Index::create()
                        .col(UnitSuccessions::PredecessorId)
                        .col(UnitSuccessions::SuccessorId),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_unit_successions_predecessor")
                        .from(UnitSuccessions::Table, UnitSuccessions::PredecessorId)
                        .to(Units::Table, Units::Id),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_unit_successions_successor")
                        .from(UnitSuccessions::Table, UnitSuccessions::SuccessorId)
                        .to(Units::Table, Units::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_unit_successions_successor")
                .table(UnitSuccessions::Table)
                .col(UnitSuccessions::SuccessorId)
                .to_owned(),
        )
        .await?;
        // Every existing unit gets its first version from its own row, and a retired unit's
        // single successor becomes a succession link from the day after its end.
        let db = m.get_connection();
        db.execute_unprepared(
            "INSERT INTO unit_versions (unit_id, valid_from, name, name_folded, short_name, block, parent_id, created_at) \
             SELECT id, valid_from, name, name_folded, short_name, block, parent_id, created_at FROM units",
        )
        .await?;
        let next_day = match m.get_database_backend() {
            sea_orm::DatabaseBackend::Postgres => "valid_to + 1",
            _ => "date(valid_to, '+1 day')",
        };
        db.execute_unprepared(&format!(
            "INSERT INTO unit_successions (predecessor_id, successor_id, effective_on, kind, position, created_at) \
             SELECT id, successor_id, {next_day}, 'MERGED_INTO', 0, updated_at FROM units \
             WHERE successor_id IS NOT NULL AND valid_to IS NOT NULL"
        ))
        .await?;

        add(
            m,
            Holidays::Table,
            string_len(Holidays::Kind, 16).default("HOLIDAY").to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(CalendarYears::Table)
                .col(integer(CalendarYears::Year).primary_key())
                .col(string_len(CalendarYears::Status, 16))
                .col(string_len_null(CalendarYears::Source, 500))
                .col(timestamp_with_time_zone(CalendarYears::UpdatedAt))
                .to_owned(),
        )
        .await?;

        add(
            m,
            Procedures::Table,
            integer_null(Procedures::ReceiptCutoffMinutes).to_owned(),
        )
        .await?;
        // Same-day procedures stop receiving for the day at 15:00.
        db.execute_unprepared(
            "UPDATE procedures SET receipt_cutoff_minutes = 900 WHERE processing_days = 0",
        )
        .await?;

        add(
            m,
            Dossiers::Table,
            boolean(Dossiers::Online).default(false).to_owned(),
        )
        .await?;
        add(
            m,
            Dossiers::Table,
            boolean(Dossiers::DueGiven).default(false).to_owned(),
        )
        .await?;
        add(
            m,
            Dossiers::Table,
            date_null(Dossiers::CountsFrom).to_owned(),
        )
        .await?;
        add(
            m,
            Dossiers::Table,
            boolean(Dossiers::ApologyAtHandover)
                .default(false)
                .to_owned(),
        )
        .await?;
        add(
            m,
            Dossiers::Table,
            timestamp_with_time_zone_null(Dossiers::DelayExcusedAt).to_owned(),
        )
        .await?;
        add(
            m,
            Dossiers::Table,
            string_len_null(Dossiers::DelayExcuseReason, 2000).to_owned(),
        )
        .await?;
        add(
            m,
            Dossiers::Table,
            string_len_null(Dossiers::DelayExcusedBy, 160).to_owned(),
        )
        .await?;

        add(
            m,
            Complaints::Table,
            string_len_null(Complaints::LegalTrack, 16).to_owned(),
        )
        .await?;
        add(
            m,
            Complaints::Table,
            string_len_null(Complaints::LegalTrackSource, 16).to_owned(),
        )
        .await?;
        add(
            m,
            Complaints::Table,
            boolean(Complaints::FilerConfirmedFeedback)
                .default(false)
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for (t, c) in [
            ("complaints", "filer_confirmed_feedback"),
            ("complaints", "legal_track_source"),
            ("complaints", "legal_track"),
            ("dossiers", "delay_excused_by"),
            ("dossiers", "delay_excuse_reason"),
            ("dossiers", "delay_excused_at"),
            ("dossiers", "apology_at_handover"),
            ("dossiers", "counts_from"),
            ("dossiers", "due_given"),
            ("dossiers", "online"),
            ("procedures", "receipt_cutoff_minutes"),
            ("holidays", "kind"),
        ] {
            m.alter_table(
                Table::alter()
                    .table(Alias::new(t))
                    .drop_column(Alias::new(c))
                    .to_owned(),
            )
            .await?;
        }
        m.drop_table(Table::drop().table(CalendarYears::Table).to_owned())
            .await?;
        m.drop_table(Table::drop().table(UnitSuccessions::Table).to_owned())
            .await?;
        m.drop_table(Table::drop().table(UnitVersions::Table).to_owned())
            .await
    }
}
