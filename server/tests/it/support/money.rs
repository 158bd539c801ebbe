//! Money fixtures through the REST API (products, cards, checkouts, a second workspace) and the
//! simulated provider's ledger checked against Patron's records.

use app::domain::Services;
use app::domain::payments::compare;
use app::domain::provider::{Movement, MovementKind};
use app::types::Scope;
use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{Api, Tenant, TestDb, TestServer};

/// Every scope: these tests act as a merchant back end that does everything.
pub const EVERY_SCOPE: &[Scope] = &Scope::ALL;

/// A one-time product at `amount` minor units of `currency`, granting a licence key.
pub async fn one_time(api: &Api, amount: i64, currency: &str) -> String {
    let (s, p) = api
        .post(
            "/products",
            json!({"name": "Starter Kit", "kind": "one_time", "amount": amount, "currency": currency,
                   "benefits": [{"kind": "license_key", "prefix": "NWG"},
                                {"kind": "file_download", "file_name": "kit.zip", "url": "https://files.example.com/kit.zip"}]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    p["id"].as_str().unwrap().to_owned()
}

/// A monthly subscription product granting a game-server command and a Discord role.
pub async fn monthly(api: &Api, amount: i64, currency: &str) -> String {
    let (s, p) = api
        .post(
            "/products",
            json!({"name": "VIP", "kind": "subscription", "amount": amount, "currency": currency,
                   "interval": "month",
                   "benefits": [{"kind": "game_server_commands", "server": "eu-1",
                                 "on_grant": ["vip add {customer_external_id}"],
                                 "on_revoke": ["vip remove {customer_external_id}"]},
                                {"kind": "discord_role", "guild_id": "123456789012345678", "role_id": "223456789012345678"}]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    p["id"].as_str().unwrap().to_owned()
}

pub fn card(number: &str) -> Value {
    json!({"type": "card", "number": number})
}

pub async fn checkout(api: &Api, product: &str, email: &str, method: Value) -> (StatusCode, Value) {
    api.post(
        "/checkouts",
        json!({"customer": {"email": email}, "product_id": product, "payment_method": method,
               "ip": "203.0.113.9"}),
    )
    .await
}

pub async fn paid_checkout(api: &Api, product: &str, email: &str, method: Value) -> Value {
    let (s, c) = checkout(api, product, email, method).await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    c
}

/// Another workspace's client on the same server's database.
pub async fn other_workspace(api: &Api) -> Api {
    let svc = TestDb::services_of(&api.srv);
    let other = Tenant::create(&svc, "Shop B", EVERY_SCOPE).await;
    Api {
        srv: TestServer::start(svc).await,
        key: other.key,
    }
}

/// Every movement in the provider's ledger (one ledger, whichever process reads it).
pub async fn ledger(svc: &Services) -> Vec<Movement> {
    svc.provider.movements().await.unwrap()
}

/// How many movements of `kind` the provider's ledger holds.
pub async fn movements(svc: &Services, kind: MovementKind) -> usize {
    ledger(svc)
        .await
        .into_iter()
        .filter(|m| m.kind == kind)
        .count()
}

/// The provider's ledger and Patron's records agree to the cent.
pub async fn agree(svc: &Services) {
    let d = compare(svc).await.unwrap();
    assert!(
        d.is_empty(),
        "the provider's ledger and Patron's records differ:\n{}",
        d.iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n")
    );
}
