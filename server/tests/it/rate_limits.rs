//! The shared rate limiter: a burst passes, the next attempt waits its turn, many connections
//! at once get exactly the allowance between them, and the dashboard login counts failures only.

use app::db::Engine;
use app::domain::accounts::{self, NewUser};
use app::domain::rate_limit::{self, Rule};
use app::domain::{DomainError, Services};
use app::types::Role;
use chrono::{Duration, TimeZone, Utc};
use reqwest::StatusCode;

use crate::on_both_engines;
use crate::support::TestApp;

const THREE_A_MINUTE: Rule = Rule {
    name: "test_three_a_minute",
    limit: 3,
    period_seconds: 60,
};

async fn still(engine: Engine) -> TestApp {
    TestApp::on(engine)
        .at(Utc.with_ymd_and_hms(2026, 12, 1, 12, 0, 0).unwrap())
        .build()
        .await
}

async fn attempt(svc: &Services, subject: &str) -> Result<(), DomainError> {
    rate_limit::take(&svc.db, svc, &THREE_A_MINUTE, subject).await
}

async fn a_burst_passes_then_each_attempt_waits_its_share_of_the_period(engine: Engine) {
    let app = still(engine).await;
    for i in 0..3 {
        attempt(&app.svc, "203.0.113.7")
            .await
            .unwrap_or_else(|e| panic!("attempt {i}: {e}"));
    }
    match attempt(&app.svc, "203.0.113.7").await {
        Err(DomainError::RateLimited { retry_after }) => {
            assert_eq!(
                retry_after,
                Duration::seconds(20),
                "one attempt frees every 20 s"
            );
        }
        other => panic!("the fourth attempt passed: {other:?}"),
    }
    // Another subject has its own allowance.
    attempt(&app.svc, "198.51.100.1").await.unwrap();
    // A refused attempt took nothing: 20 seconds later exactly one more passes.
    app.clock.advance(Duration::seconds(20));
    attempt(&app.svc, "203.0.113.7").await.unwrap();
    assert!(matches!(
        attempt(&app.svc, "203.0.113.7").await,
        Err(DomainError::RateLimited { .. })
    ));
    // A whole period later the burst is back, and the sweep finds nothing left to keep.
    app.clock.advance(Duration::seconds(60));
    assert_eq!(rate_limit::sweep(&app.svc).await.unwrap(), 2);
    for _ in 0..3 {
        attempt(&app.svc, "203.0.113.7").await.unwrap();
    }
    app.cleanup().await;
}

/// Forty attempts at once on the pool's connections: the one statement per attempt lets
/// exactly the allowance through, whatever the interleaving.
async fn many_connections_at_once_get_exactly_the_allowance(engine: Engine) {
    let app = still(engine).await;
    let tries: Vec<_> = (0..40)
        .map(|_| {
            let svc = app.svc.clone();
            tokio::spawn(async move { attempt(&svc, "ann@example.com").await })
        })
        .collect();
    let mut passed = 0;
    for t in tries {
        match t.await.unwrap() {
            Ok(()) => passed += 1,
            Err(DomainError::RateLimited { .. }) => {}
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!(passed, 3);
    app.cleanup().await;
}

async fn the_dashboard_login_refuses_after_ten_failures_and_successes_cost_nothing(engine: Engine) {
    let app = TestApp::on(engine).build().await;
    accounts::create_user(
        &app.svc,
        NewUser {
            workspace_id: app.tenant.workspace_id.clone(),
            email: "owner@shop.example".into(),
            role: Role::Owner,
            password: "a long enough password".into(),
        },
    )
    .await
    .unwrap();
    let srv = &app.api.srv;
    for _ in 0..15 {
        let (status, cookie) = srv
            .log_in("owner@shop.example", "a long enough password")
            .await;
        assert!(status.is_redirection() || status.is_success(), "{status}");
        assert!(cookie.is_some());
    }
    for i in 0..10 {
        let (status, _) = srv.log_in("Owner@Shop.example", "wrong").await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "failure {i}");
    }
    // The eleventh is refused before the password is looked at: the right one fails too.
    let res = srv
        .client
        .post(srv.url("/rpc/auth/log_in"))
        .form(&[
            ("email", "owner@shop.example"),
            ("password", "a long enough password"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(res.headers().get("set-cookie").is_none());
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["kind"], "rate_limited", "{body}");
    assert_eq!(body["retry_after_seconds"], 90, "{body}");
    // Another account from the same address is not held back by this one's failures.
    let (status, _) = srv.log_in("someone@shop.example", "wrong").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    app.cleanup().await;
}

/// Two server processes (each its own pool) on one database share one API key's allowance: the
/// key's fourth request in the minute is a 429 with Retry-After on either, and a refused
/// request costs nothing.
async fn two_servers_share_one_api_keys_allowance(engine: Engine) {
    use crate::support::{Api, TestServer, assert_error};

    let app = still(engine).await;
    let first = app.svc.clone().with_api_rate_limit(3);
    let second = first.clone().with_db(app.t.connect_again().await);
    let a = Api {
        srv: TestServer::start(first).await,
        key: app.tenant.key.clone(),
    };
    let b = Api {
        srv: TestServer::start(second).await,
        key: app.tenant.key.clone(),
    };
    for (i, api) in [&a, &b, &a].into_iter().enumerate() {
        let (status, body) = api.get("/customers").await;
        assert_eq!(status, StatusCode::OK, "request {i}: {body}");
    }
    for api in [&b, &a] {
        let ((status, body), headers) = api
            .send_with(reqwest::Method::GET, "/customers", None, &[])
            .await;
        assert_error(
            &(status, body),
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            None,
        );
        assert_eq!(headers["retry-after"], "20", "one request frees every 20 s");
    }
    // Another key has its own allowance.
    let other = app.tenant.key_with(&app.svc, &app::types::Scope::ALL).await;
    let c = Api {
        srv: TestServer::start(app.svc.clone().with_api_rate_limit(3)).await,
        key: other,
    };
    assert_eq!(c.get("/customers").await.0, StatusCode::OK);
    // Twenty seconds later exactly one more passes, on whichever server.
    app.clock.advance(Duration::seconds(20));
    assert_eq!(b.get("/customers").await.0, StatusCode::OK);
    assert_eq!(a.get("/customers").await.0, StatusCode::TOO_MANY_REQUESTS);
    drop((a, b, c));
    app.cleanup().await;
}

on_both_engines!(
    two_servers_share_one_api_keys_allowance,
    a_burst_passes_then_each_attempt_waits_its_share_of_the_period,
    many_connections_at_once_get_exactly_the_allowance,
    the_dashboard_login_refuses_after_ten_failures_and_successes_cost_nothing,
);
