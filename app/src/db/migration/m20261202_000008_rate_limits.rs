//! Rate limits shared by every server process: one row per limited key (a rule's name and the
//! hash of its subject), holding the key's theoretical arrival time in milliseconds since the
//! epoch (see `domain::rate_limit`).

use sea_orm_migration::{prelude::*, schema::*};

use super::kit::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        table("rate_limits")
            .col(text("key").primary_key())
            .col(big_integer("tat"))
            .create(m)
            .await?;
        // The sweep deletes the rows whose allowance is whole again.
        index(m, "ix_rate_limits_tat", "rate_limits", &["tat"]).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        drop_table(m, "rate_limits").await
    }
}
