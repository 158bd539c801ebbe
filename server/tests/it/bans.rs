//! Bans through the REST API on both engines: each identity kind refuses a checkout that
//! matches only it, CIDR ranges match inside and not outside, expired and lifted bans stop
//! matching, names and emails compare as people write them, and the list's banned filter
//! follows the same rule.

use app::db::Engine;
use app::domain::{DomainError, bans};
use app::types::ban::{BanIdentity, BanIdentityKind};
use app::types::{CustomerId, Scope};
use chrono::Duration;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::on_both_engines;
use crate::support::{Api, TestApp, TestServer, assert_error, card, one_time};

const VISA: &str = "4242424242424242";
const GERMAN_CARD: &str = "4000002760000016";

/// The shared fixture and a one-time product at 15 EUR.
struct World {
    app: TestApp,
    product: String,
}

impl std::ops::Deref for World {
    type Target = TestApp;
    fn deref(&self) -> &TestApp {
        &self.app
    }
}

async fn world(engine: Engine) -> World {
    let app = TestApp::on(engine).build().await;
    let product = one_time(&app.api, 1500, "EUR").await;
    World { app, product }
}

impl World {
    /// A checkout: `who` is the `customer` object (or `{"customer_id": ..}` merged in).
    async fn buy(&self, who: Value, number: &str, ip: &str) -> (StatusCode, Value) {
        let mut body =
            json!({"product_id": self.product, "payment_method": card(number), "ip": ip});
        for (k, v) in who.as_object().unwrap() {
            body[k] = v.clone();
        }
        self.api.post("/checkouts", body).await
    }

    async fn ban(&self, identities: Value, expires_at: Option<&str>) -> String {
        let (s, b) = self
            .api
            .post(
                "/bans",
                json!({"reason": "chargeback fraud", "identities": identities, "expires_at": expires_at}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
        assert_eq!(b["status"], "active");
        b["id"].as_str().unwrap().to_owned()
    }

    async fn lift(&self, id: &str) {
        let (s, b) = self.api.post(&format!("/bans/{id}/lift"), json!({})).await;
        assert_eq!(s, StatusCode::OK, "{b}");
        assert_eq!(b["status"], "lifted");
    }

    async fn banned_ids(&self) -> Vec<String> {
        let (s, page) = self.api.get("/customers?banned=true").await;
        assert_eq!(s, StatusCode::OK, "{page}");
        page["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_str().unwrap().to_owned())
            .collect()
    }
}

fn assert_banned(res: &(StatusCode, Value), ban: &str) {
    assert_error(res, StatusCode::FORBIDDEN, "customer_banned", None);
    assert_eq!(res.1["error"]["ban_id"], ban, "{}", res.1);
}

async fn each_identity_kind_refuses_a_checkout_matching_only_it(engine: Engine) {
    let w = world(engine).await;
    let (s, first) = w
        .buy(
            json!({"customer": {"email": "ann@example.com", "name": "Ann Smith", "external_id": "76561198000000001"}}),
            VISA,
            "203.0.113.9",
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{first}");
    let ann = first["customer"]["id"].as_str().unwrap().to_owned();
    let fingerprint = first["order"]["payment_method"]["fingerprint"]
        .as_str()
        .unwrap()
        .to_owned();

    // A stranger: no identity in common with Ann, so never refused by her bans.
    let stranger = |n: u32| json!({"customer": {"email": format!("stranger{n}@example.org")}});

    let cases: [(Value, Value, &str, &str); 6] = [
        (
            json!([{"kind": "customer", "value": ann}]),
            json!({"customer_id": ann}),
            GERMAN_CARD,
            "192.0.2.1",
        ),
        (
            json!([{"kind": "name", "value": "Ann Smith"}]),
            json!({"customer": {"email": "other1@example.org", "name": "  ANN   smith "}}),
            GERMAN_CARD,
            "192.0.2.2",
        ),
        (
            json!([{"kind": "email", "value": "ab@gmail.com"}]),
            json!({"customer": {"email": "A.B+shop@gmail.com"}}),
            GERMAN_CARD,
            "192.0.2.3",
        ),
        (
            json!([{"kind": "external_id", "value": "76561198000000001"}]),
            json!({"customer": {"external_id": "76561198000000001", "email": "other2@example.org"}}),
            GERMAN_CARD,
            "192.0.2.4",
        ),
        (
            json!([{"kind": "ip", "value": "198.51.100.0/24"}]),
            json!({"customer": {"email": "other3@example.org"}}),
            GERMAN_CARD,
            "198.51.100.77",
        ),
        (
            json!([{"kind": "card", "value": fingerprint}]),
            json!({"customer": {"email": "other4@example.org"}}),
            VISA,
            "192.0.2.5",
        ),
    ];
    for (n, (identities, who, number, ip)) in cases.into_iter().enumerate() {
        let ban = w.ban(identities.clone(), None).await;
        assert_banned(&w.buy(who.clone(), number, ip).await, &ban);
        let (s, body) = w.buy(stranger(n as u32), GERMAN_CARD, "192.0.2.200").await;
        assert_eq!(
            s,
            StatusCode::CREATED,
            "{identities}: a stranger buys: {body}"
        );
        w.lift(&ban).await;
        let (s, body) = w.buy(who, number, ip).await;
        assert_eq!(s, StatusCode::CREATED, "{identities} lifted: {body}");
    }

    // A range matches inside it and not outside; IPv6 too.
    let ban = w
        .ban(json!([{"kind": "ip", "value": "198.51.100.0/24"}, {"kind": "ip", "value": "2001:db8::/32"}]), None)
        .await;
    assert_banned(
        &w.buy(stranger(90), GERMAN_CARD, "198.51.100.1").await,
        &ban,
    );
    assert_banned(&w.buy(stranger(91), GERMAN_CARD, "2001:db8::7").await, &ban);
    assert_eq!(
        w.buy(stranger(92), GERMAN_CARD, "198.51.101.1").await.0,
        StatusCode::CREATED
    );
    assert_eq!(
        w.buy(stranger(93), GERMAN_CARD, "2001:db9::7").await.0,
        StatusCode::CREATED
    );
    w.lift(&ban).await;

    // An expired ban does not refuse, and stops counting as banned in the list, with no job.
    let ban = w
        .ban(
            json!([{"kind": "email", "value": "ann@example.com"}]),
            Some("2026-11-28T09:00:00Z"),
        )
        .await;
    assert_banned(
        &w.buy(json!({"customer_id": ann}), GERMAN_CARD, "192.0.2.9")
            .await,
        &ban,
    );
    assert_eq!(w.banned_ids().await, vec![ann.clone()]);
    let not_banned = w.api.get_ok("/customers?banned=false&limit=100").await;
    assert!(
        not_banned["data"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["id"] != ann.as_str()),
        "{not_banned}"
    );
    w.clock.advance(Duration::days(8));
    let (s, b) = w.api.get(&format!("/bans/{ban}")).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(b["status"], "expired");
    assert!(w.banned_ids().await.is_empty());
    let (s, body) = w
        .buy(json!({"customer_id": ann}), GERMAN_CARD, "192.0.2.9")
        .await;
    assert_eq!(s, StatusCode::CREATED, "{body}");

    w.app.cleanup().await;
}

async fn bans_are_previewed_edited_listed_by_customer_and_validated(engine: Engine) {
    let w = world(engine).await;
    let (s, first) = w
        .buy(
            json!({"customer": {"email": "a.b@gmail.com", "name": "Bo"}}),
            VISA,
            "203.0.113.9",
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{first}");
    let bo = first["customer"]["id"].as_str().unwrap().to_owned();
    let (s, second) = w
        .buy(
            json!({"customer": {"email": "cy@example.com"}}),
            GERMAN_CARD,
            "203.0.113.10",
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{second}");

    // The preview names who would be matched, and by what.
    let (s, p) = w
        .api
        .post(
            "/bans/preview",
            json!({"identities": [{"kind": "email", "value": "AB+x@gmail.com"}, {"kind": "ip", "value": "203.0.113.0/24"}]}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{p}");
    assert_eq!(p["count"], 2);
    let bo_match = p["customers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["customer_id"] == bo.as_str())
        .unwrap();
    assert_eq!(bo_match["matched_by"], json!(["email", "ip"]));

    // Bad input names the identity at fault, and writes nothing.
    let bad = w
        .api
        .post(
            "/bans",
            json!({"reason": "x", "identities": [{"kind": "email", "value": "ann@example.com"}, {"kind": "ip", "value": "999.1.1.1"}]}),
        )
        .await;
    assert_error(
        &bad,
        StatusCode::BAD_REQUEST,
        "parameter_invalid",
        Some("identities[1].value"),
    );
    let past = w
        .api
        .post(
            "/bans",
            json!({"reason": "x", "expires_at": "2020-01-01T00:00:00Z", "identities": [{"kind": "customer", "value": bo}]}),
        )
        .await;
    assert_error(
        &past,
        StatusCode::UNPROCESSABLE_ENTITY,
        "parameter_unprocessable",
        Some("expires_at"),
    );
    let none = w
        .api
        .post("/bans", json!({"reason": "x", "identities": []}))
        .await;
    assert_error(
        &none,
        StatusCode::BAD_REQUEST,
        "parameter_invalid",
        Some("identities"),
    );
    let all = w.api.get_ok("/bans").await;
    assert_eq!(all["data"], json!([]));

    // Edit: add an IP, then the ban lists under the customer and refuses that IP too.
    let ban = w
        .ban(json!([{"kind": "customer", "value": bo}]), None)
        .await;
    let (s, edited) = w
        .api
        .patch(
            &format!("/bans/{ban}"),
            json!({"identities": [{"kind": "customer", "value": bo}, {"kind": "ip", "value": "192.0.2.55"}],
                   "reason": "abuse", "version": 1}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{edited}");
    assert_eq!(edited["version"], 2);
    assert_eq!(edited["reason"], "abuse");
    assert_banned(
        &w.buy(
            json!({"customer": {"email": "new@example.org"}}),
            GERMAN_CARD,
            "192.0.2.55",
        )
        .await,
        &ban,
    );
    let stale = w
        .api
        .patch(
            &format!("/bans/{ban}"),
            json!({"reason": "again", "version": 1}),
        )
        .await;
    assert_error(&stale, StatusCode::CONFLICT, "version_conflict", None);
    let (s, listed) = w.api.get(&format!("/bans?customer={bo}")).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(listed["data"][0]["id"], ban.as_str());
    assert_eq!(w.banned_ids().await, vec![bo.clone()]);
    w.lift(&ban).await;
    assert!(w.banned_ids().await.is_empty());

    // Banning needs bans:write; reading bans does not.
    let reader = Api {
        srv: TestServer::start(w.svc.clone()).await,
        key: w.tenant.key_with(&w.svc, &[Scope::CustomersRead]).await,
    };
    let refused = reader
        .post(
            "/bans",
            json!({"reason": "x", "identities": [{"kind": "customer", "value": bo}]}),
        )
        .await;
    assert_error(&refused, StatusCode::FORBIDDEN, "insufficient_scope", None);
    assert_eq!(reader.get(&format!("/bans/{ban}")).await.0, StatusCode::OK);
    drop(reader);
    w.app.cleanup().await;
}

async fn each_identity_counts_the_customers_it_matches_and_the_others_among_them(engine: Engine) {
    let w = world(engine).await;
    let (s, ann) = w
        .buy(
            json!({"customer": {"email": "a.nn@gmail.com", "name": "Ann Smith", "external_id": "76561198000000001"}}),
            VISA,
            "203.0.113.9",
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{ann}");
    // Bo shares Ann's mailbox, name and card; Cy only her network.
    let (s, bo) = w
        .buy(
            json!({"customer": {"email": "ann+shop@gmail.com", "name": "ANN SMITH"}}),
            VISA,
            "203.0.113.10",
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{bo}");
    let (s, cy) = w
        .buy(
            json!({"customer": {"email": "cy@example.com"}}),
            GERMAN_CARD,
            "203.0.113.200",
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{cy}");
    let ann_id: CustomerId = ann["customer"]["id"].as_str().unwrap().parse().unwrap();
    let fingerprint = |bought: &Value| {
        bought["order"]["payment_method"]["fingerprint"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let id = |kind, value: &str| BanIdentity {
        kind,
        value: value.into(),
    };
    // As a merchant writes them: the domain compares them normalised, and answers them as asked.
    let asked = vec![
        id(BanIdentityKind::Customer, ann_id.as_str()),
        id(BanIdentityKind::Name, "Ann Smith"),
        id(BanIdentityKind::Email, "A.NN@Gmail.com"),
        id(BanIdentityKind::ExternalId, "76561198000000001"),
        id(BanIdentityKind::Card, &fingerprint(&ann)),
        id(BanIdentityKind::Card, &fingerprint(&cy)),
        id(BanIdentityKind::Ip, "203.0.113.9"),
        id(BanIdentityKind::Ip, "203.0.113.0/24"),
        id(BanIdentityKind::Ip, "192.0.2.1"),
    ];
    let reach = bans::preview_ban_identities(&w.svc, &w.caller, Some(&ann_id), &asked)
        .await
        .unwrap();
    let identities: Vec<BanIdentity> = reach.iter().map(|r| r.identity.clone()).collect();
    assert_eq!(identities, asked);
    let counts: Vec<(u64, u64)> = reach.iter().map(|r| (r.customers, r.others)).collect();
    assert_eq!(
        counts,
        [
            (1, 0),
            (2, 1),
            (2, 1),
            (1, 0),
            (2, 1),
            (1, 1),
            (1, 0),
            (3, 2),
            (0, 0)
        ]
    );

    // Without a customer of the ban, every match is another's.
    let unowned = bans::preview_ban_identities(&w.svc, &w.caller, None, &asked[4..5])
        .await
        .unwrap();
    assert_eq!((unowned[0].customers, unowned[0].others), (2, 2));

    // All of them together still match each customer once, by the kinds that match them.
    let (s, p) = w
        .api
        .post("/bans/preview", json!({"identities": asked}))
        .await;
    assert_eq!(s, StatusCode::OK, "{p}");
    assert_eq!(p["count"], 3);
    let by = |who: &Value| {
        p["customers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["customer_id"] == who["customer"]["id"])
            .unwrap()["matched_by"]
            .clone()
    };
    assert_eq!(by(&bo), json!(["name", "email", "ip", "card"]));
    assert_eq!(by(&cy), json!(["ip", "card"]));

    // A malformed identity is named by its place, as a ban names it.
    match bans::preview_ban_identities(
        &w.svc,
        &w.caller,
        Some(&ann_id),
        &[asked[0].clone(), id(BanIdentityKind::Ip, "999.1.1.1")],
    )
    .await
    {
        Err(DomainError::Invalid { field, .. }) => assert_eq!(field, "identities[1].value"),
        other => panic!("{other:?}"),
    }
    w.app.cleanup().await;
}

on_both_engines!(
    each_identity_kind_refuses_a_checkout_matching_only_it,
    bans_are_previewed_edited_listed_by_customer_and_validated,
    each_identity_counts_the_customers_it_matches_and_the_others_among_them
);
