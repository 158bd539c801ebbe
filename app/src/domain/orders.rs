//! Orders and what happens to them after payment: refunds (full or partial, never beyond the
//! remaining balance, even under concurrent requests), disputes and repayments.

use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set, Value,
};
use serde_json::json;

use crate::db::entities::{dispute, order, provider_event, refund, workspace};
use crate::types::ErrorCode;
use crate::types::activity::TargetKind;
use crate::types::entitlement::EntitlementStatus;
use crate::types::money::{self, Currency};
use crate::types::order::{
    DisputeClose, DisputeCreate, DisputeStatus, OrderKind, OrderPay, OrderStatus,
    PaymentMethodType, ProviderEventKind, RefundCreate, RefundStatus, RepaymentCreate,
    RepaymentMethod,
};
use crate::types::payment_detail::PaymentDetailStatus;
use crate::types::{
    CustomerId, Dispute, DisputeId, Order, OrderId, Page, PaymentMethod, ProviderEventId, Refund,
    RefundId, Scope,
};

use super::actor::Caller;
use super::audit::{self, Change};
use super::entitlements::{self, Which};
use super::provider::{Charge, Notice, PaymentSource, ProviderError, RefundRequest};
use super::stats::{self, Delta};
use super::{
    Claim, DomainError, Services, claim, customers, lock_row, optional_text, payment_details,
    payments, products, stored_id, stored_json, to_json, validate,
};

/// Most orders a page may hold.
pub const LIMIT_MAX: u64 = 100;

/// `part` of an order's `total`, in the workspace currency: `round(ws_total * part / total)`.
/// Refunds and chargebacks use the cumulative form, so a fully returned order nets to zero.
pub(crate) fn alloc(ws_total: i64, part: i64, total: i64) -> i64 {
    if total == 0 {
        return 0;
    }
    let num = 2 * i128::from(ws_total) * i128::from(part);
    let den = 2 * i128::from(total);
    let v = (num + num.signum() * i128::from(total)) / den;
    i64::try_from(v).unwrap_or(0)
}

fn to_order(row: order::Model, product_name: String) -> Result<Order, DomainError> {
    let payment_method: Option<PaymentMethod> = stored_json(&row.payment_method)?;
    let status: OrderStatus = row.status;
    let refundable = match status {
        OrderStatus::Paid | OrderStatus::PartiallyRefunded => {
            row.amount - row.refunded_amount - row.charged_back_amount
        }
        _ => 0,
    };
    Ok(Order {
        id: stored_id(&row.id)?,
        object: "order".into(),
        customer_id: stored_id(&row.customer_id)?,
        product_id: stored_id(&row.product_id)?,
        product_name,
        subscription_id: row.subscription_id.as_deref().map(stored_id).transpose()?,
        kind: row.kind,
        status,
        amount: row.amount,
        currency: row.currency,
        refunded_amount: row.refunded_amount,
        charged_back_amount: row.charged_back_amount,
        refundable_amount: refundable,
        workspace_amount: row.workspace_amount,
        workspace_currency: row.workspace_currency,
        exchange_rate: money::format_rate(row.exchange_rate_micros),
        payment_method,
        provider: row.provider,
        provider_payment_id: row.provider_payment_id,
        ip: row.ip,
        customer_note: row.customer_note,
        failure_code: row.failure_code,
        failure_message: row.failure_message,
        created_at: row.created_at,
        paid_at: row.paid_at,
    })
}

/// Shapes rows for display, naming their products in one query.
pub(crate) async fn present<C: ConnectionTrait>(
    conn: &C,
    rows: Vec<order::Model>,
) -> Result<Vec<Order>, DomainError> {
    let names = products::names(conn, rows.iter().map(|r| r.product_id.clone())).await?;
    rows.into_iter()
        .map(|r| {
            let name = names.get(&r.product_id).cloned().unwrap_or_default();
            to_order(r, name)
        })
        .collect()
}

pub(crate) async fn present_one<C: ConnectionTrait>(
    conn: &C,
    row: order::Model,
) -> Result<Order, DomainError> {
    present(conn, vec![row])
        .await?
        .pop()
        .ok_or_else(|| DomainError::internal("order vanished"))
}

/// The workspace's currency.
pub(crate) async fn workspace_currency<C: ConnectionTrait>(
    conn: &C,
    workspace_id: &str,
) -> Result<Currency, DomainError> {
    let ws = workspace::Entity::find_by_id(workspace_id)
        .one(conn)
        .await?
        .ok_or(DomainError::NotFound { what: "workspace" })?;
    Currency::parse(&ws.default_currency).map_err(DomainError::internal)
}

/// How an order came out.
#[derive(Debug, Clone)]
pub(crate) enum Outcome {
    /// Money taken.
    Paid {
        payment_id: Option<String>,
        method: PaymentMethod,
        rate_micros: i64,
        notices: Vec<Notice>,
    },
    /// Declined.
    Failed {
        method: Option<PaymentMethod>,
        code: ErrorCode,
        message: String,
    },
    /// Awaiting payment.
    Pending,
}

impl Outcome {
    /// A successful provider charge.
    pub(crate) fn charged(charge: &Charge) -> Self {
        Outcome::Paid {
            payment_id: Some(charge.payment_id.clone()),
            method: charge.method.clone(),
            rate_micros: charge.exchange_rate_micros,
            notices: charge.notices.clone(),
        }
    }
}

/// An order to record.
#[derive(Debug, Clone)]
pub(crate) struct NewOrder {
    pub customer_id: String,
    pub product_id: String,
    pub subscription_id: Option<String>,
    pub kind: OrderKind,
    pub amount: i64,
    pub currency: Currency,
    pub workspace_currency: Currency,
    pub ip: Option<String>,
    pub customer_note: Option<String>,
    pub outcome: Outcome,
}

/// Inserts an order, moves the customer's stats, schedules the provider's notices and records
/// the event, all on `conn`.
pub(crate) async fn record<C: ConnectionTrait>(
    conn: &C,
    svc: &Services,
    caller: &Caller,
    new: NewOrder,
) -> Result<order::Model, DomainError> {
    let now = svc.clock.now();
    let id = OrderId::generate();
    let (status, method, payment_id, rate, failure, notices) = match &new.outcome {
        Outcome::Paid {
            payment_id,
            method,
            rate_micros,
            notices,
        } => (
            OrderStatus::Paid,
            Some(method.clone()),
            payment_id.clone(),
            *rate_micros,
            None,
            notices.clone(),
        ),
        Outcome::Failed {
            method,
            code,
            message,
        } => (
            OrderStatus::Failed,
            method.clone(),
            None,
            0,
            Some((code.to_string(), message.clone())),
            vec![],
        ),
        Outcome::Pending => (OrderStatus::Created, None, None, 0, None, vec![]),
    };
    let ws_amount = if status == OrderStatus::Paid {
        money::convert(new.amount, new.currency, new.workspace_currency, rate)
    } else {
        0
    };
    let row = order::ActiveModel {
        id: Set(id.to_string()),
        workspace_id: Set(caller.workspace_id.to_string()),
        customer_id: Set(new.customer_id.clone()),
        product_id: Set(new.product_id.clone()),
        subscription_id: Set(new.subscription_id.clone()),
        kind: Set(new.kind),
        status: Set(status),
        status_before_dispute: Set(None),
        amount: Set(new.amount),
        currency: Set(new.currency.code.into()),
        refunded_amount: Set(0),
        charged_back_amount: Set(0),
        workspace_amount: Set(ws_amount),
        workspace_currency: Set(new.workspace_currency.code.into()),
        exchange_rate_micros: Set(rate),
        payment_method: Set(to_json(&method)?),
        card_fingerprint: Set(method
            .as_ref()
            .filter(|m| m.kind == PaymentMethodType::Card)
            .and_then(|m| m.fingerprint.clone())),
        provider: Set(svc.provider.name().into()),
        provider_payment_id: Set(payment_id),
        ip: Set(new.ip.clone()),
        customer_note: Set(new.customer_note.clone()),
        failure_code: Set(failure.as_ref().map(|f| f.0.clone())),
        failure_message: Set(failure.as_ref().map(|f| f.1.clone())),
        created_at: Set(now),
        paid_at: Set((status == OrderStatus::Paid).then_some(now)),
    }
    .insert(conn)
    .await?;
    let paid = status == OrderStatus::Paid;
    stats::apply(
        conn,
        caller.workspace_id.as_str(),
        &new.customer_id,
        Delta {
            currency: new.currency.code.into(),
            paid: if paid { new.amount } else { 0 },
            ltv: ws_amount,
            payments: i64::from(paid),
            orders: 1,
            last_order_at: Some(now),
            ..Default::default()
        },
    )
    .await?;
    for n in notices {
        match n {
            Notice::DisputeOpened { after, reason } => {
                provider_event::ActiveModel {
                    id: Set(ProviderEventId::generate().to_string()),
                    workspace_id: Set(caller.workspace_id.to_string()),
                    order_id: Set(row.id.clone()),
                    kind: Set(ProviderEventKind::DisputeOpened),
                    payload: Set(json!({"reason": reason}).to_string()),
                    due_at: Set(now + after),
                    processed_at: Set(None),
                    attempts: Set(0),
                }
                .insert(conn)
                .await?;
            }
        }
    }
    audit::record(
        conn,
        svc,
        caller,
        Change {
            action: match status {
                OrderStatus::Paid => "order.paid",
                OrderStatus::Failed => "order.failed",
                _ => "order.created",
            },
            target_type: TargetKind::Order,
            target_id: &row.id,
            customer_id: Some(&row.customer_id),
            changes: json!({
                "customer_id": new.customer_id,
                "product_id": new.product_id,
                "kind": new.kind.as_str(),
                "amount": new.amount,
                "currency": new.currency.code,
                "failure_code": failure.map(|f| f.0),
            }),
        },
    )
    .await?;
    Ok(row)
}

async fn find_row<C: ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    id: &OrderId,
) -> Result<order::Model, DomainError> {
    order::Entity::find_by_id(id.as_str())
        .filter(order::Column::WorkspaceId.eq(caller.workspace_id.as_str()))
        .one(conn)
        .await?
        .ok_or(DomainError::NotFound { what: "order" })
}

/// One order.
pub async fn get_order(
    svc: &Services,
    caller: &Caller,
    id: &OrderId,
) -> Result<Order, DomainError> {
    caller.require(Scope::CustomersRead)?;
    present_one(&svc.db, find_row(&svc.db, caller, id).await?).await
}

/// A customer's orders, newest first, by keyset on the id; only those in `status` when given.
pub async fn list_orders(
    svc: &Services,
    caller: &Caller,
    customer_id: &CustomerId,
    status: Option<OrderStatus>,
    limit: Option<u64>,
    starting_after: Option<OrderId>,
) -> Result<Page<Order>, DomainError> {
    caller.require(Scope::CustomersRead)?;
    let limit = limit.unwrap_or(50);
    if !(1..=LIMIT_MAX).contains(&limit) {
        return Err(DomainError::invalid(
            "limit",
            format!("must be between 1 and {LIMIT_MAX}"),
        ));
    }
    customers::get_customer(svc, caller, customer_id).await?;
    let mut q = order::Entity::find()
        .filter(order::Column::WorkspaceId.eq(caller.workspace_id.as_str()))
        .filter(order::Column::CustomerId.eq(customer_id.as_str()));
    if let Some(status) = status {
        q = q.filter(order::Column::Status.eq(status));
    }
    if let Some(after) = &starting_after {
        q = q.filter(order::Column::Id.lt(after.as_str()));
    }
    let mut rows = q
        .order_by_desc(order::Column::Id)
        .limit(limit + 1)
        .all(&svc.db)
        .await?;
    let has_more = rows.len() as u64 > limit;
    rows.truncate(limit as usize);
    Ok(Page::new(present(&svc.db, rows).await?, has_more))
}

fn to_refund(row: refund::Model) -> Result<Refund, DomainError> {
    Ok(Refund {
        id: stored_id(&row.id)?,
        object: "refund".into(),
        order_id: stored_id(&row.order_id)?,
        customer_id: stored_id(&row.customer_id)?,
        amount: row.amount,
        currency: row.currency,
        workspace_amount: row.workspace_amount,
        reason: row.reason,
        risk_acknowledged: row.risk_acknowledged,
        blocked_payment_details: row.blocked_payment_details,
        revoked_benefits: row.revoked_benefits,
        status: row.status,
        created_at: row.created_at,
    })
}

/// An order's refunds, oldest first.
pub async fn list_refunds(
    svc: &Services,
    caller: &Caller,
    order_id: &OrderId,
) -> Result<Vec<Refund>, DomainError> {
    caller.require(Scope::CustomersRead)?;
    find_row(&svc.db, caller, order_id).await?;
    refund::Entity::find()
        .filter(refund::Column::WorkspaceId.eq(caller.workspace_id.as_str()))
        .filter(refund::Column::OrderId.eq(order_id.as_str()))
        .order_by_asc(refund::Column::Id)
        .all(&svc.db)
        .await?
        .into_iter()
        .map(to_refund)
        .collect()
}

fn not_refundable(status: OrderStatus) -> DomainError {
    DomainError::Conflict {
        code: ErrorCode::OrderNotRefundable,
        message: format!(
            "the order is {status}; only paid or partially refunded orders can be refunded"
        ),
    }
}

fn exceeds(amount: i64, remaining: i64, currency: &str) -> DomainError {
    DomainError::Conflict {
        code: ErrorCode::RefundExceedsRemaining,
        message: format!(
            "a refund of {} exceeds the {} that remains on the order",
            money::format(amount, currency),
            money::format(remaining, currency)
        ),
    }
}

/// Refunds an order in full or in part. The refunded total never exceeds the order, however
/// many refunds race: the balance is checked and moved by one conditional update.
pub async fn refund_order(
    svc: &Services,
    caller: &Caller,
    order_id: &OrderId,
    input: RefundCreate,
) -> Result<Refund, DomainError> {
    caller.require(Scope::RefundsWrite)?;
    if input.block_payment_details {
        caller.require(Scope::PaymentDetailsWrite)?;
    }
    let reason = optional_text("reason", input.reason.as_deref(), 500)?;
    let row = find_row(&svc.db, caller, order_id).await?;
    if !matches!(
        row.status,
        OrderStatus::Paid | OrderStatus::PartiallyRefunded
    ) {
        return Err(not_refundable(row.status));
    }
    let method: Option<PaymentMethod> = stored_json(&row.payment_method)?;
    let remaining = row.amount - row.refunded_amount - row.charged_back_amount;
    let amount = input.amount.unwrap_or(remaining);
    if amount <= 0 {
        return Err(DomainError::invalid(
            "amount",
            "must be above zero, in the currency's minor unit",
        ));
    }
    let full_only = method
        .as_ref()
        .is_some_and(|m| m.kind.refunds_in_full_only());
    if full_only {
        let kind = method.as_ref().map(|m| m.kind.as_str()).unwrap_or_default();
        if amount != row.amount || row.refunded_amount != 0 {
            return Err(DomainError::invalid(
                "amount",
                format!(
                    "{kind} payments can only be refunded in full ({})",
                    money::format(row.amount, &row.currency)
                ),
            ));
        }
        if !input.acknowledge_risk {
            return Err(DomainError::invalid(
                "acknowledge_risk",
                format!(
                    "must be true: a {kind} refund is made at your own risk, as the payer's bank may also reverse the payment"
                ),
            ));
        }
    }
    if amount > remaining {
        return Err(exceeds(amount, remaining, &row.currency));
    }

    // 1. Reserve the balance and record the refund as pending, in one transaction: the
    //    balance can never be refunded twice, and the refund exists before money moves.
    let now = svc.clock.now();
    let txn = svc.write_txn().await?;
    let returned = Expr::col(order::Column::RefundedAmount)
        .add(Expr::col(order::Column::ChargedBackAmount))
        .add(amount);
    let moved = order::Entity::update_many()
        .col_expr(
            order::Column::RefundedAmount,
            Expr::col(order::Column::RefundedAmount).add(amount),
        )
        .col_expr(
            order::Column::Status,
            Expr::case(
                returned.clone().eq(Expr::col(order::Column::Amount)),
                Expr::val(OrderStatus::Refunded),
            )
            .finally(Expr::val(OrderStatus::PartiallyRefunded))
            .into(),
        )
        .filter(order::Column::Id.eq(row.id.as_str()))
        .filter(order::Column::WorkspaceId.eq(caller.workspace_id.as_str()))
        .filter(order::Column::Status.is_in([OrderStatus::Paid, OrderStatus::PartiallyRefunded]))
        .filter(returned.lte(Expr::col(order::Column::Amount)))
        .exec(&txn)
        .await?;
    if moved.rows_affected == 0 {
        txn.rollback().await?;
        let now = find_row(&svc.db, caller, order_id).await?;
        return Err(match now.status {
            OrderStatus::Paid | OrderStatus::PartiallyRefunded => exceeds(
                amount,
                now.amount - now.refunded_amount - now.charged_back_amount,
                &now.currency,
            ),
            _ => not_refundable(now.status),
        });
    }
    let after = find_row(&txn, caller, order_id).await?;
    let returned_after = after.refunded_amount + after.charged_back_amount;
    let ws_amount = alloc(after.workspace_amount, returned_after, after.amount)
        - alloc(
            after.workspace_amount,
            returned_after - amount,
            after.amount,
        );
    let id = RefundId::generate_at(now);
    let through_provider = after.provider_payment_id.clone();
    let created = refund::ActiveModel {
        id: Set(id.to_string()),
        workspace_id: Set(caller.workspace_id.to_string()),
        order_id: Set(after.id.clone()),
        customer_id: Set(after.customer_id.clone()),
        amount: Set(amount),
        currency: Set(after.currency.clone()),
        workspace_amount: Set(ws_amount),
        reason: Set(reason),
        risk_acknowledged: Set(full_only && input.acknowledge_risk),
        blocked_payment_details: Set(input.block_payment_details),
        revoked_benefits: Set(input.revoke_benefits),
        provider_refund_id: Set(None),
        status: Set(if through_provider.is_some() {
            RefundStatus::Pending
        } else {
            RefundStatus::Succeeded
        }),
        lease_until: Set(through_provider.as_ref().map(|_| now + payments::LEASE)),
        created_at: Set(now),
    }
    .insert(&txn)
    .await?;
    let Some(payment_id) = through_provider else {
        // Paid outside any provider (a manual repayment): nothing to call.
        refund_recorded(&txn, svc, caller, &created, &after).await?;
        txn.commit().await?;
        return to_refund(created);
    };
    txn.commit().await?;

    // 2. Ask the provider under the refund's id, then 3. settle, detached from the request.
    let svc = svc.clone();
    let caller = caller.clone();
    payments::detached(async move {
        let answer = svc
            .provider
            .refund(RefundRequest {
                payment_id: &payment_id,
                amount,
                idempotency_key: id.as_str(),
            })
            .await;
        finish_refund(&svc, &caller, id.as_str(), answer).await
    })
    .await
}

/// The refund's effects once the money is back: stats, the event, and the blocks and
/// revocations asked for with it.
async fn refund_recorded<C: ConnectionTrait>(
    conn: &C,
    svc: &Services,
    caller: &Caller,
    r: &refund::Model,
    o: &order::Model,
) -> Result<(), DomainError> {
    stats::apply(
        conn,
        &r.workspace_id,
        &r.customer_id,
        Delta {
            currency: r.currency.clone(),
            refunded: r.amount,
            ltv: -r.workspace_amount,
            refunds: 1,
            refunded_ws: r.workspace_amount,
            ..Default::default()
        },
    )
    .await?;
    audit::record(
        conn,
        svc,
        caller,
        Change {
            action: "refund.created",
            target_type: TargetKind::Order,
            target_id: &o.id,
            customer_id: Some(&o.customer_id),
            changes: json!({
                "refund_id": r.id,
                "amount": r.amount,
                "currency": r.currency,
                "reason": r.reason,
                "refunded_amount": {"before": o.refunded_amount - r.amount, "after": o.refunded_amount},
                "status": {"before": if o.refunded_amount == r.amount { "paid" } else { "partially_refunded" }, "after": o.status},
            }),
        },
    )
    .await?;
    if r.blocked_payment_details {
        payment_details::set_all(
            conn,
            svc,
            caller,
            &r.customer_id,
            PaymentDetailStatus::Blocked,
        )
        .await?;
    }
    if r.revoked_benefits {
        entitlements::end(
            conn,
            svc,
            caller,
            Which::Order(&o.id),
            EntitlementStatus::Revoked,
            Some("refunded"),
            svc.clock.now(),
        )
        .await?;
    }
    Ok(())
}

/// Settles a pending refund with the provider's answer. Money back: the refund succeeds with
/// its effects. A final refusal: the refund fails and its amount is refundable again. No
/// answer: it stays pending for the reconciliation job. Whoever settles first wins; a second
/// settlement finds it settled and answers with it as it is.
async fn finish_refund(
    svc: &Services,
    caller: &Caller,
    id: &str,
    answer: Result<String, ProviderError>,
) -> Result<Refund, DomainError> {
    let current = || async {
        refund::Entity::find_by_id(id)
            .one(&svc.db)
            .await?
            .ok_or(DomainError::NotFound { what: "refund" })
    };
    match answer {
        Ok(provider_refund_id) => {
            let txn = svc.write_txn().await?;
            let Some(r) =
                settle_refund(&txn, id, RefundStatus::Succeeded, Some(provider_refund_id)).await?
            else {
                txn.rollback().await?;
                return to_refund(current().await?);
            };
            let o = order::Entity::find_by_id(r.order_id.as_str())
                .one(&txn)
                .await?
                .ok_or(DomainError::NotFound { what: "order" })?;
            refund_recorded(&txn, svc, caller, &r, &o).await?;
            txn.commit().await?;
            to_refund(r)
        }
        Err(e) if e.is_final() => {
            let txn = svc.write_txn().await?;
            let Some(r) = settle_refund(&txn, id, RefundStatus::Failed, None).await? else {
                txn.rollback().await?;
                return to_refund(current().await?);
            };
            // The reserved amount is refundable again.
            let left = Expr::col(order::Column::RefundedAmount)
                .sub(r.amount)
                .add(Expr::col(order::Column::ChargedBackAmount));
            order::Entity::update_many()
                .col_expr(
                    order::Column::RefundedAmount,
                    Expr::col(order::Column::RefundedAmount).sub(r.amount),
                )
                .col_expr(
                    order::Column::Status,
                    Expr::case(
                        Expr::col(order::Column::Status)
                            .is_in([OrderStatus::Refunded, OrderStatus::PartiallyRefunded])
                            .and(left.eq(0)),
                        Expr::val(OrderStatus::Paid),
                    )
                    .case(
                        Expr::col(order::Column::Status)
                            .is_in([OrderStatus::Refunded, OrderStatus::PartiallyRefunded]),
                        Expr::val(OrderStatus::PartiallyRefunded),
                    )
                    .finally(Expr::col(order::Column::Status))
                    .into(),
                )
                .filter(order::Column::Id.eq(r.order_id.as_str()))
                .exec(&txn)
                .await?;
            audit::record(
                &txn,
                svc,
                caller,
                Change {
                    action: "refund.failed",
                    target_type: TargetKind::Order,
                    target_id: &r.order_id,
                    customer_id: Some(&r.customer_id),
                    changes: json!({"refund_id": r.id, "amount": r.amount, "currency": r.currency, "reason": e.to_string()}),
                },
            )
            .await?;
            txn.commit().await?;
            Err(provider_error(e))
        }
        Err(e) => {
            tracing::warn!(refund = %id, error = %e, "refund left pending; the reconciliation job asks again");
            to_refund(current().await?)
        }
    }
}

/// Moves a pending refund to `status` and answers it as it now is; `None` if it was settled
/// meanwhile.
async fn settle_refund<C: ConnectionTrait>(
    conn: &C,
    id: &str,
    status: RefundStatus,
    provider_refund_id: Option<String>,
) -> Result<Option<refund::Model>, DomainError> {
    let mut update = refund::Entity::update_many()
        .col_expr(refund::Column::Status, Expr::val(status))
        .col_expr(
            refund::Column::LeaseUntil,
            Expr::val(Option::<chrono::DateTime<chrono::Utc>>::None),
        );
    if provider_refund_id.is_some() {
        update = update.col_expr(
            refund::Column::ProviderRefundId,
            Expr::val(provider_refund_id),
        );
    }
    let res = update
        .filter(refund::Column::Id.eq(id))
        .filter(refund::Column::Status.eq(RefundStatus::Pending))
        .exec(conn)
        .await?;
    if res.rows_affected == 0 {
        return Ok(None);
    }
    Ok(refund::Entity::find_by_id(id).one(conn).await?)
}

/// Takes up to `batch` pending refunds whose lease ran out, in one statement, with a new lease.
pub(crate) async fn claim_stale_refunds(
    svc: &Services,
    now: chrono::DateTime<chrono::Utc>,
    batch: u64,
) -> Result<Vec<Result<refund::Model, super::Unreadable>>, DomainError> {
    claim::<refund::Entity>(
        &svc.db,
        Claim {
            table: "refunds",
            set: "lease_until = $",
            set_values: vec![Value::from(now + payments::LEASE)],
            open: "status = $ AND lease_until <= $",
            open_values: vec![Value::from(RefundStatus::Pending), Value::from(now)],
            order_by: "lease_until",
            batch,
        },
    )
    .await
}

/// Asks the provider again, under the same key, for a refund left pending, and settles it.
pub(crate) async fn resume_refund(svc: &Services, r: refund::Model) -> Result<(), DomainError> {
    let o = order::Entity::find_by_id(r.order_id.as_str())
        .one(&svc.db)
        .await?
        .ok_or(DomainError::NotFound { what: "order" })?;
    let payment_id = o.provider_payment_id.ok_or_else(|| {
        DomainError::internal("a pending refund on an order paid outside the provider")
    })?;
    let answer = svc
        .provider
        .refund(RefundRequest {
            payment_id: &payment_id,
            amount: r.amount,
            idempotency_key: &r.id,
        })
        .await;
    let caller = Caller::system(stored_id(&r.workspace_id)?);
    match finish_refund(svc, &caller, &r.id, answer).await {
        Ok(done) if done.status == crate::types::order::RefundStatus::Pending => {
            Err(DomainError::internal("the provider is still unreachable"))
        }
        Ok(_) | Err(DomainError::PaymentRefused { .. } | DomainError::Invalid { .. }) => Ok(()),
        Err(e) => Err(e),
    }
}

fn provider_error(e: ProviderError) -> DomainError {
    match e {
        ProviderError::Declined { code, message } => DomainError::PaymentRefused { code, message },
        ProviderError::InvalidMethod { field, message } => {
            DomainError::invalid(format!("payment_method.{field}"), message)
        }
        ProviderError::Unavailable(detail) => DomainError::internal(detail),
    }
}

pub(crate) fn charge_error(e: ProviderError) -> DomainError {
    provider_error(e)
}

fn to_dispute(row: dispute::Model) -> Result<Dispute, DomainError> {
    Ok(Dispute {
        id: stored_id(&row.id)?,
        object: "dispute".into(),
        order_id: stored_id(&row.order_id)?,
        customer_id: stored_id(&row.customer_id)?,
        amount: row.amount,
        currency: row.currency,
        status: row.status,
        reason: row.reason,
        opened_at: row.opened_at,
        closed_at: row.closed_at,
        repayment_method: row.repayment_method,
        repayment_order_id: row
            .repayment_order_id
            .as_deref()
            .map(stored_id)
            .transpose()?,
    })
}

/// Opens a dispute on `row` inside `conn`: the order becomes `disputed`.
pub(crate) async fn open_dispute_in<C: ConnectionTrait>(
    conn: &C,
    svc: &Services,
    caller: &Caller,
    row: &order::Model,
    amount: Option<i64>,
    reason: Option<String>,
) -> Result<dispute::Model, DomainError> {
    let status: OrderStatus = row.status;
    if !matches!(status, OrderStatus::Paid | OrderStatus::PartiallyRefunded) {
        return Err(DomainError::Conflict {
            code: ErrorCode::OrderNotDisputable,
            message: format!(
                "the order is {}; only paid orders can be disputed",
                row.status
            ),
        });
    }
    let remaining = row.amount - row.refunded_amount - row.charged_back_amount;
    let amount = amount.unwrap_or(remaining);
    if amount <= 0 || amount > remaining {
        return Err(DomainError::invalid(
            "amount",
            format!(
                "must be above zero and at most the {} not refunded",
                money::format(remaining, &row.currency)
            ),
        ));
    }
    let moved = order::Entity::update_many()
        .col_expr(order::Column::Status, Expr::val(OrderStatus::Disputed))
        .col_expr(
            order::Column::StatusBeforeDispute,
            Expr::val(Some(row.status)),
        )
        .filter(order::Column::Id.eq(row.id.as_str()))
        .filter(order::Column::Status.eq(row.status))
        .filter(order::Column::RefundedAmount.eq(row.refunded_amount))
        .exec(conn)
        .await?;
    if moved.rows_affected == 0 {
        return Err(DomainError::Conflict {
            code: ErrorCode::OrderChanged,
            message: "the order changed meanwhile; reload it and try again".into(),
        });
    }
    let now = svc.clock.now();
    let created = dispute::ActiveModel {
        id: Set(DisputeId::generate().to_string()),
        workspace_id: Set(row.workspace_id.clone()),
        order_id: Set(row.id.clone()),
        customer_id: Set(row.customer_id.clone()),
        amount: Set(amount),
        currency: Set(row.currency.clone()),
        workspace_amount: Set(0),
        status: Set(DisputeStatus::Open),
        reason: Set(reason),
        opened_at: Set(now),
        closed_at: Set(None),
        repayment_method: Set(None),
        repayment_order_id: Set(None),
        repayment_requested_at: Set(None),
    }
    .insert(conn)
    .await?;
    stats::apply(
        conn,
        &row.workspace_id,
        &row.customer_id,
        Delta {
            currency: row.currency.clone(),
            disputes: 1,
            ..Default::default()
        },
    )
    .await?;
    audit::record(
        conn,
        svc,
        caller,
        Change {
            action: "dispute.opened",
            target_type: TargetKind::Order,
            target_id: &row.id,
            customer_id: Some(&row.customer_id),
            changes: json!({
                "dispute_id": created.id,
                "amount": amount,
                "reason": created.reason,
                "status": {"before": row.status, "after": "disputed"},
            }),
        },
    )
    .await?;
    Ok(created)
}

/// Records a dispute the provider reported on an order.
pub async fn open_dispute(
    svc: &Services,
    caller: &Caller,
    order_id: &OrderId,
    input: DisputeCreate,
) -> Result<Dispute, DomainError> {
    caller.require(Scope::RefundsWrite)?;
    let reason = optional_text("reason", input.reason.as_deref(), 500)?;
    let txn = svc.write_txn().await?;
    lock_row(&txn, "orders", order_id.as_str()).await?;
    let row = find_row(&txn, caller, order_id).await?;
    let created = open_dispute_in(&txn, svc, caller, &row, input.amount, reason).await?;
    txn.commit().await?;
    to_dispute(created)
}

async fn find_dispute<C: ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    id: &DisputeId,
) -> Result<dispute::Model, DomainError> {
    dispute::Entity::find_by_id(id.as_str())
        .filter(dispute::Column::WorkspaceId.eq(caller.workspace_id.as_str()))
        .one(conn)
        .await?
        .ok_or(DomainError::NotFound { what: "dispute" })
}

/// Decides a dispute: won puts the order back as it was; lost is a chargeback, taking the
/// disputed amount off the customer's lifetime value.
pub async fn close_dispute(
    svc: &Services,
    caller: &Caller,
    id: &DisputeId,
    input: DisputeClose,
) -> Result<Dispute, DomainError> {
    caller.require(Scope::RefundsWrite)?;
    if input.outcome == DisputeStatus::Open {
        return Err(DomainError::invalid("outcome", "must be won or lost"));
    }
    let now = svc.clock.now();
    let txn = svc.write_txn().await?;
    let d = find_dispute(&txn, caller, id).await?;
    // Closing is one conditional update: of concurrent closes, one wins and the others see it
    // closed (on PostgreSQL they wait for the winner's row lock, then find no open row).
    let claimed = dispute::Entity::update_many()
        .col_expr(dispute::Column::Status, Expr::val(input.outcome.as_str()))
        .col_expr(dispute::Column::ClosedAt, Expr::val(Some(now)))
        .filter(dispute::Column::Id.eq(d.id.as_str()))
        .filter(dispute::Column::Status.eq(DisputeStatus::Open))
        .exec(&txn)
        .await?;
    if claimed.rows_affected == 0 {
        txn.rollback().await?;
        let now = find_dispute(&svc.db, caller, id).await?;
        return Err(DomainError::Conflict {
            code: ErrorCode::DisputeClosed,
            message: format!("the dispute was already {}", now.status),
        });
    }
    lock_row(&txn, "orders", &d.order_id).await?;
    let o = find_row(&txn, caller, &stored_id(&d.order_id)?).await?;
    let mut ws_amount = 0;
    let new_status = match input.outcome {
        DisputeStatus::Won => o.status_before_dispute.unwrap_or(OrderStatus::Paid),
        _ => {
            let before = o.refunded_amount + o.charged_back_amount;
            ws_amount = alloc(o.workspace_amount, before + d.amount, o.amount)
                - alloc(o.workspace_amount, before, o.amount);
            OrderStatus::Chargeback
        }
    };
    let lost = input.outcome == DisputeStatus::Lost;
    order::Entity::update_many()
        .col_expr(order::Column::Status, Expr::val(new_status))
        .col_expr(
            order::Column::ChargedBackAmount,
            Expr::col(order::Column::ChargedBackAmount).add(if lost { d.amount } else { 0 }),
        )
        .filter(order::Column::Id.eq(o.id.as_str()))
        .exec(&txn)
        .await?;
    dispute::Entity::update_many()
        .col_expr(dispute::Column::WorkspaceAmount, Expr::val(ws_amount))
        .filter(dispute::Column::Id.eq(d.id.as_str()))
        .exec(&txn)
        .await?;
    let d = find_dispute(&txn, caller, id).await?;
    if lost {
        stats::apply(
            &txn,
            &o.workspace_id,
            &o.customer_id,
            Delta {
                currency: o.currency.clone(),
                charged_back: d.amount,
                ltv: -ws_amount,
                ..Default::default()
            },
        )
        .await?;
    }
    audit::record(
        &txn,
        svc,
        caller,
        Change {
            action: if lost { "dispute.lost" } else { "dispute.won" },
            target_type: TargetKind::Order,
            target_id: &o.id,
            customer_id: Some(&o.customer_id),
            changes: json!({
                "dispute_id": d.id,
                "status": {"before": o.status, "after": new_status},
            }),
        },
    )
    .await?;
    txn.commit().await?;
    to_dispute(d)
}

/// An order's disputes, oldest first.
pub async fn list_disputes(
    svc: &Services,
    caller: &Caller,
    order_id: &OrderId,
) -> Result<Vec<Dispute>, DomainError> {
    caller.require(Scope::CustomersRead)?;
    find_row(&svc.db, caller, order_id).await?;
    dispute::Entity::find()
        .filter(dispute::Column::WorkspaceId.eq(caller.workspace_id.as_str()))
        .filter(dispute::Column::OrderId.eq(order_id.as_str()))
        .order_by_asc(dispute::Column::Id)
        .all(&svc.db)
        .await?
        .into_iter()
        .map(to_dispute)
        .collect()
}

/// After a lost dispute: asks the customer to pay again (`link`: an order awaiting payment,
/// paid with [`pay_order`]) or records a repayment made outside Patron (`manual`).
pub async fn request_repayment(
    svc: &Services,
    caller: &Caller,
    id: &DisputeId,
    input: RepaymentCreate,
) -> Result<Order, DomainError> {
    caller.require(Scope::RefundsWrite)?;
    let txn = svc.write_txn().await?;
    let d = find_dispute(&txn, caller, id).await?;
    if d.status != DisputeStatus::Lost {
        return Err(DomainError::Conflict {
            code: ErrorCode::DisputeNotLost,
            message: format!(
                "the dispute is {}; repayments follow a lost dispute",
                d.status
            ),
        });
    }
    if d.repayment_order_id.is_some() {
        return Err(DomainError::Conflict {
            code: ErrorCode::RepaymentExists,
            message: "a repayment was already requested or recorded for this dispute".into(),
        });
    }
    // Claim the dispute's one repayment with a conditional update before writing it.
    let claimed = dispute::Entity::update_many()
        .col_expr(
            dispute::Column::RepaymentMethod,
            Expr::val(Some(input.method)),
        )
        .col_expr(
            dispute::Column::RepaymentRequestedAt,
            Expr::val(Some(svc.clock.now())),
        )
        .filter(dispute::Column::Id.eq(d.id.as_str()))
        .filter(dispute::Column::Status.eq(DisputeStatus::Lost))
        .filter(dispute::Column::RepaymentRequestedAt.is_null())
        .filter(dispute::Column::RepaymentOrderId.is_null())
        .exec(&txn)
        .await?;
    if claimed.rows_affected == 0 {
        txn.rollback().await?;
        return Err(DomainError::Conflict {
            code: ErrorCode::RepaymentExists,
            message: "a repayment was already requested or recorded for this dispute".into(),
        });
    }
    let o = find_row(&txn, caller, &stored_id(&d.order_id)?).await?;
    let currency = Currency::parse(&o.currency).map_err(DomainError::internal)?;
    let outcome = match input.method {
        RepaymentMethod::Link => Outcome::Pending,
        RepaymentMethod::Manual => Outcome::Paid {
            payment_id: None,
            method: PaymentMethod {
                kind: PaymentMethodType::Manual,
                brand: None,
                last4: None,
                account: None,
                fingerprint: None,
                country: None,
            },
            rate_micros: o.exchange_rate_micros,
            notices: vec![],
        },
    };
    let repayment = record(
        &txn,
        svc,
        caller,
        NewOrder {
            customer_id: o.customer_id.clone(),
            product_id: o.product_id.clone(),
            subscription_id: None,
            kind: OrderKind::Repayment,
            amount: d.amount,
            currency,
            workspace_currency: Currency::parse(&o.workspace_currency)
                .map_err(DomainError::internal)?,
            ip: None,
            customer_note: None,
            outcome,
        },
    )
    .await?;
    dispute::Entity::update_many()
        .col_expr(
            dispute::Column::RepaymentOrderId,
            Expr::val(Some(repayment.id.clone())),
        )
        .filter(dispute::Column::Id.eq(d.id.as_str()))
        .exec(&txn)
        .await?;
    let out = present_one(&txn, repayment).await?;
    txn.commit().await?;
    Ok(out)
}

/// Pays an order that awaits payment (a repayment request) with the given method.
pub async fn pay_order(
    svc: &Services,
    caller: &Caller,
    id: &OrderId,
    input: OrderPay,
) -> Result<Order, DomainError> {
    caller.require(Scope::CheckoutsWrite)?;
    let ip = input
        .ip
        .as_deref()
        .map(|v| validate::ip("ip", v))
        .transpose()?;
    let row = find_row(&svc.db, caller, id).await?;
    if row.status != OrderStatus::Created {
        return Err(DomainError::Conflict {
            code: ErrorCode::OrderNotPayable,
            message: format!(
                "the order is {}; only orders awaiting payment can be paid",
                row.status
            ),
        });
    }
    let method = svc
        .provider
        .describe(&input.payment_method)
        .map_err(provider_error)?;
    let customer = customers::row(&svc.db, caller, &stored_id(&row.customer_id)?).await?;
    let details =
        payment_details::of_payment(Some(&method), customer.email.as_deref(), ip.as_deref());
    payment_details::refuse_blocked(&svc.db, caller.workspace_id.as_str(), &details).await?;
    let currency = Currency::parse(&row.currency).map_err(DomainError::internal)?;
    let ws_currency = Currency::parse(&row.workspace_currency).map_err(DomainError::internal)?;
    let attempt = payments::begin(
        svc,
        payments::NewAttempt {
            workspace_id: row.workspace_id.clone(),
            purpose: payments::Purpose::OrderPayment,
            amount: row.amount,
            currency: row.currency.clone(),
            customer_id: Some(row.customer_id.clone()),
            subscription_id: None,
            period_start: None,
            retry_count: None,
            order_id: Some(row.id.clone()),
        },
    )
    .await?;
    let (svc, caller, id) = (svc.clone(), caller.clone(), id.clone());
    payments::detached(async move {
        let source = PaymentSource::New(&input.payment_method);
        let charged = payments::charge(&svc, &attempt, currency, ws_currency, source).await;
        let charge = match charged {
            Ok(c) => c,
            Err(e) => {
                if let ProviderError::Declined { code, .. } = &e {
                    payments::decline(&svc.db, &svc, &attempt.id, *code).await?;
                }
                // Unreachable: the attempt stays pending and the reconciliation job finds out.
                return Err(provider_error(e));
            }
        };
        // Not recorded (or the order was paid meanwhile): the money goes back.
        let written =
            record_payment(&svc, &caller, &id, &row, &charge, &details, ip, &attempt.id).await;
        payments::keep_or_void(&svc, &attempt, &charge.payment_id, written).await
    })
    .await
}

/// Marks the order paid by `charge`, with its stats, details and event, in one transaction.
#[allow(clippy::too_many_arguments)]
async fn record_payment(
    svc: &Services,
    caller: &Caller,
    id: &OrderId,
    row: &order::Model,
    charge: &Charge,
    details: &[payment_details::Detail],
    ip: Option<String>,
    attempt_id: &str,
) -> Result<Order, DomainError> {
    let currency = Currency::parse(&row.currency).map_err(DomainError::internal)?;
    let ws_currency = Currency::parse(&row.workspace_currency).map_err(DomainError::internal)?;
    let now = svc.clock.now();
    let ws_amount = money::convert(
        row.amount,
        currency,
        ws_currency,
        charge.exchange_rate_micros,
    );
    let txn = svc.write_txn().await?;
    let moved = order::Entity::update_many()
        .col_expr(order::Column::Status, Expr::val(OrderStatus::Paid))
        .col_expr(order::Column::PaidAt, Expr::val(Some(now)))
        .col_expr(order::Column::WorkspaceAmount, Expr::val(ws_amount))
        .col_expr(
            order::Column::ExchangeRateMicros,
            Expr::val(charge.exchange_rate_micros),
        )
        .col_expr(
            order::Column::PaymentMethod,
            Expr::val(to_json(&Some(&charge.method))?),
        )
        .col_expr(
            order::Column::ProviderPaymentId,
            Expr::val(Some(charge.payment_id.clone())),
        )
        .col_expr(order::Column::Ip, Expr::val(ip.clone()))
        .filter(order::Column::Id.eq(row.id.as_str()))
        .filter(order::Column::Status.eq(OrderStatus::Created))
        .exec(&txn)
        .await?;
    if moved.rows_affected == 0 {
        txn.rollback().await?;
        // Paid by someone else meanwhile: the caller gives this payment back.
        return Err(DomainError::Conflict {
            code: ErrorCode::OrderNotPayable,
            message: "the order was paid meanwhile".into(),
        });
    }
    payments::settle(&txn, svc, attempt_id, &row.id, &charge.payment_id).await?;
    stats::apply(
        &txn,
        &row.workspace_id,
        &row.customer_id,
        Delta {
            currency: row.currency.clone(),
            paid: row.amount,
            ltv: ws_amount,
            payments: 1,
            ..Default::default()
        },
    )
    .await?;
    payment_details::remember(&txn, &row.workspace_id, &row.customer_id, details, now).await?;
    audit::record(
        &txn,
        svc,
        caller,
        Change {
            action: "order.paid",
            target_type: TargetKind::Order,
            target_id: &row.id,
            customer_id: Some(&row.customer_id),
            changes: json!({"status": {"before": "created", "after": "paid"}, "amount": row.amount, "currency": row.currency}),
        },
    )
    .await?;
    let out = present_one(&txn, find_row(&txn, caller, id).await?).await?;
    txn.commit().await?;
    Ok(out)
}

/// Applies the provider's notices that are due (disputes reported later), across workspaces;
/// returns how many were applied.
pub async fn apply_provider_events(svc: &Services) -> Result<usize, DomainError> {
    let now = svc.clock.now();
    let due = provider_event::Entity::find()
        .filter(provider_event::Column::ProcessedAt.is_null())
        .filter(provider_event::Column::DueAt.lte(now))
        .order_by_asc(provider_event::Column::DueAt)
        .limit(500)
        .all(&svc.db)
        .await?;
    let mut n = 0;
    for ev in due {
        let id = ev.id.clone();
        let attempts = ev.attempts;
        match apply_provider_event(svc, ev, now).await {
            Ok(applied) => n += usize::from(applied),
            Err(e) => {
                // Logged and retried later, backing off; the others go on.
                tracing::warn!(provider_event = %id, error = %e, "applying a provider event failed");
                let backoff = chrono::Duration::minutes(1)
                    * 2i32.pow(u32::try_from(attempts.clamp(0, 10)).unwrap_or(10));
                provider_event::Entity::update_many()
                    .col_expr(
                        provider_event::Column::Attempts,
                        Expr::col(provider_event::Column::Attempts).add(1),
                    )
                    .col_expr(provider_event::Column::DueAt, Expr::val(now + backoff))
                    .filter(provider_event::Column::Id.eq(id.as_str()))
                    .filter(provider_event::Column::ProcessedAt.is_null())
                    .exec(&svc.db)
                    .await?;
            }
        }
    }
    Ok(n)
}

/// Applies one provider event in its own transaction; `false` if another process had it.
async fn apply_provider_event(
    svc: &Services,
    ev: provider_event::Model,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<bool, DomainError> {
    let caller = Caller::system(stored_id(&ev.workspace_id)?);
    let txn = svc.write_txn().await?;
    // Claim it: another process may be applying the same event.
    let claimed = provider_event::Entity::update_many()
        .col_expr(provider_event::Column::ProcessedAt, Expr::val(Some(now)))
        .filter(provider_event::Column::Id.eq(ev.id.as_str()))
        .filter(provider_event::Column::ProcessedAt.is_null())
        .exec(&txn)
        .await?;
    if claimed.rows_affected == 0 {
        txn.rollback().await?;
        return Ok(false);
    }
    let mut applied = false;
    if ev.kind == ProviderEventKind::DisputeOpened {
        let reason = serde_json::from_str::<serde_json::Value>(&ev.payload)
            .ok()
            .and_then(|v| v["reason"].as_str().map(str::to_owned));
        lock_row(&txn, "orders", &ev.order_id).await?;
        let o = find_row(&txn, &caller, &stored_id(&ev.order_id)?).await?;
        match open_dispute_in(&txn, svc, &caller, &o, None, reason).await {
            Ok(_) => applied = true,
            // Refunded in full before the payer's bank reported it: nothing to dispute.
            Err(DomainError::Conflict { .. } | DomainError::Invalid { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    txn.commit().await?;
    Ok(applied)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cumulative_allocation_returns_exactly_the_converted_total() {
        // 10.00 USD paid, 9.26 EUR settled: three partial refunds of 3.33, 3.33, 3.34.
        let ws_total = 926;
        let parts = [333, 333, 334];
        let mut returned = 0;
        let mut sum = 0;
        for p in parts {
            sum += alloc(ws_total, returned + p, 1000) - alloc(ws_total, returned, 1000);
            returned += p;
        }
        assert_eq!(sum, ws_total);
        assert_eq!(alloc(926, 500, 1000), 463);
        assert_eq!(alloc(925, 500, 1000), 463);
    }
}
