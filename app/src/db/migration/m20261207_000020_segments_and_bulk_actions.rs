//! Saved segments (named list filters shared by a workspace, with a cached live count) and bulk
//! actions: a job over a snapshot of customers, claimed with a lease, with one report row per
//! customer that is also its exactly-once marker.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

fn workspace_fk(table: &'static str) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_{table}_workspace_id"))
        .from(table, "workspace_id")
        .to("workspaces", "id")
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("segments")
                .col(text("id").primary_key())
                .col(text("workspace_id"))
                .col(text("name"))
                .col(text("filters"))
                .col(text_null("created_by"))
                .col(big_integer_null("customer_count"))
                .col(timestamp_with_time_zone_null("counted_at"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .foreign_key(&mut workspace_fk("segments"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_segments_workspace_name")
                .table("segments")
                .col("workspace_id")
                .col("name")
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("bulk_actions")
                .col(text("id").primary_key())
                .col(text("workspace_id"))
                .col(text("kind"))
                .col(text("params"))
                .col(text_null("segment_id"))
                .col(text("status"))
                .col(big_integer("total"))
                .col(big_integer("succeeded"))
                .col(big_integer("failed"))
                .col(boolean("cancel_requested"))
                .col(text_null("created_by"))
                .col(text("actor"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone_null("finished_at"))
                .col(timestamp_with_time_zone("lease_until"))
                .foreign_key(&mut workspace_fk("bulk_actions"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_bulk_actions_workspace")
                .table("bulk_actions")
                .col("workspace_id")
                .col("id")
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_bulk_actions_open")
                .table("bulk_actions")
                .col("status")
                .col("lease_until")
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("bulk_action_items")
                .col(text("bulk_action_id"))
                .col(text("customer_id"))
                .col(text("status"))
                .col(text_null("error_code"))
                .col(text_null("message"))
                .col(timestamp_with_time_zone_null("done_at"))
                .primary_key(Index::create().col("bulk_action_id").col("customer_id"))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_bulk_action_items_action")
                        .from("bulk_action_items", "bulk_action_id")
                        .to("bulk_actions", "id")
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_bulk_action_items_status")
                .table("bulk_action_items")
                .col("bulk_action_id")
                .col("status")
                .col("customer_id")
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in ["bulk_action_items", "bulk_actions", "segments"] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
