//! Paying an order that awaits payment (a repayment link), and applying what the payment
//! provider reports about orders.

use super::refunds::provider_error;
use super::*;
use crate::domain::provider::NotificationAbout;
use crate::types::ChargeAttemptId;
use crate::types::EventType;

/// Pays an order that awaits payment (a repayment request) with the given method.
pub async fn pay_order(
    svc: &Services,
    caller: &Caller,
    id: &OrderId,
    input: OrderPay,
) -> Result<Order, DomainError> {
    caller.require(Scope::CheckoutsWrite)?;
    // A retry of a payment that already settled answers as it did: the order is paid now, and
    // that must not turn the first answer into a refusal.
    if let Some(idempotency::Bound {
        outcome: Some(outcome),
        ..
    }) = idempotency::bound(&svc.db, caller).await?
    {
        return idempotency::replay(&outcome);
    }
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
    let customer = customers::row(&svc.db, caller, &row.customer_id).await?;
    let details =
        payment_details::of_payment(Some(&method), customer.email.as_deref(), ip.as_deref());
    payment_details::refuse_blocked(&svc.db, &caller.workspace_id, &details).await?;
    let currency = row.currency;
    let ws_currency = row.workspace_currency;
    let started = payments::start(
        svc,
        caller,
        payments::NewAttempt {
            workspace_id: row.workspace_id.clone(),
            purpose: payments::Purpose::OrderPayment,
            amount: row.amount,
            currency: row.currency,
            customer_id: Some(row.customer_id.clone()),
            subscription_id: None,
            period_start: None,
            retry_count: None,
            order_id: Some(row.id.clone()),
        },
    )
    .await?;
    let attempt = match started {
        payments::Start::Charge(a) => *a,
        payments::Start::Replay(outcome) => return idempotency::replay(&outcome),
    };
    let (svc, caller, id) = (svc.clone(), caller.clone(), id.clone());
    payments::detached(async move {
        let source = PaymentSource::New(&input.payment_method);
        let charged = payments::charge(&svc, &attempt, currency, ws_currency, source).await;
        let charge = match charged {
            Ok(c) => c,
            Err(e) => {
                if let ProviderError::Declined { code, message } = &e {
                    let txn = svc.write_txn().await?;
                    if payments::decline(&txn, &svc, &attempt.id, *code).await? {
                        let about = NotificationAbout {
                            idempotency_key: Some(attempt.id.as_str()),
                            method: Some(&method),
                            detail: Some(code.as_str()),
                            ..notification_about(ProviderEventKind::ChargeFailed, &row)
                        };
                        receive_notification(&txn, &svc, &row, about).await?;
                    }
                    idempotency::refused(&txn, &caller, attempt.id.as_str(), *code, message)
                        .await?;
                    txn.commit().await?;
                }
                // Unreachable: the attempt stays pending; after its lease a retry under the
                // same key or the reconciliation job finishes it.
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
    attempt_id: &ChargeAttemptId,
) -> Result<Order, DomainError> {
    let currency = row.currency;
    let ws_currency = row.workspace_currency;
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
    let about = NotificationAbout {
        payment_id: Some(&charge.payment_id),
        idempotency_key: Some(attempt_id.as_str()),
        method: Some(&charge.method),
        ..notification_about(ProviderEventKind::ChargeSucceeded, row)
    };
    receive_notification(&txn, svc, row, about).await?;
    stats::apply(
        &txn,
        &row.workspace_id,
        &row.customer_id,
        Delta {
            currency: row.currency,
            paid: row.amount,
            ltv: ws_amount,
            payments: 1,
            ..Delta::none(row.currency)
        },
    )
    .await?;
    payment_details::remember(&txn, &row.workspace_id, &row.customer_id, details, now).await?;
    // After the customer's rows, as every payment does: see `record`.
    super::super::receipts::send_receipt(&txn, svc, row).await?;
    let changes = json!({
        "status": {"before": "created", "after": "paid"},
        "amount": row.amount,
        "currency": row.currency,
    });
    audit_order(&txn, svc, caller, EventType::OrderPaid, row, changes).await?;
    let out = present_one(&txn, find_row(&txn, caller, id).await?).await?;
    idempotency::answered(&txn, caller, attempt_id.as_str(), &out).await?;
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
                    // Received, though not yet applied: it shows on the order from now.
                    .col_expr(provider_event::Column::ReceivedAt, received(now))
                    .filter(provider_event::Column::Id.eq(id.as_str()))
                    .filter(provider_event::Column::ProcessedAt.is_null())
                    .exec(&svc.db)
                    .await?;
            }
        }
    }
    Ok(n)
}

/// When a late notice was received: the first time it came due.
fn received(now: chrono::DateTime<chrono::Utc>) -> Expr {
    sea_orm::sea_query::Func::coalesce([
        Expr::col(provider_event::Column::ReceivedAt),
        Expr::val(now),
    ])
    .into()
}

/// Applies one provider event in its own transaction; `false` if another process had it.
async fn apply_provider_event(
    svc: &Services,
    ev: provider_event::Model,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<bool, DomainError> {
    let caller = Caller::system(ev.workspace_id.clone());
    let txn = svc.write_txn().await?;
    // Claim it: another process may be applying the same event.
    let claimed = provider_event::Entity::update_many()
        .col_expr(provider_event::Column::ProcessedAt, Expr::val(Some(now)))
        .col_expr(provider_event::Column::ReceivedAt, received(now))
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
        // The provider's body; notices scheduled before it was kept whole had only the reason.
        let reason = serde_json::from_str::<serde_json::Value>(&ev.payload)
            .ok()
            .and_then(|v| {
                v["data"]["object"]["reason"]
                    .as_str()
                    .or_else(|| v["reason"].as_str())
                    .map(str::to_owned)
            });
        lock_row::<crate::db::entities::order::Entity, _>(&txn, ev.order_id.as_str()).await?;
        let o = find_row(&txn, &caller, &ev.order_id).await?;
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
