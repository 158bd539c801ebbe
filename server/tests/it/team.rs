//! The team and its doors: dashboard sessions (rotation at login, 12 hours idle, signing out
//! everywhere, a role change ending the member's sessions), login limits (failures only, per
//! account and address), invitations (once, 7 days, the
//! invited role, an existing account confirming with its password), the last owner kept even
//! when two owners step down at once, the workspace switcher, and API keys made in the
//! dashboard working over REST until revoked.

use app::db::Engine;
use app::db::entities::email::{self, EmailKind};
use app::domain::accounts::{self, Device, NewUser, session_user};
use app::domain::actor::Actor;
use app::domain::{Caller, DomainError, api_keys, team};
use app::types::{ErrorCode, Role, Scope, UserId};
use chrono::Duration;
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::Value;

use crate::on_both_engines;
use crate::support::{TestApp, TestServer, member};

const PASSWORD: &str = "long enough password";
const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";

async fn user(app: &TestApp, email: &str, role: Role) -> Caller {
    member(&app.svc, &app.tenant.workspace_id, email, role, PASSWORD)
        .await
        .1
}

fn user_id(caller: &Caller) -> UserId {
    match &caller.actor {
        Actor::User { id, .. } => id.clone(),
        other => panic!("not a user: {other:?}"),
    }
}

async fn log_in(app: &TestApp, email: &str) -> String {
    accounts::log_in(&app.svc, email, PASSWORD, Device::default())
        .await
        .unwrap()
        .0
}

/// A server function called as the dashboard calls it, with `cookie` (`name=value`).
async fn rpc(
    srv: &TestServer,
    path: &str,
    cookie: Option<&str>,
    form: &[(&str, &str)],
) -> (StatusCode, Value, Option<String>) {
    let mut req = srv
        .client
        .post(srv.url(&format!("/rpc/{path}")))
        .header("user-agent", FIREFOX)
        .form(form);
    if let Some(c) = cookie {
        req = req.header("cookie", c);
    }
    let res = req.send().await.unwrap();
    let status = res.status();
    let set = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("patron_session=") && !v.starts_with("patron_session=;"))
        .map(|v| v.split(';').next().unwrap().to_owned());
    let text = res.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
        set,
    )
}

/// The token of the newest invitation link sent to `to`.
async fn invite_token(app: &TestApp, to: &str) -> String {
    let mail = email::Entity::find()
        .filter(email::Column::ToAddress.eq(to))
        .filter(email::Column::Kind.eq(EmailKind::Invitation))
        .order_by_desc(email::Column::Id)
        .one(&app.svc.db)
        .await
        .unwrap()
        .expect("an invitation email");
    let link = mail
        .text_body
        .split_whitespace()
        .find(|w| w.contains("/invite/"))
        .expect("a link")
        .to_owned();
    assert!(link.starts_with(&app.api.srv.base), "{link}");
    link.rsplit('/').next().unwrap().to_owned()
}

fn conflict_code(e: DomainError) -> ErrorCode {
    match e {
        DomainError::Conflict { code, .. } => code,
        other => panic!("expected a conflict, got {other:?}"),
    }
}

async fn sessions_rotate_end_when_idle_and_everywhere(engine: Engine) {
    let app = TestApp::on(engine).build().await;
    let srv = &app.api.srv;
    user(&app, "ann@shop.example", Role::Owner).await;

    // Logging in from a browser that held a session replaces it: the old token is dead.
    let (status, _, first) = rpc(
        srv,
        "auth/log_in",
        None,
        &[("email", "ann@shop.example"), ("password", PASSWORD)],
    )
    .await;
    assert!(status.is_success() || status.is_redirection(), "{status}");
    let first = first.expect("a session cookie");
    let (_, _, second) = rpc(
        srv,
        "auth/log_in",
        Some(&first),
        &[("email", "ann@shop.example"), ("password", PASSWORD)],
    )
    .await;
    let second = second.expect("a new session cookie");
    assert_ne!(first, second);
    let token = |c: &str| c.split_once('=').unwrap().1.to_owned();
    assert!(session_user(&app.svc, &token(&first), None).await.is_err());
    assert!(session_user(&app.svc, &token(&second), None).await.is_ok());

    // The sessions list names the device and marks this one.
    let other = log_in(&app, "ann@shop.example").await;
    let (status, list, _) = rpc(srv, "sessions", Some(&second), &[]).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let list = list.as_array().unwrap().clone();
    assert_eq!(list.len(), 2, "{list:?}");
    let current: Vec<&Value> = list.iter().filter(|s| s["current"] == true).collect();
    assert_eq!(current.len(), 1);
    assert_eq!(current[0]["device"], "Firefox on Linux");

    // Twelve hours unused end a session; one used every eleven hours lives on.
    app.clock.advance(Duration::hours(11));
    assert!(session_user(&app.svc, &other, None).await.is_ok());
    app.clock.advance(Duration::hours(11));
    assert!(session_user(&app.svc, &other, None).await.is_ok());
    assert!(
        session_user(&app.svc, &token(&second), None).await.is_err(),
        "22 hours idle"
    );

    // Signing out everywhere ends every session of the user, this one too.
    let third = log_in(&app, "ann@shop.example").await;
    let cookie = format!("patron_session={third}");
    let (status, _, _) = rpc(srv, "sessions/end_all", Some(&cookie), &[]).await;
    assert!(status.is_success() || status.is_redirection(), "{status}");
    assert!(session_user(&app.svc, &third, None).await.is_err());
    assert!(session_user(&app.svc, &other, None).await.is_err());
    app.cleanup().await;
}

async fn an_invitation_works_once_with_its_role_for_seven_days(engine: Engine) {
    let app = TestApp::on(engine).build().await;
    let owner = user(&app, "owner@shop.example", Role::Owner).await;
    let admin = user(&app, "admin@shop.example", Role::Admin).await;

    // Only owners invite.
    assert!(matches!(
        team::invite(&app.svc, &admin, "new@example.com", Role::Viewer).await,
        Err(DomainError::Forbidden { .. })
    ));
    team::invite(&app.svc, &owner, " New@Example.com ", Role::Support)
        .await
        .unwrap();
    let token = invite_token(&app, "new@example.com").await;

    let preview = team::preview(&app.svc, &token, None).await.unwrap();
    assert_eq!(
        (preview.email.as_str(), preview.role, preview.has_account),
        ("new@example.com", Role::Support, false)
    );
    assert!(matches!(
        team::accept(&app.svc, &token, "short", Device::default()).await,
        Err(DomainError::Invalid { field, .. }) if field == "password"
    ));
    let (session, ws) = team::accept(&app.svc, &token, PASSWORD, Device::default())
        .await
        .unwrap();
    assert_eq!(ws, app.tenant.workspace_id);
    let joined = session_user(&app.svc, &session, None).await.unwrap();
    assert!(matches!(
        joined.caller.actor,
        Actor::User {
            role: Role::Support,
            ..
        }
    ));
    // Once only.
    let again = team::accept(&app.svc, &token, PASSWORD, Device::default()).await;
    assert_eq!(conflict_code(again.unwrap_err()), ErrorCode::LinkExpired);
    // A member is not invited twice.
    let twice = team::invite(&app.svc, &owner, "new@example.com", Role::Admin).await;
    assert_eq!(conflict_code(twice.unwrap_err()), ErrorCode::AlreadyMember);

    // After 7 days a link is dead, and the owner's list no longer shows it.
    team::invite(&app.svc, &owner, "late@example.com", Role::Viewer)
        .await
        .unwrap();
    let late_token = invite_token(&app, "late@example.com").await;
    assert_eq!(
        team::team(&app.svc, &owner)
            .await
            .unwrap()
            .invitations
            .len(),
        1
    );
    app.clock.advance(Duration::days(7) + Duration::minutes(1));
    let expired = team::preview(&app.svc, &late_token, None).await;
    assert_eq!(conflict_code(expired.unwrap_err()), ErrorCode::LinkExpired);
    assert!(
        team::team(&app.svc, &owner)
            .await
            .unwrap()
            .invitations
            .is_empty()
    );

    // Guessing links from one address runs into the login's per-address limit.
    let ip = Some("198.51.100.9");
    for _ in 0..app::domain::rate_limit::LOGIN_IP.limit {
        assert!(matches!(
            team::preview(&app.svc, "no-such-token", ip).await,
            Err(DomainError::NotFound { .. })
        ));
    }
    assert!(matches!(
        team::preview(&app.svc, "no-such-token", ip).await,
        Err(DomainError::RateLimited { .. })
    ));
    app.cleanup().await;
}

async fn someone_with_an_account_confirms_and_switches_workspaces(engine: Engine) {
    let app = TestApp::on(engine).build().await;
    let owner = user(&app, "owner@shop.example", Role::Owner).await;
    let elsewhere =
        crate::support::Tenant::create(&app.svc, "Elsewhere", &[Scope::CustomersRead]).await;
    accounts::create_user(
        &app.svc,
        NewUser {
            workspace_id: elsewhere.workspace_id.clone(),
            email: "multi@example.com".into(),
            role: Role::Owner,
            password: PASSWORD.into(),
        },
    )
    .await
    .unwrap();
    team::invite(&app.svc, &owner, "multi@example.com", Role::Viewer)
        .await
        .unwrap();
    let token = invite_token(&app, "multi@example.com").await;
    assert!(
        team::preview(&app.svc, &token, None)
            .await
            .unwrap()
            .has_account
    );
    // Their own password, not a new one.
    assert!(matches!(
        team::accept(&app.svc, &token, "another long password", Device::default()).await,
        Err(DomainError::Invalid { field, .. }) if field == "password"
    ));
    let (session, _) = team::accept(&app.svc, &token, PASSWORD, Device::default())
        .await
        .unwrap();
    let me = session_user(&app.svc, &session, None).await.unwrap();
    assert_eq!(me.caller.workspace_id, app.tenant.workspace_id);
    let choices = accounts::workspaces_of(&app.svc, &me).await.unwrap();
    let names: Vec<(&str, Role)> = choices.iter().map(|c| (c.name.as_str(), c.role)).collect();
    assert_eq!(names, [("Elsewhere", Role::Owner), ("Shop", Role::Viewer)]);

    // Switching moves the session with a new token; the old one is dead.
    let moved = accounts::switch_workspace(&app.svc, &me, &elsewhere.workspace_id)
        .await
        .unwrap();
    assert!(session_user(&app.svc, &session, None).await.is_err());
    let there = session_user(&app.svc, &moved, None).await.unwrap();
    assert_eq!(there.caller.workspace_id, elsewhere.workspace_id);
    assert!(matches!(
        there.caller.actor,
        Actor::User {
            role: Role::Owner,
            ..
        }
    ));
    // Not into a workspace they do not belong to.
    let stranger =
        crate::support::Tenant::create(&app.svc, "Stranger", &[Scope::CustomersRead]).await;
    assert!(matches!(
        accounts::switch_workspace(&app.svc, &there, &stranger.workspace_id).await,
        Err(DomainError::NotFound { .. })
    ));
    app.cleanup().await;
}

async fn the_last_owner_stays_even_when_two_step_down_at_once(engine: Engine) {
    let app = TestApp::on(engine).build().await;
    let ann = user(&app, "ann@shop.example", Role::Owner).await;
    let bob = user(&app, "bob@shop.example", Role::Admin).await;

    let alone = team::change_role(
        &app.svc,
        &ann,
        &user_id(&ann),
        Role::Admin,
        Device::default(),
    )
    .await;
    assert_eq!(conflict_code(alone.unwrap_err()), ErrorCode::LastOwner);
    let leave = team::remove_member(&app.svc, &ann, &user_id(&ann)).await;
    assert_eq!(conflict_code(leave.unwrap_err()), ErrorCode::LastOwner);
    // An admin cannot change roles; anyone may leave.
    assert!(matches!(
        team::change_role(
            &app.svc,
            &bob,
            &user_id(&bob),
            Role::Owner,
            Device::default()
        )
        .await,
        Err(DomainError::Forbidden { .. })
    ));

    // A role change ends the member's sessions: they sign in again with the new role.
    let bobs = log_in(&app, "bob@shop.example").await;
    team::change_role(
        &app.svc,
        &ann,
        &user_id(&bob),
        Role::Owner,
        Device::default(),
    )
    .await
    .unwrap();
    assert!(session_user(&app.svc, &bobs, None).await.is_err());
    let bob = Caller {
        actor: Actor::User {
            id: user_id(&bob),
            role: Role::Owner,
        },
        ..bob
    };

    // Two owners demote themselves at the same moment: one succeeds, one is refused.
    let (ann_id, bob_id) = (user_id(&ann), user_id(&bob));
    let (a, b) = tokio::join!(
        team::change_role(&app.svc, &ann, &ann_id, Role::Admin, Device::default()),
        team::change_role(&app.svc, &bob, &bob_id, Role::Admin, Device::default()),
    );
    assert_eq!(
        [a.is_ok(), b.is_ok()].iter().filter(|ok| **ok).count(),
        1,
        "{a:?} {b:?}"
    );
    // The owner who stepped down keeps working, in a fresh session with the new role.
    let token = [&a, &b]
        .into_iter()
        .find_map(|r| r.as_ref().ok().cloned().flatten())
        .expect("a fresh session for the one who stepped down");
    let after = session_user(&app.svc, &token, None).await.unwrap();
    assert!(matches!(
        after.caller.actor,
        Actor::User {
            role: Role::Admin,
            ..
        }
    ));
    let refused = if a.is_err() { a } else { b };
    assert_eq!(conflict_code(refused.unwrap_err()), ErrorCode::LastOwner);
    let owners = team::team(&app.svc, &ann)
        .await
        .unwrap()
        .members
        .iter()
        .filter(|m| m.role == Role::Owner)
        .count();
    assert_eq!(owners, 1);
    app.cleanup().await;
}

async fn a_key_made_in_the_dashboard_works_until_revoked(engine: Engine) {
    let app = TestApp::on(engine).build().await;
    let admin = user(&app, "admin@shop.example", Role::Admin).await;
    let support = user(&app, "support@shop.example", Role::Support).await;

    assert!(matches!(
        api_keys::create_api_key_as(&app.svc, &support, "nope", &[Scope::CustomersRead]).await,
        Err(DomainError::Forbidden { .. })
    ));
    // No key can manage the team or make keys.
    assert!(matches!(
        api_keys::create_api_key_as(&app.svc, &admin, "root", &[Scope::ApiKeysManage]).await,
        Err(DomainError::Invalid { field, .. }) if field == "scopes"
    ));
    let made =
        api_keys::create_api_key_as(&app.svc, &admin, "Shop back end", &[Scope::CustomersRead])
            .await
            .unwrap();
    assert!(made.secret.starts_with(&made.key.prefix));
    assert_eq!(made.key.created_by.as_deref(), Some("admin@shop.example"));

    let call = |key: String| {
        let srv = &app.api.srv;
        async move {
            srv.client
                .get(srv.url("/api/v1/customers"))
                .bearer_auth(key)
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(call(made.secret.clone()).await, StatusCode::OK);
    let listed = api_keys::list_api_keys(&app.svc, &admin).await.unwrap();
    let mine = listed.iter().find(|k| k.id == made.key.id).unwrap();
    assert_eq!(mine.scopes, ["customers:read"]);
    assert!(mine.last_used_at.is_some(), "the call is seen");
    assert!(
        !listed.iter().any(|k| k.prefix.len() > 13),
        "never a secret"
    );

    api_keys::revoke_api_key_as(&app.svc, &admin, &made.key.id)
        .await
        .unwrap();
    assert_eq!(call(made.secret).await, StatusCode::UNAUTHORIZED);
    assert!(
        !api_keys::list_api_keys(&app.svc, &admin)
            .await
            .unwrap()
            .iter()
            .any(|k| k.id == made.key.id)
    );
    app.cleanup().await;
}

/// One login of ann@shop.example from `ip`, with `password`.
async fn log_in_from(
    app: &TestApp,
    password: &str,
    ip: &str,
) -> Result<(String, accounts::SignedIn), DomainError> {
    accounts::log_in(
        &app.svc,
        "ann@shop.example",
        password,
        Device::at(Some(ip.to_owned())),
    )
    .await
}

/// Only failures count, per account and address: nine wrong passwords leave the right one
/// working; ten from one address lock that address out of that account, and never the owner's
/// own address; a locked address still gets in from a browser holding the owner's live session
/// (someone else's is no help), and anywhere once the 15 minutes are over.
async fn wrong_passwords_lock_one_address_out_and_never_the_owner(engine: Engine) {
    const HOME: &str = "203.0.113.7";
    const AWAY: &str = "198.51.100.23";
    let app = TestApp::on(engine).build().await;
    user(&app, "ann@shop.example", Role::Owner).await;
    let refused = |r: &Result<(String, accounts::SignedIn), DomainError>| {
        matches!(r, Err(DomainError::RateLimited { .. }))
    };
    let wrong = |r: &Result<(String, accounts::SignedIn), DomainError>| {
        matches!(r, Err(DomainError::Unauthenticated))
    };

    for i in 0..9 {
        let r = log_in_from(&app, "not the password", HOME).await;
        assert!(wrong(&r), "failure {i}: {r:?}");
    }
    let (token, _) = log_in_from(&app, PASSWORD, HOME).await.unwrap();

    // Someone guessing from elsewhere locks only their own address out, the right password too.
    for i in 0..10 {
        let r = log_in_from(&app, "a guess", AWAY).await;
        assert!(wrong(&r), "guess {i}: {r:?}");
    }
    let r = log_in_from(&app, PASSWORD, AWAY).await;
    assert!(refused(&r), "{r:?}");
    log_in_from(&app, PASSWORD, HOME).await.unwrap();

    // Ten failures at home lock home too; the browser with Ann's live session still gets in.
    for i in 0..10 {
        let r = log_in_from(&app, "not the password", HOME).await;
        assert!(wrong(&r), "failure {i}: {r:?}");
    }
    let r = log_in_from(&app, PASSWORD, HOME).await;
    assert!(refused(&r), "{r:?}");
    let holding = |token: String| {
        let svc = app.svc.clone();
        async move {
            accounts::log_in_holding(
                &svc,
                "ann@shop.example",
                PASSWORD,
                Device::at(Some(HOME.to_owned())),
                Some(token.as_str()),
            )
            .await
        }
    };
    let (_, me) = holding(token).await.unwrap();
    assert_eq!(me.email, "ann@shop.example");
    user(&app, "bob@shop.example", Role::Viewer).await;
    let bobs = log_in(&app, "bob@shop.example").await;
    let r = holding(bobs).await;
    assert!(refused(&r), "someone else's session is no pass: {r:?}");

    // After the wait, the right password works from either address.
    app.clock.advance(Duration::minutes(15));
    log_in_from(&app, PASSWORD, HOME).await.unwrap();
    log_in_from(&app, PASSWORD, AWAY).await.unwrap();
    app.cleanup().await;
}

async fn guesses_spread_over_many_addresses_are_bounded_per_account(engine: Engine) {
    let app = TestApp::on(engine).build().await;
    user(&app, "ann@shop.example", Role::Owner).await;
    let token = log_in(&app, "ann@shop.example").await;
    // Five wrong guesses from each of ten addresses: every pair stays under its own limit.
    for a in 0..10 {
        for i in 0..5 {
            let r = log_in_from(&app, "a guess", &format!("198.51.100.{a}")).await;
            assert!(
                matches!(r, Err(DomainError::Unauthenticated)),
                "address {a}, guess {i}: {r:?}"
            );
        }
    }
    // The account has had its fifty: an eleventh address is refused, the right password too.
    let r = log_in_from(&app, PASSWORD, "198.51.100.99").await;
    assert!(matches!(r, Err(DomainError::RateLimited { .. })), "{r:?}");
    // Ann's own browser, holding her session, still gets in.
    accounts::log_in_holding(
        &app.svc,
        "ann@shop.example",
        PASSWORD,
        Device::at(Some("203.0.113.7".to_owned())),
        Some(token.as_str()),
    )
    .await
    .unwrap();
    // And after the wait, anyone with the password does.
    app.clock.advance(Duration::minutes(15));
    log_in_from(&app, PASSWORD, "198.51.100.99").await.unwrap();
    app.cleanup().await;
}

on_both_engines!(
    sessions_rotate_end_when_idle_and_everywhere,
    an_invitation_works_once_with_its_role_for_seven_days,
    someone_with_an_account_confirms_and_switches_workspaces,
    the_last_owner_stays_even_when_two_step_down_at_once,
    a_key_made_in_the_dashboard_works_until_revoked,
    wrong_passwords_lock_one_address_out_and_never_the_owner,
    guesses_spread_over_many_addresses_are_bounded_per_account,
);
