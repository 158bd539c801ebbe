//! `/api/v1/openapi.json` is a valid OpenAPI 3 document covering every route.

use app::db::Engine;
use serde_json::Value;

use crate::support::{TestDb, TestServer};

/// Every `$ref` in `v`.
fn refs<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                match (k.as_str(), x) {
                    ("$ref", Value::String(r)) => out.push(r),
                    _ => refs(x, out),
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|x| refs(x, out)),
        _ => {}
    }
}

/// Every value of every `enum` in `v`.
fn enum_values<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                match (k.as_str(), x) {
                    ("enum", Value::Array(a)) => out.extend(a.iter().filter_map(Value::as_str)),
                    _ => enum_values(x, out),
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|x| enum_values(x, out)),
        _ => {}
    }
}

#[tokio::test]
async fn the_openapi_document_is_valid_and_lists_every_route() {
    let t = TestDb::migrated(Engine::Sqlite).await;
    let srv = TestServer::start(t.services()).await;
    let res = srv
        .client
        .get(srv.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), reqwest::StatusCode::OK);
    let doc: Value = res.json().await.unwrap();

    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3."),
        "{}",
        doc["openapi"]
    );
    assert_eq!(doc["info"]["title"], "Patron API");
    assert_eq!(doc["servers"][0]["url"], "/api/v1");
    assert_eq!(
        doc["components"]["securitySchemes"]["api_key"]["scheme"],
        "bearer"
    );

    let mut routes: Vec<String> = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, ops)| {
            ops.as_object()
                .unwrap()
                .keys()
                .map(move |m| format!("{} {path}", m.to_uppercase()))
        })
        .collect();
    routes.sort();
    assert_eq!(
        routes,
        [
            "DELETE /segments/{id}",
            "DELETE /webhook_endpoints/{id}",
            "GET /bans",
            "GET /bans/{id}",
            "GET /bulk_actions",
            "GET /bulk_actions/{id}",
            "GET /bulk_actions/{id}/items",
            "GET /commands",
            "GET /customer_imports/{id}",
            "GET /customer_imports/{id}/report.csv",
            "GET /customers",
            "GET /customers/export.csv",
            "GET /customers/{id}",
            "GET /customers/{id}/data_export",
            "GET /customers/{id}/entitlements",
            "GET /customers/{id}/orders",
            "GET /customers/{id}/payment_details",
            "GET /customers/{id}/stats",
            "GET /customers/{id}/subscriptions",
            "GET /entitlements/{id}",
            "GET /entitlements/{id}/license_key",
            "GET /erasure_requests",
            "GET /merges/{id}",
            "GET /orders/{id}",
            "GET /orders/{id}/disputes",
            "GET /orders/{id}/provider_events",
            "GET /orders/{id}/refunds",
            "GET /payment_details/{id}/log",
            "GET /products",
            "GET /products/{id}",
            "GET /segments",
            "GET /segments/{id}",
            "GET /subscriptions/{id}",
            "GET /subscriptions/{id}/invoices",
            "GET /webhook_deliveries/{id}",
            "GET /webhook_endpoints",
            "GET /webhook_endpoints/{id}",
            "GET /webhook_endpoints/{id}/deliveries",
            "GET /workspace",
            "PATCH /bans/{id}",
            "PATCH /customers/{id}",
            "PATCH /segments/{id}",
            "PATCH /webhook_endpoints/{id}",
            "PATCH /workspace",
            "POST /bans",
            "POST /bans/preview",
            "POST /bans/{id}/lift",
            "POST /bulk_actions",
            "POST /bulk_actions/preview",
            "POST /bulk_actions/{id}/cancel",
            "POST /checkouts",
            "POST /commands/{id}/report",
            "POST /customer_imports",
            "POST /customer_sessions",
            "POST /customers",
            "POST /customers/{id}/archive",
            "POST /customers/{id}/entitlements",
            "POST /customers/{id}/erase",
            "POST /customers/{id}/merge",
            "POST /customers/{id}/payment_details/block_all",
            "POST /customers/{id}/payment_details/unblock_all",
            "POST /customers/{id}/unarchive",
            "POST /disputes/{id}/close",
            "POST /disputes/{id}/repayments",
            "POST /entitlements/{id}/discord",
            "POST /entitlements/{id}/download_link",
            "POST /entitlements/{id}/revoke",
            "POST /merges/{id}/undo",
            "POST /orders/{id}/disputes",
            "POST /orders/{id}/pay",
            "POST /orders/{id}/refunds",
            "POST /payment_details/{id}/block",
            "POST /payment_details/{id}/unblock",
            "POST /products",
            "POST /products/{id}/archive",
            "POST /segments",
            "POST /subscriptions/{id}/cancel",
            "POST /subscriptions/{id}/recover",
            "POST /subscriptions/{id}/revoke",
            "POST /webhook_deliveries/{id}/resend",
            "POST /webhook_endpoints",
            "POST /webhook_endpoints/{id}/resend_failed",
            "POST /webhook_endpoints/{id}/rotate_secret",
        ]
    );
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for (method, op) in ops.as_object().unwrap() {
            assert!(
                op["responses"].as_object().is_some_and(|r| !r.is_empty()),
                "{method} {path}"
            );
            assert!(
                op["summary"].is_string() || op["description"].is_string(),
                "{method} {path}"
            );
        }
    }

    let mut all = Vec::new();
    refs(&doc, &mut all);
    assert!(!all.is_empty());
    for r in all {
        let target = if let Some(name) = r.strip_prefix("#/components/schemas/") {
            &doc["components"]["schemas"][name]
        } else if let Some(name) = r.strip_prefix("#/components/responses/") {
            &doc["components"]["responses"][name]
        } else {
            panic!("odd $ref {r}")
        };
        assert!(target.is_object(), "dangling $ref {r}");
    }

    // Every operation documents what authentication, scopes and rate limits answer, with the
    // error envelope; those with an id in the path, a 404; those that change, the idempotency
    // answers.
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for (method, op) in ops.as_object().unwrap() {
            let responses = op["responses"].as_object().unwrap();
            for status in ["401", "403", "429", "500", "503"] {
                assert!(
                    responses.contains_key(status),
                    "{method} {path} lacks {status}"
                );
            }
            if path.contains('{') {
                assert!(responses.contains_key("404"), "{method} {path} lacks 404");
            }
            if method == "post" || method == "patch" {
                assert!(responses.contains_key("409"), "{method} {path} lacks 409");
                assert!(responses.contains_key("422"), "{method} {path} lacks 422");
                let params = op["parameters"].as_array().unwrap();
                assert!(
                    params
                        .iter()
                        .any(|p| p["name"] == "Idempotency-Key" && p["schema"]["maxLength"] == 255),
                    "{method} {path} lacks the Idempotency-Key header"
                );
            }
        }
    }
    // Every list answers one shape: a page object, never a bare array.
    for (path, ops) in doc["paths"].as_object().unwrap() {
        let Some(ok) = ops.get("get").map(|op| &op["responses"]["200"]) else {
            continue;
        };
        let Some(schema) = ok.pointer("/content/application~1json/schema") else {
            continue;
        };
        assert_ne!(schema["type"], "array", "GET {path} answers a bare array");
    }
    let unauthenticated = &doc["components"]["responses"]["Unauthenticated"];
    assert_eq!(
        unauthenticated["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/ErrorEnvelope"
    );

    // Ids, limits and free text are published as they are checked.
    let schemas = &doc["components"]["schemas"];
    assert_eq!(
        schemas["CustomerId"]["pattern"],
        "^cus_[0-7][0-9A-HJKMNP-TV-Z]{25}$"
    );
    let list = &doc["paths"]["/customers"]["get"]["parameters"];
    let param = |name: &str| {
        list.as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .unwrap_or_else(|| panic!("no {name}"))
            .clone()
    };
    assert_eq!(param("limit")["schema"]["type"], "integer");
    assert_eq!(param("limit")["schema"]["maximum"], 100);
    assert_eq!(param("q")["schema"]["maxLength"], 200);
    let name = &schemas["CustomerCreate"]["properties"]["name"];
    let text = name["oneOf"]
        .as_array()
        .and_then(|a| a.iter().find(|s| s["type"] == "string"))
        .unwrap_or(name);
    assert_eq!(text["maxLength"], 200, "{name}");
    assert!(
        text["pattern"].as_str().unwrap().contains(r"\u0000"),
        "{name}"
    );
    assert_eq!(schemas["CustomerCreate"]["additionalProperties"], false);
    // Lists as long as the server takes them (a longer one is a 400).
    assert_eq!(
        schemas["ProductCreate"]["properties"]["benefits"]["maxItems"],
        app::domain::products::BENEFITS_MAX
    );
    assert_eq!(
        schemas["BanCreate"]["properties"]["identities"]["maxItems"],
        app::domain::bans::IDENTITIES_MAX
    );

    // The error codes are published, each once.
    let codes: Vec<&str> = schemas["ErrorCode"]["enum"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let published: Vec<&str> = app::types::ErrorCode::ALL
        .iter()
        .map(|c| c.as_str())
        .collect();
    assert_eq!(codes, published);

    // Enums are published as the API sends them: the words, not the Rust variant names.
    let schemas = &doc["components"]["schemas"];
    assert_eq!(
        schemas["DisputeStatus"]["enum"],
        serde_json::json!(["open", "won", "lost"])
    );
    assert_eq!(
        schemas["PaymentMethodType"]["enum"],
        serde_json::json!(["card", "sepa_debit", "bank_transfer", "wallet", "manual"])
    );
    // Country codes are upper case by their standard (ISO 3166-1); every other word is ours.
    let mut ours = doc.clone();
    ours["components"]["schemas"]
        .as_object_mut()
        .unwrap()
        .remove("Country");
    let mut words = Vec::new();
    enum_values(&ours, &mut words);
    assert!(words.len() > 50, "{}", words.len());
    for w in words {
        assert!(
            !w.chars().any(|c| c.is_ascii_uppercase()),
            "an enum value in Rust spelling: {w}"
        );
    }
    drop(srv);
    t.cleanup().await;
}

/// What the document promises, the API does: a method a route lacks is a 405 naming the
/// methods it has; control characters and empty query parameters are refused naming the
/// parameter; a whole number written with a fraction is a whole number.
#[tokio::test]
async fn the_api_keeps_the_contract_it_publishes() {
    use crate::support::{TestApp, assert_error};
    use reqwest::{Method, StatusCode};

    let app = TestApp::on(Engine::Sqlite).build().await;
    let api = &app.api;

    let ((status, body), headers) = api
        .send_with(
            Method::PATCH,
            "/customers",
            Some(serde_json::json!({})),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{body}");
    assert_eq!(body["error"]["code"], "method_not_allowed");
    assert_eq!(headers["allow"], "GET, POST");

    let res = api
        .send(
            Method::POST,
            "/customers",
            Some(serde_json::json!({"name": "Ada\u{0}Lovelace"})),
        )
        .await;
    assert_error(
        &res,
        StatusCode::BAD_REQUEST,
        "parameter_invalid",
        Some("name"),
    );
    let res = api
        .send(
            Method::POST,
            "/customers",
            Some(serde_json::json!({"metadata": {"plan": "pro\nmax"}})),
        )
        .await;
    assert_error(
        &res,
        StatusCode::BAD_REQUEST,
        "parameter_invalid",
        Some("metadata.plan"),
    );

    let res = api.get("/customers?q=").await;
    assert_error(
        &res,
        StatusCode::BAD_REQUEST,
        "parameter_invalid",
        Some("q"),
    );
    let res = api.get("/customers?q=ada%00").await;
    assert_error(
        &res,
        StatusCode::BAD_REQUEST,
        "parameter_invalid",
        Some("q"),
    );

    let product = api
        .post_ok(
            "/products",
            serde_json::json!({"name": "Season pass", "kind": "one_time", "amount": 1500.0, "currency": "EUR"}),
        )
        .await;
    assert_eq!(product["amount"], 1500);

    // Lists page alike: two products, one a page, walked with starting_after.
    api.post_ok(
        "/products",
        serde_json::json!({"name": "Founder pack", "kind": "one_time", "amount": 900, "currency": "EUR"}),
    )
    .await;
    let first = api.get_ok("/products?limit=1").await;
    assert_eq!(first["object"], "list");
    assert_eq!(first["has_more"], true);
    let newest = first["data"][0]["id"].as_str().unwrap().to_owned();
    let second = api
        .get_ok(&format!("/products?limit=1&starting_after={newest}"))
        .await;
    assert_eq!(second["data"][0]["id"], product["id"]);
    assert_eq!(second["has_more"], false);
    app.cleanup().await;
}

#[tokio::test]
async fn the_main_operations_carry_curl_and_sdk_samples() {
    let t = TestDb::migrated(Engine::Sqlite).await;
    let srv = TestServer::start(t.services()).await;
    let doc: Value = srv
        .client
        .get(srv.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for (path, method, sdk_call) in [
        ("/customers", "get", "patron.customers.list("),
        ("/customers", "post", "patron.customers.create("),
        ("/checkouts", "post", "patron.checkouts.create("),
        ("/orders/{id}/refunds", "post", "patron.orders.refund("),
        (
            "/customer_sessions",
            "post",
            "patron.customerSessions.create(",
        ),
        (
            "/webhook_endpoints",
            "post",
            "patron.webhookEndpoints.create(",
        ),
    ] {
        let samples = &doc["paths"][path][method]["x-codeSamples"];
        assert_eq!(samples[0]["label"], "curl", "{method} {path}: {samples}");
        let curl = samples[0]["source"].as_str().unwrap();
        let api_path = path.replace("{id}", "ord_...");
        assert!(
            curl.starts_with("curl ") && curl.contains(&format!("/api/v1{api_path}")),
            "{method} {path}: {curl}"
        );
        assert_eq!(samples[1]["label"], "SDK");
        assert!(
            samples[1]["source"].as_str().unwrap().contains(sdk_call),
            "{method} {path}"
        );
    }

    t.cleanup().await;
}

/// The API reference (`/api/docs`) shows each operation's summary as its heading and groups
/// operations by tag under the tag's title: every summary is a short title on one line, and
/// every tag an operation names is declared with a title and a description.
#[tokio::test]
async fn every_operation_has_a_short_title_under_a_declared_group() {
    let t = TestDb::migrated(Engine::Sqlite).await;
    let srv = TestServer::start(t.services()).await;
    let doc: Value = srv
        .client
        .get(srv.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let declared: Vec<&str> = doc["tags"]
        .as_array()
        .expect("the document declares its tags")
        .iter()
        .map(|tag| {
            assert!(tag["x-displayName"].is_string(), "{tag}");
            assert!(tag["description"].is_string(), "{tag}");
            tag["name"].as_str().unwrap()
        })
        .collect();
    let mut titles = std::collections::HashSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let Some(summary) = op.get("summary").and_then(Value::as_str) else {
                panic!("{method} {path} has no summary");
            };
            assert!(
                summary.len() <= 50 && !summary.contains('\n'),
                "{method} {path}: the heading {summary:?} should be a short title"
            );
            assert!(titles.insert(summary), "{method} {path}: {summary:?} twice");
            for tag in op["tags"].as_array().unwrap() {
                assert!(
                    declared.contains(&tag.as_str().unwrap()),
                    "{method} {path}: the tag {tag} is not declared"
                );
            }
        }
    }

    t.cleanup().await;
}
