//! Saved segments and bulk actions through the REST API, on both engines: counts, names,
//! tenancy, the job's per-customer report, cancel, a stop when the starter may no longer act,
//! and two processes sharing the work.

use app::db::Engine;
use app::db::entities::event;
use app::domain::accounts::Device;
use app::domain::bulk_actions::{self, BulkReport, run_bulk_actions};
use app::domain::{Services, api_keys, team};
use app::types::segment::BulkActionCreate;
use app::types::{Role, Scope};
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};

use crate::on_both_engines;
use crate::support::{Api, TestApp, assert_error, member, one_time, other_workspace};

/// The password of the workspace's members.
const PASSWORD: &str = "a long enough password";

/// `n` customers in `country`, created through the API; their ids.
async fn customers(api: &Api, n: usize, country: &str, tag: &str) -> Vec<String> {
    let mut ids = Vec::new();
    for i in 0..n {
        let c = api
            .post_ok(
                "/customers",
                json!({"email": format!("{tag}-{i}@example.com"), "country": country}),
            )
            .await;
        ids.push(c["id"].as_str().unwrap().to_owned());
    }
    ids
}

async fn segments_are_saved_counted_and_kept_to_their_workspace(engine: Engine) {
    let TestApp { t, api, clock, .. } = TestApp::on(engine).build().await;
    customers(&api, 5, "DE", "de").await;
    customers(&api, 3, "FR", "fr").await;

    let (s, seg) = api
        .post(
            "/segments",
            json!({"name": " Germany ", "filters": {"country": "DE"}}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{seg}");
    assert_eq!(seg["name"], "Germany");
    assert_eq!(seg["customer_count"], 5);
    assert_eq!(seg["count_capped"], false);
    let id = seg["id"].as_str().unwrap().to_owned();

    let taken = api
        .post("/segments", json!({"name": "Germany", "filters": {}}))
        .await;
    assert_error(&taken, StatusCode::CONFLICT, "segment_name_taken", None);
    let bad = api
        .post(
            "/segments",
            json!({"name": "Nowhere", "filters": {"country": "XX"}}),
        )
        .await;
    assert_error(
        &bad,
        StatusCode::BAD_REQUEST,
        "parameter_invalid",
        Some("filters.country"),
    );
    let unnamed = api.post("/segments", json!({"name": "  "})).await;
    assert_error(
        &unnamed,
        StatusCode::BAD_REQUEST,
        "parameter_invalid",
        Some("name"),
    );

    // The count follows the customers: fresh for a minute, then counted again.
    customers(&api, 2, "DE", "de-late").await;
    let listed = api.get_ok("/segments").await;
    assert_eq!(listed["data"][0]["customer_count"], 5, "fresh for a minute");
    clock.advance(chrono::Duration::seconds(61));
    let listed = api.get_ok("/segments").await;
    assert_eq!(listed["data"][0]["customer_count"], 7);
    let renamed = api
        .patch_ok(
            &format!("/segments/{id}"),
            json!({"name": "Everyone", "filters": {"q": "example.com"}}),
        )
        .await;
    assert_eq!(renamed["name"], "Everyone");
    assert_eq!(
        renamed["customer_count"], 10,
        "new filters are counted at once"
    );

    // Another workspace sees none of it.
    let theirs = other_workspace(&api).await;
    assert_eq!(theirs.get_ok("/segments").await["data"], json!([]));
    for (method, path) in [
        ("GET", format!("/segments/{id}")),
        ("PATCH", format!("/segments/{id}")),
        ("DELETE", format!("/segments/{id}")),
    ] {
        let (s, _) = theirs
            .send(
                method.parse().unwrap(),
                &path,
                Some(json!({"name": "Mine"})),
            )
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{method} {path}");
    }
    let borrowed = theirs
        .post(
            "/bulk_actions",
            json!({"action": "archive", "segment_id": id}),
        )
        .await;
    assert_error(
        &borrowed,
        StatusCode::UNPROCESSABLE_ENTITY,
        "parameter_unprocessable",
        Some("segment_id"),
    );

    let (s, _) = api
        .send(reqwest::Method::DELETE, &format!("/segments/{id}"), None)
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = api.get(&format!("/segments/{id}")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    t.cleanup().await;
}

/// Runs the job until it has nothing left to do; what it did in all.
async fn run_all(svc: &Services) -> BulkReport {
    let mut all = BulkReport::default();
    for _ in 0..50 {
        let r = run_bulk_actions(svc).await.unwrap();
        if r == BulkReport::default() {
            break;
        }
        all.succeeded += r.succeeded;
        all.failed += r.failed;
        all.finished += r.finished;
    }
    all
}

async fn a_bulk_grant_reports_the_customer_archived_meanwhile_and_does_the_others(engine: Engine) {
    let TestApp { t, api, svc, .. } = TestApp::on(engine).build().await;
    let product = one_time(&api, 1000, "EUR").await;
    let ids = customers(&api, 6, "NL", "nl").await;
    customers(&api, 2, "BE", "be").await;
    let seg = api
        .post_ok(
            "/segments",
            json!({"name": "Dutch", "filters": {"country": "NL"}}),
        )
        .await;
    let body = json!({"action": "grant_product", "segment_id": seg["id"], "product_id": product});

    let preview = api.post_ok("/bulk_actions/preview", body.clone()).await;
    assert_eq!(preview["customers"], 6);
    let (s, started) = api.post("/bulk_actions", body).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{started}");
    assert_eq!(
        (started["status"].as_str(), started["total"].as_i64()),
        (Some("running"), Some(6))
    );
    let action = started["id"].as_str().unwrap();

    // Archived after the action started: refused for them, and only them.
    let gone = &ids[2];
    api.post_ok(&format!("/customers/{gone}/archive"), json!({}))
        .await;
    let report = run_all(&svc).await;
    assert_eq!(
        (report.succeeded, report.failed, report.finished),
        (5, 1, 1)
    );

    let done = api.get_ok(&format!("/bulk_actions/{action}")).await;
    assert_eq!(done["status"], "completed_with_errors");
    assert_eq!(
        (done["succeeded"].as_i64(), done["failed"].as_i64()),
        (Some(5), Some(1))
    );
    let failed = api
        .get_ok(&format!("/bulk_actions/{action}/items?status=failed"))
        .await;
    assert_eq!(failed["data"].as_array().unwrap().len(), 1);
    assert_eq!(failed["data"][0]["customer_id"], gone.as_str());
    assert_eq!(failed["data"][0]["error_code"], "customer_archived");
    assert_eq!(failed["data"][0]["customer_label"], "nl-2@example.com");
    let all = api.get_ok(&format!("/bulk_actions/{action}/items")).await;
    assert_eq!(all["data"].as_array().unwrap().len(), 6);

    // Each of the others holds the product's two benefits, granted once, audited as theirs.
    for id in ids.iter().filter(|id| *id != gone) {
        let items = api.get_ok(&format!("/customers/{id}/entitlements")).await;
        assert_eq!(items["data"].as_array().unwrap().len(), 2, "{id}");
    }
    let gone_items = api.get_ok(&format!("/customers/{gone}/entitlements")).await;
    assert_eq!(gone_items["data"], json!([]));
    assert_eq!(
        run_all(&svc).await,
        BulkReport::default(),
        "nothing is done twice"
    );
    let audited = event::Entity::find()
        .filter(event::Column::Action.eq("entitlement.granted"))
        .count(&t.db)
        .await
        .unwrap();
    assert_eq!(audited, 10, "two per customer changed");

    // Another workspace cannot see it; a finished action cannot be canceled.
    let theirs = other_workspace(&api).await;
    let (s, _) = theirs.get(&format!("/bulk_actions/{action}")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = theirs.get(&format!("/bulk_actions/{action}/items")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let late = api
        .post(&format!("/bulk_actions/{action}/cancel"), json!({}))
        .await;
    assert_error(&late, StatusCode::CONFLICT, "bulk_action_finished", None);
    t.cleanup().await;
}

async fn bulk_actions_check_their_input_and_name_the_field(engine: Engine) {
    let TestApp { t, api, .. } = TestApp::on(engine).build().await;
    let ids = customers(&api, 2, "AT", "at").await;
    let cases: Vec<(Value, StatusCode, &str, &str)> = vec![
        (
            json!({"action": "set_metadata", "customer_ids": ids}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "parameter_unprocessable",
            "metadata_key",
        ),
        (
            json!({"action": "set_metadata", "customer_ids": ids, "metadata_key": "tier"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "parameter_unprocessable",
            "metadata_value",
        ),
        (
            json!({"action": "remove_metadata", "customer_ids": ids, "metadata_key": "a[b]"}),
            StatusCode::BAD_REQUEST,
            "parameter_invalid",
            "metadata_key",
        ),
        (
            json!({"action": "archive", "customer_ids": ids, "product_id": "prod_01KAKX6D0000000000000000AA"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "parameter_unprocessable",
            "product_id",
        ),
        (
            json!({"action": "archive", "customer_ids": ids, "filters": {}}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "parameter_unprocessable",
            "customer_ids",
        ),
        (
            json!({"action": "archive"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "parameter_unprocessable",
            "customer_ids",
        ),
        (
            json!({"action": "archive", "customer_ids": []}),
            StatusCode::BAD_REQUEST,
            "parameter_invalid",
            "customer_ids",
        ),
        (
            json!({"action": "archive", "filters": {"country": "JP"}}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "parameter_unprocessable",
            "filters",
        ),
        (
            json!({"action": "grant_product", "customer_ids": ids}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "parameter_unprocessable",
            "product_id",
        ),
    ];
    for (body, status, code, field) in cases {
        let answer = api.post("/bulk_actions", body.clone()).await;
        assert_error(&answer, status, code, Some(field));
    }
    let (s, listed) = api.get("/bulk_actions").await;
    assert_eq!(
        (s, listed["data"].clone()),
        (StatusCode::OK, json!([])),
        "nothing was started"
    );
    t.cleanup().await;
}

async fn a_canceled_bulk_action_skips_the_customers_it_had_not_reached(engine: Engine) {
    let TestApp { t, api, svc, .. } = TestApp::on(engine).build().await;
    customers(&api, 30, "PL", "pl").await;
    let started = api
        .post_ok(
            "/bulk_actions",
            json!({"action": "set_metadata", "filters": {"country": "PL"}, "metadata_key": "tier", "metadata_value": "gold"}),
        )
        .await;
    let action = started["id"].as_str().unwrap();
    let canceling = api
        .post_ok(&format!("/bulk_actions/{action}/cancel"), json!({}))
        .await;
    assert_eq!(canceling["cancel_requested"], true);
    assert_eq!(
        canceling["status"], "running",
        "it stops when the job next looks"
    );
    let report = run_all(&svc).await;
    assert_eq!((report.succeeded, report.finished), (0, 1));
    let done = api.get_ok(&format!("/bulk_actions/{action}")).await;
    assert_eq!(done["status"], "canceled");
    let skipped = api
        .get_ok(&format!(
            "/bulk_actions/{action}/items?status=skipped&limit=100"
        ))
        .await;
    assert_eq!(skipped["data"].as_array().unwrap().len(), 30);
    let gold = api.get_ok("/customers?country=PL").await;
    assert!(
        gold["data"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["metadata"].get("tier").is_none()),
        "no customer was changed"
    );
    t.cleanup().await;
}

async fn two_processes_share_bulk_actions_and_change_each_customer_once(engine: Engine) {
    let TestApp { t, api, svc, .. } = TestApp::on(engine).build().await;
    customers(&api, 40, "SE", "se").await;
    let mut actions = Vec::new();
    for (key, value) in [("a", "1"), ("b", "2"), ("c", "3")] {
        let a = api
            .post_ok(
                "/bulk_actions",
                json!({"action": "set_metadata", "filters": {"country": "SE"}, "metadata_key": key, "metadata_value": value}),
            )
            .await;
        actions.push(a["id"].as_str().unwrap().to_owned());
    }
    // A second process: its own connections, the same clock.
    let other = Services::new(t.connect_again().await).with_clock(svc.clock.clone());
    let (a, b) = tokio::join!(run_all(&svc), run_all(&other));
    assert_eq!(a.succeeded + b.succeeded, 120, "{a:?} {b:?}");
    assert_eq!(a.finished + b.finished, 3);
    for id in &actions {
        let done = api.get_ok(&format!("/bulk_actions/{id}")).await;
        assert_eq!(
            (done["status"].as_str(), done["succeeded"].as_i64()),
            (Some("succeeded"), Some(40))
        );
    }
    let audited = event::Entity::find()
        .filter(event::Column::Action.eq("customer.updated"))
        .count(&t.db)
        .await
        .unwrap();
    assert_eq!(audited, 120, "one change per customer and action");
    let listed = api.get_ok("/customers?country=SE&limit=100").await;
    for c in listed["data"].as_array().unwrap() {
        assert_eq!(c["metadata"], json!({"a": "1", "b": "2", "c": "3"}), "{c}");
    }
    t.cleanup().await;
}

/// A bulk action acts for whoever started it only while they still may: a member removed, a
/// member demoted below what it needs, or a key revoked stops it before its next batch. It
/// ends canceled, changes nobody more, and each customer not reached says why; an action whose
/// starter still may runs on.
async fn a_bulk_action_stops_when_its_starter_is_removed_demoted_or_revoked(engine: Engine) {
    let TestApp {
        t,
        api,
        svc,
        tenant,
        ..
    } = TestApp::on(engine).build().await;
    customers(&api, 30, "PT", "pt").await;
    let ws = &tenant.workspace_id;
    let (_, owner) = member(&svc, ws, "owner@shop.example", Role::Owner, PASSWORD).await;
    let (ann, by_ann) = member(&svc, ws, "ann@shop.example", Role::Admin, PASSWORD).await;
    let (bea, by_bea) = member(&svc, ws, "bea@shop.example", Role::Admin, PASSWORD).await;
    let key = api_keys::create_api_key(
        &svc,
        &tenant.workspace_id,
        "sync",
        &[Scope::CustomersRead, Scope::CustomersWrite],
    )
    .await
    .unwrap();
    let by_key = api_keys::authenticate_api_key(&svc, &key.secret, None)
        .await
        .unwrap();
    let set = |metadata_key: &str| -> BulkActionCreate {
        serde_json::from_value(
            json!({"action": "set_metadata", "filters": {"country": "PT"},
            "metadata_key": metadata_key, "metadata_value": "yes"}),
        )
        .unwrap()
    };
    let mut started = Vec::new();
    for (who, metadata_key) in [
        (&by_ann, "ann"),
        (&by_bea, "bea"),
        (&by_key, "sync"),
        (&owner, "owner"),
    ] {
        let a = bulk_actions::create_bulk_action(&svc, who, set(metadata_key))
            .await
            .unwrap();
        started.push(a.id.to_string());
    }

    // Ann leaves the team, Bea becomes support (who may not change customers), the key goes.
    team::remove_member(&svc, &owner, &ann).await.unwrap();
    team::change_role(&svc, &owner, &bea, Role::Support, Device::default())
        .await
        .unwrap();
    api_keys::revoke_api_key(&svc, &tenant.workspace_id, &key.id)
        .await
        .unwrap();
    let report = run_all(&svc).await;
    assert_eq!((report.succeeded, report.finished), (30, 4), "{report:?}");

    let why = [
        (
            "authentication_required",
            "Stopped: the person who started this action is no longer a member of the workspace.",
        ),
        (
            "insufficient_scope",
            "Stopped: the person who started this action is now support, a role that may not \
             change customers.",
        ),
        (
            "authentication_required",
            "Stopped: the API key that started this action was revoked.",
        ),
    ];
    for (id, (code, message)) in started.iter().zip(why) {
        let done = api.get_ok(&format!("/bulk_actions/{id}")).await;
        assert_eq!(
            (done["status"].as_str(), done["succeeded"].as_i64()),
            (Some("canceled"), Some(0)),
            "{done}"
        );
        let skipped = api
            .get_ok(&format!(
                "/bulk_actions/{id}/items?status=skipped&limit=100"
            ))
            .await;
        let items = skipped["data"].as_array().unwrap();
        assert_eq!(items.len(), 30, "{skipped}");
        for item in items {
            assert_eq!(item["error_code"], code, "{item}");
            assert_eq!(item["message"], message, "{item}");
        }
    }
    let owners = api.get_ok(&format!("/bulk_actions/{}", started[3])).await;
    assert_eq!(owners["status"], "succeeded", "{owners}");
    let listed = api.get_ok("/customers?country=PT&limit=100").await;
    let listed = listed["data"].as_array().unwrap();
    assert_eq!(listed.len(), 30);
    for c in listed {
        assert_eq!(
            c["metadata"],
            json!({"owner": "yes"}),
            "nobody else's change: {c}"
        );
    }
    let stops = event::Entity::find()
        .filter(event::Column::Action.eq("bulk_action.stopped"))
        .count(&t.db)
        .await
        .unwrap();
    assert_eq!(stops, 3);
    t.cleanup().await;
}

async fn a_selection_of_customers_is_listed_and_exported_by_id(engine: Engine) {
    let TestApp { t, api, .. } = TestApp::on(engine).build().await;
    let ids = customers(&api, 5, "IE", "ie").await;
    let picked = format!("{},{}", ids[3], ids[1]);
    let listed = api.get_ok(&format!("/customers?ids={picked}")).await;
    let mut got: Vec<&str> = listed["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    got.sort_unstable();
    let mut want = vec![ids[1].as_str(), ids[3].as_str()];
    want.sort_unstable();
    assert_eq!(got, want);
    let res = api
        .srv
        .client
        .get(
            api.srv
                .url(&format!("/api/v1/customers/export.csv?ids={picked}")),
        )
        .bearer_auth(&api.key)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let csv = res.text().await.unwrap();
    assert_eq!(csv.lines().count(), 3, "{csv}");
    assert!(csv.contains("ie-3@example.com") && csv.contains("ie-1@example.com"));
    let nothing = api.get_ok("/customers?ids=cus_nope").await;
    assert_eq!(
        nothing["data"],
        json!([]),
        "a malformed id names no customer"
    );
    t.cleanup().await;
}

on_both_engines!(
    a_selection_of_customers_is_listed_and_exported_by_id,
    segments_are_saved_counted_and_kept_to_their_workspace,
    a_bulk_grant_reports_the_customer_archived_meanwhile_and_does_the_others,
    bulk_actions_check_their_input_and_name_the_field,
    a_canceled_bulk_action_skips_the_customers_it_had_not_reached,
    two_processes_share_bulk_actions_and_change_each_customer_once,
    a_bulk_action_stops_when_its_starter_is_removed_demoted_or_revoked,
);
