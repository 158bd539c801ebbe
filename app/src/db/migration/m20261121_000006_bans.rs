//! Bans across identities: a ban (reason, optional expiry, lifted or not) and its identities
//! (customer, name, email, external id, IP or CIDR range, card fingerprint), stored normalised
//! so a checkout finds a match by index. Each customer keeps `banned_until`, the latest expiry
//! of the active bans matching them, so the list's "banned" filter needs no job to stay right
//! when a ban expires.

use sea_orm_migration::{prelude::*, schema::*};

use super::kit::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        workspace_table("bans")
            .col(text("reason"))
            .col(timestamp_with_time_zone_null("expires_at"))
            .col(timestamp_with_time_zone_null("lifted_at"))
            .col(text_null("customer_id"))
            .col(timestamp_with_time_zone("created_at"))
            .col(timestamp_with_time_zone("updated_at"))
            .col(big_integer("version"))
            .foreign_key(&mut fk("bans", "workspace_id", "workspaces"))
            .create(m)
            .await?;
        index(m, "ix_bans_workspace", "bans", &["workspace_id", "id"]).await?;
        table("ban_identities")
            .col(text("ban_id"))
            .col(text("workspace_id"))
            .col(text("kind"))
            .col(text("value"))
            .primary_key(Index::create().col("ban_id").col("kind").col("value"))
            .foreign_key(&mut fk("ban_identities", "ban_id", "bans"))
            .create(m)
            .await?;
        index(
            m,
            "ix_ban_identities_value",
            "ban_identities",
            &["workspace_id", "kind", "value"],
        )
        .await?;
        add_column(
            m,
            "customers",
            timestamp_with_time_zone_null("banned_until"),
        )
        .await?;
        index(
            m,
            "ix_customers_banned",
            "customers",
            &["workspace_id", "banned_until", "id"],
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        drop_index(m, "ix_customers_banned", "customers").await?;
        drop_column(m, "customers", "banned_until").await?;
        drop_tables(m, ["ban_identities", "bans"]).await
    }
}
