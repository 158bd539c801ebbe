//! The real router on a free port: health, the REST envelope, server functions and pages.

use app::db::Engine;
use reqwest::StatusCode;
use serde_json::Value;
use server::tools::demo::{DEMO_EMAIL, DEMO_PASSWORD, seed_demo};

use crate::on_both_engines;
use crate::support::{TestDb, TestServer};

async fn healthz_reports_the_engine_and_schema_version(engine: Engine) {
    let t = TestDb::migrated(engine).await;
    let srv = TestServer::start(t.services()).await;
    let res = srv.client.get(srv.url("/healthz")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["status"], "ok");
    assert_eq!(body["engine"], engine.as_str());
    assert_eq!(
        body["schema_version"],
        app::db::migration::latest_known().as_str()
    );
    drop(srv);
    t.cleanup().await;
}

async fn healthz_is_unavailable_on_an_unmigrated_database(engine: Engine) {
    let t = TestDb::empty(engine).await;
    let srv = TestServer::start(t.services()).await;
    let res = srv.client.get(srv.url("/healthz")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["status"], "schema_outdated");
    assert_eq!(body["schema_version"], Value::Null);
    drop(srv);
    t.cleanup().await;
}

async fn unknown_api_routes_answer_the_json_error_envelope(engine: Engine) {
    let t = TestDb::migrated(engine).await;
    let srv = TestServer::start(t.services()).await;
    let res = srv
        .client
        .get(srv.url("/api/v1/nothing-here"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let header_id = res.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert!(header_id.starts_with("req_"), "{header_id}");
    let body: Value = res.json().await.unwrap();
    let err = &body["error"];
    assert_eq!(err["type"], "invalid_request_error");
    assert_eq!(err["code"], "route_not_found");
    assert_eq!(
        err["message"],
        "No API route matches GET /api/v1/nothing-here."
    );
    assert_eq!(err["param"], Value::Null);
    assert_eq!(err["request_id"], header_id.as_str());

    // A proxy's own X-Request-Id is kept, in the header and the envelope; one Patron cannot
    // echo safely (too long, or with characters a header or a log line must not carry) is
    // replaced by Patron's own.
    for (sent, kept) in [
        ("lb-7f3a:2026.12.07_0001", true),
        ("<script>alert(1)</script>", false),
        (&*"x".repeat(129), false),
    ] {
        let res = srv
            .client
            .get(srv.url("/api/v1/nothing-here"))
            .header("x-request-id", sent)
            .send()
            .await
            .unwrap();
        let id = res.headers()["x-request-id"].to_str().unwrap().to_owned();
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["error"]["request_id"], id.as_str());
        if kept {
            assert_eq!(id, sent);
        } else {
            assert!(id.starts_with("req_"), "{sent:?} gave {id}");
        }
    }
    drop(srv);
    t.cleanup().await;
}

/// Logs in as the demo user through the login server function; returns the session cookie.
async fn log_in(srv: &TestServer, password: &str) -> (StatusCode, Option<String>) {
    srv.log_in(DEMO_EMAIL, password).await
}

async fn server_functions_live_under_their_own_prefix_and_need_a_session(engine: Engine) {
    let t = TestDb::migrated(engine).await;
    let svc = t.services();
    seed_demo(&svc).await.unwrap();
    let srv = TestServer::start(svc).await;
    let shell = |cookie: Option<String>| {
        let mut req = srv
            .client
            .post(srv.url("/rpc/dashboard/shell"))
            .header("content-type", "application/x-www-form-urlencoded");
        if let Some(c) = cookie {
            req = req.header("cookie", c);
        }
        req.send()
    };
    let res = shell(None).await.unwrap();
    assert!(!res.status().is_success(), "{}", res.status());

    let (s, cookie) = log_in(&srv, DEMO_PASSWORD).await;
    assert!(!s.is_client_error() && !s.is_server_error(), "{s}");
    let cookie = cookie.expect("a session cookie");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    let pair = cookie.split(';').next().unwrap().to_owned();
    let res = shell(Some(pair.clone())).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["workspace"]["name"], "Northwind Games");
    assert_eq!(body["user_email"], DEMO_EMAIL);
    assert_eq!(body["role"], "owner");

    // Sessions live in the database: another server process (or this one after a restart)
    // honours the same cookie.
    let second = TestServer::start(TestDb::services_of(&srv)).await;
    let res = second
        .client
        .post(second.url("/rpc/dashboard/shell"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("cookie", &pair)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    drop(second);

    // A request from another site's page is refused even with the cookie.
    let res = srv
        .client
        .post(srv.url("/rpc/dashboard/shell"))
        .header("cookie", pair)
        .header("origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert!(!res.status().is_success());
    // The REST prefix does not answer for server functions.
    let res = srv
        .client
        .post(srv.url("/api/v1/dashboard/shell"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    drop(srv);
    t.cleanup().await;
}

async fn the_dashboard_needs_a_login_and_is_rendered_on_the_server(engine: Engine) {
    let t = TestDb::migrated(engine).await;
    let svc = t.services();
    seed_demo(&svc).await.unwrap();
    let srv = TestServer::start(svc).await;

    let res = srv
        .client
        .get(srv.url("/dashboard/customers"))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_redirection(), "{}", res.status());
    assert_eq!(res.headers()["location"], "/login");

    let (s, none) = log_in(&srv, "wrong password").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(none.is_none());
    let (s, cookie) = log_in(&srv, DEMO_PASSWORD).await;
    assert!(!s.is_client_error() && !s.is_server_error(), "{s}");
    let pair = cookie.unwrap().split(';').next().unwrap().to_owned();
    let res = srv
        .client
        .get(srv.url("/dashboard/customers"))
        .header("cookie", &pair)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    assert!(html.contains("Northwind Games"), "{html}");
    assert!(html.contains("Ada Lovelace"), "{html}");

    let res = srv.client.get(srv.url("/")).send().await.unwrap();
    assert!(res.status().is_redirection(), "{}", res.status());
    assert_eq!(res.headers()["location"], "/dashboard/customers");

    let res = srv
        .client
        .get(srv.url("/no/such/page"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert!(res.text().await.unwrap().contains("Page not found"));
    drop(srv);
    t.cleanup().await;
}

/// Every family of routes answers with the security headers; private answers are not cached.
async fn every_answer_carries_the_security_headers(engine: Engine) {
    let crate::support::TestApp {
        t,
        tenant,
        api: crate::support::Api { srv, .. },
        ..
    } = crate::support::TestApp::on(engine)
        .scopes(&[app::types::Scope::CustomersRead])
        .build()
        .await;
    let cases: [(&str, bool, bool); 9] = [
        // (path, with the API key, private)
        ("/healthz", false, false),
        ("/login", false, false),
        ("/no-such-page", false, false),
        ("/dashboard/customers", false, true),
        ("/portal", false, true),
        ("/api/v1/customers", false, true),
        ("/api/v1/customers", true, true),
        ("/api/v1/openapi.json", false, true),
        ("/embed.js", false, false),
    ];
    for (path, keyed, private) in cases {
        let mut req = srv.client.get(srv.url(path));
        if keyed {
            req = req.bearer_auth(&tenant.key);
        }
        let res = req.send().await.unwrap();
        let status = res.status();
        let h = res.headers().clone();
        let got = |name: &str| h.get(name).map(|v| v.to_str().unwrap().to_owned());
        assert_eq!(
            got("x-content-type-options").as_deref(),
            Some("nosniff"),
            "{path}"
        );
        assert_eq!(got("x-frame-options").as_deref(), Some("DENY"), "{path}");
        assert_eq!(
            got("referrer-policy").as_deref(),
            Some("same-origin"),
            "{path}"
        );
        if private {
            assert_eq!(got("cache-control").as_deref(), Some("no-store"), "{path}");
        }
        if keyed {
            assert_eq!(status, StatusCode::OK, "{path}");
        }
        // Served over plain http://: no HSTS.
        assert_eq!(got("strict-transport-security"), None, "{path}");
        let policy = got("content-security-policy").unwrap_or_default();
        if !got("content-type").is_some_and(|t| t.starts_with("text/html")) {
            assert_eq!(policy, "frame-ancestors 'none'", "{path}");
            continue;
        }
        // A page: scripts only from Patron, inline ones only with this answer's nonce, which
        // its scripts carry; no plugins; framed by nobody.
        let nonce = policy
            .split("'nonce-")
            .nth(1)
            .and_then(|rest| rest.split('\'').next())
            .unwrap_or_else(|| panic!("{path}: no nonce in {policy}"))
            .to_owned();
        assert!(
            policy.starts_with("default-src 'self'; script-src 'self' 'nonce-"),
            "{path}: {policy}"
        );
        assert!(policy.contains("object-src 'none'"), "{path}: {policy}");
        assert!(
            policy.ends_with("; frame-ancestors 'none'"),
            "{path}: {policy}"
        );
        let html = res.text().await.unwrap();
        assert!(
            html.contains(&format!("nonce=\"{nonce}\"")),
            "{path}: no script carries the nonce"
        );
        assert!(
            !html.contains("<script>"),
            "{path}: an inline script without the nonce"
        );
    }
    drop(srv);
    t.cleanup().await;
}

/// Served over HTTPS (its public address is https://), every answer tells browsers to keep to
/// HTTPS for a year.
#[tokio::test]
async fn over_https_every_answer_asks_for_https_only() {
    let t = TestDb::migrated(Engine::Sqlite).await;
    let srv = TestServer::start_behind(t.services(), "https://billing.example").await;
    for path in ["/healthz", "/login", "/api/v1/customers"] {
        let res = srv.client.get(srv.url(path)).send().await.unwrap();
        assert_eq!(
            res.headers()["strict-transport-security"],
            "max-age=31536000; includeSubDomains",
            "{path}"
        );
    }
    drop(srv);
    t.cleanup().await;
}

on_both_engines!(
    every_answer_carries_the_security_headers,
    healthz_reports_the_engine_and_schema_version,
    healthz_is_unavailable_on_an_unmigrated_database,
    unknown_api_routes_answer_the_json_error_envelope,
    server_functions_live_under_their_own_prefix_and_need_a_session,
    the_dashboard_needs_a_login_and_is_rendered_on_the_server,
);
