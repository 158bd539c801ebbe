//! The server's own health: which engine it runs on and which schema it has.

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    QuerySelect,
};
use serde::Serialize;

use crate::db::entities::email::EmailStatus;
use crate::db::entities::{bulk_action, dispute, email, webhook_delivery};
use crate::db::{Engine, migration};
use crate::types::order::DisputeStatus;
use crate::types::segment::BulkActionStatus;
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
