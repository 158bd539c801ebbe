//! A merchant's read-only view of a customer's portal names the merchant user who opened it:
//! the view acts as that user (their role, audited as them). Views opened before this name
//! nobody, so they end here; each lasted an hour at most.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::kit::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        add_column(m, "customer_sessions", text_null("opened_by")).await?;
        m.get_connection()
            .execute_unprepared("DELETE FROM customer_sessions WHERE kind = 'impersonation'")
            .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        drop_column(m, "customer_sessions", "opened_by").await
    }
}
