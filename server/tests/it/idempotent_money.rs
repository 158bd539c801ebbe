//! A retried `Idempotency-Key` never moves money twice: the key is bound to the attempt its
//! first request started, so a retry after a hang-up, an unreachable provider or the key's lock
//! resumes or answers that attempt; a key never lapses while its attempt is unsettled; answers
//! carrying secrets are never replayed from storage; and the key covers the whole request.

use std::sync::Arc;
use std::time::Duration as StdDuration;

use app::db::Engine;
use app::db::entities::{order, refund};
use app::domain::clock::ManualClock;
use app::domain::idempotency::sweep_expired;
use app::domain::provider::{Fault, FaultPoint, MovementKind, SimulatedProvider};
use app::domain::{Services, orders};
use app::domain::{payments, reconciliation};
use app::types::Scope;
use app::types::order::OrderPay;
use chrono::{Duration, TimeZone, Utc};
use reqwest::{Method, StatusCode};
use sea_orm::{ConnectionTrait, EntityTrait, PaginatorTrait};
use serde_json::{Value, json};

use crate::on_both_engines;
use crate::support::{
    Api, Tenant, TestDb, TestServer, agree, assert_error, card, movements, one_time,
};

/// How long a request owns its key in these tests.
const LOCK: Duration = Duration::seconds(2);

/// A shop whose simulated provider the test can make misbehave, on a clock that stands still,
/// with a short Idempotency-Key lock.
struct Shop {
    t: TestDb,
    svc: Services,
    clock: Arc<ManualClock>,
    sim: Arc<SimulatedProvider>,
    api: Api,
}

async fn shop(engine: Engine) -> Shop {
    let t = TestDb::migrated(engine).await;
    let clock = Arc::new(ManualClock::new(
        Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap(),
    ));
    let sim = Arc::new(SimulatedProvider::new(t.db.clone()));
    let svc = Services::new(t.db.clone())
        .with_clock(clock.clone())
        .with_provider(sim.clone())
        .with_idempotency_lock(LOCK);
    let tenant = Tenant::create(&svc, "Shop", &Scope::ALL).await;
    let api = Api {
        srv: TestServer::start(svc.clone()).await,
        key: tenant.key.clone(),
    };
    Shop {
        t,
        svc,
        clock,
        sim,
        api,
    }
}

impl Shop {
    /// Sends `body` to `path` under `key`.
    async fn send(&self, path: &str, body: &Value, key: &str) -> (StatusCode, Value) {
        let res = self
            .api
            .srv
            .client
            .post(self.api.srv.url(&format!("/api/v1{path}")))
            .bearer_auth(&self.api.key)
            .header("Idempotency-Key", key)
            .json(body)
            .send()
            .await
            .unwrap();
        let status = res.status();
        (status, res.json().await.unwrap())
    }

    /// Sends `body` under `key` from a client that hangs up once the provider has moved the
    /// money (the `moved`th movement of `kind`) and, told to hang `at` that point, has not
    /// answered yet: the request's work goes on without it.
    async fn hang_up_mid_payment(
        &self,
        path: &str,
        body: &Value,
        key: &str,
        at: FaultPoint,
        (kind, moved): (MovementKind, usize),
    ) {
        self.sim
            .faults()
            .inject(at, Fault::Hang(StdDuration::from_secs(3)), 1);
        let request = self
            .api
            .srv
            .client
            .post(self.api.srv.url(&format!("/api/v1{path}")))
            .bearer_auth(&self.api.key)
            .header("Idempotency-Key", key)
            .json(body);
        let client = tokio::spawn(async move { request.send().await });
        for _ in 0..200 {
            if self.movements(kind).await >= moved {
                break;
            }
            tokio::time::sleep(StdDuration::from_millis(25)).await;
        }
        assert!(
            self.movements(kind).await >= moved,
            "the provider never moved the money"
        );
        assert!(
            !client.is_finished(),
            "the request answered before its client hung up"
        );
        client.abort();
    }

    /// Retries `body` under `key` after each lapse of the key's lock, as a client would, until
    /// the answer is not "still running" (409 `idempotency_key_in_flight`); that answer.
    async fn retry_until_settled(
        &self,
        path: &str,
        body: &Value,
        key: &str,
    ) -> (StatusCode, Value) {
        for _ in 0..100 {
            tokio::time::sleep(StdDuration::from_millis(200)).await;
            self.clock.advance(LOCK + Duration::seconds(1));
            let res = self.send(path, body, key).await;
            if res.0 != StatusCode::CONFLICT
                || res.1["error"]["code"] != "idempotency_key_in_flight"
            {
                return res;
            }
        }
        panic!("{path} under {key} was still running after 20 s");
    }

    async fn movements(&self, kind: MovementKind) -> usize {
        movements(&self.svc, kind).await
    }

    async fn orders(&self) -> u64 {
        order::Entity::find().count(&self.t.db).await.unwrap()
    }

    /// The provider's ledger and Patron's records agree to the cent.
    async fn agree(&self) {
        agree(&self.svc).await;
    }
}

fn buy(product: &str) -> Value {
    json!({"customer": {"email": "ada@example.com"}, "product_id": product,
           "payment_method": card("4242424242424242")})
}

async fn a_checkout_retried_after_its_client_hung_up_answers_the_first_order(engine: Engine) {
    let s = shop(engine).await;
    let product = one_time(&s.api, 1500, "EUR").await;
    let body = buy(&product);
    // The provider takes the money, then is slow to say so; the client gives up meanwhile.
    s.hang_up_mid_payment(
        "/checkouts",
        &body,
        "buy-1",
        FaultPoint::AfterCharge,
        (MovementKind::Charge, 1),
    )
    .await;

    // The key's lock lapses while the charge is still being recorded: the retry is told to
    // wait, and starts nothing.
    s.clock.advance(LOCK + Duration::seconds(1));
    let waiting = s.send("/checkouts", &body, "buy-1").await;
    assert_error(
        &waiting,
        StatusCode::CONFLICT,
        "idempotency_key_in_flight",
        None,
    );
    // Once the detached work has recorded the order, the retry answers it.
    let answer = s.retry_until_settled("/checkouts", &body, "buy-1").await;
    assert_eq!(answer.0, StatusCode::CREATED, "{}", answer.1);
    let order_id = answer.1["order"]["id"].as_str().unwrap().to_owned();
    assert_eq!(s.orders().await, 1, "one order");
    assert_eq!(s.movements(MovementKind::Charge).await, 1, "one charge");
    assert_eq!(s.movements(MovementKind::Refund).await, 0);
    // Every later retry replays the same answer.
    let again = s.send("/checkouts", &body, "buy-1").await;
    assert_eq!(again.0, StatusCode::CREATED);
    assert_eq!(again.1["order"]["id"], order_id.as_str());
    assert_eq!(s.orders().await, 1);
    s.agree().await;
    s.t.cleanup().await;
}

async fn a_checkout_retried_after_the_provider_went_silent_finishes_the_same_charge(
    engine: Engine,
) {
    let s = shop(engine).await;
    let product = one_time(&s.api, 900, "EUR").await;
    let body = buy(&product);
    // The provider moves the money, then its answer is lost.
    s.sim
        .faults()
        .inject(FaultPoint::AfterCharge, Fault::Fail, 1);
    let (status, _) = s.send("/checkouts", &body, "buy-2").await;
    assert!(status.is_server_error(), "{status}");
    assert_eq!(s.movements(MovementKind::Charge).await, 1);
    assert_eq!(s.orders().await, 0);

    // While the attempt's lease runs, the key is taken: no second charge.
    s.clock.advance(LOCK + Duration::seconds(1));
    let waiting = s.send("/checkouts", &body, "buy-2").await;
    assert_error(
        &waiting,
        StatusCode::CONFLICT,
        "idempotency_key_in_flight",
        None,
    );
    // A day later the key would have lapsed; it is kept while its attempt may move money.
    s.clock.advance(Duration::hours(25));
    sweep_expired(&s.svc).await.unwrap();
    let done = s.send("/checkouts", &body, "buy-2").await;
    assert_eq!(done.0, StatusCode::CREATED, "{}", done.1);
    assert_eq!(
        s.movements(MovementKind::Charge).await,
        1,
        "the provider answered the same key with the charge it had made"
    );
    assert_eq!(s.orders().await, 1);
    s.agree().await;
    // Settled, the key goes with the next sweep after its 24 hours.
    s.clock.advance(Duration::hours(25));
    assert_eq!(sweep_expired(&s.svc).await.unwrap(), 1);
    s.t.cleanup().await;
}

async fn a_refund_retried_after_its_client_hung_up_refunds_once(engine: Engine) {
    let s = shop(engine).await;
    let product = one_time(&s.api, 1500, "EUR").await;
    let (status, paid) = s.send("/checkouts", &buy(&product), "b").await;
    assert_eq!(status, StatusCode::CREATED, "{paid}");
    let path = format!("/orders/{}/refunds", paid["order"]["id"].as_str().unwrap());
    let body = json!({"amount": 500});
    s.hang_up_mid_payment(
        &path,
        &body,
        "refund-1",
        FaultPoint::AfterRefund,
        (MovementKind::Refund, 1),
    )
    .await;
    s.clock.advance(LOCK + Duration::seconds(1));
    let waiting = s.send(&path, &body, "refund-1").await;
    assert_error(
        &waiting,
        StatusCode::CONFLICT,
        "idempotency_key_in_flight",
        None,
    );
    let answer = s.retry_until_settled(&path, &body, "refund-1").await;
    assert_eq!(answer.0, StatusCode::CREATED, "{}", answer.1);
    assert_eq!(answer.1["status"], "succeeded");
    let refunds = refund::Entity::find().all(&s.t.db).await.unwrap();
    assert_eq!(refunds.len(), 1, "one refund, not a second partial one");
    assert_eq!(answer.1["id"], refunds[0].id.as_str());
    assert_eq!(s.movements(MovementKind::Refund).await, 1);
    s.agree().await;
    s.t.cleanup().await;
}

/// A paid order of €25, disputed and lost, and its repayment order awaiting payment: its id.
async fn repayment_due(s: &Shop) -> String {
    let product = one_time(&s.api, 2500, "EUR").await;
    let (_, paid) = s.send("/checkouts", &buy(&product), "b").await;
    let order_id = paid["order"]["id"].as_str().unwrap().to_owned();
    // A lost dispute, then a repayment order that awaits payment.
    let (st, d) = s
        .api
        .post(
            &format!("/orders/{order_id}/disputes"),
            json!({"reason": "fraudulent"}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{d}");
    let d_id = d["id"].as_str().unwrap();
    s.api
        .post_ok(
            &format!("/disputes/{d_id}/close"),
            json!({"outcome": "lost"}),
        )
        .await;
    let repay = s
        .api
        .post_ok(
            &format!("/disputes/{d_id}/repayments"),
            json!({"method": "link"}),
        )
        .await;
    repay["id"].as_str().unwrap().to_owned()
}

fn pay() -> Value {
    json!({"payment_method": card("5555555555554444")})
}

async fn a_payment_retried_after_its_client_hung_up_answers_the_paid_order(engine: Engine) {
    let s = shop(engine).await;
    let due = repayment_due(&s).await;
    let path = format!("/orders/{due}/pay");
    s.hang_up_mid_payment(
        &path,
        &pay(),
        "pay-1",
        FaultPoint::AfterCharge,
        (MovementKind::Charge, 2),
    )
    .await;
    let answer = s.retry_until_settled(&path, &pay(), "pay-1").await;
    // The order is paid now; the retry answers that payment, not "the order is not payable".
    assert_eq!(answer.0, StatusCode::OK, "{}", answer.1);
    assert_eq!(answer.1["status"], "paid");
    assert_eq!(answer.1["id"], due.as_str());
    assert_eq!(
        s.movements(MovementKind::Charge).await,
        2,
        "purchase and repayment"
    );
    s.agree().await;
    s.t.cleanup().await;
}

async fn an_order_whose_payment_went_unanswered_can_be_paid_after_its_lease(engine: Engine) {
    let s = shop(engine).await;
    let due = repayment_due(&s).await;
    let path = format!("/orders/{due}/pay");
    // The provider takes the money and its answer is lost.
    s.sim
        .faults()
        .inject(FaultPoint::AfterCharge, Fault::Fail, 1);
    let (status, _) = s.send(&path, &pay(), "pay-a").await;
    assert!(status.is_server_error(), "{status}");
    // Another request while the first attempt's lease runs: it is being paid.
    let busy = s.send(&path, &pay(), "pay-b").await;
    assert_error(&busy, StatusCode::CONFLICT, "order_not_payable", None);
    // After the lease, a new request takes the attempt over: the provider answers its key
    // with the charge it made, and the order is paid by that one charge.
    s.clock.advance(payments::LEASE + Duration::seconds(1));
    let (status, paid) = s.send(&path, &pay(), "pay-c").await;
    assert_eq!(status, StatusCode::OK, "{paid}");
    assert_eq!(paid["status"], "paid");
    assert_eq!(
        s.movements(MovementKind::Charge).await,
        2,
        "purchase and one repayment"
    );
    assert_eq!(s.movements(MovementKind::Refund).await, 0);
    s.agree().await;
    s.t.cleanup().await;
}

async fn two_payments_of_one_order_at_once_charge_it_once(engine: Engine) {
    let s = shop(engine).await;
    let due: app::types::OrderId = repayment_due(&s).await.parse().unwrap();
    // Slow charges, so the payments overlap.
    s.sim.faults().inject(
        FaultPoint::BeforeCharge,
        Fault::Hang(StdDuration::from_millis(300)),
        8,
    );
    let caller = app::domain::Caller::system(
        app::db::entities::order::Entity::find_by_id(due.clone())
            .one(&s.t.db)
            .await
            .unwrap()
            .unwrap()
            .workspace_id,
    );
    let tries = futures::future::join_all((0..8).map(|_| {
        let (svc, caller, due) = (s.svc.clone(), caller.clone(), due.clone());
        tokio::spawn(async move {
            orders::pay_order(
                &svc,
                &caller,
                &due,
                OrderPay {
                    payment_method: serde_json::from_value(card("4242424242424242")).unwrap(),
                    ip: None,
                },
            )
            .await
        })
    }))
    .await;
    let paid_once = tries
        .into_iter()
        .filter(|r| r.as_ref().unwrap().is_ok())
        .count();
    assert_eq!(paid_once, 1, "one payment goes through");
    assert_eq!(
        s.movements(MovementKind::Charge).await,
        2,
        "the purchase and one repayment"
    );
    assert_eq!(
        s.movements(MovementKind::Refund).await,
        0,
        "nothing charged twice to be given back"
    );
    s.agree().await;
    assert!(reconciliation::reconcile(&s.svc).await.unwrap().errors == 0);
    s.t.cleanup().await;
}

async fn an_answer_holding_a_secret_is_never_replayed(engine: Engine) {
    let s = shop(engine).await;
    let endpoint =
        json!({"url": "https://hooks.shop.example/patron", "event_types": ["customer.*"]});
    let (status, first) = s.send("/webhook_endpoints", &endpoint, "hook-1").await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    assert!(first["secret"].as_str().unwrap().starts_with("whsec_"));
    let again = s.send("/webhook_endpoints", &endpoint, "hook-1").await;
    assert_error(&again, StatusCode::CONFLICT, "idempotency_key_spent", None);
    assert!(!again.1.to_string().contains("whsec_"));
    // Nothing stored holds it either.
    let stored =
        s.t.db
            .query_all_raw(sea_orm::Statement::from_string(
                s.t.db.get_database_backend(),
                "SELECT COALESCE(response_body, '') AS body FROM idempotency_keys",
            ))
            .await
            .unwrap();
    for row in stored {
        let body: String = row.try_get("", "body").unwrap();
        assert!(!body.contains("whsec_"), "{body}");
    }
    s.t.cleanup().await;
}

async fn a_key_covers_the_query_string_too(engine: Engine) {
    let s = shop(engine).await;
    let call = |path: &'static str| {
        s.api.send_with(
            Method::POST,
            path,
            Some(json!({"email": "q@example.com"})),
            &[("Idempotency-Key", "q-1")],
        )
    };
    let (first, _) = call("/customers?x=1").await;
    assert_eq!(first.0, StatusCode::CREATED, "{}", first.1);
    let (other, _) = call("/customers?x=2").await;
    assert_error(
        &other,
        StatusCode::UNPROCESSABLE_ENTITY,
        "idempotency_key_reused",
        None,
    );
    s.t.cleanup().await;
}

on_both_engines!(
    a_checkout_retried_after_its_client_hung_up_answers_the_first_order,
    a_checkout_retried_after_the_provider_went_silent_finishes_the_same_charge,
    a_refund_retried_after_its_client_hung_up_refunds_once,
    two_payments_of_one_order_at_once_charge_it_once,
    a_payment_retried_after_its_client_hung_up_answers_the_paid_order,
    an_order_whose_payment_went_unanswered_can_be_paid_after_its_lease,
    an_answer_holding_a_secret_is_never_replayed,
    a_key_covers_the_query_string_too,
);
