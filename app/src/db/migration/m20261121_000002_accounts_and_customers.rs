//! Merchant users, memberships, sessions, API keys, customers, the audit/event stream and
//! idempotency records.

use sea_orm_migration::{prelude::*, schema::*};

use super::kit::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        table_with_id("users")
            .col(text("email").unique_key())
            .col(text("password_hash"))
            .col(text_null("name"))
            .col(timestamp_with_time_zone("created_at"))
            .col(timestamp_with_time_zone("updated_at"))
            .create(m)
            .await?;

        table("memberships")
            .col(text("workspace_id"))
            .col(text("user_id"))
            .col(text("role"))
            .col(timestamp_with_time_zone("created_at"))
            .primary_key(Index::create().col("workspace_id").col("user_id"))
            .foreign_key(&mut cascade_fk("memberships", "workspace_id", "workspaces"))
            .foreign_key(&mut cascade_fk("memberships", "user_id", "users"))
            .create(m)
            .await?;

        table_with_id("sessions")
            .col(text("token_hash").unique_key())
            .col(text("user_id"))
            .col(text("workspace_id"))
            .col(text_null("ip"))
            .col(timestamp_with_time_zone("created_at"))
            .col(timestamp_with_time_zone("last_seen_at"))
            .col(timestamp_with_time_zone("expires_at"))
            .foreign_key(&mut cascade_fk("sessions", "user_id", "users"))
            .foreign_key(&mut cascade_fk("sessions", "workspace_id", "workspaces"))
            .create(m)
            .await?;

        workspace_table("api_keys")
            .col(text("name"))
            .col(text("prefix"))
            .col(text("secret_hash").unique_key())
            .col(text("scopes"))
            .col(timestamp_with_time_zone("created_at"))
            .col(timestamp_with_time_zone_null("last_used_at"))
            .col(timestamp_with_time_zone_null("revoked_at"))
            .foreign_key(&mut cascade_fk("api_keys", "workspace_id", "workspaces"))
            .create(m)
            .await?;
        index(
            m,
            "ix_api_keys_workspace",
            "api_keys",
            &["workspace_id", "id"],
        )
        .await?;

        workspace_table("customers")
            .col(text_null("external_id"))
            .col(text_null("email"))
            .col(text_null("name"))
            .col(text_null("phone"))
            .col(text_null("tax_id"))
            .col(text_null("country"))
            .col(text_null("username"))
            .col(text_null("profile_url"))
            .col(text("metadata"))
            .col(timestamp_with_time_zone("first_seen_at"))
            .col(timestamp_with_time_zone("created_at"))
            .col(timestamp_with_time_zone("updated_at"))
            .col(timestamp_with_time_zone_null("archived_at"))
            .col(big_integer("version"))
            .foreign_key(&mut cascade_fk("customers", "workspace_id", "workspaces"))
            .create(m)
            .await?;
        // NULLs are distinct in unique indexes on both engines: many customers without one.
        unique_index(
            m,
            "ux_customers_external_id",
            "customers",
            &["workspace_id", "external_id"],
        )
        .await?;
        // Ids are ULIDs, so (workspace, id) is also creation order: the default list's keyset.
        index(
            m,
            "ix_customers_workspace_id",
            "customers",
            &["workspace_id", "id"],
        )
        .await?;
        index(
            m,
            "ix_customers_email",
            "customers",
            &["workspace_id", "email"],
        )
        .await?;

        workspace_table("events")
            .col(text("actor_type"))
            .col(text_null("actor_id"))
            .col(text("action"))
            .col(text("target_type"))
            .col(text("target_id"))
            .col(text("changes"))
            .col(text_null("ip"))
            .col(timestamp_with_time_zone("created_at"))
            .foreign_key(&mut cascade_fk("events", "workspace_id", "workspaces"))
            .create(m)
            .await?;
        index(
            m,
            "ix_events_target",
            "events",
            &["workspace_id", "target_type", "target_id", "id"],
        )
        .await?;

        idempotency_keys_per_workspace().create(m).await?;
        index(
            m,
            "ix_idempotency_keys_created",
            "idempotency_keys",
            &["created_at"],
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(
            m,
            [
                "idempotency_keys",
                "events",
                "customers",
                "api_keys",
                "sessions",
                "memberships",
                "users",
            ],
        )
        .await
    }
}
