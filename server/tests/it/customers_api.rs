//! `/api/v1/customers` through the real router: success, validation, auth, scopes, tenancy,
//! optimistic locking, pagination and idempotency, on both engines.

use app::db::Engine;
use app::types::Scope;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::on_both_engines;
use crate::support::{Api, Tenant, TestApp, TestServer, assert_error, assert_every};

const CUSTOMERS: &[Scope] = &[Scope::CustomersRead, Scope::CustomersWrite];

impl Api {
    async fn count(&self) -> usize {
        let list = self.get_ok("/customers?limit=100").await;
        list["data"].as_array().unwrap().len()
    }
}

async fn a_search_with_a_typo_offers_the_closest_customers(engine: Engine) {
    let TestApp { t, api, .. } = TestApp::on(engine).scopes(CUSTOMERS).build().await;
    for (email, name) in [
        ("ada@gmail.com", "Ada Lovelace"),
        ("alan@gmail.com", "Alan Turing"),
        ("grace@yahoo.com", "Grace Hopper"),
    ] {
        api.post_ok("/customers", json!({"email": email, "name": name}))
            .await;
    }
    let names = |list: &Value| -> Vec<String> {
        list["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap().to_owned())
            .collect()
    };
    let marks = |list: &Value| -> Vec<Value> {
        list["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["match"].clone())
            .collect()
    };
    // An exact match is never hidden by a fuzzy one.
    let exact = api.get_ok("/customers?q=lovelace").await;
    assert_eq!(names(&exact), ["Ada Lovelace"]);
    assert_eq!(marks(&exact), [json!("exact")]);
    // A letter left out, two letters swapped, a letter twice: the closest, newest first.
    for (typo, expected) in [
        ("lovelce", vec!["Ada Lovelace"]),
        ("gmial", vec!["Alan Turing", "Ada Lovelace"]),
        ("hopperr", vec!["Grace Hopper"]),
    ] {
        let list = api.get_ok(&format!("/customers?q={typo}")).await;
        assert_eq!(names(&list), expected, "{typo}");
        assert!(marks(&list).iter().all(|m| m == "fuzzy"), "{typo}: {list}");
        assert_eq!(list["has_more"], false);
    }
    // Filters hold for "did you mean" too; nonsense finds nobody.
    let filtered = api.get_ok("/customers?q=gmial&country=GB").await;
    assert_eq!(filtered["data"], json!([]));
    let nonsense = api.get_ok("/customers?q=qqzxw").await;
    assert_eq!(nonsense["data"], json!([]));
    // Without a search there is nothing to mark.
    let all = api.get_ok("/customers").await;
    assert!(all["data"][0].get("match").is_none(), "{all}");
    t.cleanup().await;
}

async fn a_customer_is_created_found_and_listed(engine: Engine) {
    let TestApp { t, api, .. } = TestApp::on(engine).scopes(CUSTOMERS).build().await;
    let (status, created) = api
        .post(
            "/customers",
            json!({"email": "  Ada@Example.COM ", "name": "Ada Lovelace", "country": "gb",
                   "external_id": "76561198000000001", "metadata": {"plan": "pro"}}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_str().unwrap();
    assert!(id.starts_with("cus_"));
    assert_eq!(created["email"], "ada@example.com");
    assert_eq!(created["country"], "GB");
    assert_eq!(created["metadata"], json!({"plan": "pro"}));
    assert_eq!(created["version"], 1);
    assert_eq!(created["archived_at"], Value::Null);

    let (status, found) = api.get(&format!("/customers/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(found, created);

    for query in [
        "q=LOVEL",
        "q=ada@ex",
        "email=ADA@example.com",
        "external_id=76561198000000001",
    ] {
        let (status, list) = api.get(&format!("/customers?{query}")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(list["data"][0]["id"], id, "{query}");
    }
    let none = api.get_ok("/customers?q=nobody").await;
    assert_eq!(none["data"], json!([]));

    // Emails are not unique: a second customer may share one.
    let (status, twin) = api
        .post("/customers", json!({"email": "ada@example.com"}))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_ne!(twin["id"], created["id"]);
    let both = api.get_ok("/customers?email=ada@example.com").await;
    assert_eq!(both["data"].as_array().unwrap().len(), 2);

    // The key's last use is recorded.
    use sea_orm::EntityTrait;
    let keys = app::db::entities::api_key::Entity::find()
        .all(&t.db)
        .await
        .unwrap();
    assert_every(&keys, |k| k.last_used_at.is_some());
    t.cleanup().await;
}

async fn invalid_fields_are_named_and_nothing_is_written(engine: Engine) {
    let TestApp { t, api, .. } = TestApp::on(engine).scopes(CUSTOMERS).build().await;
    let cases = [
        (json!({"email": "not-an-email"}), "email"),
        (json!({"country": "XX"}), "country"),
        (json!({"external_id": "  "}), "external_id"),
        (json!({"profile_url": "javascript:alert(1)"}), "profile_url"),
        (json!({"phone": "call me"}), "phone"),
        (json!({"metadata": {"a[b]": "x"}}), "metadata[a[b]]"),
        (
            json!({"metadata": {"long": "v".repeat(501)}}),
            "metadata[long]",
        ),
        (
            json!({"metadata": (0..51).map(|i| (format!("k{i}"), json!("v"))).collect::<serde_json::Map<_, _>>()}),
            "metadata",
        ),
        (json!({"emial": "typo@example.com"}), "emial"),
        (json!({"email": 5}), "email"),
    ];
    for (body, param) in cases {
        let res = api.post("/customers", body.clone()).await;
        assert_error(
            &res,
            StatusCode::BAD_REQUEST,
            "parameter_invalid",
            Some(param),
        );
    }
    let res = api.get("/customers?limit=101").await;
    assert_error(
        &res,
        StatusCode::BAD_REQUEST,
        "parameter_invalid",
        Some("limit"),
    );
    let res = api.get("/customers?limit=1&limit=2").await;
    assert_error(&res, StatusCode::BAD_REQUEST, "parameter_invalid", None);
    let res = api.get("/customers?starting_after=nope").await;
    assert_error(
        &res,
        StatusCode::BAD_REQUEST,
        "parameter_invalid",
        Some("starting_after"),
    );
    assert_eq!(api.count().await, 0);
    t.cleanup().await;
}

async fn requests_without_a_valid_key_or_scope_are_refused(engine: Engine) {
    let TestApp { t, api, tenant, .. } = TestApp::on(engine).scopes(CUSTOMERS).build().await;
    let svc = t.services();
    let c = api.post_ok("/customers", json!({"name": "Bo"})).await;
    let id = c["id"].as_str().unwrap().to_owned();

    let res = api
        .srv
        .client
        .get(api.srv.url("/api/v1/customers"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "api_key_missing");

    let wrong = Api {
        srv: TestServer::start(svc.clone()).await,
        key: "pat_sk_wrong".into(),
    };
    assert_error(
        &wrong.get("/customers").await,
        StatusCode::UNAUTHORIZED,
        "api_key_invalid",
        None,
    );

    let read_only = Api {
        srv: TestServer::start(svc.clone()).await,
        key: tenant.key_with(&svc, &[Scope::CustomersRead]).await,
    };
    assert_eq!(
        read_only.get(&format!("/customers/{id}")).await.0,
        StatusCode::OK
    );
    for res in [
        read_only.post("/customers", json!({"name": "Eve"})).await,
        read_only
            .patch(&format!("/customers/{id}"), json!({"name": "Eve"}))
            .await,
        read_only
            .post(&format!("/customers/{id}/archive"), json!({}))
            .await,
    ] {
        assert_error(&res, StatusCode::FORBIDDEN, "insufficient_scope", None);
    }
    let after = api.get_ok(&format!("/customers/{id}")).await;
    assert_eq!(after["name"], "Bo");
    assert_eq!(after["version"], 1);
    assert_eq!(api.count().await, 1);
    t.cleanup().await;
}

async fn another_workspaces_customer_is_not_found_and_untouched(engine: Engine) {
    let TestApp { t, api, .. } = TestApp::on(engine).scopes(CUSTOMERS).build().await;
    let svc = t.services();
    let other = Tenant::create(&svc, "Shop B", CUSTOMERS).await;
    let theirs = Api {
        srv: TestServer::start(svc).await,
        key: other.key,
    };
    let c = theirs
        .post_ok("/customers", json!({"name": "Theirs", "external_id": "x1"}))
        .await;
    let id = c["id"].as_str().unwrap();

    let path = format!("/customers/{id}");
    assert_error(
        &api.get(&path).await,
        StatusCode::NOT_FOUND,
        "resource_missing",
        None,
    );
    assert_error(
        &api.patch(&path, json!({"name": "Mine"})).await,
        StatusCode::NOT_FOUND,
        "resource_missing",
        None,
    );
    assert_error(
        &api.post(&format!("{path}/archive"), json!({})).await,
        StatusCode::NOT_FOUND,
        "resource_missing",
        None,
    );
    assert_eq!(api.count().await, 0);
    // The same external id is free in another workspace.
    assert_eq!(
        api.post("/customers", json!({"external_id": "x1"})).await.0,
        StatusCode::CREATED
    );

    let still = theirs.get_ok(&path).await;
    assert_eq!(still["name"], "Theirs");
    assert_eq!(still["archived_at"], Value::Null);
    t.cleanup().await;
}

async fn a_taken_external_id_is_a_conflict_naming_its_holder(engine: Engine) {
    let TestApp { t, api, .. } = TestApp::on(engine).scopes(CUSTOMERS).build().await;
    let first = api
        .post_ok("/customers", json!({"external_id": "steam-1"}))
        .await;
    let res = api
        .post(
            "/customers",
            json!({"external_id": "steam-1", "name": "Dup"}),
        )
        .await;
    assert_error(&res, StatusCode::CONFLICT, "external_id_taken", None);
    assert!(
        res.1["error"]["message"]
            .as_str()
            .unwrap()
            .contains(first["id"].as_str().unwrap())
    );

    let second = api
        .post_ok("/customers", json!({"external_id": "steam-2"}))
        .await;
    let res = api
        .patch(
            &format!("/customers/{}", second["id"].as_str().unwrap()),
            json!({"external_id": "steam-1"}),
        )
        .await;
    assert_error(&res, StatusCode::CONFLICT, "external_id_taken", None);
    assert_eq!(api.count().await, 2);
    t.cleanup().await;
}

async fn patch_keeps_absent_fields_clears_nulls_and_replaces_metadata(engine: Engine) {
    let TestApp { t, api, .. } = TestApp::on(engine).scopes(CUSTOMERS).build().await;
    let c = api
        .post_ok(
            "/customers",
            json!({"name": "Cy", "phone": "+1 555 0100", "metadata": {"a": "1", "b": "2"}}),
        )
        .await;
    let path = format!("/customers/{}", c["id"].as_str().unwrap());

    let (status, p) = api
        .patch(&path, json!({"phone": null, "metadata": {"c": "3"}}))
        .await;
    assert_eq!(status, StatusCode::OK, "{p}");
    assert_eq!(p["name"], "Cy");
    assert_eq!(p["phone"], Value::Null);
    assert_eq!(p["metadata"], json!({"c": "3"}));
    assert_eq!(p["version"], 2);

    let p = api.patch_ok(&path, json!({"metadata": null})).await;
    assert_eq!(p["metadata"], json!({}));
    assert_eq!(p["version"], 3);

    // A patch that changes nothing writes nothing.
    let p = api.patch_ok(&path, json!({"name": "Cy"})).await;
    assert_eq!(p["version"], 3);

    let res = api.patch(&path, json!({"country": "ZZ"})).await;
    assert_error(
        &res,
        StatusCode::BAD_REQUEST,
        "parameter_invalid",
        Some("country"),
    );
    t.cleanup().await;
}

async fn two_patches_with_the_same_version_one_wins(engine: Engine) {
    let TestApp { t, api, .. } = TestApp::on(engine).scopes(CUSTOMERS).build().await;
    let c = api.post_ok("/customers", json!({"name": "Start"})).await;
    let path = format!("/customers/{}", c["id"].as_str().unwrap());
    let (a, b) = tokio::join!(
        api.patch(&path, json!({"name": "Alice's edit", "version": 1})),
        api.patch(&path, json!({"name": "Bob's edit", "version": 1})),
    );
    let mut statuses = [a.0, b.0];
    statuses.sort();
    assert_eq!(
        statuses,
        [StatusCode::OK, StatusCode::CONFLICT],
        "{} / {}",
        a.1,
        b.1
    );
    let (winner, loser) = if a.0 == StatusCode::OK {
        (a, b)
    } else {
        (b, a)
    };
    assert_eq!(loser.1["error"]["code"], "version_conflict");
    let now = api.get_ok(&path).await;
    assert_eq!(now["name"], winner.1["name"]);
    assert_eq!(now["version"], 2);

    // A later patch with the stale version is refused too.
    let res = api
        .patch(&path, json!({"name": "Late", "version": 1}))
        .await;
    assert_error(&res, StatusCode::CONFLICT, "version_conflict", None);
    t.cleanup().await;
}

async fn archived_customers_leave_the_list_until_unarchived(engine: Engine) {
    let TestApp { t, api, .. } = TestApp::on(engine).scopes(CUSTOMERS).build().await;
    let c = api.post_ok("/customers", json!({"name": "Arch"})).await;
    let id = c["id"].as_str().unwrap();
    let (status, a) = api
        .post(&format!("/customers/{id}/archive"), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(a["archived_at"].is_string());
    assert_eq!(api.count().await, 0);
    let archived = api.get_ok("/customers?archived=true").await;
    assert_eq!(archived["data"][0]["id"], id);
    let u = api
        .post_ok(&format!("/customers/{id}/unarchive"), json!({}))
        .await;
    assert_eq!(u["archived_at"], Value::Null);
    assert_eq!(api.count().await, 1);
    t.cleanup().await;
}

async fn cursor_pages_walk_forward_and_back_without_gaps(engine: Engine) {
    let TestApp { t, api, .. } = TestApp::on(engine).scopes(CUSTOMERS).build().await;
    let mut ids = Vec::new();
    for i in 0..7 {
        let c = api
            .post_ok("/customers", json!({"name": format!("C{i}")}))
            .await;
        ids.push(c["id"].as_str().unwrap().to_owned());
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    }
    ids.reverse(); // newest first
    let page_ids = |v: &Value| -> Vec<String> {
        v["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let p1 = api.get_ok("/customers?limit=3").await;
    assert_eq!(page_ids(&p1), ids[0..3]);
    assert_eq!(p1["has_more"], true);
    let p2 = api
        .get_ok(&format!("/customers?limit=3&starting_after={}", ids[2]))
        .await;
    assert_eq!(page_ids(&p2), ids[3..6]);
    let p3 = api
        .get_ok(&format!("/customers?limit=3&starting_after={}", ids[5]))
        .await;
    assert_eq!(page_ids(&p3), ids[6..7]);
    assert_eq!(p3["has_more"], false);
    let back = api
        .get_ok(&format!("/customers?limit=3&ending_before={}", ids[6]))
        .await;
    assert_eq!(page_ids(&back), ids[3..6]);
    assert_eq!(back["has_more"], true);
    let first = api
        .get_ok(&format!("/customers?limit=3&ending_before={}", ids[3]))
        .await;
    assert_eq!(page_ids(&first), ids[0..3]);
    assert_eq!(first["has_more"], false);
    // Past the last customer: an empty last page, not an error, in every order.
    for sort in ["created_desc", "ltv_desc", "last_order_asc"] {
        let all = api
            .get_ok(&format!("/customers?limit=100&sort={sort}"))
            .await;
        let last = page_ids(&all).pop().unwrap();
        let past = api
            .get_ok(&format!("/customers?sort={sort}&starting_after={last}"))
            .await;
        assert_eq!(page_ids(&past), Vec::<String>::new(), "{sort}");
        assert_eq!(past["has_more"], false);
    }
    // A cursor naming no customer of this workspace (another shop's, or none at all) is
    // refused, naming the parameter, whichever the order and direction.
    let svc = t.services();
    let other = Tenant::create(&svc, "Shop B", CUSTOMERS).await;
    let theirs = Api {
        srv: TestServer::start(svc).await,
        key: other.key,
    };
    let foreign = theirs
        .post_ok("/customers", json!({"name": "Theirs"}))
        .await;
    let foreign = foreign["id"].as_str().unwrap();
    let unknown = "cus_01JD5ZQ3XK4M6P8R9S2T3V4W5X";
    for cursor in [foreign, unknown] {
        for sort in ["created_desc", "created_asc", "ltv_desc", "last_order_asc"] {
            for param in ["starting_after", "ending_before"] {
                let res = api
                    .get(&format!("/customers?sort={sort}&{param}={cursor}"))
                    .await;
                assert_error(
                    &res,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "parameter_unprocessable",
                    Some(param),
                );
            }
        }
    }
    t.cleanup().await;
}

async fn idempotency_keys_replay_refuse_mismatches_and_in_flight_duplicates(engine: Engine) {
    let TestApp { t, api, .. } = TestApp::on(engine).scopes(CUSTOMERS).build().await;
    let body = json!({"name": "Once", "email": "once@example.com"});
    let key = [("Idempotency-Key", "create-once-1")];
    let ((s1, first), h1) = api
        .send_with(
            reqwest::Method::POST,
            "/customers",
            Some(body.clone()),
            &key,
        )
        .await;
    assert_eq!(s1, StatusCode::CREATED);
    assert!(h1.get("idempotent-replayed").is_none());
    let ((s2, second), h2) = api
        .send_with(
            reqwest::Method::POST,
            "/customers",
            Some(body.clone()),
            &key,
        )
        .await;
    assert_eq!(s2, StatusCode::CREATED);
    assert_eq!(h2["idempotent-replayed"], "true");
    assert_eq!(second, first);
    assert_eq!(api.count().await, 1);

    let ((s3, mismatch), _) = api
        .send_with(
            reqwest::Method::POST,
            "/customers",
            Some(json!({"name": "Other"})),
            &key,
        )
        .await;
    assert_error(
        &(s3, mismatch),
        StatusCode::UNPROCESSABLE_ENTITY,
        "idempotency_key_reused",
        None,
    );
    assert_eq!(api.count().await, 1);

    // Bodies are compared as bytes: two different non-UTF-8 bodies are not the same request.
    let raw = |body: &'static [u8]| {
        api.srv
            .client
            .post(api.srv.url("/api/v1/customers"))
            .bearer_auth(&api.key)
            .header("content-type", "application/json")
            .header("idempotency-key", "raw-bytes-3")
            .body(body)
            .send()
    };
    assert_eq!(
        raw(b"\xff\x01").await.unwrap().status(),
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        raw(b"\xfe\x01").await.unwrap().status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );

    // Concurrent use: exactly one runs; the other replays or is told the key is in flight.
    let key2 = [("Idempotency-Key", "create-race-2")];
    let race = json!({"name": "Race"});
    let (a, b) = tokio::join!(
        api.send_with(
            reqwest::Method::POST,
            "/customers",
            Some(race.clone()),
            &key2
        ),
        api.send_with(
            reqwest::Method::POST,
            "/customers",
            Some(race.clone()),
            &key2
        ),
    );
    let outcomes = [a.0, b.0];
    assert!(outcomes.iter().any(|(s, _)| *s == StatusCode::CREATED));
    for (s, v) in &outcomes {
        assert!(
            *s == StatusCode::CREATED
                || (*s == StatusCode::CONFLICT
                    && v["error"]["code"] == "idempotency_key_in_flight"),
            "{s} {v}"
        );
    }
    assert_eq!(api.count().await, 2);
    t.cleanup().await;
}

async fn every_change_is_in_the_audit_trail_with_actor_and_diff(engine: Engine) {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
    let TestApp { t, api, .. } = TestApp::on(engine).scopes(CUSTOMERS).build().await;
    let c = api.post_ok("/customers", json!({"name": "Audited"})).await;
    let id = c["id"].as_str().unwrap();
    api.patch_ok(&format!("/customers/{id}"), json!({"name": "Renamed"}))
        .await;
    api.post_ok(&format!("/customers/{id}/archive"), json!({}))
        .await;
    let events = app::db::entities::event::Entity::find()
        .filter(app::db::entities::event::Column::TargetId.eq(id))
        .order_by_asc(app::db::entities::event::Column::Id)
        .all(&t.db)
        .await
        .unwrap();
    let actions: Vec<&str> = events.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        ["customer.created", "customer.updated", "customer.archived"]
    );
    assert_every(&events, |e| {
        e.actor_type == app::types::activity::ActorKind::ApiKey
            && e.actor_id.as_deref().is_some_and(|k| k.starts_with("key_"))
            && e.ip.as_deref() == Some("127.0.0.1")
    });
    let diff: Value = serde_json::from_str(&events[1].changes).unwrap();
    assert_eq!(
        diff,
        json!({"name": {"before": "Audited", "after": "Renamed"}})
    );
    t.cleanup().await;
}

async fn a_revoked_key_authenticates_nothing_and_others_keep_working(engine: Engine) {
    use app::domain::api_keys::{create_api_key, revoke_api_key};
    let TestApp { t, api, tenant, .. } = TestApp::on(engine).scopes(CUSTOMERS).build().await;
    let svc = t.services();
    let doomed = create_api_key(&svc, &tenant.workspace_id, "doomed", CUSTOMERS)
        .await
        .unwrap();
    let doomed_api = Api {
        srv: TestServer::start(svc.clone()).await,
        key: doomed.secret.clone(),
    };
    assert_eq!(doomed_api.get("/customers").await.0, StatusCode::OK);
    revoke_api_key(&svc, &tenant.workspace_id, &doomed.id)
        .await
        .unwrap();
    assert_error(
        &doomed_api.get("/customers").await,
        StatusCode::UNAUTHORIZED,
        "api_key_invalid",
        None,
    );
    assert_eq!(api.get("/customers").await.0, StatusCode::OK);

    // Another workspace cannot revoke this workspace's key.
    let other = Tenant::create(&svc, "Shop B", CUSTOMERS).await;
    let key = create_api_key(&svc, &tenant.workspace_id, "kept", CUSTOMERS)
        .await
        .unwrap();
    assert!(
        revoke_api_key(&svc, &other.workspace_id, &key.id)
            .await
            .is_err()
    );
    let kept = Api {
        srv: TestServer::start(svc).await,
        key: key.secret,
    };
    assert_eq!(kept.get("/customers").await.0, StatusCode::OK);
    t.cleanup().await;
}

async fn unarchive_needs_write_scope_and_the_right_workspace(engine: Engine) {
    let TestApp { t, api, tenant, .. } = TestApp::on(engine).scopes(CUSTOMERS).build().await;
    let svc = t.services();
    let c = api.post_ok("/customers", json!({"name": "Held"})).await;
    let id = c["id"].as_str().unwrap();
    api.post_ok(&format!("/customers/{id}/archive"), json!({}))
        .await;
    let read_only = Api {
        srv: TestServer::start(svc.clone()).await,
        key: tenant.key_with(&svc, &[Scope::CustomersRead]).await,
    };
    let res = read_only
        .post(&format!("/customers/{id}/unarchive"), json!({}))
        .await;
    assert_error(&res, StatusCode::FORBIDDEN, "insufficient_scope", None);
    let other = Tenant::create(&svc, "Shop B", CUSTOMERS).await;
    let theirs = Api {
        srv: TestServer::start(svc).await,
        key: other.key,
    };
    let res = theirs
        .post(&format!("/customers/{id}/unarchive"), json!({}))
        .await;
    assert_error(&res, StatusCode::NOT_FOUND, "resource_missing", None);
    let still = api.get_ok(&format!("/customers/{id}")).await;
    assert!(still["archived_at"].is_string());
    t.cleanup().await;
}

on_both_engines!(
    a_search_with_a_typo_offers_the_closest_customers,
    a_revoked_key_authenticates_nothing_and_others_keep_working,
    unarchive_needs_write_scope_and_the_right_workspace,
    a_customer_is_created_found_and_listed,
    invalid_fields_are_named_and_nothing_is_written,
    requests_without_a_valid_key_or_scope_are_refused,
    another_workspaces_customer_is_not_found_and_untouched,
    a_taken_external_id_is_a_conflict_naming_its_holder,
    patch_keeps_absent_fields_clears_nulls_and_replaces_metadata,
    two_patches_with_the_same_version_one_wins,
    archived_customers_leave_the_list_until_unarchived,
    cursor_pages_walk_forward_and_back_without_gaps,
    idempotency_keys_replay_refuse_mismatches_and_in_flight_duplicates,
    every_change_is_in_the_audit_trail_with_actor_and_diff,
);
