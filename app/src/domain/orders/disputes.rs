//! Disputes (chargebacks) on an order, their outcome, and repayments after a lost one.

use super::*;
use crate::domain::provider::NotificationAbout;
use crate::types::EventType;

fn to_dispute(row: dispute::Model) -> Result<Dispute, DomainError> {
    Ok(Dispute {
        id: row.id.clone(),
        object: "dispute".into(),
        order_id: row.order_id.clone(),
        customer_id: row.customer_id.clone(),
        amount: row.amount,
        currency: row.currency,
        status: row.status,
        reason: row.reason,
        opened_at: row.opened_at,
        closed_at: row.closed_at,
        repayment_method: row.repayment_method,
        repayment_order_id: row.repayment_order_id.clone(),
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
    if !status.is_refundable() {
        return Err(DomainError::Conflict {
            code: ErrorCode::OrderNotDisputable,
            message: format!(
                "the order is {}; only paid orders can be disputed",
                row.status
            ),
        });
    }
    let remaining = remaining(row);
    let amount = amount.unwrap_or(remaining);
    if amount <= 0 || amount > remaining {
        // What is left depends on the order's refunds: the form cannot state it.
        return Err(DomainError::unprocessable(
            "amount",
            format!(
                "must be above zero and at most the {} not refunded",
                money::format(remaining, row.currency)
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
        id: Set(DisputeId::generate_at(svc.clock.now())),
        workspace_id: Set(row.workspace_id.clone()),
        order_id: Set(row.id.clone()),
        customer_id: Set(row.customer_id.clone()),
        amount: Set(amount),
        currency: Set(row.currency),
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
            currency: row.currency,
            disputes: 1,
            ..Delta::none(row.currency)
        },
    )
    .await?;
    let changes = json!({
        "dispute_id": created.id,
        "amount": amount,
        "reason": created.reason,
        "status": {"before": row.status, "after": "disputed"},
    });
    audit_order(conn, svc, caller, EventType::DisputeOpened, row, changes).await?;
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
    lock_row::<crate::db::entities::order::Entity, _>(&txn, order_id.as_str()).await?;
    let row = find_row(&txn, caller, order_id).await?;
    let created = open_dispute_in(&txn, svc, caller, &row, input.amount, reason).await?;
    if row.provider_payment_id.is_some() {
        // Recorded as the provider reported it: its notification goes on the order.
        let about = NotificationAbout {
            amount: created.amount,
            detail: created.reason.as_deref(),
            ..notification_about(ProviderEventKind::DisputeOpened, &row)
        };
        receive_notification(&txn, svc, &row, about).await?;
    }
    txn.commit().await?;
    to_dispute(created)
}

async fn find_dispute<C: ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    id: &DisputeId,
) -> Result<dispute::Model, DomainError> {
    crate::domain::find::own::<dispute::Entity, _, _>(conn, caller, id).await
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
    lock_row::<crate::db::entities::order::Entity, _>(&txn, d.order_id.as_str()).await?;
    let o = find_row(&txn, caller, &d.order_id).await?;
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
    if o.provider_payment_id.is_some() {
        let about = NotificationAbout {
            amount: d.amount,
            detail: Some(d.status.as_str()),
            ..notification_about(ProviderEventKind::DisputeClosed, &o)
        };
        receive_notification(&txn, svc, &o, about).await?;
    }
    if lost {
        stats::apply(
            &txn,
            &o.workspace_id,
            &o.customer_id,
            Delta {
                currency: o.currency,
                charged_back: d.amount,
                ltv: -ws_amount,
                ..Delta::none(o.currency)
            },
        )
        .await?;
    }
    let action = if lost {
        EventType::DisputeLost
    } else {
        EventType::DisputeWon
    };
    let changes = json!({
        "dispute_id": d.id,
        "status": {"before": o.status, "after": new_status},
    });
    audit_order(&txn, svc, caller, action, &o, changes).await?;
    txn.commit().await?;
    to_dispute(d)
}

/// An order's disputes, oldest first.
/// Every dispute of a customer of the caller's workspace, oldest first.
pub(crate) async fn disputes_of_customer<C: ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    customer_id: &CustomerId,
) -> Result<Vec<Dispute>, DomainError> {
    dispute::Entity::find()
        .filter(dispute::Column::WorkspaceId.eq(&caller.workspace_id))
        .filter(dispute::Column::CustomerId.eq(customer_id))
        .order_by_asc(dispute::Column::Id)
        .all(conn)
        .await?
        .into_iter()
        .map(to_dispute)
        .collect()
}

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
    let o = find_row(&txn, caller, &d.order_id).await?;
    let currency = o.currency;
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
            workspace_currency: o.workspace_currency,
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
