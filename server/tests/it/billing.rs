//! The billing clock and the stats, driven through the domain with a manual clock: renewals,
//! failures and retries, scheduled cancellations, revocation, and stats that always equal a
//! from-scratch recomputation, on both engines.

use std::collections::BTreeMap;

use app::db::Engine;
use app::db::entities::{customer, dispute, order, refund, subscription};
use app::domain::billing::{BillingReport, run_billing};
use app::domain::stats::{get_customer_stats, monthly};
use app::domain::{checkouts, orders, products, subscriptions};
use app::types::customer::CustomerStats;
use app::types::order::{
    Checkout, CheckoutCreate, CheckoutCustomer, DisputeClose, DisputeCreate, DisputeStatus,
    PaymentMethodInput, RefundCreate,
};
use app::types::product::{Benefit, BillingInterval, ProductCreate, ProductKind};
use app::types::subscription::{SubscriptionCancel, SubscriptionRevoke};
use app::types::{CustomerId, Product};
use chrono::{Duration, TimeZone, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::on_both_engines;
use crate::support::TestApp;

/// Billing tests run on the shared fixture, from 31 January (a month with no 31st follows).
pub(crate) type World = TestApp;

pub(crate) async fn world(engine: Engine) -> World {
    TestApp::on(engine)
        .at(Utc.with_ymd_and_hms(2026, 1, 31, 9, 0, 0).unwrap())
        .build()
        .await
}

impl TestApp {
    pub(crate) async fn product(&self, kind: ProductKind, amount: i64, currency: &str) -> Product {
        products::create_product(
            &self.svc,
            &self.caller,
            ProductCreate {
                name: format!("{kind} {currency}"),
                kind,
                amount,
                currency: currency.into(),
                interval: (kind == ProductKind::Subscription).then_some(BillingInterval::Month),
                interval_count: None,
                benefits: vec![Benefit::Custom {
                    description: "access".into(),
                }],
            },
        )
        .await
        .unwrap()
    }

    pub(crate) async fn buy(
        &self,
        product: &Product,
        email: &str,
        number: &str,
    ) -> Result<Checkout, app::domain::DomainError> {
        checkouts::create_checkout(
            &self.svc,
            &self.caller,
            CheckoutCreate {
                customer_id: None,
                customer: Some(CheckoutCustomer {
                    email: Some(email.into()),
                    ..Default::default()
                }),
                product_id: product.id.clone(),
                payment_method: PaymentMethodInput::Card {
                    number: number.into(),
                },
                ip: None,
                customer_note: None,
            },
        )
        .await
    }

    pub(crate) async fn tick(&self, by: Duration) -> BillingReport {
        self.clock.advance(by);
        run_billing(&self.svc).await.unwrap()
    }

    async fn entitlement_statuses(&self, customer: &CustomerId) -> Vec<String> {
        app::domain::entitlements::list_entitlements(&self.svc, &self.caller, customer)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.status.to_string())
            .collect()
    }
}

async fn a_renewal_charges_the_saved_card_and_starts_a_new_period(engine: Engine) {
    let w = world(engine).await;
    let vip = w.product(ProductKind::Subscription, 999, "EUR").await;
    let c = w
        .buy(&vip, "renew@example.com", "4242424242424242")
        .await
        .unwrap();
    let sub = c.subscription.unwrap();
    // Bought on 31 January: the period ends on the last day of February.
    assert_eq!(
        sub.current_period_end,
        Utc.with_ymd_and_hms(2026, 2, 28, 9, 0, 0).unwrap()
    );

    let r = w.tick(Duration::days(10)).await;
    assert_eq!(r.renewed, 0, "nothing is due before the period ends");
    let r = w.tick(Duration::days(20)).await;
    assert_eq!(r.renewed, 1);
    let after = subscriptions::get_subscription(&w.svc, &w.caller, &sub.id)
        .await
        .unwrap();
    assert_eq!(after.status.as_str(), "active");
    assert_eq!(after.current_period_start, sub.current_period_end);
    assert_eq!(
        after.current_period_end,
        Utc.with_ymd_and_hms(2026, 3, 28, 9, 0, 0).unwrap()
    );
    let invoices = subscriptions::list_invoices(&w.svc, &w.caller, &sub.id)
        .await
        .unwrap();
    assert_eq!(invoices.len(), 2);
    assert!(invoices.iter().all(|i| i.status.as_str() == "paid"));
    let stats = get_customer_stats(&w.svc, &w.caller, &c.customer.id)
        .await
        .unwrap();
    assert_eq!(
        (stats.total_payments, stats.lifetime_value, stats.mrr),
        (2, 1998, 999)
    );
    // A clock stopped for three months catches up, one renewal per period.
    let r = w.tick(Duration::days(92)).await;
    assert_eq!(r.renewed, 3);
    w.t.cleanup().await;
}

async fn a_failed_renewal_goes_past_due_retries_then_expires(engine: Engine) {
    let w = world(engine).await;
    let vip = w.product(ProductKind::Subscription, 999, "EUR").await;
    // This test card pays once, then every later charge of it is declined.
    let c = w
        .buy(&vip, "late@example.com", "4000000000000341")
        .await
        .unwrap();
    let sub = c.subscription.unwrap();
    let cus = c.customer.id.clone();

    let r = w.tick(Duration::days(29)).await;
    assert_eq!((r.renewed, r.failed), (0, 1));
    let s = subscriptions::get_subscription(&w.svc, &w.caller, &sub.id)
        .await
        .unwrap();
    assert_eq!(s.status.as_str(), "past_due");
    assert_eq!(s.retry_count, 1);
    assert_eq!(
        w.entitlement_statuses(&cus).await,
        ["active"],
        "benefits stay while retrying"
    );
    let stats = get_customer_stats(&w.svc, &w.caller, &cus).await.unwrap();
    assert_eq!((stats.active_subscriptions, stats.mrr), (0, 0));

    assert_eq!(
        w.tick(Duration::hours(12)).await.failed,
        0,
        "the first retry waits a day"
    );
    assert_eq!(w.tick(Duration::hours(12)).await.failed, 1);
    assert_eq!(w.tick(Duration::days(3)).await.failed, 1);
    let r = w.tick(Duration::days(5)).await;
    assert_eq!(r.expired, 1);
    let s = subscriptions::get_subscription(&w.svc, &w.caller, &sub.id)
        .await
        .unwrap();
    assert_eq!(s.status.as_str(), "expired");
    assert!(s.ended_at.is_some());
    assert_eq!(w.entitlement_statuses(&cus).await, ["expired"]);
    let invoices = subscriptions::list_invoices(&w.svc, &w.caller, &sub.id)
        .await
        .unwrap();
    let renewal = &invoices[0];
    assert_eq!(renewal.status.as_str(), "uncollectible");
    assert_eq!(renewal.attempts.len(), 4);
    assert!(
        renewal
            .attempts
            .iter()
            .all(|a| a.failure_code.as_deref() == Some("card_declined"))
    );
    // The provider reported each declined renewal on the order that started the subscription.
    let sent = orders::list_provider_events(&w.svc, &w.caller, &c.order.id)
        .await
        .unwrap();
    let kinds: Vec<&str> = sent.iter().map(|n| n.kind.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "invoice.payment_failed",
            "invoice.payment_failed",
            "invoice.payment_failed",
            "invoice.payment_failed",
            "charge.succeeded"
        ]
    );
    let body: serde_json::Value = serde_json::from_str(&sent[0].payload).unwrap();
    assert_eq!(body["type"], "invoice.payment_failed");
    assert_eq!(body["data"]["object"]["failure_code"], "card_declined");
    assert_eq!(body["data"]["object"]["amount"], 999);
    assert_eq!(w.tick(Duration::days(40)).await, BillingReport::default());
    w.t.cleanup().await;
}

async fn a_scheduled_cancellation_keeps_benefits_until_the_period_ends(engine: Engine) {
    let w = world(engine).await;
    let vip = w.product(ProductKind::Subscription, 999, "EUR").await;
    let c = w
        .buy(&vip, "leaving@example.com", "4242424242424242")
        .await
        .unwrap();
    let sub = c.subscription.unwrap();
    let cus = c.customer.id.clone();
    subscriptions::cancel_subscription(
        &w.svc,
        &w.caller,
        &sub.id,
        SubscriptionCancel {
            at_period_end: true,
            reason: Some("moving on".into()),
        },
    )
    .await
    .unwrap();
    w.tick(Duration::days(27)).await;
    assert_eq!(w.entitlement_statuses(&cus).await, ["active"]);
    let r = w.tick(Duration::days(2)).await;
    assert_eq!((r.canceled, r.renewed), (1, 0));
    let s = subscriptions::get_subscription(&w.svc, &w.caller, &sub.id)
        .await
        .unwrap();
    assert_eq!(s.status.as_str(), "canceled");
    assert_eq!(s.ended_at, Some(sub.current_period_end));
    assert_eq!(w.entitlement_statuses(&cus).await, ["expired"]);
    let stats = get_customer_stats(&w.svc, &w.caller, &cus).await.unwrap();
    assert_eq!((stats.total_payments, stats.mrr), (1, 0));
    w.t.cleanup().await;
}

async fn cancel_now_keeps_the_paid_period_and_revoke_now_does_not(engine: Engine) {
    let w = world(engine).await;
    let vip = w.product(ProductKind::Subscription, 999, "EUR").await;
    let a = w
        .buy(&vip, "a@example.com", "4242424242424242")
        .await
        .unwrap();
    let b = w
        .buy(&vip, "b@example.com", "5555555555554444")
        .await
        .unwrap();
    let now = subscriptions::cancel_subscription(
        &w.svc,
        &w.caller,
        &a.subscription.as_ref().unwrap().id,
        SubscriptionCancel {
            at_period_end: false,
            reason: None,
        },
    )
    .await
    .unwrap();
    assert_eq!(now.status.as_str(), "canceled");
    assert_eq!(w.entitlement_statuses(&a.customer.id).await, ["active"]);
    subscriptions::revoke_subscription(
        &w.svc,
        &w.caller,
        &b.subscription.as_ref().unwrap().id,
        SubscriptionRevoke {
            reason: Some("abuse".into()),
        },
    )
    .await
    .unwrap();
    assert_eq!(w.entitlement_statuses(&b.customer.id).await, ["revoked"]);
    // The canceled one's benefits run out when its paid month does; nothing renews.
    let r = w.tick(Duration::days(29)).await;
    assert_eq!((r.renewed, r.entitlements_expired), (0, 1));
    assert_eq!(w.entitlement_statuses(&a.customer.id).await, ["expired"]);
    w.t.cleanup().await;
}

async fn a_card_disputed_later_opens_a_dispute_when_the_provider_reports_it(engine: Engine) {
    let w = world(engine).await;
    let kit = w.product(ProductKind::OneTime, 2500, "GBP").await;
    let c = w
        .buy(&kit, "disputes@example.com", "4000000000000259")
        .await
        .unwrap();
    assert_eq!(w.tick(Duration::days(2)).await.disputes_opened, 0);
    let kinds = |sent: Vec<app::types::order::ProviderNotification>| {
        sent.iter()
            .map(|n| n.kind.as_str().to_owned())
            .collect::<Vec<_>>()
    };
    let before = orders::list_provider_events(&w.svc, &w.caller, &c.order.id)
        .await
        .unwrap();
    assert_eq!(
        kinds(before),
        ["charge.succeeded"],
        "not received before it is sent"
    );
    assert_eq!(w.tick(Duration::days(1)).await.disputes_opened, 1);
    let after = orders::list_provider_events(&w.svc, &w.caller, &c.order.id)
        .await
        .unwrap();
    let body: serde_json::Value = serde_json::from_str(&after[0].payload).unwrap();
    assert_eq!(body["type"], "dispute.opened");
    assert!(body["data"]["object"]["reason"].is_string(), "{body}");
    assert_eq!(kinds(after), ["dispute.opened", "charge.succeeded"]);
    let o = orders::get_order(&w.svc, &w.caller, &c.order.id)
        .await
        .unwrap();
    assert_eq!(o.status.as_str(), "disputed");
    assert_eq!(
        w.tick(Duration::days(1)).await.disputes_opened,
        0,
        "applied once"
    );
    w.t.cleanup().await;
}

/// The stats recomputed from the orders, refunds, disputes and subscriptions tables.
pub(crate) async fn recomputed(w: &World, id: &CustomerId) -> CustomerStats {
    let db = &w.t.db;
    let os = order::Entity::find()
        .filter(order::Column::CustomerId.eq(id.as_str()))
        .all(db)
        .await
        .unwrap();
    let rs = refund::Entity::find()
        .filter(refund::Column::CustomerId.eq(id.as_str()))
        .filter(refund::Column::Status.eq("succeeded"))
        .all(db)
        .await
        .unwrap();
    let ds = dispute::Entity::find()
        .filter(dispute::Column::CustomerId.eq(id.as_str()))
        .all(db)
        .await
        .unwrap();
    let subs = subscription::Entity::find()
        .filter(subscription::Column::CustomerId.eq(id.as_str()))
        .filter(subscription::Column::Status.eq("active"))
        .all(db)
        .await
        .unwrap();
    let mut by: BTreeMap<String, [i64; 3]> = BTreeMap::new();
    let paid: Vec<&order::Model> = os.iter().filter(|o| o.paid_at.is_some()).collect();
    for o in &paid {
        by.entry(o.currency.clone()).or_default()[0] += o.amount;
    }
    for r in &rs {
        by.entry(r.currency.clone()).or_default()[1] += r.amount;
    }
    let lost: Vec<&dispute::Model> = ds
        .iter()
        .filter(|d| d.status == app::types::order::DisputeStatus::Lost)
        .collect();
    for d in &lost {
        by.entry(d.currency.clone()).or_default()[2] += d.amount;
    }
    let ltv = paid.iter().map(|o| o.workspace_amount).sum::<i64>()
        - rs.iter().map(|r| r.workspace_amount).sum::<i64>()
        - lost.iter().map(|d| d.workspace_amount).sum::<i64>();
    CustomerStats {
        object: "customer_stats".into(),
        customer_id: id.clone(),
        currency: "EUR".into(),
        lifetime_value: ltv,
        lifetime_value_by_currency: by
            .into_iter()
            .map(
                |(currency, [p, r, cb])| app::types::customer::CurrencyTotals {
                    currency,
                    paid: p,
                    refunded: r,
                    charged_back: cb,
                    net: p - r - cb,
                },
            )
            .collect(),
        total_payments: paid.len() as i64,
        order_count: os.len() as i64,
        last_order_at: os.iter().map(|o| o.created_at).max(),
        mrr: subs
            .iter()
            .map(|s| monthly(s.workspace_amount, s.interval, s.interval_count))
            .sum(),
        active_subscriptions: subs.len() as i64,
        refunds_count: rs.len() as i64,
        refunded_amount: rs.iter().map(|r| r.workspace_amount).sum(),
        disputes_count: ds.len() as i64,
    }
}

async fn stats_equal_a_recomputation_after_a_random_walk(engine: Engine) {
    let w = world(engine).await;
    let catalogue = [
        w.product(ProductKind::OneTime, 1500, "EUR").await,
        w.product(ProductKind::OneTime, 1999, "USD").await,
        w.product(ProductKind::OneTime, 2200, "JPY").await,
        w.product(ProductKind::Subscription, 999, "EUR").await,
        w.product(ProductKind::Subscription, 1299, "GBP").await,
    ];
    let cards = [
        "4242424242424242",
        "5555555555554444",
        "4000000000000002",
        "4000000000000341",
        "4000000000000259",
        "4000002760000016",
    ];
    let emails: Vec<String> = (0..5).map(|i| format!("walker{i}@example.com")).collect();
    let mut rng = StdRng::seed_from_u64(20_261_121);
    let mut paid_orders = Vec::new();
    let mut open_disputes = Vec::new();
    let mut subs = Vec::new();
    for _ in 0..70 {
        match rng.random_range(0..10) {
            0..=3 => {
                let p = &catalogue[rng.random_range(0..catalogue.len())];
                let email = &emails[rng.random_range(0..emails.len())];
                let number = cards[rng.random_range(0..cards.len())];
                if let Ok(c) = w.buy(p, email, number).await {
                    paid_orders.push(c.order.id.clone());
                    if let Some(s) = c.subscription {
                        subs.push(s.id);
                    }
                }
            }
            4 | 5 if !paid_orders.is_empty() => {
                let o = &paid_orders[rng.random_range(0..paid_orders.len())];
                let amount = rng.random_bool(0.3).then(|| rng.random_range(1..900));
                // Refusals (over the balance, disputed, already refunded) are part of the walk.
                let _ = orders::refund_order(
                    &w.svc,
                    &w.caller,
                    o,
                    RefundCreate {
                        amount,
                        ..Default::default()
                    },
                )
                .await;
            }
            6 if !paid_orders.is_empty() => {
                let o = &paid_orders[rng.random_range(0..paid_orders.len())];
                if let Ok(d) =
                    orders::open_dispute(&w.svc, &w.caller, o, DisputeCreate::default()).await
                {
                    open_disputes.push(d.id);
                }
            }
            7 if !open_disputes.is_empty() => {
                let d = open_disputes.swap_remove(rng.random_range(0..open_disputes.len()));
                let outcome = if rng.random_bool(0.5) {
                    DisputeStatus::Won
                } else {
                    DisputeStatus::Lost
                };
                orders::close_dispute(&w.svc, &w.caller, &d, DisputeClose { outcome })
                    .await
                    .unwrap();
            }
            8 if !subs.is_empty() => {
                let s = &subs[rng.random_range(0..subs.len())];
                let _ = subscriptions::cancel_subscription(
                    &w.svc,
                    &w.caller,
                    s,
                    SubscriptionCancel {
                        at_period_end: rng.random_bool(0.5),
                        reason: None,
                    },
                )
                .await;
            }
            _ => {
                w.tick(Duration::days(rng.random_range(1..20))).await;
            }
        }
    }
    w.tick(Duration::days(45)).await;
    let ids: Vec<CustomerId> = customer::Entity::find()
        .all(&w.t.db)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.id)
        .collect();
    assert_eq!(ids.len(), emails.len());
    let mut payments = 0;
    for id in &ids {
        let kept = get_customer_stats(&w.svc, &w.caller, id).await.unwrap();
        assert_eq!(kept, recomputed(&w, id).await, "{id}");
        payments += kept.total_payments;
    }
    assert!(
        payments > 10,
        "the walk should have paid for things: {payments}"
    );
    w.t.cleanup().await;
}

on_both_engines!(
    a_renewal_charges_the_saved_card_and_starts_a_new_period,
    a_failed_renewal_goes_past_due_retries_then_expires,
    a_scheduled_cancellation_keeps_benefits_until_the_period_ends,
    cancel_now_keeps_the_paid_period_and_revoke_now_does_not,
    a_card_disputed_later_opens_a_dispute_when_the_provider_reports_it,
    stats_equal_a_recomputation_after_a_random_walk,
);
