//! Refunds: the balance reserved first, the provider asked outside any transaction, then
//! settled; a pending refund is finished by the reconciliation job.

use crate::domain::provider::NotificationAbout;
use crate::types::EventType;
use crate::types::money::Money;

use super::*;

fn to_refund(row: refund::Model) -> Result<Refund, DomainError> {
    Ok(Refund {
        id: row.id.clone(),
        object: "refund".into(),
        order_id: row.order_id.clone(),
        customer_id: row.customer_id.clone(),
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

/// Every refund of a customer of the caller's workspace, oldest first.
pub(crate) async fn refunds_of_customer<C: ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    customer_id: &CustomerId,
) -> Result<Vec<Refund>, DomainError> {
    refund::Entity::find()
        .filter(refund::Column::WorkspaceId.eq(&caller.workspace_id))
        .filter(refund::Column::CustomerId.eq(customer_id))
        .order_by_asc(refund::Column::Id)
        .all(conn)
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

fn exceeds(asked: Money, remaining: Money) -> DomainError {
    DomainError::Conflict {
        code: ErrorCode::RefundExceedsRemaining,
        message: format!("a refund of {asked} exceeds the {remaining} that remains on the order"),
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
    // A retry under the Idempotency-Key of a request that already started a refund meets that
    // refund: never a second one.
    if let Some(bound) = idempotency::bound(&svc.db, caller).await? {
        return take_up(svc, caller, bound).await;
    }
    let row = find_row(&svc.db, caller, order_id).await?;
    if !row.status.is_refundable() {
        return Err(not_refundable(row.status));
    }
    let method: Option<PaymentMethod> = stored_json(&row.payment_method)?;
    let amount = input.amount.unwrap_or(remaining(&row));
    if amount <= 0 {
        return Err(DomainError::invalid(
            "amount",
            "must be above zero, in the currency's minor unit",
        ));
    }
    let full_only = method
        .as_ref()
        .is_some_and(PaymentMethod::refunds_in_full_only);
    if full_only {
        let kind = method.as_ref().map(|m| m.kind.as_str()).unwrap_or_default();
        if amount != row.amount || row.refunded_amount != 0 {
            return Err(DomainError::unprocessable(
                "amount",
                format!(
                    "{kind} payments can only be refunded in full ({})",
                    money::format(row.amount, row.currency)
                ),
            ));
        }
        if !input.acknowledge_risk {
            return Err(DomainError::unprocessable(
                "acknowledge_risk",
                format!(
                    "must be true: a {kind} refund is made at your own risk, as the payer's bank may also reverse the payment"
                ),
            ));
        }
    }
    if amount > remaining(&row) {
        return Err(exceeds(
            Money::new(amount, row.currency),
            Money::new(remaining(&row), row.currency),
        ));
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
        .filter(order::Column::Status.is_in(OrderStatus::REFUNDABLE))
        .filter(returned.lte(Expr::col(order::Column::Amount)))
        .exec(&txn)
        .await?;
    if moved.rows_affected == 0 {
        txn.rollback().await?;
        let now = find_row(&svc.db, caller, order_id).await?;
        return Err(match now.status {
            OrderStatus::Paid | OrderStatus::PartiallyRefunded => exceeds(
                Money::new(amount, now.currency),
                Money::new(remaining(&now), now.currency),
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
        id: Set(id.clone()),
        workspace_id: Set(caller.workspace_id.clone()),
        order_id: Set(after.id.clone()),
        customer_id: Set(after.customer_id.clone()),
        amount: Set(amount),
        currency: Set(after.currency),
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
    // Refused when another request under the key started a refund first: the transaction is
    // dropped, and the balance with it.
    idempotency::bind(&txn, caller, id.as_str()).await?;
    let Some(payment_id) = through_provider else {
        // Paid outside any provider (a manual repayment): nothing to call.
        refund_recorded(&txn, svc, caller, &created, &after).await?;
        let out = to_refund(created)?;
        idempotency::answered(&txn, caller, id.as_str(), &out).await?;
        txn.commit().await?;
        return Ok(out);
    };
    txn.commit().await?;

    // 2. Ask the provider under the refund's id, then 3. settle, detached from the request.
    let svc = svc.clone();
    let caller = caller.clone();
    payments::detached(
        async move { refund_at_provider(&svc, &caller, &payment_id, amount, &id).await },
    )
    .await
}

/// Asks the provider for the refund `id` of `amount` on `payment_id`, under the refund's id as
/// the idempotency key (asked again, it moves the money at most once), then settles the refund
/// with its answer. Never inside a transaction.
async fn refund_at_provider(
    svc: &Services,
    caller: &Caller,
    payment_id: &str,
    amount: i64,
    id: &RefundId,
) -> Result<Refund, DomainError> {
    let answer = svc
        .provider
        .refund(RefundRequest {
            payment_id,
            amount,
            idempotency_key: id.as_str(),
        })
        .await;
    finish_refund(svc, caller, id, answer).await
}

/// The refund an earlier request under the caller's key started, met by a retry: its answer
/// when settled, finished now when nobody holds it (under the same provider key, so the money
/// moves at most once), and otherwise still running (409 `idempotency_key_in_flight`).
async fn take_up(
    svc: &Services,
    caller: &Caller,
    bound: idempotency::Bound,
) -> Result<Refund, DomainError> {
    if let Some(outcome) = bound.outcome {
        return idempotency::replay(&outcome);
    }
    let r = refund::Entity::find()
        .filter(refund::Column::Id.eq(bound.attempt_id.as_str()))
        .filter(refund::Column::WorkspaceId.eq(caller.workspace_id.as_str()))
        .one(&svc.db)
        .await?
        .ok_or_else(|| DomainError::internal("an Idempotency-Key is bound to no refund"))?;
    match r.status {
        RefundStatus::Pending => {
            let now = svc.clock.now();
            let taken = refund::Entity::update_many()
                .col_expr(
                    refund::Column::LeaseUntil,
                    Expr::val(Some(now + payments::LEASE)),
                )
                .filter(refund::Column::Id.eq(r.id.as_str()))
                .filter(refund::Column::Status.eq(RefundStatus::Pending))
                .filter(refund::Column::LeaseUntil.lte(now))
                .exec(&svc.db)
                .await?;
            if taken.rows_affected == 0 {
                return Err(idempotency::in_flight());
            }
            let payment_id = order::Entity::find_by_id(r.order_id.clone())
                .one(&svc.db)
                .await?
                .and_then(|o| o.provider_payment_id)
                .ok_or_else(|| {
                    DomainError::internal("a pending refund on an order paid outside the provider")
                })?;
            let (svc, caller) = (svc.clone(), caller.clone());
            payments::detached(async move {
                refund_at_provider(&svc, &caller, &payment_id, r.amount, &r.id).await
            })
            .await
        }
        // Settled by the reconciliation job, which answers nobody: the refund as it now is.
        RefundStatus::Succeeded => to_refund(r),
        RefundStatus::Failed => Err(DomainError::Conflict {
            code: ErrorCode::PaymentSuperseded,
            message: "the refund started with this Idempotency-Key failed at the payment provider; send the request again with a new key".into(),
        }),
    }
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
            currency: r.currency,
            refunded: r.amount,
            ltv: -r.workspace_amount,
            refunds: 1,
            refunded_ws: r.workspace_amount,
            ..Delta::none(r.currency)
        },
    )
    .await?;
    let status_before = if o.refunded_amount == r.amount {
        "paid"
    } else {
        "partially_refunded"
    };
    let changes = json!({
        "refund_id": r.id,
        "amount": r.amount,
        "currency": r.currency,
        "reason": r.reason,
        "refunded_amount": {"before": o.refunded_amount - r.amount, "after": o.refunded_amount},
        "status": {"before": status_before, "after": o.status},
    });
    audit_order(conn, svc, caller, EventType::RefundCreated, o, changes).await?;
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
    id: &RefundId,
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
            let o = order::Entity::find_by_id(r.order_id.clone())
                .one(&txn)
                .await?
                .ok_or(DomainError::NotFound { what: "order" })?;
            let about = NotificationAbout {
                idempotency_key: Some(r.id.as_str()),
                amount: r.amount,
                ..notification_about(ProviderEventKind::ChargeRefunded, &o)
            };
            receive_notification(&txn, svc, &o, about).await?;
            refund_recorded(&txn, svc, caller, &r, &o).await?;
            let out = to_refund(r)?;
            idempotency::answered(&txn, caller, id.as_str(), &out).await?;
            txn.commit().await?;
            Ok(out)
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
            if let Some(o) = order::Entity::find_by_id(r.order_id.clone())
                .one(&txn)
                .await?
            {
                let reason = e.to_string();
                let about = NotificationAbout {
                    idempotency_key: Some(r.id.as_str()),
                    amount: r.amount,
                    detail: Some(&reason),
                    ..notification_about(ProviderEventKind::RefundFailed, &o)
                };
                receive_notification(&txn, svc, &o, about).await?;
            }
            audit::record(
                &txn,
                svc,
                caller,
                Change::new(EventType::RefundFailed, r.order_id.as_str(), Some(&r.customer_id), json!({"refund_id": r.id, "amount": r.amount, "currency": r.currency, "reason": e.to_string()})),
            )
            .await?;
            let refusal = provider_error(e);
            if let DomainError::PaymentRefused { code, message } = &refusal {
                idempotency::refused(&txn, caller, id.as_str(), *code, message).await?;
            }
            txn.commit().await?;
            Err(refusal)
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
    id: &RefundId,
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
) -> Result<Vec<Result<refund::Model, crate::domain::Unreadable>>, DomainError> {
    claim::<refund::Entity>(
        &svc.db,
        Claim {
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
    let o = order::Entity::find_by_id(r.order_id.clone())
        .one(&svc.db)
        .await?
        .ok_or(DomainError::NotFound { what: "order" })?;
    let payment_id = o.provider_payment_id.ok_or_else(|| {
        DomainError::internal("a pending refund on an order paid outside the provider")
    })?;
    let caller = Caller::system(r.workspace_id.clone());
    match refund_at_provider(svc, &caller, &payment_id, r.amount, &r.id).await {
        Ok(done) if done.status == crate::types::order::RefundStatus::Pending => {
            Err(DomainError::internal("the provider is still unreachable"))
        }
        Ok(_) | Err(DomainError::PaymentRefused { .. } | DomainError::Invalid { .. }) => Ok(()),
        Err(e) => Err(e),
    }
}

pub(super) fn provider_error(e: ProviderError) -> DomainError {
    match e {
        ProviderError::Declined { code, message } => DomainError::PaymentRefused { code, message },
        // What only the provider can check (a card number's or an IBAN's check digits) is
        // its refusal of the method, as a decline is: the request itself was well-formed.
        ProviderError::InvalidMethod { field, message } => DomainError::PaymentRefused {
            code: ErrorCode::PaymentMethodInvalid,
            message: format!("payment_method.{field}: {message}"),
        },
        ProviderError::Unavailable(detail) => DomainError::internal(detail),
    }
}

pub(crate) fn charge_error(e: ProviderError) -> DomainError {
    provider_error(e)
}
