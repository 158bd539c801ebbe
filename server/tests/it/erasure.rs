//! GDPR erasure: after a customer who changed their email, name and phone twice, asked for a
//! portal sign-in code at their first address, bought, subscribed, was banned, was searched
//! for by a saved segment and written into by a bulk action, was written to webhook endpoints
//! (which echoed the payload back), opened the portal and asked to be erased is erased, a scan
//! of every column of every table of the database finds none of the values they ever had
//! (case ignored), and on SQLite neither do the raw bytes of the database file and its
//! write-ahead log; the order totals are unchanged; the ban still refuses them; their portal
//! link is dead; and the request is closed. An erasure and a renewal of the same customer wait
//! for each other instead of deadlocking.

use std::sync::Arc;
use std::time::Duration;

use app::db::Engine;
use app::domain::bulk_actions::{BulkReport, run_bulk_actions};
use app::domain::portal::PortalCustomer;
use app::domain::webhooks::{self, AllowHosts, WebhookSender, deliver_due};
use app::types::webhook::WebhookEndpointCreate;
use app::types::{CustomerId, Scope};
use reqwest::StatusCode;
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DbBackend, SqliteTransactionMode, Statement,
    TransactionOptions, TransactionTrait,
};
use serde_json::{Value, json};
use server::adapters::webhooks::HttpSender;

use crate::on_both_engines;
use crate::support::{TestApp, assert_error, card, monthly, one_time};

/// As the person typed it: Patron stores the address lower-cased while other copies (a saved
/// search, a metadata value) keep it as typed, so only a match that ignores case finds them all.
const EMAIL: &str = "Zelda.Quixotic@Example.com";
const NAME: &str = "Zelda Quixotic";
const PHONE: &str = "+49 30 5550199";
/// What the customer changed them to, and then changed again: the erasure must find these
/// earlier values in the customer's history.
const EMAIL_2: &str = "ZQ.Zwischen@Example.org";
const NAME_2: &str = "Zelda Zwischenzug";
const PHONE_2: &str = "+49 30 5550288";
const EMAIL_3: &str = "Zelda.Now@Example.net";
const NAME_3: &str = "Zelda Ferranteau";
const PHONE_3: &str = "+49 30 5550377";
/// The wallet the person paid with once. Patron erases its copies; the simulated provider's
/// own ledger keeps it (in production that is the provider's system), in the same SQLite file,
/// so the scan of the file's bytes leaves it out.
const WALLET: &str = "Zelda.Wallet@Example.com";
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

/// On SQLite, the needles (case ignored) found in the raw bytes of the database file and of its
/// write-ahead log: a free page, the unused space of a page or an old log frame keeps what no
/// query shows any more.
async fn file_bytes_holding(db: &DatabaseConnection, needles: &[&str]) -> Vec<String> {
    let main = db
        .query_one_raw(Statement::from_string(
            DbBackend::Sqlite,
            "SELECT file FROM pragma_database_list WHERE name = 'main'",
        ))
        .await
        .unwrap()
        .unwrap();
    let path: String = main.try_get("", "file").unwrap();
    assert!(!path.is_empty(), "the test database is a file");
    let mut found = Vec::new();
    for file in [path.clone(), format!("{path}-wal")] {
        // A log checkpointed to nothing may be gone.
        let bytes = std::fs::read(&file)
            .unwrap_or_default()
            .to_ascii_lowercase();
        for n in needles {
            let needle = n.to_ascii_lowercase().into_bytes();
            if bytes.windows(needle.len()).any(|w| w == needle.as_slice()) {
                found.push(format!("{n} in {file}"));
            }
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
    // Then the customer changes their email, name and phone, twice, and asks for a portal
    // sign-in code in between, at the address they had then (the code's email goes to an
    // address, not to a customer): the earlier values live on in the history.
    let edit = |email: &'static str, name: &'static str, phone: &'static str| {
        let path = format!("/customers/{id}");
        async move {
            let edited = api
                .patch_ok(&path, json!({"email": email, "name": name, "phone": phone}))
                .await;
            assert_eq!(edited["name"], name, "{edited}");
        }
    };
    edit(EMAIL_2, NAME_2, PHONE_2).await;
    app::domain::portal::request_code(&svc, "shop", EMAIL_2, Some(IP))
        .await
        .unwrap();
    edit(EMAIL_3, NAME_3, PHONE_3).await;
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
                   "payment_method": {"type": "wallet", "email": WALLET}}),
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
    // Saved by the merchant with the person in them: a segment searching for an earlier address
    // (in another case than stored), and a bulk action writing one into the metadata.
    api.post_ok(
        "/segments",
        json!({"name": "Watch list", "filters": {"q": EMAIL_2.to_uppercase()}}),
    )
    .await;
    api.post_ok(
        "/bulk_actions",
        json!({"action": "set_metadata", "customer_ids": [id], "metadata_key": "contact",
               "metadata_value": format!("mail {EMAIL_2}")}),
    )
    .await;
    for _ in 0..10 {
        if run_bulk_actions(&svc).await.unwrap() == BulkReport::default() {
            break;
        }
    }
    let written = api.get_ok(&format!("/customers/{id}")).await;
    assert_eq!(
        written["metadata"]["contact"],
        format!("mail {EMAIL_2}"),
        "{written}"
    );
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
        merchant: None,
        session: String::new(),
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
    assert_eq!(open["data"][0]["customer_label"], NAME_3);

    // Every value the person ever had. The wallet is checked in the tables only (see WALLET),
    // and so is the external id: the game-server perk still running keeps it as its player id
    // (below).
    let in_file = [
        EMAIL,
        EMAIL_2,
        EMAIL_3,
        NAME,
        NAME_2,
        NAME_3,
        "Quixotic",
        "Zwischenzug",
        "Ferranteau",
        PHONE,
        PHONE_2,
        PHONE_3,
        IP,
        "zelda#0042",
        NOTE,
    ];
    let needles: Vec<&str> = in_file
        .iter()
        .copied()
        .chain([WALLET, EXTERNAL_ID])
        .collect();
    for &n in &needles {
        assert!(
            !tables_holding(&app.svc.db, n).await.is_empty(),
            "the setup stores {n}"
        );
    }
    if engine == Engine::Sqlite {
        assert!(
            !file_bytes_holding(&app.svc.db, &[EMAIL]).await.is_empty(),
            "the file scan sees what the database holds"
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
    // What runs after it (the erasure's own webhook) brings nothing back.
    deliver_due(&svc, sender.clone()).await.unwrap();

    // Nowhere, in any table, nor in the bytes of the file. One copy is kept on purpose: the
    // player id of the VIP perk, paid to the end of its period, which its revoke command must
    // name for the game server when the perk ends.
    for &n in &needles {
        let left = tables_holding(&app.svc.db, n).await;
        assert!(
            left.is_empty() || (n == EXTERNAL_ID && left == ["entitlements (1)"]),
            "{n} is still stored: {left:?}"
        );
    }
    if engine == Engine::Sqlite {
        assert_eq!(
            file_bytes_holding(&app.svc.db, &in_file).await,
            Vec::<String>::new(),
            "the database file keeps erased values"
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

/// `sql` (with `$1`) on `conn`, for its engine.
async fn exec_on(
    conn: &impl ConnectionTrait,
    sql: &str,
    id: &str,
) -> Result<sea_orm::ExecResult, sea_orm::DbErr> {
    let backend = conn.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => sql.to_owned(),
        _ => sql.replace("$1", "?"),
    };
    conn.execute_raw(Statement::from_sql_and_values(
        backend,
        sql,
        [sea_orm::Value::from(id)],
    ))
    .await
}

async fn an_erasure_waits_for_a_renewal_of_the_same_customer_instead_of_deadlocking(
    engine: Engine,
) {
    let app = TestApp::on(engine).build().await;
    let api = &app.api;
    let vip = monthly(api, 900, "EUR").await;
    let customer = api
        .post_ok("/customers", json!({"email": "renewing@example.com"}))
        .await;
    let id = customer["id"].as_str().unwrap().to_owned();
    api.post_ok(
        "/checkouts",
        json!({"customer_id": id, "product_id": vip, "payment_method": card("4242424242424242")}),
    )
    .await;
    let subs = api.get_ok(&format!("/customers/{id}/subscriptions")).await;
    let sub = subs["data"][0]["id"].as_str().unwrap().to_owned();

    // A renewal being recorded, on another connection, as the billing clock records one: it
    // holds the subscription first, and writes the customer's figures next.
    let other = app.t.connect_again().await;
    let renewal = other
        .begin_with_options(TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..Default::default()
        })
        .await
        .unwrap();
    exec_on(
        &renewal,
        "UPDATE subscriptions SET updated_at = updated_at WHERE id = $1",
        &sub,
    )
    .await
    .unwrap();

    // Meanwhile the merchant erases the customer.
    let client = api.srv.client.clone();
    let url = api.srv.url(&format!("/api/v1/customers/{id}/erase"));
    let key = api.key.clone();
    let erasing = tokio::spawn(async move {
        let res = client
            .post(url)
            .bearer_auth(key)
            .json(&json!({"confirm": true}))
            .send()
            .await
            .unwrap();
        (res.status(), res.text().await.unwrap())
    });
    match engine {
        Engine::Postgres => {
            // Until the erasure waits for a lock: the renewal's subscription.
            let mut waiting = 0_i64;
            for _ in 0..400 {
                waiting = app
                    .svc
                    .db
                    .query_one_raw(Statement::from_string(
                        DbBackend::Postgres,
                        "SELECT count(*) AS n FROM pg_stat_activity \
                         WHERE datname = current_database() AND wait_event_type = 'Lock'",
                    ))
                    .await
                    .unwrap()
                    .unwrap()
                    .try_get("", "n")
                    .unwrap();
                if waiting > 0 {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(25)).await;
            }
            assert!(waiting > 0, "the erasure waits for the renewal");
        }
        // SQLite: the erasure waits for the renewal's write transaction (its busy timeout).
        Engine::Sqlite => tokio::time::sleep(Duration::from_millis(300)).await,
    }

    // The renewal goes on to the customer: an erasure holding the customer while it waits for
    // the subscription would deadlock here, and PostgreSQL would abort one of the two.
    exec_on(
        &renewal,
        "UPDATE customers SET ltv_amount = ltv_amount WHERE id = $1",
        &id,
    )
    .await
    .expect("the renewal writes the customer without a deadlock");
    renewal.commit().await.unwrap();
    let (status, body) = erasing.await.unwrap();
    assert_eq!(status, StatusCode::OK, "{body}");
    let erased: Value = serde_json::from_str(&body).unwrap();
    assert!(erased["erased_at"].is_string(), "{erased}");
    let subs = api.get_ok(&format!("/customers/{id}/subscriptions")).await;
    assert_eq!(subs["data"][0]["status"], "canceled", "{subs}");

    other.close().await.unwrap();
    app.cleanup().await;
}

on_both_engines!(an_erasure_waits_for_a_renewal_of_the_same_customer_instead_of_deadlocking);
