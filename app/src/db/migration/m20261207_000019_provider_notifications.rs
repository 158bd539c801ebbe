//! Every notification the payment provider sends about a payment is kept on its order, as
//! received: `provider_events` gains when each was received (the late notices already there
//! were received when they were processed), and an index answers an order's list newest first.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::kit::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        add_column(
            m,
            "provider_events",
            timestamp_with_time_zone_null("received_at"),
        )
        .await?;
        m.get_connection()
            .execute_unprepared(
                "UPDATE provider_events SET received_at = processed_at WHERE processed_at IS NOT NULL",
            )
            .await?;
        index(
            m,
            "ix_provider_events_order",
            "provider_events",
            &["order_id", "received_at"],
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        drop_index(m, "ix_provider_events_order", "provider_events").await?;
        drop_column(m, "provider_events", "received_at").await
    }
}
