//! Workspaces and the demo seed, on both engines.

use app::db::Engine;
use app::domain::DomainError;
use app::domain::workspaces::{NewWorkspace, create_workspace, first_workspace, get_workspace};
use app::types::money::CurrencyCode;
use server::tools::demo::{DEMO_WORKSPACE_ID, DEMO_WORKSPACE_NAME, seed_demo};

use reqwest::StatusCode;
use serde_json::json;

use crate::on_both_engines;
use crate::support::{TestApp, TestDb};

async fn a_workspace_is_stored_with_a_trimmed_name_and_upper_case_currency(engine: Engine) {
    let t = TestDb::migrated(engine).await;
    let svc = t.services();
    let ws = create_workspace(
        &svc,
        NewWorkspace {
            name: "  Pixel Forge  ".into(),
            default_currency: "usd".parse().unwrap(),
        },
    )
    .await
    .unwrap();
    assert_eq!(ws.name, "Pixel Forge");
    assert_eq!(ws.default_currency, "USD");
    assert_eq!(get_workspace(&t.db, &ws.id).await.unwrap(), ws);
    t.cleanup().await;
}

async fn invalid_workspaces_name_the_field_and_write_nothing(engine: Engine) {
    let t = TestDb::migrated(engine).await;
    let svc = t.services();
    // A currency is checked where it is read (a command line, a form): it is typed after.
    for currency in ["EURO", "E1R", "XAU", ""] {
        assert!(currency.parse::<CurrencyCode>().is_err(), "{currency:?}");
    }
    for (name, field) in [("   ", "name"), (&"x".repeat(101)[..], "name")] {
        let err = create_workspace(
            &svc,
            NewWorkspace {
                name: name.into(),
                default_currency: CurrencyCode::EUR,
            },
        )
        .await
        .unwrap_err();
        match err {
            DomainError::Invalid { field: f, .. } => assert_eq!(f, field),
            other => panic!("expected an invalid {field}, got {other:?}"),
        }
    }
    assert_eq!(first_workspace(&t.db).await.unwrap(), None);
    t.cleanup().await;
}

async fn seeding_the_demo_twice_creates_one_workspace(engine: Engine) {
    let t = TestDb::migrated(engine).await;
    let svc = t.services();
    let first = seed_demo(&svc).await.unwrap();
    assert!(first.created);
    assert_eq!(first.workspace.id.as_str(), DEMO_WORKSPACE_ID);
    assert_eq!(first.workspace.name, DEMO_WORKSPACE_NAME);
    let second = seed_demo(&svc).await.unwrap();
    assert!(!second.created);
    assert_eq!(second.workspace, first.workspace);
    assert_eq!(first_workspace(&t.db).await.unwrap(), Some(first.workspace));
    let caller = app::domain::Caller::system(second.workspace.id.clone());
    let page = app::domain::customer_list::list_customers(
        &svc,
        &caller,
        app::domain::customer_list::CustomerQuery {
            limit: Some(100),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(page.data.len(), 48);
    // One of them is banned, and the list's banned filter finds exactly that one.
    let banned = app::domain::customer_list::list_customers(
        &svc,
        &caller,
        app::domain::customer_list::CustomerQuery {
            banned: Some(true),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(banned.data.len(), 1);
    let ban = app::domain::bans::active_ban_for(&svc, &caller, &banned.data[0].customer.id)
        .await
        .unwrap()
        .expect("the banned demo customer's ban");
    assert!(ban.expires_at.is_none(), "a permanent ban");

    // The demo lived through months of trade: every kind of money event is there.
    let count = |sql: &'static str| {
        let db = t.db.clone();
        async move {
            use sea_orm::{ConnectionTrait, Statement};
            db.query_one_raw(Statement::from_string(db.get_database_backend(), sql))
                .await
                .unwrap()
                .unwrap()
                .try_get::<i64>("", "n")
                .unwrap()
        }
    };
    assert_eq!(
        count("SELECT COUNT(DISTINCT currency) AS n FROM orders WHERE status <> 'failed'").await,
        4
    );
    assert!(count("SELECT COUNT(*) AS n FROM orders WHERE kind = 'renewal'").await > 10);
    for (what, sql) in [
        (
            "failed order",
            "SELECT COUNT(*) AS n FROM orders WHERE status = 'failed'",
        ),
        (
            "partial refund",
            "SELECT COUNT(*) AS n FROM orders WHERE status = 'partially_refunded'",
        ),
        (
            "full refund",
            "SELECT COUNT(*) AS n FROM orders WHERE status = 'refunded'",
        ),
        (
            "chargeback",
            "SELECT COUNT(*) AS n FROM orders WHERE status = 'chargeback'",
        ),
        (
            "won dispute",
            "SELECT COUNT(*) AS n FROM disputes WHERE status = 'won'",
        ),
        (
            "active subscription",
            "SELECT COUNT(*) AS n FROM subscriptions WHERE status = 'active'",
        ),
        (
            "scheduled cancel",
            "SELECT COUNT(*) AS n FROM subscriptions WHERE status = 'canceled'",
        ),
        (
            "expired subscription",
            "SELECT COUNT(*) AS n FROM subscriptions WHERE status = 'expired'",
        ),
        (
            "manual grant",
            "SELECT COUNT(*) AS n FROM entitlements WHERE source = 'manual'",
        ),
        (
            "licence key",
            "SELECT COUNT(*) AS n FROM entitlements WHERE license_key IS NOT NULL",
        ),
    ] {
        assert!(count(sql).await > 0, "the demo has no {what}");
    }
    t.cleanup().await;
}

async fn an_accent_colour_too_light_for_white_is_refused_and_nothing_is_written(engine: Engine) {
    let app = TestApp::on(engine).build().await;
    let api = &app.api;
    let before = api.get_ok("/workspace").await;

    // Yellow under white button text reads at 1.07 to 1: refused with the field named, and
    // the name sent with it is not written either.
    let (status, body) = api
        .patch(
            "/workspace",
            json!({"name": "Brighter Shop", "portal_accent_color": "#ffff00"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["code"], "parameter_unprocessable", "{body}");
    assert_eq!(body["error"]["param"], "portal_accent_color", "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("contrast with white is 1.1 to 1"),
        "{body}"
    );
    assert_eq!(api.get_ok("/workspace").await, before);

    // A grey a shade too light (4.48 to 1) is refused too; one a shade darker (4.54) is not.
    let (status, body) = api
        .patch("/workspace", json!({"portal_accent_color": "#777777"}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let saved = api
        .patch_ok("/workspace", json!({"portal_accent_color": "#767676"}))
        .await;
    assert_eq!(saved["portal_accent_color"], "#767676");

    // Indigo-600 reads at 6.3 to 1: written, in lower case.
    let saved = api
        .patch_ok("/workspace", json!({"portal_accent_color": "#4F46E5"}))
        .await;
    assert_eq!(saved["portal_accent_color"], "#4f46e5");
    assert_eq!(saved["name"], before["name"]);
    assert_eq!(
        api.get_ok("/workspace").await["portal_accent_color"],
        "#4f46e5"
    );
    app.cleanup().await;
}

on_both_engines!(
    a_workspace_is_stored_with_a_trimmed_name_and_upper_case_currency,
    invalid_workspaces_name_the_field_and_write_nothing,
    seeding_the_demo_twice_creates_one_workspace,
    an_accent_colour_too_light_for_white_is_refused_and_nothing_is_written,
);
