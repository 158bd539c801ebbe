//! Checkout ingestion: find or create the customer, refuse blocked details, charge through the
//! provider, then write the order, subscription, invoice, entitlements, payment details, stats
//! and events in one transaction.

use crate::types::EventType;
use crate::types::{ChargeAttemptId, ErrorCode};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};

use crate::db::entities::{customer, product, subscription as sub};
use crate::types::customer::CustomerCreate;
use crate::types::money::CurrencyCode;
use crate::types::order::Checkout;
use crate::types::order::{CheckoutCreate, OrderKind, PaymentMethodType};
use crate::types::product::{BillingInterval, ProductKind};
use crate::types::subscription::SubscriptionStatus;
use crate::types::{Scope, SubscriptionId};

use super::actor::Caller;
use super::bans;
use super::entitlements::{self, GrantSource};
use super::orders::{self, NewOrder, Outcome};
use super::provider::{PaymentSource, ProviderError};
use super::{
    DomainError, Services, customers, idempotency, optional_text, payment_details, payments,
    products, stats, subscriptions, to_json, validate,
};

/// Who the buyer is, once checked.
#[derive(Debug, Clone, Default)]
struct Buyer {
    external_id: Option<String>,
    email: Option<String>,
    name: Option<String>,
    country: Option<String>,
}

/// The customer a checkout is for: by id, else by external id, else by email (the most recent
/// one not archived). `None`: a new customer.
async fn find_customer<C: ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    input: &CheckoutCreate,
    buyer: &Buyer,
) -> Result<Option<customer::Model>, DomainError> {
    let ws = &caller.workspace_id;
    if let Some(id) = &input.customer_id {
        let mut row = customers::row(conn, caller, id).await?;
        // A merged customer's id keeps resolving: its survivor buys.
        if let Some(into) = row.merged_into.clone() {
            row = customers::row(conn, caller, &into).await?;
        }
        // An erased customer is a record of what they bought, not someone to sell to.
        super::erasure::refuse_if_erased(&row)?;
        return Ok(Some(row));
    }
    if let Some(x) = &buyer.external_id {
        let found = customer::Entity::find()
            .filter(customer::Column::WorkspaceId.eq(ws))
            .filter(customer::Column::ExternalId.eq(x.as_str()))
            .one(conn)
            .await?;
        if found.is_some() {
            return Ok(found);
        }
    }
    if let Some(email) = &buyer.email {
        let mut q = customer::Entity::find()
            .filter(customer::Column::WorkspaceId.eq(ws))
            .filter(customer::Column::Email.eq(email.as_str()))
            .filter(customer::Column::ArchivedAt.is_null());
        // A customer with another external id is someone else who shares the email.
        if buyer.external_id.is_some() {
            q = q.filter(customer::Column::ExternalId.is_null());
        }
        return Ok(q.order_by_desc(customer::Column::Id).one(conn).await?);
    }
    Ok(None)
}

fn check_buyer(input: &CheckoutCreate) -> Result<Buyer, DomainError> {
    let Some(c) = &input.customer else {
        return Ok(Buyer::default());
    };
    let within = |e: DomainError| e.within("customer");
    Ok(Buyer {
        external_id: c
            .external_id
            .as_deref()
            .map(|v| validate::text("external_id", v, 255))
            .transpose()
            .map_err(within)?,
        email: c
            .email
            .as_deref()
            .map(validate::normalise_email)
            .transpose()
            .map_err(within)?,
        name: c
            .name
            .as_deref()
            .map(|v| validate::text("name", v, 200))
            .transpose()
            .map_err(within)?,
        country: c
            .country
            .as_deref()
            .map(validate::country)
            .transpose()
            .map_err(within)?,
    })
}

/// Records a purchase. Refused (402, nothing written) when a detail is blocked; a declined
/// payment is recorded as a failed order and answered with 402.
pub async fn create_checkout(
    svc: &Services,
    caller: &Caller,
    input: CheckoutCreate,
) -> Result<Checkout, DomainError> {
    caller.require(Scope::CheckoutsWrite)?;
    // A retry of a checkout that already settled answers as it did, whatever changed since
    // (the product archived, a ban added): nothing is checked or charged again.
    if let Some(idempotency::Bound {
        outcome: Some(outcome),
        ..
    }) = idempotency::bound(&svc.db, caller).await?
    {
        return idempotency::replay(&outcome);
    }
    if input.customer_id.is_some() && input.customer.is_some() {
        return Err(DomainError::unprocessable(
            "customer",
            "give either customer_id or customer, not both",
        ));
    }
    if input.customer_id.is_none() && input.customer.is_none() {
        return Err(DomainError::unprocessable(
            "customer",
            "give customer_id, or customer with an external_id or email",
        ));
    }
    let buyer = check_buyer(&input)?;
    if input.customer.is_some() && buyer.external_id.is_none() && buyer.email.is_none() {
        return Err(DomainError::unprocessable(
            "customer",
            "needs an external_id or an email to find or create the customer",
        ));
    }
    let ip = input
        .ip
        .as_deref()
        .map(|v| validate::ip("ip", v))
        .transpose()?;
    let note = optional_text("customer_note", input.customer_note.as_deref(), 1000)?;
    // Another workspace's product or customer is "not found", like any unknown id.
    let product = products::find_row(&svc.db, caller, &input.product_id).await?;
    if product.archived_at.is_some() {
        return Err(DomainError::Conflict {
            code: ErrorCode::ProductArchived,
            message: "the product is archived and can no longer be bought".into(),
        });
    }
    let method = svc
        .provider
        .describe(&input.payment_method)
        .map_err(orders::charge_error)?;
    let existing = find_customer(&svc.db, caller, &input, &buyer).await?;
    let email = existing
        .as_ref()
        .and_then(|c| c.email.clone())
        .or(buyer.email.clone());
    let details = payment_details::of_payment(Some(&method), email.as_deref(), ip.as_deref());
    payment_details::refuse_blocked(&svc.db, &caller.workspace_id, &details).await?;
    // A ban on any identity of the purchase (given now, or on file) refuses it.
    let on_file = existing.as_ref();
    let probe = bans::Probe {
        customer_id: on_file.map(|c| c.id.clone()),
        names: [buyer.name.clone(), on_file.and_then(|c| c.name.clone())]
            .into_iter()
            .flatten()
            .collect(),
        emails: [buyer.email.clone(), on_file.and_then(|c| c.email.clone())]
            .into_iter()
            .flatten()
            .collect(),
        external_ids: [
            buyer.external_id.clone(),
            on_file.and_then(|c| c.external_id.clone()),
        ]
        .into_iter()
        .flatten()
        .collect(),
        ips: ip.iter().cloned().collect(),
        cards: method
            .fingerprint
            .iter()
            .filter(|_| method.kind == PaymentMethodType::Card)
            .cloned()
            .collect(),
    };
    bans::refuse_banned(&svc.db, &caller.workspace_id, svc.clock.now(), &probe).await?;
    // The grant puts the customer's external id into game-server commands: one that does not
    // fit is refused now, before any money moves.
    entitlements::check_player_ids(
        &product,
        on_file.map(|c| &c.id),
        on_file
            .and_then(|c| c.external_id.as_deref())
            .or(buyer.external_id.as_deref()),
    )?;

    let currency = product.currency;
    let ws_currency = orders::workspace_currency(&svc.db, &caller.workspace_id).await?;
    // The intent first, committed and bound to the request's Idempotency-Key: its id is the
    // charge's idempotency key. A retry under the request's key meets that attempt instead.
    let started = payments::start(
        svc,
        caller,
        payments::NewAttempt {
            workspace_id: caller.workspace_id.clone(),
            purpose: payments::Purpose::Checkout,
            amount: product.amount,
            currency: product.currency,
            customer_id: existing.as_ref().map(|c| c.id.clone()),
            subscription_id: None,
            period_start: None,
            retry_count: None,
            order_id: None,
        },
    )
    .await?;
    let attempt = match started {
        payments::Start::Charge(a) => *a,
        payments::Start::Replay(outcome) => return idempotency::replay(&outcome),
    };
    let (svc, caller) = (svc.clone(), caller.clone());
    payments::detached(async move {
        let source = PaymentSource::New(&input.payment_method);
        let charged = payments::charge(&svc, &attempt, currency, ws_currency, source).await;
        let charge = match charged {
            Ok(c) => c,
            Err(ProviderError::Declined { code, message }) => {
                // The attempt is history the merchant wants to see: record the customer and the
                // failed order, then answer with the decline.
                let txn = svc.write_txn().await?;
                if !payments::decline(&txn, &svc, &attempt.id, code).await? {
                    // Settled by another task that took the attempt over: its answer stands.
                    txn.rollback().await?;
                    return Err(idempotency::in_flight());
                }
                let (c, _) = customer_for(
                    &txn,
                    &svc,
                    &caller,
                    existing,
                    &buyer,
                    method.country.clone(),
                )
                .await?;
                orders::record(
                    &txn,
                    &svc,
                    &caller,
                    NewOrder {
                        customer_id: c.id.clone(),
                        product_id: product.id.clone(),
                        subscription_id: None,
                        kind: OrderKind::Purchase,
                        amount: product.amount,
                        currency,
                        workspace_currency: ws_currency,
                        ip: ip.clone(),
                        customer_note: note.clone(),
                        outcome: Outcome::Failed {
                            method: Some(method.clone()),
                            code,
                            message: message.clone(),
                        },
                    },
                )
                .await?;
                payment_details::remember(&txn, &c.workspace_id, &c.id, &details, svc.clock.now())
                    .await?;
                idempotency::refused(&txn, &caller, attempt.id.as_str(), code, &message).await?;
                txn.commit().await?;
                return Err(DomainError::PaymentRefused { code, message });
            }
            // Unknown whether money moved: the attempt stays pending. After its lease, a retry
            // under the same key finishes it, or the reconciliation job asks the provider under
            // its key and gives back anything it finds.
            Err(e) => return Err(orders::charge_error(e)),
        };

        let written = write_paid(
            &svc,
            &caller,
            existing,
            &buyer,
            &product,
            currency,
            ws_currency,
            &charge,
            ip,
            note,
            &details,
            &attempt.id,
        )
        .await;
        payments::keep_or_void(&svc, &attempt, &charge.payment_id, written).await
    })
    .await
}

async fn customer_for<C: ConnectionTrait>(
    conn: &C,
    svc: &Services,
    caller: &Caller,
    existing: Option<customer::Model>,
    buyer: &Buyer,
    detected_country: Option<String>,
) -> Result<(customer::Model, bool), DomainError> {
    if let Some(c) = existing {
        if c.country.is_none()
            && let Some(country) = buyer.country.clone().or(detected_country)
        {
            // Detected now for a customer who had none: a change like any other, versioned and
            // in the audit trail.
            customer::Entity::update_many()
                .col_expr(customer::Column::Country, Expr::val(Some(country.clone())))
                .col_expr(
                    customer::Column::Version,
                    Expr::col(customer::Column::Version).add(1),
                )
                .col_expr(customer::Column::UpdatedAt, Expr::val(svc.clock.now()))
                .filter(customer::Column::Id.eq(c.id.as_str()))
                .exec(conn)
                .await?;
            super::audit::record(
                conn,
                svc,
                caller,
                super::audit::Change::customer(
                    EventType::CustomerUpdated,
                    &c.id,
                    serde_json::json!({"country": {"before": null, "after": country}}),
                ),
            )
            .await?;
            let c = customer::Entity::find_by_id(c.id.clone())
                .one(conn)
                .await?
                .ok_or(DomainError::NotFound { what: "customer" })?;
            return Ok((c, false));
        }
        return Ok((c, false));
    }
    let created = customers::create_in(
        conn,
        svc,
        caller,
        CustomerCreate {
            external_id: buyer.external_id.clone(),
            email: buyer.email.clone(),
            name: buyer.name.clone(),
            country: buyer.country.clone().or(detected_country),
            ..Default::default()
        },
    )
    .await?;
    Ok((created, true))
}

#[allow(clippy::too_many_arguments)]
async fn write_paid(
    svc: &Services,
    caller: &Caller,
    existing: Option<customer::Model>,
    buyer: &Buyer,
    product: &product::Model,
    currency: CurrencyCode,
    ws_currency: CurrencyCode,
    charge: &super::provider::Charge,
    ip: Option<String>,
    note: Option<String>,
    details: &[payment_details::Detail],
    attempt_id: &ChargeAttemptId,
) -> Result<Checkout, DomainError> {
    let now = svc.clock.now();
    let txn = svc.write_txn().await?;
    let (customer, created) = customer_for(
        &txn,
        svc,
        caller,
        existing,
        buyer,
        charge.method.country.clone(),
    )
    .await?;
    let subscription = if product.kind == ProductKind::Subscription {
        let interval = product.interval.unwrap_or(BillingInterval::Month);
        let count = product.interval_count.unwrap_or(1);
        let row = sub::ActiveModel {
            id: Set(SubscriptionId::generate_at(svc.clock.now())),
            workspace_id: Set(caller.workspace_id.clone()),
            customer_id: Set(customer.id.clone()),
            product_id: Set(product.id.clone()),
            status: Set(SubscriptionStatus::Active),
            amount: Set(product.amount),
            currency: Set(currency),
            workspace_amount: Set(crate::types::money::convert(
                product.amount,
                currency,
                ws_currency,
                charge.exchange_rate_micros,
            )),
            interval: Set(interval),
            interval_count: Set(count),
            payment_method: Set(to_json(&charge.method)?),
            payment_token: Set(charge.token.clone()),
            current_period_start: Set(now),
            current_period_end: Set(subscriptions::period_end(now, interval, count)),
            cancel_at_period_end: Set(false),
            canceled_at: Set(None),
            ended_at: Set(None),
            cancel_reason: Set(None),
            retry_count: Set(0),
            next_retry_at: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
            version: Set(1),
            claimed_until: Set(None),
            claim_failures: Set(0),
        }
        .insert(&txn)
        .await?;
        Some(row)
    } else {
        None
    };
    let order = orders::record(
        &txn,
        svc,
        caller,
        NewOrder {
            customer_id: customer.id.clone(),
            product_id: product.id.clone(),
            subscription_id: subscription.as_ref().map(|s| s.id.clone()),
            kind: OrderKind::Purchase,
            amount: product.amount,
            currency,
            workspace_currency: ws_currency,
            ip,
            customer_note: note,
            outcome: Outcome::charged(charge),
        },
    )
    .await?;
    payments::settle(&txn, svc, attempt_id, &order.id, &charge.payment_id).await?;
    if let Some(s) = &subscription {
        let inv =
            subscriptions::open_invoice(&txn, s, s.current_period_start, s.current_period_end, now)
                .await?;
        subscriptions::record_attempt(&txn, &inv, Ok((&order.id, &charge.payment_id)), now).await?;
        stats::refresh_subscriptions(&txn, &s.workspace_id, &s.customer_id).await?;
        super::audit::record(
            &txn,
            svc,
            caller,
            super::audit::Change::new(
                EventType::SubscriptionCreated,
                s.id.as_str(),
                Some(&s.customer_id),
                serde_json::json!({
                    "customer_id": s.customer_id,
                    "product_id": s.product_id,
                    "status": s.status,
                    "current_period_end": s.current_period_end,
                }),
            ),
        )
        .await?;
    }
    let granted = entitlements::grant(
        &txn,
        svc,
        caller,
        product,
        &customer.id,
        customer.external_id.as_deref(),
        GrantSource {
            order_id: Some(order.id.clone()),
            subscription_id: subscription.as_ref().map(|s| s.id.clone()),
            expires_at: None,
        },
    )
    .await?;
    payment_details::remember(&txn, &customer.workspace_id, &customer.id, details, now).await?;
    let checkout = Checkout {
        object: "checkout".into(),
        customer_created: created,
        customer: customers::present(customer)?,
        order: orders::present_one(&txn, order).await?,
        subscription: match subscription {
            Some(s) => Some(subscriptions::present_one(&txn, s).await?),
            None => None,
        },
        entitlements: entitlements::present(&txn, granted).await?,
    };
    idempotency::answered(&txn, caller, attempt_id.as_str(), &checkout).await?;
    txn.commit().await?;
    Ok(checkout)
}
