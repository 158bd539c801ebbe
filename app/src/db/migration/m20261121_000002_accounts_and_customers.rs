//! Merchant users, memberships, sessions, API keys, customers, the audit/event stream and
//! idempotency records.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

fn fk(table: &'static str, col: &'static str, to: &'static str) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_{table}_{col}"))
        .from(table, col)
        .to(to, "id")
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("users")
                .col(text("id").primary_key())
                .col(text("email").unique_key())
                .col(text("password_hash"))
                .col(text_null("name"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table("memberships")
                .col(text("workspace_id"))
                .col(text("user_id"))
                .col(text("role"))
                .col(timestamp_with_time_zone("created_at"))
                .primary_key(Index::create().col("workspace_id").col("user_id"))
                .foreign_key(&mut fk("memberships", "workspace_id", "workspaces"))
                .foreign_key(&mut fk("memberships", "user_id", "users"))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table("sessions")
                .col(text("id").primary_key())
                .col(text("token_hash").unique_key())
                .col(text("user_id"))
                .col(text("workspace_id"))
                .col(text_null("ip"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("last_seen_at"))
                .col(timestamp_with_time_zone("expires_at"))
                .foreign_key(&mut fk("sessions", "user_id", "users"))
                .foreign_key(&mut fk("sessions", "workspace_id", "workspaces"))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table("api_keys")
                .col(text("id").primary_key())
                .col(text("workspace_id"))
                .col(text("name"))
                .col(text("prefix"))
                .col(text("secret_hash").unique_key())
                .col(text("scopes"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone_null("last_used_at"))
                .col(timestamp_with_time_zone_null("revoked_at"))
                .foreign_key(&mut fk("api_keys", "workspace_id", "workspaces"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_api_keys_workspace")
                .table("api_keys")
                .col("workspace_id")
                .col("id")
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table("customers")
                .col(text("id").primary_key())
                .col(text("workspace_id"))
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
                .foreign_key(&mut fk("customers", "workspace_id", "workspaces"))
                .to_owned(),
        )
        .await?;
        // NULLs are distinct in unique indexes on both engines: many customers without one.
        m.create_index(
            Index::create()
                .name("ux_customers_external_id")
                .table("customers")
                .col("workspace_id")
                .col("external_id")
                .unique()
                .to_owned(),
        )
        .await?;
        // Ids are ULIDs, so (workspace, id) is also creation order: the default list's keyset.
        m.create_index(
            Index::create()
                .name("ix_customers_workspace_id")
                .table("customers")
                .col("workspace_id")
                .col("id")
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_customers_email")
                .table("customers")
                .col("workspace_id")
                .col("email")
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table("events")
                .col(text("id").primary_key())
                .col(text("workspace_id"))
                .col(text("actor_type"))
                .col(text_null("actor_id"))
                .col(text("action"))
                .col(text("target_type"))
                .col(text("target_id"))
                .col(text("changes"))
                .col(text_null("ip"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(&mut fk("events", "workspace_id", "workspaces"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_events_target")
                .table("events")
                .col("workspace_id")
                .col("target_type")
                .col("target_id")
                .col("id")
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table("idempotency_keys")
                .col(text("workspace_id"))
                .col(text("key"))
                .col(text("fingerprint"))
                .col(small_integer_null("response_status"))
                .col(text_null("response_body"))
                .col(timestamp_with_time_zone("created_at"))
                .primary_key(Index::create().col("workspace_id").col("key"))
                .foreign_key(&mut fk("idempotency_keys", "workspace_id", "workspaces"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_idempotency_keys_created")
                .table("idempotency_keys")
                .col("created_at")
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "idempotency_keys",
            "events",
            "customers",
            "api_keys",
            "sessions",
            "memberships",
            "users",
        ] {
            m.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
