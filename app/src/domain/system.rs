//! The server's own health: which engine it runs on and which schema it has.

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    QuerySelect,
};
use serde::Serialize;

use crate::db::entities::email::EmailStatus;
use crate::db::entities::{bulk_action, dispute, email, job_heartbeat, webhook_delivery};
use crate::db::{Engine, migration};
use crate::types::order::DisputeStatus;
use crate::types::segment::BulkActionStatus;
use crate::types::system::SystemStatus;
use crate::types::webhook::DeliveryStatus;

use super::DomainError;

/// What `/healthz` reports.
#[derive(Debug, Clone, Serialize)]
pub struct Health {
    /// `sqlite` or `postgres`.
    pub engine: Engine,
    /// The newest applied migration, `None` when none is.
    pub schema_version: Option<String>,
    /// Whether every migration this build knows is applied.
    pub schema_up_to_date: bool,
}

/// Checks the database answers and reports its engine and schema version.
pub async fn health(db: &DatabaseConnection) -> Result<Health, DomainError> {
    db.execute_unprepared("SELECT 1").await?;
    let schema_version = migration::schema_version(db).await?;
    let schema_up_to_date = schema_version.as_deref() == Some(migration::latest_known().as_str());
    Ok(Health {
        engine: Engine::of(db),
        schema_version,
        schema_up_to_date,
    })
}

/// One background queue, as operators watch it: how many items wait, and how long the oldest
/// of those already due has waited (its lag).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Queue {
    /// `webhooks`, `emails` or `bulk_actions`.
    pub name: &'static str,
    /// Items not finished yet (due now or later).
    pub waiting: u64,
    /// Seconds since the oldest due item became due; `None` when none is due.
    pub lag_seconds: Option<f64>,
}

/// The job queues across every workspace, each read with one indexed query for its size and
/// one for its oldest due item.
pub async fn queues(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
) -> Result<Vec<Queue>, DomainError> {
    let lag = |due: Option<DateTime<Utc>>| {
        due.map(|at| ((now - at).num_milliseconds().max(0) as f64) / 1000.0)
    };

    let webhooks_waiting = webhook_delivery::Entity::find()
        .filter(webhook_delivery::Column::Status.eq(DeliveryStatus::Pending))
        .count(db)
        .await?;
    let webhooks_due: Option<DateTime<Utc>> = webhook_delivery::Entity::find()
        .select_only()
        .column_as(webhook_delivery::Column::NextAttemptAt.min(), "due")
        .filter(webhook_delivery::Column::Status.eq(DeliveryStatus::Pending))
        .filter(webhook_delivery::Column::NextAttemptAt.lte(now))
        .into_tuple::<Option<DateTime<Utc>>>()
        .one(db)
        .await?
        .flatten();

    let emails_waiting = email::Entity::find()
        .filter(email::Column::Status.eq(EmailStatus::Pending))
        .count(db)
        .await?;
    let emails_due: Option<DateTime<Utc>> = email::Entity::find()
        .select_only()
        .column_as(email::Column::NextAttemptAt.min(), "due")
        .filter(email::Column::Status.eq(EmailStatus::Pending))
        .filter(email::Column::NextAttemptAt.lte(now))
        .into_tuple::<Option<DateTime<Utc>>>()
        .one(db)
        .await?
        .flatten();

    let bulk_waiting = bulk_action::Entity::find()
        .filter(bulk_action::Column::Status.eq(BulkActionStatus::Running))
        .count(db)
        .await?;
    let bulk_due: Option<DateTime<Utc>> = bulk_action::Entity::find()
        .select_only()
        .column_as(bulk_action::Column::CreatedAt.min(), "due")
        .filter(bulk_action::Column::Status.eq(BulkActionStatus::Running))
        .into_tuple::<Option<DateTime<Utc>>>()
        .one(db)
        .await?
        .flatten();

    Ok(vec![
        Queue {
            name: "webhooks",
            waiting: webhooks_waiting,
            lag_seconds: lag(webhooks_due),
        },
        Queue {
            name: "emails",
            waiting: emails_waiting,
            lag_seconds: lag(emails_due),
        },
        Queue {
            name: "bulk_actions",
            waiting: bulk_waiting,
            lag_seconds: lag(bulk_due),
        },
    ])
}

/// Disputes across every workspace by status (`open`, `won`, `lost`): how chargebacks are
/// going, never who or how much.
pub async fn disputes_by_status(
    db: &DatabaseConnection,
) -> Result<Vec<(String, u64)>, DomainError> {
    let rows: Vec<(DisputeStatus, i64)> = dispute::Entity::find()
        .select_only()
        .column(dispute::Column::Status)
        .column_as(dispute::Column::Id.count(), "n")
        .group_by(dispute::Column::Status)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(status, n)| (status.as_str().to_owned(), n.max(0) as u64))
        .collect())
}

/// Records that a run of `job` ended at `at`, and whether it failed: the job's heartbeat row is
/// made or moved on in one statement (several processes may record at once).
pub async fn record_job_run(
    db: &DatabaseConnection,
    job: &str,
    at: DateTime<Utc>,
    failed: bool,
) -> Result<(), DomainError> {
    use job_heartbeat::{Column, Entity};
    use sea_orm::ActiveValue::Set;
    use sea_orm::sea_query::{Expr, ExprTrait, Func, OnConflict};

    let row = job_heartbeat::ActiveModel {
        job: Set(job.to_owned()),
        last_run_at: Set(at),
        last_success_at: Set((!failed).then_some(at)),
        failing_since: Set(failed.then_some(at)),
        runs: Set(1),
        failures: Set(i64::from(failed)),
    };
    let last_success: Expr = if failed {
        Expr::col((Entity, Column::LastSuccessAt))
    } else {
        Expr::val(at)
    };
    let failing_since: Expr = if failed {
        Func::coalesce([Expr::col((Entity, Column::FailingSince)), Expr::val(at)]).into()
    } else {
        Expr::val(None::<DateTime<Utc>>)
    };
    let on_conflict = OnConflict::column(Column::Job)
        .value(Column::LastRunAt, Expr::val(at))
        .value(Column::LastSuccessAt, last_success)
        .value(Column::FailingSince, failing_since)
        .value(Column::Runs, Expr::col((Entity, Column::Runs)).add(1))
        .value(
            Column::Failures,
            Expr::col((Entity, Column::Failures)).add(i64::from(failed)),
        )
        .to_owned();
    Entity::insert(row)
        .on_conflict(on_conflict)
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// Every job's heartbeat, by name.
pub async fn job_heartbeats(
    db: &DatabaseConnection,
) -> Result<Vec<job_heartbeat::Model>, DomainError> {
    use sea_orm::QueryOrder;
    Ok(job_heartbeat::Entity::find()
        .order_by_asc(job_heartbeat::Column::Job)
        .all(db)
        .await?)
}

/// Settings → System for an owner: the release, the schema, every job's heartbeat and every
/// queue. `None` for anyone else (the section is an owner's).
pub async fn status(
    svc: &super::Services,
    caller: &super::Caller,
) -> Result<Option<SystemStatus>, DomainError> {
    use crate::types::Role;
    use crate::types::system::{JOBS, JobStatus, QueueStatus};

    if !matches!(
        caller.actor,
        super::actor::Actor::User {
            role: Role::Owner,
            ..
        }
    ) {
        return Ok(None);
    }
    let now = svc.clock.now();
    let h = health(&svc.db).await?;
    let beats = job_heartbeats(&svc.db).await?;
    let jobs = JOBS
        .iter()
        .filter_map(|(job, label)| {
            let beat = beats.iter().find(|b| b.job == *job);
            // Backups appear once scheduled; every other job runs in every server.
            if beat.is_none() && *job == "backups" {
                return None;
            }
            Some(JobStatus {
                label: (*label).to_owned(),
                last_run_at: beat.map(|b| b.last_run_at),
                last_success_at: beat.and_then(|b| b.last_success_at),
                failing_since: beat.and_then(|b| b.failing_since),
                runs: beat.map_or(0, |b| b.runs),
                failures: beat.map_or(0, |b| b.failures),
            })
        })
        .collect();
    let queues = queues(&svc.db, now)
        .await?
        .into_iter()
        .map(|q| QueueStatus {
            label: match q.name {
                "webhooks" => "Webhook deliveries",
                "emails" => "Emails",
                _ => "Bulk actions",
            }
            .to_owned(),
            waiting: q.waiting,
            lag_seconds: q.lag_seconds,
        })
        .collect();
    Ok(Some(SystemStatus {
        version: env!("CARGO_PKG_VERSION").to_owned(),
        engine: match h.engine {
            Engine::Sqlite => "SQLite (embedded)",
            Engine::Postgres => "PostgreSQL",
        }
        .to_owned(),
        schema_version: h.schema_version,
        schema_up_to_date: h.schema_up_to_date,
        jobs,
        queues,
        checked_at: now,
    }))
}
