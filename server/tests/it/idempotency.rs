//! Idempotency records: they expire after 24 hours, a dead request frees its key after a
//! minute, each caller has its own, a replay needs the permissions the request ran with, and a
//! transient conflict is never stored.

use app::db::Engine;
use app::domain::idempotency::{Claim, claim, complete};
use app::domain::{Caller, DomainError};
use app::types::Scope;
use chrono::{Duration, TimeZone, Utc};

use crate::on_both_engines;
use crate::support::TestApp;

/// A workspace whose key may write customers, on a clock at noon on New Year's Day.
async fn at_new_year(engine: Engine) -> TestApp {
    TestApp::on(engine)
        .at(Utc.with_ymd_and_hms(2026, 1, 1, 12, 0, 0).unwrap())
        .scopes(&[Scope::CustomersWrite])
        .build()
        .await
}

async fn a_key_is_forgotten_after_24_hours(engine: Engine) {
    let TestApp {
        t,
        svc,
        clock,
        caller,
        ..
    } = at_new_year(engine).await;
    let caller = &caller;

    assert_eq!(
        claim(&svc, caller, "k1", "fp-a").await.unwrap(),
        Claim::Fresh
    );
    complete(&svc, caller, "k1", 201, "{\"id\":1}".into())
        .await
        .unwrap();
    clock.advance(Duration::hours(23));
    assert_eq!(
        claim(&svc, caller, "k1", "fp-a").await.unwrap(),
        Claim::Replay {
            status: 201,
            body: "{\"id\":1}".into()
        }
    );
    // Past 24 hours the key is free again, even for a different request.
    clock.advance(Duration::hours(2));
    assert_eq!(
        claim(&svc, caller, "k1", "fp-b").await.unwrap(),
        Claim::Fresh
    );
    t.cleanup().await;
}

on_both_engines!(a_key_is_forgotten_after_24_hours);

async fn the_sweep_deletes_only_expired_sessions_and_keys(engine: Engine) {
    use app::domain::accounts::{NewUser, log_in, session_user};
    let TestApp {
        t,
        svc,
        clock,
        tenant,
        caller,
        ..
    } = at_new_year(engine).await;
    let ws = &tenant.workspace_id;
    let caller = &caller;
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
    let (old_token, _) = log_in(
        &svc,
        "owner@shop.example",
        "long enough password",
        Default::default(),
    )
    .await
    .unwrap();
    claim(&svc, caller, "old", "fp").await.unwrap();

    // The sessions are used every 11 hours, so only the 14-day limit ends the old one.
    let start = svc.clock.now();
    while svc.clock.now() - start < Duration::days(13) {
        clock.advance(Duration::hours(11));
        session_user(&svc, &old_token, None).await.unwrap();
    }
    let (new_token, _) = log_in(
        &svc,
        "owner@shop.example",
        "long enough password",
        Default::default(),
    )
    .await
    .unwrap();

    // Day 15: the old session (14 days) and the old key (24 hours) are past due.
    while svc.clock.now() - start < Duration::days(15) {
        clock.advance(Duration::hours(11));
        session_user(&svc, &new_token, None).await.unwrap();
    }
    claim(&svc, caller, "new", "fp").await.unwrap();
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

async fn a_key_whose_request_died_is_free_again_after_its_lock(engine: Engine) {
    let TestApp {
        t,
        svc,
        clock,
        caller,
        ..
    } = at_new_year(engine).await;
    let caller = &caller;

    assert_eq!(claim(&svc, caller, "k", "fp").await.unwrap(), Claim::Fresh);
    // Its handler was killed: no answer was stored, nothing was released.
    let busy = claim(&svc, caller, "k", "fp").await;
    assert!(
        matches!(
            busy,
            Err(DomainError::Conflict {
                code: app::types::ErrorCode::IdempotencyKeyInFlight,
                ..
            })
        ),
        "{busy:?}"
    );
    clock.advance(app::domain::idempotency::LOCK + Duration::seconds(1));
    assert_eq!(
        claim(&svc, caller, "k", "fp").await.unwrap(),
        Claim::Fresh,
        "the retry takes the key over"
    );
    // Only one retry takes it; a second one meanwhile waits.
    assert!(claim(&svc, caller, "k", "fp").await.is_err());
    complete(&svc, caller, "k", 201, "{}".into()).await.unwrap();
    assert!(matches!(
        claim(&svc, caller, "k", "fp").await.unwrap(),
        Claim::Replay { status: 201, .. }
    ));
    t.cleanup().await;
}

async fn keys_belong_to_one_caller_and_a_replay_still_needs_its_permissions(engine: Engine) {
    use app::domain::Actor;
    use app::types::{ApiKeyId, Role, UserId};
    let TestApp { t, svc, tenant, .. } = at_new_year(engine).await;
    let user = UserId::generate_at(svc.clock.now());
    let as_role = |role| Caller {
        workspace_id: tenant.workspace_id.clone(),
        actor: Actor::User {
            id: user.clone(),
            role,
        },
        ip: None,
        idempotency_key: None,
    };
    let owner = as_role(Role::Owner);
    assert_eq!(claim(&svc, &owner, "k", "fp").await.unwrap(), Claim::Fresh);
    complete(&svc, &owner, "k", 201, "{\"secret\":true}".into())
        .await
        .unwrap();

    // Another caller in the same workspace with the same key: its own request, not a replay of
    // the owner's answer.
    let key = Caller {
        workspace_id: tenant.workspace_id.clone(),
        actor: Actor::ApiKey {
            id: ApiKeyId::generate_at(chrono::Utc::now()),
            scopes: vec![Scope::CustomersRead],
        },
        ip: None,
        idempotency_key: None,
    };
    assert_eq!(claim(&svc, &key, "k", "fp").await.unwrap(), Claim::Fresh);

    // The owner demoted to viewer gets no replay of what only an owner could do.
    let demoted = claim(&svc, &as_role(Role::Viewer), "k", "fp").await;
    assert!(
        matches!(demoted, Err(DomainError::Forbidden { .. })),
        "{demoted:?}"
    );
    assert!(matches!(
        claim(&svc, &owner, "k", "fp").await.unwrap(),
        Claim::Replay { status: 201, .. }
    ));
    t.cleanup().await;
}

/// A conflict a retry may not meet again (someone else's edit won) is not stored: the retry
/// under the same key runs, instead of replaying the 409 for a day.
async fn a_transient_conflict_is_not_replayed(engine: Engine) {
    use reqwest::Method;
    use serde_json::json;
    let TestApp { t, api, .. } = TestApp::on(engine)
        .scopes(&[Scope::CustomersWrite, Scope::CustomersRead])
        .build()
        .await;
    let (s, c) = api
        .post("/customers", json!({"email": "ann@example.com"}))
        .await;
    assert_eq!(s, reqwest::StatusCode::CREATED, "{c}");
    let path = format!("/customers/{}", c["id"].as_str().unwrap());
    let (s, b) = api.patch(&path, json!({"name": "Ann", "version": 1})).await;
    assert_eq!(s, reqwest::StatusCode::OK, "{b}");
    let stale = json!({"name": "Bob", "version": 1});
    let headers = [("Idempotency-Key", "edit-1")];
    let ((s, b), h) = api
        .send_with(Method::PATCH, &path, Some(stale.clone()), &headers)
        .await;
    assert_eq!(s, reqwest::StatusCode::CONFLICT, "{b}");
    assert_eq!(b["error"]["code"], "version_conflict");
    assert!(h.get("idempotent-replayed").is_none());
    let ((s, _), h) = api
        .send_with(Method::PATCH, &path, Some(stale), &headers)
        .await;
    assert_eq!(s, reqwest::StatusCode::CONFLICT);
    assert!(
        h.get("idempotent-replayed").is_none(),
        "the retry ran again instead of replaying the conflict"
    );
    use sea_orm::{EntityTrait, PaginatorTrait};
    assert_eq!(
        app::db::entities::idempotency_key::Entity::find()
            .count(&t.db)
            .await
            .unwrap(),
        0
    );
    t.cleanup().await;
}

on_both_engines!(
    a_key_whose_request_died_is_free_again_after_its_lock,
    keys_belong_to_one_caller_and_a_replay_still_needs_its_permissions,
    a_transient_conflict_is_not_replayed,
);
