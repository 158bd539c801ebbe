//! Merging duplicate customers: the merged customer's tombstone (`merged_into`, `merged_at`),
//! and each merge with the snapshot that lets it be undone for 30 days.

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
                .add_column(text_null("merged_into"))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table("customers")
                .add_column(timestamp_with_time_zone_null("merged_at"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("customer_merges")
                .col(text("id").primary_key())
                .col(text("workspace_id"))
                .col(text("source_id"))
                .col(text("target_id"))
                .col(text("snapshot"))
                .col(text("last_event_id"))
                .col(text("actor_type"))
                .col(text_null("actor_id"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone_null("undone_at"))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_customer_merges_source_id")
                        .from("customer_merges", "source_id")
                        .to("customers", "id"),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_customer_merges_target_id")
                        .from("customer_merges", "target_id")
                        .to("customers", "id"),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_customer_merges_target")
                .table("customer_merges")
                .col("target_id")
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("customer_merges").to_owned())
            .await?;
        for col in ["merged_at", "merged_into"] {
            m.alter_table(
                Table::alter()
                    .table("customers")
                    .drop_column(col)
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }
}
