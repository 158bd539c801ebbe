//! Every notification the payment provider sends about a payment is kept on its order, as
//! received: `provider_events` gains when each was received (the late notices already there
//! were received when they were processed), and an index answers an order's list newest first.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table("provider_events")
                .add_column(timestamp_with_time_zone_null("received_at"))
                .to_owned(),
        )
        .await?;
        m.get_connection()
            .execute_unprepared(
                "UPDATE provider_events SET received_at = processed_at WHERE processed_at IS NOT NULL",
            )
            .await?;
        m.create_index(
            Index::create()
                .name("ix_provider_events_order")
                .table("provider_events")
                .col("order_id")
                .col("received_at")
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name("ix_provider_events_order")
                .table("provider_events")
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table("provider_events")
                .drop_column("received_at")
                .to_owned(),
        )
        .await
    }
}
