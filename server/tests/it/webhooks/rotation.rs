//! Signing secrets across rotations (each replaced secret signs for its own day, at most five
//! at once) and across the upgrades that changed how endpoints are stored.

use super::*;
use crate::on_both_engines;

/// A rotation of `id`'s secret: the new secret.
async fn rotate(svc: &Services, caller: &Caller, id: &WebhookEndpointId) -> String {
    webhooks::rotate_secret(svc, caller, id)
        .await
        .unwrap()
        .secret
        .unwrap()
}

/// Creates a customer named `name` and delivers its event: what `/ok` received for it.
async fn customer_delivered(
    svc: &Services,
    caller: &Caller,
    rx: &Receiver,
    name: &str,
) -> Received {
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
    let report = deliver_due(svc, sender(5)).await.unwrap();
    assert_eq!(report.delivered, 1, "{report:?}");
    let got = rx.got("ok").pop().unwrap();
    assert!(got.body.contains(name), "{}", got.body);
    got
}

/// How many `v1,` signatures a delivery carries.
fn signatures(r: &Received) -> usize {
    r.headers["webhook-signature"]
        .to_str()
        .unwrap()
        .matches("v1,")
        .count()
}

async fn a_second_rotation_within_a_day_keeps_the_first_secret_signing_for_its_day(engine: Engine) {
    let app = TestApp::on(engine).build().await;
    let svc = app.svc.clone().with_webhook_hosts(loopback());
    let caller = &app.caller;
    let (rx, base) = Receiver::start().await;
    let (ok, first) = endpoint(&svc, caller, &format!("{base}/ok"), &["customer.*"]).await;
    let second = rotate(&svc, caller, &ok).await;
    app.clock.advance(chrono::Duration::hours(2));
    let third = rotate(&svc, caller, &ok).await;

    // Every secret of the day signs: a back end still on the first one loses nothing.
    let got = customer_delivered(&svc, caller, &rx, "Fay").await;
    assert_eq!(signatures(&got), 3);
    for secret in [&first, &second, &third] {
        verify(secret, &got).unwrap();
    }

    // 25 hours after the first rotation its secret's day is over; the second's runs on.
    app.clock.advance(chrono::Duration::hours(23));
    let got = customer_delivered(&svc, caller, &rx, "Gus").await;
    assert_eq!(signatures(&got), 2);
    assert!(verify(&first, &got).is_err());
    verify(&second, &got).unwrap();
    verify(&third, &got).unwrap();

    // Then the current secret alone.
    app.clock.advance(chrono::Duration::hours(2));
    let got = customer_delivered(&svc, caller, &rx, "Hal").await;
    assert_eq!(signatures(&got), 1);
    assert!(verify(&second, &got).is_err());
    verify(&third, &got).unwrap();

    // At most five replaced secrets sign at once: one more rotation that day is refused
    // (nothing is replaced, every secret keeps signing) until the oldest one's day is over.
    let mut current = third;
    for _ in 0..webhooks::RETIRED_MAX {
        current = rotate(&svc, caller, &ok).await;
    }
    let refused = webhooks::rotate_secret(&svc, caller, &ok).await;
    assert!(
        matches!(refused, Err(DomainError::RateLimited { .. })),
        "{refused:?}"
    );
    let got = customer_delivered(&svc, caller, &rx, "Ivy").await;
    assert_eq!(signatures(&got), webhooks::RETIRED_MAX + 1);
    verify(&current, &got).unwrap();
    app.clock.advance(chrono::Duration::hours(24));
    let last = rotate(&svc, caller, &ok).await;
    let got = customer_delivered(&svc, caller, &rx, "Jo").await;
    assert_eq!(signatures(&got), 2);
    verify(&last, &got).unwrap();
    verify(&current, &got).unwrap();
    app.cleanup().await;
}

on_both_engines!(a_second_rotation_within_a_day_keeps_the_first_secret_signing_for_its_day);

/// An endpoint rotated before the upgrade to a list of retired secrets keeps its previous
/// secret signing for the rest of its day, beside the secrets of later rotations.
async fn a_previous_secret_from_before_the_upgrade_keeps_signing_for_its_day(engine: Engine) {
    use app::db::Migrator;
    use chrono::TimeZone;
    use sea_orm::{ConnectionTrait, Statement};
    use sea_orm_migration::MigratorTrait;

    let t =
        crate::support::TestDb::migrated_before(engine, "m20261207_000024_rotation_overlap").await;
    let start = chrono::Utc.with_ymd_and_hms(2026, 11, 21, 9, 0, 0).unwrap();
    let clock = Arc::new(app::domain::ManualClock::ticking(
        start,
        chrono::Duration::milliseconds(1),
    ));
    let svc = Services::new(t.db.clone()).with_clock(clock.clone());
    let tenant = crate::support::Tenant::create(&svc, "Shop", &Scope::ALL).await;
    let caller = Caller::system(tenant.workspace_id.clone());
    let (rx, base) = Receiver::start().await;
    // As the version before wrote a rotation three hours ago.
    let (old, current) = (
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD",
    );
    let id = WebhookEndpointId::generate_at(start);
    t.db.execute_raw(Statement::from_sql_and_values(
        t.db.get_database_backend(),
        "INSERT INTO webhook_endpoints (id, workspace_id, url, description, event_types, \
         enabled, disabled_reason, secret, previous_secret, previous_secret_until, \
         failing_since, created_at, updated_at) \
         VALUES ($1, $2, $3, NULL, $4, $5, NULL, $6, $7, $8, NULL, $9, $10)",
        [
            id.as_str().into(),
            tenant.workspace_id.as_str().into(),
            format!("{base}/ok").into(),
            r#"["customer.*"]"#.into(),
            true.into(),
            current.into(),
            old.into(),
            sea_orm::Value::from(start + chrono::Duration::hours(21)),
            sea_orm::Value::from(start - chrono::Duration::hours(3)),
            sea_orm::Value::from(start - chrono::Duration::hours(3)),
        ],
    ))
    .await
    .unwrap();
    Migrator::up(&t.db, None).await.unwrap();

    let got = customer_delivered(&svc, &caller, &rx, "Kim").await;
    assert_eq!(signatures(&got), 2);
    verify(old, &got).unwrap();
    verify(current, &got).unwrap();
    let newest = rotate(&svc, &caller, &id).await;
    let got = customer_delivered(&svc, &caller, &rx, "Lou").await;
    assert_eq!(signatures(&got), 3);
    for secret in [old, current, newest.as_str()] {
        verify(secret, &got).unwrap();
    }
    clock.advance(chrono::Duration::hours(22));
    let got = customer_delivered(&svc, &caller, &rx, "Max").await;
    assert_eq!(signatures(&got), 2, "the old secret's day is over");
    assert!(verify(old, &got).is_err());
    t.cleanup().await;
}

on_both_engines!(a_previous_secret_from_before_the_upgrade_keeps_signing_for_its_day);

/// Endpoints stored before types were checked keep what they can hear: a type no event ever
/// had is dropped, and an endpoint left with nothing is disabled with a reason to read.
async fn a_subscription_to_types_that_never_existed_is_dropped_by_the_upgrade(engine: Engine) {
    use app::db::Migrator;
    use app::types::{EventFamily, EventPattern};
    use sea_orm::{ConnectionTrait, Statement};
    use sea_orm_migration::MigratorTrait;

    let t =
        crate::support::TestDb::migrated_before(engine, "m20261207_000028_known_event_types_only")
            .await;
    let svc = Services::new(t.db.clone());
    let tenant = crate::support::Tenant::create(&svc, "Shop", &Scope::ALL).await;
    let caller = Caller::system(tenant.workspace_id.clone());
    let now = chrono::Utc::now();
    let mut ids = Vec::new();
    for types in [
        r#"["order.paied", "ban.*"]"#,
        r#"["order.paied"]"#,
        r#"["*"]"#,
    ] {
        let id = WebhookEndpointId::generate_at(now);
        t.db.execute_raw(Statement::from_sql_and_values(
            t.db.get_database_backend(),
            "INSERT INTO webhook_endpoints (id, workspace_id, url, description, event_types, \
             enabled, disabled_reason, secret, retired_secrets, failing_since, created_at, updated_at) \
             VALUES ($1, $2, 'https://hooks.shop.example/x', NULL, $3, $4, NULL, 'whsec_x', '[]', NULL, $5, $6)",
            [
                id.as_str().into(),
                tenant.workspace_id.as_str().into(),
                types.into(),
                true.into(),
                sea_orm::Value::from(now),
                sea_orm::Value::from(now),
            ],
        ))
        .await
        .unwrap();
        ids.push(id);
    }
    Migrator::up(&t.db, None).await.unwrap();

    let read = |i: usize| webhooks::get_endpoint(&svc, &caller, &ids[i]);
    let kept = read(0).await.unwrap();
    assert_eq!(kept.event_types, [EventPattern::Family(EventFamily::Ban)]);
    assert!(kept.enabled);
    let emptied = read(1).await.unwrap();
    assert!(emptied.event_types.is_empty());
    assert!(!emptied.enabled);
    assert!(
        emptied
            .disabled_reason
            .as_deref()
            .unwrap()
            .contains("order.paied"),
        "{emptied:?}"
    );
    let all = read(2).await.unwrap();
    assert_eq!(all.event_types, [EventPattern::All]);
    assert!(all.enabled);
    t.cleanup().await;
}

on_both_engines!(a_subscription_to_types_that_never_existed_is_dropped_by_the_upgrade);
