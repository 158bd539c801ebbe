//! One pattern for every movement of money through the payment provider:
//!
//! 1. record the intent first (a `charge_attempts` row, or a `pending` refund) and commit it;
//! 2. call the provider with the intent's id as the idempotency key, in a task detached from the
//!    request, so a client that hangs up cannot cut the work in half;
//! 3. finalise in a second transaction whose first write is a conditional update of the intent
//!    (only a `pending` intent can be settled, only an unsettled one voided), so that whichever of
//!    the request and the reconciliation job gets there first wins and the other backs off;
//! 4. [`reconcile`], a job, takes intents whose lease ran out (a crash, an outage, a hang) and
//!    finishes them or gives the money back, asking the provider by the same key.
//!
//! [`compare`] sets the provider's own ledger against Patron's orders and refunds; `server
//! reconcile` prints what it finds.

use crate::types::{CustomerId, OrderId, SubscriptionId, WorkspaceId};
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::future::Future;

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, Set,
    Value,
};

use crate::db::entities::{charge_attempt as attempt, order, refund};
use crate::types::ChargeAttemptId;
use crate::types::ErrorCode;
use crate::types::money::{self, Currency};
use crate::types::order::{OrderStatus, RefundStatus};

use super::provider::{
    Charge, ChargeRequest, MovementKind, PaymentSource, ProviderError, RefundRequest,
};
use super::{
    Caller, Claim, DomainError, Services, Unreadable, billing, claim, idempotency, orders,
};

/// How long the process that recorded an intent owns it; after that the reconciliation job may
/// take it over. Longer than any provider call should take.
pub const LEASE: Duration = Duration::minutes(2);

/// How long a charge the provider never confirmed is looked for again before it is closed.
pub const WATCH: Duration = Duration::days(2);

/// Intents the reconciliation job takes per run; the next run takes the rest.
const BATCH: u64 = 100;

crate::string_enum!(
    /// What a charge pays for.
    Purpose {
        /// A checkout: the buyer waits for the answer.
        Checkout = "checkout",
        /// A subscription's renewal by the billing clock.
        Renewal = "renewal",
        /// Paying an order that awaits payment (a repayment link).
        OrderPayment = "order_payment",
    }
);

crate::string_enum!(
    /// Where a charge attempt stands.
    AttemptStatus {
        /// Recorded; the provider is being (or was, unknown how) asked.
        Pending = "pending",
        /// Money taken and recorded as an order.
        Succeeded = "succeeded",
        /// The provider refused; no money moved.
        Declined = "declined",
        /// The provider had no charge under its key when asked; it is looked for again for
        /// [`WATCH`], in case a delayed call lands.
        Abandoned = "abandoned",
        /// Money moved but cannot be recorded: it is being given back.
        Voiding = "voiding",
        /// Money moved and was given back in full.
        Voided = "voided",
        /// Closed after [`WATCH`] without money having moved.
        Failed = "failed",
    }
);

/// A charge about to be asked for.
#[derive(Debug, Clone)]
pub(crate) struct NewAttempt {
    pub workspace_id: WorkspaceId,
    pub purpose: Purpose,
    pub amount: i64,
    pub currency: String,
    pub customer_id: Option<CustomerId>,
    pub subscription_id: Option<SubscriptionId>,
    pub period_start: Option<DateTime<Utc>>,
    pub retry_count: Option<i32>,
    pub order_id: Option<OrderId>,
}

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
    let taken = attempt::Entity::update_many()
        .col_expr(attempt::Column::Status, Expr::val(AttemptStatus::Pending))
        .col_expr(attempt::Column::LeaseUntil, Expr::val(now + LEASE))
        .col_expr(attempt::Column::UpdatedAt, Expr::val(now))
        .filter(attempt::Column::Id.eq(a.id.as_str()))
        .filter(attempt::Column::Status.is_in(unsettled()))
        .filter(attempt::Column::LeaseUntil.lte(now))
        .exec(&txn)
        .await?;
    if taken.rows_affected == 0 {
        return Err(refused());
    }
    idempotency::bind(&txn, caller, a.id.as_str()).await?;
    txn.commit().await?;
    Ok(Start::Charge(Box::new(attempt::Model {
        status: AttemptStatus::Pending,
        lease_until: now + LEASE,
        ..a
    })))
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
            let now = svc.clock.now();
            let taken = attempt::Entity::update_many()
                .col_expr(attempt::Column::Status, Expr::val(AttemptStatus::Pending))
                .col_expr(attempt::Column::LeaseUntil, Expr::val(now + LEASE))
                .col_expr(attempt::Column::UpdatedAt, Expr::val(now))
                .filter(attempt::Column::Id.eq(a.id.as_str()))
                .filter(attempt::Column::Status.is_in(unsettled()))
                .filter(attempt::Column::LeaseUntil.lte(now))
                .exec(&svc.db)
                .await?;
            if taken.rows_affected == 0 {
                return Err(idempotency::in_flight());
            }
            Ok(Start::Charge(Box::new(attempt::Model {
                status: AttemptStatus::Pending,
                lease_until: now + LEASE,
                ..a
            })))
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
    let now = svc.clock.now();
    let res = attempt::Entity::update_many()
        .col_expr(attempt::Column::Status, Expr::val(AttemptStatus::Pending))
        .col_expr(attempt::Column::LeaseUntil, Expr::val(now + LEASE))
        .col_expr(attempt::Column::UpdatedAt, Expr::val(now))
        .filter(attempt::Column::Id.eq(id))
        .filter(attempt::Column::Status.is_in(unsettled()))
        .exec(&svc.db)
        .await?;
    Ok(res.rows_affected == 1)
}

fn unsettled() -> [AttemptStatus; 2] {
    [AttemptStatus::Pending, AttemptStatus::Abandoned]
}

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
    let now = svc.clock.now();
    let res = attempt::Entity::update_many()
        .col_expr(attempt::Column::Status, Expr::val(AttemptStatus::Voiding))
        .col_expr(
            attempt::Column::ProviderPaymentId,
            Expr::val(Some(payment_id)),
        )
        .col_expr(attempt::Column::LeaseUntil, Expr::val(now + LEASE))
        .col_expr(attempt::Column::UpdatedAt, Expr::val(now))
        .filter(attempt::Column::Id.eq(id))
        .filter(attempt::Column::Status.is_in(unsettled()))
        .exec(&svc.db)
        .await?;
    if res.rows_affected == 0 {
        // Settled (the money is recorded) or already being given back by someone else.
        return Ok(());
    }
    finish_void(svc, id, payment_id, amount).await
}

async fn finish_void(
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
    currency: Currency,
    settlement_currency: Currency,
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
            table: "charge_attempts",
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

/// What `server reconcile` answers: the differences between the provider's ledger and Patron's
/// records, after running the reconciliation job first when `fix` is set.
pub async fn check_ledger(svc: &Services, fix: bool) -> Result<Vec<Difference>, DomainError> {
    if fix {
        let report = reconcile(svc).await?;
        tracing::info!(?report, "reconciliation job");
    }
    compare(svc).await
}

/// A disagreement between the provider's ledger and Patron's records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference(pub String);

impl fmt::Display for Difference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Sets every movement in the provider's ledger against Patron's orders, refunds and voided
/// attempts, and the other way round; empty when they agree to the cent. Money still in flight
/// (a pending refund the provider has not made) is not a difference.
pub async fn compare(svc: &Services) -> Result<Vec<Difference>, DomainError> {
    let movements = svc
        .provider
        .movements()
        .await
        .map_err(|e| DomainError::internal(e.to_string()))?;
    let orders: Vec<(String, Option<String>, i64, String)> = order::Entity::find()
        .select_only()
        .column(order::Column::Id)
        .column(order::Column::ProviderPaymentId)
        .column(order::Column::Amount)
        .column(order::Column::Currency)
        .filter(order::Column::ProviderPaymentId.is_not_null())
        .into_tuple()
        .all(&svc.db)
        .await?;
    let refunds = refund::Entity::find().all(&svc.db).await?;
    let voided: Vec<(String, String)> = attempt::Entity::find()
        .select_only()
        .column(attempt::Column::Id)
        .column(attempt::Column::Status)
        .filter(attempt::Column::Status.is_in([AttemptStatus::Voided, AttemptStatus::Voiding]))
        .into_tuple()
        .all(&svc.db)
        .await?;
    let voided: HashMap<&str, &str> = voided
        .iter()
        .map(|(id, s)| (id.as_str(), s.as_str()))
        .collect();

    let mut out = Vec::new();
    let mut diff = |s: String| out.push(Difference(s));
    let charges: HashMap<&str, _> = movements
        .iter()
        .filter(|m| m.kind == MovementKind::Charge)
        .map(|m| (m.id.as_str(), m))
        .collect();
    let provider_refunds: HashMap<&str, _> = movements
        .iter()
        .filter(|m| m.kind == MovementKind::Refund)
        .map(|m| (m.idempotency_key.as_str(), m))
        .collect();
    let by_payment: HashMap<&str, &(String, Option<String>, i64, String)> = orders
        .iter()
        .filter_map(|o| o.1.as_deref().map(|p| (p, o)))
        .collect();

    for c in charges.values() {
        let shown = money::format(c.amount, &c.currency);
        match by_payment.get(c.id.as_str()) {
            Some((order_id, _, amount, currency)) => {
                if *amount != c.amount || *currency != c.currency {
                    diff(format!(
                        "charge {}: the provider took {shown}, order {order_id} records {}",
                        c.id,
                        money::format(*amount, currency)
                    ));
                }
            }
            None => match voided.get(c.idempotency_key.as_str()) {
                Some(_) => {
                    let back = provider_refunds.get(format!("void_{}", c.idempotency_key).as_str());
                    if back.is_none_or(|r| r.amount != c.amount) {
                        diff(format!(
                            "charge {}: {shown} was voided in Patron (attempt {}) but the provider has not given it back",
                            c.id, c.idempotency_key
                        ));
                    }
                }
                None => diff(format!(
                    "charge {}: the provider took {shown} (key {}) and Patron has no order for it",
                    c.id, c.idempotency_key
                )),
            },
        }
    }
    for (order_id, payment, amount, currency) in &orders {
        if let Some(p) = payment
            && !charges.contains_key(p.as_str())
        {
            diff(format!(
                "order {order_id}: records {} paid by {p}, which the provider never charged",
                money::format(*amount, currency)
            ));
        }
    }
    let patron_refunds: HashMap<&str, &refund::Model> =
        refunds.iter().map(|r| (r.id.as_str(), r)).collect();
    for (key, r) in &provider_refunds {
        let shown = money::format(r.amount, &r.currency);
        if let Some(attempt) = key.strip_prefix("void_") {
            if !voided.contains_key(attempt) {
                diff(format!(
                    "refund {}: the provider gave back {shown} to void attempt {attempt}, which Patron does not record as voided",
                    r.id
                ));
            }
            continue;
        }
        match patron_refunds.get(key) {
            Some(p) if p.status == RefundStatus::Succeeded => {
                if p.amount != r.amount || p.provider_refund_id.as_deref() != Some(r.id.as_str()) {
                    diff(format!(
                        "refund {}: the provider gave back {shown}, Patron's refund {} records {} under {}",
                        r.id,
                        p.id,
                        money::format(p.amount, &p.currency),
                        p.provider_refund_id.as_deref().unwrap_or("no provider id")
                    ));
                }
            }
            Some(p) => diff(format!(
                "refund {}: the provider gave back {shown}, Patron's refund {} is still {}",
                r.id, p.id, p.status
            )),
            None => diff(format!(
                "refund {}: the provider gave back {shown} (key {key}) and Patron has no refund for it",
                r.id
            )),
        }
    }
    let known: HashSet<&str> = provider_refunds.values().map(|r| r.id.as_str()).collect();
    for r in &refunds {
        if r.status == RefundStatus::Succeeded
            && let Some(p) = &r.provider_refund_id
            && !known.contains(p.as_str())
        {
            diff(format!(
                "refund {}: Patron records {} given back as {p}, which the provider never made",
                r.id,
                money::format(r.amount, &r.currency)
            ));
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}
