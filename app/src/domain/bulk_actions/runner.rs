//! The job that works bulk actions through: claims them under a lease, changes their pending
//! customers one transaction each, records failures, and ends each action.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
    UpdateMany,
};
use serde_json::json;

use crate::db::entities::{bulk_action, bulk_action_item as item, product};
use crate::domain::actor::Caller;
use crate::domain::entitlements::{self, GrantSource};
use crate::domain::{
    Claim, DomainError, Services, audit, claim, customers, erasure, stored_json, to_json, validate,
};
use crate::types::EventType;
use crate::types::customer::Metadata;
use crate::types::segment::{BulkActionKind, BulkActionStatus, BulkItemStatus};
use crate::types::{BulkActionId, CustomerId, ErrorCode};

use super::Params;
use super::standing::{Standing, StoredActor, standing};

/// How long a process holds an action before another may take it over.
const LEASE: Duration = Duration::seconds(60);
/// Pending items read at a time; the cancel flag is read between two such batches.
const BATCH: u64 = 25;
/// Actions one run of the job takes.
const ACTIONS: u64 = 5;

/// What one run of the job did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BulkReport {
    /// Customers changed.
    pub succeeded: usize,
    /// Customers refused.
    pub failed: usize,
    /// Actions finished (done or canceled).
    pub finished: usize,
}

/// The job: claims running actions whose lease ran out (exactly once across processes) and
/// works each through; one failing customer or action never stops the others.
pub async fn run_bulk_actions(svc: &Services) -> Result<BulkReport, DomainError> {
    let now = svc.clock.now();
    let claimed = claim::<bulk_action::Entity>(
        &svc.db,
        Claim {
            set: "lease_until = $",
            set_values: vec![sea_orm::Value::from(now + LEASE)],
            open: "status = $ AND lease_until <= $",
            open_values: vec![
                sea_orm::Value::from(BulkActionStatus::Running),
                sea_orm::Value::from(now),
            ],
            order_by: "lease_until",
            batch: ACTIONS,
        },
    )
    .await?;
    let mut report = BulkReport::default();
    for row in claimed {
        let row = match row {
            Ok(r) => r,
            Err(u) => {
                tracing::error!(bulk_action = %u.id, error = %u.error, "a bulk action cannot be read; retried after its lease");
                continue;
            }
        };
        let id = row.id.clone();
        if let Err(e) = work(svc, row, &mut report).await {
            tracing::warn!(bulk_action = %id, error = %e, "a bulk action stopped; retried after its lease");
        }
    }
    Ok(report)
}

/// Works one claimed action until it is done or canceled.
async fn work(
    svc: &Services,
    mut row: bulk_action::Model,
    report: &mut BulkReport,
) -> Result<(), DomainError> {
    let params: Params = stored_json(&row.params)?;
    let actor: StoredActor = stored_json(&row.actor)?;
    let mut caller = Caller {
        workspace_id: row.workspace_id.clone(),
        actor: actor.actor(),
        ip: None,
        idempotency_key: None,
    };
    let product = match &params.product_id {
        Some(p) => Some(
            crate::domain::find::in_workspace::<product::Entity, _, _, _>(
                &svc.db,
                row.workspace_id.as_str(),
                p.clone(),
            )
            .await?,
        ),
        None => None,
    };
    loop {
        if row.cancel_requested {
            return finish(svc, &row, BulkItemStatus::Skipped, None, report).await;
        }
        let pending = item::Entity::find()
            .filter(item::Column::BulkActionId.eq(row.id.as_str()))
            .filter(item::Column::Status.eq(BulkItemStatus::Pending))
            .order_by_asc(item::Column::CustomerId)
            .limit(BATCH)
            .all(&svc.db)
            .await?;
        if pending.is_empty() {
            return finish(svc, &row, BulkItemStatus::Pending, None, report).await;
        }
        // Read before each batch: whoever started it acts only while they still may.
        match standing(svc, &row, &caller.actor).await? {
            Standing::May(current) => caller.actor = current,
            Standing::MayNot(code, why) => {
                tracing::info!(bulk_action = %row.id, %why, "a bulk action's starter may no longer do it");
                return finish(
                    svc,
                    &row,
                    BulkItemStatus::Skipped,
                    Some((code, why)),
                    report,
                )
                .await;
            }
        }
        let job = Job {
            caller: &caller,
            action: &row,
            params: &params,
            product: product.as_ref(),
        };
        for it in pending {
            match one(svc, job, &it.customer_id).await {
                Ok(true) => report.succeeded += 1,
                Ok(false) => {}
                Err(e) => {
                    if record_failure(svc, &row, &it.customer_id, e).await? {
                        report.failed += 1;
                    }
                }
            }
        }
        // Keep the lease, and read whether someone asked to stop.
        let now = svc.clock.now();
        bulk_action::Entity::update_many()
            .col_expr(bulk_action::Column::LeaseUntil, Expr::val(now + LEASE))
            .filter(bulk_action::Column::Id.eq(row.id.as_str()))
            .filter(bulk_action::Column::Status.eq(BulkActionStatus::Running))
            .exec(&svc.db)
            .await?;
        row = bulk_action::Entity::find_by_id(row.id.clone())
            .one(&svc.db)
            .await?
            .ok_or(DomainError::NotFound {
                what: "bulk action",
            })?;
        if row.status != BulkActionStatus::Running {
            return Ok(());
        }
    }
}

/// What each customer of an action is changed with: its starter (as they stand now), the
/// action, its parameters and the product it grants, if any.
#[derive(Debug, Clone, Copy)]
struct Job<'a> {
    caller: &'a Caller,
    action: &'a bulk_action::Model,
    params: &'a Params,
    product: Option<&'a product::Model>,
}

/// Changes one customer, with its item and the action's counter, in one transaction: `false`
/// if the item was done already (by a process whose lease ran out).
async fn one(svc: &Services, job: Job<'_>, customer_id: &CustomerId) -> Result<bool, DomainError> {
    let action = job.action;
    let now = svc.clock.now();
    let txn = svc.write_txn().await?;
    // Take the item: of two processes, one changes it and the other finds it done.
    let took = settle_item(action, customer_id, BulkItemStatus::Succeeded, now)
        .exec(&txn)
        .await?;
    if took.rows_affected == 0 {
        txn.rollback().await?;
        return Ok(false);
    }
    if let Err(e) = change(&txn, svc, job, customer_id).await {
        txn.rollback().await?;
        return Err(e);
    }
    count_one(&txn, &action.id, bulk_action::Column::Succeeded).await?;
    txn.commit().await?;
    Ok(true)
}

/// Settles the customer's item of `action` as `status` at `at` if it is still pending: whoever
/// runs it reads the rows it changed, so that of two processes only one settles the item.
fn settle_item(
    action: &bulk_action::Model,
    customer_id: &CustomerId,
    status: BulkItemStatus,
    at: DateTime<Utc>,
) -> UpdateMany<item::Entity> {
    item::Entity::update_many()
        .col_expr(item::Column::Status, Expr::val(status))
        .col_expr(item::Column::DoneAt, Expr::val(Some(at)))
        .filter(item::Column::BulkActionId.eq(action.id.as_str()))
        .filter(item::Column::CustomerId.eq(customer_id.as_str()))
        .filter(item::Column::Status.eq(BulkItemStatus::Pending))
}

/// One more customer in the action's `column` (succeeded or failed), on `conn`.
async fn count_one<C: ConnectionTrait>(
    conn: &C,
    id: &BulkActionId,
    column: bulk_action::Column,
) -> Result<(), DomainError> {
    bulk_action::Entity::update_many()
        .col_expr(column, Expr::col(column).add(1))
        .filter(bulk_action::Column::Id.eq(id.as_str()))
        .exec(conn)
        .await?;
    Ok(())
}

/// The action's change to one customer, on `conn`.
async fn change<C: ConnectionTrait>(
    conn: &C,
    svc: &Services,
    job: Job<'_>,
    customer_id: &CustomerId,
) -> Result<(), DomainError> {
    let Job {
        caller,
        action,
        params,
        product,
    } = job;
    let row = customers::row(conn, caller, customer_id).await?;
    erasure::refuse_if_erased(&row)?;
    if action.kind != BulkActionKind::Archive
        && row.archived_at.is_some_and(|at| at > action.created_at)
    {
        return Err(DomainError::Conflict {
            code: ErrorCode::CustomerArchived,
            message: "the customer was archived after this action started".into(),
        });
    }
    let written = match action.kind {
        BulkActionKind::SetMetadata | BulkActionKind::RemoveMetadata => {
            let key = params.metadata_key.clone().unwrap_or_default();
            let mut map: Metadata = stored_json(&row.metadata)?;
            let before = map.clone();
            match &params.metadata_value {
                Some(v) => {
                    map.insert(key, v.clone());
                }
                None => {
                    map.remove(&key);
                }
            }
            if map == before {
                return Ok(());
            }
            validate::metadata(&map)?;
            let text = to_json(&map)?;
            customers::change_in(conn, svc, caller, row, EventType::CustomerUpdated, |m| {
                m.metadata = Set(text);
            })
            .await?
        }
        BulkActionKind::Archive => {
            if row.archived_at.is_some() {
                return Ok(());
            }
            let now = svc.clock.now();
            customers::change_in(conn, svc, caller, row, EventType::CustomerArchived, |m| {
                m.archived_at = Set(Some(now));
            })
            .await?
        }
        BulkActionKind::GrantProduct => {
            let product = product.ok_or(DomainError::NotFound { what: "product" })?;
            entitlements::grant(
                conn,
                svc,
                caller,
                product,
                customer_id,
                row.external_id.as_deref(),
                GrantSource {
                    expires_at: params.expires_at,
                    ..Default::default()
                },
            )
            .await?;
            return Ok(());
        }
    };
    written.map(|_| ()).ok_or_else(|| DomainError::Conflict {
        code: ErrorCode::VersionConflict,
        message: "the customer changed while the action ran; run it again for them".into(),
    })
}

/// Marks one customer failed with the reason; `false` if their item was settled meanwhile.
async fn record_failure(
    svc: &Services,
    action: &bulk_action::Model,
    customer_id: &CustomerId,
    e: DomainError,
) -> Result<bool, DomainError> {
    let (code, message) = reason(e);
    let txn = svc.write_txn().await?;
    let marked = settle_item(action, customer_id, BulkItemStatus::Failed, svc.clock.now())
        .col_expr(item::Column::ErrorCode, Expr::val(Some(code)))
        .col_expr(item::Column::Message, Expr::val(Some(message)))
        .exec(&txn)
        .await?;
    if marked.rows_affected == 1 {
        count_one(&txn, &action.id, bulk_action::Column::Failed).await?;
    }
    txn.commit().await?;
    Ok(marked.rows_affected == 1)
}

/// A failure as the report shows it: its code and its words. A database or internal failure
/// is logged, and reported without its detail (as every door reports it).
fn reason(e: DomainError) -> (String, String) {
    if matches!(e, DomainError::Db(_) | DomainError::Internal(_)) {
        tracing::error!(error = %e, "a bulk action's change failed");
    }
    let app = crate::types::AppError::from(e);
    (app.code().to_string(), app.to_string())
}

/// Ends an action with no pending customer left: those still pending become `status`
/// (`Skipped` on a cancel), and the action succeeded, completed with errors, or was canceled.
/// A stop that nobody asked for (`stopped`: its code and words) gives each skipped customer
/// the reason, and is audited.
async fn finish(
    svc: &Services,
    row: &bulk_action::Model,
    status: BulkItemStatus,
    stopped: Option<(ErrorCode, String)>,
    report: &mut BulkReport,
) -> Result<(), DomainError> {
    let now = svc.clock.now();
    let txn = svc.write_txn().await?;
    let canceled = status == BulkItemStatus::Skipped;
    if canceled {
        let mut skip = item::Entity::update_many()
            .col_expr(item::Column::Status, Expr::val(BulkItemStatus::Skipped))
            .filter(item::Column::BulkActionId.eq(row.id.as_str()))
            .filter(item::Column::Status.eq(BulkItemStatus::Pending));
        if let Some((code, why)) = &stopped {
            skip = skip
                .col_expr(item::Column::ErrorCode, Expr::val(Some(code.to_string())))
                .col_expr(item::Column::Message, Expr::val(Some(why.clone())))
                .col_expr(item::Column::DoneAt, Expr::val(Some(now)));
        }
        skip.exec(&txn).await?;
    }
    let current = bulk_action::Entity::find_by_id(row.id.clone())
        .one(&txn)
        .await?
        .ok_or(DomainError::NotFound {
            what: "bulk action",
        })?;
    let end = if canceled {
        BulkActionStatus::Canceled
    } else if current.failed > 0 {
        BulkActionStatus::CompletedWithErrors
    } else {
        BulkActionStatus::Succeeded
    };
    let done = bulk_action::Entity::update_many()
        .col_expr(bulk_action::Column::Status, Expr::val(end))
        .col_expr(bulk_action::Column::FinishedAt, Expr::val(Some(now)))
        .filter(bulk_action::Column::Id.eq(row.id.as_str()))
        .filter(bulk_action::Column::Status.eq(BulkActionStatus::Running))
        .exec(&txn)
        .await?;
    if done.rows_affected == 1
        && let Some((code, why)) = &stopped
    {
        audit::record_workspace(
            &txn,
            svc,
            &Caller::system(row.workspace_id.clone()),
            EventType::BulkActionStopped,
            json!({"bulk_action_id": row.id, "code": code.to_string(), "reason": why}),
        )
        .await?;
    }
    txn.commit().await?;
    if done.rows_affected == 1 {
        report.finished += 1;
        tracing::info!(bulk_action = %row.id, status = %end, succeeded = current.succeeded, failed = current.failed, "bulk action finished");
    }
    Ok(())
}
