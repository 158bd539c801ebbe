//! GDPR erasure: a customer's `erased_at` (the anonymised tombstone that keeps its orders
//! queryable), and the erasure requests end customers send from the portal, each with the
//! date the law's month runs out.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::kit::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        add_column(m, "customers", timestamp_with_time_zone_null("erased_at")).await?;
        customer_table("erasure_requests")
            .col(timestamp_with_time_zone("requested_at"))
            .col(timestamp_with_time_zone("due_at"))
            .col(timestamp_with_time_zone_null("completed_at"))
            .foreign_key(&mut fk("erasure_requests", "customer_id", "customers"))
            .create(m)
            .await?;
        // The open requests, soonest due first; a customer's own.
        index(
            m,
            "ix_erasure_requests_due",
            "erasure_requests",
            &["workspace_id", "completed_at", "due_at"],
        )
        .await?;
        index(
            m,
            "ix_erasure_requests_customer",
            "erasure_requests",
            &["customer_id"],
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        drop_table(m, "erasure_requests").await?;
        drop_column(m, "customers", "erased_at").await
    }
}
