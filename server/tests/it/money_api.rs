//! The money flows through the REST API: checkout, refunds (concurrent, SEPA), blocked details,
//! disputes and repayments, subscriptions actions, entitlements, and tenancy, on both engines.

use app::db::Engine;
use app::types::Scope;
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

use crate::on_both_engines;
use crate::support::{
    Api, TestApp, TestDb, TestServer, assert_error, assert_every, card, checkout, monthly,
    one_time, other_workspace, paid_checkout,
};

async fn a_checkout_creates_the_customer_order_and_entitlements(engine: Engine) {
    let TestApp {
        t,
        api,
        tenant,
        svc,
        ..
    } = TestApp::on(engine).build().await;
    let product = one_time(&api, 1500, "USD").await;
    let c = paid_checkout(&api, &product, "Ada@Example.com", card("4000002760000016")).await;
    assert_eq!(c["customer_created"], true);
    assert_eq!(c["customer"]["email"], "ada@example.com");
    // No country given: detected from the German test card.
    assert_eq!(c["customer"]["country"], "DE");
    assert_eq!(c["order"]["status"], "paid");
    assert_eq!(c["order"]["amount"], 1500);
    assert_eq!(c["order"]["currency"], "USD");
    assert_eq!(c["order"]["workspace_currency"], "EUR");
    // 15.00 USD at 1/1.08 is 13.89 EUR.
    assert_eq!(c["order"]["workspace_amount"], 1389);
    assert_eq!(c["order"]["payment_method"]["last4"], "0016");
    assert_eq!(c["order"]["ip"], "203.0.113.9");
    let ents = c["entitlements"].as_array().unwrap();
    assert_eq!(ents.len(), 2);
    let key = ents
        .iter()
        .find(|e| e["benefit"]["kind"] == "license_key")
        .unwrap();
    let masked = key["license_key"].as_str().unwrap();
    assert!(masked.starts_with("NWG-•••••-"), "{masked}");

    // The same email buys again: the same customer, and the stats add up per currency.
    let again = paid_checkout(&api, &product, "ada@example.com", card("4242424242424242")).await;
    assert_eq!(again["customer_created"], false);
    let cus = c["customer"]["id"].as_str().unwrap();
    assert_eq!(again["customer"]["id"], cus);
    let stats = api.get_ok(&format!("/customers/{cus}/stats")).await;
    assert_eq!(stats["lifetime_value"], 2778);
    assert_eq!(stats["lifetime_value_by_currency"][0]["currency"], "USD");
    assert_eq!(stats["lifetime_value_by_currency"][0]["net"], 3000);
    assert_eq!(stats["total_payments"], 2);
    assert_eq!(stats["order_count"], 2);

    // The full key is revealed on purpose, and the download link never shows the file's address.
    let ent = key["id"].as_str().unwrap();
    let (s, full) = api.get(&format!("/entitlements/{ent}/license_key")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(full["license_key"].as_str().unwrap().starts_with("NWG-"));
    assert!(!full["license_key"].as_str().unwrap().contains('•'));
    // Revealing needs entitlements:write (support and above), and is on record, key unsaid.
    let reader = Api {
        srv: TestServer::start(svc.clone()).await,
        key: tenant.key_with(&svc, &[Scope::CustomersRead]).await,
    };
    let refused = reader
        .get(&format!("/entitlements/{ent}/license_key"))
        .await;
    assert_error(&refused, StatusCode::FORBIDDEN, "insufficient_scope", None);
    let recorded = app::db::entities::event::Entity::find()
        .filter(app::db::entities::event::Column::Action.eq("license_key.revealed"))
        .all(&svc.db)
        .await
        .unwrap();
    assert_eq!(recorded.len(), 1, "one reveal, one event");
    assert_eq!(recorded[0].target_id, ent);
    assert!(
        !recorded[0].changes.contains("NWG-"),
        "the key is never recorded"
    );
    let file = ents
        .iter()
        .find(|e| e["benefit"]["kind"] == "file_download")
        .unwrap();
    let (s, link) = api
        .post(
            &format!(
                "/entitlements/{}/download_link",
                file["id"].as_str().unwrap()
            ),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{link}");
    let res = api
        .srv
        .client
        .get(api.srv.url(link["url"].as_str().unwrap()))
        .send()
        .await
        .unwrap();
    // Patron streams the file itself (`hardening` serves one); this host cannot be reached
    // from the test, and its address is never handed out instead.
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(res.headers().get("location").is_none());
    assert!(!res.text().await.unwrap().contains("files.example.com"));
    let tampered = link["url"].as_str().unwrap().replace(".", "x.");
    let res = api
        .srv
        .client
        .get(api.srv.url(&tampered))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    t.cleanup().await;
}

async fn a_known_customer_without_a_country_gets_the_cards_country(engine: Engine) {
    let TestApp { t, api, .. } = TestApp::on(engine).build().await;
    let product = one_time(&api, 1000, "EUR").await;
    let cus = api
        .post_ok(
            "/customers",
            json!({"external_id": "steam-7", "name": "Kaito"}),
        )
        .await;
    let c = api
        .post(
            "/checkouts",
            json!({"customer": {"external_id": "steam-7", "email": "kaito@example.com"},
                   "product_id": product, "payment_method": card("4000002500000003")}),
        )
        .await;
    assert_eq!(c.0, StatusCode::CREATED, "{}", c.1);
    assert_eq!(c.1["customer_created"], false);
    assert_eq!(c.1["customer"]["id"], cus["id"]);
    let after = api
        .get_ok(&format!("/customers/{}", cus["id"].as_str().unwrap()))
        .await;
    assert_eq!(after["country"], "FR");
    assert_eq!(after["version"], 2, "the change is versioned like an edit");
    t.cleanup().await;
}

async fn a_declined_card_is_recorded_as_a_failed_order(engine: Engine) {
    let TestApp { t, api, .. } = TestApp::on(engine).build().await;
    let product = one_time(&api, 1000, "EUR").await;
    let res = checkout(&api, &product, "bo@example.com", card("4000000000000002")).await;
    assert_error(
        &res,
        StatusCode::PAYMENT_REQUIRED,
        "card_declined",
        Some("payment_method"),
    );
    let list = api.get_ok("/customers?email=bo@example.com").await;
    let cus = list["data"][0]["id"].as_str().unwrap();
    let orders = api.get_ok(&format!("/customers/{cus}/orders")).await;
    assert_eq!(orders["data"][0]["status"], "failed");
    assert_eq!(orders["data"][0]["failure_code"], "card_declined");
    let stats = api.get_ok(&format!("/customers/{cus}/stats")).await;
    assert_eq!(stats["order_count"], 1);
    assert_eq!(stats["total_payments"], 0);
    assert_eq!(stats["lifetime_value"], 0);

    let bad = checkout(
        &api,
        &product,
        "bo@example.com",
        card("4242 4242 4242 4241"),
    )
    .await;
    assert_error(
        &bad,
        StatusCode::PAYMENT_REQUIRED,
        "payment_method_invalid",
        Some("payment_method"),
    );
    let bad = checkout(&api, &product, "not-an-email", card("4242424242424242")).await;
    assert_error(
        &bad,
        StatusCode::BAD_REQUEST,
        "parameter_invalid",
        Some("customer.email"),
    );
    t.cleanup().await;
}

async fn count(t: &TestDb, table: &str) -> i64 {
    use sea_orm::{ConnectionTrait, Statement};
    let row =
        t.db.query_one_raw(Statement::from_string(
            t.db.get_database_backend(),
            format!("SELECT COUNT(*) AS n FROM {table}"),
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get::<i64>("", "n").unwrap()
}

async fn a_blocked_card_is_refused_and_nothing_is_written(engine: Engine) {
    let TestApp { t, api, .. } = TestApp::on(engine).build().await;
    let product = one_time(&api, 1000, "EUR").await;
    let c = paid_checkout(
        &api,
        &product,
        "fraud@example.com",
        card("4242424242424242"),
    )
    .await;
    let cus = c["customer"]["id"].as_str().unwrap();
    let details = api
        .get_ok(&format!("/customers/{cus}/payment_details"))
        .await["data"]
        .clone();
    let kinds: Vec<&str> = details
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["card", "email", "ip"]);
    let card_detail = &details[0];
    assert_eq!(card_detail["label"], "Visa •••• 4242");
    let (s, blocked) = api
        .post(
            &format!(
                "/payment_details/{}/block",
                card_detail["id"].as_str().unwrap()
            ),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(blocked["status"], "blocked");

    let before: Vec<i64> = row_counts(&t).await;
    // Someone else (new email, new IP) pays with the blocked card.
    let res = api
        .post(
            "/checkouts",
            json!({"customer": {"email": "other@example.com", "external_id": "x-1"},
                   "product_id": product, "payment_method": card("4242 4242 4242 4242"),
                   "ip": "198.51.100.1"}),
        )
        .await;
    assert_error(
        &res,
        StatusCode::PAYMENT_REQUIRED,
        "payment_detail_blocked",
        Some("payment_method"),
    );
    assert!(res.1["error"]["message"].as_str().unwrap().contains("4242"));
    assert_eq!(
        row_counts(&t).await,
        before,
        "a refused checkout wrote something"
    );

    // The log shows who blocked it; unblocking lets the card pay again.
    let log = api
        .get_ok(&format!(
            "/payment_details/{}/log",
            card_detail["id"].as_str().unwrap()
        ))
        .await["data"]
        .clone();
    assert_eq!(log[0]["action"], "payment_detail.blocked");
    assert_eq!(log[0]["actor_type"], "api_key");
    api.post_ok(
        &format!("/customers/{cus}/payment_details/unblock_all"),
        json!({}),
    )
    .await;
    paid_checkout(
        &api,
        &product,
        "other@example.com",
        card("4242424242424242"),
    )
    .await;
    t.cleanup().await;
}

async fn row_counts(t: &TestDb) -> Vec<i64> {
    let mut out = Vec::new();
    for table in [
        "customers",
        "orders",
        "payment_details",
        "entitlements",
        "events",
    ] {
        out.push(count(t, table).await);
    }
    out
}

async fn a_sepa_payment_refunds_only_in_full_with_the_risk_acknowledged(engine: Engine) {
    let TestApp { t, api, .. } = TestApp::on(engine).build().await;
    let product = one_time(&api, 2000, "EUR").await;
    let c = paid_checkout(
        &api,
        &product,
        "sepa@example.com",
        json!({"type": "sepa_debit", "iban": "DE89 3704 0044 0532 0130 00"}),
    )
    .await;
    let order = c["order"]["id"].as_str().unwrap();
    let path = format!("/orders/{order}/refunds");
    let partial = api
        .post(&path, json!({"amount": 500, "acknowledge_risk": true}))
        .await;
    assert_error(
        &partial,
        StatusCode::UNPROCESSABLE_ENTITY,
        "parameter_unprocessable",
        Some("amount"),
    );
    let unacknowledged = api.post(&path, json!({})).await;
    assert_error(
        &unacknowledged,
        StatusCode::UNPROCESSABLE_ENTITY,
        "parameter_unprocessable",
        Some("acknowledge_risk"),
    );
    let o = api.get_ok(&format!("/orders/{order}")).await;
    assert_eq!(o["refunded_amount"], 0, "a refused refund moved money");
    let (s, r) = api
        .post(
            &path,
            json!({"acknowledge_risk": true, "reason": "requested"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    assert_eq!(r["amount"], 2000);
    assert_eq!(r["risk_acknowledged"], true);
    let o = api.get_ok(&format!("/orders/{order}")).await;
    assert_eq!(o["status"], "refunded");
    assert_eq!(o["refundable_amount"], 0);
    t.cleanup().await;
}

async fn fifty_concurrent_partial_refunds_never_exceed_the_order(engine: Engine) {
    let TestApp { t, api, .. } = TestApp::on(engine).build().await;
    let product = one_time(&api, 1000, "EUR").await;
    let c = paid_checkout(&api, &product, "many@example.com", card("4242424242424242")).await;
    let order = c["order"]["id"].as_str().unwrap().to_owned();
    let cus = c["customer"]["id"].as_str().unwrap().to_owned();
    let api = std::sync::Arc::new(api);
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..50 {
        let api = api.clone();
        let path = format!("/orders/{order}/refunds");
        tasks.spawn(async move { api.post(&path, json!({"amount": 30})).await });
    }
    let mut ok = 0;
    let mut refused = 0;
    while let Some(res) = tasks.join_next().await {
        let (status, body) = res.unwrap();
        if status == StatusCode::CREATED {
            ok += 1;
        } else {
            refused += 1;
            assert_eq!(status, StatusCode::CONFLICT, "{body}");
            assert_eq!(body["error"]["code"], "refund_exceeds_remaining", "{body}");
            assert!(
                body["error"]["message"]
                    .as_str()
                    .unwrap()
                    .contains("remains"),
                "{body}"
            );
        }
    }
    // 33 × 0.30 = 9.90 fits in 10.00; a 34th would not.
    assert_eq!((ok, refused), (33, 17));
    let o = api.get_ok(&format!("/orders/{order}")).await;
    assert_eq!(o["refunded_amount"], 990);
    assert_eq!(o["status"], "partially_refunded");
    let refunds = api.get_ok(&format!("/orders/{order}/refunds")).await["data"].clone();
    let sum: i64 = refunds
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["amount"].as_i64().unwrap())
        .sum();
    assert_eq!(sum, 990);
    let stats = api.get_ok(&format!("/customers/{cus}/stats")).await;
    assert_eq!(stats["refunds_count"], 33);
    assert_eq!(stats["lifetime_value"], 10);
    // The last 0.10 can still be refunded; then nothing can.
    let (s, _) = api
        .post(&format!("/orders/{order}/refunds"), json!({}))
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let none = api
        .post(&format!("/orders/{order}/refunds"), json!({"amount": 1}))
        .await;
    assert_error(&none, StatusCode::CONFLICT, "order_not_refundable", None);
    drop(api);
    t.cleanup().await;
}

async fn a_refund_can_block_every_detail_and_revoke_the_benefits(engine: Engine) {
    let TestApp { t, api, .. } = TestApp::on(engine).build().await;
    let product = one_time(&api, 1000, "EUR").await;
    let c = paid_checkout(
        &api,
        &product,
        "abuse@example.com",
        card("4242424242424242"),
    )
    .await;
    let order = c["order"]["id"].as_str().unwrap();
    let cus = c["customer"]["id"].as_str().unwrap();
    let (s, r) = api
        .post(
            &format!("/orders/{order}/refunds"),
            json!({"amount": 400, "block_payment_details": true, "revoke_benefits": true}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    let details = api
        .get_ok(&format!("/customers/{cus}/payment_details"))
        .await["data"]
        .clone();
    assert_every(details.as_array().unwrap(), |d| d["status"] == "blocked");
    let ents = api.get_ok(&format!("/customers/{cus}/entitlements")).await["data"].clone();
    assert_every(ents.as_array().unwrap(), |e| e["status"] == "revoked");
    // Revoked items cannot be revoked again.
    let again = api
        .post(
            &format!("/entitlements/{}/revoke", ents[0]["id"].as_str().unwrap()),
            json!({}),
        )
        .await;
    assert_error(&again, StatusCode::CONFLICT, "entitlement_not_active", None);
    t.cleanup().await;
}

async fn a_lost_dispute_is_a_chargeback_and_a_repayment_can_be_recorded(engine: Engine) {
    let TestApp { t, api, .. } = TestApp::on(engine).build().await;
    let product = one_time(&api, 1000, "EUR").await;
    let c = paid_checkout(&api, &product, "dp@example.com", card("4242424242424242")).await;
    let order = c["order"]["id"].as_str().unwrap();
    let cus = c["customer"]["id"].as_str().unwrap();
    api.post_ok(&format!("/orders/{order}/refunds"), json!({"amount": 200}))
        .await;
    let (s, d) = api
        .post(
            &format!("/orders/{order}/disputes"),
            json!({"reason": "fraudulent"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{d}");
    assert_eq!(d["amount"], 800);
    let o = api.get_ok(&format!("/orders/{order}")).await;
    assert_eq!(o["status"], "disputed");
    let refund = api
        .post(&format!("/orders/{order}/refunds"), json!({"amount": 100}))
        .await;
    assert_error(&refund, StatusCode::CONFLICT, "order_not_refundable", None);

    let dp = d["id"].as_str().unwrap();
    let early = api
        .post(
            &format!("/disputes/{dp}/repayments"),
            json!({"method": "manual"}),
        )
        .await;
    assert_error(&early, StatusCode::CONFLICT, "dispute_not_lost", None);
    let (s, lost) = api
        .post(&format!("/disputes/{dp}/close"), json!({"outcome": "lost"}))
        .await;
    assert_eq!(s, StatusCode::OK, "{lost}");
    let o = api.get_ok(&format!("/orders/{order}")).await;
    assert_eq!(o["status"], "chargeback");
    assert_eq!(o["charged_back_amount"], 800);
    let stats = api.get_ok(&format!("/customers/{cus}/stats")).await;
    assert_eq!(stats["lifetime_value"], 0);
    assert_eq!(stats["disputes_count"], 1);
    assert_eq!(stats["lifetime_value_by_currency"][0]["charged_back"], 800);

    // A repayment link is an order awaiting payment; paying it counts again.
    let (s, rep) = api
        .post(
            &format!("/disputes/{dp}/repayments"),
            json!({"method": "link"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{rep}");
    assert_eq!(rep["status"], "created");
    assert_eq!(rep["kind"], "repayment");
    let twice = api
        .post(
            &format!("/disputes/{dp}/repayments"),
            json!({"method": "manual"}),
        )
        .await;
    assert_error(&twice, StatusCode::CONFLICT, "repayment_exists", None);
    let (s, paid) = api
        .post(
            &format!("/orders/{}/pay", rep["id"].as_str().unwrap()),
            json!({"payment_method": card("5555555555554444")}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{paid}");
    assert_eq!(paid["status"], "paid");
    let stats = api.get_ok(&format!("/customers/{cus}/stats")).await;
    assert_eq!(stats["lifetime_value"], 800);
    assert_eq!(stats["total_payments"], 2);
    t.cleanup().await;
}

/// The notifications' types, newest first, and their bodies.
async fn provider_events(api: &Api, order: &str) -> (Vec<String>, Vec<Value>) {
    let page = api
        .get_ok(&format!("/orders/{order}/provider_events"))
        .await;
    let rows = page["data"].as_array().unwrap().clone();
    let kinds = rows
        .iter()
        .map(|r| r["type"].as_str().unwrap().to_owned())
        .collect();
    let bodies = rows
        .iter()
        .map(|r| serde_json::from_str(r["payload"].as_str().unwrap()).unwrap())
        .collect();
    (kinds, bodies)
}

async fn every_provider_notification_is_kept_on_its_order_newest_first(engine: Engine) {
    let TestApp { t, api, .. } = TestApp::on(engine).build().await;
    let product = one_time(&api, 1000, "EUR").await;
    let c = paid_checkout(&api, &product, "ipn@example.com", card("4242424242424242")).await;
    let order = c["order"]["id"].as_str().unwrap();
    let (kinds, bodies) = provider_events(&api, order).await;
    assert_eq!(kinds, ["charge.succeeded"]);
    let charge = &bodies[0]["data"]["object"];
    assert_eq!(charge["payment"], c["order"]["provider_payment_id"]);
    assert_eq!(
        (charge["amount"].as_i64(), charge["currency"].as_str()),
        (Some(1000), Some("eur"))
    );
    assert_eq!(charge["payment_method_details"]["last4"], "4242");

    api.post_ok(&format!("/orders/{order}/refunds"), json!({"amount": 300}))
        .await;
    let d = api
        .post_ok(
            &format!("/orders/{order}/disputes"),
            json!({"reason": "fraudulent"}),
        )
        .await;
    api.post_ok(
        &format!("/disputes/{}/close", d["id"].as_str().unwrap()),
        json!({"outcome": "won"}),
    )
    .await;
    let (kinds, bodies) = provider_events(&api, order).await;
    assert_eq!(
        kinds,
        [
            "dispute.closed",
            "dispute.opened",
            "charge.refunded",
            "charge.succeeded"
        ]
    );
    assert_eq!(bodies[0]["data"]["object"]["outcome"], "won");
    assert_eq!(bodies[1]["data"]["object"]["reason"], "fraudulent");
    assert_eq!(
        bodies[1]["data"]["object"]["amount"], 700,
        "the part not refunded"
    );
    assert_eq!(bodies[2]["data"]["object"]["amount"], 300);
    let ids: std::collections::HashSet<&str> =
        bodies.iter().map(|b| b["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), 4, "each notification is its own event");
    // Paged like every list.
    let first = api
        .get_ok(&format!("/orders/{order}/provider_events?limit=3"))
        .await;
    assert_eq!(first["has_more"], true);
    let last = first["data"][2]["id"].as_str().unwrap();
    let rest = api
        .get_ok(&format!(
            "/orders/{order}/provider_events?limit=3&starting_after={last}"
        ))
        .await;
    assert_eq!(rest["data"][0]["type"], "charge.succeeded");

    // A declined card's failed order carries the decline as the provider sent it.
    let (s, declined) = checkout(&api, &product, "ipn@example.com", card("4000000000000002")).await;
    assert_eq!(s, StatusCode::PAYMENT_REQUIRED, "{declined}");
    let orders = api
        .get_ok(&format!(
            "/customers/{}/orders?status=failed",
            c["customer"]["id"].as_str().unwrap()
        ))
        .await;
    let failed = orders["data"][0]["id"].as_str().unwrap();
    let (kinds, bodies) = provider_events(&api, failed).await;
    assert_eq!(kinds, ["charge.failed"]);
    assert_eq!(bodies[0]["data"]["object"]["failure_code"], "card_declined");
    t.cleanup().await;
}

async fn a_subscription_is_canceled_at_period_end_and_recovered(engine: Engine) {
    let TestApp { t, api, .. } = TestApp::on(engine).build().await;
    let product = monthly(&api, 999, "EUR").await;
    let c = api
        .post(
            "/checkouts",
            json!({"customer": {"external_id": "76561198000000042", "email": "vip@example.com"},
                   "product_id": product, "payment_method": card("4242424242424242")}),
        )
        .await;
    assert_eq!(c.0, StatusCode::CREATED, "{}", c.1);
    let c = c.1;
    let sub = c["subscription"]["id"].as_str().unwrap();
    let cus = c["customer"]["id"].as_str().unwrap();
    assert_eq!(c["subscription"]["status"], "active");
    let cmds = &c["entitlements"][0]["commands"];
    assert_eq!(cmds[0]["command"], "vip add 76561198000000042");
    assert_eq!(cmds[0]["status"], "pending");
    let stats = api.get_ok(&format!("/customers/{cus}/stats")).await;
    assert_eq!(
        (
            stats["mrr"].as_i64(),
            stats["active_subscriptions"].as_i64()
        ),
        (Some(999), Some(1))
    );

    let (s, scheduled) = api
        .post(
            &format!("/subscriptions/{sub}/cancel"),
            json!({"reason": "too pricey"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{scheduled}");
    assert_eq!(scheduled["status"], "active");
    assert_eq!(scheduled["cancel_at_period_end"], true);
    let twice = api
        .post(&format!("/subscriptions/{sub}/cancel"), json!({}))
        .await;
    assert_error(
        &twice,
        StatusCode::CONFLICT,
        "cancellation_already_scheduled",
        None,
    );
    let (s, recovered) = api
        .post(&format!("/subscriptions/{sub}/recover"), json!({}))
        .await;
    assert_eq!(s, StatusCode::OK, "{recovered}");
    assert_eq!(recovered["cancel_at_period_end"], false);
    let nothing = api
        .post(&format!("/subscriptions/{sub}/recover"), json!({}))
        .await;
    assert_error(&nothing, StatusCode::CONFLICT, "nothing_to_recover", None);

    let invoices = api.get_ok(&format!("/subscriptions/{sub}/invoices")).await["data"].clone();
    assert_eq!(invoices[0]["status"], "paid");
    assert_eq!(invoices[0]["attempts"][0]["status"], "succeeded");

    // The game server fetches its command and reports it ran.
    let unnamed = api.get("/commands?server=%20").await;
    assert_error(
        &unnamed,
        StatusCode::BAD_REQUEST,
        "parameter_invalid",
        Some("server"),
    );
    let long = api
        .get(&format!("/commands?server={}", "x".repeat(101)))
        .await;
    assert_error(
        &long,
        StatusCode::BAD_REQUEST,
        "parameter_invalid",
        Some("server"),
    );
    let pending = api.get_ok("/commands?server=eu-1").await["data"].clone();
    let cmd = pending[0]["id"].as_str().unwrap();
    let (s, done) = api
        .post(
            &format!("/commands/{cmd}/report"),
            json!({"status": "executed"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{done}");
    assert!(done["executed_at"].is_string());
    let pending = api.get_ok("/commands?server=eu-1").await["data"].clone();
    assert_eq!(pending.as_array().unwrap().len(), 0);

    // Revoke now: canceled, and the benefits go at once with their revoke command queued.
    let (s, revoked) = api
        .post(
            &format!("/subscriptions/{sub}/revoke"),
            json!({"reason": "chargeback fraud"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{revoked}");
    assert_eq!(revoked["status"], "canceled");
    let ents = api.get_ok(&format!("/customers/{cus}/entitlements")).await["data"].clone();
    assert_every(ents.as_array().unwrap(), |e| e["status"] == "revoked");
    let pending = api.get_ok("/commands?server=eu-1").await["data"].clone();
    assert_eq!(pending[0]["command"], "vip remove 76561198000000042");
    let stats = api.get_ok(&format!("/customers/{cus}/stats")).await;
    assert_eq!(
        (
            stats["mrr"].as_i64(),
            stats["active_subscriptions"].as_i64()
        ),
        (Some(0), Some(0))
    );
    t.cleanup().await;
}

async fn a_manual_grant_needs_no_sale_and_links_discord(engine: Engine) {
    let TestApp { t, api, .. } = TestApp::on(engine).build().await;
    let product = monthly(&api, 500, "EUR").await;
    let cus = api
        .post_ok("/customers", json!({"email": "gift@example.com"}))
        .await;
    let cus = cus["id"].as_str().unwrap();
    let (s, granted) = api
        .post(
            &format!("/customers/{cus}/entitlements"),
            json!({"product_id": product}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{granted}");
    assert_eq!(granted[0]["source"], "manual");
    let discord = granted
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["benefit"]["kind"] == "discord_role")
        .unwrap();
    let path = format!("/entitlements/{}/discord", discord["id"].as_str().unwrap());
    let bad = api.post(&path, json!({"discord_user_id": "abc"})).await;
    assert_error(
        &bad,
        StatusCode::BAD_REQUEST,
        "parameter_invalid",
        Some("discord_user_id"),
    );
    let (s, linked) = api
        .post(&path, json!({"discord_user_id": "80351110224678912"}))
        .await;
    assert_eq!(s, StatusCode::OK, "{linked}");
    assert_eq!(linked["discord_user_id"], "80351110224678912");
    let stats = api.get_ok(&format!("/customers/{cus}/stats")).await;
    assert_eq!(stats["order_count"], 0, "a grant is not a sale");
    t.cleanup().await;
}

async fn every_action_on_another_workspaces_objects_is_not_found(engine: Engine) {
    let TestApp { t, api, .. } = TestApp::on(engine).build().await;
    let product = monthly(&api, 999, "EUR").await;
    let c = api
        .post(
            "/checkouts",
            json!({"customer": {"external_id": "p-1"}, "product_id": product,
                   "payment_method": card("4242424242424242"), "ip": "192.0.2.7"}),
        )
        .await
        .1;
    let cus = c["customer"]["id"].as_str().unwrap();
    let ord = c["order"]["id"].as_str().unwrap();
    let sub = c["subscription"]["id"].as_str().unwrap();
    let ent = c["entitlements"][0]["id"].as_str().unwrap();
    let cmd = c["entitlements"][0]["commands"][0]["id"].as_str().unwrap();
    let d = api
        .post_ok(&format!("/orders/{ord}/disputes"), json!({}))
        .await;
    let dp = d["id"].as_str().unwrap();
    let details = api
        .get_ok(&format!("/customers/{cus}/payment_details"))
        .await["data"]
        .clone();
    let pd = details[0]["id"].as_str().unwrap();

    let theirs = other_workspace(&api).await;
    let pay = json!({"payment_method": card("4242424242424242")});
    let actions: Vec<(reqwest::Method, String, Value)> = vec![
        ("GET", format!("/products/{product}"), json!(null)),
        ("POST", format!("/products/{product}/archive"), json!({})),
        ("POST", "/checkouts".into(), json!({"customer_id": cus, "product_id": product, "payment_method": card("4242424242424242")})),
        ("GET", format!("/customers/{cus}/stats"), json!(null)),
        ("GET", format!("/customers/{cus}/orders"), json!(null)),
        ("GET", format!("/customers/{cus}/subscriptions"), json!(null)),
        ("GET", format!("/customers/{cus}/entitlements"), json!(null)),
        ("POST", format!("/customers/{cus}/entitlements"), json!({"product_id": product})),
        ("GET", format!("/customers/{cus}/payment_details"), json!(null)),
        ("POST", format!("/customers/{cus}/payment_details/block_all"), json!({})),
        ("POST", format!("/customers/{cus}/payment_details/unblock_all"), json!({})),
        ("GET", format!("/orders/{ord}"), json!(null)),
        ("GET", format!("/orders/{ord}/refunds"), json!(null)),
        ("GET", format!("/orders/{ord}/provider_events"), json!(null)),
        ("POST", format!("/orders/{ord}/refunds"), json!({})),
        ("GET", format!("/orders/{ord}/disputes"), json!(null)),
        ("POST", format!("/orders/{ord}/disputes"), json!({})),
        ("POST", format!("/orders/{ord}/pay"), pay),
        ("POST", format!("/disputes/{dp}/close"), json!({"outcome": "won"})),
        ("POST", format!("/disputes/{dp}/repayments"), json!({"method": "manual"})),
        ("GET", format!("/subscriptions/{sub}"), json!(null)),
        ("GET", format!("/subscriptions/{sub}/invoices"), json!(null)),
        ("POST", format!("/subscriptions/{sub}/cancel"), json!({})),
        ("POST", format!("/subscriptions/{sub}/recover"), json!({})),
        ("POST", format!("/subscriptions/{sub}/revoke"), json!({})),
        ("GET", format!("/entitlements/{ent}"), json!(null)),
        ("POST", format!("/entitlements/{ent}/revoke"), json!({})),
        ("POST", format!("/entitlements/{ent}/discord"), json!({"discord_user_id": null})),
        ("GET", format!("/entitlements/{ent}/license_key"), json!(null)),
        ("POST", format!("/entitlements/{ent}/download_link"), json!({})),
        ("POST", format!("/commands/{cmd}/report"), json!({"status": "executed"})),
        ("POST", format!("/payment_details/{pd}/block"), json!({})),
        ("POST", format!("/payment_details/{pd}/unblock"), json!({})),
        ("GET", format!("/payment_details/{pd}/log"), json!(null)),
    ]
    .into_iter()
    .map(|(m, p, b)| (m.parse().unwrap(), p, b))
    .collect();
    for (method, path, body) in actions {
        let body = (!body.is_null()).then_some(body);
        let (status, res) = theirs.send(method.clone(), &path, body).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{method} {path}: {res}");
        assert_eq!(res["error"]["code"], "resource_missing", "{method} {path}");
    }
    // And nothing of A's changed: the dispute is still open, the subscription active.
    let d = api.get_ok(&format!("/orders/{ord}/disputes")).await["data"].clone();
    assert_eq!(d[0]["status"], "open");
    let s = api.get_ok(&format!("/subscriptions/{sub}")).await;
    assert_eq!(s["status"], "active");
    assert_eq!(s["cancel_at_period_end"], false);
    t.cleanup().await;
}

async fn the_list_finds_by_order_licence_key_and_ip_filters_sorts_and_exports(engine: Engine) {
    let TestApp { t, api, .. } = TestApp::on(engine).build().await;
    let kit = one_time(&api, 1500, "EUR").await;
    let vip = monthly(&api, 999, "EUR").await;
    let ada = paid_checkout(&api, &kit, "ada@example.com", card("4242424242424242")).await;
    let bo = api
        .post(
            "/checkouts",
            json!({"customer": {"email": "bo@example.com", "name": "=cmd|' /C calc'!A0"},
                   "product_id": vip, "payment_method": card("5555555555554444"), "ip": "198.51.100.23"}),
        )
        .await
        .1;
    api.post_ok("/customers", json!({"email": "cy@example.com"}))
        .await;
    let ada_id = ada["customer"]["id"].as_str().unwrap();
    let bo_id = bo["customer"]["id"].as_str().unwrap();
    let ids = |page: &Value| -> Vec<String> {
        page["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let order = ada["order"]["id"].as_str().unwrap();
    assert_eq!(
        ids(&api.get_ok(&format!("/customers?q={order}")).await),
        [ada_id]
    );
    let key_ent = ada["entitlements"][0]["id"].as_str().unwrap();
    let key = api
        .get_ok(&format!("/entitlements/{key_ent}/license_key"))
        .await;
    let key = key["license_key"].as_str().unwrap();
    assert_eq!(
        ids(&api
            .get_ok(&format!("/customers?q={}", key.to_lowercase()))
            .await),
        [ada_id]
    );
    assert_eq!(
        ids(&api.get_ok("/customers?q=198.51.100.23").await),
        [bo_id]
    );

    let (s, by_ltv) = api.get("/customers?sort=ltv_desc").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(ids(&by_ltv)[0], ada_id);
    assert_eq!(by_ltv["data"][0]["lifetime_value"], 1500);
    assert_eq!(by_ltv["data"][0]["currency"], "EUR");
    assert_eq!(by_ltv["data"][0]["order_count"], 1);
    let active = api.get_ok("/customers?subscription_status=active").await;
    assert_eq!(ids(&active), [bo_id], "{bo} {by_ltv}");
    assert_eq!(active["data"][0]["subscription_status"], "active");
    let never = api
        .get_ok(&format!(
            "/customers?subscription_status=none&product_id={kit}"
        ))
        .await;
    assert_eq!(ids(&never), [ada_id]);
    let bad = api.get("/customers?sort=cheapest").await;
    assert_error(
        &bad,
        StatusCode::BAD_REQUEST,
        "parameter_invalid",
        Some("sort"),
    );
    let bad = api.get("/customers?created_from=yesterday").await;
    assert_error(
        &bad,
        StatusCode::BAD_REQUEST,
        "parameter_invalid",
        Some("created_from"),
    );

    // The export is exactly the filtered list, formulas defused.
    // As a browser asks for it: compressed.
    let res = api
        .srv
        .client
        .get(api.srv.url("/api/v1/customers/export.csv?sort=ltv_desc"))
        .bearer_auth(&api.key)
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    assert_eq!(res.headers()["content-encoding"], "gzip");
    let csv = res.bytes().await.unwrap();
    let csv = {
        use std::io::Read;
        let mut out = String::new();
        flate2::read::GzDecoder::new(&csv[..])
            .read_to_string(&mut out)
            .unwrap();
        out
    };
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "id,email,name,external_id,country,lifetime_value,currency,orders,active_subscriptions,subscription_status,created_at"
    );
    assert_eq!(lines.len(), 4, "{csv}");
    assert!(
        lines[1].starts_with(&format!("{ada_id},ada@example.com,,,US,15.00,EUR,1,0,,")),
        "{csv}"
    );
    assert!(lines[2].contains("'=cmd"), "{csv}");
    let res = api
        .srv
        .client
        .get(
            api.srv
                .url("/api/v1/customers/export.csv?subscription_status=active"),
        )
        .bearer_auth(&api.key)
        .send()
        .await
        .unwrap();
    assert_eq!(res.text().await.unwrap().lines().count(), 2);
    t.cleanup().await;
}

on_both_engines!(
    the_list_finds_by_order_licence_key_and_ip_filters_sorts_and_exports,
    a_checkout_creates_the_customer_order_and_entitlements,
    a_known_customer_without_a_country_gets_the_cards_country,
    a_declined_card_is_recorded_as_a_failed_order,
    a_blocked_card_is_refused_and_nothing_is_written,
    a_sepa_payment_refunds_only_in_full_with_the_risk_acknowledged,
    fifty_concurrent_partial_refunds_never_exceed_the_order,
    a_refund_can_block_every_detail_and_revoke_the_benefits,
    a_lost_dispute_is_a_chargeback_and_a_repayment_can_be_recorded,
    every_provider_notification_is_kept_on_its_order_newest_first,
    a_subscription_is_canceled_at_period_end_and_recovered,
    a_manual_grant_needs_no_sale_and_links_discord,
    every_action_on_another_workspaces_objects_is_not_found,
);
