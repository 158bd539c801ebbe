//! Inputs that could hurt a system downstream: a customer's external id reaches a game
//! server's console only when it fits the product's player-id kind, checked before any charge;
//! a download link streams its file (from a real file server on loopback) and never hands out
//! the file's own address, and stops with the link or the entitlement; a configured proxy never
//! carries a webhook or a file fetch past the address guard; every cookie is Secure and
//! `__Host-` named by the public address alone, never by a request's header.

use app::db::Engine;
use reqwest::StatusCode;
use serde_json::json;

use crate::on_both_engines;
use crate::support::{TestApp, assert_error, card};

async fn a_player_id_that_does_not_fit_is_refused_before_any_charge(engine: Engine) {
    let app = TestApp::on(engine).build().await;
    let api = &app.api;
    let product = |player_id: serde_json::Value| {
        let mut benefit = json!({"kind": "game_server_commands", "server": "eu-1",
                                 "on_grant": ["vip add {customer_external_id}"]});
        benefit
            .as_object_mut()
            .unwrap()
            .extend(player_id.as_object().unwrap().clone());
        json!({"name": "VIP", "kind": "one_time", "amount": 500, "currency": "EUR", "benefits": [benefit]})
    };
    // A pattern must be a regular expression, and only with `pattern`.
    let bad = api
        .post(
            "/products",
            product(json!({"player_id": "pattern", "player_id_pattern": "("})),
        )
        .await;
    assert_error(
        &bad,
        StatusCode::UNPROCESSABLE_ENTITY,
        "parameter_unprocessable",
        Some("benefits[0].player_id_pattern"),
    );
    let stray = api
        .post(
            "/products",
            product(json!({"player_id": "steam_id64", "player_id_pattern": "x"})),
        )
        .await;
    assert_error(
        &stray,
        StatusCode::UNPROCESSABLE_ENTITY,
        "parameter_unprocessable",
        Some("benefits[0].player_id_pattern"),
    );
    let steam = api
        .post_ok("/products", product(json!({"player_id": "steam_id64"})))
        .await;
    assert_eq!(steam["benefits"][0]["player_id"], "steam_id64");
    let steam = steam["id"].as_str().unwrap().to_owned();
    // Without a kind, an id is plain: no spaces, quotes or separators.
    let plain = api.post_ok("/products", product(json!({}))).await;
    assert_eq!(plain["benefits"][0]["player_id"], "plain");
    let plain = plain["id"].as_str().unwrap().to_owned();

    let buy = |product: String, external_id: Option<&str>, email: &str| {
        let mut customer = json!({"email": email});
        if let Some(x) = external_id {
            customer["external_id"] = json!(x);
        }
        api.post("/checkouts", json!({"customer": customer, "product_id": product, "payment_method": card("4242424242424242")}))
    };
    let injected = buy(
        plain.clone(),
        Some("steam-7; op steam-7"),
        "mallory@example.com",
    )
    .await;
    assert_error(
        &injected,
        StatusCode::UNPROCESSABLE_ENTITY,
        "parameter_unprocessable",
        Some("customer.external_id"),
    );
    let not_steam = buy(steam.clone(), Some("steam-7"), "kaito@example.com").await;
    assert_error(
        &not_steam,
        StatusCode::UNPROCESSABLE_ENTITY,
        "parameter_unprocessable",
        Some("customer.external_id"),
    );
    let none = buy(steam.clone(), None, "nobody@example.com").await;
    assert_error(
        &none,
        StatusCode::UNPROCESSABLE_ENTITY,
        "parameter_unprocessable",
        Some("customer.external_id"),
    );
    // Nothing was charged, recorded or created for the refused purchases.
    use app::db::entities::{customer, order, payment_attempt};
    use sea_orm::{EntityTrait, PaginatorTrait};
    let db = &app.svc.db;
    assert_eq!(order::Entity::find().count(db).await.unwrap(), 0);
    assert_eq!(payment_attempt::Entity::find().count(db).await.unwrap(), 0);
    assert_eq!(customer::Entity::find().count(db).await.unwrap(), 0);

    let (s, ok) = buy(steam, Some("76561198000000042"), "vip@example.com").await;
    assert_eq!(s, StatusCode::CREATED, "{ok}");
    assert_eq!(
        ok["entitlements"][0]["commands"][0]["command"],
        "vip add 76561198000000042"
    );
    app.cleanup().await;
}

/// A fresh download link for the entitlement `ent`.
async fn link(api: &crate::support::Api, ent: &str) -> String {
    let answer = api
        .post_ok(&format!("/entitlements/{ent}/download_link"), json!({}))
        .await;
    answer["url"].as_str().unwrap().to_owned()
}

/// A plain GET of a path on `api`'s server, as a browser follows a link.
async fn get(api: &crate::support::Api, path: String) -> reqwest::Response {
    api.srv.client.get(api.srv.url(&path)).send().await.unwrap()
}

/// A file host on loopback serving one file; answers its base URL.
async fn file_host(bytes: &'static [u8]) -> String {
    use axum::routing::get;
    let app = axum::Router::new().route(
        "/files/kit.zip",
        get(move || async move { ([("content-type", "application/zip")], bytes) }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

async fn a_download_link_streams_the_file_and_never_its_address(engine: Engine) {
    use app::domain::webhooks::AllowHosts;
    let app = TestApp::on(engine).build().await;
    let host = file_host(b"PK\x03\x04 the starter kit").await;
    let file_url = format!("{host}/files/kit.zip");
    // This server may fetch from loopback (as PATRON_WEBHOOK_ALLOW_HOSTS allows in tests).
    let api = crate::support::Api {
        srv: crate::support::TestServer::start(
            app.svc
                .clone()
                .with_webhook_hosts(AllowHosts::parse("127.0.0.0/8").unwrap()),
        )
        .await,
        key: app.tenant.key.clone(),
    };
    let product = api
        .post_ok(
            "/products",
            json!({"name": "Kit", "kind": "one_time", "amount": 900, "currency": "EUR",
                   "benefits": [{"kind": "file_download", "file_name": "Starter Kit v2.zip", "url": file_url}]}),
        )
        .await;
    let (s, bought) = api
        .post(
            "/checkouts",
            json!({"customer": {"email": "ann@example.com"}, "product_id": product["id"],
                   "payment_method": card("4242424242424242")}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{bought}");
    let ent = bought["entitlements"][0]["id"].as_str().unwrap().to_owned();
    let res = get(&api, link(&api, &ent).await).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers().get("location").is_none());
    assert_eq!(res.headers()["content-type"], "application/zip");
    let disposition = res.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        disposition.contains("filename=\"Starter Kit v2.zip\""),
        "{disposition}"
    );
    assert_eq!(res.headers()["cache-control"], "no-store");
    let body = res.bytes().await.unwrap();
    assert_eq!(&body[..], b"PK\x03\x04 the starter kit");
    assert!(!String::from_utf8_lossy(&body).contains(&host));

    // The server without loopback allowed refuses to fetch from a private address.
    let res = get(&app.api, link(&app.api, &ent).await).await;
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(!res.text().await.unwrap().contains(&host));

    // The link ends after 15 minutes, and with the entitlement.
    let url = link(&api, &ent).await;
    app.clock.advance(chrono::Duration::minutes(16));
    assert_eq!(get(&api, url).await.status(), StatusCode::CONFLICT);
    let url = link(&api, &ent).await;
    api.post_ok(&format!("/entitlements/{ent}/revoke"), json!({}))
        .await;
    assert_eq!(get(&api, url).await.status(), StatusCode::CONFLICT);
    drop(api);
    app.cleanup().await;
}

async fn a_wide_ip_range_needs_a_confirmation(engine: Engine) {
    let app = TestApp::on(engine).build().await;
    let api = &app.api;
    let ban = |value: &str, confirm: Option<bool>| {
        let mut body = json!({"reason": "abuse", "identities": [{"kind": "ip", "value": value}]});
        if let Some(c) = confirm {
            body["confirm_wide_ranges"] = json!(c);
        }
        api.post("/bans", body)
    };
    for wide in ["10.0.0.0/8", "::ffff:10.0.0.0/108", "2001:db8::/16"] {
        let refused = ban(wide, None).await;
        assert_error(
            &refused,
            StatusCode::UNPROCESSABLE_ENTITY,
            "parameter_unprocessable",
            Some("identities[0].value"),
        );
        assert!(
            refused.1["error"]["message"]
                .as_str()
                .unwrap()
                .contains("confirm_wide_ranges"),
            "{}",
            refused.1
        );
    }
    let refused = ban("10.0.0.0/8", None).await;
    assert!(
        refused.1["error"]["message"]
            .as_str()
            .unwrap()
            .contains("16777216 addresses"),
        "{}",
        refused.1
    );
    // /16 and /32 and narrower need nothing; wider ones are taken once confirmed.
    for narrow in ["192.0.2.0/16", "2001:db8::/32", "203.0.113.7"] {
        let (s, b) = ban(narrow, None).await;
        assert_eq!(s, StatusCode::CREATED, "{narrow}: {b}");
    }
    let (s, b) = ban("10.0.0.0/8", Some(true)).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    // Widening a ban later needs the same confirmation.
    let (s, narrow) = ban("198.51.100.0/24", None).await;
    assert_eq!(s, StatusCode::CREATED);
    let id = narrow["id"].as_str().unwrap();
    let widened = api
        .patch(
            &format!("/bans/{id}"),
            json!({"identities": [{"kind": "ip", "value": "198.0.0.0/12"}]}),
        )
        .await;
    assert_error(
        &widened,
        StatusCode::UNPROCESSABLE_ENTITY,
        "parameter_unprocessable",
        Some("identities[0].value"),
    );
    let (s, b) = api
        .patch(&format!("/bans/{id}"), json!({"identities": [{"kind": "ip", "value": "198.0.0.0/12"}], "confirm_wide_ranges": true}))
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    app.cleanup().await;
}

async fn a_blocked_email_blocks_its_mailbox(engine: Engine) {
    let app = TestApp::on(engine).build().await;
    let api = &app.api;
    let product = crate::support::one_time(api, 500, "EUR").await;
    let buy = |email: &str| {
        api.post(
            "/checkouts",
            json!({"customer": {"email": email}, "product_id": product,
                   "payment_method": card("4242424242424242")}),
        )
    };
    let (s, first) = buy("Ann.Lee+shop@gmail.com").await;
    assert_eq!(s, StatusCode::CREATED, "{first}");
    let cus = first["customer"]["id"].as_str().unwrap();
    let details = api
        .get_ok(&format!("/customers/{cus}/payment_details"))
        .await;
    let email = details["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["kind"] == "email")
        .unwrap()
        .clone();
    // Shown as typed, kept as the mailbox it reaches.
    assert_eq!(email["label"], "ann.lee+shop@gmail.com");
    api.post_ok(
        &format!("/payment_details/{}/block", email["id"].as_str().unwrap()),
        json!({}),
    )
    .await;
    for same in [
        "annlee@gmail.com",
        "A.N.N.L.E.E@googlemail.com",
        "annlee+other@gmail.com",
    ] {
        let refused = buy(same).await;
        assert_error(
            &refused,
            StatusCode::PAYMENT_REQUIRED,
            "payment_detail_blocked",
            Some("payment_method"),
        );
    }
    // Another mailbox is another person.
    let (s, other) = buy("ann.lee@example.com").await;
    assert_eq!(s, StatusCode::CREATED, "{other}");
    app.cleanup().await;
}

on_both_engines!(
    a_blocked_email_blocks_its_mailbox,
    a_wide_ip_range_needs_a_confirmation,
    a_player_id_that_does_not_fit_is_refused_before_any_charge,
    a_download_link_streams_the_file_and_never_its_address,
);

/// A host on loopback that answers every request, whatever its path, with `answer` and counts
/// the requests it got: as a forward proxy it answers for any address asked of it. Answers the
/// count and its base URL.
async fn counting_host(
    answer: &'static str,
) -> (std::sync::Arc<std::sync::atomic::AtomicUsize>, String) {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let seen = Arc::new(AtomicUsize::new(0));
    let count = seen.clone();
    let app = axum::Router::new().fallback(move || {
        let count = count.clone();
        async move {
            count.fetch_add(1, Ordering::SeqCst);
            answer
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (seen, format!("http://{addr}"))
}

// A proxy resolves the merchant's host itself, out of the guard's sight, and reqwest takes one
// from `HTTP_PROXY` unasked. The clients are built on a builder carrying a proxy (the test
// never sets the process's environment, which other tests share): the proxy is never used.
#[tokio::test]
async fn a_configured_proxy_never_carries_a_webhook_or_a_file_fetch_past_the_guard() {
    use std::sync::Arc;
    use std::sync::atomic::Ordering;
    use std::time::Duration;

    use app::domain::entitlements::DownloadTarget;
    use app::domain::webhooks::{AllowHosts, WebhookSender};
    use server::adapters::files::FileFetcher;
    use server::adapters::webhooks::HttpSender;

    let (via_proxy, proxy) = counting_host("via proxy").await;
    let (direct, host) = counting_host("direct").await;
    let port = host.rsplit(':').next().unwrap().to_owned();
    let proxied = || reqwest::Client::builder().proxy(reqwest::Proxy::all(proxy.as_str()).unwrap());
    // `localhost` is loopback: a guard for public addresses only refuses it.
    let public_only = Arc::new(AllowHosts::default());
    let loopback = Arc::new(AllowHosts::parse("127.0.0.0/8").unwrap());
    let seconds = Duration::from_secs(5);

    let sender = HttpSender::from_builder(proxied(), public_only.clone(), seconds).unwrap();
    let sent = sender
        .post(&format!("http://localhost:{port}/hook"), &[], "{}")
        .await;
    assert!(
        matches!(&sent, Err(why) if why.contains("private, loopback or link-local")),
        "{sent:?}"
    );
    let fetcher = FileFetcher::from_builder(proxied(), public_only).unwrap();
    let fetched = fetcher
        .stream(&DownloadTarget {
            url: format!("http://localhost:{port}/files/kit.zip"),
            file_name: "kit.zip".into(),
        })
        .await;
    assert!(fetched.is_err(), "the file was fetched past the guard");
    assert_eq!(via_proxy.load(Ordering::SeqCst), 0, "the proxy was asked");
    assert_eq!(
        direct.load(Ordering::SeqCst),
        0,
        "the guarded host was reached"
    );

    // Where the guard allows, the request goes straight to the host, not through the proxy.
    let sender = HttpSender::from_builder(proxied(), loopback.clone(), seconds).unwrap();
    let answer = sender
        .post(&format!("{host}/hook"), &[], "{}")
        .await
        .unwrap();
    assert_eq!(answer.body, "direct");
    let fetcher = FileFetcher::from_builder(proxied(), loopback).unwrap();
    let file = fetcher
        .stream(&DownloadTarget {
            url: format!("{host}/files/kit.zip"),
            file_name: "kit.zip".into(),
        })
        .await
        .unwrap();
    let body = axum::body::to_bytes(file.into_body(), 1024).await.unwrap();
    assert_eq!(&body[..], b"direct");
    assert_eq!(via_proxy.load(Ordering::SeqCst), 0, "the proxy was asked");
    assert_eq!(direct.load(Ordering::SeqCst), 2);
}

const OWNER: &str = "owner@shop.example";
const OWNER_PASSWORD: &str = "a long enough password";

/// The cookies `srv` sets, with `X-Forwarded-Proto: proto` when given: the portal's, from
/// opening the receipt link at `link_path`, and the dashboard's, from the owner's login.
async fn cookies_set(
    srv: &crate::support::TestServer,
    link_path: &str,
    proto: Option<&str>,
) -> (String, String) {
    let forwarded = |req: reqwest::RequestBuilder| match proto {
        Some(p) => req.header("x-forwarded-proto", p),
        None => req,
    };
    let set_cookie = |res: &reqwest::Response| {
        res.headers()
            .get("set-cookie")
            .expect("a cookie")
            .to_str()
            .unwrap()
            .to_owned()
    };
    let opened = forwarded(srv.client.get(srv.url(link_path)))
        .send()
        .await
        .unwrap();
    assert_eq!(opened.status(), StatusCode::SEE_OTHER);
    let logged_in = forwarded(srv.client.post(srv.url("/rpc/auth/log_in")))
        .form(&[("email", OWNER), ("password", OWNER_PASSWORD)])
        .send()
        .await
        .unwrap();
    assert!(
        !logged_in.status().is_client_error(),
        "{}",
        logged_in.status()
    );
    (set_cookie(&opened), set_cookie(&logged_in))
}

/// Every cookie is Secure and `__Host-` named exactly when Patron's public address is
/// https://: behind a TLS proxy that sends no `X-Forwarded-Proto` it is, and on a plain
/// http:// address a request's `X-Forwarded-Proto: https` (which anyone can send) changes
/// nothing.
async fn every_cookie_is_secure_by_the_public_address_never_by_a_header(engine: Engine) {
    use app::domain::accounts::{self, NewUser};
    use app::domain::portal;
    use app::types::{CustomerId, Role};

    let app = TestApp::on(engine).build().await;
    let plain = &app.api.srv;
    let behind =
        crate::support::TestServer::start_behind(app.svc.clone(), "https://billing.example").await;
    let ann = app
        .api
        .post_ok(
            "/customers",
            json!({"email": "ann@example.com", "name": "Ann Lee"}),
        )
        .await;
    let ann = CustomerId::parse(ann["id"].as_str().unwrap()).unwrap();
    let link = portal::portal_link(&app.svc, &app.caller, &ann)
        .await
        .unwrap();
    let link_path = link.url.strip_prefix(&plain.base).unwrap().to_owned();
    accounts::create_user(
        &app.svc,
        NewUser {
            workspace_id: app.tenant.workspace_id.clone(),
            email: OWNER.into(),
            role: Role::Owner,
            password: OWNER_PASSWORD.into(),
        },
    )
    .await
    .unwrap();

    let (portal_cookie, session_cookie) = cookies_set(&behind, &link_path, None).await;
    assert!(
        portal_cookie.starts_with("__Host-patron_portal="),
        "{portal_cookie}"
    );
    assert!(
        session_cookie.starts_with("__Host-patron_session="),
        "{session_cookie}"
    );
    for cookie in [&portal_cookie, &session_cookie] {
        for part in ["; Secure", "; HttpOnly", "; SameSite=Lax", "; Path=/"] {
            assert!(cookie.contains(part), "{part} in {cookie}");
        }
        assert!(!cookie.contains("Domain"), "{cookie}");
    }
    // The `__Host-` cookie is the portal session.
    let export = behind
        .client
        .get(behind.url("/portal/data_export.json"))
        .header("cookie", portal_cookie.split(';').next().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(export.status(), StatusCode::OK);

    let (portal_cookie, session_cookie) = cookies_set(plain, &link_path, Some("https")).await;
    assert!(
        portal_cookie.starts_with("patron_portal="),
        "{portal_cookie}"
    );
    assert!(
        session_cookie.starts_with("patron_session="),
        "{session_cookie}"
    );
    for cookie in [&portal_cookie, &session_cookie] {
        assert!(!cookie.contains("Secure"), "{cookie}");
    }
    drop(behind);
    app.cleanup().await;
}

on_both_engines!(every_cookie_is_secure_by_the_public_address_never_by_a_header);

/// A product's currency is read in any case and checked where it arrives: a code that is not
/// ISO 4217 is refused naming the field, and nothing is made.
async fn a_product_currency_is_read_in_any_case_and_refused_when_unknown(engine: Engine) {
    let app = TestApp::on(engine).build().await;
    let api = &app.api;
    let product = |currency: &str| {
        json!({"name": "Kit", "kind": "one_time", "amount": 900, "currency": currency,
               "benefits": [{"kind": "custom", "description": "Kit"}]})
    };
    let count = || async {
        api.get_ok("/products").await["data"]
            .as_array()
            .unwrap()
            .len()
    };
    let before = count().await;
    let made = api.post("/products", product(" eur ")).await;
    assert_eq!(made.0, StatusCode::CREATED, "{}", made.1);
    assert_eq!(made.1["currency"], "EUR");
    for bad in ["EURO", "XAU", "€"] {
        let refused = api.post("/products", product(bad)).await;
        assert_error(
            &refused,
            StatusCode::BAD_REQUEST,
            "parameter_invalid",
            Some("currency"),
        );
    }
    assert_eq!(count().await, before + 1);
    app.cleanup().await;
}

on_both_engines!(a_product_currency_is_read_in_any_case_and_refused_when_unknown);
