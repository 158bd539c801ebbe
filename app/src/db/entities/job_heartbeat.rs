//! A row of `job_heartbeats`: how one background job has been doing, across processes.

use sea_orm::entity::prelude::*;

/// One background job's last run, last success and failure streak.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "job_heartbeats")]
pub struct Model {
    /// `billing`, `reconciliation`, `webhooks`, `emails`, `bulk_actions`, `sweep`, `backups`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub job: String,
    /// When a run last ended, by any process.
    pub last_run_at: DateTimeUtc,
    /// When a run last succeeded.
    pub last_success_at: Option<DateTimeUtc>,
    /// The first failure of the failures since the last success; `None` while it succeeds.
    pub failing_since: Option<DateTimeUtc>,
    /// Runs recorded.
    pub runs: i64,
    /// Of those, failed.
    pub failures: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
