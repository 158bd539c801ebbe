//! Idempotency keys bound to the money attempt they started: a retry under the key resumes that
//! attempt or answers its outcome, and never starts a second one.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per statement.
        m.alter_table(
            Table::alter()
                .table("idempotency_keys")
                .add_column(text_null("attempt_id"))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table("idempotency_keys")
                .add_column(text_null("outcome"))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table("idempotency_keys")
                .drop_column("outcome")
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table("idempotency_keys")
                .drop_column("attempt_id")
                .to_owned(),
        )
        .await
    }
}
