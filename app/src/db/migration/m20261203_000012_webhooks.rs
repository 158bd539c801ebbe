//! Webhooks: each workspace's endpoints (URL, the event types it wants, its signing secret
//! and, for a day after a rotation, the previous one), one delivery per event and endpoint,
//! written in the same transaction as the event (the outbox), and every attempt at it.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::kit::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        workspace_table("webhook_endpoints")
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
            .foreign_key(&mut fk("webhook_endpoints", "workspace_id", "workspaces"))
            .create(m)
            .await?;
        index(
            m,
            "ix_webhook_endpoints_workspace",
            "webhook_endpoints",
            &["workspace_id", "id"],
        )
        .await?;
        workspace_table("webhook_deliveries")
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
            .foreign_key(&mut fk(
                "webhook_deliveries",
                "endpoint_id",
                "webhook_endpoints",
            ))
            .create(m)
            .await?;
        // The job claims due deliveries; one endpoint's go out in event (id) order.
        index(
            m,
            "ix_webhook_deliveries_due",
            "webhook_deliveries",
            &["status", "next_attempt_at"],
        )
        .await?;
        index(
            m,
            "ix_webhook_deliveries_endpoint",
            "webhook_deliveries",
            &["endpoint_id", "status", "id"],
        )
        .await?;
        index(
            m,
            "ix_webhook_deliveries_event",
            "webhook_deliveries",
            &["event_id"],
        )
        .await?;
        table_with_id("webhook_attempts")
            .col(text("delivery_id"))
            .col(text("endpoint_id"))
            .col(timestamp_with_time_zone("at"))
            .col(integer_null("status_code"))
            .col(integer("latency_ms"))
            .col(text_null("error"))
            .col(text_null("response_excerpt"))
            .foreign_key(&mut fk(
                "webhook_attempts",
                "delivery_id",
                "webhook_deliveries",
            ))
            .create(m)
            .await?;
        index(
            m,
            "ix_webhook_attempts_delivery",
            "webhook_attempts",
            &["delivery_id", "id"],
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(
            m,
            [
                "webhook_attempts",
                "webhook_deliveries",
                "webhook_endpoints",
            ],
        )
        .await
    }
}
