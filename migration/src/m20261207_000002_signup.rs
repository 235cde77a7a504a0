//! Sign-up that cannot be abused: what a person types at registration proves nothing until it
//! is confirmed, so it blocks nobody and opens nothing.
//!
//! - Contacts given at registration wait in `pending_email` / `pending_phone` (not unique, not
//!   sign-in names) until confirmed; `email` / `phone` keep the contacts an account holds.
//!   Accounts from before keep the contacts they hold, as they were used so far.
//! - A business account's tax code is a claim (`claim_tax_code`, `claim_business_name`,
//!   `claim_status`); `business_id` binds the account only once an admin confirmed it. Claims
//!   from before are copied from the business they named; unconfirmed ones are unbound.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Accounts {
    Table,
    PendingEmail,
    PendingPhone,
    ClaimTaxCode,
    ClaimBusinessName,
    ClaimStatus,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // One ALTER per column: SQLite applies only the first of several.
        for col in [
            string_len_null(Accounts::PendingEmail, 254),
            string_len_null(Accounts::PendingPhone, 20),
            string_len_null(Accounts::ClaimTaxCode, 14),
            string_len_null(Accounts::ClaimBusinessName, 300),
            string_len_null(Accounts::ClaimStatus, 16),
        ] {
            m.alter_table(
                Table::alter()
                    .table(Accounts::Table)
                    .add_column(col)
                    .to_owned(),
            )
            .await?;
        }
        m.create_index(
            Index::create()
                .name("idx_accounts_claim_tax_code")
                .table(Accounts::Table)
                .col(Accounts::ClaimTaxCode)
                .to_owned(),
        )
        .await?;
        let db = m.get_connection();
        db.execute_unprepared(
            "UPDATE accounts SET \
               claim_tax_code = (SELECT b.tax_code FROM businesses b WHERE b.id = accounts.business_id), \
               claim_business_name = (SELECT b.name FROM businesses b WHERE b.id = accounts.business_id), \
               claim_status = CASE WHEN business_confirmed_at IS NULL THEN 'PENDING' ELSE 'CONFIRMED' END \
             WHERE business_id IS NOT NULL",
        )
        .await?;
        db.execute_unprepared(
            "UPDATE accounts SET business_id = NULL \
             WHERE business_id IS NOT NULL AND business_confirmed_at IS NULL",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // Waiting claims are bound again to the business they name, as before.
        m.get_connection()
            .execute_unprepared(
                "UPDATE accounts SET business_id = \
                   (SELECT b.id FROM businesses b WHERE b.tax_code = accounts.claim_tax_code) \
                 WHERE business_id IS NULL AND claim_status = 'PENDING'",
            )
            .await?;
        m.drop_index(
            Index::drop()
                .name("idx_accounts_claim_tax_code")
                .table(Accounts::Table)
                .to_owned(),
        )
        .await?;
        for c in [
            Accounts::ClaimStatus,
            Accounts::ClaimBusinessName,
            Accounts::ClaimTaxCode,
            Accounts::PendingPhone,
            Accounts::PendingEmail,
        ] {
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
