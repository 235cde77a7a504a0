//! Personal data under Law 91/2025/QH15 and Decree 356/2025/NĐ-CP: the versioned notice,
//! consents per purpose, the data subject's requests and their steps, the log of staff reads of
//! contacts, the breach register, staff decisions on masking published text, and the marks of
//! an anonymised or restricted item and of a deleted account.

use sea_orm_migration::{prelude::*, schema::*};

use crate::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum PrivacyNotices {
    Table,
    Version,
    TextVi,
    TextEn,
    PublishedAt,
    PublishedBy,
}

#[derive(DeriveIden)]
enum Consents {
    Table,
    Id,
    AccountId,
    ComplaintId,
    DialogueId,
    BusinessId,
    Purpose,
    Granted,
    NoticeVersion,
    Channel,
    RecordedAt,
    WithdrawnAt,
    WithdrawnVia,
}

#[derive(DeriveIden)]
enum PrivacyRequests {
    Table,
    Id,
    Code,
    Kind,
    Status,
    AccountId,
    ComplaintId,
    Details,
    Purpose,
    CorrectName,
    CorrectPhone,
    CorrectEmail,
    ReceivedAt,
    AcknowledgeDueAt,
    AcknowledgedAt,
    DueAt,
    ExtendedAt,
    ExtensionReason,
    CompletedAt,
    Outcome,
    OutcomeNote,
    IdempotencyKey,
}

#[derive(DeriveIden)]
enum PrivacyEvents {
    Table,
    Id,
    RequestId,
    ComplaintId,
    AccountId,
    Action,
    ActorRole,
    ActorAccountId,
    At,
    Note,
}

#[derive(DeriveIden)]
enum ContactReads {
    Table,
    Id,
    ComplaintId,
    DialogueId,
    BusinessId,
    ReaderAccountId,
    ReaderRole,
    ReaderUnitId,
    Field,
    At,
}

#[derive(DeriveIden)]
enum Breaches {
    Table,
    Id,
    Description,
    DiscoveredAt,
    RecordedAt,
    RecordedBy,
    PeopleAffected,
    DataKinds,
    ReportedAt,
    ReportedTo,
    ReportReference,
    ReportedBy,
}

#[derive(DeriveIden)]
enum ComplaintMasks {
    Table,
    Id,
    ComplaintId,
    Field,
    Text,
    Masked,
    SetBy,
    SetAt,
}

#[derive(DeriveIden)]
enum Complaints {
    Table,
    AnonymisedAt,
    RestrictedAt,
    NoticeVersion,
}

#[derive(DeriveIden)]
enum Accounts {
    Table,
    DeletedAt,
    NoticeVersion,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(PrivacyNotices::Table)
                .col(integer(PrivacyNotices::Version).primary_key())
                .col(text(PrivacyNotices::TextVi))
                .col(text(PrivacyNotices::TextEn))
                .col(timestamp_with_time_zone(PrivacyNotices::PublishedAt))
                .col(string_len_null(PrivacyNotices::PublishedBy, 36))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Consents::Table)
                .col(string_len(Consents::Id, 36).primary_key())
                .col(string_len_null(Consents::AccountId, 36))
                .col(string_len_null(Consents::ComplaintId, 36))
                .col(string_len_null(Consents::DialogueId, 36))
                .col(string_len_null(Consents::BusinessId, 36))
                .col(string_len(Consents::Purpose, 32))
                .col(boolean(Consents::Granted))
                .col(integer(Consents::NoticeVersion))
                .col(string_len(Consents::Channel, 16))
                .col(timestamp_with_time_zone(Consents::RecordedAt))
                .col(timestamp_with_time_zone_null(Consents::WithdrawnAt))
                .col(string_len_null(Consents::WithdrawnVia, 36))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "idx_consents_account",
            Consents::Table,
            &["account_id"],
        ))
        .await?;
        m.create_index(index(
            "idx_consents_complaint",
            Consents::Table,
            &["complaint_id"],
        ))
        .await?;
        m.create_table(
            Table::create()
                .table(PrivacyRequests::Table)
                .col(string_len(PrivacyRequests::Id, 36).primary_key())
                .col(string_len(PrivacyRequests::Code, 16).unique_key())
                .col(string_len(PrivacyRequests::Kind, 16))
                .col(string_len(PrivacyRequests::Status, 16))
                .col(string_len_null(PrivacyRequests::AccountId, 36))
                .col(string_len_null(PrivacyRequests::ComplaintId, 36))
                .col(text_null(PrivacyRequests::Details))
                .col(string_len_null(PrivacyRequests::Purpose, 32))
                .col(string_len_null(PrivacyRequests::CorrectName, 200))
                .col(string_len_null(PrivacyRequests::CorrectPhone, 32))
                .col(string_len_null(PrivacyRequests::CorrectEmail, 254))
                .col(timestamp_with_time_zone(PrivacyRequests::ReceivedAt))
                .col(timestamp_with_time_zone(PrivacyRequests::AcknowledgeDueAt))
                .col(timestamp_with_time_zone_null(
                    PrivacyRequests::AcknowledgedAt,
                ))
                .col(timestamp_with_time_zone(PrivacyRequests::DueAt))
                .col(timestamp_with_time_zone_null(PrivacyRequests::ExtendedAt))
                .col(text_null(PrivacyRequests::ExtensionReason))
                .col(timestamp_with_time_zone_null(PrivacyRequests::CompletedAt))
                .col(string_len_null(PrivacyRequests::Outcome, 16))
                .col(text_null(PrivacyRequests::OutcomeNote))
                .col(string_len_null(PrivacyRequests::IdempotencyKey, 200).unique_key())
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "idx_privacy_requests_due",
            PrivacyRequests::Table,
            &["status", "due_at"],
        ))
        .await?;
        m.create_index(index(
            "idx_privacy_requests_account",
            PrivacyRequests::Table,
            &["account_id"],
        ))
        .await?;
        m.create_index(index(
            "idx_privacy_requests_complaint",
            PrivacyRequests::Table,
            &["complaint_id"],
        ))
        .await?;
        m.create_table(
            Table::create()
                .table(PrivacyEvents::Table)
                .col(string_len(PrivacyEvents::Id, 36).primary_key())
                .col(string_len_null(PrivacyEvents::RequestId, 36))
                .col(string_len_null(PrivacyEvents::ComplaintId, 36))
                .col(string_len_null(PrivacyEvents::AccountId, 36))
                .col(string_len(PrivacyEvents::Action, 32))
                .col(string_len_null(PrivacyEvents::ActorRole, 16))
                .col(string_len_null(PrivacyEvents::ActorAccountId, 36))
                .col(timestamp_with_time_zone(PrivacyEvents::At))
                .col(text_null(PrivacyEvents::Note))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "idx_privacy_events_request",
            PrivacyEvents::Table,
            &["request_id"],
        ))
        .await?;
        m.create_index(index(
            "idx_privacy_events_complaint",
            PrivacyEvents::Table,
            &["complaint_id"],
        ))
        .await?;
        m.create_index(index(
            "idx_privacy_events_account",
            PrivacyEvents::Table,
            &["account_id"],
        ))
        .await?;
        m.create_table(
            Table::create()
                .table(ContactReads::Table)
                .col(string_len(ContactReads::Id, 36).primary_key())
                .col(string_len_null(ContactReads::ComplaintId, 36))
                .col(string_len_null(ContactReads::DialogueId, 36))
                .col(string_len_null(ContactReads::BusinessId, 36))
                .col(string_len_null(ContactReads::ReaderAccountId, 36))
                .col(string_len(ContactReads::ReaderRole, 16))
                .col(string_len_null(ContactReads::ReaderUnitId, 36))
                .col(string_len(ContactReads::Field, 64))
                .col(timestamp_with_time_zone(ContactReads::At))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "idx_contact_reads_complaint",
            ContactReads::Table,
            &["complaint_id"],
        ))
        .await?;
        m.create_index(index("idx_contact_reads_at", ContactReads::Table, &["at"]))
            .await?;
        m.create_table(
            Table::create()
                .table(Breaches::Table)
                .col(string_len(Breaches::Id, 36).primary_key())
                .col(text(Breaches::Description))
                .col(timestamp_with_time_zone(Breaches::DiscoveredAt))
                .col(timestamp_with_time_zone(Breaches::RecordedAt))
                .col(string_len_null(Breaches::RecordedBy, 36))
                .col(integer_null(Breaches::PeopleAffected))
                .col(text_null(Breaches::DataKinds))
                .col(timestamp_with_time_zone_null(Breaches::ReportedAt))
                .col(text_null(Breaches::ReportedTo))
                .col(text_null(Breaches::ReportReference))
                .col(string_len_null(Breaches::ReportedBy, 36))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(ComplaintMasks::Table)
                .col(string_len(ComplaintMasks::Id, 36).primary_key())
                .col(string_len(ComplaintMasks::ComplaintId, 36))
                .col(string_len(ComplaintMasks::Field, 16))
                .col(text(ComplaintMasks::Text))
                .col(boolean(ComplaintMasks::Masked))
                .col(string_len_null(ComplaintMasks::SetBy, 36))
                .col(timestamp_with_time_zone(ComplaintMasks::SetAt))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "idx_complaint_masks_complaint",
            ComplaintMasks::Table,
            &["complaint_id"],
        ))
        .await?;
        for col in [Complaints::AnonymisedAt, Complaints::RestrictedAt] {
            m.alter_table(
                Table::alter()
                    .table(Complaints::Table)
                    .add_column(timestamp_with_time_zone_null(col))
                    .to_owned(),
            )
            .await?;
        }
        m.alter_table(
            Table::alter()
                .table(Complaints::Table)
                .add_column(integer_null(Complaints::NoticeVersion))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Accounts::Table)
                .add_column(timestamp_with_time_zone_null(Accounts::DeletedAt))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Accounts::Table)
                .add_column(integer_null(Accounts::NoticeVersion))
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            PrivacyNotices::Table.into_iden(),
            Consents::Table.into_iden(),
            PrivacyRequests::Table.into_iden(),
            PrivacyEvents::Table.into_iden(),
            ContactReads::Table.into_iden(),
            Breaches::Table.into_iden(),
            ComplaintMasks::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        for c in [
            Complaints::AnonymisedAt,
            Complaints::RestrictedAt,
            Complaints::NoticeVersion,
        ] {
            m.alter_table(
                Table::alter()
                    .table(Complaints::Table)
                    .drop_column(c)
                    .to_owned(),
            )
            .await?;
        }
        for c in [Accounts::DeletedAt, Accounts::NoticeVersion] {
            m.alter_table(
                Table::alter()
                    .table(Accounts::Table)
                    .drop_column(c)
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }
}
