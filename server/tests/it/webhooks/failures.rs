//! Deliveries that fail: given up on after eight attempts, endpoints disabled after five
//! failing days; and as the dashboard tells them: a delivery whose last attempt failed is
//! failing (with its last answer or error) and found by the Failed filter, those queued behind
//! it say they wait, and each delivery's body can be read.

use app::domain::Actor;
use app::domain::webhooks::{DeliveryFilter, delivery_log, delivery_payload};
use app::types::webhook::{DeliveryLine, DeliveryState};
use app::types::{Role, UserId};

use super::*;
use crate::on_both_engines;

/// The same workspace, as a member whose role only reads.
pub(super) fn viewer(of: &Caller) -> Caller {
    Caller {
        actor: Actor::User {
            id: UserId::generate_at(chrono::Utc::now()),
            role: Role::Viewer,
        },
        ..of.clone()
    }
}

/// An endpoint's deliveries as the dashboard lists them, newest first.
async fn log(
    svc: &Services,
    caller: &Caller,
    id: &WebhookEndpointId,
    filter: DeliveryFilter,
) -> Vec<DeliveryLine> {
    let limit = app::domain::Limit::new(None).unwrap();
    delivery_log(svc, caller, id, filter, limit, None)
        .await
        .unwrap()
        .data
}

fn states(lines: &[DeliveryLine]) -> Vec<DeliveryState> {
    lines.iter().map(|l| l.state).collect()
}

/// Creates a customer named `name`: one `customer.created` event.
async fn customer(svc: &Services, caller: &Caller, name: &str) {
    customers::create_customer(
        svc,
        caller,
        CustomerCreate {
            name: Some(name.into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
}

/// The ids the REST API lists for `status=failed`.
async fn failed_through_the_api(api: &Api, id: &WebhookEndpointId) -> Vec<Value> {
    let page = api
        .get_ok(&format!(
            "/webhook_endpoints/{}/deliveries?status=failed",
            id.as_str()
        ))
        .await;
    page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].clone())
        .collect()
}

async fn a_failing_delivery_is_found_by_the_failed_filter_and_those_behind_it_wait(engine: Engine) {
    use DeliveryState::{Failed, Failing, Queued, Succeeded, WaitingBehind};
    let app = TestApp::on(engine).build().await;
    let svc = app.svc.clone().with_webhook_hosts(loopback());
    let caller = &app.caller;
    let (rx, base) = Receiver::start().await;
    let (down, _) = endpoint(&svc, caller, &format!("{base}/down"), &["customer.*"]).await;
    customer(&svc, caller, "Al").await;
    customer(&svc, caller, "Bea").await;
    // Nothing attempted yet: both queued, nothing failing.
    assert_eq!(
        states(&log(&svc, caller, &down, DeliveryFilter::All).await),
        [Queued, Queued]
    );
    assert!(
        log(&svc, caller, &down, DeliveryFilter::Failed)
            .await
            .is_empty()
    );

    // The oldest is attempted and fails; the endpoint's next one waits behind it.
    deliver_due(&svc, sender(5)).await.unwrap();
    assert_eq!(
        rx.got("down").len(),
        1,
        "one endpoint's deliveries go out in order"
    );
    let all = log(&svc, caller, &down, DeliveryFilter::All).await;
    assert_eq!(states(&all), [WaitingBehind, Failing]);
    let failing = &all[1].delivery;
    assert_eq!(
        failing.status,
        DeliveryStatus::Pending,
        "the API keeps its statuses"
    );
    assert_eq!((failing.attempt_count, failing.last_status), (1, Some(502)));
    assert!(failing.next_attempt_at.is_some());
    let found = log(&svc, caller, &down, DeliveryFilter::Failed).await;
    assert_eq!(states(&found), [Failing]);
    assert_eq!(found[0].delivery.id, failing.id);
    assert!(failed_through_the_api(&app.api, &down).await.is_empty());

    // No answer in time: failing with the error. (Another endpoint: it does not hold this one.)
    let (slow, _) = endpoint(&svc, caller, &format!("{base}/slow"), &["customer.*"]).await;
    customer(&svc, caller, "Cy").await;
    deliver_due(&svc, sender(1)).await.unwrap();
    let timed_out = log(&svc, caller, &slow, DeliveryFilter::Failed).await;
    assert_eq!(states(&timed_out), [Failing]);
    let error = timed_out[0].delivery.last_error.clone().unwrap_or_default();
    assert!(error.contains("timed out"), "{timed_out:?}");
    assert_eq!(timed_out[0].delivery.last_status, None);
    assert_eq!(
        states(&log(&svc, caller, &down, DeliveryFilter::All).await),
        [WaitingBehind, WaitingBehind, Failing]
    );
    webhooks::delete_endpoint(&svc, caller, &slow)
        .await
        .unwrap();

    // Out of attempts the oldest is given up on, and the next one is tried and fails: the
    // filter finds both, the API's `failed` only the first.
    for _ in 0..7 {
        app.clock.advance(chrono::Duration::hours(11));
        deliver_due(&svc, sender(5)).await.unwrap();
    }
    assert_eq!(rx.got("down").len(), 9);
    let all = log(&svc, caller, &down, DeliveryFilter::All).await;
    assert_eq!(states(&all), [WaitingBehind, Failing, Failed]);
    assert_eq!(all[2].delivery.attempt_count, 8);
    assert_eq!(
        states(&log(&svc, caller, &down, DeliveryFilter::Failed).await),
        [Failing, Failed]
    );
    assert_eq!(
        failed_through_the_api(&app.api, &down).await,
        [json!(all[2].delivery.id.as_str())]
    );

    // Its URL fixed, what waited goes out at the next attempt.
    webhooks::update_endpoint(
        &svc,
        caller,
        &down,
        app::types::webhook::WebhookEndpointUpdate {
            url: Some(format!("{base}/ok")),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    app.clock.advance(chrono::Duration::minutes(1));
    deliver_due(&svc, sender(5)).await.unwrap();
    assert_eq!(
        states(&log(&svc, caller, &down, DeliveryFilter::All).await),
        [Succeeded, Succeeded, Failed]
    );
    assert_eq!(rx.got("ok").len(), 2);
    app.cleanup().await;
}

on_both_engines!(a_failing_delivery_is_found_by_the_failed_filter_and_those_behind_it_wait);

async fn a_payload_is_the_body_sent_or_to_be_sent_and_only_webhook_managers_read_it(
    engine: Engine,
) {
    let app = TestApp::on(engine).build().await;
    let svc = app.svc.clone().with_webhook_hosts(loopback());
    let caller = &app.caller;
    let (rx, base) = Receiver::start().await;
    let (down, secret) = endpoint(&svc, caller, &format!("{base}/down"), &["customer.*"]).await;
    customer(&svc, caller, "Al").await;
    customer(&svc, caller, "Bea").await;
    deliver_due(&svc, sender(5)).await.unwrap();
    let all = log(&svc, caller, &down, DeliveryFilter::All).await;

    // Attempted: the very bytes sent, fixed for every retry.
    let sent = delivery_payload(&svc, caller, &all[1].delivery.id)
        .await
        .unwrap();
    assert!(sent.sent);
    assert_eq!(sent.body, rx.got("down")[0].body);
    // Not attempted yet: the body as it would be built now.
    let waiting = delivery_payload(&svc, caller, &all[0].delivery.id)
        .await
        .unwrap();
    assert!(!waiting.sent);
    let body: Value = serde_json::from_str(&waiting.body).unwrap();
    assert_eq!(body["type"], "customer.created");
    assert_eq!(body["data"]["name"], "Bea");
    assert!(!waiting.body.contains(&secret) && !sent.body.contains(&secret));

    // A role that cannot manage webhooks reads no payload; another workspace finds none.
    assert!(matches!(
        delivery_payload(&svc, &viewer(caller), &all[1].delivery.id).await,
        Err(DomainError::Forbidden { .. })
    ));
    let other = crate::support::Tenant::create(&app.svc, "Other", &Scope::ALL).await;
    let theirs = Caller::system(other.workspace_id.clone());
    assert!(matches!(
        delivery_payload(&svc, &theirs, &all[1].delivery.id).await,
        Err(DomainError::NotFound { .. })
    ));
    assert!(matches!(
        delivery_log(
            &svc,
            &theirs,
            &down,
            DeliveryFilter::All,
            app::domain::Limit::new(None).unwrap(),
            None
        )
        .await,
        Err(DomainError::NotFound { .. })
    ));
    app.cleanup().await;
}

on_both_engines!(a_payload_is_the_body_sent_or_to_be_sent_and_only_webhook_managers_read_it);

async fn a_delivery_gives_up_after_eight_attempts_and_five_failing_days_disable_the_endpoint(
    engine: Engine,
) {
    let app = TestApp::on(engine).build().await;
    let svc = app.svc.clone().with_webhook_hosts(loopback());
    let caller = &app.caller;
    let (rx, base) = Receiver::start().await;
    let (down, _) = endpoint(&svc, caller, &format!("{base}/down"), &["customer.*"]).await;
    customers::create_customer(
        &svc,
        caller,
        CustomerCreate {
            name: Some("Al".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    // Eight attempts on the schedule, then the delivery is given up on.
    for _ in 0..10 {
        deliver_due(&svc, sender(5)).await.unwrap();
        app.clock.advance(chrono::Duration::hours(11));
    }
    assert_eq!(rx.got("down").len(), 8);
    let page = webhooks::list_deliveries(
        &svc,
        caller,
        &down,
        Some(DeliveryStatus::Failed),
        app::domain::Limit::new(None).unwrap(),
        None,
    )
    .await
    .unwrap();
    assert_eq!(page.data.len(), 1);
    assert_eq!(page.data[0].attempt_count, 8);
    assert_eq!(page.data[0].last_status, Some(502));
    assert!(
        webhooks::get_endpoint(&svc, caller, &down)
            .await
            .unwrap()
            .enabled
    );

    // Five days after the first failure, with no success since, the endpoint is disabled and
    // says why; what follows waits for it to be enabled again.
    app.clock.advance(chrono::Duration::days(4));
    customers::create_customer(
        &svc,
        caller,
        CustomerCreate {
            name: Some("Bea".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    deliver_due(&svc, sender(5)).await.unwrap();
    let e = webhooks::get_endpoint(&svc, caller, &down).await.unwrap();
    assert!(!e.enabled);
    let reason = e.disabled_reason.unwrap();
    assert!(
        reason.contains("disabled after 5 days") && reason.contains("answered 502"),
        "{reason}"
    );
    customers::create_customer(
        &svc,
        caller,
        CustomerCreate {
            name: Some("Cal".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    app.clock.advance(chrono::Duration::days(1));
    deliver_due(&svc, sender(5)).await.unwrap();
    assert_eq!(
        rx.got("down").len(),
        9,
        "a disabled endpoint gets no attempt"
    );

    // Resending the failed ones since the start queues them again.
    let queued = webhooks::resend_failed_since(
        &svc,
        caller,
        &down,
        app.svc.clock.now() - chrono::Duration::days(30),
    )
    .await
    .unwrap();
    assert_eq!(queued, 1);
    app.cleanup().await;
}

on_both_engines!(
    a_delivery_gives_up_after_eight_attempts_and_five_failing_days_disable_the_endpoint
);
