//! GDPR erasure: a customer's `erased_at` (the anonymised tombstone that keeps its orders
//! queryable), and the erasure requests end customers send from the portal, each with the
//! date the law's month runs out.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table("customers")
                .add_column(timestamp_with_time_zone_null("erased_at"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("erasure_requests")
                .col(text("id").primary_key())
                .col(text("workspace_id"))
                .col(text("customer_id"))
                .col(timestamp_with_time_zone("requested_at"))
                .col(timestamp_with_time_zone("due_at"))
                .col(timestamp_with_time_zone_null("completed_at"))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_erasure_requests_customer_id")
                        .from("erasure_requests", "customer_id")
                        .to("customers", "id"),
                )
                .to_owned(),
        )
        .await?;
        // The open requests, soonest due first; a customer's own.
        m.create_index(
            Index::create()
                .name("ix_erasure_requests_due")
                .table("erasure_requests")
                .col("workspace_id")
                .col("completed_at")
                .col("due_at")
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_erasure_requests_customer")
                .table("erasure_requests")
                .col("customer_id")
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("erasure_requests").to_owned())
            .await?;
        m.alter_table(
            Table::alter()
                .table("customers")
                .drop_column("erased_at")
                .to_owned(),
        )
        .await
    }
}
