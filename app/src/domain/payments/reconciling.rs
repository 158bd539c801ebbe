//! Stale charge attempts (their lease ran out): claimed exactly once across processes and
//! resolved by asking the provider by the attempt's key. The job that runs this lives above
//! payments, with orders and billing.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, Value};

use crate::db::entities::charge_attempt as attempt;

use crate::domain::provider::Charge;
use crate::domain::{Claim, DomainError, Services, Unreadable, claim};

use super::settling::{finish_void, void};
use super::{AttemptStatus, LEASE, Purpose, WATCH, unsettled};

/// Intents the reconciliation job takes per run; the next run takes the rest.
pub(crate) const BATCH: u64 = 100;

/// What resolving one stale attempt came to.
pub(crate) enum Resolved {
    Finished,
    Voided,
    Abandoned,
    Nothing,
    /// The provider did charge a renewal: the billing clock records it (a room above this one).
    Renewal(Box<Charge>),
}

/// Takes up to [`BATCH`] unfinished attempts whose lease ran out, in one statement, giving
/// each a new lease: a second process running the same claim gets other rows.
pub(crate) async fn claim_attempts(
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

/// Finishes, voids or looks again later for one claimed attempt.
pub(crate) async fn resolve(
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
        Some(charge) if a.purpose == Purpose::Renewal => Ok(Resolved::Renewal(Box::new(charge))),
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
