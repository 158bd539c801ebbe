//! Idempotency keys bound to the money attempt they started: a retry under the key resumes that
//! attempt or answers its outcome, and never starts a second one.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::kit::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per statement.
        add_column(m, "idempotency_keys", text_null("attempt_id")).await?;
        add_column(m, "idempotency_keys", text_null("outcome")).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        drop_columns(m, "idempotency_keys", ["outcome", "attempt_id"]).await
    }
}
