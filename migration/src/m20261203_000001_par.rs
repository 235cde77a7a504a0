//! The PAR index (Chỉ số CCHC): a period per year with its criteria template, bands and blocks;
//! the units of that year as they were then; self-assessed and appraised scores; deductions; an
//! audit log; and the computed results, frozen once published.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ParPeriods {
    Table,
    Year,
    Status,
    Imported,
    Template,
    Bands,
    Blocks,
    MinSample,
    Source,
    ComputedAt,
    PublishedAt,
    PublishedBy,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ParPeriodUnits {
    Table,
    Year,
    UnitId,
    Code,
    Name,
    ShortName,
    Block,
}

#[derive(DeriveIden)]
enum ParScores {
    Table,
    Year,
    UnitId,
    Criterion,
    SelfScore,
    SelfNote,
    AppraisedScore,
    AppraisalNote,
    UpdatedBy,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ParDeductions {
    Table,
    Id,
    Year,
    UnitId,
    Criterion,
    Points,
    Reason,
    CreatedBy,
    CreatedAt,
    RemovedAt,
    RemovedBy,
    RemovalReason,
}

#[derive(DeriveIden)]
enum ParAudit {
    Table,
    Id,
    Year,
    UnitId,
    Action,
    Criterion,
    Detail,
    Actor,
    At,
}

#[derive(DeriveIden)]
enum ParResults {
    Table,
    Year,
    UnitId,
    Block,
    Total,
    Band,
    Rank,
    Areas,
    ComputedAt,
}

#[derive(DeriveIden)]
enum ParCriterionResults {
    Table,
    Year,
    UnitId,
    Criterion,
    Points,
    Max,
    Detail,
}

#[derive(DeriveIden)]
enum RatingTallies {
    Table,
    UnitId,
    Month,
    Component,
    Verified,
    Answers,
    ScoreSum,
    Satisfied,
}

#[derive(DeriveIden)]
enum Dossiers {
    Table,
    UnitId,
    CompletedAt,
    OriginalDueAt,
    CreatedAt,
    DelayExcusedAt,
    ApologyIssuedAt,
    ApologyLate,
    ApologyAtHandover,
}

#[derive(DeriveIden)]
enum Complaints {
    Table,
    AssignedUnitId,
    AnswerDueAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(ParPeriods::Table)
                .col(integer(ParPeriods::Year).primary_key())
                .col(string_len(ParPeriods::Status, 16))
                .col(boolean(ParPeriods::Imported).default(false))
                .col(text(ParPeriods::Template))
                .col(text(ParPeriods::Bands))
                .col(text(ParPeriods::Blocks))
                .col(integer(ParPeriods::MinSample))
                .col(text_null(ParPeriods::Source))
                .col(timestamp_with_time_zone_null(ParPeriods::ComputedAt))
                .col(timestamp_with_time_zone_null(ParPeriods::PublishedAt))
                .col(string_len_null(ParPeriods::PublishedBy, 80))
                .col(string_len(ParPeriods::CreatedBy, 80))
                .col(timestamp_with_time_zone(ParPeriods::CreatedAt))
                .col(timestamp_with_time_zone(ParPeriods::UpdatedAt))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(ParPeriodUnits::Table)
                .col(integer(ParPeriodUnits::Year))
                .col(string_len(ParPeriodUnits::UnitId, 36))
                .col(string_len(ParPeriodUnits::Code, 64))
                .col(string_len(ParPeriodUnits::Name, 200))
                .col(string_len_null(ParPeriodUnits::ShortName, 64))
                .col(string_len(ParPeriodUnits::Block, 24))
                .primary_key(
                    Index::create()
                        .col(ParPeriodUnits::Year)
                        .col(ParPeriodUnits::UnitId),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_par_period_units_period")
                        .from(ParPeriodUnits::Table, ParPeriodUnits::Year)
                        .to(ParPeriods::Table, ParPeriods::Year),
                )
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(ParScores::Table)
                .col(integer(ParScores::Year))
                .col(string_len(ParScores::UnitId, 36))
                .col(string_len(ParScores::Criterion, 32))
                .col(double_null(ParScores::SelfScore))
                .col(text_null(ParScores::SelfNote))
                .col(double_null(ParScores::AppraisedScore))
                .col(text_null(ParScores::AppraisalNote))
                .col(string_len(ParScores::UpdatedBy, 80))
                .col(timestamp_with_time_zone(ParScores::UpdatedAt))
                .primary_key(
                    Index::create()
                        .col(ParScores::Year)
                        .col(ParScores::UnitId)
                        .col(ParScores::Criterion),
                )
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(ParDeductions::Table)
                .col(string_len(ParDeductions::Id, 36).primary_key())
                .col(integer(ParDeductions::Year))
                .col(string_len(ParDeductions::UnitId, 36))
                .col(string_len(ParDeductions::Criterion, 32))
                .col(double(ParDeductions::Points))
                .col(text(ParDeductions::Reason))
                .col(string_len(ParDeductions::CreatedBy, 80))
                .col(timestamp_with_time_zone(ParDeductions::CreatedAt))
                .col(timestamp_with_time_zone_null(ParDeductions::RemovedAt))
                .col(string_len_null(ParDeductions::RemovedBy, 80))
                .col(text_null(ParDeductions::RemovalReason))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_par_deductions_unit")
                .table(ParDeductions::Table)
                .col(ParDeductions::Year)
                .col(ParDeductions::UnitId)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(ParAudit::Table)
                .col(string_len(ParAudit::Id, 36).primary_key())
                .col(integer(ParAudit::Year))
                .col(string_len_null(ParAudit::UnitId, 36))
                .col(string_len(ParAudit::Action, 32))
                .col(string_len_null(ParAudit::Criterion, 32))
                .col(text(ParAudit::Detail))
                .col(string_len(ParAudit::Actor, 80))
                .col(timestamp_with_time_zone(ParAudit::At))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_par_audit_unit")
                .table(ParAudit::Table)
                .col(ParAudit::Year)
                .col(ParAudit::UnitId)
                .col(ParAudit::At)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(ParResults::Table)
                .col(integer(ParResults::Year))
                .col(string_len(ParResults::UnitId, 36))
                .col(string_len(ParResults::Block, 24))
                .col(double(ParResults::Total))
                .col(string_len(ParResults::Band, 64))
                .col(integer_null(ParResults::Rank))
                .col(text(ParResults::Areas))
                .col(timestamp_with_time_zone(ParResults::ComputedAt))
                .primary_key(
                    Index::create()
                        .col(ParResults::Year)
                        .col(ParResults::UnitId),
                )
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(ParCriterionResults::Table)
                .col(integer(ParCriterionResults::Year))
                .col(string_len(ParCriterionResults::UnitId, 36))
                .col(string_len(ParCriterionResults::Criterion, 32))
                .col(double(ParCriterionResults::Points))
                .col(double(ParCriterionResults::Max))
                .col(text(ParCriterionResults::Detail))
                .primary_key(
                    Index::create()
                        .col(ParCriterionResults::Year)
                        .col(ParCriterionResults::UnitId)
                        .col(ParCriterionResults::Criterion),
                )
                .to_owned(),
        )
        .await?;
        // Answers per unit, month and component, kept in the transaction of each rating: a
        // year's satisfaction for every unit is a sum over a few thousand rows, not a join of
        // tens of millions. Filled from the ratings already there.
        m.create_table(
            Table::create()
                .table(RatingTallies::Table)
                .col(string_len(RatingTallies::UnitId, 36))
                .col(string_len(RatingTallies::Month, 7))
                .col(string_len(RatingTallies::Component, 24))
                .col(boolean(RatingTallies::Verified))
                .col(big_integer(RatingTallies::Answers))
                .col(big_integer(RatingTallies::ScoreSum))
                .col(big_integer(RatingTallies::Satisfied))
                .primary_key(
                    Index::create()
                        .col(RatingTallies::Month)
                        .col(RatingTallies::UnitId)
                        .col(RatingTallies::Component)
                        .col(RatingTallies::Verified),
                )
                .to_owned(),
        )
        .await?;
        m.get_connection()
            .execute_unprepared(
                "INSERT INTO rating_tallies (unit_id, month, component, verified, answers, score_sum, satisfied) \
                 SELECT r.unit_id, r.month, s.component, r.verified, COUNT(*), SUM(s.score), \
                        SUM(CASE WHEN s.score >= 4 THEN 1 ELSE 0 END) \
                 FROM rating_scores s JOIN ratings r ON r.id = s.rating_id \
                 GROUP BY r.unit_id, r.month, s.component, r.verified",
            )
            .await?;
        // The aggregates of a period: dossiers by unit and outcome, complaints by assigned unit
        // and deadline.
        // Covers every column the year's dossier aggregate reads: grouped by unit, it is read
        // from the index alone (without it SQLite walks the unit index and looks up every row,
        // six times slower).
        m.create_index(
            Index::create()
                .name("idx_dossiers_par")
                .table(Dossiers::Table)
                .col(Dossiers::UnitId)
                .col(Dossiers::CompletedAt)
                .col(Dossiers::OriginalDueAt)
                .col(Dossiers::CreatedAt)
                .col(Dossiers::DelayExcusedAt)
                .col(Dossiers::ApologyIssuedAt)
                .col(Dossiers::ApologyLate)
                .col(Dossiers::ApologyAtHandover)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_complaints_assigned_answer_due")
                .table(Complaints::Table)
                .col(Complaints::AssignedUnitId)
                .col(Complaints::AnswerDueAt)
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            RatingTallies::Table.into_iden(),
            ParCriterionResults::Table.into_iden(),
            ParResults::Table.into_iden(),
            ParAudit::Table.into_iden(),
            ParDeductions::Table.into_iden(),
            ParScores::Table.into_iden(),
            ParPeriodUnits::Table.into_iden(),
            ParPeriods::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        for (name, table) in [
            ("idx_dossiers_par", Dossiers::Table.into_iden()),
            (
                "idx_complaints_assigned_answer_due",
                Complaints::Table.into_iden(),
            ),
        ] {
            m.drop_index(Index::drop().name(name).table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
