//! The customer portal's links and sessions: one row per token (hashed), a one-time link
//! minted by the merchant's back end or the session it was exchanged for.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("customer_sessions")
                .col(text("token_hash").primary_key())
                .col(text("kind"))
                .col(text("workspace_id"))
                .col(text("customer_id"))
                .col(text_null("return_url"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("expires_at"))
                .col(timestamp_with_time_zone_null("used_at"))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_customer_sessions_workspace_id")
                        .from("customer_sessions", "workspace_id")
                        .to("workspaces", "id"),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_customer_sessions_customer_id")
                        .from("customer_sessions", "customer_id")
                        .to("customers", "id"),
                )
                .to_owned(),
        )
        .await?;
        // The sweep deletes what expired.
        m.create_index(
            Index::create()
                .name("ix_customer_sessions_expires_at")
                .table("customer_sessions")
                .col("expires_at")
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("customer_sessions").to_owned())
            .await
    }
}
