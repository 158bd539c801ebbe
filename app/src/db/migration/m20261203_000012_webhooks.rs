//! Webhooks: each workspace's endpoints (URL, the event types it wants, its signing secret
//! and, for a day after a rotation, the previous one), one delivery per event and endpoint,
//! written in the same transaction as the event (the outbox), and every attempt at it.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("webhook_endpoints")
                .col(text("id").primary_key())
                .col(text("workspace_id"))
                .col(text("url"))
                .col(text_null("description"))
                .col(text("event_types"))
                .col(boolean("enabled"))
                .col(text_null("disabled_reason"))
                .col(text("secret"))
                .col(text_null("previous_secret"))
                .col(timestamp_with_time_zone_null("previous_secret_until"))
                .col(timestamp_with_time_zone_null("failing_since"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_webhook_endpoints_workspace_id")
                        .from("webhook_endpoints", "workspace_id")
                        .to("workspaces", "id"),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_webhook_endpoints_workspace")
                .table("webhook_endpoints")
                .col("workspace_id")
                .col("id")
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("webhook_deliveries")
                .col(text("id").primary_key())
                .col(text("workspace_id"))
                .col(text("endpoint_id"))
                .col(text("event_id"))
                .col(text("event_type"))
                .col(text("status"))
                .col(integer("attempts").default(0))
                .col(timestamp_with_time_zone("next_attempt_at"))
                .col(text_null("payload"))
                .col(integer_null("last_status"))
                .col(text_null("last_error"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone_null("delivered_at"))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_webhook_deliveries_endpoint_id")
                        .from("webhook_deliveries", "endpoint_id")
                        .to("webhook_endpoints", "id"),
                )
                .to_owned(),
        )
        .await?;
        // The job claims due deliveries; one endpoint's go out in event (id) order.
        m.create_index(
            Index::create()
                .name("ix_webhook_deliveries_due")
                .table("webhook_deliveries")
                .col("status")
                .col("next_attempt_at")
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_webhook_deliveries_endpoint")
                .table("webhook_deliveries")
                .col("endpoint_id")
                .col("status")
                .col("id")
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_webhook_deliveries_event")
                .table("webhook_deliveries")
                .col("event_id")
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("webhook_attempts")
                .col(text("id").primary_key())
                .col(text("delivery_id"))
                .col(text("endpoint_id"))
                .col(timestamp_with_time_zone("at"))
                .col(integer_null("status_code"))
                .col(integer("latency_ms"))
                .col(text_null("error"))
                .col(text_null("response_excerpt"))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_webhook_attempts_delivery_id")
                        .from("webhook_attempts", "delivery_id")
                        .to("webhook_deliveries", "id"),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_webhook_attempts_delivery")
                .table("webhook_attempts")
                .col("delivery_id")
                .col("id")
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "webhook_attempts",
            "webhook_deliveries",
            "webhook_endpoints",
        ] {
            m.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
