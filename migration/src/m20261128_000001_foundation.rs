//! Units, procedures, businesses and accounts.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Units {
    Table,
    Id,
    Code,
    Name,
    NameFolded,
    ShortName,
    Block,
    ParentId,
    ValidFrom,
    ValidTo,
    SuccessorId,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Procedures {
    Table,
    Id,
    Code,
    Name,
    NameFolded,
    Field,
    FieldFolded,
    Level,
    ProcessingDays,
    OneDay,
    OnlineLevel,
    Retired,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ProcedureUnits {
    Table,
    ProcedureId,
    UnitId,
}

#[derive(DeriveIden)]
enum Businesses {
    Table,
    Id,
    TaxCode,
    Name,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Accounts {
    Table,
    Id,
    Username,
    Email,
    Phone,
    PasswordHash,
    DisplayName,
    Role,
    UnitId,
    BusinessId,
    Disabled,
    TokenVersion,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Units::Table)
                .col(string_len(Units::Id, 36).primary_key())
                .col(string_len_uniq(Units::Code, 32))
                .col(string_len(Units::Name, 200))
                .col(string_len(Units::NameFolded, 200))
                .col(string_len_null(Units::ShortName, 64))
                .col(string_len(Units::Block, 24))
                .col(string_len_null(Units::ParentId, 36))
                .col(date(Units::ValidFrom))
                .col(date_null(Units::ValidTo))
                .col(string_len_null(Units::SuccessorId, 36))
                .col(timestamp_with_time_zone(Units::CreatedAt))
                .col(timestamp_with_time_zone(Units::UpdatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_units_parent")
                        .from(Units::Table, Units::ParentId)
                        .to(Units::Table, Units::Id),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_units_successor")
                        .from(Units::Table, Units::SuccessorId)
                        .to(Units::Table, Units::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_units_block_name")
                .table(Units::Table)
                .col(Units::Block)
                .col(Units::NameFolded)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_units_parent")
                .table(Units::Table)
                .col(Units::ParentId)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Procedures::Table)
                .col(string_len(Procedures::Id, 36).primary_key())
                .col(string_len_uniq(Procedures::Code, 64))
                .col(string_len(Procedures::Name, 500))
                .col(string_len(Procedures::NameFolded, 500))
                .col(string_len(Procedures::Field, 200))
                .col(string_len(Procedures::FieldFolded, 200))
                .col(string_len(Procedures::Level, 16))
                .col(integer(Procedures::ProcessingDays))
                .col(boolean(Procedures::OneDay))
                .col(string_len(Procedures::OnlineLevel, 16))
                .col(boolean(Procedures::Retired).default(false))
                .col(timestamp_with_time_zone(Procedures::CreatedAt))
                .col(timestamp_with_time_zone(Procedures::UpdatedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_procedures_field")
                .table(Procedures::Table)
                .col(Procedures::FieldFolded)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(ProcedureUnits::Table)
                .col(string_len(ProcedureUnits::ProcedureId, 36))
                .col(string_len(ProcedureUnits::UnitId, 36))
                .primary_key(
                    Index::create()
                        .col(ProcedureUnits::ProcedureId)
                        .col(ProcedureUnits::UnitId),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_procedure_units_procedure")
                        .from(ProcedureUnits::Table, ProcedureUnits::ProcedureId)
                        .to(Procedures::Table, Procedures::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_procedure_units_unit")
                        .from(ProcedureUnits::Table, ProcedureUnits::UnitId)
                        .to(Units::Table, Units::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_procedure_units_unit")
                .table(ProcedureUnits::Table)
                .col(ProcedureUnits::UnitId)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Businesses::Table)
                .col(string_len(Businesses::Id, 36).primary_key())
                .col(string_len_uniq(Businesses::TaxCode, 14))
                .col(string_len(Businesses::Name, 300))
                .col(timestamp_with_time_zone(Businesses::CreatedAt))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Accounts::Table)
                .col(string_len(Accounts::Id, 36).primary_key())
                .col(string_len_uniq(Accounts::Username, 64))
                .col(string_len_null(Accounts::Email, 254).unique_key())
                .col(string_len_null(Accounts::Phone, 20).unique_key())
                .col(string_len(Accounts::PasswordHash, 200))
                .col(string_len(Accounts::DisplayName, 200))
                .col(string_len(Accounts::Role, 16))
                .col(string_len_null(Accounts::UnitId, 36))
                .col(string_len_null(Accounts::BusinessId, 36))
                .col(boolean(Accounts::Disabled).default(false))
                .col(integer(Accounts::TokenVersion).default(0))
                .col(timestamp_with_time_zone(Accounts::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_accounts_unit")
                        .from(Accounts::Table, Accounts::UnitId)
                        .to(Units::Table, Units::Id),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_accounts_business")
                        .from(Accounts::Table, Accounts::BusinessId)
                        .to(Businesses::Table, Businesses::Id),
                )
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            Accounts::Table.into_iden(),
            Businesses::Table.into_iden(),
            ProcedureUnits::Table.into_iden(),
            Procedures::Table.into_iden(),
            Units::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
