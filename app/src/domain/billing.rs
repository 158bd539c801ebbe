//! The billing clock: renews subscriptions at period end through the payment provider, marks
//! them past due on failure, retries, expires them after the last failed retry, applies
//! scheduled cancellations, expires benefits and applies the provider's late notices.
//!
//! Renewals are claimed with a lease by one statement, so several server processes can run the
//! clock at once and each renewal is charged once: the charge goes through a recorded attempt
//! whose id is the provider's idempotency key (see [`super::payments`]), one attempt per
//! subscription, period and try (a unique index; whoever records second gets the first one).
//! A claim carries a token of its own, and right before each charge the clock extends its claim
//! only if the token is still there: a clock whose lease ran out during a slow batch, or whose
//! subscription was free for a moment between two periods of a catch-up, leaves the renewal to
//! the clock that took it over.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set, Value,
};

use crate::db::entities::{charge_attempt, invoice, order, subscription as sub};
use crate::types::EventType;
use crate::types::entitlement::EntitlementStatus;
use crate::types::money;
use crate::types::order::{OrderKind, ProviderEventKind};
use crate::types::subscription::{InvoiceStatus, SubscriptionStatus};
use crate::types::{ChargeAttemptId, ErrorCode, SubscriptionId};

use super::actor::Caller;
use super::entitlements::{self, Which};
use super::orders::{self, NewOrder, Outcome};
use super::payments::{self, AttemptStatus, Purpose};
use super::provider::{Charge, NotificationAbout, PaymentSource, ProviderError};
use super::{Claim, DomainError, Services, Unreadable, claim, lock_row, secrets, subscriptions};

/// Waits before each retry after a failed renewal; after the last, the subscription expires.
pub const RETRY_DELAYS: [Duration; 3] = [Duration::days(1), Duration::days(3), Duration::days(5)];

/// Rows each step takes per run; the next run takes the rest.
const BATCH: u64 = 200;

/// `subscriptions.claim_token` (migration 23): which claim holds the subscription. Only the
/// claim and the fence before a charge read or write it, so the entity leaves it out.
const CLAIM_TOKEN: &str = "claim_token";

/// `charge_attempts.duplicate_of` (migration 23): set on the older of attempts the old billing
/// clock doubled, which the unique index leaves out.
const DUPLICATE_OF: &str = "duplicate_of";

/// A renewal's attempts that may still take the money or took it: the unique index of
/// migration 23 holds these to one per subscription, period and try.
const LIVE: [AttemptStatus; 4] = [
    AttemptStatus::Pending,
    AttemptStatus::Abandoned,
    AttemptStatus::Voiding,
    AttemptStatus::Succeeded,
];

/// What one run of the clock did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BillingReport {
    /// Renewals paid.
    pub renewed: usize,
    /// Renewals declined (now past due).
    pub failed: usize,
    /// Subscriptions expired after their last retry.
    pub expired: usize,
    /// Scheduled cancellations applied.
    pub canceled: usize,
    /// Entitlements whose time ran out.
    pub entitlements_expired: usize,
    /// Disputes the provider reported.
    pub disputes_opened: usize,
}

/// Runs every due step once, at the services' clock's now. Any number of processes may run it
/// at once: each renewal is claimed by exactly one, and a row that fails is logged and retried
/// later without stopping the others.
pub async fn run_billing(svc: &Services) -> Result<BillingReport, DomainError> {
    let now = svc.clock.now();
    let mut report = BillingReport::default();
    let live = [SubscriptionStatus::Active, SubscriptionStatus::PastDue];

    let ending = sub::Entity::find()
        .filter(sub::Column::Status.is_in(live))
        .filter(sub::Column::CancelAtPeriodEnd.eq(true))
        .filter(sub::Column::CurrentPeriodEnd.lte(now))
        .order_by_asc(sub::Column::CurrentPeriodEnd)
        .limit(BATCH)
        .all(&svc.db)
        .await?;
    for row in ending {
        let id = row.id.clone();
        match apply_scheduled_cancel(svc, row).await {
            Ok(done) => report.canceled += usize::from(done),
            Err(e) => {
                tracing::warn!(subscription = %id, error = %e, "a scheduled cancellation failed; retried next run")
            }
        }
    }

    // This run's claims: a clock that takes a subscription over sets its own token.
    let token = secrets::random_token(32);
    for claimed in claim_due(svc, now, &token).await? {
        let row = match claimed {
            Ok(row) => row,
            Err(u) => {
                tracing::error!(subscription = %u.id, error = %u.error, "a subscription cannot be read; retried later");
                back_off(svc, &u.id, &token, now).await?;
                continue;
            }
        };
        let id = row.id.clone();
        match collect(svc, row, &token, now, &mut report).await {
            Ok(()) => {}
            Err(e) => {
                tracing::warn!(subscription = %id, error = %e, "a renewal failed; retried later");
                back_off(svc, id.as_str(), &token, now).await?;
            }
        }
    }

    report.entitlements_expired = entitlements::expire_due(svc).await?;
    report.disputes_opened = orders::apply_provider_events(svc).await?;
    Ok(report)
}

/// How long a billing clock owns a renewal it claimed before another may take it over.
pub const CLAIM: Duration = Duration::minutes(5);

/// Claims up to [`BATCH`] due subscriptions in one statement, leasing each to this run for
/// [`CLAIM`] under `token`: another process running the same claim gets other rows (PostgreSQL
/// skips rows being claimed; SQLite runs one writer at a time), and a crashed or slow process's
/// rows come back when their lease ends, under the new claimant's token.
async fn claim_due(
    svc: &Services,
    now: DateTime<Utc>,
    token: &str,
) -> Result<Vec<Result<sub::Model, Unreadable>>, DomainError> {
    let mut rows = claim::<sub::Entity>(
        &svc.db,
        Claim {
            set: "claimed_until = $, claim_token = $",
            set_values: vec![Value::from(now + CLAIM), Value::from(token.to_owned())],
            open: "((status = $ AND current_period_end <= $) \
                OR (status = $ AND next_retry_at <= $)) \
                AND cancel_at_period_end = $ AND (claimed_until IS NULL OR claimed_until <= $)",
            open_values: vec![
                Value::from(SubscriptionStatus::Active),
                Value::from(now),
                Value::from(SubscriptionStatus::PastDue),
                Value::from(now),
                Value::from(false),
                Value::from(now),
            ],
            order_by: "current_period_end",
            batch: BATCH,
        },
    )
    .await?;
    // Oldest due first, as a clock that was stopped catches up (unreadable rows first).
    rows.sort_by_key(|r| r.as_ref().ok().map(|r| r.current_period_end));
    Ok(rows)
}

/// After a failed run (not a decline: an error), the subscription waits longer each time.
async fn back_off(
    svc: &Services,
    id: &str,
    token: &str,
    now: DateTime<Utc>,
) -> Result<(), DomainError> {
    // Only the counter: a row that cannot be read as a whole backs off too.
    let failures: i32 = sub::Entity::find()
        .filter(sub::Column::Id.eq(id))
        .select_only()
        .column(sub::Column::ClaimFailures)
        .into_tuple()
        .one(&svc.db)
        .await?
        .unwrap_or(0);
    let wait = CLAIM * 2i32.pow(u32::try_from(failures.clamp(0, 8)).unwrap_or(8));
    sub::Entity::update_many()
        .col_expr(sub::Column::ClaimedUntil, Expr::val(Some(now + wait)))
        .col_expr(
            sub::Column::ClaimFailures,
            Expr::col(sub::Column::ClaimFailures).add(1),
        )
        .filter(sub::Column::Id.eq(id))
        // Only while this run holds it: another clock's claim is not this run's to push back.
        .filter(Expr::col(CLAIM_TOKEN).eq(token))
        .exec(&svc.db)
        .await?;
    Ok(())
}

async fn apply_scheduled_cancel(svc: &Services, row: sub::Model) -> Result<bool, DomainError> {
    let caller = Caller::system(row.workspace_id.clone());
    let txn = svc.write_txn().await?;
    let end = row.current_period_end;
    let done = subscriptions::write(
        &txn,
        svc,
        &caller,
        &row,
        EventType::SubscriptionCanceled,
        |m| {
            m.status = Set(SubscriptionStatus::Canceled);
            m.cancel_at_period_end = Set(false);
            m.ended_at = Set(Some(end));
            m.next_retry_at = Set(None);
        },
    )
    .await;
    match done {
        Ok(_) => {}
        // Another process got there first.
        Err(DomainError::Conflict { .. }) => return Ok(false),
        Err(e) => return Err(e),
    }
    expire(
        &txn,
        svc,
        &caller,
        &row.id,
        InvoiceStatus::Void,
        "subscription canceled at period end",
        end,
    )
    .await?;
    txn.commit().await?;
    Ok(true)
}

/// Charges a subscription claimed under `token`, period after period while it stays due (a
/// clock that was stopped for months catches up), each charge fenced on the claim.
async fn collect(
    svc: &Services,
    mut row: sub::Model,
    token: &str,
    now: DateTime<Utc>,
    report: &mut BillingReport,
) -> Result<(), DomainError> {
    for _ in 0..1000 {
        // A clock that lost its claim touches no attempt: the holder's may be in flight.
        if !hold(svc, row.id.as_str(), token).await? {
            return Ok(());
        }
        let Some(attempt) = claim_renewal_attempt(svc, &row).await? else {
            return Ok(());
        };
        let ws_currency = orders::workspace_currency(&svc.db, &row.workspace_id).await?;
        let currency = row.currency;
        if !hold(svc, row.id.as_str(), token).await? {
            // The attempt stays for the clock that holds the subscription now: it takes it up
            // under the same key.
            tracing::info!(subscription = %row.id, "another billing clock took this renewal over");
            return Ok(());
        }
        let source = PaymentSource::Saved(&row.payment_token);
        let charged = payments::charge(svc, &attempt, currency, ws_currency, source).await;
        match finish_renewal(svc, &attempt, charged, now).await? {
            Finished::Recorded => report.renewed += 1,
            Finished::Declined { expired: false } => report.failed += 1,
            Finished::Declined { expired: true } => report.expired += 1,
            Finished::Voided | Finished::Nothing | Finished::Postponed => return Ok(()),
        }
        row = sub::Entity::find_by_id(row.id.clone())
            .one(&svc.db)
            .await?
            .ok_or_else(|| DomainError::internal("subscription vanished"))?;
        let still_due = row.status == SubscriptionStatus::Active
            && !row.cancel_at_period_end
            && row.current_period_end <= now;
        if !still_due {
            return Ok(());
        }
    }
    Ok(())
}

/// Extends this run's claim on the subscription right before its charge, if the claim is still
/// this run's: a clock that took the subscription over (this run's lease ran out during a slow
/// batch, or the subscription was free for a moment between two periods of a catch-up) set its
/// own token. `false`: leave the renewal to that clock, or to nobody if the subscription was
/// canceled meanwhile.
async fn hold(svc: &Services, id: &str, token: &str) -> Result<bool, DomainError> {
    let res = sub::Entity::update_many()
        .col_expr(
            sub::Column::ClaimedUntil,
            Expr::val(Some(svc.clock.now() + CLAIM)),
        )
        .filter(sub::Column::Id.eq(id))
        .filter(Expr::col(CLAIM_TOKEN).eq(token))
        // Canceled or scheduled to end since the claim (by the customer, a ban, an erasure):
        // nothing to charge.
        .filter(
            sub::Column::Status.is_in([SubscriptionStatus::Active, SubscriptionStatus::PastDue]),
        )
        .filter(sub::Column::CancelAtPeriodEnd.eq(false))
        .exec(&svc.db)
        .await?;
    Ok(res.rows_affected == 1)
}

/// The charge attempt for the subscription's due period and try, the same one for every caller:
/// a new attempt is inserted unless a live one already holds the unique index (the insert then
/// does nothing), and the live one is read back, so clocks claiming the renewal at once share
/// one attempt and so one idempotency key, and the provider moves the money at most once. One
/// left unsettled by an earlier run (a crash, an outage) is taken up again. `None`: this period
/// and try is paid, or its money is being given back.
pub async fn claim_renewal_attempt(
    svc: &Services,
    row: &sub::Model,
) -> Result<Option<charge_attempt::Model>, DomainError> {
    // Again only if the attempt in the way left the index (given back) between the insert and
    // the read: the next insert then stands.
    for _ in 0..3 {
        let now = svc.clock.now();
        let fresh = ChargeAttemptId::generate_at(now);
        charge_attempt::Entity::insert(charge_attempt::ActiveModel {
            id: Set(fresh.clone()),
            workspace_id: Set(row.workspace_id.clone()),
            purpose: Set(Purpose::Renewal),
            status: Set(AttemptStatus::Pending),
            amount: Set(row.amount),
            currency: Set(row.currency),
            customer_id: Set(Some(row.customer_id.clone())),
            subscription_id: Set(Some(row.id.clone())),
            period_start: Set(Some(row.current_period_end)),
            retry_count: Set(Some(row.retry_count)),
            order_id: Set(None),
            provider_payment_id: Set(None),
            failure_code: Set(None),
            lease_until: Set(now + payments::LEASE),
            tries: Set(0),
            created_at: Set(now),
            updated_at: Set(now),
        })
        .on_conflict(OnConflict::new().do_nothing().to_owned())
        .try_insert()
        .exec_without_returning(&svc.db)
        .await?;
        let Some(a) = live_attempt(svc, row).await? else {
            continue;
        };
        if a.id == fresh {
            return Ok(Some(a));
        }
        let status = a.status;
        if status == AttemptStatus::Pending || status == AttemptStatus::Abandoned {
            return Ok(payments::resume(svc, &a.id).await?.then_some(a));
        }
        // Succeeded, or being given back: this period and try is over.
        return Ok(None);
    }
    Err(DomainError::internal(
        "the renewal's charge attempt kept being given back while it was read; retried later",
    ))
}

/// The live attempt the unique index holds for the subscription's due period and try.
async fn live_attempt(
    svc: &Services,
    row: &sub::Model,
) -> Result<Option<charge_attempt::Model>, DomainError> {
    Ok(charge_attempt::Entity::find()
        .filter(charge_attempt::Column::Purpose.eq(Purpose::Renewal))
        .filter(charge_attempt::Column::SubscriptionId.eq(row.id.as_str()))
        .filter(charge_attempt::Column::PeriodStart.eq(row.current_period_end))
        .filter(charge_attempt::Column::RetryCount.eq(row.retry_count))
        .filter(charge_attempt::Column::Status.is_in(LIVE))
        .filter(Expr::col(DUPLICATE_OF).is_null())
        .order_by_desc(charge_attempt::Column::Id)
        .one(&svc.db)
        .await?)
}

/// How a renewal attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Finished {
    /// Paid and recorded: the period moved on.
    Recorded,
    /// Declined: past due (or expired after the last retry).
    Declined { expired: bool },
    /// Paid, but the subscription no longer expected it (canceled meanwhile): given back.
    Voided,
    /// The provider did not answer: the attempt stays pending for the next run or the job.
    Postponed,
    /// Another process settled it.
    Nothing,
}

/// Settles a renewal attempt with the provider's answer, in one transaction with the
/// subscription locked: the order, the invoice and the new period; or the decline and the
/// retry. A charge the subscription no longer expects is given back, never kept unrecorded.
pub(crate) async fn finish_renewal(
    svc: &Services,
    attempt: &charge_attempt::Model,
    charged: Result<Charge, ProviderError>,
    now: DateTime<Utc>,
) -> Result<Finished, DomainError> {
    let charge = match charged {
        Ok(c) => Some(c),
        Err(ProviderError::Declined { code, message }) => {
            return record_decline(svc, attempt, code, &message, now).await;
        }
        Err(e) => {
            tracing::warn!(attempt = %attempt.id, error = %e, "renewal postponed");
            return Ok(Finished::Postponed);
        }
    };
    let Some(charge) = charge else {
        return Ok(Finished::Nothing);
    };
    match record_renewal(svc, attempt, &charge, now).await {
        Ok(true) => Ok(Finished::Recorded),
        Ok(false) | Err(DomainError::Conflict { .. }) => {
            // Not (or no longer) wanted, or settled elsewhere: `void` leaves a settled attempt
            // alone and gives back anything else.
            payments::void(svc, &attempt.id, &charge.payment_id, attempt.amount).await?;
            let settled = charge_attempt::Entity::find_by_id(attempt.id.clone())
                .one(&svc.db)
                .await?
                .is_some_and(|a| a.status == AttemptStatus::Succeeded);
            Ok(if settled {
                Finished::Nothing
            } else {
                Finished::Voided
            })
        }
        // The recording failed: the money goes back now; the next run charges afresh.
        Err(e) => payments::keep_or_void(svc, attempt, &charge.payment_id, Err(e)).await,
    }
}

/// The subscription, locked, if it still expects the attempt's period and try.
async fn expecting<C: sea_orm::ConnectionTrait>(
    conn: &C,
    attempt: &charge_attempt::Model,
) -> Result<Option<sub::Model>, DomainError> {
    let Some(id) = &attempt.subscription_id else {
        return Err(DomainError::internal(
            "a renewal attempt without a subscription",
        ));
    };
    lock_row::<crate::db::entities::subscription::Entity, _>(conn, id.as_str()).await?;
    let row = sub::Entity::find_by_id(id.clone())
        .one(conn)
        .await?
        .ok_or_else(|| DomainError::internal("subscription vanished"))?;
    let live =
        row.status == SubscriptionStatus::Active || row.status == SubscriptionStatus::PastDue;
    let same_period = Some(row.current_period_end) == attempt.period_start
        && Some(row.retry_count) == attempt.retry_count;
    Ok((live && !row.cancel_at_period_end && same_period).then_some(row))
}

/// Records a paid renewal; `false` if the subscription no longer expects it.
async fn record_renewal(
    svc: &Services,
    attempt: &charge_attempt::Model,
    charge: &Charge,
    now: DateTime<Utc>,
) -> Result<bool, DomainError> {
    let txn = svc.write_txn().await?;
    let Some(row) = expecting(&txn, attempt).await? else {
        txn.rollback().await?;
        return Ok(false);
    };
    let caller = Caller::system(row.workspace_id.clone());
    let interval = row.interval;
    let start = row.current_period_end;
    let end = subscriptions::period_end(start, interval, row.interval_count);
    let currency = row.currency;
    let ws_currency = orders::workspace_currency(&txn, &row.workspace_id).await?;
    let inv = invoice_for(&txn, &row, start, end, now).await?;
    let order = orders::record(
        &txn,
        svc,
        &caller,
        NewOrder {
            customer_id: row.customer_id.clone(),
            product_id: row.product_id.clone(),
            subscription_id: Some(row.id.clone()),
            kind: OrderKind::Renewal,
            amount: row.amount,
            currency,
            workspace_currency: ws_currency,
            ip: None,
            customer_note: None,
            outcome: Outcome::charged(charge),
        },
    )
    .await?;
    payments::settle(&txn, svc, &attempt.id, &order.id, &charge.payment_id).await?;
    subscriptions::record_attempt(&txn, &inv, Ok((&order.id, &charge.payment_id)), now).await?;
    let ws_amount = money::convert(
        row.amount,
        currency,
        ws_currency,
        charge.exchange_rate_micros,
    );
    subscriptions::write(
        &txn,
        svc,
        &caller,
        &row,
        EventType::SubscriptionRenewed,
        |m| {
            m.status = Set(SubscriptionStatus::Active);
            m.current_period_start = Set(start);
            m.current_period_end = Set(end);
            m.retry_count = Set(0);
            m.next_retry_at = Set(None);
            m.workspace_amount = Set(ws_amount);
            m.claimed_until = Set(None);
            m.claim_failures = Set(0);
        },
    )
    .await?;
    txn.commit().await?;
    Ok(true)
}

async fn invoice_for<C: sea_orm::ConnectionTrait>(
    conn: &C,
    row: &sub::Model,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<invoice::Model, DomainError> {
    let existing = invoice::Entity::find()
        .filter(invoice::Column::SubscriptionId.eq(row.id.as_str()))
        .filter(invoice::Column::Status.eq(InvoiceStatus::Open))
        .order_by_desc(invoice::Column::Id)
        .one(conn)
        .await?;
    match existing {
        Some(i) if i.period_start == start => Ok(i),
        _ => subscriptions::open_invoice(conn, row, start, end, now).await,
    }
}

/// Records a declined renewal: past due with the next retry, or expired after the last.
async fn record_decline(
    svc: &Services,
    attempt: &charge_attempt::Model,
    code: ErrorCode,
    message: &str,
    now: DateTime<Utc>,
) -> Result<Finished, DomainError> {
    let txn = svc.write_txn().await?;
    if !payments::decline(&txn, svc, &attempt.id, code).await? {
        txn.rollback().await?;
        return Ok(Finished::Nothing);
    }
    let Some(row) = expecting(&txn, attempt).await? else {
        // Canceled meanwhile: the decline is noted on the attempt, nothing else changes.
        txn.commit().await?;
        return Ok(Finished::Nothing);
    };
    let caller = Caller::system(row.workspace_id.clone());
    let start = row.current_period_end;
    let end = subscriptions::period_end(start, row.interval, row.interval_count);
    let inv = invoice_for(&txn, &row, start, end, now).await?;
    subscriptions::record_attempt(&txn, &inv, Err((code, message)), now).await?;
    // The provider reports the failed renewal about the subscription's payments: it goes on the
    // latest order the subscription paid.
    let latest = order::Entity::find()
        .filter(order::Column::WorkspaceId.eq(row.workspace_id.as_str()))
        .filter(order::Column::SubscriptionId.eq(row.id.as_str()))
        .filter(order::Column::ProviderPaymentId.is_not_null())
        .order_by_desc(order::Column::Id)
        .one(&txn)
        .await?;
    if let Some(o) = latest {
        let about = NotificationAbout {
            idempotency_key: Some(attempt.id.as_str()),
            amount: attempt.amount,
            currency: attempt.currency,
            detail: Some(code.as_str()),
            ..orders::notification_about(ProviderEventKind::RenewalFailed, &o)
        };
        orders::receive_notification(&txn, svc, &o, about).await?;
    }
    let retry = row.retry_count + 1;
    let finished = match RETRY_DELAYS.get(usize::try_from(retry - 1).unwrap_or(usize::MAX)) {
        Some(delay) => {
            subscriptions::write(
                &txn,
                svc,
                &caller,
                &row,
                EventType::SubscriptionPastDue,
                |m| {
                    m.status = Set(SubscriptionStatus::PastDue);
                    m.retry_count = Set(retry);
                    m.next_retry_at = Set(Some(now + *delay));
                    m.claimed_until = Set(None);
                    m.claim_failures = Set(0);
                },
            )
            .await?;
            Finished::Declined { expired: false }
        }
        None => {
            subscriptions::write(
                &txn,
                svc,
                &caller,
                &row,
                EventType::SubscriptionExpired,
                |m| {
                    m.status = Set(SubscriptionStatus::Expired);
                    m.retry_count = Set(retry);
                    m.next_retry_at = Set(None);
                    m.ended_at = Set(Some(now));
                    m.claimed_until = Set(None);
                    m.claim_failures = Set(0);
                },
            )
            .await?;
            expire(
                &txn,
                svc,
                &caller,
                &row.id,
                InvoiceStatus::Uncollectible,
                "renewal payments failed",
                now,
            )
            .await?;
            Finished::Declined { expired: true }
        }
    };
    txn.commit().await?;
    Ok(finished)
}

/// Ends a subscription's billing for good: its open invoices closed as `invoices`, its
/// entitlements expired at `at` for `reason`.
async fn expire<C: ConnectionTrait>(
    conn: &C,
    svc: &Services,
    caller: &Caller,
    id: &SubscriptionId,
    invoices: InvoiceStatus,
    reason: &str,
    at: DateTime<Utc>,
) -> Result<(), DomainError> {
    subscriptions::close_open_invoices(conn, id, invoices).await?;
    entitlements::end(
        conn,
        svc,
        caller,
        Which::Subscription(id),
        EntitlementStatus::Expired,
        Some(reason),
        at,
    )
    .await?;
    Ok(())
}
