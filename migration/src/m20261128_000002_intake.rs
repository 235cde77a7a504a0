//! Feedback intake: holidays, dossiers, ratings with their component scores, complaints with
//! their event log.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Holidays {
    Table,
    Date,
    Name,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Dossiers {
    Table,
    Id,
    Code,
    ProcedureId,
    UnitId,
    FilerKind,
    TaxCode,
    ReceivedAt,
    OriginalDueAt,
    DueAt,
    CompletedAt,
    ApologyIssuedAt,
    ApologyReason,
    ApologyLate,
    ApologyBy,
    RecordedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Ratings {
    Table,
    Id,
    DossierId,
    UnitId,
    ProcedureId,
    Verified,
    Channel,
    Comment,
    RaterAccountId,
    IdempotencyKey,
    Month,
    CreatedAt,
}

#[derive(DeriveIden)]
enum RatingScores {
    Table,
    RatingId,
    Component,
    Score,
}

#[derive(DeriveIden)]
enum Complaints {
    Table,
    Id,
    Code,
    Kind,
    Category,
    UnitId,
    AssignedUnitId,
    ProcedureId,
    DossierId,
    Title,
    Body,
    ContactName,
    ContactPhone,
    ContactEmail,
    FilerAccountId,
    Status,
    ReceivedAt,
    ForwardDueAt,
    AnswerDueAt,
    AcceptedAt,
    ForwardedAt,
    Answer,
    AnsweredAt,
    AnsweredLate,
    Published,
    PublishedAt,
    RejectionReason,
    DuplicateOfId,
    FilerSatisfied,
    FilerComment,
    ReopenCount,
    ClosedAt,
    IdempotencyKey,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ComplaintEvents {
    Table,
    Id,
    ComplaintId,
    At,
    Action,
    ActorSubject,
    ActorRole,
    FromStatus,
    ToStatus,
    FromUnitId,
    ToUnitId,
    Note,
}

#[derive(DeriveIden)]
enum Units {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Procedures {
    Table,
    Id,
}

fn fk(
    name: &str,
    from: (impl IntoIden, impl IntoIden),
    to: (impl IntoIden, impl IntoIden),
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(from.0, from.1)
        .to(to.0, to.1)
        .to_owned()
}

async fn index(
    m: &SchemaManager<'_>,
    name: &str,
    table: DynIden,
    cols: Vec<DynIden>,
) -> Result<(), DbErr> {
    let mut i = Index::create();
    i.name(name).table(table);
    for c in cols {
        i.col(c);
    }
    m.create_index(i.to_owned()).await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Holidays::Table)
                .col(date(Holidays::Date).primary_key())
                .col(string_len(Holidays::Name, 200))
                .col(timestamp_with_time_zone(Holidays::CreatedAt))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Dossiers::Table)
                .col(string_len(Dossiers::Id, 36).primary_key())
                .col(string_len_uniq(Dossiers::Code, 64))
                .col(string_len(Dossiers::ProcedureId, 36))
                .col(string_len(Dossiers::UnitId, 36))
                .col(string_len(Dossiers::FilerKind, 16))
                .col(string_len_null(Dossiers::TaxCode, 14))
                .col(timestamp_with_time_zone(Dossiers::ReceivedAt))
                .col(timestamp_with_time_zone(Dossiers::OriginalDueAt))
                .col(timestamp_with_time_zone(Dossiers::DueAt))
                .col(timestamp_with_time_zone_null(Dossiers::CompletedAt))
                .col(timestamp_with_time_zone_null(Dossiers::ApologyIssuedAt))
                .col(string_len_null(Dossiers::ApologyReason, 2000))
                .col(boolean_null(Dossiers::ApologyLate))
                .col(string_len_null(Dossiers::ApologyBy, 80))
                .col(string_len(Dossiers::RecordedBy, 80))
                .col(timestamp_with_time_zone(Dossiers::CreatedAt))
                .col(timestamp_with_time_zone(Dossiers::UpdatedAt))
                .foreign_key(&mut fk(
                    "fk_dossiers_procedure",
                    (Dossiers::Table, Dossiers::ProcedureId),
                    (Procedures::Table, Procedures::Id),
                ))
                .foreign_key(&mut fk(
                    "fk_dossiers_unit",
                    (Dossiers::Table, Dossiers::UnitId),
                    (Units::Table, Units::Id),
                ))
                .to_owned(),
        )
        .await?;
        index(
            m,
            "idx_dossiers_unit_received",
            Dossiers::Table.into_iden(),
            vec![
                Dossiers::UnitId.into_iden(),
                Dossiers::ReceivedAt.into_iden(),
            ],
        )
        .await?;
        index(
            m,
            "idx_dossiers_procedure",
            Dossiers::Table.into_iden(),
            vec![Dossiers::ProcedureId.into_iden()],
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Ratings::Table)
                .col(string_len(Ratings::Id, 36).primary_key())
                .col(string_len_null(Ratings::DossierId, 36).unique_key())
                .col(string_len(Ratings::UnitId, 36))
                .col(string_len_null(Ratings::ProcedureId, 36))
                .col(boolean(Ratings::Verified))
                .col(string_len(Ratings::Channel, 16))
                .col(string_len_null(Ratings::Comment, 2000))
                .col(string_len_null(Ratings::RaterAccountId, 36))
                .col(string_len_null(Ratings::IdempotencyKey, 100).unique_key())
                .col(string_len(Ratings::Month, 7))
                .col(timestamp_with_time_zone(Ratings::CreatedAt))
                .foreign_key(&mut fk(
                    "fk_ratings_dossier",
                    (Ratings::Table, Ratings::DossierId),
                    (Dossiers::Table, Dossiers::Id),
                ))
                .foreign_key(&mut fk(
                    "fk_ratings_unit",
                    (Ratings::Table, Ratings::UnitId),
                    (Units::Table, Units::Id),
                ))
                .foreign_key(&mut fk(
                    "fk_ratings_procedure",
                    (Ratings::Table, Ratings::ProcedureId),
                    (Procedures::Table, Procedures::Id),
                ))
                .to_owned(),
        )
        .await?;
        index(
            m,
            "idx_ratings_unit_month",
            Ratings::Table.into_iden(),
            vec![Ratings::UnitId.into_iden(), Ratings::Month.into_iden()],
        )
        .await?;
        index(
            m,
            "idx_ratings_procedure_month",
            Ratings::Table.into_iden(),
            vec![Ratings::ProcedureId.into_iden(), Ratings::Month.into_iden()],
        )
        .await?;

        m.create_table(
            Table::create()
                .table(RatingScores::Table)
                .col(string_len(RatingScores::RatingId, 36))
                .col(string_len(RatingScores::Component, 24))
                .col(integer(RatingScores::Score))
                .primary_key(
                    Index::create()
                        .col(RatingScores::RatingId)
                        .col(RatingScores::Component),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_rating_scores_rating")
                        .from(RatingScores::Table, RatingScores::RatingId)
                        .to(Ratings::Table, Ratings::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .check(Expr::col(RatingScores::Score).between(1, 5))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Complaints::Table)
                .col(string_len(Complaints::Id, 36).primary_key())
                .col(string_len_uniq(Complaints::Code, 20))
                .col(string_len(Complaints::Kind, 16))
                .col(string_len(Complaints::Category, 32))
                .col(string_len(Complaints::UnitId, 36))
                .col(string_len(Complaints::AssignedUnitId, 36))
                .col(string_len_null(Complaints::ProcedureId, 36))
                .col(string_len_null(Complaints::DossierId, 36))
                .col(string_len(Complaints::Title, 200))
                .col(text(Complaints::Body))
                .col(string_len(Complaints::ContactName, 200))
                .col(string_len_null(Complaints::ContactPhone, 20))
                .col(string_len_null(Complaints::ContactEmail, 254))
                .col(string_len_null(Complaints::FilerAccountId, 36))
                .col(string_len(Complaints::Status, 16))
                .col(timestamp_with_time_zone(Complaints::ReceivedAt))
                .col(timestamp_with_time_zone(Complaints::ForwardDueAt))
                .col(timestamp_with_time_zone(Complaints::AnswerDueAt))
                .col(timestamp_with_time_zone_null(Complaints::AcceptedAt))
                .col(timestamp_with_time_zone_null(Complaints::ForwardedAt))
                .col(text_null(Complaints::Answer))
                .col(timestamp_with_time_zone_null(Complaints::AnsweredAt))
                .col(boolean_null(Complaints::AnsweredLate))
                .col(boolean(Complaints::Published).default(false))
                .col(timestamp_with_time_zone_null(Complaints::PublishedAt))
                .col(string_len_null(Complaints::RejectionReason, 2000))
                .col(string_len_null(Complaints::DuplicateOfId, 36))
                .col(boolean_null(Complaints::FilerSatisfied))
                .col(string_len_null(Complaints::FilerComment, 2000))
                .col(integer(Complaints::ReopenCount).default(0))
                .col(timestamp_with_time_zone_null(Complaints::ClosedAt))
                .col(string_len_null(Complaints::IdempotencyKey, 100).unique_key())
                .col(timestamp_with_time_zone(Complaints::UpdatedAt))
                .foreign_key(&mut fk(
                    "fk_complaints_unit",
                    (Complaints::Table, Complaints::UnitId),
                    (Units::Table, Units::Id),
                ))
                .foreign_key(&mut fk(
                    "fk_complaints_assigned_unit",
                    (Complaints::Table, Complaints::AssignedUnitId),
                    (Units::Table, Units::Id),
                ))
                .foreign_key(&mut fk(
                    "fk_complaints_procedure",
                    (Complaints::Table, Complaints::ProcedureId),
                    (Procedures::Table, Procedures::Id),
                ))
                .foreign_key(&mut fk(
                    "fk_complaints_dossier",
                    (Complaints::Table, Complaints::DossierId),
                    (Dossiers::Table, Dossiers::Id),
                ))
                .foreign_key(&mut fk(
                    "fk_complaints_duplicate_of",
                    (Complaints::Table, Complaints::DuplicateOfId),
                    (Complaints::Table, Complaints::Id),
                ))
                .to_owned(),
        )
        .await?;
        index(
            m,
            "idx_complaints_assigned_status",
            Complaints::Table.into_iden(),
            vec![
                Complaints::AssignedUnitId.into_iden(),
                Complaints::Status.into_iden(),
            ],
        )
        .await?;
        index(
            m,
            "idx_complaints_received",
            Complaints::Table.into_iden(),
            vec![Complaints::ReceivedAt.into_iden()],
        )
        .await?;
        index(
            m,
            "idx_complaints_filer",
            Complaints::Table.into_iden(),
            vec![Complaints::FilerAccountId.into_iden()],
        )
        .await?;

        m.create_table(
            Table::create()
                .table(ComplaintEvents::Table)
                .col(string_len(ComplaintEvents::Id, 36).primary_key())
                .col(string_len(ComplaintEvents::ComplaintId, 36))
                .col(timestamp_with_time_zone(ComplaintEvents::At))
                .col(string_len(ComplaintEvents::Action, 16))
                .col(string_len_null(ComplaintEvents::ActorSubject, 80))
                .col(string_len_null(ComplaintEvents::ActorRole, 16))
                .col(string_len_null(ComplaintEvents::FromStatus, 16))
                .col(string_len(ComplaintEvents::ToStatus, 16))
                .col(string_len_null(ComplaintEvents::FromUnitId, 36))
                .col(string_len_null(ComplaintEvents::ToUnitId, 36))
                .col(text_null(ComplaintEvents::Note))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_complaint_events_complaint")
                        .from(ComplaintEvents::Table, ComplaintEvents::ComplaintId)
                        .to(Complaints::Table, Complaints::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        index(
            m,
            "idx_complaint_events_complaint",
            ComplaintEvents::Table.into_iden(),
            vec![
                ComplaintEvents::ComplaintId.into_iden(),
                ComplaintEvents::At.into_iden(),
            ],
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            ComplaintEvents::Table.into_iden(),
            Complaints::Table.into_iden(),
            RatingScores::Table.into_iden(),
            Ratings::Table.into_iden(),
            Dossiers::Table.into_iden(),
            Holidays::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
