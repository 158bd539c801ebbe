//! Asking the provider for an attempt's charge, and settling the attempt: paid, declined, or
//! voided (the money given back).

use std::future::Future;

use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use crate::db::entities::charge_attempt as attempt;
use crate::types::ChargeAttemptId;
use crate::types::ErrorCode;
use crate::types::OrderId;
use crate::types::money::CurrencyCode;

use crate::domain::provider::{Charge, ChargeRequest, PaymentSource, ProviderError, RefundRequest};
use crate::domain::{DomainError, Services};

use super::{AttemptStatus, relet, unsettled};

/// Marks the attempt paid by `payment_id` into `order_id`, inside the transaction that records
/// the order. Fails with a conflict if another process voided it meanwhile: the caller's
/// transaction must then roll back.
pub(crate) async fn settle<C: ConnectionTrait>(
    conn: &C,
    svc: &Services,
    id: &ChargeAttemptId,
    order_id: &OrderId,
    payment_id: &str,
) -> Result<(), DomainError> {
    let res = attempt::Entity::update_many()
        .col_expr(attempt::Column::Status, Expr::val(AttemptStatus::Succeeded))
        .col_expr(attempt::Column::OrderId, Expr::val(Some(order_id.clone())))
        .col_expr(
            attempt::Column::ProviderPaymentId,
            Expr::val(Some(payment_id)),
        )
        .col_expr(attempt::Column::UpdatedAt, Expr::val(svc.clock.now()))
        .filter(attempt::Column::Id.eq(id))
        .filter(attempt::Column::Status.is_in(unsettled()))
        .exec(conn)
        .await?;
    if res.rows_affected == 0 {
        return Err(DomainError::Conflict {
            code: ErrorCode::PaymentSuperseded,
            message: "the payment was settled or given back by another process".into(),
        });
    }
    Ok(())
}

/// Marks the attempt declined (no money moved), inside the transaction recording the decline.
pub(crate) async fn decline<C: ConnectionTrait>(
    conn: &C,
    svc: &Services,
    id: &ChargeAttemptId,
    code: ErrorCode,
) -> Result<bool, DomainError> {
    let res = attempt::Entity::update_many()
        .col_expr(attempt::Column::Status, Expr::val(AttemptStatus::Declined))
        .col_expr(attempt::Column::FailureCode, Expr::val(Some(code)))
        .col_expr(attempt::Column::UpdatedAt, Expr::val(svc.clock.now()))
        .filter(attempt::Column::Id.eq(id))
        .filter(attempt::Column::Status.is_in(unsettled()))
        .exec(conn)
        .await?;
    Ok(res.rows_affected == 1)
}

/// Gives back a charge that cannot be recorded (the recording failed, or the reason for it is
/// gone). Never touches a settled attempt. If the provider cannot be reached, the attempt stays
/// `voiding` and the reconciliation job finishes it.
pub(crate) async fn void(
    svc: &Services,
    id: &ChargeAttemptId,
    payment_id: &str,
    amount: i64,
) -> Result<(), DomainError> {
    let res = relet(id, AttemptStatus::Voiding, svc.clock.now())
        .col_expr(
            attempt::Column::ProviderPaymentId,
            Expr::val(Some(payment_id)),
        )
        .exec(&svc.db)
        .await?;
    if res.rows_affected == 0 {
        // Settled (the money is recorded) or already being given back by someone else.
        return Ok(());
    }
    finish_void(svc, id, payment_id, amount).await
}

pub(super) async fn finish_void(
    svc: &Services,
    id: &ChargeAttemptId,
    payment_id: &str,
    amount: i64,
) -> Result<(), DomainError> {
    let key = format!("void_{id}");
    svc.provider
        .refund(RefundRequest {
            payment_id,
            amount,
            idempotency_key: &key,
        })
        .await
        .map_err(|e| DomainError::internal(format!("voiding charge attempt {id}: {e}")))?;
    attempt::Entity::update_many()
        .col_expr(attempt::Column::Status, Expr::val(AttemptStatus::Voided))
        .col_expr(attempt::Column::UpdatedAt, Expr::val(svc.clock.now()))
        .filter(attempt::Column::Id.eq(id))
        .filter(attempt::Column::Status.eq(AttemptStatus::Voiding))
        .exec(&svc.db)
        .await?;
    tracing::info!(attempt = %id, "charge given back");
    Ok(())
}

/// Asks the provider for the attempt's charge, under the attempt's id as idempotency key.
pub(crate) async fn charge(
    svc: &Services,
    attempt: &attempt::Model,
    currency: CurrencyCode,
    settlement_currency: CurrencyCode,
    source: PaymentSource<'_>,
) -> Result<Charge, ProviderError> {
    svc.provider
        .charge(ChargeRequest {
            amount: attempt.amount,
            currency,
            settlement_currency,
            source,
            idempotency_key: attempt.id.as_str(),
        })
        .await
}

/// What recording a charge came to: kept when it was recorded; otherwise the money goes back
/// now (or, if the provider cannot be reached, by the reconciliation job).
pub(crate) async fn keep_or_void<T>(
    svc: &Services,
    attempt: &attempt::Model,
    payment_id: &str,
    recorded: Result<T, DomainError>,
) -> Result<T, DomainError> {
    if recorded.is_err()
        && let Err(e) = void(svc, &attempt.id, payment_id, attempt.amount).await
    {
        tracing::error!(attempt = %attempt.id, error = %e, "giving back an unrecorded charge failed; the reconciliation job retries");
    }
    recorded
}

/// Runs money-moving work to its end even if the request that started it goes away: the
/// future is spawned, and the caller only waits for its answer.
pub(crate) async fn detached<T, F>(work: F) -> Result<T, DomainError>
where
    T: Send + 'static,
    F: Future<Output = Result<T, DomainError>> + Send + 'static,
{
    tokio::spawn(work)
        .await
        .map_err(|e| DomainError::internal(format!("money-moving task failed: {e}")))?
}
