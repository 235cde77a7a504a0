//! Notifications: the events that call for telling someone (written in the transaction of the
//! change), the messages fanned out from them (one per recipient and channel, with its delivery
//! state; the in-app inbox is the `IN_APP` messages), and each recipient's preferences. The
//! language a filer or an account is written to in.

use sea_orm_migration::{prelude::*, schema::*};

use crate::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum NotificationEvents {
    Table,
    Id,
    Kind,
    DedupeKey,
    SubjectId,
    Payload,
    CreatedAt,
    Attempts,
    NextAttemptAt,
    ClaimedUntil,
    LastError,
    FannedOutAt,
}

#[derive(DeriveIden)]
enum Notifications {
    Table,
    Id,
    EventId,
    Kind,
    Recipient,
    AccountId,
    ComplaintId,
    Channel,
    Lang,
    Subject,
    Body,
    Link,
    Status,
    Attempts,
    NextAttemptAt,
    ClaimedUntil,
    LastError,
    CreatedAt,
    SentAt,
    ReadAt,
}

#[derive(DeriveIden)]
enum NotificationPreferences {
    Table,
    Recipient,
    Kind,
    Channel,
    Enabled,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Complaints {
    Table,
    ContactLang,
}

/// Open complaints by answer deadline: what the scheduler looks at every minute (deadlines a
/// working day away, deadlines just passed) without reading the whole table.
const STATUS_DUE: &str = "idx_complaints_status_answer_due";

#[derive(DeriveIden)]
enum Accounts {
    Table,
    Lang,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(NotificationEvents::Table)
                .col(big_pk_auto(NotificationEvents::Id))
                .col(string_len(NotificationEvents::Kind, 32))
                .col(string_len_null(NotificationEvents::DedupeKey, 200).unique_key())
                .col(string_len(NotificationEvents::SubjectId, 64))
                .col(text(NotificationEvents::Payload))
                .col(timestamp_with_time_zone(NotificationEvents::CreatedAt))
                .col(integer(NotificationEvents::Attempts))
                .col(timestamp_with_time_zone(NotificationEvents::NextAttemptAt))
                .col(timestamp_with_time_zone_null(
                    NotificationEvents::ClaimedUntil,
                ))
                .col(text_null(NotificationEvents::LastError))
                .col(timestamp_with_time_zone_null(
                    NotificationEvents::FannedOutAt,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "idx_notification_events_due",
            NotificationEvents::Table,
            &["fanned_out_at", "next_attempt_at"],
        ))
        .await?;
        m.create_table(
            Table::create()
                .table(Notifications::Table)
                .col(string_len(Notifications::Id, 36).primary_key())
                .col(big_integer(Notifications::EventId))
                .col(string_len(Notifications::Kind, 32))
                .col(string_len(Notifications::Recipient, 80))
                .col(string_len_null(Notifications::AccountId, 36))
                .col(string_len_null(Notifications::ComplaintId, 36))
                .col(string_len(Notifications::Channel, 8))
                .col(string_len(Notifications::Lang, 2))
                .col(text(Notifications::Subject))
                .col(text(Notifications::Body))
                .col(text_null(Notifications::Link))
                .col(string_len(Notifications::Status, 12))
                .col(integer(Notifications::Attempts))
                .col(timestamp_with_time_zone(Notifications::NextAttemptAt))
                .col(timestamp_with_time_zone_null(Notifications::ClaimedUntil))
                .col(text_null(Notifications::LastError))
                .col(timestamp_with_time_zone(Notifications::CreatedAt))
                .col(timestamp_with_time_zone_null(Notifications::SentAt))
                .col(timestamp_with_time_zone_null(Notifications::ReadAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            index(
                "idx_notifications_once",
                Notifications::Table,
                &["event_id", "recipient", "channel"],
            )
            .unique()
            .to_owned(),
        )
        .await?;
        m.create_index(index(
            "idx_notifications_inbox",
            Notifications::Table,
            &["account_id", "channel", "created_at"],
        ))
        .await?;
        m.create_index(index(
            "idx_notifications_due",
            Notifications::Table,
            &["status", "next_attempt_at"],
        ))
        .await?;
        m.create_table(
            Table::create()
                .table(NotificationPreferences::Table)
                .col(string_len(NotificationPreferences::Recipient, 80))
                .col(string_len(NotificationPreferences::Kind, 32))
                .col(string_len(NotificationPreferences::Channel, 8))
                .col(boolean(NotificationPreferences::Enabled))
                .col(timestamp_with_time_zone(NotificationPreferences::UpdatedAt))
                .primary_key(
                    Index::create()
                        .col(NotificationPreferences::Recipient)
                        .col(NotificationPreferences::Kind)
                        .col(NotificationPreferences::Channel),
                )
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Complaints::Table)
                .add_column(string_len_null(Complaints::ContactLang, 2))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            STATUS_DUE,
            Complaints::Table,
            &["status", "answer_due_at"],
        ))
        .await?;
        m.alter_table(
            Table::alter()
                .table(Accounts::Table)
                .add_column(string_len_null(Accounts::Lang, 2))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name(STATUS_DUE)
                .table(Complaints::Table)
                .to_owned(),
        )
        .await?;
        for t in [
            NotificationPreferences::Table.into_iden(),
            Notifications::Table.into_iden(),
            NotificationEvents::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        m.alter_table(
            Table::alter()
                .table(Accounts::Table)
                .drop_column(Accounts::Lang)
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Complaints::Table)
                .drop_column(Complaints::ContactLang)
                .to_owned(),
        )
        .await
    }
}
