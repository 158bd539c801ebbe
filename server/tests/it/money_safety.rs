//! Money never moves without its record: exactly-once renewals across two billing clocks, the
//! provider failing after it moved money, a failed commit, a request dropped mid-way, and
//! concurrent closes, repayments and revokes; each checked against the provider's own ledger.

use std::sync::Arc;

use app::db::Engine;
use app::db::entities::{charge_attempt, entitlement_command, order, refund, subscription};
use app::domain::billing::run_billing;
use app::domain::payments::{self, AttemptStatus, compare};
use app::domain::provider::{Fault, FaultPoint, MovementKind, SimulatedProvider};
use app::domain::reconciliation::reconcile;
use app::domain::stats::get_customer_stats;
use app::domain::{DomainError, Services, entitlements, orders};
use app::types::entitlement::EntitlementRevoke;
use app::types::order::{
    DisputeClose, DisputeCreate, DisputeStatus, OrderKind, OrderStatus, RefundCreate, RefundStatus,
    RepaymentCreate, RepaymentMethod,
};
use app::types::product::{Benefit, BillingInterval, ProductCreate, ProductKind};
use app::types::{CustomerId, OrderId, Scope};
use chrono::Duration;
use futures::future::join_all;
use reqwest::StatusCode;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect,
};
use sea_orm_migration::MigratorTrait;
use serde_json::json;

use crate::on_both_engines;
use crate::support::{
    Api, TestApp, TestDb, TestServer, World, agree, assert_error, assert_every, movements,
    recomputed, world,
};

const CARD: &str = "4242424242424242";

/// The world's services with a simulated provider the test can inject faults into.
fn faulty(w: &World) -> (Services, Arc<SimulatedProvider>) {
    let sim = Arc::new(SimulatedProvider::new(w.t.db.clone()));
    (w.svc.clone().with_provider(sim.clone()), sim)
}

/// Runs `n` copies of `op` at once, each on its own task (and so its own pooled connection);
/// their answers.
async fn race<T, Fut>(n: usize, op: impl Fn() -> Fut) -> Vec<Result<T, DomainError>>
where
    T: Send + 'static,
    Fut: std::future::Future<Output = Result<T, DomainError>> + Send + 'static,
{
    join_all((0..n).map(|_| tokio::spawn(op())))
        .await
        .into_iter()
        .map(|r| r.unwrap())
        .collect()
}

fn winners<T>(results: &[Result<T, DomainError>]) -> usize {
    results.iter().filter(|r| r.is_ok()).count()
}

async fn orders_of(w: &World, customer: &CustomerId) -> Vec<order::Model> {
    order::Entity::find()
        .filter(order::Column::CustomerId.eq(customer.as_str()))
        .all(&w.t.db)
        .await
        .unwrap()
}

async fn two_billing_clocks_renew_each_subscription_exactly_once(engine: Engine) {
    let w = world(engine).await;
    let vip = w.product(ProductKind::Subscription, 999, "EUR").await;
    let mut customers = Vec::new();
    for i in 0..200 {
        let c = w
            .buy(&vip, &format!("sub{i}@example.com"), CARD)
            .await
            .unwrap();
        customers.push(c.customer.id);
    }
    assert_eq!(movements(&w.svc, MovementKind::Charge).await, 200);
    // A second server process: its own pool of connections, the same clock.
    let other_db = w.t.connect_again().await;
    let other = Services::new(other_db.clone()).with_clock(w.clock.clone());

    w.clock.advance(Duration::days(31));
    let mut renewed = 0;
    for _ in 0..3 {
        let (a, b) = tokio::join!(run_billing(&w.svc), run_billing(&other));
        renewed += a.unwrap().renewed + b.unwrap().renewed;
    }
    assert_eq!(renewed, 200, "every subscription renews, once");
    assert_eq!(
        movements(&w.svc, MovementKind::Charge).await,
        400,
        "the provider saw one charge per subscription per period"
    );
    assert_eq!(movements(&w.svc, MovementKind::Refund).await, 0);
    for c in &customers {
        let paid = orders_of(&w, c).await;
        assert_eq!(paid.len(), 2, "a purchase and one renewal for {c}");
        assert!(paid.iter().all(|o| o.status == OrderStatus::Paid));
    }
    let subs = subscription::Entity::find().all(&w.t.db).await.unwrap();
    assert_eq!(subs.len(), 200);
    let now = app::domain::Clock::now(w.clock.as_ref());
    assert!(subs.iter().all(|s| s.current_period_end > now));
    agree(&w.svc).await;
    other_db.close().await.unwrap();
    w.t.cleanup().await;
}

async fn a_charge_the_provider_made_but_never_confirmed_is_given_back(engine: Engine) {
    let w = world(engine).await;
    let (svc, sim) = faulty(&w);
    let book = w.product(ProductKind::OneTime, 1500, "EUR").await;
    sim.faults().inject(FaultPoint::AfterCharge, Fault::Fail, 1);
    let w2 = World {
        svc: svc.clone(),
        ..w
    };
    let lost = w2.buy(&book, "lost@example.com", CARD).await;
    assert!(matches!(lost, Err(DomainError::Internal(_))), "{lost:?}");
    // The provider took the money; Patron has an attempt and no order.
    let before = compare(&svc).await.unwrap();
    assert_eq!(before.len(), 1, "{before:?}");
    assert!(before[0].0.contains("Patron has no order"), "{}", before[0]);

    // Inside its lease nobody touches it; after, the reconciliation job gives it back.
    assert_eq!(reconcile(&svc).await.unwrap().voided, 0);
    w2.clock.advance(payments::LEASE + Duration::seconds(1));
    let r = reconcile(&svc).await.unwrap();
    assert_eq!(r.voided, 1, "{r:?}");
    assert_eq!(movements(&svc, MovementKind::Charge).await, 1);
    assert_eq!(movements(&svc, MovementKind::Refund).await, 1);
    agree(&svc).await;
    // Run again: nothing left to do, and the ledger still agrees.
    assert_eq!(reconcile(&svc).await.unwrap(), Default::default());
    // The buyer tries again and it works.
    w2.buy(&book, "lost@example.com", CARD).await.unwrap();
    agree(&svc).await;
    w2.t.cleanup().await;
}

async fn two_reconciliation_jobs_take_each_lost_charge_once(engine: Engine) {
    let w = world(engine).await;
    let (svc, sim) = faulty(&w);
    let w = World { svc, ..w };
    let book = w.product(ProductKind::OneTime, 700, "EUR").await;
    sim.faults()
        .inject(FaultPoint::AfterCharge, Fault::Fail, 20);
    for i in 0..20 {
        assert!(
            w.buy(&book, &format!("lost{i}@example.com"), CARD)
                .await
                .is_err()
        );
    }
    assert_eq!(compare(&w.svc).await.unwrap().len(), 20);
    // A second server process with its own connections and provider client.
    let other_db = w.t.connect_again().await;
    let other = Services::new(other_db.clone())
        .with_clock(w.clock.clone())
        .with_provider(Arc::new(SimulatedProvider::new(other_db.clone())));
    w.clock.advance(payments::LEASE + Duration::seconds(1));
    let (a, b) = tokio::join!(reconcile(&w.svc), reconcile(&other));
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(
        a.voided + b.voided,
        20,
        "each charge taken by one job: {a:?} {b:?}"
    );
    assert_eq!(a.errors + b.errors, 0);
    assert_eq!(movements(&w.svc, MovementKind::Refund).await, 20);
    agree(&w.svc).await;
    other_db.close().await.unwrap();
    w.t.cleanup().await;
}

async fn a_renewal_the_provider_never_confirmed_is_recorded_by_the_job(engine: Engine) {
    let w = world(engine).await;
    let (svc, sim) = faulty(&w);
    let w = World { svc, ..w };
    let vip = w.product(ProductKind::Subscription, 999, "EUR").await;
    let c = w.buy(&vip, "renew@example.com", CARD).await.unwrap();
    let sub = c.subscription.unwrap();
    sim.faults().inject(FaultPoint::AfterCharge, Fault::Fail, 1);
    let r = w.tick(Duration::days(31)).await;
    assert_eq!(r.renewed, 0, "the provider's answer never came");
    assert_eq!(compare(&w.svc).await.unwrap().len(), 1);

    w.clock.advance(payments::LEASE + Duration::seconds(1));
    let r = reconcile(&w.svc).await.unwrap();
    assert_eq!(r.finished, 1, "{r:?}");
    let orders = orders_of(&w, &c.customer.id).await;
    assert_eq!(orders.len(), 2);
    let after = subscription::Entity::find_by_id(sub.id.clone())
        .one(&w.t.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(after.current_period_start, sub.current_period_end);
    // The billing clock finds nothing more to charge for this period.
    assert_eq!(w.tick(Duration::minutes(10)).await.renewed, 0);
    assert_eq!(movements(&w.svc, MovementKind::Charge).await, 2);
    agree(&w.svc).await;
    assert_eq!(
        get_customer_stats(&w.svc, &w.caller, &c.customer.id)
            .await
            .unwrap(),
        recomputed(&w, &c.customer.id).await
    );
    w.t.cleanup().await;
}

async fn a_renewal_that_fails_backs_off_and_never_stops_the_others(engine: Engine) {
    let w = world(engine).await;
    let vip = w.product(ProductKind::Subscription, 999, "EUR").await;
    let mut subs = Vec::new();
    for i in 0..3 {
        let c = w
            .buy(&vip, &format!("row{i}@example.com"), CARD)
            .await
            .unwrap();
        subs.push(c.subscription.unwrap().id);
    }
    // One row Patron cannot read: its interval is not one it knows.
    subscription::Entity::update_many()
        .col_expr(
            subscription::Column::Interval,
            sea_orm::sea_query::Expr::val("fortnight"),
        )
        .filter(subscription::Column::Id.eq(subs[0].as_str()))
        .exec(&w.t.db)
        .await
        .unwrap();
    let r = w.tick(Duration::days(31)).await;
    assert_eq!(r.renewed, 2, "the others renew: {r:?}");
    // The row cannot be read as a whole: its lease columns are read on their own.
    let lease = || async {
        subscription::Entity::find_by_id(subs[0].clone())
            .select_only()
            .column(subscription::Column::ClaimFailures)
            .column(subscription::Column::ClaimedUntil)
            .into_tuple::<(i32, Option<chrono::DateTime<chrono::Utc>>)>()
            .one(&w.t.db)
            .await
            .unwrap()
            .unwrap()
    };
    let (failures, claimed_until) = lease().await;
    assert_eq!(failures, 1);
    let now = app::domain::Clock::now(w.clock.as_ref());
    assert!(
        claimed_until.is_some_and(|u| u > now),
        "it waits before the next try"
    );
    // Within its back-off it is left alone, and no money moved for it: three purchases and
    // the two others' renewals are all the provider charged.
    assert_eq!(w.tick(Duration::minutes(1)).await.renewed, 0);
    assert_eq!(lease().await.0, 1, "not retried inside the back-off");
    assert_eq!(movements(&w.svc, MovementKind::Charge).await, 5);
    assert_eq!(movements(&w.svc, MovementKind::Refund).await, 0);
    agree(&w.svc).await;
    w.t.cleanup().await;
}

/// Makes every commit that wrote an order fail (PostgreSQL: a deferred constraint trigger, so
/// the failure comes at COMMIT itself; SQLite, which has none: the insert fails).
async fn fail_order_writes(t: &TestDb) {
    let sql: &[&str] = match t.engine {
        Engine::Postgres => &[
            "CREATE FUNCTION refuse_orders() RETURNS trigger LANGUAGE plpgsql AS \
             $$ BEGIN RAISE EXCEPTION 'injected commit failure'; END $$",
            "CREATE CONSTRAINT TRIGGER refuse_orders AFTER INSERT ON orders \
             DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION refuse_orders()",
        ],
        Engine::Sqlite => &["CREATE TRIGGER refuse_orders BEFORE INSERT ON orders \
             BEGIN SELECT RAISE(ABORT, 'injected commit failure'); END"],
    };
    for s in sql {
        t.db.execute_unprepared(s).await.unwrap();
    }
}

async fn a_charge_whose_record_cannot_be_committed_is_given_back_at_once(engine: Engine) {
    let w = world(engine).await;
    let book = w.product(ProductKind::OneTime, 1500, "EUR").await;
    fail_order_writes(&w.t).await;
    let res = w.buy(&book, "nocommit@example.com", CARD).await;
    assert!(res.is_err(), "{res:?}");
    assert_eq!(movements(&w.svc, MovementKind::Charge).await, 1);
    assert_eq!(movements(&w.svc, MovementKind::Refund).await, 1);
    let attempts = charge_attempt::Entity::find().all(&w.t.db).await.unwrap();
    assert_eq!(attempts.len(), 1);
    assert_eq!(attempts[0].status, AttemptStatus::Voided);
    assert_eq!(order::Entity::find().count(&w.t.db).await.unwrap(), 0);
    agree(&w.svc).await;
    w.t.cleanup().await;
}

async fn a_refund_whose_request_is_dropped_still_completes(engine: Engine) {
    let w = world(engine).await;
    let (svc, sim) = faulty(&w);
    let w = World { svc, ..w };
    let book = w.product(ProductKind::OneTime, 2000, "EUR").await;
    let c = w.buy(&book, "drop@example.com", CARD).await.unwrap();
    sim.faults().inject(
        FaultPoint::BeforeRefund,
        Fault::Hang(std::time::Duration::from_millis(400)),
        1,
    );
    let dropped = tokio::time::timeout(
        std::time::Duration::from_millis(50),
        orders::refund_order(&w.svc, &w.caller, &c.order.id, RefundCreate::default()),
    )
    .await;
    assert!(dropped.is_err(), "the client hung up before the answer");
    // The work goes on without the request.
    let mut done = None;
    for _ in 0..50 {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        let r = refund::Entity::find().one(&w.t.db).await.unwrap().unwrap();
        if r.status == RefundStatus::Succeeded {
            done = Some(r);
            break;
        }
    }
    let r = done.expect("the refund completed after the request was dropped");
    assert!(r.provider_refund_id.is_some());
    let o = orders::get_order(&w.svc, &w.caller, &c.order.id)
        .await
        .unwrap();
    assert_eq!(o.status.as_str(), "refunded");
    assert_eq!(o.refundable_amount, 0);
    assert_eq!(movements(&w.svc, MovementKind::Refund).await, 1);
    agree(&w.svc).await;
    assert_eq!(
        get_customer_stats(&w.svc, &w.caller, &c.customer.id)
            .await
            .unwrap(),
        recomputed(&w, &c.customer.id).await
    );
    w.t.cleanup().await;
}

async fn a_refund_the_provider_never_confirmed_stays_pending_until_the_job_settles_it(
    engine: Engine,
) {
    let w = world(engine).await;
    let (svc, sim) = faulty(&w);
    let w = World { svc, ..w };
    let book = w.product(ProductKind::OneTime, 2000, "EUR").await;
    let c = w.buy(&book, "pending@example.com", CARD).await.unwrap();
    sim.faults().inject(FaultPoint::AfterRefund, Fault::Fail, 1);
    let r = orders::refund_order(
        &w.svc,
        &w.caller,
        &c.order.id,
        RefundCreate {
            amount: Some(500),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(r.status, RefundStatus::Pending);
    // The balance is reserved: nobody can refund it twice meanwhile.
    let o = orders::get_order(&w.svc, &w.caller, &c.order.id)
        .await
        .unwrap();
    assert_eq!(o.refundable_amount, 1500);
    assert_eq!(compare(&w.svc).await.unwrap().len(), 1);

    w.clock.advance(payments::LEASE + Duration::seconds(1));
    let report = reconcile(&w.svc).await.unwrap();
    assert_eq!(report.refunds, 1, "{report:?}");
    let r = refund::Entity::find().one(&w.t.db).await.unwrap().unwrap();
    assert_eq!(r.status, RefundStatus::Succeeded);
    assert_eq!(
        movements(&w.svc, MovementKind::Refund).await,
        1,
        "one movement, not two"
    );
    agree(&w.svc).await;
    assert_eq!(
        get_customer_stats(&w.svc, &w.caller, &c.customer.id)
            .await
            .unwrap(),
        recomputed(&w, &c.customer.id).await
    );
    w.t.cleanup().await;
}

async fn lost_dispute(w: &World) -> (CustomerId, OrderId, app::types::DisputeId) {
    let book = w.product(ProductKind::OneTime, 3000, "EUR").await;
    let c = w.buy(&book, "dispute@example.com", CARD).await.unwrap();
    let d = orders::open_dispute(
        &w.svc,
        &w.caller,
        &c.order.id,
        DisputeCreate {
            amount: None,
            reason: Some("fraudulent".into()),
        },
    )
    .await
    .unwrap();
    (c.customer.id, c.order.id, d.id)
}

async fn fifty_concurrent_lost_closes_charge_back_once(engine: Engine) {
    let w = world(engine).await;
    let (customer, order_id, dispute) = lost_dispute(&w).await;
    let results = race(50, || {
        let (svc, caller, id) = (w.svc.clone(), w.caller.clone(), dispute.clone());
        async move {
            orders::close_dispute(
                &svc,
                &caller,
                &id,
                DisputeClose {
                    outcome: DisputeStatus::Lost,
                },
            )
            .await
        }
    })
    .await;
    assert_eq!(winners(&results), 1, "exactly one close wins");
    assert!(results.iter().all(|r| matches!(
        r,
        Ok(_)
            | Err(DomainError::Conflict {
                code: app::types::ErrorCode::DisputeClosed,
                ..
            })
    )));
    let o = orders::get_order(&w.svc, &w.caller, &order_id)
        .await
        .unwrap();
    assert_eq!(o.charged_back_amount, 3000, "charged back once");
    let stats = get_customer_stats(&w.svc, &w.caller, &customer)
        .await
        .unwrap();
    assert_eq!(stats, recomputed(&w, &customer).await);
    assert_eq!(stats.lifetime_value, 0);

    let repayments = race(50, || {
        let (svc, caller, id) = (w.svc.clone(), w.caller.clone(), dispute.clone());
        async move {
            orders::request_repayment(
                &svc,
                &caller,
                &id,
                RepaymentCreate {
                    method: RepaymentMethod::Manual,
                },
            )
            .await
        }
    })
    .await;
    assert_eq!(winners(&repayments), 1, "exactly one repayment");
    let kinds: Vec<OrderKind> = orders_of(&w, &customer)
        .await
        .into_iter()
        .map(|o| o.kind)
        .collect();
    assert_eq!(
        kinds.iter().filter(|k| **k == OrderKind::Repayment).count(),
        1
    );
    assert_eq!(
        get_customer_stats(&w.svc, &w.caller, &customer)
            .await
            .unwrap(),
        recomputed(&w, &customer).await
    );
    agree(&w.svc).await;
    w.t.cleanup().await;
}

async fn fifty_concurrent_revokes_queue_one_set_of_commands(engine: Engine) {
    let w = world(engine).await;
    let vip = app::domain::products::create_product(
        &w.svc,
        &w.caller,
        ProductCreate {
            name: "Server rank".into(),
            kind: ProductKind::OneTime,
            amount: 500,
            currency: app::types::money::CurrencyCode::EUR,
            interval: None::<BillingInterval>,
            interval_count: None,
            benefits: vec![Benefit::GameServerCommands {
                server: "eu-1".into(),
                on_grant: vec!["rank add {customer_external_id} vip".into()],
                on_revoke: vec![
                    "rank remove {customer_external_id} vip".into(),
                    "kick {customer_external_id}".into(),
                ],
                player_id: Default::default(),
                player_id_pattern: None,
            }],
        },
    )
    .await
    .unwrap();
    let c = w.buy(&vip, "rank@example.com", CARD).await.unwrap();
    let item = c.entitlements[0].id.clone();
    let results = race(50, || {
        let (svc, caller, id) = (w.svc.clone(), w.caller.clone(), item.clone());
        async move {
            entitlements::revoke_entitlement(&svc, &caller, &id, EntitlementRevoke::default()).await
        }
    })
    .await;
    assert_eq!(winners(&results), 1, "exactly one revoke wins");
    let revoke_commands = entitlement_command::Entity::find()
        .filter(entitlement_command::Column::EntitlementId.eq(item.as_str()))
        .filter(entitlement_command::Column::Phase.eq("revoke"))
        .count(&w.t.db)
        .await
        .unwrap();
    assert_eq!(revoke_commands, 2, "one set of revoke commands is queued");
    w.t.cleanup().await;
}

async fn a_ban_that_cancels_subscriptions_needs_that_permission_first(engine: Engine) {
    let TestApp {
        t,
        svc,
        tenant,
        api: full,
        ..
    } = TestApp::on(engine).build().await;
    let api = Api {
        srv: TestServer::start(svc.clone()).await,
        key: tenant
            .key_with(
                &svc,
                &[
                    Scope::BansWrite,
                    Scope::CustomersRead,
                    Scope::EntitlementsWrite,
                ],
            )
            .await,
    };
    let (s, p) = full
        .post(
            "/products",
            json!({"name": "VIP", "kind": "subscription", "amount": 900, "currency": "EUR", "interval": "month",
                   "benefits": [{"kind": "custom", "description": "access"}]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    // Two customers who share one mailbox: a ban on it matches both.
    let mut bought = Vec::new();
    for external in ["a", "b"] {
        let (s, c) = full
            .post(
                "/checkouts",
                json!({"product_id": p["id"], "customer": {"external_id": external, "email": "ban@example.com"},
                       "payment_method": {"type": "card", "number": CARD}}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{c}");
        bought.push(c);
    }
    let customer = bought[0]["customer"]["id"].as_str().unwrap();
    let sub_status = |c: &serde_json::Value| {
        let path = format!(
            "/subscriptions/{}",
            c["subscription"]["id"].as_str().unwrap()
        );
        let full = &full;
        async move {
            let (s, sub) = full.get(&path).await;
            assert_eq!(s, StatusCode::OK, "{sub}");
            sub["status"].as_str().unwrap().to_owned()
        }
    };
    let item_statuses = |c: &serde_json::Value| {
        let path = format!(
            "/customers/{}/entitlements",
            c["customer"]["id"].as_str().unwrap()
        );
        let full = &full;
        async move {
            let (s, list) = full.get(&path).await;
            assert_eq!(s, StatusCode::OK, "{list}");
            let items = if list.is_array() {
                list
            } else {
                list["data"].clone()
            };
            let out: Vec<String> = items
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["status"].as_str().unwrap().to_owned())
                .collect();
            assert!(!out.is_empty(), "the purchase granted an item");
            out
        }
    };

    let res = api
        .post(
            "/bans",
            json!({"reason": "fraud", "identities": [{"kind": "customer", "value": customer}], "cancel_subscriptions": true, "revoke_items": true}),
        )
        .await;
    assert_error(&res, StatusCode::FORBIDDEN, "insufficient_scope", None);
    assert_eq!(
        app::db::entities::ban::Entity::find()
            .count(&t.db)
            .await
            .unwrap(),
        0,
        "nothing was written"
    );
    for c in &bought {
        assert_eq!(sub_status(c).await, "active");
        assert_every(&item_statuses(c).await, |s| s == "active");
    }

    // With the permissions, the ban and every cancellation and revocation land together, for
    // each customer it matches.
    let (s, ban) = full
        .post(
            "/bans",
            json!({"reason": "fraud", "identities": [{"kind": "email", "value": "ban@example.com"}],
                   "cancel_subscriptions": true, "revoke_items": true}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{ban}");
    for c in &bought {
        assert_eq!(sub_status(c).await, "canceled");
        assert_every(&item_statuses(c).await, |s| s == "revoked");
    }
    t.cleanup().await;
}

on_both_engines!(
    two_billing_clocks_renew_each_subscription_exactly_once,
    a_charge_the_provider_made_but_never_confirmed_is_given_back,
    two_reconciliation_jobs_take_each_lost_charge_once,
    a_renewal_the_provider_never_confirmed_is_recorded_by_the_job,
    a_renewal_that_fails_backs_off_and_never_stops_the_others,
    a_charge_whose_record_cannot_be_committed_is_given_back_at_once,
    a_refund_whose_request_is_dropped_still_completes,
    a_refund_the_provider_never_confirmed_stays_pending_until_the_job_settles_it,
    fifty_concurrent_lost_closes_charge_back_once,
    fifty_concurrent_revokes_queue_one_set_of_commands,
    a_ban_that_cancels_subscriptions_needs_that_permission_first,
);

/// Several server processes starting at once on one PostgreSQL database: each migration runs
/// once, behind the advisory lock, and every process starts.
#[tokio::test]
async fn migrations_started_by_several_processes_at_once_run_once() {
    if !crate::support::postgres_runs() {
        return;
    }
    let t = TestDb::empty(Engine::Postgres).await;
    let mut pools = Vec::new();
    for _ in 0..4 {
        pools.push(t.connect_again().await);
    }
    let runs = join_all(pools.iter().map(app::db::migrate_up)).await;
    let applied: usize = runs.into_iter().map(|r| r.unwrap()).sum();
    assert_eq!(
        applied,
        app::db::Migrator::migrations().len(),
        "each migration applied by exactly one process"
    );
    for p in pools {
        p.close().await.unwrap();
    }
    t.cleanup().await;
}
