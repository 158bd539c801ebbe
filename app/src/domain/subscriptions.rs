//! Subscriptions: reading them and their billing history, and the merchant's actions: cancel at
//! period end, cancel now, revoke now, recover a scheduled cancellation.

use crate::types::EventType;
use crate::types::{OrderId, WorkspaceId};
use std::collections::HashMap;

use chrono::{DateTime, Duration, Months, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use serde_json::json;

use crate::db::entities::{invoice, payment_attempt, subscription as sub};
use crate::types::ErrorCode;
use crate::types::entitlement::EntitlementStatus;
use crate::types::product::BillingInterval;
use crate::types::subscription::{
    AttemptStatus, InvoiceStatus, PaymentAttempt, SubscriptionCancel, SubscriptionRevoke,
    SubscriptionStatus,
};
use crate::types::{
    CustomerId, Invoice, InvoiceId, PaymentAttemptId, Scope, Subscription, SubscriptionId,
};

use super::actor::{Actor, Caller};
use super::audit::{self, Change};
use super::entitlements::{self, Which};
use super::{
    DomainError, Services, customers, optional_text, orders, payment_details, products, stats,
    stored_json, to_json,
};
use crate::types::order::{PaymentMethod, PaymentMethodInput};

/// The end of a period of `count` × `interval` starting at `start`.
pub fn period_end(start: DateTime<Utc>, interval: BillingInterval, count: i32) -> DateTime<Utc> {
    let n = u32::try_from(std::cmp::max(count, 1)).unwrap_or(1);
    match interval {
        BillingInterval::Day => start + Duration::days(i64::from(n)),
        BillingInterval::Week => start + Duration::weeks(i64::from(n)),
        BillingInterval::Month => start
            .checked_add_months(Months::new(n))
            .unwrap_or(start + Duration::days(30 * i64::from(n))),
        BillingInterval::Year => start
            .checked_add_months(Months::new(12 * n))
            .unwrap_or(start + Duration::days(365 * i64::from(n))),
    }
}

fn to_subscription(row: sub::Model, product_name: String) -> Result<Subscription, DomainError> {
    Ok(Subscription {
        id: row.id.clone(),
        object: "subscription".into(),
        customer_id: row.customer_id.clone(),
        product_id: row.product_id.clone(),
        product_name,
        status: row.status,
        amount: row.amount,
        currency: row.currency,
        interval: row.interval,
        interval_count: row.interval_count,
        payment_method: stored_json(&row.payment_method)?,
        current_period_start: row.current_period_start,
        current_period_end: row.current_period_end,
        cancel_at_period_end: row.cancel_at_period_end,
        canceled_at: row.canceled_at,
        ended_at: row.ended_at,
        cancel_reason: row.cancel_reason,
        retry_count: row.retry_count,
        next_retry_at: row.next_retry_at,
        created_at: row.created_at,
    })
}

pub(crate) async fn present<C: ConnectionTrait>(
    conn: &C,
    rows: Vec<sub::Model>,
) -> Result<Vec<Subscription>, DomainError> {
    let names = products::names(conn, rows.iter().map(|r| r.product_id.clone())).await?;
    rows.into_iter()
        .map(|r| {
            let name = names.get(&r.product_id).cloned().unwrap_or_default();
            to_subscription(r, name)
        })
        .collect()
}

pub(crate) async fn present_one<C: ConnectionTrait>(
    conn: &C,
    row: sub::Model,
) -> Result<Subscription, DomainError> {
    present(conn, vec![row])
        .await?
        .pop()
        .ok_or_else(|| DomainError::internal("subscription vanished"))
}

pub(crate) async fn find_row<C: ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    id: &SubscriptionId,
) -> Result<sub::Model, DomainError> {
    let mut q = sub::Entity::find_by_id(id.clone())
        .filter(sub::Column::WorkspaceId.eq(caller.workspace_id.as_str()));
    // An end customer reaches their own subscriptions only.
    if let Actor::PortalCustomer { id: customer } = &caller.actor {
        q = q.filter(sub::Column::CustomerId.eq(customer));
    }
    q.one(conn).await?.ok_or(DomainError::NotFound {
        what: "subscription",
    })
}

/// One subscription.
pub async fn get_subscription(
    svc: &Services,
    caller: &Caller,
    id: &SubscriptionId,
) -> Result<Subscription, DomainError> {
    caller.require(Scope::CustomersRead)?;
    present_one(&svc.db, find_row(&svc.db, caller, id).await?).await
}

/// A customer's subscriptions, newest first; only those in `status` when given.
pub async fn list_subscriptions(
    svc: &Services,
    caller: &Caller,
    customer_id: &CustomerId,
    status: Option<SubscriptionStatus>,
) -> Result<Vec<Subscription>, DomainError> {
    caller.require(Scope::CustomersRead)?;
    customers::get_customer(svc, caller, customer_id).await?;
    let mut q = sub::Entity::find()
        .filter(sub::Column::WorkspaceId.eq(caller.workspace_id.as_str()))
        .filter(sub::Column::CustomerId.eq(customer_id.as_str()));
    if let Some(status) = status {
        q = q.filter(sub::Column::Status.eq(status));
    }
    let rows = q.order_by_desc(sub::Column::Id).all(&svc.db).await?;
    present(&svc.db, rows).await
}

/// A subscription's billing history: every invoice, newest first, with every payment attempt.
pub async fn list_invoices(
    svc: &Services,
    caller: &Caller,
    id: &SubscriptionId,
) -> Result<Vec<Invoice>, DomainError> {
    caller.require(Scope::CustomersRead)?;
    find_row(&svc.db, caller, id).await?;
    let invoices = invoice::Entity::find()
        .filter(invoice::Column::WorkspaceId.eq(caller.workspace_id.as_str()))
        .filter(invoice::Column::SubscriptionId.eq(id.as_str()))
        .order_by_desc(invoice::Column::Id)
        .all(&svc.db)
        .await?;
    present_invoices(&svc.db, invoices).await
}

/// Every invoice of a customer of the caller's workspace, oldest first, with its attempts.
pub(crate) async fn invoices_of_customer<C: ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    customer_id: &CustomerId,
) -> Result<Vec<Invoice>, DomainError> {
    let invoices = invoice::Entity::find()
        .filter(invoice::Column::WorkspaceId.eq(&caller.workspace_id))
        .filter(invoice::Column::CustomerId.eq(customer_id))
        .order_by_asc(invoice::Column::Id)
        .all(conn)
        .await?;
    present_invoices(conn, invoices).await
}

/// Shapes invoices with their payment attempts, read in one query.
async fn present_invoices<C: ConnectionTrait>(
    conn: &C,
    invoices: Vec<invoice::Model>,
) -> Result<Vec<Invoice>, DomainError> {
    let ids: Vec<InvoiceId> = invoices.iter().map(|i| i.id.clone()).collect();
    let mut attempts: HashMap<InvoiceId, Vec<PaymentAttempt>> = HashMap::new();
    if !ids.is_empty() {
        for a in payment_attempt::Entity::find()
            .filter(payment_attempt::Column::InvoiceId.is_in(ids))
            .order_by_asc(payment_attempt::Column::Id)
            .all(conn)
            .await?
        {
            attempts
                .entry(a.invoice_id.clone())
                .or_default()
                .push(PaymentAttempt {
                    id: a.id.clone(),
                    status: a.status,
                    failure_code: a.failure_code,
                    failure_message: a.failure_message,
                    provider_payment_id: a.provider_payment_id,
                    attempted_at: a.attempted_at,
                });
        }
    }
    invoices
        .into_iter()
        .map(|i| {
            Ok(Invoice {
                id: i.id.clone(),
                object: "invoice".into(),
                subscription_id: i.subscription_id.clone(),
                order_id: i.order_id.clone(),
                amount: i.amount,
                currency: i.currency,
                status: i.status,
                period_start: i.period_start,
                period_end: i.period_end,
                attempts: attempts.remove(&i.id).unwrap_or_default(),
                created_at: i.created_at,
                paid_at: i.paid_at,
            })
        })
        .collect()
}

/// Opens an invoice for a period.
pub(crate) async fn open_invoice<C: ConnectionTrait>(
    conn: &C,
    s: &sub::Model,
    period_start: DateTime<Utc>,
    period_end: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<invoice::Model, DomainError> {
    Ok(invoice::ActiveModel {
        id: Set(InvoiceId::generate_at(now)),
        workspace_id: Set(s.workspace_id.clone()),
        subscription_id: Set(s.id.clone()),
        customer_id: Set(s.customer_id.clone()),
        order_id: Set(None),
        amount: Set(s.amount),
        currency: Set(s.currency),
        status: Set(InvoiceStatus::Open),
        period_start: Set(period_start),
        period_end: Set(period_end),
        created_at: Set(now),
        paid_at: Set(None),
    }
    .insert(conn)
    .await?)
}

/// Records one attempt at collecting `invoice`; a success marks it paid by `order_id`.
pub(crate) async fn record_attempt<C: ConnectionTrait>(
    conn: &C,
    inv: &invoice::Model,
    result: Result<(&OrderId, &str), (ErrorCode, &str)>,
    now: DateTime<Utc>,
) -> Result<(), DomainError> {
    let (status, failure, payment_id) = match result {
        Ok((order_id, payment_id)) => {
            invoice::Entity::update_many()
                .col_expr(invoice::Column::Status, Expr::val(InvoiceStatus::Paid))
                .col_expr(invoice::Column::OrderId, Expr::val(Some(order_id.clone())))
                .col_expr(invoice::Column::PaidAt, Expr::val(Some(now)))
                .filter(invoice::Column::Id.eq(inv.id.as_str()))
                .exec(conn)
                .await?;
            (AttemptStatus::Succeeded, None, Some(payment_id.to_owned()))
        }
        Err((code, message)) => (AttemptStatus::Failed, Some((code, message)), None),
    };
    payment_attempt::ActiveModel {
        id: Set(PaymentAttemptId::generate_at(now)),
        workspace_id: Set(inv.workspace_id.clone()),
        invoice_id: Set(inv.id.clone()),
        status: Set(status),
        failure_code: Set(failure.map(|f| f.0.to_string())),
        failure_message: Set(failure.map(|f| f.1.to_owned())),
        provider_payment_id: Set(payment_id),
        attempted_at: Set(now),
    }
    .insert(conn)
    .await?;
    Ok(())
}

/// Sets the subscription's open invoices to `status` (void or uncollectible).
pub(crate) async fn close_open_invoices<C: ConnectionTrait>(
    conn: &C,
    subscription_id: &SubscriptionId,
    status: InvoiceStatus,
) -> Result<(), DomainError> {
    invoice::Entity::update_many()
        .col_expr(invoice::Column::Status, Expr::val(status))
        .filter(invoice::Column::SubscriptionId.eq(subscription_id))
        .filter(invoice::Column::Status.eq(InvoiceStatus::Open))
        .exec(conn)
        .await?;
    Ok(())
}

/// Writes `change` to the subscription if its version is still `row.version`, records
/// `action`, and recounts the customer's MRR; all inside `conn`.
pub(crate) async fn write<C: ConnectionTrait>(
    conn: &C,
    svc: &Services,
    caller: &Caller,
    row: &sub::Model,
    action: EventType,
    change: impl FnOnce(&mut sub::ActiveModel),
) -> Result<sub::Model, DomainError> {
    let mut active = sub::ActiveModel {
        updated_at: Set(svc.clock.now()),
        version: Set(row.version + 1),
        ..Default::default()
    };
    change(&mut active);
    let res = sub::Entity::update_many()
        .set(active)
        .filter(sub::Column::Id.eq(row.id.as_str()))
        .filter(sub::Column::Version.eq(row.version))
        .exec(conn)
        .await?;
    if res.rows_affected == 0 {
        return Err(DomainError::Conflict {
            code: ErrorCode::SubscriptionChanged,
            message: "the subscription changed meanwhile; reload it and try again".into(),
        });
    }
    let after = sub::Entity::find_by_id(row.id.clone())
        .one(conn)
        .await?
        .ok_or_else(|| DomainError::internal("subscription vanished"))?;
    stats::refresh_subscriptions(conn, &row.workspace_id, &row.customer_id).await?;
    let field = |m: &sub::Model| {
        json!({
            "status": m.status,
            "cancel_at_period_end": m.cancel_at_period_end,
            "current_period_end": m.current_period_end,
            "canceled_at": m.canceled_at,
            "ended_at": m.ended_at,
            "cancel_reason": m.cancel_reason,
            "retry_count": m.retry_count,
            "payment_method": serde_json::from_str::<PaymentMethod>(&m.payment_method)
                .ok()
                .map(|p| p.label()),
        })
    };
    audit::record(
        conn,
        svc,
        caller,
        Change::new(
            action,
            row.id.as_str(),
            Some(&row.customer_id),
            audit::diff(Some(&field(row)), Some(&field(&after))),
        ),
    )
    .await?;
    Ok(after)
}

fn not_live(row: &sub::Model) -> DomainError {
    DomainError::Conflict {
        code: ErrorCode::SubscriptionNotActive,
        message: format!("the subscription is {}", row.status),
    }
}

/// Cancels a subscription: at period end (kept, with its benefits, until then; can be
/// recovered) or now (billing stops now; benefits run out when the paid period does).
/// Canceling now one that is scheduled ends it at once.
pub async fn cancel_subscription(
    svc: &Services,
    caller: &Caller,
    id: &SubscriptionId,
    input: SubscriptionCancel,
) -> Result<Subscription, DomainError> {
    caller.require(Scope::SubscriptionsWrite)?;
    cancel(svc, caller, id, input).await
}

/// [`cancel_subscription`] once the caller's right to it is settled (the portal's own check).
pub(crate) async fn cancel(
    svc: &Services,
    caller: &Caller,
    id: &SubscriptionId,
    input: SubscriptionCancel,
) -> Result<Subscription, DomainError> {
    let reason = optional_text("reason", input.reason.as_deref(), 500)?;
    let now = svc.clock.now();
    let txn = svc.write_txn().await?;
    let row = find_row(&txn, caller, id).await?;
    if !row.status.is_live() {
        return Err(not_live(&row));
    }
    let after = if input.at_period_end {
        if row.cancel_at_period_end {
            return Err(DomainError::Conflict {
                code: ErrorCode::CancellationAlreadyScheduled,
                message: format!(
                    "the subscription already cancels at {}; recover it, or cancel it now",
                    row.current_period_end.format("%Y-%m-%d %H:%M UTC")
                ),
            });
        }
        write(
            &txn,
            svc,
            caller,
            &row,
            EventType::SubscriptionCancelScheduled,
            |m| {
                m.cancel_at_period_end = Set(true);
                m.canceled_at = Set(Some(now));
                m.cancel_reason = Set(reason);
            },
        )
        .await?
    } else {
        cancel_now_in(&txn, svc, caller, &row, reason).await?
    };
    let out = present_one(&txn, after).await?;
    txn.commit().await?;
    Ok(out)
}

/// Cancels a live subscription now, inside `conn`: billing stops; benefits run out when the
/// paid period does (at once if it was past due).
pub(crate) async fn cancel_now_in<C: ConnectionTrait>(
    conn: &C,
    svc: &Services,
    caller: &Caller,
    row: &sub::Model,
    reason: Option<String>,
) -> Result<sub::Model, DomainError> {
    let now = svc.clock.now();
    let reason = reason.or(row.cancel_reason.clone());
    let after = write(
        conn,
        svc,
        caller,
        row,
        EventType::SubscriptionCanceled,
        |m| end_now(m, now, reason),
    )
    .await?;
    close_open_invoices(conn, &row.id, InvoiceStatus::Void).await?;
    if row.status == SubscriptionStatus::Active && row.current_period_end > now {
        entitlements::expire_at(conn, &row.id, row.current_period_end).await?;
    } else {
        // Past due: the period was never paid, so nothing is owed.
        entitlements::end(
            conn,
            svc,
            caller,
            Which::Subscription(&row.id),
            EntitlementStatus::Expired,
            Some("subscription canceled"),
            now,
        )
        .await?;
    }
    Ok(after)
}

/// Ends the subscription at `now` (canceled, nothing more to bill or retry), for `reason`.
fn end_now(m: &mut sub::ActiveModel, now: DateTime<Utc>, reason: Option<String>) {
    m.status = Set(SubscriptionStatus::Canceled);
    m.cancel_at_period_end = Set(false);
    m.canceled_at = Set(Some(now));
    m.ended_at = Set(Some(now));
    m.next_retry_at = Set(None);
    m.cancel_reason = Set(reason);
}

/// The live subscriptions of these customers, in one query, each row locked until `conn` ends
/// (`FOR UPDATE` on PostgreSQL, which also answers each row as last committed; SQLite's write
/// transaction already excludes other writers).
pub(crate) async fn live_of_customers<C: ConnectionTrait>(
    conn: &C,
    workspace_id: &WorkspaceId,
    customer_ids: &[CustomerId],
) -> Result<Vec<sub::Model>, DomainError> {
    Ok(sub::Entity::find()
        .filter(sub::Column::WorkspaceId.eq(workspace_id))
        .filter(sub::Column::CustomerId.is_in(customer_ids.iter()))
        .filter(
            sub::Column::Status.is_in([SubscriptionStatus::Active, SubscriptionStatus::PastDue]),
        )
        .order_by_asc(sub::Column::Id)
        .lock_exclusive()
        .all(conn)
        .await?)
}

/// Cancels a subscription and revokes its benefits at once (fraud, abuse).
pub async fn revoke_subscription(
    svc: &Services,
    caller: &Caller,
    id: &SubscriptionId,
    input: SubscriptionRevoke,
) -> Result<Subscription, DomainError> {
    caller.require(Scope::SubscriptionsWrite)?;
    let reason = optional_text("reason", input.reason.as_deref(), 500)?;
    let now = svc.clock.now();
    let txn = svc.write_txn().await?;
    let row = find_row(&txn, caller, id).await?;
    let canceled_with_benefits = row.status == SubscriptionStatus::Canceled;
    if !row.status.is_live() && !canceled_with_benefits {
        return Err(not_live(&row));
    }
    let after = if canceled_with_benefits {
        row.clone()
    } else {
        write(
            &txn,
            svc,
            caller,
            &row,
            EventType::SubscriptionRevoked,
            |m| end_now(m, now, reason.clone()),
        )
        .await?
    };
    close_open_invoices(&txn, &row.id, InvoiceStatus::Void).await?;
    let revoked = entitlements::end(
        &txn,
        svc,
        caller,
        Which::Subscription(&row.id),
        EntitlementStatus::Revoked,
        reason.as_deref().or(Some("subscription revoked")),
        now,
    )
    .await?;
    if canceled_with_benefits && revoked == 0 {
        return Err(not_live(&row));
    }
    let out = present_one(&txn, after).await?;
    txn.commit().await?;
    Ok(out)
}

/// Replaces the card or account a live subscription renews with. The provider checks it first
/// (moving no money, and with nothing written while it answers); a method blocked in the store
/// is refused. A past-due subscription is tried again with it at the billing clock's next
/// tick. The update is conditional on the version read, so a renewal meanwhile is not undone.
pub(crate) async fn replace_payment_method(
    svc: &Services,
    caller: &Caller,
    id: &SubscriptionId,
    method: &PaymentMethodInput,
) -> Result<Subscription, DomainError> {
    let row = find_row(&svc.db, caller, id).await?;
    if !row.status.is_live() {
        return Err(not_live(&row));
    }
    let described = svc
        .provider
        .describe(method)
        .map_err(orders::charge_error)?;
    let details = payment_details::of_payment(Some(&described), None, caller.ip.as_deref());
    payment_details::refuse_blocked(&svc.db, &row.workspace_id, &details).await?;
    let (saved, token) = svc
        .provider
        .save_method(method)
        .await
        .map_err(orders::charge_error)?;
    let saved_json = to_json(&saved)?;
    let now = svc.clock.now();
    let past_due = row.status == SubscriptionStatus::PastDue;
    let txn = svc.write_txn().await?;
    let after = write(
        &txn,
        svc,
        caller,
        &row,
        EventType::SubscriptionPaymentMethodUpdated,
        |m| {
            m.payment_method = Set(saved_json);
            m.payment_token = Set(token);
            if past_due {
                m.next_retry_at = Set(Some(now));
            }
        },
    )
    .await?;
    payment_details::remember(&txn, &row.workspace_id, &row.customer_id, &details, now).await?;
    let out = present_one(&txn, after).await?;
    txn.commit().await?;
    Ok(out)
}

/// Takes back a scheduled cancellation: the subscription renews as before.
pub async fn recover_subscription(
    svc: &Services,
    caller: &Caller,
    id: &SubscriptionId,
) -> Result<Subscription, DomainError> {
    caller.require(Scope::SubscriptionsWrite)?;
    recover(svc, caller, id).await
}

/// [`recover_subscription`] once the caller's right to it is settled (the portal's own check).
pub(crate) async fn recover(
    svc: &Services,
    caller: &Caller,
    id: &SubscriptionId,
) -> Result<Subscription, DomainError> {
    let txn = svc.write_txn().await?;
    let row = find_row(&txn, caller, id).await?;
    if !row.status.is_live() || !row.cancel_at_period_end {
        return Err(DomainError::Conflict {
            code: ErrorCode::NothingToRecover,
            message: format!(
                "the subscription is {} with no cancellation scheduled; only a scheduled cancellation can be recovered",
                row.status
            ),
        });
    }
    let after = write(
        &txn,
        svc,
        caller,
        &row,
        EventType::SubscriptionRecovered,
        |m| {
            m.cancel_at_period_end = Set(false);
            m.canceled_at = Set(None);
            m.cancel_reason = Set(None);
        },
    )
    .await?;
    let out = present_one(&txn, after).await?;
    txn.commit().await?;
    Ok(out)
}
