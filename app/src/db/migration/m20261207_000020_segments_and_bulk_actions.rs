//! Saved segments (named list filters shared by a workspace, with a cached live count) and bulk
//! actions: a job over a snapshot of customers, claimed with a lease, with one report row per
//! customer that is also its exactly-once marker.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::kit::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        workspace_table("segments")
            .col(text("name"))
            .col(text("filters"))
            .col(text_null("created_by"))
            .col(big_integer_null("customer_count"))
            .col(timestamp_with_time_zone_null("counted_at"))
            .col(timestamp_with_time_zone("created_at"))
            .col(timestamp_with_time_zone("updated_at"))
            .foreign_key(&mut cascade_fk("segments", "workspace_id", "workspaces"))
            .create(m)
            .await?;
        unique_index(
            m,
            "ux_segments_workspace_name",
            "segments",
            &["workspace_id", "name"],
        )
        .await?;
        workspace_table("bulk_actions")
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
            .foreign_key(&mut cascade_fk(
                "bulk_actions",
                "workspace_id",
                "workspaces",
            ))
            .create(m)
            .await?;
        index(
            m,
            "ix_bulk_actions_workspace",
            "bulk_actions",
            &["workspace_id", "id"],
        )
        .await?;
        index(
            m,
            "ix_bulk_actions_open",
            "bulk_actions",
            &["status", "lease_until"],
        )
        .await?;
        table("bulk_action_items")
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
            .create(m)
            .await?;
        index(
            m,
            "ix_bulk_action_items_status",
            "bulk_action_items",
            &["bulk_action_id", "status", "customer_id"],
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(m, ["bulk_action_items", "bulk_actions", "segments"]).await
    }
}
