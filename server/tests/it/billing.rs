//! The billing clock and the stats, driven through the domain with a manual clock: renewals,
//! failures and retries, scheduled cancellations, revocation, one charge per renewal however
//! many clocks race for it, and stats that always equal a from-scratch recomputation, on both
//! engines.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use app::db::entities::{charge_attempt, customer, order, subscription};
use app::db::{Engine, Migrator};
use app::domain::billing::{BillingReport, CLAIM, claim_renewal_attempt, run_billing};
use app::domain::payments::{AttemptStatus, Purpose};
use app::domain::provider::{Fault, FaultPoint, MovementKind, SimulatedProvider};
use app::domain::stats::get_customer_stats;
use app::domain::{Services, orders, subscriptions, workspaces};
use app::types::order::{
    DisputeClose, DisputeCreate, DisputeStatus, OrderKind, OrderStatus, RefundCreate,
};
use app::types::product::ProductKind;
use app::types::subscription::{SubscriptionCancel, SubscriptionRevoke};
use app::types::{ChargeAttemptId, CustomerId};
use chrono::{DateTime, Duration, TimeZone, Utc};
use futures::future::join_all;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    Statement,
};
use sea_orm_migration::MigratorTrait;

use crate::on_both_engines;
use crate::support::{TestApp, TestDb, agree, ledger, recomputed, world};

impl TestApp {
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

/// A simulated provider on `db` that takes a while over every charge.
fn slow_provider(db: &DatabaseConnection) -> Arc<SimulatedProvider> {
    let sim = Arc::new(SimulatedProvider::new(db.clone()));
    sim.faults().inject(
        FaultPoint::BeforeCharge,
        Fault::Hang(std::time::Duration::from_millis(3)),
        u32::MAX,
    );
    sim
}

/// Thirty subscriptions three months behind, renewed by two server processes (each with its own
/// pool and provider client, one ledger, one clock) over a slow provider, while every lease keeps
/// running out mid-batch: each clock takes the other's subscriptions over again and again, also
/// between two periods of a catch-up. The old clock charged on from its stale batch: two charges
/// for one period, one of them given back.
async fn two_billing_clocks_taking_each_others_renewals_over_charge_each_period_once(
    engine: Engine,
) {
    let w = world(engine).await;
    let vip = w.product(ProductKind::Subscription, 999, "EUR").await;
    let mut subs = Vec::new();
    for i in 0..30 {
        let c = w
            .buy(&vip, &format!("race{i}@example.com"), "4242424242424242")
            .await
            .unwrap();
        subs.push(c.subscription.unwrap().id);
        // Each its own period end: both clocks go through the subscriptions in one order.
        w.clock.advance(Duration::seconds(1));
    }
    let one = w.svc.clone().with_provider(slow_provider(&w.t.db));
    let other_db = w.t.connect_again().await;
    let other = Services::new(other_db.clone())
        .with_clock(w.clock.clone())
        .with_provider(slow_provider(&other_db));

    w.clock.advance(Duration::days(92));
    let stop = Arc::new(AtomicBool::new(false));
    let keep_billing = |svc: Services| {
        let stop = stop.clone();
        tokio::spawn(async move {
            let mut renewed = 0;
            while !stop.load(Ordering::SeqCst) {
                renewed += run_billing(&svc).await.unwrap().renewed;
                tokio::task::yield_now().await;
            }
            renewed
        })
    };
    let (a, b) = (keep_billing(one.clone()), keep_billing(other.clone()));
    for _ in 0..100 {
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        w.clock.advance(CLAIM + Duration::seconds(1));
    }
    stop.store(true, Ordering::SeqCst);
    let mut renewed = a.await.unwrap() + b.await.unwrap();
    // Whatever a clock left as it stopped, the next run finishes.
    for _ in 0..3 {
        w.clock.advance(Duration::hours(1));
        renewed += run_billing(&one).await.unwrap().renewed;
    }

    assert_eq!(
        renewed, 90,
        "three renewals for each of the 30 subscriptions"
    );
    let movements = ledger(&one).await;
    let attempts: HashMap<String, charge_attempt::Model> = charge_attempt::Entity::find()
        .filter(charge_attempt::Column::Purpose.eq(Purpose::Renewal))
        .all(&w.t.db)
        .await
        .unwrap()
        .into_iter()
        .map(|a| (a.id.to_string(), a))
        .collect();
    let mut per_period: HashMap<(String, DateTime<Utc>), usize> = HashMap::new();
    for m in movements.iter().filter(|m| m.kind == MovementKind::Charge) {
        if let Some(a) = attempts.get(&m.idempotency_key) {
            let key = (
                a.subscription_id.as_ref().unwrap().to_string(),
                a.period_start.unwrap(),
            );
            *per_period.entry(key).or_default() += 1;
        }
    }
    assert_eq!(per_period.len(), 90, "every period charged");
    assert!(
        per_period.values().all(|n| *n == 1),
        "a period charged more than once: {per_period:?}"
    );
    assert_eq!(
        movements
            .iter()
            .filter(|m| m.kind == MovementKind::Charge)
            .count(),
        120,
        "the 30 purchases and 90 renewals, nothing more"
    );
    assert_eq!(
        movements
            .iter()
            .filter(|m| m.kind == MovementKind::Refund)
            .count(),
        0,
        "no customer saw a charge given back"
    );
    assert!(
        attempts
            .values()
            .all(|a| a.status != AttemptStatus::Voided && a.status != AttemptStatus::Voiding),
        "no renewal was given back"
    );
    for id in &subs {
        let renewals = order::Entity::find()
            .filter(order::Column::SubscriptionId.eq(id.as_str()))
            .filter(order::Column::Kind.eq(OrderKind::Renewal))
            .all(&w.t.db)
            .await
            .unwrap();
        assert_eq!(renewals.len(), 3, "{id}");
        assert!(renewals.iter().all(|o| o.status == OrderStatus::Paid));
    }
    agree(&one).await;
    other_db.close().await.unwrap();
    w.cleanup().await;
}

/// However many clocks claim a renewal at once, and a later one after them, the period and try
/// have one attempt, and the charge goes through under its key once.
async fn a_renewal_claimed_by_several_clocks_at_once_has_one_attempt(engine: Engine) {
    let w = world(engine).await;
    let vip = w.product(ProductKind::Subscription, 999, "EUR").await;
    let c = w
        .buy(&vip, "once@example.com", "4242424242424242")
        .await
        .unwrap();
    let sub_id = c.subscription.unwrap().id;
    w.clock.advance(Duration::days(29));
    let row = subscription::Entity::find_by_id(sub_id.clone())
        .one(&w.t.db)
        .await
        .unwrap()
        .unwrap();

    // Ten at once, each on its own task and pooled connection.
    let claims = join_all((0..10).map(|_| {
        let (svc, row) = (w.svc.clone(), row.clone());
        tokio::spawn(async move { claim_renewal_attempt(&svc, &row).await })
    }))
    .await;
    let mut ids: HashSet<ChargeAttemptId> = claims
        .into_iter()
        .map(|r| r.unwrap().unwrap().expect("an attempt to charge").id)
        .collect();
    let later = claim_renewal_attempt(&w.svc, &row)
        .await
        .unwrap()
        .expect("the unsettled attempt, taken up again");
    ids.insert(later.id.clone());
    assert_eq!(ids.len(), 1, "every claim reuses one attempt: {ids:?}");
    let recorded = charge_attempt::Entity::find()
        .filter(charge_attempt::Column::SubscriptionId.eq(sub_id.as_str()))
        .filter(charge_attempt::Column::Purpose.eq(Purpose::Renewal))
        .count(&w.t.db)
        .await
        .unwrap();
    assert_eq!(recorded, 1);

    assert_eq!(run_billing(&w.svc).await.unwrap().renewed, 1);
    let charges: Vec<String> = ledger(&w.svc)
        .await
        .into_iter()
        .filter(|m| m.kind == MovementKind::Charge)
        .map(|m| m.idempotency_key)
        .collect();
    assert_eq!(
        charges.len(),
        2,
        "the purchase and one renewal: {charges:?}"
    );
    assert!(charges.contains(&later.id.to_string()), "{charges:?}");
    w.cleanup().await;
}

/// Each attempt's id and what it duplicates, in id order.
async fn duplicate_marks(db: &DatabaseConnection) -> Vec<(String, Option<String>)> {
    db.query_all_raw(Statement::from_string(
        db.get_database_backend(),
        "SELECT id, duplicate_of FROM charge_attempts ORDER BY id",
    ))
    .await
    .unwrap()
    .into_iter()
    .map(|r| {
        (
            r.try_get_by_index::<String>(0).unwrap(),
            r.try_get_by_index::<Option<String>>(1).unwrap(),
        )
    })
    .collect()
}

/// Attempts the old clock doubled before the unique indexes came stay as history: the older of
/// each group is marked a duplicate of the newest, which the index then holds; the migration
/// goes down and up again over them.
async fn attempts_the_old_clock_doubled_are_kept_when_the_unique_index_comes(engine: Engine) {
    let t = TestDb::migrated_before(engine, "m20261207_000023_renewal_attempts_unique").await;
    let svc = Services::new(t.db.clone());
    let ws = workspaces::create_workspace(
        &svc,
        workspaces::NewWorkspace {
            name: "Shop".into(),
            default_currency: app::types::money::CurrencyCode::EUR,
        },
    )
    .await
    .unwrap();
    let backend = t.db.get_database_backend();
    let period = Utc.with_ymd_and_hms(2026, 2, 28, 9, 0, 0).unwrap();
    let now = Utc::now();
    let insert = |id: &'static str,
                  purpose: &'static str,
                  status: &'static str,
                  sub: Option<&'static str>,
                  order: Option<&'static str>| {
        let db = t.db.clone();
        let ws = ws.id.as_str().to_owned();
        async move {
            db.execute_raw(Statement::from_sql_and_values(
                backend,
                "INSERT INTO charge_attempts (id, workspace_id, purpose, status, amount, currency, \
                 subscription_id, period_start, retry_count, order_id, lease_until, tries, \
                 created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, 999, 'EUR', $5, $6, $7, $8, $9, 0, $9, $9)",
                [
                    id.into(),
                    ws.into(),
                    purpose.into(),
                    status.into(),
                    sub.into(),
                    sub.map(|_| period).into(),
                    sub.map(|_| 0i32).into(),
                    order.into(),
                    now.into(),
                ],
            ))
            .await
        }
    };
    // As two racing clocks left them: a paid renewal and a pending one of the same period and
    // try, one given back; another subscription's lone attempt; two unsettled payments of one
    // order.
    for (id, purpose, status, sub, order) in [
        ("cha_1", "renewal", "succeeded", Some("sub_1"), None),
        ("cha_2", "renewal", "pending", Some("sub_1"), None),
        ("cha_3", "renewal", "voided", Some("sub_1"), None),
        ("cha_4", "renewal", "pending", Some("sub_2"), None),
        ("cha_5", "order_payment", "abandoned", None, Some("ord_1")),
        ("cha_6", "order_payment", "pending", None, Some("ord_1")),
    ] {
        insert(id, purpose, status, sub, order).await.unwrap();
    }

    let marked = |a: &str, of: Option<&str>| (a.to_owned(), of.map(str::to_owned));
    let expected = vec![
        marked("cha_1", Some("cha_2")),
        marked("cha_2", None),
        marked("cha_3", None),
        marked("cha_4", None),
        marked("cha_5", Some("cha_6")),
        marked("cha_6", None),
    ];
    Migrator::up(&t.db, Some(1)).await.unwrap();
    assert_eq!(duplicate_marks(&t.db).await, expected);
    assert!(
        insert("cha_7", "renewal", "pending", Some("sub_1"), None)
            .await
            .is_err(),
        "a second live attempt for one period and try is refused"
    );
    assert!(
        insert("cha_8", "order_payment", "pending", None, Some("ord_1"))
            .await
            .is_err(),
        "a second unsettled payment of one order is refused"
    );
    insert("cha_9", "renewal", "declined", Some("sub_1"), None)
        .await
        .unwrap();
    let mut again = expected;
    again.push(marked("cha_9", None));
    assert_eq!(duplicate_marks(&t.db).await, again);
    t.cleanup().await;
}

on_both_engines!(
    a_renewal_charges_the_saved_card_and_starts_a_new_period,
    a_failed_renewal_goes_past_due_retries_then_expires,
    a_scheduled_cancellation_keeps_benefits_until_the_period_ends,
    cancel_now_keeps_the_paid_period_and_revoke_now_does_not,
    a_card_disputed_later_opens_a_dispute_when_the_provider_reports_it,
    stats_equal_a_recomputation_after_a_random_walk,
    two_billing_clocks_taking_each_others_renewals_over_charge_each_period_once,
    a_renewal_claimed_by_several_clocks_at_once_has_one_attempt,
    attempts_the_old_clock_doubled_are_kept_when_the_unique_index_comes,
);
