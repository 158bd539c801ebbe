//! Merging duplicate customers through the REST API: the preview says exactly what the merge
//! then does; the survivor's figures equal a recomputation from its orders; the merged
//! customer's id still resolves, naming the survivor; undo restores both customers exactly
//! (their full data exports are equal to before); an undo after a change is refused, naming
//! it; blockers come all at once; another workspace's customer is 404.

use app::db::Engine;
use app::types::Scope;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::on_both_engines;
use crate::support::{Api, Tenant, TestApp, assert_error, card, monthly, one_time};

/// A customer's full data export, without the moment it was made.
async fn export(api: &Api, id: &str) -> Value {
    let mut e = api.get_ok(&format!("/customers/{id}/data_export")).await;
    e.as_object_mut().unwrap().remove("generated_at");
    e
}

fn len(v: &Value, key: &str) -> i64 {
    v[key].as_array().unwrap().len() as i64
}

async fn buy(api: &Api, customer: &str, product: &str, number: &str) -> Value {
    let bought = api
        .post_ok(
            "/checkouts",
            json!({"customer_id": customer, "product_id": product, "payment_method": card(number),
                   "ip": "198.51.100.7"}),
        )
        .await;
    assert_eq!(bought["order"]["status"], "paid", "{bought}");
    bought
}

async fn merge(api: &Api, id: &str, into: &str, preview: bool) -> (StatusCode, Value) {
    api.post(
        &format!("/customers/{id}/merge"),
        json!({"into": into, "preview": preview}),
    )
    .await
}

async fn a_merge_moves_what_its_preview_said_and_undo_restores_both(engine: Engine) {
    let app = TestApp::on(engine).build().await;
    let api = &app.api;
    let kit = one_time(api, 2500, "EUR").await;
    let vip = monthly(api, 900, "USD").await;
    let a = api
        .post_ok(
            "/customers",
            json!({"email": "ann.dupe@example.com", "external_id": "crm-1",
                   "metadata": {"plan": "pro", "from": "crm"}}),
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let b = api
        .post_ok(
            "/customers",
            json!({"email": "ann@example.com", "name": "Ann Lee", "metadata": {"plan": "team"}}),
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // The duplicate bought twice (one refunded in part) and subscribed; the survivor bought
    // with the same card, from the same address.
    let first = buy(api, &a, &kit, "4242424242424242").await;
    buy(api, &a, &kit, "4000056655665556").await;
    buy(api, &a, &vip, "4242424242424242").await;
    let first_order = first["order"]["id"].as_str().unwrap();
    api.post_ok(
        &format!("/orders/{first_order}/refunds"),
        json!({"amount": 500}),
    )
    .await;
    buy(api, &b, &kit, "4242424242424242").await;
    let ban = api
        .post_ok(
            "/bans",
            json!({"reason": "chargeback", "identities": [{"kind": "customer", "value": a}]}),
        )
        .await;
    let (before_a, before_b) = (export(api, &a).await, export(api, &b).await);
    let ltv = |id: &str| {
        let id = id.to_owned();
        async move {
            api.get_ok(&format!("/customers/{id}/stats")).await["lifetime_value"]
                .as_i64()
                .unwrap()
        }
    };
    let (ltv_a, ltv_b) = (ltv(&a).await, ltv(&b).await);

    // The preview: what moves, what wins, nothing blocking, the lifetime value after.
    let (status, preview) = merge(api, &a, &b, true).await;
    assert_eq!(status, StatusCode::OK, "{preview}");
    assert_eq!(preview["blockers"], json!([]));
    let moves = &preview["moves"];
    assert_eq!(moves["orders"], len(&before_a, "orders"));
    assert_eq!(moves["refunds"], 1);
    assert_eq!(moves["subscriptions"], 1);
    assert_eq!(moves["entitlements"], len(&before_a, "entitlements"));
    assert_eq!(moves["payment_details"], len(&before_a, "payment_details"));
    assert_eq!(moves["ban_identities"], 1);
    let shared = moves["payment_details_shared"].as_i64().unwrap();
    assert!(shared >= 2, "the card and the address both have: {preview}");
    let field = |name: &str| {
        preview["fields"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["field"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("no {name} in {preview}"))
    };
    assert_eq!(field("external_id")["result"], "crm-1");
    assert_eq!(field("email")["result"], "ann@example.com");
    assert_eq!(field("email")["conflict"], true);
    assert_eq!(field("metadata.plan")["result"], "team");
    assert_eq!(field("metadata.from")["result"], "crm");
    assert_eq!(preview["lifetime_value_after"], ltv_a + ltv_b);
    assert_eq!(export(api, &a).await, before_a, "a preview changes nothing");

    // The merge does exactly that.
    let (status, done) = merge(api, &a, &b, false).await;
    assert_eq!(status, StatusCode::CREATED, "{done}");
    let merge_id = done["id"].as_str().unwrap().to_owned();
    assert_eq!(done["survivor"]["external_id"], "crm-1");
    assert_eq!(
        done["survivor"]["metadata"],
        json!({"plan": "team", "from": "crm"})
    );
    let after_b = export(api, &b).await;
    for (key, moved) in [
        ("orders", "orders"),
        ("refunds", "refunds"),
        ("subscriptions", "subscriptions"),
        ("entitlements", "entitlements"),
    ] {
        assert_eq!(
            len(&after_b, key),
            len(&before_b, key) + moves[moved].as_i64().unwrap(),
            "{key}"
        );
    }
    assert_eq!(
        len(&after_b, "payment_details"),
        len(&before_b, "payment_details") + moves["payment_details"].as_i64().unwrap() - shared
    );
    // The survivor's figures equal a recomputation from its orders.
    let stats = api.get_ok(&format!("/customers/{b}/stats")).await;
    assert_eq!(stats["lifetime_value"], ltv_a + ltv_b);
    assert_eq!(stats["order_count"], len(&after_b, "orders"));
    for total in stats["lifetime_value_by_currency"].as_array().unwrap() {
        let currency = total["currency"].as_str().unwrap();
        let orders: Vec<&Value> = after_b["orders"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|o| o["currency"] == currency)
            .collect();
        let paid: i64 = orders.iter().map(|o| o["amount"].as_i64().unwrap()).sum();
        let refunded: i64 = orders
            .iter()
            .map(|o| o["refunded_amount"].as_i64().unwrap())
            .sum();
        assert_eq!(
            (total["paid"].as_i64(), total["refunded"].as_i64()),
            (Some(paid), Some(refunded)),
            "{currency}"
        );
    }
    assert_eq!(stats["active_subscriptions"], 1);
    // The merged customer's id still answers, naming the survivor.
    let tomb = api.get_ok(&format!("/customers/{a}")).await;
    assert_eq!(tomb["merged_into"], b.as_str());
    assert_eq!(
        api.get_ok(&format!("/merges/{merge_id}")).await["into"],
        b.as_str()
    );

    // Undo: both exactly as they were.
    let undone = api
        .post_ok(&format!("/merges/{merge_id}/undo"), json!({}))
        .await;
    assert!(undone["undone_at"].is_string(), "{undone}");
    assert_eq!(export(api, &a).await, before_a);
    assert_eq!(export(api, &b).await, before_b);
    let res = api
        .post(&format!("/merges/{merge_id}/undo"), json!({}))
        .await;
    assert_error(&res, StatusCode::CONFLICT, "merge_not_undoable", None);

    // Merged again, then changed: the undo is refused and names the change.
    let (_, again) = merge(api, &a, &b, false).await;
    let again_id = again["id"].as_str().unwrap();
    api.post_ok(
        &format!("/orders/{first_order}/refunds"),
        json!({"amount": 100}),
    )
    .await;
    let res = api
        .post(&format!("/merges/{again_id}/undo"), json!({}))
        .await;
    assert_error(&res, StatusCode::CONFLICT, "merge_not_undoable", None);
    let message = res.1["error"]["message"].as_str().unwrap();
    assert!(message.contains("refund"), "{message}");
    // The tombstone takes no change.
    let res = api
        .patch(&format!("/customers/{a}"), json!({"name": "Ann again"}))
        .await;
    assert_error(&res, StatusCode::CONFLICT, "customer_merged", None);
    // A checkout naming the merged customer's id is the survivor's: the ban that moved to
    // the survivor refuses it (the tombstone itself is no longer named by any ban).
    let res = api
        .post(
            "/checkouts",
            json!({"customer_id": a, "product_id": kit, "payment_method": card("4242424242424242"),
                   "ip": "198.51.100.7"}),
        )
        .await;
    assert_error(&res, StatusCode::FORBIDDEN, "customer_banned", None);
    assert_eq!(res.1["error"]["ban_id"], ban["id"], "{}", res.1);

    app.cleanup().await;
}

async fn blockers_come_all_at_once_and_the_merge_stays_in_its_workspace(engine: Engine) {
    let app = TestApp::on(engine).build().await;
    let api = &app.api;
    let vip = monthly(api, 900, "EUR").await;
    let mut ids = Vec::new();
    for x in ["crm-3", "crm-4"] {
        let c = api.post_ok("/customers", json!({"external_id": x})).await["id"]
            .as_str()
            .unwrap()
            .to_owned();
        buy(api, &c, &vip, "4242424242424242").await;
        ids.push(c);
    }
    let (c, d) = (&ids[0], &ids[1]);
    let (status, preview) = merge(api, c, d, true).await;
    assert_eq!(status, StatusCode::OK);
    let codes: Vec<&str> = preview["blockers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["external_ids_differ", "same_live_subscription"]);
    let res = merge(api, c, d, false).await;
    assert_error(&res, StatusCode::CONFLICT, "merge_blocked", None);
    let message = res.1["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("crm-3") && message.contains("VIP"),
        "{message}"
    );

    let res = merge(api, c, c, true).await;
    assert_error(
        &res,
        StatusCode::UNPROCESSABLE_ENTITY,
        "parameter_unprocessable",
        Some("into"),
    );
    let other = Tenant::create(&app.svc, "Other", &Scope::ALL).await;
    let stranger = app::domain::customers::create_customer(
        &app.svc,
        &app::domain::Caller::system(other.workspace_id.clone()),
        Default::default(),
    )
    .await
    .unwrap();
    let res = merge(api, c, stranger.id.as_str(), true).await;
    assert_error(&res, StatusCode::NOT_FOUND, "resource_missing", None);
    let writer = app
        .tenant
        .key_with(&app.svc, &[Scope::CustomersRead, Scope::CustomersWrite])
        .await;
    let res = api
        .srv
        .client
        .post(api.srv.url(&format!("/api/v1/customers/{c}/merge")))
        .bearer_auth(&writer)
        .json(&json!({"into": d, "preview": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);

    app.cleanup().await;
}

/// Two undos of one merge at once (two requests, two connections): one restores, the other is
/// refused, and the customers are restored once.
async fn two_undos_at_once_restore_once(engine: Engine) {
    let app = TestApp::on(engine).build().await;
    let api = &app.api;
    let kit = one_time(api, 2500, "EUR").await;
    let mut ids = Vec::new();
    for x in ["crm-5", "crm-6"] {
        let c = api
            .post_ok("/customers", json!({"email": format!("{x}@example.com")}))
            .await;
        ids.push(c["id"].as_str().unwrap().to_owned());
    }
    let (a, b) = (&ids[0], &ids[1]);
    buy(api, a, &kit, "4242424242424242").await;
    let before = (export(api, a).await, export(api, b).await);
    let (status, merged) = merge(api, a, b, false).await;
    assert_eq!(status, StatusCode::CREATED, "{merged}");
    let undo = format!("/merges/{}/undo", merged["id"].as_str().unwrap());
    let (one, two) = tokio::join!(api.post(&undo, json!({})), api.post(&undo, json!({})));
    let mut statuses = [one.0, two.0];
    statuses.sort();
    assert_eq!(
        statuses,
        [StatusCode::OK, StatusCode::CONFLICT],
        "{} / {}",
        one.1,
        two.1
    );
    let refused = if one.0 == StatusCode::CONFLICT {
        &one
    } else {
        &two
    };
    assert_error(refused, StatusCode::CONFLICT, "merge_not_undoable", None);
    assert_eq!((export(api, a).await, export(api, b).await), before);
    app.cleanup().await;
}

on_both_engines!(
    a_merge_moves_what_its_preview_said_and_undo_restores_both,
    blockers_come_all_at_once_and_the_merge_stays_in_its_workspace,
    two_undos_at_once_restore_once
);
