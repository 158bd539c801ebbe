//! Merging duplicate customers: the merged customer's tombstone (`merged_into`, `merged_at`),
//! and each merge with the snapshot that lets it be undone for 30 days.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::kit::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        add_columns(
            m,
            "customers",
            [
                text_null("merged_into"),
                timestamp_with_time_zone_null("merged_at"),
            ],
        )
        .await?;
        workspace_table("customer_merges")
            .col(text("source_id"))
            .col(text("target_id"))
            .col(text("snapshot"))
            .col(text("last_event_id"))
            .col(text("actor_type"))
            .col(text_null("actor_id"))
            .col(timestamp_with_time_zone("created_at"))
            .col(timestamp_with_time_zone_null("undone_at"))
            .foreign_key(&mut fk("customer_merges", "source_id", "customers"))
            .foreign_key(&mut fk("customer_merges", "target_id", "customers"))
            .create(m)
            .await?;
        index(
            m,
            "ix_customer_merges_target",
            "customer_merges",
            &["target_id"],
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        drop_table(m, "customer_merges").await?;
        drop_columns(m, "customers", ["merged_at", "merged_into"]).await
    }
}
