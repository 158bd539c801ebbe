//! Inputs that could hurt a system downstream: a customer's external id reaches a game
//! server's console only when it fits the product's player-id kind, checked before any charge.

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

on_both_engines!(a_player_id_that_does_not_fit_is_refused_before_any_charge);
