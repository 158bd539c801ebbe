//! The customer portal's links and sessions: one row per token (hashed), a one-time link
//! minted by the merchant's back end or the session it was exchanged for.

use sea_orm_migration::{prelude::*, schema::*};

use super::kit::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        table("customer_sessions")
            .col(text("token_hash").primary_key())
            .col(text("kind"))
            .col(text("workspace_id"))
            .col(text("customer_id"))
            .col(text_null("return_url"))
            .col(timestamp_with_time_zone("created_at"))
            .col(timestamp_with_time_zone("expires_at"))
            .col(timestamp_with_time_zone_null("used_at"))
            .foreign_key(&mut fk("customer_sessions", "workspace_id", "workspaces"))
            .foreign_key(&mut fk("customer_sessions", "customer_id", "customers"))
            .create(m)
            .await?;
        // The sweep deletes what expired.
        index(
            m,
            "ix_customer_sessions_expires_at",
            "customer_sessions",
            &["expires_at"],
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        drop_table(m, "customer_sessions").await
    }
}
