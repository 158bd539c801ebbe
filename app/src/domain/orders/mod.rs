//! Orders and what happens to them after payment: refunds (full or partial, never beyond the
//! remaining balance, even under concurrent requests), disputes and repayments.
//!
//! `orders` records and reads orders; `refunds`, `disputes` (with repayments) and `payment`
//! (paying an order that awaits it, and the provider's late reports) act on them;
//! `notifications` keeps what the provider sent about each payment.

mod by_product;
mod disputes;
mod notifications;
mod payment;
mod refunds;

pub use by_product::purchases_by_product;
pub use disputes::{close_dispute, list_disputes, open_dispute, request_repayment};
pub(crate) use disputes::{disputes_of_customer, open_dispute_in};
pub use notifications::list_provider_events;
pub(crate) use notifications::{about as notification_about, receive as receive_notification};
pub use payment::{apply_provider_events, pay_order};
pub(crate) use refunds::{charge_error, claim_stale_refunds, refunds_of_customer, resume_refund};
pub use refunds::{list_refunds, refund_order};

/// An order's refunds, disputes and webhook deliveries: its expanded row in the dashboard.
pub async fn order_history(
    svc: &Services,
    caller: &Caller,
    id: &OrderId,
) -> Result<crate::types::order::RefundsAndDisputes, DomainError> {
    Ok(crate::types::order::RefundsAndDisputes {
        refunds: list_refunds(svc, caller, id).await?,
        disputes: list_disputes(svc, caller, id).await?,
        webhooks: super::webhook_outbox::deliveries_about(
            svc,
            caller,
            TargetKind::Order,
            id.as_str(),
        )
        .await?,
        provider_events: list_provider_events(svc, caller, id).await?,
    })
}

use crate::types::EventType;
use crate::types::{ProductId, SubscriptionId, WorkspaceId};
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
use crate::types::money::{self, CurrencyCode};
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
use super::paging::{self, Limit};
use super::provider::{
    Charge, Notice, NotificationAbout, PaymentSource, ProviderError, RefundRequest,
};
use super::stats::{self, Delta};
use super::{
    Claim, DomainError, Services, claim, customers, idempotency, lock_row, optional_text,
    payment_details, payments, products, stored_json, to_json, validate,
};

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

/// What remains on an order to refund or dispute: paid, less refunds and chargebacks. The one
/// rule; the refund's conditional update checks the same sum in SQL.
pub(crate) fn remaining(row: &order::Model) -> i64 {
    row.amount - row.refunded_amount - row.charged_back_amount
}

fn to_order(row: order::Model, product_name: String) -> Result<Order, DomainError> {
    let payment_method: Option<PaymentMethod> = stored_json(&row.payment_method)?;
    let status: OrderStatus = row.status;
    let refundable = match status {
        OrderStatus::Paid | OrderStatus::PartiallyRefunded => remaining(&row),
        _ => 0,
    };
    Ok(Order {
        id: row.id.clone(),
        object: "order".into(),
        customer_id: row.customer_id.clone(),
        product_id: row.product_id.clone(),
        product_name,
        subscription_id: row.subscription_id.clone(),
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
    workspace_id: &WorkspaceId,
) -> Result<CurrencyCode, DomainError> {
    let ws = workspace::Entity::find_by_id(workspace_id)
        .one(conn)
        .await?
        .ok_or(DomainError::NotFound { what: "workspace" })?;
    Ok(ws.default_currency)
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
    pub customer_id: CustomerId,
    pub product_id: ProductId,
    pub subscription_id: Option<SubscriptionId>,
    pub kind: OrderKind,
    pub amount: i64,
    pub currency: CurrencyCode,
    pub workspace_currency: CurrencyCode,
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
    let id = OrderId::generate_at(svc.clock.now());
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
        id: Set(id.clone()),
        workspace_id: Set(caller.workspace_id.clone()),
        customer_id: Set(new.customer_id.clone()),
        product_id: Set(new.product_id.clone()),
        subscription_id: Set(new.subscription_id.clone()),
        kind: Set(new.kind),
        status: Set(status),
        status_before_dispute: Set(None),
        amount: Set(new.amount),
        currency: Set(new.currency),
        refunded_amount: Set(0),
        charged_back_amount: Set(0),
        workspace_amount: Set(ws_amount),
        workspace_currency: Set(new.workspace_currency),
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
        receipt_number: Set(None),
        receipt_seller: Set(None),
    }
    .insert(conn)
    .await?;
    let paid = status == OrderStatus::Paid;
    stats::apply(
        conn,
        &caller.workspace_id,
        &new.customer_id,
        Delta {
            currency: new.currency,
            paid: if paid { new.amount } else { 0 },
            ltv: ws_amount,
            payments: i64::from(paid),
            orders: 1,
            last_order_at: Some(now),
            ..Delta::none(new.currency)
        },
    )
    .await?;
    // After the customer's row: the receipt takes the workspace's counter, and a payment that
    // locks its customer first never waits in a circle with one that holds the counter.
    if paid {
        super::receipts::send_receipt(conn, svc, &row).await?;
    }
    // What the provider sent about this payment, and what it will send later.
    let reported = match (&new.outcome, &row.provider_payment_id) {
        (Outcome::Paid { .. }, Some(_)) => Some((ProviderEventKind::ChargeSucceeded, None)),
        (Outcome::Failed { code, .. }, _) => {
            Some((ProviderEventKind::ChargeFailed, Some(code.as_str())))
        }
        _ => None,
    };
    if let Some((kind, detail)) = reported {
        let about = NotificationAbout {
            method: method.as_ref(),
            detail,
            ..notification_about(kind, &row)
        };
        receive_notification(conn, svc, &row, about).await?;
    }
    for n in notices {
        match n {
            Notice::DisputeOpened { after, reason } => {
                let due = now + after;
                let about = NotificationAbout {
                    detail: Some(&reason),
                    ..notification_about(ProviderEventKind::DisputeOpened, &row)
                };
                provider_event::ActiveModel {
                    id: Set(ProviderEventId::generate_at(svc.clock.now())),
                    workspace_id: Set(caller.workspace_id.clone()),
                    order_id: Set(row.id.clone()),
                    kind: Set(ProviderEventKind::DisputeOpened),
                    payload: Set(svc.provider.notification(&about, due)),
                    due_at: Set(due),
                    processed_at: Set(None),
                    attempts: Set(0),
                    received_at: Set(None),
                }
                .insert(conn)
                .await?;
            }
        }
    }
    let action = match status {
        OrderStatus::Paid => EventType::OrderPaid,
        OrderStatus::Failed => EventType::OrderFailed,
        _ => EventType::OrderCreated,
    };
    let changes = json!({
        "customer_id": new.customer_id,
        "product_id": new.product_id,
        "kind": new.kind.as_str(),
        "amount": new.amount,
        "currency": new.currency.as_str(),
        "failure_code": failure.map(|f| f.0),
    });
    audit_order(conn, svc, caller, action, &row, changes).await?;
    Ok(row)
}

/// Records `action` on the order `o` in the audit trail, on `conn`: an order's events (its
/// payment, refunds and disputes) are filed under the order and its customer.
async fn audit_order<C: ConnectionTrait>(
    conn: &C,
    svc: &Services,
    caller: &Caller,
    action: EventType,
    o: &order::Model,
    changes: serde_json::Value,
) -> Result<(), DomainError> {
    let change = Change::new(action, o.id.as_str(), Some(&o.customer_id), changes);
    audit::record(conn, svc, caller, change).await?;
    Ok(())
}

async fn find_row<C: ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    id: &OrderId,
) -> Result<order::Model, DomainError> {
    crate::domain::find::own::<order::Entity, _, _>(conn, caller, id).await
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

/// Which of a customer's orders to list.
#[derive(Debug, Clone, Default)]
pub struct OrderFilter {
    /// Only in this status.
    pub status: Option<OrderStatus>,
    /// Only of this product.
    pub product: Option<ProductId>,
}

/// A customer's orders, newest first, by keyset on the id; only those `filter` keeps.
pub async fn list_orders(
    svc: &Services,
    caller: &Caller,
    customer_id: &CustomerId,
    filter: OrderFilter,
    limit: Limit,
    starting_after: Option<OrderId>,
) -> Result<Page<Order>, DomainError> {
    caller.require(Scope::CustomersRead)?;
    customers::get_customer(svc, caller, customer_id).await?;
    let mut q = order::Entity::find()
        .filter(order::Column::WorkspaceId.eq(caller.workspace_id.as_str()))
        .filter(order::Column::CustomerId.eq(customer_id.as_str()));
    if let Some(status) = filter.status {
        q = q.filter(order::Column::Status.eq(status));
    }
    if let Some(product) = filter.product {
        q = q.filter(order::Column::ProductId.eq(product.as_str()));
    }
    let after = starting_after.as_ref().map(OrderId::as_str);
    let (rows, has_more) =
        paging::newest_first(&svc.db, q, order::Column::Id, after, limit).await?;
    Ok(Page::new(present(&svc.db, rows).await?, has_more))
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
