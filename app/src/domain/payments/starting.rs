//! Starting a charge under the caller's `Idempotency-Key`: recording the intent, or taking up
//! the key's (or the order's) earlier attempt again.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, Set,
};

use crate::db::entities::{charge_attempt as attempt, order};
use crate::types::ChargeAttemptId;
use crate::types::ErrorCode;
use crate::types::OrderId;
use crate::types::order::OrderStatus;

use crate::domain::{Caller, DomainError, Services, idempotency};

use super::{AttemptStatus, LEASE, NewAttempt, Purpose, relet, unsettled};

/// Records the intent to charge (committed by the caller before the provider hears of it). Its
/// id is the idempotency key of the charge.
async fn insert<C: ConnectionTrait>(
    conn: &C,
    svc: &Services,
    new: NewAttempt,
) -> Result<attempt::Model, DomainError> {
    let now = svc.clock.now();
    let purpose = new.purpose;
    let inserted = attempt::ActiveModel {
        id: Set(ChargeAttemptId::generate_at(now)),
        workspace_id: Set(new.workspace_id),
        purpose: Set(new.purpose),
        status: Set(AttemptStatus::Pending),
        amount: Set(new.amount),
        currency: Set(new.currency),
        customer_id: Set(new.customer_id),
        subscription_id: Set(new.subscription_id),
        period_start: Set(new.period_start),
        retry_count: Set(new.retry_count),
        order_id: Set(new.order_id),
        provider_payment_id: Set(None),
        failure_code: Set(None),
        lease_until: Set(now + LEASE),
        tries: Set(0),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(conn)
    .await;
    match inserted {
        Ok(row) => Ok(row),
        // One unsettled payment per order (a unique index): another request pays it now.
        Err(e)
            if purpose == Purpose::OrderPayment
                && matches!(
                    e.sql_err(),
                    Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
                ) =>
        {
            Err(DomainError::Conflict {
                code: ErrorCode::OrderNotPayable,
                message: "the order is being paid by another request right now".into(),
            })
        }
        Err(e) => Err(e.into()),
    }
}

/// How a money flow under the caller's `Idempotency-Key` goes on.
#[derive(Debug)]
pub(crate) enum Start {
    /// Charge under this attempt: a new one, bound to the key, or the key's earlier one taken
    /// over to be finished (the provider answers a repeated key with the charge it made).
    Charge(Box<attempt::Model>),
    /// The key's earlier attempt is settled: its answer, to give again (see
    /// [`idempotency::replay`]).
    Replay(String),
}

/// Starts a charge for the caller's request: records the intent and binds the request's
/// `Idempotency-Key` to it in one transaction, or, when an earlier request under the key
/// started one, resumes or replays that one instead. Never two attempts under one key.
pub(crate) async fn start(
    svc: &Services,
    caller: &Caller,
    new: NewAttempt,
) -> Result<Start, DomainError> {
    if let Some(bound) = idempotency::bound(&svc.db, caller).await? {
        return take_up(svc, bound).await;
    }
    let order_id = new.order_id.clone();
    let txn = svc.write_txn().await?;
    let row = match insert(&txn, svc, new).await {
        Ok(row) => row,
        // An earlier payment of the order is unsettled: taken over if nobody holds it.
        Err(DomainError::Conflict {
            code: ErrorCode::OrderNotPayable,
            message,
        }) => {
            txn.rollback().await?;
            return match order_id {
                Some(order_id) => adopt_order_payment(svc, caller, &order_id, message).await,
                None => Err(DomainError::Conflict {
                    code: ErrorCode::OrderNotPayable,
                    message,
                }),
            };
        }
        Err(e) => return Err(e),
    };
    // An order paid by another request that settled just before this attempt was recorded
    // (its attempt left the unique index as it did): read after the insert, so a payment
    // still being committed was waited for by the index.
    if row.purpose == Purpose::OrderPayment
        && let Some(order_id) = &row.order_id
    {
        let status: Option<OrderStatus> = order::Entity::find_by_id(order_id.clone())
            .select_only()
            .column(order::Column::Status)
            .into_tuple()
            .one(&txn)
            .await?;
        if status != Some(OrderStatus::Created) {
            return Err(DomainError::Conflict {
                code: ErrorCode::OrderNotPayable,
                message: "the order was paid meanwhile".into(),
            });
        }
    }
    // Refused when another request under the key bound an attempt first: dropping the
    // transaction forgets this one.
    idempotency::bind(&txn, caller, row.id.as_str()).await?;
    txn.commit().await?;
    Ok(Start::Charge(Box::new(row)))
}

/// The order's unsettled payment attempt, taken over by a new request once its lease ran out
/// (its provider had no answer, or its process died) and bound to the new request's key: it is
/// charged again under its own id, so a delayed first charge and this one are the same money.
/// Still held by someone: the order is being paid right now.
async fn adopt_order_payment(
    svc: &Services,
    caller: &Caller,
    order_id: &OrderId,
    being_paid: String,
) -> Result<Start, DomainError> {
    let refused = || DomainError::Conflict {
        code: ErrorCode::OrderNotPayable,
        message: being_paid.clone(),
    };
    let now = svc.clock.now();
    let Some(a) = attempt::Entity::find()
        .filter(attempt::Column::OrderId.eq(order_id.as_str()))
        .filter(attempt::Column::Purpose.eq(Purpose::OrderPayment))
        .filter(attempt::Column::Status.is_in(unsettled()))
        .filter(attempt::Column::LeaseUntil.lte(now))
        .one(&svc.db)
        .await?
    else {
        return Err(refused());
    };
    let txn = svc.write_txn().await?;
    let Some(a) = take_over(&txn, a, now).await? else {
        return Err(refused());
    };
    idempotency::bind(&txn, caller, a.id.as_str()).await?;
    txn.commit().await?;
    Ok(Start::Charge(Box::new(a)))
}

/// Takes over the unsettled attempt `a` once its lease ran out, on `conn`: pending again, with
/// a fresh lease, to be charged again under its own id. `None` if another process holds it or
/// settled it meanwhile.
async fn take_over<C: ConnectionTrait>(
    conn: &C,
    a: attempt::Model,
    now: DateTime<Utc>,
) -> Result<Option<attempt::Model>, DomainError> {
    let taken = relet(&a.id, AttemptStatus::Pending, now)
        .filter(attempt::Column::LeaseUntil.lte(now))
        .exec(conn)
        .await?;
    if taken.rows_affected == 0 {
        return Ok(None);
    }
    Ok(Some(attempt::Model {
        status: AttemptStatus::Pending,
        lease_until: now + LEASE,
        ..a
    }))
}

/// The key's earlier attempt, met by a retry: answered when settled, taken over once its lease
/// ran out (its process died, or the provider could not be reached), and otherwise still
/// running (409 `idempotency_key_in_flight`): the key never lapses while its attempt may move
/// money.
async fn take_up(svc: &Services, bound: idempotency::Bound) -> Result<Start, DomainError> {
    if let Some(outcome) = bound.outcome {
        return Ok(Start::Replay(outcome));
    }
    let a = attempt::Entity::find()
        .filter(attempt::Column::Id.eq(bound.attempt_id.as_str()))
        .one(&svc.db)
        .await?
        .ok_or_else(|| DomainError::internal("an Idempotency-Key is bound to no charge attempt"))?;
    match a.status {
        AttemptStatus::Pending | AttemptStatus::Abandoned => {
            match take_over(&svc.db, a, svc.clock.now()).await? {
                Some(a) => Ok(Start::Charge(Box::new(a))),
                None => Err(idempotency::in_flight()),
            }
        }
        // Settled a moment ago: its outcome is on the key by the next retry.
        AttemptStatus::Succeeded | AttemptStatus::Declined => Err(idempotency::in_flight()),
        AttemptStatus::Voiding | AttemptStatus::Voided | AttemptStatus::Failed => {
            Err(DomainError::Conflict {
                code: ErrorCode::PaymentSuperseded,
                message: "the payment started with this Idempotency-Key could not be recorded and was given back; send the request again with a new key".into(),
            })
        }
    }
}

/// Takes over `attempt` again for another call under the same key (a renewal retried after a
/// crash): it is pending again, with a fresh lease. `false` if it was settled meanwhile.
pub(crate) async fn resume(svc: &Services, id: &ChargeAttemptId) -> Result<bool, DomainError> {
    let res = relet(id, AttemptStatus::Pending, svc.clock.now())
        .exec(&svc.db)
        .await?;
    Ok(res.rows_affected == 1)
}
