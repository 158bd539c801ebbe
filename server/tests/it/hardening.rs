//! Inputs that could hurt a system downstream: a customer's external id reaches a game
//! server's console only when it fits the product's player-id kind, checked before any charge;
//! a download link streams its file (from a real file server on loopback) and never hands out
//! the file's own address, and stops with the link or the entitlement.

use app::db::Engine;
use reqwest::StatusCode;
use serde_json::json;

use crate::money_api::card;
use crate::on_both_engines;
use crate::support::{TestApp, assert_error};

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
    let product = crate::money_api::one_time(api, 500, "EUR").await;
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
