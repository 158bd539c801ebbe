//! An endpoint edited as the dashboard's form does (checked as a new one is, a blank
//! description cleared), and its test event: a signed `ping` sent at once to a receiver on
//! loopback, stored as no delivery, refused where the guard refuses.

use app::domain::webhooks::{edit_endpoint, send_test_event};
use app::types::EventPattern;
use app::types::webhook::WebhookEndpointEdit;

use super::failures::viewer;
use super::*;
use crate::on_both_engines;

fn edit(url: &str, description: &str, types: &[&str]) -> WebhookEndpointEdit {
    WebhookEndpointEdit {
        url: url.into(),
        description: description.into(),
        event_types: types.iter().map(|t| (*t).to_owned()).collect(),
    }
}

async fn an_endpoint_is_edited_checked_as_a_new_one_and_a_blank_description_clears_it(
    engine: Engine,
) {
    let app = TestApp::on(engine).build().await;
    let (svc, caller) = (&app.svc, &app.caller);
    let made = webhooks::create_endpoint(
        svc,
        caller,
        WebhookEndpointCreate {
            url: "https://hooks.shop.example/a".into(),
            description: Some("Back office".into()),
            event_types: Some(vec!["order.paid".into(), "ban.*".into()]),
            enabled: Some(false),
        },
    )
    .await
    .unwrap();
    let after = edit_endpoint(
        svc,
        caller,
        &made.id,
        edit(
            "https://hooks.shop.example/b",
            "Order sync",
            &["order.*", "refund.created"],
        ),
    )
    .await
    .unwrap();
    assert_eq!(after.url, "https://hooks.shop.example/b");
    assert_eq!(after.description.as_deref(), Some("Order sync"));
    assert_eq!(
        after
            .event_types
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>(),
        ["order.*", "refund.created"]
    );
    assert!(!after.enabled, "editing leaves it disabled");
    assert_eq!(after.secret, None, "the secret is shown only when made");
    let read = app
        .api
        .get_ok(&format!("/webhook_endpoints/{}", made.id.as_str()))
        .await;
    assert_eq!(read["url"], "https://hooks.shop.example/b");

    let cleared = edit_endpoint(
        svc,
        caller,
        &made.id,
        edit("https://hooks.shop.example/b", "  ", &["*"]),
    )
    .await
    .unwrap();
    assert_eq!(cleared.description, None);
    assert_eq!(cleared.event_types, [EventPattern::All]);

    // Checked as a new endpoint is: a refused edit changes nothing.
    for (bad, param) in [
        (edit("https://10.0.0.7/hooks", "", &["*"]), "url"),
        (edit("https://localhost/hooks", "", &["*"]), "url"),
        (edit("http://hooks.shop.example/b", "", &["*"]), "url"),
        (edit("https://hooks.shop.example/c", "", &[]), "event_types"),
        (
            edit(
                "https://hooks.shop.example/c",
                "",
                &["order.*", "order.paied"],
            ),
            "event_types[1]",
        ),
    ] {
        match edit_endpoint(svc, caller, &made.id, bad).await {
            Err(DomainError::Invalid { field, .. } | DomainError::Unprocessable { field, .. }) => {
                assert_eq!(field, param)
            }
            other => panic!("{param}: {other:?}"),
        }
    }
    let kept = webhooks::get_endpoint(svc, caller, &made.id).await.unwrap();
    assert_eq!(kept.url, "https://hooks.shop.example/b");
    assert_eq!(kept.event_types, [EventPattern::All]);

    // Only in its own workspace, and only by a role that manages webhooks.
    let other = crate::support::Tenant::create(svc, "Other", &Scope::ALL).await;
    let theirs = Caller::system(other.workspace_id.clone());
    let change = || edit("https://hooks.shop.example/d", "", &["*"]);
    assert!(matches!(
        edit_endpoint(svc, &theirs, &made.id, change()).await,
        Err(DomainError::NotFound { .. })
    ));
    assert!(matches!(
        edit_endpoint(svc, &viewer(caller), &made.id, change()).await,
        Err(DomainError::Forbidden { .. })
    ));
    app.cleanup().await;
}

on_both_engines!(an_endpoint_is_edited_checked_as_a_new_one_and_a_blank_description_clears_it);

async fn a_test_event_is_a_signed_ping_sent_at_once_stored_nowhere_and_guarded(engine: Engine) {
    let app = TestApp::on(engine).build().await;
    let svc = app.svc.clone().with_webhook_hosts(loopback());
    let caller = &app.caller;
    let (rx, base) = Receiver::start().await;
    let (ok, secret) = endpoint(&svc, caller, &format!("{base}/ok"), &["order.*"]).await;
    let http = sender(5);

    let answer = send_test_event(&svc, caller, &ok, http.as_ref())
        .await
        .unwrap();
    assert_eq!((answer.status, answer.body.as_str()), (Some(200), "thanks"));
    assert!(answer.accepted() && answer.error.is_none());
    let got = rx.got("ok");
    assert_eq!(got.len(), 1);
    verify(&secret, &got[0]).unwrap();
    let body: Value = serde_json::from_str(&got[0].body).unwrap();
    assert_eq!(body["type"], "ping");
    assert_eq!(body["data"]["endpoint_id"], ok.as_str());
    let msg_id = got[0].headers["webhook-id"].to_str().unwrap();
    assert!(msg_id.starts_with("msg_"), "{msg_id}");
    let limit = app::domain::Limit::new(None).unwrap();
    let logged = webhooks::list_deliveries(&svc, caller, &ok, None, limit, None)
        .await
        .unwrap();
    assert!(logged.data.is_empty(), "a test event is no delivery");

    // After a rotation it is signed by both secrets, as deliveries are.
    let rotated = webhooks::rotate_secret(&svc, caller, &ok)
        .await
        .unwrap()
        .secret
        .unwrap();
    send_test_event(&svc, caller, &ok, http.as_ref())
        .await
        .unwrap();
    let last = rx.got("ok").pop().unwrap();
    verify(&secret, &last).unwrap();
    verify(&rotated, &last).unwrap();

    // A failing endpoint's answer comes back as it is.
    let (down, _) = endpoint(&svc, caller, &format!("{base}/down"), &["order.*"]).await;
    let answer = send_test_event(&svc, caller, &down, http.as_ref())
        .await
        .unwrap();
    assert_eq!(
        (answer.status, answer.body.as_str()),
        (Some(502), "upstream down")
    );
    assert!(!answer.accepted());

    // The guard holds: an address the operator no longer allows is refused before sending,
    // and a name allowed by name but resolving to loopback is refused when connecting.
    let before = rx.got("ok").len();
    assert!(matches!(
        send_test_event(&app.svc, caller, &ok, http.as_ref()).await,
        Err(DomainError::Invalid { ref field, .. }) if field == "url"
    ));
    let by_name = svc
        .clone()
        .with_webhook_hosts(AllowHosts::parse("localhost").unwrap());
    let port = base.rsplit(':').next().unwrap();
    let (sneaky, _) = endpoint(
        &by_name,
        caller,
        &format!("http://localhost:{port}/ok"),
        &["order.*"],
    )
    .await;
    let strict = HttpSender::new(Arc::new(AllowHosts::parse("localhost").unwrap())).unwrap();
    let answer = send_test_event(&by_name, caller, &sneaky, &strict)
        .await
        .unwrap();
    assert_eq!(answer.status, None);
    let error = answer.error.unwrap_or_default();
    assert!(error.contains("private, loopback or link-local"), "{error}");
    assert_eq!(rx.got("ok").len(), before, "nothing reached the receiver");

    // Ten a minute per endpoint.
    for _ in 0..8 {
        send_test_event(&svc, caller, &ok, http.as_ref())
            .await
            .unwrap();
    }
    assert!(matches!(
        send_test_event(&svc, caller, &ok, http.as_ref()).await,
        Err(DomainError::RateLimited { .. })
    ));
    app.clock.advance(chrono::Duration::minutes(1));
    send_test_event(&svc, caller, &ok, http.as_ref())
        .await
        .unwrap();

    // Only in its own workspace, and only by a role that manages webhooks.
    let other = crate::support::Tenant::create(&app.svc, "Other", &Scope::ALL).await;
    let theirs = Caller::system(other.workspace_id.clone());
    assert!(matches!(
        send_test_event(&svc, &theirs, &ok, http.as_ref()).await,
        Err(DomainError::NotFound { .. })
    ));
    assert!(matches!(
        send_test_event(&svc, &viewer(caller), &ok, http.as_ref()).await,
        Err(DomainError::Forbidden { .. })
    ));
    app.cleanup().await;
}

on_both_engines!(a_test_event_is_a_signed_ping_sent_at_once_stored_nowhere_and_guarded);
