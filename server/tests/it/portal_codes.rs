//! The portal's sign-in codes seen as a stranger probing for customers would see them: a wrong
//! code answers a customer's address and a stranger's alike, byte for byte, after the same
//! database work; only wrong codes count against the limits, so guesses never keep a customer
//! out of a right code; and the code travels in the email's body only, never in the subject
//! that the outbox keeps.

use std::sync::{Arc, Mutex};

use app::db::Engine;
use app::db::entities::email::{self, EmailKind};
use app::db::entities::portal_code;
use app::domain::{DomainError, outbox, portal};
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::json;

use crate::on_both_engines;
use crate::support::{TestApp, TestServer, card, code_in, one_time};

/// Buys `product` as `email`.
async fn buy(app: &TestApp, product: &str, email: &str) {
    app.api
        .post_ok(
            "/checkouts",
            json!({"product_id": product, "payment_method": card("4242424242424242"),
                   "customer": {"email": email, "name": "Ann Lee"}}),
        )
        .await;
}

/// The newest sign-in code email written to `to`.
async fn code_mail(app: &TestApp, to: &str) -> email::Model {
    email::Entity::find()
        .filter(email::Column::WorkspaceId.eq(&app.tenant.workspace_id))
        .filter(email::Column::ToAddress.eq(to))
        .filter(email::Column::Kind.eq(EmailKind::LoginCode))
        .order_by_desc(email::Column::Id)
        .one(&app.svc.db)
        .await
        .unwrap()
        .expect("a sign-in code email")
}

/// A code that is not `code`.
fn other_than(code: &str) -> &'static str {
    if code == "AAAAAA" { "BBBBBB" } else { "AAAAAA" }
}

/// Asks the test shop's sign-in page for a code, as the page does.
async fn ask_code(srv: &TestServer, email: &str) -> StatusCode {
    srv.client
        .post(srv.url("/rpc/portal/request_code"))
        .form(&[("slug", "shop"), ("email", email)])
        .send()
        .await
        .unwrap()
        .status()
}

/// What the sign-in page hears back for `code`: the status, every header but the request's
/// own id and date, and the body's bytes.
async fn typed(
    srv: &TestServer,
    email: &str,
    code: &str,
) -> (StatusCode, Vec<(String, String)>, String) {
    let res = srv
        .client
        .post(srv.url("/rpc/portal/sign_in"))
        .form(&[("slug", "shop"), ("email", email), ("code", code)])
        .send()
        .await
        .unwrap();
    let status = res.status();
    let mut headers: Vec<(String, String)> = res
        .headers()
        .iter()
        .filter(|(name, _)| !matches!(name.as_str(), "x-request-id" | "date"))
        .map(|(name, value)| {
            (
                name.as_str().to_owned(),
                value.to_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    headers.sort();
    (status, headers, res.text().await.unwrap())
}

async fn a_wrong_code_answers_a_customer_and_a_stranger_alike_after_the_same_work(engine: Engine) {
    let app = TestApp::on(engine).build().await;
    let srv = &app.api.srv;
    let kit = one_time(&app.api, 900, "EUR").await;
    buy(&app, &kit, "ann@example.com").await;
    buy(&app, &kit, "bob@example.com").await;
    assert_eq!(ask_code(srv, "ann@example.com").await, StatusCode::OK);
    assert_eq!(ask_code(srv, "nobody@example.com").await, StatusCode::OK);
    let code = code_in(&code_mail(&app, "ann@example.com").await.text_body);
    let wrong = other_than(&code);

    // Over the wire: a customer's address and a stranger's, each with a code asked for, and a
    // customer's and a stranger's without one, hear the very same bytes.
    let ann = typed(srv, "ann@example.com", wrong).await;
    assert_eq!(ann.0, StatusCode::BAD_REQUEST, "{}", ann.2);
    assert!(ann.2.contains("not right"), "{}", ann.2);
    assert!(!ann.2.contains("tries"), "no count of tries: {}", ann.2);
    for other in ["nobody@example.com", "bob@example.com", "never@example.com"] {
        assert_eq!(typed(srv, other, wrong).await, ann, "{other}");
    }

    // Underneath: the same statements, in the same order, each path finding a code row and
    // spending one of its tries.
    let seen: Arc<Mutex<Vec<String>>> = Arc::default();
    let mut watched = app.svc.clone();
    let log = Arc::clone(&seen);
    watched
        .db
        .set_metric_callback(move |info: &sea_orm::metric::Info<'_>| {
            log.lock().unwrap().push(info.statement.sql.clone());
        });
    let mut work = Vec::new();
    for who in ["ann@example.com", "nobody@example.com"] {
        seen.lock().unwrap().clear();
        let answer =
            portal::sign_in_with_code(&watched, "shop", who, wrong, Some("203.0.113.9")).await;
        let statements = std::mem::take(&mut *seen.lock().unwrap());
        work.push((format!("{answer:?}"), statements));
    }
    assert_eq!(work[0], work[1], "a customer's wrong code and a stranger's");
    assert!(
        work[0]
            .1
            .iter()
            .any(|sql| sql.starts_with("UPDATE") && sql.contains("portal_codes")),
        "{:?}",
        work[0].1
    );
    let rows = portal_code::Entity::find()
        .filter(portal_code::Column::WorkspaceId.eq(&app.tenant.workspace_id))
        .all(&app.svc.db)
        .await
        .unwrap();
    assert_eq!(rows.len(), 2, "one code each for Ann and the stranger");
    for row in &rows {
        assert_eq!(row.tries_left, portal::CODE_TRIES - 2, "{}", row.email);
        assert!(!row.email.contains("nobody"), "no stranger's address kept");
    }

    // Ann's right code still opens her portal.
    let (status, headers, body) = typed(srv, "ann@example.com", &code).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(headers.iter().any(|(name, _)| name == "set-cookie"));
    app.cleanup().await;
}

on_both_engines!(a_wrong_code_answers_a_customer_and_a_stranger_alike_after_the_same_work);

async fn wrong_guesses_are_capped_yet_never_keep_a_customer_from_a_right_code(engine: Engine) {
    let app = TestApp::on(engine).build().await;
    let kit = one_time(&app.api, 900, "EUR").await;
    buy(&app, &kit, "ann@example.com").await;
    let svc = &app.svc;
    let guesser = "198.51.100.7";
    let wrong = |email: String, ip: String| async move {
        portal::sign_in_with_code(svc, "shop", &email, "AAAAAA", Some(ip.as_str())).await
    };

    // One client guessing across addresses: its failures are capped.
    for i in 0..portal::CODE_TRY_IP.limit {
        match wrong(format!("guess{i}@example.com"), guesser.into()).await {
            Err(DomainError::Invalid { field, .. }) => assert_eq!(field, "code"),
            other => panic!("{other:?}"),
        }
    }
    assert!(matches!(
        wrong("one-more@example.com".into(), guesser.into()).await,
        Err(DomainError::RateLimited { .. })
    ));

    // Many clients guessing at Ann's address: its failures are capped too.
    for i in 0..portal::CODE_TRY_EMAIL.limit {
        match wrong("ann@example.com".into(), format!("192.0.2.{i}")).await {
            Err(DomainError::Invalid { field, .. }) => assert_eq!(field, "code"),
            other => panic!("{other:?}"),
        }
    }
    assert!(matches!(
        wrong("ann@example.com".into(), "192.0.2.200".into()).await,
        Err(DomainError::RateLimited { .. })
    ));

    // Ann asks for a code and types it, even from the guesser's address: a right code is
    // accepted while it is live, whatever others guessed before.
    portal::request_code(svc, "shop", "ann@example.com", Some("203.0.113.5"))
        .await
        .unwrap();
    let code = code_in(&code_mail(&app, "ann@example.com").await.text_body);
    let opened =
        portal::sign_in_with_code(svc, "shop", "ann@example.com", &code, Some(guesser)).await;
    assert!(
        matches!(opened, Ok(portal::Opened::Session { .. })),
        "{opened:?}"
    );
    app.cleanup().await;
}

on_both_engines!(wrong_guesses_are_capped_yet_never_keep_a_customer_from_a_right_code);

async fn a_code_email_keeps_the_code_out_of_its_subject_and_file_name(engine: Engine) {
    let app = TestApp::on(engine).build().await;
    let kit = one_time(&app.api, 900, "EUR").await;
    buy(&app, &kit, "ann@example.com").await;
    portal::request_code(&app.svc, "shop", "ann@example.com", None)
        .await
        .unwrap();
    let queued = code_mail(&app, "ann@example.com").await;
    let code = code_in(&queued.text_body);
    assert!(
        queued.subject.starts_with("Your sign-in code for"),
        "{}",
        queued.subject
    );
    assert!(!queued.subject.contains(&code), "{}", queued.subject);

    // Sent as a file: the name and the headers hold no code; the body, read by Ann, does.
    let dir = tempfile::tempdir().unwrap();
    let files =
        server::adapters::mail::LettreMailer::new("receipts@shop.example", None, dir.path())
            .unwrap();
    assert_eq!(outbox::deliver_due(&app.svc, &files).await.unwrap().sent, 2);
    let sent = code_mail(&app, "ann@example.com").await;
    let file = sent.delivered_as.clone().expect("where the email went");
    assert!(!file.contains(&code), "{file}");
    let eml = std::fs::read_to_string(&file).unwrap();
    let (head, body) = eml.split_once("\r\n\r\n").expect("headers, then a body");
    assert!(!head.contains(&code), "{head}");
    assert!(body.contains(&code), "Ann still reads her code");

    // What the outbox keeps once the email is sent holds no code.
    assert_eq!(sent.subject, queued.subject);
    assert!(!sent.subject.contains(&code));
    assert!(!sent.text_body.contains(&code), "{}", sent.text_body);
    app.cleanup().await;
}

on_both_engines!(a_code_email_keeps_the_code_out_of_its_subject_and_file_name);
