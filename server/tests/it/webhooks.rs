//! Webhooks: endpoints through the REST API (checked URLs, secrets shown once, tenant
//! isolation), and deliveries to a real receiver on loopback through the server's own HTTP
//! sender: signed per Standard Webhooks (checked here with the `standardwebhooks` crate's
//! verifier; the end-to-end suite checks with the npm package), retried on the schedule,
//! stopped by a 410, bounded by the timeout, exactly once and in order with two processes.
//! Secrets across rotations and upgrades are in [`rotation`]; failing and failed deliveries
//! as the dashboard tells them in [`failures`]; editing an endpoint and its test event in
//! [`edit_and_test`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration as StdDuration;

use app::db::Engine;
use app::domain::webhooks::{self, AllowHosts, WebhookSender, deliver_due};
use app::domain::{Caller, DomainError, Services, customers};
use app::types::customer::CustomerCreate;
use app::types::webhook::{DeliveryStatus, WebhookDelivery, WebhookEndpointCreate};
use app::types::{Scope, WebhookEndpointId};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use serde_json::{Value, json};
use server::adapters::webhooks::HttpSender;

use crate::on_both_engines;
use crate::support::{Api, TestApp, TestServer, card, one_time};

mod edit_and_test;
mod failures;
mod rotation;

/// One request the receiver got.
#[derive(Debug, Clone)]
struct Received {
    path: String,
    headers: HeaderMap,
    body: String,
}

/// A receiver on 127.0.0.1: `/ok` accepts, `/flaky` fails three times then accepts, `/gone`
/// answers 410, `/down` always 502, `/slow` answers after 3 s.
#[derive(Clone, Default)]
struct Receiver {
    got: Arc<Mutex<Vec<Received>>>,
    flaky_left: Arc<Mutex<u32>>,
}

impl Receiver {
    async fn start() -> (Self, String) {
        let me = Receiver {
            flaky_left: Arc::new(Mutex::new(3)),
            ..Default::default()
        };
        let app = axum::Router::new()
            .route("/{path}", axum::routing::post(receive))
            .with_state(me.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        (me, base)
    }

    fn got(&self, path: &str) -> Vec<Received> {
        self.got
            .lock()
            .unwrap()
            .iter()
            .filter(|r| r.path == path)
            .cloned()
            .collect()
    }
}

async fn receive(
    State(me): State<Receiver>,
    Path(path): Path<String>,
    headers: HeaderMap,
    body: String,
) -> axum::response::Response {
    me.got.lock().unwrap().push(Received {
        path: path.clone(),
        headers,
        body,
    });
    match path.as_str() {
        "gone" => (StatusCode::GONE, "no such hook").into_response(),
        "down" => (StatusCode::BAD_GATEWAY, "upstream down").into_response(),
        "slow" => {
            tokio::time::sleep(StdDuration::from_secs(3)).await;
            StatusCode::OK.into_response()
        }
        "flaky" => {
            let mut left = me.flaky_left.lock().unwrap();
            if *left > 0 {
                *left -= 1;
                (StatusCode::SERVICE_UNAVAILABLE, "down for maintenance").into_response()
            } else {
                StatusCode::NO_CONTENT.into_response()
            }
        }
        _ => (StatusCode::OK, "thanks").into_response(),
    }
}

fn loopback() -> AllowHosts {
    AllowHosts::parse("127.0.0.0/8").unwrap()
}

fn sender(timeout_secs: u64) -> Arc<dyn WebhookSender> {
    Arc::new(
        HttpSender::with_timeout(Arc::new(loopback()), StdDuration::from_secs(timeout_secs))
            .unwrap(),
    )
}

async fn endpoint(
    svc: &Services,
    caller: &Caller,
    url: &str,
    types: &[&str],
) -> (WebhookEndpointId, String) {
    let e = webhooks::create_endpoint(
        svc,
        caller,
        WebhookEndpointCreate {
            url: url.into(),
            event_types: Some(types.iter().map(|t| (*t).to_owned()).collect()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    (e.id, e.secret.unwrap())
}

/// The newest delivery of `endpoint` (of `status` when given), with its attempts.
async fn newest_delivery(
    svc: &Services,
    caller: &Caller,
    endpoint: &WebhookEndpointId,
    status: Option<DeliveryStatus>,
) -> WebhookDelivery {
    let limit = app::domain::Limit::new(None).unwrap();
    let page = webhooks::list_deliveries(svc, caller, endpoint, status, limit, None)
        .await
        .unwrap();
    webhooks::get_delivery(svc, caller, &page.data[0].id)
        .await
        .unwrap()
}

/// Checks a delivery's signature with `secret`: one of the header's `v1,` signatures is the
/// Standard Webhooks signature of `id.timestamp.body` (the `standardwebhooks` crate computes
/// it; its `verify` would also hold the timestamp to the wall clock, and these tests run on a
/// clock of their own; the end-to-end suite verifies with the npm package on the real clock).
fn verify(secret: &str, r: &Received) -> Result<(), String> {
    let header = |name: &str| r.headers[name].to_str().unwrap().to_owned();
    let ts: i64 = header("webhook-timestamp").parse().unwrap();
    let expected = standardwebhooks::Webhook::new(secret)
        .unwrap()
        .sign(&header("webhook-id"), ts, r.body.as_bytes())
        .unwrap();
    if header("webhook-signature")
        .split(' ')
        .any(|s| s == expected)
    {
        Ok(())
    } else {
        Err(format!(
            "no signature by this secret in {}",
            header("webhook-signature")
        ))
    }
}

async fn an_endpoint_is_checked_shown_its_secret_once_and_private_to_its_workspace(engine: Engine) {
    let app = TestApp::on(engine).build().await;
    let api = &app.api;
    let (status, made) = api
        .post(
            "/webhook_endpoints",
            json!({"url": "https://hooks.shop.example/patron", "description": "Back office",
                   "event_types": ["order.*", "refund.created"]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    let secret = made["secret"].as_str().unwrap();
    assert!(
        secret.starts_with("whsec_") && secret.len() == 6 + 44,
        "{secret}"
    );
    let id = made["id"].as_str().unwrap();
    let read = api.get_ok(&format!("/webhook_endpoints/{id}")).await;
    assert_eq!(read["secret"], Value::Null, "the secret is shown once");
    assert_eq!(read["event_types"], json!(["order.*", "refund.created"]));
    assert_eq!(read["enabled"], true);

    // A private, loopback or link-local address, or plain http, is refused naming url.
    for url in [
        "https://127.0.0.1/hooks",
        "https://10.0.0.7/hooks",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/hooks",
        "https://localhost/hooks",
        "http://hooks.shop.example/patron",
    ] {
        let (status, body) = api.post("/webhook_endpoints", json!({"url": url})).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{url}: {body}");
        assert_eq!(body["error"]["param"], "url", "{url}");
    }
    let (status, body) = api
        .post(
            "/webhook_endpoints",
            json!({"url": "https://hooks.shop.example/x", "event_types": ["order.*", "product.*"]}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["param"], "event_types[1]");
    // A type of the right form that does not exist would never be heard: refused, naming it.
    let (status, body) = api
        .post(
            "/webhook_endpoints",
            json!({"url": "https://hooks.shop.example/x", "event_types": ["refund.*", "order.paied"]}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["code"], "parameter_unprocessable");
    assert_eq!(body["error"]["param"], "event_types[1]");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("order.paid"),
        "{body}"
    );
    assert_eq!(
        api.get_ok("/webhook_endpoints").await["data"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    // Rotation shows the new secret once more.
    let rotated = api
        .post_ok(&format!("/webhook_endpoints/{id}/rotate_secret"), json!({}))
        .await;
    assert_ne!(rotated["secret"], made["secret"]);

    // Another workspace sees none of it; a key without webhooks:write is refused.
    let other = crate::support::Tenant::create(&app.svc, "Other", &Scope::ALL).await;
    let theirs = Api {
        srv: TestServer::start(app.svc.clone()).await,
        key: other.key.clone(),
    };
    for path in [
        format!("/webhook_endpoints/{id}"),
        format!("/webhook_endpoints/{id}/deliveries"),
    ] {
        let (status, _) = theirs.get(&path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
    }
    let (status, _) = theirs
        .patch(
            &format!("/webhook_endpoints/{id}"),
            json!({"enabled": false}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(theirs.get_ok("/webhook_endpoints").await["data"], json!([]));
    let reader = Api {
        srv: TestServer::start(app.svc.clone()).await,
        key: app.tenant.key_with(&app.svc, &[Scope::CustomersRead]).await,
    };
    let (status, body) = reader.get("/webhook_endpoints").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    app.cleanup().await;
}

on_both_engines!(an_endpoint_is_checked_shown_its_secret_once_and_private_to_its_workspace);

async fn deliveries_are_signed_carry_the_object_and_follow_the_rules_of_each_answer(
    engine: Engine,
) {
    let app = TestApp::on(engine).build().await;
    let svc = app.svc.clone().with_webhook_hosts(loopback());
    let caller = &app.caller;
    let (rx, base) = Receiver::start().await;
    let (ok, secret) = endpoint(
        &svc,
        caller,
        &format!("{base}/ok"),
        &["order.*", "customer.*"],
    )
    .await;
    let (flaky, _) = endpoint(&svc, caller, &format!("{base}/flaky"), &["order.paid"]).await;
    let (gone, _) = endpoint(&svc, caller, &format!("{base}/gone"), &["customer.*"]).await;

    let kit = one_time(&app.api, 1500, "EUR").await;
    let bought = app
        .api
        .post_ok(
            "/checkouts",
            json!({"product_id": kit, "payment_method": card("4242424242424242"),
                   "customer": {"email": "ann@example.com", "name": "Ann Lee"}}),
        )
        .await;
    let order = bought["order"]["id"].as_str().unwrap().to_owned();
    let report = deliver_due(&svc, sender(5)).await.unwrap();
    assert!(report.delivered >= 2, "{report:?}");

    // Every delivery verifies; the body is {type, timestamp, data}; order events embed the
    // customer; one endpoint's deliveries arrive in event order.
    let got = rx.got("ok");
    let types: Vec<String> = got
        .iter()
        .map(|r| {
            serde_json::from_str::<Value>(&r.body).unwrap()["type"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert!(types.contains(&"customer.created".to_owned()), "{types:?}");
    assert!(types.contains(&"order.paid".to_owned()), "{types:?}");
    let ids: Vec<String> = got
        .iter()
        .map(|r| r.headers["webhook-id"].to_str().unwrap().to_owned())
        .collect();
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(ids, sorted, "in event order");
    for r in &got {
        verify(&secret, r).unwrap();
        assert!(verify("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", r).is_err());
        assert!(r.body.len() < 20 * 1024);
        assert!(
            r.headers["webhook-id"]
                .to_str()
                .unwrap()
                .starts_with("evt_")
        );
    }
    let paid: Value = got
        .iter()
        .map(|r| serde_json::from_str::<Value>(&r.body).unwrap())
        .find(|b| b["type"] == "order.paid")
        .unwrap();
    assert_eq!(paid["data"]["id"], order);
    assert_eq!(paid["data"]["amount"], 1500);
    assert_eq!(paid["data"]["customer"]["email"], "ann@example.com");
    assert!(paid["timestamp"].as_str().unwrap().ends_with('Z'));

    // The order's details show each of its events' deliveries.
    let order_id = app::types::OrderId::parse(&order).unwrap();
    let history = app::domain::orders::order_history(&svc, caller, &order_id)
        .await
        .unwrap();
    let seen: Vec<(String, String, DeliveryStatus, Option<i32>)> = history
        .webhooks
        .iter()
        .map(|w| {
            (
                w.event_type.to_string(),
                w.endpoint_url.rsplit('/').next().unwrap().to_owned(),
                w.status,
                w.last_status,
            )
        })
        .collect();
    assert!(
        seen.contains(&(
            "order.paid".into(),
            "ok".into(),
            DeliveryStatus::Succeeded,
            Some(200)
        )),
        "{seen:?}"
    );
    assert!(
        seen.contains(&(
            "order.paid".into(),
            "flaky".into(),
            DeliveryStatus::Pending,
            Some(503)
        )),
        "{seen:?}"
    );

    // 410: the delivery fails at once and the endpoint is disabled, with the reason.
    assert_eq!(rx.got("gone").len(), 1);
    let gone_now = webhooks::get_endpoint(&svc, caller, &gone).await.unwrap();
    assert!(!gone_now.enabled);
    assert!(gone_now.disabled_reason.unwrap().contains("410"));

    // The flaky endpoint: 503 three times, on the schedule, then accepted: four attempts logged.
    for wait in [5, 5 * 60, 30 * 60] {
        app.clock
            .advance(chrono::Duration::seconds(wait + wait / 5));
        deliver_due(&svc, sender(5)).await.unwrap();
    }
    let flaky_got = rx.got("flaky");
    assert_eq!(flaky_got.len(), 4);
    assert!(
        flaky_got
            .iter()
            .all(|r| r.headers["webhook-id"] == flaky_got[0].headers["webhook-id"])
    );
    assert!(
        flaky_got.iter().all(|r| r.body == flaky_got[0].body),
        "every retry sends the same bytes"
    );
    let d = newest_delivery(&svc, caller, &flaky, None).await;
    assert_eq!(d.status, DeliveryStatus::Succeeded);
    let attempts = d.attempts.unwrap();
    assert_eq!(
        attempts.iter().map(|a| a.status_code).collect::<Vec<_>>(),
        [Some(503), Some(503), Some(503), Some(204)]
    );
    assert_eq!(
        attempts[0].response_excerpt.as_deref(),
        Some("down for maintenance")
    );

    // Another workspace can neither read nor resend it.
    let other = crate::support::Tenant::create(&app.svc, "Other", &Scope::ALL).await;
    let theirs = Caller::system(other.workspace_id.clone());
    assert!(matches!(
        webhooks::get_delivery(&svc, &theirs, &d.id).await,
        Err(app::domain::DomainError::NotFound { .. })
    ));
    assert!(matches!(
        webhooks::resend(&svc, &theirs, &d.id).await,
        Err(app::domain::DomainError::NotFound { .. })
    ));

    // Later customer events reach nobody at the disabled endpoint, and no attempt is made.
    customers::create_customer(
        &svc,
        caller,
        CustomerCreate {
            name: Some("Bo".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    deliver_due(&svc, sender(5)).await.unwrap();
    assert_eq!(rx.got("gone").len(), 1);
    assert_eq!(
        rx.got("ok")
            .iter()
            .filter(|r| r.body.contains("\"name\":\"Bo\""))
            .count(),
        1
    );
    let _ = ok;
    app.cleanup().await;
}

on_both_engines!(deliveries_are_signed_carry_the_object_and_follow_the_rules_of_each_answer);

async fn a_hanging_endpoint_times_out_without_delaying_the_others_and_a_rotation_signs_twice(
    engine: Engine,
) {
    let app = TestApp::on(engine).build().await;
    let svc = app.svc.clone().with_webhook_hosts(loopback());
    let caller = &app.caller;
    let (rx, base) = Receiver::start().await;
    let (slow, _) = endpoint(&svc, caller, &format!("{base}/slow"), &["customer.*"]).await;
    let (ok, old_secret) = endpoint(&svc, caller, &format!("{base}/ok"), &["customer.*"]).await;
    let rotated = webhooks::rotate_secret(&svc, caller, &ok).await.unwrap();
    let new_secret = rotated.secret.unwrap();
    customers::create_customer(
        &svc,
        caller,
        CustomerCreate {
            name: Some("Cy".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let started = std::time::Instant::now();
    let report = deliver_due(&svc, sender(1)).await.unwrap();
    assert_eq!((report.delivered, report.retrying), (1, 1), "{report:?}");
    assert!(
        started.elapsed() < StdDuration::from_secs(3),
        "bounded by the 1 s timeout"
    );

    // Both secrets sign for a day after the rotation, each alone is enough.
    let got = rx.got("ok");
    assert_eq!(got.len(), 1);
    assert_eq!(
        got[0].headers["webhook-signature"]
            .to_str()
            .unwrap()
            .matches("v1,")
            .count(),
        2
    );
    verify(&old_secret, &got[0]).unwrap();
    verify(&new_secret, &got[0]).unwrap();
    let d = newest_delivery(&svc, caller, &slow, Some(DeliveryStatus::Pending)).await;
    // "Resend" leaves a pending delivery (waiting, or in another process's hands) as it is.
    let again = webhooks::resend(&svc, caller, &d.id).await.unwrap();
    assert_eq!(again.status, DeliveryStatus::Pending);
    assert_eq!(again.next_attempt_at, d.next_attempt_at);
    assert_eq!(again.attempt_count, 1);
    let attempt = &d.attempts.unwrap()[0];
    assert_eq!(attempt.status_code, None);
    assert!(
        attempt.error.as_deref().unwrap().contains("timed out"),
        "{attempt:?}"
    );

    // A day later only the new secret signs.
    app.clock.advance(chrono::Duration::hours(25));
    customers::create_customer(
        &svc,
        caller,
        CustomerCreate {
            name: Some("Di".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    deliver_due(&svc, sender(1)).await.unwrap();
    let last = rx.got("ok").pop().unwrap();
    assert_eq!(
        last.headers["webhook-signature"]
            .to_str()
            .unwrap()
            .matches("v1,")
            .count(),
        1
    );
    verify(&new_secret, &last).unwrap();
    assert!(verify(&old_secret, &last).is_err());

    // A host name allowed by name but resolving to an address the guard does not allow is
    // refused when it is delivered to (the address is checked, not the name).
    let by_name = svc
        .clone()
        .with_webhook_hosts(AllowHosts::parse("localhost").unwrap());
    let port = base.rsplit(':').next().unwrap();
    let (sneaky, _) = endpoint(
        &by_name,
        caller,
        &format!("http://localhost:{port}/ok"),
        &["customer.*"],
    )
    .await;
    let before = rx.got("ok").len();
    customers::create_customer(
        &by_name,
        caller,
        CustomerCreate {
            name: Some("Ed".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let strict: Arc<dyn WebhookSender> =
        Arc::new(HttpSender::new(Arc::new(AllowHosts::parse("localhost").unwrap())).unwrap());
    deliver_due(&by_name, strict).await.unwrap();
    let d = newest_delivery(&svc, caller, &sneaky, None).await;
    assert!(
        d.attempts.as_ref().unwrap()[0]
            .error
            .as_deref()
            .unwrap()
            .contains("private, loopback or link-local"),
        "{d:?}"
    );
    assert_eq!(rx.got("ok").len(), before, "nothing reached the receiver");
    app.cleanup().await;
}

on_both_engines!(
    a_hanging_endpoint_times_out_without_delaying_the_others_and_a_rotation_signs_twice
);

async fn two_processes_deliver_a_thousand_events_exactly_once_in_order(engine: Engine) {
    let app = TestApp::on(engine).build().await;
    let svc = app.svc.clone().with_webhook_hosts(loopback());
    let caller = &app.caller;
    let (rx, base) = Receiver::start().await;
    endpoint(&svc, caller, &format!("{base}/ok"), &["customer.created"]).await;
    endpoint(&svc, caller, &format!("{base}/also"), &["*"]).await;
    const EVENTS: usize = 1000;
    for i in 0..EVENTS {
        customers::create_customer(
            &svc,
            caller,
            CustomerCreate {
                name: Some(format!("C{i}")),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    }
    // A second process: its own pool on the same database.
    let other = Services::new(app.t.connect_again().await)
        .with_clock(app.clock.clone())
        .with_webhook_hosts(loopback());
    let started = std::time::Instant::now();
    let run = |svc: Services| async move {
        let mut total = 0;
        loop {
            let r = deliver_due(&svc, sender(5)).await.unwrap();
            total += r.delivered;
            if r == Default::default() {
                break total;
            }
        }
    };
    let (a, b) = tokio::join!(run(svc.clone()), run(other));
    let elapsed = started.elapsed();
    assert_eq!(a + b, 2 * EVENTS, "{a} + {b}");
    eprintln!(
        "webhooks on {engine:?}: {} deliveries to 2 endpoints by 2 processes in {:.2} s ({:.0}/s)",
        2 * EVENTS,
        elapsed.as_secs_f64(),
        (2 * EVENTS) as f64 / elapsed.as_secs_f64()
    );
    for path in ["ok", "also"] {
        let ids: Vec<String> = rx
            .got(path)
            .iter()
            .map(|r| r.headers["webhook-id"].to_str().unwrap().to_owned())
            .collect();
        assert_eq!(ids.len(), EVENTS, "{path}: each exactly once");
        let mut seen: HashMap<&str, usize> = HashMap::new();
        for id in &ids {
            *seen.entry(id).or_default() += 1;
        }
        assert!(seen.values().all(|n| *n == 1), "{path}: no repeats");
        let mut sorted = ids.clone();
        sorted.sort();
        assert_eq!(ids, sorted, "{path}: in event order");
    }
    app.cleanup().await;
}

on_both_engines!(two_processes_deliver_a_thousand_events_exactly_once_in_order);
