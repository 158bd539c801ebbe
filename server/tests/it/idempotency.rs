//! Idempotency records expire after 24 hours (domain level, with a manual clock).

use std::sync::Arc;

use app::db::Engine;
use app::domain::idempotency::{Claim, claim, complete};
use app::domain::{ManualClock, Services};
use chrono::{Duration, TimeZone, Utc};

use crate::on_both_engines;
use crate::support::{Tenant, TestDb};

async fn a_key_is_forgotten_after_24_hours(engine: Engine) {
    let t = TestDb::migrated(engine).await;
    let clock = Arc::new(ManualClock::new(
        Utc.with_ymd_and_hms(2026, 1, 1, 12, 0, 0).unwrap(),
    ));
    let svc = Services::new(t.db.clone()).with_clock(clock.clone());
    let tenant = Tenant::create(&svc, "Shop", &[app::types::Scope::CustomersWrite]).await;
    let ws = &tenant.workspace_id;

    assert_eq!(claim(&svc, ws, "k1", "fp-a").await.unwrap(), Claim::Fresh);
    complete(&svc, ws, "k1", 201, "{\"id\":1}".into())
        .await
        .unwrap();
    clock.advance(Duration::hours(23));
    assert_eq!(
        claim(&svc, ws, "k1", "fp-a").await.unwrap(),
        Claim::Replay {
            status: 201,
            body: "{\"id\":1}".into()
        }
    );
    // Past 24 hours the key is free again, even for a different request.
    clock.advance(Duration::hours(2));
    assert_eq!(claim(&svc, ws, "k1", "fp-b").await.unwrap(), Claim::Fresh);
    t.cleanup().await;
}

on_both_engines!(a_key_is_forgotten_after_24_hours);

async fn the_sweep_deletes_only_expired_sessions_and_keys(engine: Engine) {
    use app::domain::accounts::{NewUser, log_in, session_user};
    let t = TestDb::migrated(engine).await;
    let clock = Arc::new(ManualClock::new(
        Utc.with_ymd_and_hms(2026, 1, 1, 12, 0, 0).unwrap(),
    ));
    let svc = Services::new(t.db.clone()).with_clock(clock.clone());
    let tenant = Tenant::create(&svc, "Shop", &[app::types::Scope::CustomersWrite]).await;
    let ws = &tenant.workspace_id;
    app::domain::accounts::create_user(
        &svc,
        NewUser {
            workspace_id: ws.clone(),
            email: "owner@shop.example".into(),
            role: app::types::Role::Owner,
            password: "long enough password".into(),
        },
    )
    .await
    .unwrap();
    let (old_token, _) = log_in(&svc, "owner@shop.example", "long enough password", None)
        .await
        .unwrap();
    claim(&svc, ws, "old", "fp").await.unwrap();

    clock.advance(Duration::days(13));
    let (new_token, _) = log_in(&svc, "owner@shop.example", "long enough password", None)
        .await
        .unwrap();

    // Day 15: the old session (14 days) and the old key (24 hours) are past due.
    clock.advance(Duration::days(2));
    claim(&svc, ws, "new", "fp").await.unwrap();
    server::jobs::sweep(&svc).await;
    assert!(session_user(&svc, &old_token, None).await.is_err());
    assert!(session_user(&svc, &new_token, None).await.is_ok());
    use sea_orm::EntityTrait;
    let keys: Vec<String> = app::db::entities::idempotency_key::Entity::find()
        .all(&t.db)
        .await
        .unwrap()
        .into_iter()
        .map(|k| k.key)
        .collect();
    assert_eq!(keys, ["new"]);
    t.cleanup().await;
}

on_both_engines!(the_sweep_deletes_only_expired_sessions_and_keys);
