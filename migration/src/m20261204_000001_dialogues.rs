//! Dialogues with businesses (đối thoại doanh nghiệp): the meetings, the units and businesses
//! taking part, the issues raised there (each a complaint, linked here), and the commitments
//! units make on an issue, followed up until done. Complaints learn where they came from
//! (`source`) and which business raised them.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Dialogues {
    Table,
    Id,
    Kind,
    Title,
    Topic,
    HostUnitId,
    StartsAt,
    Location,
    Online,
    Public,
    Status,
    HeldAt,
    ClosedAt,
    Minutes,
    MinutesInternal,
    CancelledAt,
    CancelReason,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
    SearchText,
}

#[derive(DeriveIden)]
enum DialogueUnits {
    Table,
    DialogueId,
    UnitId,
}

#[derive(DeriveIden)]
enum DialogueBusinesses {
    Table,
    DialogueId,
    BusinessId,
    Origin,
    ContactName,
    ContactPhone,
    ContactEmail,
    Agenda,
    CreatedAt,
}

#[derive(DeriveIden)]
enum DialogueIssues {
    Table,
    DialogueId,
    ComplaintId,
    Origin,
    BusinessId,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Commitments {
    Table,
    Id,
    ComplaintId,
    UnitId,
    Text,
    DueOn,
    DueAt,
    Status,
    DoneAt,
    Evidence,
    RecordedBy,
    RecordedAt,
    CompletedBy,
}

#[derive(DeriveIden)]
enum Complaints {
    Table,
    Source,
    BusinessId,
}

#[derive(DeriveIden)]
enum Accounts {
    Table,
    BusinessConfirmedAt,
    BusinessConfirmedBy,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Dialogues::Table)
                .col(string_len(Dialogues::Id, 36).primary_key())
                .col(string_len(Dialogues::Kind, 16))
                .col(string_len(Dialogues::Title, 200))
                .col(text(Dialogues::Topic))
                .col(string_len(Dialogues::HostUnitId, 36))
                .col(timestamp_with_time_zone(Dialogues::StartsAt))
                .col(text_null(Dialogues::Location))
                .col(boolean(Dialogues::Online).default(false))
                .col(boolean(Dialogues::Public).default(false))
                .col(string_len(Dialogues::Status, 16))
                .col(timestamp_with_time_zone_null(Dialogues::HeldAt))
                .col(timestamp_with_time_zone_null(Dialogues::ClosedAt))
                .col(text_null(Dialogues::Minutes))
                .col(boolean(Dialogues::MinutesInternal).default(false))
                .col(timestamp_with_time_zone_null(Dialogues::CancelledAt))
                .col(text_null(Dialogues::CancelReason))
                .col(string_len(Dialogues::CreatedBy, 80))
                .col(timestamp_with_time_zone(Dialogues::CreatedAt))
                .col(timestamp_with_time_zone(Dialogues::UpdatedAt))
                .col(text(Dialogues::SearchText))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_dialogues_host_starts")
                .table(Dialogues::Table)
                .col(Dialogues::HostUnitId)
                .col(Dialogues::StartsAt)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_dialogues_starts")
                .table(Dialogues::Table)
                .col(Dialogues::StartsAt)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(DialogueUnits::Table)
                .col(string_len(DialogueUnits::DialogueId, 36))
                .col(string_len(DialogueUnits::UnitId, 36))
                .primary_key(
                    Index::create()
                        .col(DialogueUnits::DialogueId)
                        .col(DialogueUnits::UnitId),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_dialogue_units_dialogue")
                        .from(DialogueUnits::Table, DialogueUnits::DialogueId)
                        .to(Dialogues::Table, Dialogues::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_dialogue_units_unit")
                .table(DialogueUnits::Table)
                .col(DialogueUnits::UnitId)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(DialogueBusinesses::Table)
                .col(string_len(DialogueBusinesses::DialogueId, 36))
                .col(string_len(DialogueBusinesses::BusinessId, 36))
                .col(string_len(DialogueBusinesses::Origin, 16))
                .col(string_len_null(DialogueBusinesses::ContactName, 200))
                .col(string_len_null(DialogueBusinesses::ContactPhone, 32))
                .col(string_len_null(DialogueBusinesses::ContactEmail, 320))
                .col(text_null(DialogueBusinesses::Agenda))
                .col(timestamp_with_time_zone(DialogueBusinesses::CreatedAt))
                .primary_key(
                    Index::create()
                        .col(DialogueBusinesses::DialogueId)
                        .col(DialogueBusinesses::BusinessId),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_dialogue_businesses_dialogue")
                        .from(DialogueBusinesses::Table, DialogueBusinesses::DialogueId)
                        .to(Dialogues::Table, Dialogues::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_dialogue_businesses_business")
                .table(DialogueBusinesses::Table)
                .col(DialogueBusinesses::BusinessId)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(DialogueIssues::Table)
                .col(string_len(DialogueIssues::DialogueId, 36))
                .col(string_len(DialogueIssues::ComplaintId, 36))
                .col(string_len(DialogueIssues::Origin, 16))
                .col(string_len_null(DialogueIssues::BusinessId, 36))
                .col(string_len(DialogueIssues::CreatedBy, 80))
                .col(timestamp_with_time_zone(DialogueIssues::CreatedAt))
                .primary_key(
                    Index::create()
                        .col(DialogueIssues::DialogueId)
                        .col(DialogueIssues::ComplaintId),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_dialogue_issues_dialogue")
                        .from(DialogueIssues::Table, DialogueIssues::DialogueId)
                        .to(Dialogues::Table, Dialogues::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_dialogue_issues_complaint")
                .table(DialogueIssues::Table)
                .col(DialogueIssues::ComplaintId)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Commitments::Table)
                .col(string_len(Commitments::Id, 36).primary_key())
                .col(string_len(Commitments::ComplaintId, 36))
                .col(string_len(Commitments::UnitId, 36))
                .col(text(Commitments::Text))
                .col(date(Commitments::DueOn))
                .col(timestamp_with_time_zone(Commitments::DueAt))
                .col(string_len(Commitments::Status, 16))
                .col(timestamp_with_time_zone_null(Commitments::DoneAt))
                .col(text_null(Commitments::Evidence))
                .col(string_len(Commitments::RecordedBy, 80))
                .col(timestamp_with_time_zone(Commitments::RecordedAt))
                .col(string_len_null(Commitments::CompletedBy, 80))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_commitments_complaint")
                .table(Commitments::Table)
                .col(Commitments::ComplaintId)
                .to_owned(),
        )
        .await?;
        // commitmentStats groups by unit over a window of due dates.
        m.create_index(
            Index::create()
                .name("idx_commitments_unit_due")
                .table(Commitments::Table)
                .col(Commitments::UnitId)
                .col(Commitments::DueAt)
                .to_owned(),
        )
        .await?;
        // One ALTER per column: SQLite applies only the first of several.
        m.alter_table(
            Table::alter()
                .table(Complaints::Table)
                .add_column(string_len(Complaints::Source, 16).default("PORTAL"))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Complaints::Table)
                .add_column(string_len_null(Complaints::BusinessId, 36))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_complaints_business")
                .table(Complaints::Table)
                .col(Complaints::BusinessId)
                .to_owned(),
        )
        .await?;
        // A business account speaks for its business (its dialogues, the issues recorded for
        // it, its dossiers' ratings) once an admin confirms it. Accounts from before are taken
        // as confirmed, as they were used so far.
        m.alter_table(
            Table::alter()
                .table(Accounts::Table)
                .add_column(timestamp_with_time_zone_null(Accounts::BusinessConfirmedAt))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Accounts::Table)
                .add_column(string_len_null(Accounts::BusinessConfirmedBy, 80))
                .to_owned(),
        )
        .await?;
        m.get_connection()
            .execute_unprepared(
                "UPDATE accounts SET business_confirmed_at = created_at, \
                 business_confirmed_by = 'migration' WHERE business_id IS NOT NULL",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for c in [Accounts::BusinessConfirmedBy, Accounts::BusinessConfirmedAt] {
            m.alter_table(
                Table::alter()
                    .table(Accounts::Table)
                    .drop_column(c)
                    .to_owned(),
            )
            .await?;
        }
        m.drop_index(
            Index::drop()
                .name("idx_complaints_business")
                .table(Complaints::Table)
                .to_owned(),
        )
        .await?;
        for c in [Complaints::BusinessId, Complaints::Source] {
            m.alter_table(
                Table::alter()
                    .table(Complaints::Table)
                    .drop_column(c)
                    .to_owned(),
            )
            .await?;
        }
        m.drop_table(Table::drop().table(Commitments::Table).to_owned())
            .await?;
        m.drop_table(Table::drop().table(DialogueIssues::Table).to_owned())
            .await?;
        m.drop_table(Table::drop().table(DialogueBusinesses::Table).to_owned())
            .await?;
        m.drop_table(Table::drop().table(DialogueUnits::Table).to_owned())
            .await?;
        m.drop_table(Table::drop().table(Dialogues::Table).to_owned())
            .await?;
        Ok(())
    }
}
