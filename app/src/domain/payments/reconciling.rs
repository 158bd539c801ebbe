//! The reconciliation job: charge attempts and refunds whose lease ran out, finished or given
//! back.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, Value};

use crate::db::entities::charge_attempt as attempt;

use crate::domain::{Claim, DomainError, Services, Unreadable, billing, claim, orders};

use super::settling::{finish_void, void};
use super::{AttemptStatus, LEASE, Purpose, WATCH, unsettled};

/// Intents the reconciliation job takes per run; the next run takes the rest.
const BATCH: u64 = 100;

/// What one run of the reconciliation job did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReconcileReport {
    /// Renewals recorded from a charge the provider had made.
    pub finished: usize,
    /// Charges given back.
    pub voided: usize,
    /// Attempts under which the provider had moved no money (yet).
    pub abandoned: usize,
    /// Refunds that were pending and are now settled or failed.
    pub refunds: usize,
    /// Rows that failed; each is logged and retried after its lease.
    pub errors: usize,
}

/// The reconciliation job: takes charge attempts and refunds whose lease ran out (exactly once
/// across processes) and finishes or voids each; one failing row never stops the others.
pub async fn reconcile(svc: &Services) -> Result<ReconcileReport, DomainError> {
    let now = svc.clock.now();
    let mut report = ReconcileReport::default();
    for claimed in claim_attempts(svc, now).await? {
        let a = match claimed {
            Ok(a) => a,
            Err(u) => {
                report.errors += 1;
                tracing::error!(attempt = %u.id, error = %u.error, "a charge attempt cannot be read; retried after its lease");
                continue;
            }
        };
        match resolve(svc, &a, now).await {
            Ok(Resolved::Finished) => report.finished += 1,
            Ok(Resolved::Voided) => report.voided += 1,
            Ok(Resolved::Abandoned) => report.abandoned += 1,
            Ok(Resolved::Nothing) => {}
            Err(e) => {
                report.errors += 1;
                tracing::warn!(attempt = %a.id, error = %e, "reconciling a charge failed; retried later");
            }
        }
    }
    for claimed in orders::claim_stale_refunds(svc, now, BATCH).await? {
        let r = match claimed {
            Ok(r) => r,
            Err(u) => {
                report.errors += 1;
                tracing::error!(refund = %u.id, error = %u.error, "a refund cannot be read; retried after its lease");
                continue;
            }
        };
        let id = r.id.clone();
        match orders::resume_refund(svc, r).await {
            Ok(()) => report.refunds += 1,
            Err(e) => {
                report.errors += 1;
                tracing::warn!(refund = %id, error = %e, "reconciling a refund failed; retried later");
            }
        }
    }
    Ok(report)
}

enum Resolved {
    Finished,
    Voided,
    Abandoned,
    Nothing,
}

/// Takes up to [`BATCH`] unfinished attempts whose lease ran out, in one statement, giving
/// each a new lease: a second process running the same claim gets other rows.
async fn claim_attempts(
    svc: &Services,
    now: DateTime<Utc>,
) -> Result<Vec<Result<attempt::Model, Unreadable>>, DomainError> {
    claim::<attempt::Entity>(
        &svc.db,
        Claim {
            set: "lease_until = $, tries = tries + 1, updated_at = $",
            set_values: vec![Value::from(now + LEASE), Value::from(now)],
            open: "status IN ($, $, $) AND lease_until <= $",
            open_values: vec![
                Value::from(AttemptStatus::Pending),
                Value::from(AttemptStatus::Voiding),
                Value::from(AttemptStatus::Abandoned),
                Value::from(now),
            ],
            order_by: "lease_until",
            batch: BATCH,
        },
    )
    .await
}

async fn resolve(
    svc: &Services,
    a: &attempt::Model,
    now: DateTime<Utc>,
) -> Result<Resolved, DomainError> {
    if a.status == AttemptStatus::Voiding {
        let payment = match &a.provider_payment_id {
            Some(p) => p.clone(),
            None => match svc.provider.find_charge(a.id.as_str()).await {
                Ok(Some(c)) => c.payment_id,
                Ok(None) => {
                    return Err(DomainError::internal("voiding a charge the provider lacks"));
                }
                Err(e) => return Err(DomainError::internal(e.to_string())),
            },
        };
        finish_void(svc, &a.id, &payment, a.amount).await?;
        return Ok(Resolved::Voided);
    }
    let found = svc
        .provider
        .find_charge(a.id.as_str())
        .await
        .map_err(|e| DomainError::internal(e.to_string()))?;
    match found {
        Some(charge) if a.purpose == Purpose::Renewal => {
            // Nobody waits for a renewal: record it if the subscription still expects it.
            Ok(
                match billing::finish_renewal(svc, a, Ok(charge), now).await? {
                    billing::Finished::Recorded => Resolved::Finished,
                    billing::Finished::Voided => Resolved::Voided,
                    _ => Resolved::Nothing,
                },
            )
        }
        Some(charge) => {
            // The buyer was told it failed (or hung up): the money goes back.
            void(svc, &a.id, &charge.payment_id, a.amount).await?;
            Ok(Resolved::Voided)
        }
        None => {
            let closing = now - a.created_at > WATCH;
            let (status, lease) = if closing {
                (AttemptStatus::Failed, now)
            } else {
                // Looked for again, less and less often, in case a delayed call lands.
                let backoff = LEASE * 2i32.pow(u32::try_from(a.tries.clamp(0, 8)).unwrap_or(8));
                (AttemptStatus::Abandoned, now + backoff)
            };
            attempt::Entity::update_many()
                .col_expr(attempt::Column::Status, Expr::val(status))
                .col_expr(attempt::Column::LeaseUntil, Expr::val(lease))
                .col_expr(attempt::Column::UpdatedAt, Expr::val(now))
                .filter(attempt::Column::Id.eq(a.id.as_str()))
                .filter(attempt::Column::Status.is_in(unsettled()))
                .exec(&svc.db)
                .await?;
            Ok(if a.status == AttemptStatus::Pending {
                Resolved::Abandoned
            } else {
                Resolved::Nothing
            })
        }
    }
}
