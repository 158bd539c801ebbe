//! The hosted portal's door: the merchant's back end mints a one-time link, opening it signs
//! the customer in with a first-party cookie, and a session sees its own customer only.

use app::db::Engine;
use app::types::Scope;
use chrono::Duration;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::on_both_engines;
use crate::support::{Api, TestApp, TestServer, assert_error, card, one_time};

/// A customer who bought the product once; answers their id.
async fn buyer(api: &Api, product: &str, email: &str, external_id: &str) -> String {
    let c = api
        .post_ok(
            "/checkouts",
            json!({"product_id": product, "payment_method": card("4242424242424242"),
                   "customer": {"email": email, "name": email.split('@').next(), "external_id": external_id}}),
        )
        .await;
    c["customer"]["id"].as_str().unwrap().to_owned()
}

/// Opens a link as a browser would: the redirect's target and the cookie it set, if any.
async fn open(srv: &TestServer, url: &str) -> (StatusCode, String, Option<String>) {
    let res = srv.client.get(url).send().await.unwrap();
    let location = res
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let cookie = res
        .headers()
        .get("set-cookie")
        .map(|v| v.to_str().unwrap().to_owned());
    (res.status(), location, cookie)
}

/// The portal overview as the holder of `cookie` sees it.
async fn overview(srv: &TestServer, cookie: &str) -> (StatusCode, Value) {
    let res = srv
        .client
        .post(srv.url("/rpc/portal/overview"))
        .header("cookie", cookie.split(';').next().unwrap())
        .form(&[("", ""); 0])
        .send()
        .await
        .unwrap();
    let status = res.status();
    let body: Value = res.json().await.unwrap_or(Value::Null);
    // Signed in, the front door shows the overview; anything else is not it.
    (status, body.get("SignedIn").cloned().unwrap_or(body))
}

async fn a_minted_link_signs_in_once_and_shows_only_its_customer(engine: Engine) {
    let app = TestApp::on(engine).build().await;
    let api = &app.api;
    let kit = one_time(api, 1500, "EUR").await;
    let ann = buyer(api, &kit, "ann@example.com", "u-ann").await;
    let bob = buyer(api, &kit, "bob@example.com", "u-bob").await;

    let link = api
        .post_ok(
            "/customer_sessions",
            json!({"customer_id": ann, "return_url": "https://shop.example/account"}),
        )
        .await;
    assert_eq!(link["object"], "customer_session");
    assert_eq!(link["customer_id"], ann.as_str());
    let url = link["url"].as_str().unwrap();
    let token = link["token"].as_str().unwrap();
    assert_eq!(url, api.srv.url(&format!("/portal/session/{token}")));

    let (status, location, cookie) = open(&api.srv, url).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location, "/portal", "the token leaves the address bar");
    let cookie = cookie.expect("a portal cookie");
    assert!(cookie.starts_with("patron_portal="), "{cookie}");
    for attr in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(cookie.contains(attr), "{attr} in {cookie}");
    }
    assert!(
        !cookie.contains(token),
        "the cookie is a new token, not the link's"
    );

    let (status, seen) = overview(&api.srv, &cookie).await;
    assert_eq!(status, StatusCode::OK, "{seen}");
    assert_eq!(seen["shop"], "Shop");
    assert_eq!(seen["email"], "ann@example.com");
    assert_eq!(seen["return_url"], "https://shop.example/account");
    let orders = seen["orders"].as_array().unwrap();
    assert_eq!(orders.len(), 1, "{seen}");
    assert_eq!(orders[0]["amount"], 1500);
    assert!(!seen.to_string().contains(&bob), "nothing of Bob's: {seen}");

    // The link works once.
    let (status, location, cookie_again) = open(&api.srv, url).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location, "/portal/shop?link=expired");
    assert!(cookie_again.is_none());

    // Bob's own link, by the merchant's id, shows Bob's only.
    let bob_link = api
        .post_ok("/customer_sessions", json!({"external_id": "u-bob"}))
        .await;
    let (_, _, bob_cookie) = open(&api.srv, bob_link["url"].as_str().unwrap()).await;
    let (status, bob_seen) = overview(&api.srv, &bob_cookie.unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(bob_seen["email"], "bob@example.com");
    assert!(!bob_seen.to_string().contains(&ann), "{bob_seen}");
    app.cleanup().await;
}

async fn a_link_expires_after_an_hour_and_a_session_after_twelve(engine: Engine) {
    let app = TestApp::on(engine).build().await;
    let api = &app.api;
    let kit = one_time(api, 900, "EUR").await;
    let ann = buyer(api, &kit, "ann@example.com", "u-ann").await;
    let late = api
        .post_ok("/customer_sessions", json!({"customer_id": ann}))
        .await;
    app.clock.advance(Duration::minutes(61));
    let (_, location, cookie) = open(&api.srv, late["url"].as_str().unwrap()).await;
    assert_eq!(location, "/portal/shop?link=expired");
    assert!(cookie.is_none());

    let fresh = api
        .post_ok("/customer_sessions", json!({"customer_id": ann}))
        .await;
    let (_, _, cookie) = open(&api.srv, fresh["url"].as_str().unwrap()).await;
    let cookie = cookie.unwrap();
    assert_eq!(overview(&api.srv, &cookie).await.0, StatusCode::OK);
    app.clock.advance(Duration::hours(12));
    // Signed out: no overview (the page explains how to get in), nothing leaks.
    let (status, body) = overview(&api.srv, &cookie).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body, "SignedOut");
    let (status, body) = overview(&api.srv, "patron_portal=not-a-session").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, "SignedOut");
    app.cleanup().await;
}

async fn minting_checks_the_scope_the_customer_and_the_return_url(engine: Engine) {
    let app = TestApp::on(engine).build().await;
    let api = &app.api;
    let kit = one_time(api, 900, "EUR").await;
    let ann = buyer(api, &kit, "ann@example.com", "u-ann").await;
    let reader = Api {
        srv: TestServer::start(app.svc.clone()).await,
        key: app.tenant.key_with(&app.svc, &[Scope::CustomersRead]).await,
    };
    let res = reader
        .post("/customer_sessions", json!({"customer_id": ann}))
        .await;
    assert_error(&res, StatusCode::FORBIDDEN, "insufficient_scope", None);

    let res = api
        .post(
            "/customer_sessions",
            json!({"customer_id": ann, "external_id": "u-ann"}),
        )
        .await;
    assert_error(
        &res,
        StatusCode::UNPROCESSABLE_ENTITY,
        "parameter_unprocessable",
        Some("customer_id"),
    );
    let res = api.post("/customer_sessions", json!({})).await;
    assert_error(
        &res,
        StatusCode::UNPROCESSABLE_ENTITY,
        "parameter_unprocessable",
        Some("customer_id"),
    );
    let res = api
        .post("/customer_sessions", json!({"external_id": "nobody"}))
        .await;
    assert_error(&res, StatusCode::NOT_FOUND, "resource_missing", None);
    for bad in ["http://shop.example/", "javascript:alert(1)"] {
        let res = api
            .post(
                "/customer_sessions",
                json!({"customer_id": ann, "return_url": bad}),
            )
            .await;
        assert_error(
            &res,
            StatusCode::BAD_REQUEST,
            "parameter_invalid",
            Some("return_url"),
        );
    }

    // Another workspace's key cannot open a portal on this customer.
    let other = crate::support::Tenant::create(&app.svc, "Other", &Scope::ALL).await;
    let theirs = Api {
        srv: TestServer::start(app.svc.clone()).await,
        key: other.key,
    };
    let res = theirs
        .post("/customer_sessions", json!({"customer_id": ann}))
        .await;
    assert_error(&res, StatusCode::NOT_FOUND, "resource_missing", None);
    drop(reader);
    drop(theirs);
    app.cleanup().await;
}

async fn the_data_export_holds_everything_of_one_customer_through_every_door(engine: Engine) {
    let app = TestApp::on(engine).build().await;
    let api = &app.api;
    let kit = one_time(api, 1500, "EUR").await;
    let ann = buyer(api, &kit, "ann@example.com", "u-ann").await;
    let bob = buyer(api, &kit, "bob@example.com", "u-bob").await;
    let orders = api.get_ok(&format!("/customers/{ann}/orders")).await;
    let order = orders["data"][0]["id"].as_str().unwrap().to_owned();
    api.post_ok(&format!("/orders/{order}/refunds"), json!({"amount": 500}))
        .await;

    let export = api.get_ok(&format!("/customers/{ann}/data_export")).await;
    assert_eq!(export["object"], "customer_data_export");
    assert_eq!(export["workspace"], "Shop");
    assert_eq!(export["customer"]["id"], ann.as_str());
    assert_eq!(export["orders"].as_array().unwrap().len(), 1);
    assert_eq!(export["orders"][0]["id"], order.as_str());
    assert_eq!(export["refunds"][0]["amount"], 500);
    assert!(
        !export["entitlements"].as_array().unwrap().is_empty(),
        "{export}"
    );
    assert!(
        !export["payment_details"].as_array().unwrap().is_empty(),
        "{export}"
    );
    assert!(!export.to_string().contains(&bob), "nothing of Bob's");

    // The customer downloads the same document from the portal.
    let link = api
        .post_ok("/customer_sessions", json!({"customer_id": ann}))
        .await;
    let (_, _, cookie) = open(&api.srv, link["url"].as_str().unwrap()).await;
    let cookie = cookie.unwrap();
    let res = api
        .srv
        .client
        .get(api.srv.url("/portal/data_export.json"))
        .header("cookie", cookie.split(';').next().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let disposition = res.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        disposition,
        format!("attachment; filename=\"data-{ann}.json\"")
    );
    let mine: Value = res.json().await.unwrap();
    assert_eq!(mine["customer"], export["customer"]);
    assert_eq!(mine["orders"], export["orders"]);
    // Without a session: back to the portal's door, no data.
    let (status, location, _) = open(&api.srv, &api.srv.url("/portal/data_export.json")).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location, "/portal");

    // A viewer of the workspace downloads it from the customer page; another workspace's id
    // names nothing.
    app::domain::accounts::create_user(
        &app.svc,
        app::domain::accounts::NewUser {
            workspace_id: app.tenant.workspace_id.clone(),
            email: "viewer@shop.example".into(),
            role: app::types::Role::Viewer,
            password: "a long enough password".into(),
        },
    )
    .await
    .unwrap();
    let (_, session) = api
        .srv
        .log_in("viewer@shop.example", "a long enough password")
        .await;
    let session = session.unwrap();
    let dashboard = |id: String| {
        api.srv
            .client
            .get(
                api.srv
                    .url(&format!("/dashboard/customers/{id}/data_export.json")),
            )
            .header("cookie", session.split(';').next().unwrap().to_owned())
            .send()
    };
    let res = dashboard(ann.clone()).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let theirs: Value = res.json().await.unwrap();
    assert_eq!(theirs["orders"], export["orders"]);
    let other = crate::support::Tenant::create(&app.svc, "Other", &Scope::ALL).await;
    let elsewhere = Api {
        srv: TestServer::start(app.svc.clone()).await,
        key: other.key,
    };
    let stranger = elsewhere
        .post_ok("/customers", json!({"email": "eve@example.com"}))
        .await;
    let res = dashboard(stranger["id"].as_str().unwrap().to_owned())
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    drop(elsewhere);
    app.cleanup().await;
}

/// Eight tabs open one link at the same moment, each on its own pooled connection: the one
/// conditional update lets exactly one of them in.
async fn a_link_opened_at_once_from_many_tabs_signs_in_exactly_one(engine: Engine) {
    let app = TestApp::on(engine).build().await;
    let api = &app.api;
    let kit = one_time(api, 900, "EUR").await;
    let ann = buyer(api, &kit, "ann@example.com", "u-ann").await;
    let link = api
        .post_ok("/customer_sessions", json!({"customer_id": ann}))
        .await;
    let token = link["token"].as_str().unwrap().to_owned();
    let tabs: Vec<_> = (0..8)
        .map(|_| {
            let svc = app.svc.clone();
            let token = token.clone();
            tokio::spawn(async move { app::domain::portal::open_link(&svc, &token).await })
        })
        .collect();
    let mut signed_in = 0;
    for tab in tabs {
        match tab.await.unwrap() {
            Ok(app::domain::portal::Opened::Session { .. }) => signed_in += 1,
            Ok(app::domain::portal::Opened::Refused { slug }) => {
                assert_eq!(slug.as_deref(), Some("shop"), "a spent link names its shop");
            }
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!(signed_in, 1);
    app.cleanup().await;
}

on_both_engines!(
    a_link_opened_at_once_from_many_tabs_signs_in_exactly_one,
    the_data_export_holds_everything_of_one_customer_through_every_door,
    a_minted_link_signs_in_once_and_shows_only_its_customer,
    a_link_expires_after_an_hour_and_a_session_after_twelve,
    minting_checks_the_scope_the_customer_and_the_return_url,
);
