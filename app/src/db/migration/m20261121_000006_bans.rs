//! Bans across identities: a ban (reason, optional expiry, lifted or not) and its identities
//! (customer, name, email, external id, IP or CIDR range, card fingerprint), stored normalised
//! so a checkout finds a match by index. Each customer keeps `banned_until`, the latest expiry
//! of the active bans matching them, so the list's "banned" filter needs no job to stay right
//! when a ban expires.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

fn fk(table: &'static str, col: &'static str, parent: &'static str) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_{table}_{col}"))
        .from(table, col)
        .to(parent, "id")
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("bans")
                .col(text("id").primary_key())
                .col(text("workspace_id"))
                .col(text("reason"))
                .col(timestamp_with_time_zone_null("expires_at"))
                .col(timestamp_with_time_zone_null("lifted_at"))
                .col(text_null("customer_id"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .col(big_integer("version"))
                .foreign_key(&mut fk("bans", "workspace_id", "workspaces"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_bans_workspace")
                .table("bans")
                .col("workspace_id")
                .col("id")
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("ban_identities")
                .col(text("ban_id"))
                .col(text("workspace_id"))
                .col(text("kind"))
                .col(text("value"))
                .primary_key(Index::create().col("ban_id").col("kind").col("value"))
                .foreign_key(&mut fk("ban_identities", "ban_id", "bans"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_ban_identities_value")
                .table("ban_identities")
                .col("workspace_id")
                .col("kind")
                .col("value")
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table("customers")
                .add_column(timestamp_with_time_zone_null("banned_until"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_customers_banned")
                .table("customers")
                .col("workspace_id")
                .col("banned_until")
                .col("id")
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name("ix_customers_banned")
                .table("customers")
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table("customers")
                .drop_column("banned_until")
                .to_owned(),
        )
        .await?;
        m.drop_table(Table::drop().table("ban_identities").to_owned())
            .await?;
        m.drop_table(Table::drop().table("bans").to_owned()).await
    }
}
