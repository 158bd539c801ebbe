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
            "DELETE /webhook_endpoints/{id}",
            "GET /bans",
            "GET /bans/{id}",
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
            "GET /orders/{id}/refunds",
            "GET /payment_details/{id}/log",
            "GET /products",
            "GET /products/{id}",
            "GET /subscriptions/{id}",
            "GET /subscriptions/{id}/invoices",
            "GET /webhook_deliveries/{id}",
            "GET /webhook_endpoints",
            "GET /webhook_endpoints/{id}",
            "GET /webhook_endpoints/{id}/deliveries",
            "GET /workspace",
            "PATCH /bans/{id}",
            "PATCH /customers/{id}",
            "PATCH /webhook_endpoints/{id}",
            "PATCH /workspace",
            "POST /bans",
            "POST /bans/preview",
            "POST /bans/{id}/lift",
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
        let name = r
            .strip_prefix("#/components/schemas/")
            .unwrap_or_else(|| panic!("odd $ref {r}"));
        assert!(
            doc["components"]["schemas"][name].is_object(),
            "dangling $ref {r}"
        );
    }

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
    let mut words = Vec::new();
    enum_values(&doc, &mut words);
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
