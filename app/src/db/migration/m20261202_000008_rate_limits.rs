//! Rate limits shared by every server process: one row per limited key (a rule's name and the
//! hash of its subject), holding the key's theoretical arrival time in milliseconds since the
//! epoch (see `domain::rate_limit`).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("rate_limits")
                .col(text("key").primary_key())
                .col(big_integer("tat"))
                .to_owned(),
        )
        .await?;
        // The sweep deletes the rows whose allowance is whole again.
        m.create_index(
            Index::create()
                .name("ix_rate_limits_tat")
                .table("rate_limits")
                .col("tat")
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("rate_limits").to_owned())
            .await
    }
}
