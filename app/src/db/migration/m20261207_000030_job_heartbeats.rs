//! `job_heartbeats`: one row per background job (billing, webhooks, emails...), written by
//! whichever server process ran it last: when it last ran, when it last succeeded, since when
//! it has been failing (empty while it succeeds), and its runs and failures. Settings → System
//! reads it, across every process.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::kit::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            table("job_heartbeats")
                .col(text("job").primary_key())
                .col(timestamp_with_time_zone("last_run_at"))
                .col(timestamp_with_time_zone_null("last_success_at"))
                .col(timestamp_with_time_zone_null("failing_since"))
                .col(big_integer("runs").default(0_i64))
                .col(big_integer("failures").default(0_i64))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        drop_table(m, "job_heartbeats").await
    }
}
