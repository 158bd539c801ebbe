//! The customer page's server functions over HTTP with real sessions: each action is allowed
//! to the roles SPEC.md names and refused (403) to the others, another workspace's ids are
//! never found (404), and the Activity trail names who did what.

use app::db::Engine;
use app::types::{Role, Scope, WorkspaceId};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::on_both_engines;
use crate::support::{
    Tenant, TestApp, TestServer, assert_every, card, checkout, member, monthly, one_time,
};

const PASSWORD: &str = "correct horse battery";

/// A signed-in browser: the session cookie.
struct Session(String);

async fn sign_in(srv: &TestServer, email: &str) -> Session {
    let (status, cookie) = srv.log_in(email, PASSWORD).await;
    assert!(
        !status.is_client_error() && !status.is_server_error(),
        "{status}"
    );
    let cookie = cookie.expect("a session cookie");
    Session(cookie.split(';').next().unwrap().to_owned())
}

impl Session {
    /// Calls a JSON-encoded server function; returns its status and body.
    async fn json(&self, srv: &TestServer, endpoint: &str, body: Value) -> (StatusCode, Value) {
        let res = srv
            .client
            .post(srv.url(&format!("/rpc/customer/{endpoint}")))
            .header("cookie", &self.0)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = res.status();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    /// Calls a form-encoded server function.
    async fn form(&self, srv: &TestServer, endpoint: &str, form: &[(&str, &str)]) -> StatusCode {
        self.form_body(srv, endpoint, form).await.0
    }

    async fn form_body(
        &self,
        srv: &TestServer,
        endpoint: &str,
        form: &[(&str, &str)],
    ) -> (StatusCode, Value) {
        let res = srv
            .client
            .post(srv.url(&format!("/rpc/customer/{endpoint}")))
            .header("cookie", &self.0)
            .form(form)
            .send()
            .await
            .unwrap();
        let status = res.status();
        (status, res.json().await.unwrap_or(Value::Null))
    }
}

async fn user(svc: &app::domain::Services, ws: &WorkspaceId, email: &str, role: Role) {
    member(svc, ws, email, role, PASSWORD).await;
}

async fn customer_page_actions_follow_roles_and_workspaces(engine: Engine) {
    let TestApp {
        t,
        svc,
        tenant: a,
        api,
        ..
    } = TestApp::on(engine).build().await;
    let b = Tenant::create(&svc, "Shop B", &Scope::ALL).await;
    user(&svc, &a.workspace_id, "owner@a.example", Role::Owner).await;
    user(&svc, &a.workspace_id, "admin@a.example", Role::Admin).await;
    user(&svc, &a.workspace_id, "support@a.example", Role::Support).await;
    user(&svc, &a.workspace_id, "viewer@a.example", Role::Viewer).await;
    user(&svc, &b.workspace_id, "owner@b.example", Role::Owner).await;

    // One customer of shop A with a paid order, a subscription, items and a card.
    let kit = one_time(&api, 1500, "EUR").await;
    let vip = monthly(&api, 999, "EUR").await;
    let (s, bought) = checkout(&api, &kit, "ann@example.com", card("4242424242424242")).await;
    assert_eq!(s, StatusCode::CREATED, "{bought}");
    let (s, sub) = checkout(&api, &vip, "ann@example.com", card("4242424242424242")).await;
    assert_eq!(s, StatusCode::CREATED, "{sub}");
    let customer = bought["customer"]["id"].as_str().unwrap().to_owned();
    let order = bought["order"]["id"].as_str().unwrap().to_owned();
    let item = bought["entitlements"][0]["id"].as_str().unwrap().to_owned();
    let subscription = sub["subscription"]["id"].as_str().unwrap().to_owned();
    let discord_item = sub["entitlements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["benefit"]["kind"] == "discord_role")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let details = api
        .get_ok(&format!("/customers/{customer}/payment_details"))
        .await["data"]
        .clone();
    let detail = details
        .as_array()
        .or_else(|| details["data"].as_array())
        .unwrap()
        .iter()
        .find(|d| d["kind"] == "card")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let srv = &api.srv;
    let owner = sign_in(srv, "owner@a.example").await;
    let admin = sign_in(srv, "admin@a.example").await;
    let support = sign_in(srv, "support@a.example").await;
    let viewer = sign_in(srv, "viewer@a.example").await;
    let stranger = sign_in(srv, "owner@b.example").await;

    // Reads: every role of shop A; shop B finds nothing.
    let reads_form: [(&str, (&str, &str)); 5] = [
        ("page", ("id", &customer)),
        ("order_history", ("order_id", &order)),
        ("invoices", ("subscription_id", &subscription)),
        ("inventory", ("id", &customer)),
        ("payment_details", ("id", &customer)),
    ];
    // A licence key in full: support and above; a viewer sees it masked only.
    let key = [("entitlement_id", item.as_str())];
    assert_eq!(
        viewer.form(srv, "reveal_key", &key).await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(support.form(srv, "reveal_key", &key).await, StatusCode::OK);
    assert_eq!(
        stranger.form(srv, "reveal_key", &key).await,
        StatusCode::NOT_FOUND
    );
    for (endpoint, arg) in reads_form {
        assert_eq!(
            viewer.form(srv, endpoint, &[arg]).await,
            StatusCode::OK,
            "{endpoint}"
        );
        assert_eq!(
            stranger.form(srv, endpoint, &[arg]).await,
            StatusCode::NOT_FOUND,
            "{endpoint}"
        );
    }
    let reads_json = [
        (
            "orders",
            json!({"id": customer, "status": null, "starting_after": null}),
        ),
        ("subscriptions", json!({"id": customer, "status": "active"})),
        (
            "activity",
            json!({"id": customer, "payment_details_only": false, "starting_after": null}),
        ),
    ];
    for (endpoint, body) in &reads_json {
        assert_eq!(
            viewer.json(srv, endpoint, body.clone()).await.0,
            StatusCode::OK,
            "{endpoint}"
        );
        assert_eq!(
            stranger.json(srv, endpoint, body.clone()).await.0,
            StatusCode::NOT_FOUND,
            "{endpoint}"
        );
    }
    // Arguments that cannot be read are the caller's mistake (400, naming the request), not an
    // outage.
    let (s, e) = viewer
        .json(
            srv,
            "activity",
            json!({"id": 5, "payment_details_only": "no"}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");
    assert_eq!(e["kind"], "invalid", "{e}");
    assert_eq!(e["field"], "request", "{e}");
    let (s, page) = viewer.form_body(srv, "page", &[("id", &customer)]).await;
    assert_eq!(s, StatusCode::OK, "{page}");
    assert_eq!(page["role"], "viewer");
    assert_eq!(page["stats"]["lifetime_value"], 2499);
    assert_eq!(page["revenue"].as_array().unwrap().len(), 12);
    assert_eq!(
        page["revenue"][11]["amount"], 2499,
        "this month's revenue: {page}"
    );
    assert_eq!(page["last_order"]["product_name"], "VIP");
    // A bad filter names its field.
    let (s, e) = viewer
        .json(
            srv,
            "orders",
            json!({"id": customer, "status": "lost", "starting_after": null}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(e.to_string().contains("status"), "{e}");

    // Each write: who may not (403), who may (200), and shop B (404).
    struct Write {
        endpoint: &'static str,
        body: Value,
        refused: Vec<&'static Session>,
    }
    let leak = |s: Session| -> &'static Session { Box::leak(Box::new(s)) };
    let (owner, admin, support, viewer, stranger) = (
        leak(owner),
        leak(admin),
        leak(support),
        leak(viewer),
        leak(stranger),
    );
    let writes = [
        (
            Write {
                endpoint: "refund",
                body: json!({"order_id": order, "refund": {"amount": 100}}),
                refused: vec![viewer],
            },
            support,
        ),
        (
            Write {
                endpoint: "refund",
                body: json!({"order_id": order, "refund": {"amount": 100, "block_payment_details": true}}),
                refused: vec![viewer, support],
            },
            admin,
        ),
        (
            Write {
                endpoint: "cancel_subscription",
                body: json!({"subscription_id": subscription, "cancel": {"at_period_end": true}}),
                refused: vec![viewer],
            },
            support,
        ),
        (
            Write {
                endpoint: "assign",
                body: json!({"id": customer, "grant": {"product_id": kit}}),
                refused: vec![viewer],
            },
            support,
        ),
        (
            Write {
                endpoint: "link_discord",
                body: json!({"entitlement_id": discord_item, "link": {"discord_user_id": "80351110224678912"}}),
                refused: vec![viewer],
            },
            support,
        ),
        (
            Write {
                endpoint: "update",
                body: json!({"id": customer, "patch": {"name": "Ann B.", "metadata": {"plan": "gold"}}}),
                refused: vec![viewer, support],
            },
            admin,
        ),
        (
            Write {
                endpoint: "block_payment_detail",
                body: json!({"detail_id": detail}),
                refused: vec![viewer, support],
            },
            admin,
        ),
        (
            Write {
                endpoint: "unblock_all_payment_details",
                body: json!({"id": customer}),
                refused: vec![viewer, support],
            },
            admin,
        ),
        (
            Write {
                endpoint: "archive",
                body: json!({"id": customer}),
                refused: vec![viewer, support],
            },
            owner,
        ),
    ];
    for (w, allowed) in writes {
        for s in &w.refused {
            let (status, body) = s.json(srv, w.endpoint, w.body.clone()).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{} {body}", w.endpoint);
        }
        let (status, body) = stranger.json(srv, w.endpoint, w.body.clone()).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{} {body}", w.endpoint);
        let (status, body) = allowed.json(srv, w.endpoint, w.body.clone()).await;
        assert_eq!(status, StatusCode::OK, "{} {body}", w.endpoint);
    }
    // Recover and revoke, by form: support may, the viewer may not.
    let sub_arg = [("subscription_id", subscription.as_str())];
    assert_eq!(
        viewer.form(srv, "recover_subscription", &sub_arg).await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        stranger.form(srv, "recover_subscription", &sub_arg).await,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        support.form(srv, "recover_subscription", &sub_arg).await,
        StatusCode::OK
    );
    let revoke = json!({"entitlement_id": item, "revoke": {"reason": "abuse"}});
    assert_eq!(
        viewer
            .json(srv, "revoke_entitlement", revoke.clone())
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        stranger
            .json(srv, "revoke_entitlement", revoke.clone())
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        support.json(srv, "revoke_entitlement", revoke).await.0,
        StatusCode::OK
    );

    // A stale version is refused, not overwritten.
    let (s, e) = admin
        .json(
            srv,
            "update",
            json!({"id": customer, "patch": {"name": "Stale", "version": 1}}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{e}");

    // The trail has every change with its actor, newest first.
    let (s, trail) = viewer
        .json(
            srv,
            "activity",
            json!({"id": customer, "payment_details_only": false, "starting_after": null}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let entries = trail["data"].as_array().unwrap();
    let actions: Vec<&str> = entries
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions[0], "entitlement.revoked", "{actions:?}");
    for action in [
        "customer.archived",
        "customer.updated",
        "payment_detail.blocked",
        "refund.created",
        "subscription.cancel_scheduled",
        "subscription.recovered",
        "entitlement.granted",
        "customer.created",
    ] {
        assert!(actions.contains(&action), "{action} in {actions:?}");
    }
    let updated = entries
        .iter()
        .find(|e| e["action"] == "customer.updated")
        .unwrap();
    assert_eq!(updated["actor"], "admin@a.example");
    assert!(
        updated["changes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["field"] == "name" && c["after"] == "Ann B."),
        "{updated}"
    );
    let (s, log) = viewer
        .json(
            srv,
            "activity",
            json!({"id": customer, "payment_details_only": true, "starting_after": null}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{log}");
    assert_every(log["data"].as_array().unwrap(), |e| {
        e["target_type"] == "payment_detail"
    });
    drop(api);
    t.cleanup().await;
}

on_both_engines!(customer_page_actions_follow_roles_and_workspaces);
