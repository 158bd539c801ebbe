//! GDPR erasure: after a customer who bought, subscribed, was banned, was written to webhook
//! endpoints (which echoed the payload back), opened the portal and asked to be erased is
//! erased, a scan of every column of every table of the database finds none of their email,
//! name, phone, IP address or external id; the order totals are unchanged; the ban still
//! refuses them; their portal link is dead; and the request is closed.

use std::sync::Arc;

use app::db::Engine;
use app::domain::portal::PortalCustomer;
use app::domain::webhooks::{self, AllowHosts, WebhookSender, deliver_due};
use app::types::webhook::WebhookEndpointCreate;
use app::types::{CustomerId, Scope};
use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};
use serde_json::{Value, json};
use server::webhooks::HttpSender;

use crate::money_api::{card, monthly, one_time};
use crate::on_both_engines;
use crate::support::{TestApp, assert_error};

const EMAIL: &str = "zelda.quixotic@example.com";
const NAME: &str = "Zelda Quixotic";
const PHONE: &str = "+49 30 5550199";
const IP: &str = "203.0.113.77";
const EXTERNAL_ID: &str = "76561198000000042";
const NOTE: &str = "please gift-wrap for Zelda";

/// An endpoint on loopback that answers 200 with the body it got (as some do).
async fn echo_receiver() -> String {
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(|body: String| async move { body }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    base
}

/// The simulated payment provider's own ledger: in production that is the provider's system,
/// not Patron's database (see migration 7), and a provider erases its records on its own terms.
const PROVIDER_SIDE: &str = "sim_provider_ledger";

/// The tables (but the provider's), and in each the rows whose text holds `needle` (case
/// ignored).
async fn tables_holding(db: &DatabaseConnection, needle: &str) -> Vec<String> {
    let backend = db.get_database_backend();
    let list = match backend {
        DbBackend::Sqlite => {
            "SELECT name AS t FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        }
        _ => {
            "SELECT table_name AS t FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
        }
    };
    let tables: Vec<String> = db
        .query_all_raw(Statement::from_string(backend, list))
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get::<String>("", "t").unwrap())
        .collect();
    assert!(tables.len() > 20, "{tables:?}");
    let pattern = format!("%{}%", needle.replace('\'', "''"));
    let mut found = Vec::new();
    for t in tables.into_iter().filter(|t| t != PROVIDER_SIDE) {
        let sql = match backend {
            DbBackend::Sqlite => {
                let cols: Vec<String> = db
                    .query_all_raw(Statement::from_string(
                        backend,
                        format!("SELECT name FROM pragma_table_info('{t}')"),
                    ))
                    .await
                    .unwrap()
                    .iter()
                    .map(|r| r.try_get::<String>("", "name").unwrap())
                    .collect();
                if cols.is_empty() {
                    continue;
                }
                let row = cols
                    .iter()
                    .map(|c| format!("coalesce(CAST(\"{c}\" AS TEXT), '')"))
                    .collect::<Vec<_>>()
                    .join(" || '|' || ");
                format!("SELECT count(*) AS n FROM \"{t}\" WHERE ({row}) LIKE '{pattern}'")
            }
            _ => format!("SELECT count(*) AS n FROM \"{t}\" x WHERE x::text ILIKE '{pattern}'"),
        };
        let n: i64 = db
            .query_one_raw(Statement::from_string(backend, sql))
            .await
            .unwrap()
            .unwrap()
            .try_get("", "n")
            .unwrap();
        if n > 0 {
            found.push(format!("{t} ({n})"));
        }
    }
    found
}

async fn an_erased_customer_is_nowhere_in_the_database(engine: Engine) {
    let app = TestApp::on(engine).build().await;
    let api = &app.api;
    let svc = app
        .svc
        .clone()
        .with_webhook_hosts(AllowHosts::parse("127.0.0.0/8").unwrap());
    let hook = echo_receiver().await;
    webhooks::create_endpoint(
        &svc,
        &app.caller,
        WebhookEndpointCreate {
            url: hook,
            ..Default::default()
        },
    )
    .await
    .unwrap();

    // The customer, made with an idempotency key (whose stored answer holds them).
    let ((status, customer), _) = api
        .send_with(
            reqwest::Method::POST,
            "/customers",
            Some(json!({"email": EMAIL, "name": NAME, "phone": PHONE,
                        "external_id": EXTERNAL_ID, "username": "zeldaq",
                        "metadata": {"discord": "zelda#0042"}})),
            &[("Idempotency-Key", "erase-test-1")],
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{customer}");
    let id = customer["id"].as_str().unwrap().to_owned();
    // A duplicate of the same person, merged into them: its tombstone and the merge's
    // snapshot hold the same details.
    let dupe = api
        .post_ok(
            "/customers",
            json!({"email": EMAIL, "name": NAME, "phone": PHONE}),
        )
        .await;
    let merged = api
        .post_ok(
            &format!("/customers/{}/merge", dupe["id"].as_str().unwrap()),
            json!({"into": id}),
        )
        .await;
    let merge_id = merged["id"].as_str().unwrap().to_owned();
    let vip = monthly(api, 900, "EUR").await;
    let kit = one_time(api, 2500, "EUR").await;
    for (product, number) in [(&vip, "4242424242424242"), (&kit, "4000056655665556")] {
        let bought = api
            .post_ok(
                "/checkouts",
                json!({"customer_id": id, "product_id": product, "payment_method": card(number),
                       "ip": IP, "customer_note": NOTE}),
            )
            .await;
        assert_eq!(bought["order"]["status"], "paid", "{bought}");
    }
    let wallet = api
        .post_ok(
            "/checkouts",
            json!({"customer_id": id, "product_id": kit, "ip": IP,
                   "payment_method": {"type": "wallet", "email": EMAIL}}),
        )
        .await;
    let refunded = wallet["order"]["id"].as_str().unwrap();
    api.post_ok(
        &format!("/orders/{refunded}/refunds"),
        json!({"amount": 1000, "reason": "requested_by_customer"}),
    )
    .await;
    let ban = api
        .post_ok(
            "/bans",
            json!({"reason": "chargeback fraud", "identities": [
                {"kind": "email", "value": EMAIL}, {"kind": "ip", "value": IP}]}),
        )
        .await;
    assert_eq!(ban["status"], "active", "{ban}");
    let link = api
        .post_ok("/customer_sessions", json!({"customer_id": id}))
        .await;
    let link_url = link["url"].as_str().unwrap().to_owned();
    // Every event so far goes out, and the endpoint's echo is kept with each attempt.
    let sender: Arc<dyn WebhookSender> =
        Arc::new(HttpSender::new(Arc::new(AllowHosts::parse("127.0.0.0/8").unwrap())).unwrap());
    let report = deliver_due(&svc, sender.clone()).await.unwrap();
    assert!(report.delivered >= 5, "{report:?}");
    // The customer asks, from the portal.
    let cid = CustomerId::parse(&id).unwrap();
    let who = PortalCustomer {
        workspace_id: app.tenant.workspace_id.clone(),
        customer_id: cid.clone(),
        return_url: None,
        read_only: false,
    };
    let asked = app::domain::portal::request_erasure(&svc, &who, Some(IP.into()))
        .await
        .unwrap();
    assert_eq!(
        asked.due_at,
        app::domain::erasure::due_after(asked.requested_at)
    );
    let open = api.get_ok("/erasure_requests").await;
    assert_eq!(open["data"][0]["customer_id"], id.as_str());
    assert_eq!(open["data"][0]["customer_label"], NAME);

    let needles = [
        EMAIL,
        NAME,
        "Quixotic",
        PHONE,
        IP,
        EXTERNAL_ID,
        "zelda#0042",
        NOTE,
    ];
    for n in needles {
        assert!(
            !tables_holding(&app.svc.db, n).await.is_empty(),
            "the setup stores {n}"
        );
    }
    let stats_before = api.get_ok(&format!("/customers/{id}/stats")).await;
    let orders_before = api.get_ok(&format!("/customers/{id}/orders")).await;

    // Refused without confirming, and without the scope.
    let res = api
        .post(&format!("/customers/{id}/erase"), json!({"confirm": false}))
        .await;
    assert_error(
        &res,
        StatusCode::BAD_REQUEST,
        "parameter_invalid",
        Some("confirm"),
    );
    let writer = app
        .tenant
        .key_with(&app.svc, &[Scope::CustomersRead, Scope::CustomersWrite])
        .await;
    let res = api
        .srv
        .client
        .post(api.srv.url(&format!("/api/v1/customers/{id}/erase")))
        .bearer_auth(&writer)
        .json(&json!({"confirm": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);

    let erased = api
        .post_ok(&format!("/customers/{id}/erase"), json!({"confirm": true}))
        .await;
    assert!(erased["erased_at"].is_string(), "{erased}");
    assert_eq!(erased["email"], Value::Null);
    assert_eq!(erased["metadata"], json!({}));

    // Nowhere, in any table.
    for n in needles {
        assert_eq!(
            tables_holding(&app.svc.db, n).await,
            Vec::<String>::new(),
            "{n} is still stored"
        );
    }
    // The money is as it was; only the canceled subscription left the recurring figures.
    let stats_after = api.get_ok(&format!("/customers/{id}/stats")).await;
    for k in [
        "lifetime_value",
        "lifetime_value_by_currency",
        "order_count",
        "total_payments",
        "refunded_amount",
        "refunds_count",
    ] {
        assert_eq!(stats_after[k], stats_before[k], "{k}");
    }
    assert_eq!(stats_before["mrr"], 900);
    assert_eq!(
        (
            stats_after["mrr"].clone(),
            stats_after["active_subscriptions"].clone()
        ),
        (json!(0), json!(0))
    );
    let orders_after = api.get_ok(&format!("/customers/{id}/orders")).await;
    let amounts = |o: &Value| -> Vec<(Value, Value, Value)> {
        o["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| {
                (
                    o["id"].clone(),
                    o["amount"].clone(),
                    o["refunded_amount"].clone(),
                )
            })
            .collect()
    };
    assert_eq!(amounts(&orders_after), amounts(&orders_before));
    // Billing stopped first.
    let subs = api.get_ok(&format!("/customers/{id}/subscriptions")).await["data"].clone();
    assert_eq!(subs[0]["status"], "canceled", "{subs}");
    // The ban still refuses the person, by the email and the IP it no longer knows.
    let res = api
        .post(
            "/checkouts",
            json!({"customer": {"email": EMAIL}, "product_id": kit,
                   "payment_method": card("4242424242424242")}),
        )
        .await;
    assert_error(&res, StatusCode::FORBIDDEN, "customer_banned", None);
    let res = api
        .post(
            "/checkouts",
            json!({"customer": {"email": "someone.else@example.com"}, "product_id": kit,
                   "payment_method": card("4242424242424242"), "ip": IP}),
        )
        .await;
    assert_error(&res, StatusCode::FORBIDDEN, "customer_banned", None);
    // A checkout naming the erased customer's id sells to nobody.
    let res = api
        .post(
            "/checkouts",
            json!({"customer_id": id, "product_id": kit,
                   "payment_method": card("4242424242424242")}),
        )
        .await;
    assert_error(&res, StatusCode::CONFLICT, "customer_erased", None);
    // The portal link is dead, and no new one opens.
    let res = api.srv.client.get(&link_url).send().await.unwrap();
    assert!(
        !res.headers().contains_key("set-cookie"),
        "an erased customer's link opens nothing"
    );
    let res = api
        .post("/customer_sessions", json!({"customer_id": id}))
        .await;
    assert_error(&res, StatusCode::CONFLICT, "customer_erased", None);
    // The request is closed; erasing again answers the same; no change is accepted.
    assert_eq!(api.get_ok("/erasure_requests").await["data"], json!([]));
    let again = api
        .post_ok(&format!("/customers/{id}/erase"), json!({"confirm": true}))
        .await;
    assert_eq!(again, erased);
    let res = api
        .patch(&format!("/customers/{id}"), json!({"name": "Back"}))
        .await;
    assert_error(&res, StatusCode::CONFLICT, "customer_erased", None);
    // The merge of the duplicate can no longer be undone.
    let res = api
        .post(&format!("/merges/{merge_id}/undo"), json!({}))
        .await;
    assert_error(&res, StatusCode::CONFLICT, "merge_not_undoable", None);

    app.cleanup().await;
}

on_both_engines!(an_erased_customer_is_nowhere_in_the_database);
