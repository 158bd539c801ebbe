//! The portal's other doors and what a signed-in customer may do: the receipt every payment
//! writes to the outbox (with a signed link that rotation voids), the sign-in by emailed code,
//! the choice between customer records of one address, cancelling and keeping a subscription
//! as the customer (audited), and the outbox job that sends each email exactly once. A
//! merchant's read-only view acts as the user who opened it (their role, on record as them) and
//! changes nothing; replacing a card is limited, answers one sentence, and honours bans. The
//! view opens only by a POST from the dashboard itself, and a receipt's link asks before it
//! replaces another customer's session.

use std::sync::Arc;

use app::db::Engine;
use app::db::entities::email::{self, EmailKind, EmailStatus};
use app::domain::outbox::{self, Mailer, OutgoingEmail};
use app::domain::portal;
use app::types::CustomerId;
use chrono::Duration;
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};

use crate::on_both_engines;
use crate::support::{TestApp, TestServer, card, code_in, member, monthly, one_time};

/// Buys `product` as `email` (named `name`); answers the customer's id.
async fn buy(app: &TestApp, product: &str, email: &str, name: &str) -> String {
    let c = app
        .api
        .post_ok(
            "/checkouts",
            json!({"product_id": product, "payment_method": card("4242424242424242"),
                   "customer": {"email": email, "name": name}}),
        )
        .await;
    c["customer"]["id"].as_str().unwrap().to_owned()
}

/// The emails written to `to`, oldest first.
async fn mail_to(app: &TestApp, to: &str) -> Vec<email::Model> {
    email::Entity::find()
        .filter(email::Column::WorkspaceId.eq(&app.tenant.workspace_id))
        .filter(email::Column::ToAddress.eq(to))
        .order_by_asc(email::Column::Id)
        .all(&app.svc.db)
        .await
        .unwrap()
}

/// The portal link in a receipt's text.
fn link_in(text: &str) -> String {
    text.split_whitespace()
        .find(|w| w.contains("/portal/link/"))
        .unwrap_or_else(|| panic!("no portal link in {text}"))
        .to_owned()
}

/// Opens a link without following the redirect: where it leads and the cookie it set.
async fn open(srv: &TestServer, url: &str) -> (String, Option<String>) {
    let res = srv.client.get(url).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "{url}");
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    let cookie = res
        .headers()
        .get("set-cookie")
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_owned());
    (location, cookie)
}

/// Calls a portal server function with form fields, as the page does.
async fn rpc(
    srv: &TestServer,
    cookie: Option<&str>,
    path: &str,
    form: &[(&str, &str)],
) -> (StatusCode, Value, Option<String>) {
    let mut req = srv.client.post(srv.url(&format!("/rpc/portal/{path}")));
    if let Some(c) = cookie {
        req = req.header("cookie", c);
    }
    let res = req.form(form).send().await.unwrap();
    let status = res.status();
    let set = res
        .headers()
        .get("set-cookie")
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_owned());
    (status, res.json().await.unwrap_or(Value::Null), set)
}

/// Asks the test shop's sign-in page for a code for `email`.
async fn ask_code(
    srv: &TestServer,
    slug: &str,
    email: &str,
) -> (StatusCode, Value, Option<String>) {
    rpc(
        srv,
        None,
        "request_code",
        &[("slug", slug), ("email", email)],
    )
    .await
}

/// Signs in at a shop's sign-in page with `code`: the status, the answer and the cookie set.
async fn sign_in(
    srv: &TestServer,
    slug: &str,
    email: &str,
    code: &str,
) -> (StatusCode, Value, Option<String>) {
    rpc(
        srv,
        None,
        "sign_in",
        &[("slug", slug), ("email", email), ("code", code)],
    )
    .await
}

/// The newest sign-in code emailed to `email`, read before the outbox sends it.
async fn last_code(app: &TestApp, email: &str) -> String {
    let mail = mail_to(app, email)
        .await
        .into_iter()
        .rev()
        .find(|m| m.kind == EmailKind::LoginCode)
        .expect("a code email");
    code_in(&mail.text_body)
}

/// The customer's activity as the shop sees it, newest first.
async fn activity_of(
    app: &TestApp,
    customer: &str,
) -> app::types::Page<app::types::activity::ActivityEntry> {
    app::domain::activity::customer_activity(
        &app.svc,
        &app.caller,
        &CustomerId::parse(customer).unwrap(),
        None,
        app::domain::Limit::LARGEST,
        None,
    )
    .await
    .unwrap()
}

/// What the portal's front door shows the holder of `cookie`.
async fn state(srv: &TestServer, cookie: &str) -> Value {
    let (status, body, _) = rpc(srv, Some(cookie), "overview", &[]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

/// Collects what a mailer was handed, failing for one address.
#[derive(Debug, Default)]
struct Recorder {
    sent: std::sync::Mutex<Vec<OutgoingEmail>>,
    refuse: Option<String>,
}

#[async_trait::async_trait]
impl Mailer for Recorder {
    async fn send(&self, email: &OutgoingEmail) -> Result<String, String> {
        if self.refuse.as_deref() == Some(email.to.as_str()) {
            return Err("550 mailbox unavailable".into());
        }
        self.sent.lock().unwrap().push(email.clone());
        Ok("250 accepted".into())
    }
}

async fn a_paid_checkout_sends_a_receipt_whose_link_signs_in_until_rotated(engine: Engine) {
    let app = TestApp::on(engine).build().await;
    let srv = &app.api.srv;
    let kit = one_time(&app.api, 1500, "EUR").await;
    let ann = buy(&app, &kit, "ann@example.com", "Ann Lee").await;

    let mails = mail_to(&app, "ann@example.com").await;
    assert_eq!(mails.len(), 1, "one receipt per payment");
    let receipt = &mails[0];
    assert_eq!(receipt.kind, EmailKind::Receipt);
    assert_eq!(receipt.status, EmailStatus::Pending);
    assert_eq!(
        receipt.customer_id.as_ref().map(|c| c.to_string()),
        Some(ann.clone())
    );
    assert!(
        receipt.subject.starts_with("Your receipt from Shop"),
        "{}",
        receipt.subject
    );
    assert!(receipt.text_body.contains("Hello Ann Lee,"));
    assert!(
        receipt.text_body.contains("15.00 EUR"),
        "{}",
        receipt.text_body
    );

    // Sent as an .eml file (the embedded default), named by the email's id.
    let dir = tempfile::tempdir().unwrap();
    let files =
        server::adapters::mail::LettreMailer::new("receipts@shop.example", None, dir.path())
            .unwrap();
    let report = outbox::deliver_due(&app.svc, &files).await.unwrap();
    assert_eq!(report.sent, 1);
    let eml = std::fs::read_to_string(dir.path().join(format!("mail/{}.eml", receipt.id))).unwrap();
    assert!(eml.contains("To: ann@example.com"), "{eml}");
    assert!(eml.contains("From: Shop <receipts@shop.example>"), "{eml}");
    assert!(
        eml.contains(&format!("Message-ID: <{}@shop.example>", receipt.id)),
        "{eml}"
    );
    let sent = &mail_to(&app, "ann@example.com").await[0];
    assert_eq!(sent.status, EmailStatus::Sent);
    assert!(sent.delivered_as.as_deref().unwrap().ends_with(".eml"));
    assert_eq!(
        outbox::deliver_due(&app.svc, &files).await.unwrap().sent,
        0,
        "sent once"
    );

    // The link signs Ann in, however often she opens it.
    let link = link_in(&receipt.text_body);
    assert!(link.starts_with(&srv.base), "{link}");
    let (location, cookie) = open(srv, &link).await;
    assert_eq!(location, "/portal");
    let cookie = cookie.expect("a portal session");
    let seen = state(srv, &cookie).await;
    assert_eq!(seen["SignedIn"]["email"], "ann@example.com", "{seen}");
    let (_, again) = open(srv, &link).await;
    assert!(again.is_some(), "a receipt's link works more than once");

    // A forged or altered link is refused, and the refusal offers the shop's code sign-in.
    let flipped = if link.ends_with('0') { '1' } else { '0' };
    let forged = format!("{}{flipped}", &link[..link.len() - 1]);
    assert_eq!(
        open(srv, &forged).await,
        ("/portal/shop?link=expired".into(), None)
    );

    // Rotation voids every link sent before and ends the customer's sessions.
    let ann_id = CustomerId::parse(&ann).unwrap();
    let fresh = portal::rotate_portal_link(&app.svc, &app.caller, &ann_id)
        .await
        .unwrap();
    assert_eq!(
        open(srv, &link).await,
        ("/portal/shop?link=expired".into(), None)
    );
    assert_eq!(state(srv, &cookie).await, json!("SignedOut"));
    let (_, cookie) = open(srv, &fresh.url).await;
    assert!(cookie.is_some(), "the new link works");

    // A link works for 30 days.
    app.clock.advance(Duration::days(30) + Duration::minutes(1));
    assert_eq!(open(srv, &fresh.url).await.1, None);
    app.cleanup().await;
}

async fn a_renewal_sends_a_receipt_too(engine: Engine) {
    let app = TestApp::on(engine).build().await;
    let vip = monthly(&app.api, 900, "EUR").await;
    buy(&app, &vip, "sub@example.com", "Sam Sub").await;
    let report = app.tick(Duration::days(32)).await;
    assert_eq!(report.renewed, 1);
    let mails = mail_to(&app, "sub@example.com").await;
    assert_eq!(mails.len(), 2, "the checkout's and the renewal's");
    assert!(
        mails[1].subject.ends_with("VIP (renewal)"),
        "{}",
        mails[1].subject
    );
    app.cleanup().await;
}

async fn a_code_signs_in_once_and_answers_the_same_for_strangers(engine: Engine) {
    let app = TestApp::on(engine).build().await;
    let srv = &app.api.srv;
    let kit = one_time(&app.api, 900, "EUR").await;
    buy(&app, &kit, "ann@example.com", "Ann Lee").await;

    // Someone who never bought hears the same, and no email is written.
    let (status, body, _) = ask_code(srv, "shop", "nobody@example.com").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(mail_to(&app, "nobody@example.com").await.is_empty());
    let (status, _, _) = ask_code(srv, "no-such-shop", "ann@example.com").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, body, _) = ask_code(srv, "shop", "not an email").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.to_string().contains("email"), "{body}");

    let (status, _, _) = ask_code(srv, "shop", " Ann@Example.com ").await;
    assert_eq!(status, StatusCode::OK);
    let mails = mail_to(&app, "ann@example.com").await;
    let mail = mails
        .iter()
        .find(|m| m.kind == EmailKind::LoginCode)
        .expect("a code email");
    let code = code_in(&mail.text_body);
    assert!(!mail.subject.contains(&code), "{}", mail.subject);
    assert!(mail.text_body.contains(&code));

    let try_code =
        |code: String| async move { sign_in(srv, "shop", "ann@example.com", &code).await };
    let wrong = if code == "AAAAAA" { "BBBBBB" } else { "AAAAAA" };
    let (status, body, cookie) = try_code(wrong.into()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.to_string().contains("not right"), "{body}");
    assert!(cookie.is_none());
    // Typed in lower case with a space: still right.
    let typed = format!("{} {}", code[..3].to_lowercase(), &code[3..]);
    let (status, body, cookie) = try_code(typed).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let cookie = cookie.expect("a portal session");
    assert_eq!(
        state(srv, &cookie).await["SignedIn"]["email"],
        "ann@example.com"
    );
    let (status, body, _) = try_code(code.clone()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "a code works once");
    assert!(body.to_string().contains("ask for a new one"), "{body}");

    // The code is not kept once sent.
    let recorder = Recorder::default();
    outbox::deliver_due(&app.svc, &recorder).await.unwrap();
    let sent = mail_to(&app, "ann@example.com").await;
    let code_mail = sent
        .iter()
        .find(|m| m.kind == EmailKind::LoginCode)
        .unwrap();
    assert!(
        !code_mail.text_body.contains(&code),
        "{}",
        code_mail.text_body
    );
    app.cleanup().await;
}

async fn five_wrong_tries_void_a_code_and_requests_are_limited(engine: Engine) {
    let app = TestApp::on(engine).build().await;
    let srv = &app.api.srv;
    let kit = one_time(&app.api, 900, "EUR").await;
    buy(&app, &kit, "ann@example.com", "Ann Lee").await;
    ask_code(srv, "shop", "ann@example.com").await;
    let code = last_code(&app, "ann@example.com").await;
    let wrong = if code == "AAAAAA" { "BBBBBB" } else { "AAAAAA" };
    for _ in 0..portal::CODE_TRIES {
        let (status, _, _) = sign_in(srv, "shop", "ann@example.com", wrong).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
    }
    let (status, body, cookie) = sign_in(srv, "shop", "ann@example.com", &code).await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "the right code comes too late"
    );
    assert!(body.to_string().contains("ask for a new one"), "{body}");
    assert!(cookie.is_none());

    // Four more requests fill the address's allowance of five; the next is refused.
    for _ in 0..4 {
        let (status, _, _) = ask_code(srv, "shop", "ann@example.com").await;
        assert_eq!(status, StatusCode::OK);
    }
    let (status, body, _) = ask_code(srv, "shop", "ann@example.com").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert_eq!(body["kind"], "rate_limited", "{body}");
    assert!(body["retry_after_seconds"].as_u64().unwrap() > 0, "{body}");
    app.cleanup().await;
}

async fn an_address_of_several_customers_picks_one_after_signing_in(engine: Engine) {
    let app = TestApp::on(engine).build().await;
    let srv = &app.api.srv;
    let kit = one_time(&app.api, 900, "EUR").await;
    let first = app
        .api
        .post_ok(
            "/customers",
            json!({"email": "pat@example.com", "name": "Pat (work)"}),
        )
        .await;
    let second = app
        .api
        .post_ok(
            "/customers",
            json!({"email": "pat@example.com", "name": "Pat (home)"}),
        )
        .await;
    let other = buy(&app, &kit, "zoe@example.com", "Zoe").await;
    ask_code(srv, "shop", "pat@example.com").await;
    let code = last_code(&app, "pat@example.com").await;
    let (_, _, cookie) = sign_in(srv, "shop", "pat@example.com", &code).await;
    let cookie = cookie.unwrap();
    let choosing = state(srv, &cookie).await;
    let names: Vec<&str> = choosing["Choosing"]["customers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Pat (work)", "Pat (home)"]);
    // Before choosing, nothing of either is readable.
    let (status, _, _) = rpc(
        srv,
        Some(&cookie),
        "recover_subscription",
        &[("id", "sub_0")],
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // Only one of the address's records can be chosen.
    let (status, _, _) = rpc(srv, Some(&cookie), "choose", &[("customer_id", &other)]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, _) = rpc(
        srv,
        Some(&cookie),
        "choose",
        &[("customer_id", second["id"].as_str().unwrap())],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let seen = state(srv, &cookie).await;
    assert_eq!(seen["SignedIn"]["name"], "Pat (home)", "{seen}");
    assert!(!seen.to_string().contains(first["id"].as_str().unwrap()));
    app.cleanup().await;
}

async fn a_customer_cancels_and_keeps_only_their_own_subscription(engine: Engine) {
    let app = TestApp::on(engine).build().await;
    let srv = &app.api.srv;
    let vip = monthly(&app.api, 900, "EUR").await;
    let ann = buy(&app, &vip, "ann@example.com", "Ann Lee").await;
    let bob = buy(&app, &vip, "bob@example.com", "Bob Ray").await;
    let api = &app.api;
    let sub_of = |customer: String| async move {
        let subs = api
            .get_ok(&format!("/customers/{customer}/subscriptions"))
            .await["data"]
            .clone();
        let subs = subs.get("data").unwrap_or(&subs);
        subs[0]["id"].as_str().unwrap().to_owned()
    };
    let ann_sub = sub_of(ann.clone()).await;
    let bob_sub = sub_of(bob.clone()).await;
    let link = api
        .post_ok("/customer_sessions", json!({"customer_id": ann}))
        .await;
    let ann_cookie = open(srv, link["url"].as_str().unwrap()).await.1.unwrap();

    // Bob's subscription is not Ann's to touch: 404, as if it did not exist.
    for path in ["cancel_subscription", "recover_subscription"] {
        let (status, _, _) = rpc(
            srv,
            Some(&ann_cookie),
            path,
            &[("id", &bob_sub), ("reason", "unused"), ("comment", "")],
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
    }
    // Bad input names its field.
    let (status, body, _) = rpc(
        srv,
        Some(&ann_cookie),
        "cancel_subscription",
        &[("id", &ann_sub), ("reason", "other"), ("comment", " ")],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.to_string().contains("comment"), "{body}");

    let (status, body, _) = rpc(
        srv,
        Some(&ann_cookie),
        "cancel_subscription",
        &[
            ("id", &ann_sub),
            ("reason", "too_expensive"),
            ("comment", "Cheaper elsewhere"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let sub = app.api.get_ok(&format!("/subscriptions/{ann_sub}")).await;
    assert_eq!(sub["cancel_at_period_end"], true);
    assert_eq!(sub["status"], "active", "kept until the period ends");
    let bob_still = app.api.get_ok(&format!("/subscriptions/{bob_sub}")).await;
    assert_eq!(bob_still["cancel_at_period_end"], false);

    // The merchant sees who did it and why in the Activity tab.
    let activity = activity_of(&app, &ann).await;
    let entry = activity
        .data
        .iter()
        .find(|e| e.action.as_str() == "subscription.cancel_scheduled")
        .expect("the cancellation is in the activity");
    assert_eq!(
        entry.actor_type,
        app::types::activity::ActorKind::PortalCustomer
    );
    assert_eq!(entry.actor, "The customer (portal)");
    assert!(
        entry.changes.iter().any(|c| c
            .after
            .as_deref()
            .is_some_and(|a| a.contains("Cheaper elsewhere"))),
        "{:?}",
        entry.changes
    );

    let (status, _, _) = rpc(
        srv,
        Some(&ann_cookie),
        "recover_subscription",
        &[("id", &ann_sub)],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let sub = app.api.get_ok(&format!("/subscriptions/{ann_sub}")).await;
    assert_eq!(sub["cancel_at_period_end"], false);

    // The merchant's read-only view as Ann changes nothing.
    let (_, owner) = merchant(&app, "owner@shop.example", app::types::Role::Owner).await;
    let view_cookie = view_as(&app, &owner, &ann).await;
    assert_eq!(
        state(srv, &view_cookie).await["SignedIn"]["read_only"],
        true
    );
    let (status, body, _) = rpc(
        srv,
        Some(&view_cookie),
        "cancel_subscription",
        &[("id", &ann_sub), ("reason", "unused"), ("comment", "")],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(body.to_string().contains("read_only_session"), "{body}");
    app.cleanup().await;
}

async fn a_customer_reveals_downloads_and_links_only_their_own_items(engine: Engine) {
    let app = TestApp::on(engine).build().await;
    let srv = &app.api.srv;
    let api = &app.api;
    let kit = one_time(api, 900, "EUR").await;
    let vip = monthly(api, 500, "EUR").await;
    let ann = buy(&app, &kit, "ann@example.com", "Ann Lee").await;
    let c = api
        .post_ok(
            "/checkouts",
            json!({"product_id": vip, "customer_id": ann, "payment_method": card("4242424242424242")}),
        )
        .await;
    assert_eq!(c["customer"]["id"], ann.as_str());
    let bob = buy(&app, &kit, "bob@example.com", "Bob Ray").await;
    let cookie_of = |customer: String| async move {
        let link = api
            .post_ok("/customer_sessions", json!({"customer_id": customer}))
            .await;
        open(srv, link["url"].as_str().unwrap()).await.1.unwrap()
    };
    let ann_cookie = cookie_of(ann.clone()).await;
    let bob_cookie = cookie_of(bob.clone()).await;
    let items_of = |cookie: String| async move {
        state(srv, &cookie).await["SignedIn"]["items"]
            .as_array()
            .unwrap()
            .clone()
    };
    let ann_items = items_of(ann_cookie.clone()).await;
    let find = |items: &[Value], kind: &str| {
        items
            .iter()
            .find(|i| i["kind"] == kind)
            .unwrap_or_else(|| panic!("no {kind} in {items:?}"))
            .clone()
    };
    let key = find(&ann_items, "license_key");
    let file = find(&ann_items, "file_download");
    let discord = find(&ann_items, "discord_role");
    assert_eq!(file["label"], "kit.zip");
    assert!(
        !Value::Array(ann_items.clone())
            .to_string()
            .contains("files.example.com"),
        "a file's address is never shown"
    );
    let masked = key["license_key"].as_str().unwrap();
    assert!(masked.contains('•'), "{masked}");
    let bob_items = items_of(bob_cookie.clone()).await;
    let bob_key = find(&bob_items, "license_key");
    let bob_file = find(&bob_items, "file_download");

    // Her own key, in full; Bob's is not hers to see.
    let (status, full, _) = rpc(
        srv,
        Some(&ann_cookie),
        "reveal_key",
        &[("id", key["id"].as_str().unwrap())],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{full}");
    let full = full.as_str().unwrap();
    assert!(full.starts_with("NWG-") && !full.contains('•'), "{full}");
    assert!(full.ends_with(&masked[masked.len() - 5..]));
    let (status, _, _) = rpc(
        srv,
        Some(&ann_cookie),
        "reveal_key",
        &[("id", bob_key["id"].as_str().unwrap())],
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Her own file through a signed link; Bob's is not hers.
    let (status, url, _) = rpc(
        srv,
        Some(&ann_cookie),
        "download",
        &[("id", file["id"].as_str().unwrap())],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{url}");
    let res = srv
        .client
        .get(srv.url(url.as_str().unwrap()))
        .send()
        .await
        .unwrap();
    // Streamed by Patron (`hardening` serves a real file); never a redirect to its address.
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(res.headers().get("location").is_none());
    let (status, _, _) = rpc(
        srv,
        Some(&ann_cookie),
        "download",
        &[("id", bob_file["id"].as_str().unwrap())],
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Her Discord user: a bad id names the field; Bob cannot set hers.
    let discord_id = discord["id"].as_str().unwrap();
    let (status, body, _) = rpc(
        srv,
        Some(&ann_cookie),
        "link_discord",
        &[("id", discord_id), ("discord_user_id", "123")],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.to_string().contains("discord_user_id"), "{body}");
    let (status, _, _) = rpc(
        srv,
        Some(&bob_cookie),
        "link_discord",
        &[
            ("id", discord_id),
            ("discord_user_id", "223456789012345678"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, _) = rpc(
        srv,
        Some(&ann_cookie),
        "link_discord",
        &[
            ("id", discord_id),
            ("discord_user_id", "223456789012345678"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let linked = find(&items_of(ann_cookie.clone()).await, "discord_role");
    assert_eq!(linked["discord_user_id"], "223456789012345678");

    // The shop sees what she did, as hers.
    let activity = activity_of(&app, &ann).await;
    for action in [
        "entitlement.license_key_revealed",
        "entitlement.download_link_created",
        "entitlement.discord_linked",
    ] {
        let entry = activity
            .data
            .iter()
            .find(|e| e.action.as_str() == action)
            .unwrap_or_else(|| panic!("{action}"));
        assert_eq!(
            entry.actor_type,
            app::types::activity::ActorKind::PortalCustomer,
            "{action}"
        );
    }

    // The merchant's read-only view reads (as support, who may see keys), and changes nothing.
    let (_, support) = merchant(&app, "support@shop.example", app::types::Role::Support).await;
    let view_cookie = view_as(&app, &support, &ann).await;
    let (status, _, _) = rpc(
        srv,
        Some(&view_cookie),
        "reveal_key",
        &[("id", key["id"].as_str().unwrap())],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _, _) = rpc(
        srv,
        Some(&view_cookie),
        "link_discord",
        &[("id", discord_id), ("discord_user_id", "")],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    app.cleanup().await;
}

async fn a_past_due_customer_replaces_the_card_and_the_next_tick_renews(engine: Engine) {
    let app = TestApp::on(engine).build().await;
    let srv = &app.api.srv;
    let api = &app.api;
    let vip = monthly(api, 500, "EUR").await;
    // This test card pays once, then every later charge of it is declined.
    let c = api
        .post_ok(
            "/checkouts",
            json!({"product_id": vip, "payment_method": card("4000000000000341"),
                   "customer": {"email": "late@example.com", "name": "Lou Late"}}),
        )
        .await;
    let lou = c["customer"]["id"].as_str().unwrap().to_owned();
    let sub = c["subscription"]["id"].as_str().unwrap().to_owned();
    let bob = buy(&app, &vip, "bob@example.com", "Bob Ray").await;
    let bob_sub = api.get_ok(&format!("/customers/{bob}/subscriptions")).await["data"].clone();
    let bob_sub = bob_sub.get("data").unwrap_or(&bob_sub)[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let report = app.tick(Duration::days(31)).await;
    assert_eq!(report.failed, 1);
    assert_eq!(
        api.get_ok(&format!("/subscriptions/{sub}")).await["status"],
        "past_due"
    );

    let link = api
        .post_ok("/customer_sessions", json!({"customer_id": lou}))
        .await;
    let cookie = open(srv, link["url"].as_str().unwrap()).await.1.unwrap();
    let shown = state(srv, &cookie).await;
    assert_eq!(
        shown["SignedIn"]["subscriptions"][0]["payment_method"],
        "Visa •••• 0341"
    );
    let update = |id: String, number: &'static str| {
        let cookie = cookie.clone();
        async move {
            rpc(
                srv,
                Some(&cookie),
                "payment_method",
                &[("id", &id), ("card_number", number)],
            )
            .await
        }
    };

    // A declined card and a mistyped one change nothing; only the mistyped one says why.
    let (status, body, _) = update(sub.clone(), "4000000000000002").await;
    assert_eq!(status, StatusCode::PAYMENT_REQUIRED, "{body}");
    assert!(body.to_string().contains("was not accepted"), "{body}");
    let (status, body, _) = update(sub.clone(), "4242 4242 4242 4243").await;
    assert_eq!(status, StatusCode::PAYMENT_REQUIRED, "{body}");
    assert!(body.to_string().contains("payment_method.number"), "{body}");
    let (status, _, _) = update(bob_sub.clone(), "5555555555554444").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "not Lou's subscription");
    let still = state(srv, &cookie).await;
    assert_eq!(
        still["SignedIn"]["subscriptions"][0]["payment_method"],
        "Visa •••• 0341"
    );

    let (status, body, _) = update(sub.clone(), "5555 5555 5555 4444").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let now = state(srv, &cookie).await;
    assert_eq!(
        now["SignedIn"]["subscriptions"][0]["payment_method"],
        "Mastercard •••• 4444"
    );

    // The next tick of the billing clock collects with the new card.
    let report = app.tick(Duration::minutes(1)).await;
    assert_eq!(report.renewed, 1, "{report:?}");
    assert_eq!(
        api.get_ok(&format!("/subscriptions/{sub}")).await["status"],
        "active"
    );
    let activity = activity_of(&app, &lou).await;
    let entry = activity
        .data
        .iter()
        .find(|e| e.action.as_str() == "subscription.payment_method_updated")
        .expect("the change is in the activity");
    assert_eq!(
        entry.actor_type,
        app::types::activity::ActorKind::PortalCustomer
    );
    let change = entry
        .changes
        .iter()
        .find(|c| c.field == "payment_method")
        .unwrap();
    assert_eq!(change.before.as_deref(), Some("Visa •••• 0341"));
    assert_eq!(change.after.as_deref(), Some("Mastercard •••• 4444"));
    app.cleanup().await;
}

async fn a_receipt_prints_and_downloads_as_pdf_for_its_customer_only(engine: Engine) {
    let app = TestApp::on(engine).build().await;
    let srv = &app.api.srv;
    let api = &app.api;
    let kit = one_time(api, 1250, "EUR").await;
    let c = api
        .post_ok(
            "/checkouts",
            json!({"product_id": kit, "payment_method": card("4242424242424242"),
                   "customer": {"email": "ann@example.com", "name": "Ann Lee", "country": "DE"}}),
        )
        .await;
    let order = c["order"]["id"].as_str().unwrap().to_owned();
    let ann = c["customer"]["id"].as_str().unwrap().to_owned();
    let bob = buy(&app, &kit, "bob@example.com", "Bob Ray").await;
    let (status, declined) =
        crate::support::checkout(api, &kit, "ann@example.com", card("4000000000000002")).await;
    assert_eq!(status, StatusCode::PAYMENT_REQUIRED, "{declined}");
    let cookie_of = |customer: String| async move {
        let link = api
            .post_ok("/customer_sessions", json!({"customer_id": customer}))
            .await;
        open(srv, link["url"].as_str().unwrap()).await.1.unwrap()
    };
    let ann_cookie = cookie_of(ann).await;
    let bob_cookie = cookie_of(bob).await;
    let orders = state(srv, &ann_cookie).await["SignedIn"]["orders"].clone();
    let failed = orders
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["status"] == "failed")
        .unwrap_or_else(|| panic!("{orders}"));
    assert_eq!(failed["paid"], false, "a failed payment has no receipt");

    let (status, receipt, _) = rpc(srv, Some(&ann_cookie), "receipt", &[("id", &order)]).await;
    assert_eq!(status, StatusCode::OK, "{receipt}");
    assert_eq!(receipt["amount"], 1250);
    assert_eq!(receipt["payment_method"], "Visa •••• 4242");
    assert_eq!(receipt["name"], "Ann Lee");
    assert_eq!(receipt["country"], "DE");
    let (status, _, _) = rpc(srv, Some(&bob_cookie), "receipt", &[("id", &order)]).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "not Bob's order");
    let (status, _, _) = rpc(
        srv,
        Some(&ann_cookie),
        "receipt",
        &[("id", failed["id"].as_str().unwrap())],
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "never paid");

    let pdf = |cookie: Option<String>| {
        let url = srv.url(&format!("/portal/orders/{order}/receipt.pdf"));
        async move {
            let mut req = srv.client.get(url);
            if let Some(c) = cookie {
                req = req.header("cookie", c);
            }
            req.send().await.unwrap()
        }
    };
    let res = pdf(Some(ann_cookie.clone())).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "application/pdf");
    assert!(
        res.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains(&format!("receipt-{order}.pdf"))
    );
    let bytes = res.bytes().await.unwrap();
    assert!(bytes.starts_with(b"%PDF-"));
    let text = String::from_utf8_lossy(&bytes);
    for expected in [order.as_str(), "12.50 EUR", "Paid with", "Ann Lee"] {
        let wanted: Vec<u8> = expected.chars().map(|c| c as u8).collect();
        assert!(
            bytes.windows(wanted.len()).any(|w| w == wanted.as_slice()),
            "{expected} in the PDF:\n{text}"
        );
    }
    assert_eq!(pdf(Some(bob_cookie)).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(pdf(None).await.status(), StatusCode::NOT_FOUND);
    app.cleanup().await;
}

/// A portal session reaches nothing of another shop: every portal function and route that takes
/// an id answers 404 for another workspace's subscription, item or order, and changes nothing.
async fn a_session_reaches_nothing_of_another_shop(engine: Engine) {
    let app = TestApp::on(engine).build().await;
    let srv = &app.api.srv;
    let kit = one_time(&app.api, 900, "EUR").await;
    let ann = buy(&app, &kit, "ann@example.com", "Ann Lee").await;
    let link = app
        .api
        .post_ok("/customer_sessions", json!({"customer_id": ann}))
        .await;
    let cookie = open(srv, link["url"].as_str().unwrap()).await.1.unwrap();

    let other =
        crate::support::Tenant::create(&app.svc, "Elsewhere", &app::types::Scope::ALL).await;
    let elsewhere = crate::support::Api {
        srv: TestServer::start(app.svc.clone()).await,
        key: other.key,
    };
    let their_kit = one_time(&elsewhere, 900, "EUR").await;
    let their_vip = monthly(&elsewhere, 500, "EUR").await;
    let eve = elsewhere
        .post_ok(
            "/checkouts",
            json!({"product_id": their_kit, "payment_method": card("4242424242424242"),
                   "customer": {"email": "ann@example.com", "name": "Eve"}}),
        )
        .await;
    let eve_id = eve["customer"]["id"].as_str().unwrap().to_owned();
    let order = eve["order"]["id"].as_str().unwrap().to_owned();
    let sub = elsewhere
        .post_ok(
            "/checkouts",
            json!({"product_id": their_vip, "customer_id": eve_id,
                   "payment_method": card("4242424242424242")}),
        )
        .await["subscription"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let items = elsewhere
        .get_ok(&format!("/customers/{eve_id}/entitlements"))
        .await["data"]
        .clone();
    let items = items
        .get("data")
        .unwrap_or(&items)
        .as_array()
        .unwrap()
        .clone();
    let item_of = |kind: &str| {
        items
            .iter()
            .find(|i| i["benefit"]["kind"] == kind)
            .unwrap_or_else(|| panic!("no {kind}"))["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let (key, file, discord) = (
        item_of("license_key"),
        item_of("file_download"),
        item_of("discord_role"),
    );

    let calls: Vec<(&str, Vec<(&str, &str)>)> = vec![
        (
            "cancel_subscription",
            vec![("id", &sub), ("reason", "unused"), ("comment", "")],
        ),
        ("recover_subscription", vec![("id", &sub)]),
        (
            "payment_method",
            vec![("id", &sub), ("card_number", "5555555555554444")],
        ),
        ("reveal_key", vec![("id", &key)]),
        ("download", vec![("id", &file)]),
        (
            "link_discord",
            vec![("id", &discord), ("discord_user_id", "223456789012345678")],
        ),
        ("receipt", vec![("id", &order)]),
    ];
    for (path, form) in &calls {
        let (status, body, _) = rpc(srv, Some(&cookie), path, form).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}: {body}");
    }
    // Not a choice between records of one address: choosing anyone is refused.
    let (status, _, _) = rpc(srv, Some(&cookie), "choose", &[("customer_id", &eve_id)]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let res = srv
        .client
        .get(srv.url(&format!("/portal/orders/{order}/receipt.pdf")))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    // Eve's shop is untouched, and Ann still sees only Ann.
    let theirs = elsewhere.get_ok(&format!("/subscriptions/{sub}")).await;
    assert_eq!(theirs["cancel_at_period_end"], false);
    assert!(theirs.to_string().contains("4242"), "{theirs}");
    let seen = state(srv, &cookie).await;
    assert_eq!(seen["SignedIn"]["name"], "Ann Lee");
    assert!(!seen.to_string().contains(&eve_id));
    drop(elsewhere);
    app.cleanup().await;
}

/// Eight wrong guesses at one code arrive at once, each on its own pooled connection: the one
/// conditional update per try takes exactly the code's five tries and no more, and each guess
/// hears the same refusal.
async fn parallel_guesses_take_exactly_the_codes_tries(engine: Engine) {
    let app = TestApp::on(engine).build().await;
    let kit = one_time(&app.api, 900, "EUR").await;
    buy(&app, &kit, "ann@example.com", "Ann Lee").await;
    ask_code(&app.api.srv, "shop", "ann@example.com").await;
    let code = last_code(&app, "ann@example.com").await;
    let wrong = if code == "AAAAAA" { "BBBBBB" } else { "AAAAAA" };
    let guesses: Vec<_> = (0..8)
        .map(|_| {
            let svc = app.svc.clone();
            tokio::spawn(async move {
                portal::sign_in_with_code(&svc, "shop", "ann@example.com", wrong, None).await
            })
        })
        .collect();
    for g in guesses {
        match g.await.unwrap() {
            Err(app::domain::DomainError::Invalid { field, .. }) if field == "code" => {}
            other => panic!("{other:?}"),
        }
    }
    let row = app::db::entities::portal_code::Entity::find()
        .filter(app::db::entities::portal_code::Column::Email.eq("ann@example.com"))
        .one(&app.svc.db)
        .await
        .unwrap()
        .expect("Ann's code");
    assert_eq!(
        row.tries_left, 0,
        "five tries taken, never fewer than none left"
    );
    // The right code comes too late: the tries are spent.
    assert!(
        portal::sign_in_with_code(&app.svc, "shop", "ann@example.com", &code, None)
            .await
            .is_err()
    );
    app.cleanup().await;
}

/// Four senders run the outbox at once: every email goes out exactly once, and an address the
/// server refuses waits and is retried without holding up the rest, until it is given up on.
async fn the_outbox_sends_each_email_once_and_one_refusal_stops_nothing(engine: Engine) {
    let app = TestApp::on(engine).build().await;
    let kit = one_time(&app.api, 900, "EUR").await;
    for i in 0..12 {
        buy(&app, &kit, &format!("buyer{i}@example.com"), "Buyer").await;
    }
    let recorder = Arc::new(Recorder {
        refuse: Some("buyer3@example.com".into()),
        ..Default::default()
    });
    let runs: Vec<_> = (0..4)
        .map(|_| {
            let svc = app.svc.clone();
            let mailer = recorder.clone();
            tokio::spawn(async move { outbox::deliver_due(&svc, mailer.as_ref()).await.unwrap() })
        })
        .collect();
    let mut retrying = 0;
    for r in runs {
        retrying += r.await.unwrap().retrying;
    }
    let mut sent: Vec<String> = recorder
        .sent
        .lock()
        .unwrap()
        .iter()
        .map(|e| e.to.clone())
        .collect();
    sent.sort();
    let before = sent.len();
    sent.dedup();
    assert_eq!(before, sent.len(), "no email went out twice");
    assert_eq!(sent.len(), 11, "all but the refused one");
    assert_eq!(retrying, 1);

    let refused = mail_to(&app, "buyer3@example.com").await.remove(0);
    assert_eq!(refused.status, EmailStatus::Pending);
    assert_eq!(refused.attempts, 1);
    assert_eq!(
        refused.last_error.as_deref(),
        Some("550 mailbox unavailable")
    );
    // Not before its retry time; then again and again, until given up on.
    assert_eq!(
        outbox::deliver_due(&app.svc, recorder.as_ref())
            .await
            .unwrap(),
        Default::default()
    );
    for _ in 1..outbox::MAX_ATTEMPTS {
        app.clock.advance(Duration::hours(13));
        outbox::deliver_due(&app.svc, recorder.as_ref())
            .await
            .unwrap();
    }
    let refused = mail_to(&app, "buyer3@example.com").await.remove(0);
    assert_eq!(refused.status, EmailStatus::Failed);
    assert_eq!(refused.attempts, outbox::MAX_ATTEMPTS);
    app.clock.advance(Duration::days(2));
    assert_eq!(
        outbox::deliver_due(&app.svc, recorder.as_ref())
            .await
            .unwrap(),
        Default::default(),
        "a failed email is not tried again"
    );
    app.cleanup().await;
}

on_both_engines!(
    a_paid_checkout_sends_a_receipt_whose_link_signs_in_until_rotated,
    a_renewal_sends_a_receipt_too,
    a_code_signs_in_once_and_answers_the_same_for_strangers,
    five_wrong_tries_void_a_code_and_requests_are_limited,
    an_address_of_several_customers_picks_one_after_signing_in,
    a_customer_cancels_and_keeps_only_their_own_subscription,
    a_customer_reveals_downloads_and_links_only_their_own_items,
    a_past_due_customer_replaces_the_card_and_the_next_tick_renews,
    a_receipt_prints_and_downloads_as_pdf_for_its_customer_only,
    a_session_reaches_nothing_of_another_shop,
    parallel_guesses_take_exactly_the_codes_tries,
    the_outbox_sends_each_email_once_and_one_refusal_stops_nothing,
);

async fn the_settings_page_sets_the_portal_address_and_look(engine: Engine) {
    use app::domain::{DomainError, workspaces};
    use app::types::workspace::WorkspaceSettingsUpdate;
    let app = TestApp::on(engine).build().await;
    let srv = &app.api.srv;
    let kit = one_time(&app.api, 900, "EUR").await;
    buy(&app, &kit, "ann@example.com", "Ann Lee").await;
    let before = workspaces::settings(&app.svc, &app.caller).await.unwrap();
    assert_eq!(before.slug, "shop");
    assert!(before.can_edit);

    let change = |slug: &str, colour: &str| WorkspaceSettingsUpdate {
        name: Some("Ann's Favourite Shop".into()),
        slug: Some(slug.into()),
        portal_logo_url: Some("https://cdn.example.com/logo.png".into()),
        portal_accent_color: Some(colour.into()),
        embed_origins: None,
        ..Default::default()
    };
    // Each field is checked, and nothing is written when one is wrong.
    match workspaces::update_settings(&app.svc, &app.caller, change("favourite", "teal")).await {
        Err(DomainError::Invalid { field, .. }) => assert_eq!(field, "portal_accent_color"),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        workspaces::settings(&app.svc, &app.caller).await.unwrap(),
        before
    );
    // Another shop's address is taken.
    let other =
        crate::support::Tenant::create(&app.svc, "Favourite", &app::types::Scope::ALL).await;
    let other_caller = app::domain::Caller::system(other.workspace_id.clone());
    assert_eq!(
        workspaces::settings(&app.svc, &other_caller)
            .await
            .unwrap()
            .slug,
        "favourite"
    );
    match workspaces::update_settings(&app.svc, &app.caller, change("favourite", "#0F766E")).await {
        Err(DomainError::Invalid { field, message }) => {
            assert_eq!(field, "slug");
            assert!(message.contains("another shop"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    let saved = workspaces::update_settings(&app.svc, &app.caller, change("anns-shop", "#0F766E"))
        .await
        .unwrap();
    assert_eq!(saved.portal_accent_color.as_deref(), Some("#0f766e"));

    // The portal answers at the new address, with the new look; the old one is gone.
    let (status, page, _) = rpc(srv, None, "shop", &[("slug", "anns-shop")]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["shop"], "Ann's Favourite Shop");
    assert_eq!(page["logo_url"], "https://cdn.example.com/logo.png");
    assert_eq!(page["accent_color"], "#0f766e");
    let (status, _, _) = rpc(srv, None, "shop", &[("slug", "shop")]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, _) = ask_code(srv, "anns-shop", "ann@example.com").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        mail_to(&app, "ann@example.com").await.iter().any(|m| m
            .subject
            .starts_with("Your sign-in code for Ann's Favourite Shop")),
        "the emails carry the new name"
    );

    // Only admins and owners change settings; an API key needs workspace:write.
    let key_caller = app::domain::Caller {
        workspace_id: app.tenant.workspace_id.clone(),
        actor: app::domain::Actor::ApiKey {
            id: app::types::ApiKeyId::generate_at(app.svc.clock.now()),
            scopes: vec![app::types::Scope::CustomersRead],
        },
        ip: None,
        idempotency_key: None,
    };
    assert!(
        !workspaces::settings(&app.svc, &key_caller)
            .await
            .unwrap()
            .can_edit
    );
    assert!(matches!(
        workspaces::update_settings(&app.svc, &key_caller, change("x1", "")).await,
        Err(DomainError::Forbidden { .. })
    ));
    app.cleanup().await;
}

on_both_engines!(the_settings_page_sets_the_portal_address_and_look);

/// What the server logs, captured for one test.
#[derive(Clone, Default)]
struct Captured(Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Every door into the portal, walked with the server logging everything at debug level: no
/// link token, session token or sign-in code reaches a log line, though the routes do.
async fn no_portal_secret_reaches_the_log(engine: Engine) {
    let captured = Captured::default();
    let sink = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter("debug,sqlx=warn,sea_orm=warn,hyper=warn")
        .with_writer(move || sink.clone())
        .with_ansi(false)
        .finish();
    let _logging = tracing::subscriber::set_default(subscriber);
    // tracing-core has a fast path for when only one dispatcher is registered: a callsite first
    // hit then, on another test's thread (which has no subscriber), is cached as uninteresting
    // for every subscriber, and this test would miss its events. A second registered dispatcher
    // for the test's duration keeps the cache honest for all of them.
    let _second = tracing::Dispatch::new(tracing_subscriber::registry());
    tracing::callsite::rebuild_interest_cache();

    let app = TestApp::on(engine).build().await;
    let srv = &app.api.srv;
    let kit = one_time(&app.api, 900, "EUR").await;
    let ann = buy(&app, &kit, "ann@example.com", "Ann Lee").await;
    let mut secrets: Vec<String> = Vec::new();

    let minted = app
        .api
        .post_ok("/customer_sessions", json!({"customer_id": ann}))
        .await;
    secrets.push(minted["token"].as_str().unwrap().to_owned());
    let (_, cookie) = open(srv, minted["url"].as_str().unwrap()).await;
    secrets.push(
        cookie
            .unwrap()
            .trim_start_matches("patron_portal=")
            .to_owned(),
    );

    let receipt = mail_to(&app, "ann@example.com").await.remove(0);
    let link = link_in(&receipt.text_body);
    secrets.push(link.rsplit('/').next().unwrap().to_owned());
    let (_, cookie) = open(srv, &link).await;
    secrets.push(
        cookie
            .unwrap()
            .trim_start_matches("patron_portal=")
            .to_owned(),
    );

    ask_code(srv, "shop", "ann@example.com").await;
    let code = last_code(&app, "ann@example.com").await;
    let (_, _, cookie) = sign_in(srv, "shop", "ann@example.com", &code).await;
    secrets.push(code);
    let cookie = cookie.unwrap();
    secrets.push(cookie.trim_start_matches("patron_portal=").to_owned());
    state(srv, &cookie).await;
    let dir = tempfile::tempdir().unwrap();
    let files =
        server::adapters::mail::LettreMailer::new("receipts@shop.example", None, dir.path())
            .unwrap();
    assert_eq!(outbox::deliver_due(&app.svc, &files).await.unwrap().sent, 2);

    let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(
        log.contains(r#"route="/portal/session/{token}""#),
        "the routes are logged:\n{log}"
    );
    assert!(log.contains(r#"route="/portal/link/{token}""#));
    assert!(log.contains("email sent"));
    for secret in &secrets {
        assert!(!log.contains(secret.as_str()), "{secret} is in the log");
    }
    assert!(
        !log.contains("ann@example.com"),
        "no customer's address in the log"
    );
    app.cleanup().await;
}

on_both_engines!(no_portal_secret_reaches_the_log);

const MERCHANT_PASSWORD: &str = "a long enough password";

/// A merchant user of the test shop with `role`, signed in to the dashboard: their session
/// cookie, and the caller the dashboard acts as for them.
async fn merchant(
    app: &TestApp,
    email: &str,
    role: app::types::Role,
) -> (String, app::domain::Caller) {
    use app::domain::accounts;
    member(
        &app.svc,
        &app.tenant.workspace_id,
        email,
        role,
        MERCHANT_PASSWORD,
    )
    .await;
    let (status, cookie) = app.api.srv.log_in(email, MERCHANT_PASSWORD).await;
    assert!(
        !status.is_client_error() && !status.is_server_error(),
        "{status}"
    );
    let cookie = cookie
        .expect("a session cookie")
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let token = cookie.split_once('=').unwrap().1.to_owned();
    let caller = accounts::session_user(&app.svc, &token, None)
        .await
        .unwrap()
        .caller;
    (cookie, caller)
}

/// `who` opens the customer's portal read-only, as the dashboard's "Open portal as this
/// customer" does: the view's cookie.
async fn view_as(app: &TestApp, who: &app::domain::Caller, customer: &str) -> String {
    let (token, _) = portal::impersonate(&app.svc, who, &CustomerId::parse(customer).unwrap())
        .await
        .unwrap();
    format!("patron_portal={token}")
}

/// A portal session of `customer`, opened from a link the shop minted: its cookie.
async fn signed_in_as(app: &TestApp, customer: &str) -> String {
    let link = app
        .api
        .post_ok("/customer_sessions", json!({"customer_id": customer}))
        .await;
    open(&app.api.srv, link["url"].as_str().unwrap())
        .await
        .1
        .unwrap()
}

/// `email` subscribes to `product` with a Visa: the customer's and the subscription's ids.
async fn subscriber(app: &TestApp, product: &str, email: &str) -> (String, String) {
    let c = app
        .api
        .post_ok(
            "/checkouts",
            json!({"product_id": product, "payment_method": card("4242424242424242"),
                   "customer": {"email": email}}),
        )
        .await;
    (
        c["customer"]["id"].as_str().unwrap().to_owned(),
        c["subscription"]["id"].as_str().unwrap().to_owned(),
    )
}

/// The portal's "Replace card" on subscription `sub` with `number`: the status and the answer.
async fn try_card(srv: &TestServer, cookie: &str, sub: &str, number: &str) -> (StatusCode, Value) {
    let (status, body, _) = rpc(
        srv,
        Some(cookie),
        "payment_method",
        &[("id", sub), ("card_number", number)],
    )
    .await;
    (status, body)
}

/// What a session's overview shows as the card of its first subscription.
async fn card_shown(srv: &TestServer, cookie: &str) -> Value {
    state(srv, cookie).await["SignedIn"]["subscriptions"][0]["payment_method"].clone()
}

/// Who is on record as having seen `item`'s key, oldest first: the action, the kind of actor
/// and the actor's id.
async fn reveals_of(
    app: &TestApp,
    item: &str,
) -> Vec<(String, app::types::activity::ActorKind, Option<String>)> {
    use app::db::entities::event;
    event::Entity::find()
        .filter(event::Column::TargetId.eq(item))
        .filter(
            event::Column::Action
                .is_in(["license_key.revealed", "entitlement.license_key_revealed"]),
        )
        .order_by_asc(event::Column::Id)
        .all(&app.svc.db)
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.action.to_string(), e.actor_type, e.actor_id))
        .collect()
}

async fn a_read_only_view_reveals_a_key_only_to_a_role_that_may_and_on_record(engine: Engine) {
    use app::db::entities::membership;
    use app::types::activity::ActorKind;
    use app::types::{Role, Scope};

    let app = TestApp::on(engine).build().await;
    let srv = &app.api.srv;
    let kit = one_time(&app.api, 900, "EUR").await;
    let bought = app
        .api
        .post_ok(
            "/checkouts",
            json!({"product_id": kit, "payment_method": card("4242424242424242"),
                   "customer": {"email": "ann@example.com", "name": "Ann Lee"}}),
        )
        .await;
    let ann = bought["customer"]["id"].as_str().unwrap().to_owned();
    let key = bought["entitlements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["benefit"]["kind"] == "license_key")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (viewer_cookie, viewer) = merchant(&app, "viewer@shop.example", Role::Viewer).await;
    let (_, admin) = merchant(&app, "admin@shop.example", Role::Admin).await;
    let reveal = |cookie: String| {
        let key = key.clone();
        async move { rpc(srv, Some(&cookie), "reveal_key", &[("id", &key)]).await }
    };

    // A Viewer's view shows the portal, but no key: the dashboard's rule holds in the view.
    let viewer_view = view_as(&app, &viewer, &ann).await;
    assert_eq!(
        state(srv, &viewer_view).await["SignedIn"]["read_only"],
        true
    );
    let (status, body, _) = reveal(viewer_view.clone()).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(body.to_string().contains("entitlements:write"), "{body}");
    assert!(!body.to_string().contains("NWG-"), "{body}");
    // Nor through the dashboard, nor through the API with a key that only reads customers.
    let res = srv
        .client
        .post(srv.url("/rpc/customer/reveal_key"))
        .header("cookie", &viewer_cookie)
        .form(&[("entitlement_id", key.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let reader = crate::support::Api {
        srv: TestServer::start(app.svc.clone()).await,
        key: app.tenant.key_with(&app.svc, &[Scope::CustomersRead]).await,
    };
    let (status, body) = reader
        .get(&format!("/entitlements/{key}/license_key"))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(
        reveals_of(&app, &key).await.is_empty(),
        "a refused reveal showed nothing"
    );

    // An Admin's view shows it, as the dashboard would.
    let admin_view = view_as(&app, &admin, &ann).await;
    let (status, full, _) = reveal(admin_view.clone()).await;
    assert_eq!(status, StatusCode::OK, "{full}");
    let full = full.as_str().unwrap().to_owned();
    assert!(full.starts_with("NWG-") && !full.contains('•'), "{full}");
    let by_api = app
        .api
        .get_ok(&format!("/entitlements/{key}/license_key"))
        .await;
    assert_eq!(by_api["license_key"], full.as_str());
    let ann_cookie = signed_in_as(&app, &ann).await;
    assert_eq!(reveal(ann_cookie).await.0, StatusCode::OK);

    // Every reveal is on record as whoever saw the key: the Admin (not the customer), the
    // API key, the customer herself.
    let admin_id = admin.actor.id().map(str::to_owned);
    let seen = reveals_of(&app, &key).await;
    assert_eq!(
        seen.iter()
            .map(|(action, kind, _)| (action.as_str(), *kind))
            .collect::<Vec<_>>(),
        [
            ("license_key.revealed", ActorKind::User),
            ("license_key.revealed", ActorKind::ApiKey),
            (
                "entitlement.license_key_revealed",
                ActorKind::PortalCustomer
            ),
        ]
    );
    assert_eq!(seen[0].2, admin_id, "the Admin's reveal names the Admin");
    assert_eq!(seen[2].2.as_deref(), Some(ann.as_str()));

    // The view holds the user's role as it is now: demoted, the Admin's open view shows no key.
    membership::Entity::update_many()
        .col_expr(
            membership::Column::Role,
            sea_orm::sea_query::Expr::val(Role::Viewer),
        )
        .filter(membership::Column::UserId.eq(admin_id.clone().unwrap()))
        .exec(&app.svc.db)
        .await
        .unwrap();
    assert_eq!(reveal(admin_view).await.0, StatusCode::FORBIDDEN);
    assert_eq!(reveals_of(&app, &key).await.len(), 3);
    drop(reader);
    app.cleanup().await;
}

async fn a_read_only_view_changes_nothing_even_for_an_owner(engine: Engine) {
    use app::db::entities::event;
    use app::types::Role;

    let app = TestApp::on(engine).build().await;
    let srv = &app.api.srv;
    let vip = monthly(&app.api, 500, "EUR").await;
    let c = app
        .api
        .post_ok(
            "/checkouts",
            json!({"product_id": vip, "payment_method": card("4242424242424242"),
                   "customer": {"email": "ann@example.com", "name": "Ann Lee"}}),
        )
        .await;
    let ann = c["customer"]["id"].as_str().unwrap().to_owned();
    let sub = c["subscription"]["id"].as_str().unwrap().to_owned();
    let discord = c["entitlements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["benefit"]["kind"] == "discord_role")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, owner) = merchant(&app, "owner@shop.example", Role::Owner).await;
    let view = view_as(&app, &owner, &ann).await;

    let changes: [(&str, Vec<(&str, &str)>); 5] = [
        (
            "cancel_subscription",
            vec![("id", sub.as_str()), ("reason", "unused"), ("comment", "")],
        ),
        ("recover_subscription", vec![("id", sub.as_str())]),
        (
            "payment_method",
            vec![("id", sub.as_str()), ("card_number", "5555555555554444")],
        ),
        (
            "link_discord",
            vec![
                ("id", discord.as_str()),
                ("discord_user_id", "223456789012345678"),
            ],
        ),
        ("request_erasure", vec![]),
    ];
    for (path, form) in &changes {
        let (status, body, _) = rpc(srv, Some(&view), path, form).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}: {body}");
        assert!(
            body.to_string().contains("read_only_session"),
            "{path}: {body}"
        );
    }

    // Ann's own portal shows everything as it was.
    let mine = state(srv, &signed_in_as(&app, &ann).await).await["SignedIn"].clone();
    assert_eq!(mine["subscriptions"][0]["cancel_at_period_end"], false);
    assert_eq!(mine["subscriptions"][0]["payment_method"], "Visa •••• 4242");
    assert_eq!(mine["erasure_due_at"], Value::Null);
    let linked = mine["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["kind"] == "discord_role")
        .unwrap()
        .clone();
    assert_eq!(linked["discord_user_id"], Value::Null);
    // The owner's record about Ann holds the opening of the view, and nothing else.
    let by_owner: Vec<String> = event::Entity::find()
        .filter(event::Column::ActorId.eq(owner.actor.id().unwrap()))
        .filter(event::Column::CustomerId.eq(ann.as_str()))
        .all(&app.svc.db)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action.to_string())
        .collect();
    assert_eq!(by_owner, ["customer.portal_viewed"]);
    app.cleanup().await;
}

const DECLINED: &str = "4000000000000002";

async fn card_tries_in_the_portal_are_limited_per_session_customer_and_address(engine: Engine) {
    let app = TestApp::on(engine).build().await;
    let srv = &app.api.srv;
    let vip = monthly(&app.api, 500, "EUR").await;
    let per_session = portal::CARD_TRY_SESSION.limit;
    let per_customer = portal::CARD_TRY_CUSTOMER.limit;
    let per_ip = portal::CARD_TRY_IP.limit;
    assert!(per_session < per_customer && per_customer < per_ip);
    let (lou, lou_sub) = subscriber(&app, &vip, "lou@example.com").await;

    // One session: its tries, then "too many attempts", even for a good card.
    let first = signed_in_as(&app, &lou).await;
    for n in 0..per_session {
        let (status, body) = try_card(srv, &first, &lou_sub, DECLINED).await;
        assert_eq!(status, StatusCode::PAYMENT_REQUIRED, "try {n}: {body}");
    }
    let (status, body) = try_card(srv, &first, &lou_sub, "5555555555554444").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert!(body.to_string().contains("rate_limited"), "{body}");

    // New sessions of the same customer share the customer's tries.
    let mut tried = per_session;
    while tried < per_customer {
        let cookie = signed_in_as(&app, &lou).await;
        for _ in 0..per_session.min(per_customer - tried) {
            let (status, body) = try_card(srv, &cookie, &lou_sub, DECLINED).await;
            assert_eq!(status, StatusCode::PAYMENT_REQUIRED, "{body}");
            tried += 1;
        }
    }
    let fresh = signed_in_as(&app, &lou).await;
    let (status, body) = try_card(srv, &fresh, &lou_sub, "5555555555554444").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");

    // Other customers from the same address share the address's tries.
    let mut from_here = tried;
    let mut n = 0;
    while from_here < per_ip {
        n += 1;
        let (them, their_sub) = subscriber(&app, &vip, &format!("c{n}@example.com")).await;
        let mut theirs = 0;
        while theirs < per_customer && from_here < per_ip {
            let cookie = signed_in_as(&app, &them).await;
            let now = per_session
                .min(per_customer - theirs)
                .min(per_ip - from_here);
            for _ in 0..now {
                let (status, body) = try_card(srv, &cookie, &their_sub, DECLINED).await;
                assert_eq!(status, StatusCode::PAYMENT_REQUIRED, "{body}");
                theirs += 1;
                from_here += 1;
            }
        }
    }
    let (last, last_sub) = subscriber(&app, &vip, "last@example.com").await;
    let last_cookie = signed_in_as(&app, &last).await;
    let (status, body) = try_card(srv, &last_cookie, &last_sub, "5555555555554444").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert_eq!(card_shown(srv, &last_cookie).await, "Visa •••• 4242");

    // An hour on, the address may try again; Lou's day's tries are still spent.
    app.clock.advance(Duration::hours(1));
    let (status, body) = try_card(srv, &last_cookie, &last_sub, "5555555555554444").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(card_shown(srv, &last_cookie).await, "Mastercard •••• 4444");
    let later = signed_in_as(&app, &lou).await;
    let (status, body) = try_card(srv, &later, &lou_sub, "5555555555554444").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    app.cleanup().await;
}

async fn every_refused_card_in_the_portal_gets_one_sentence_without_the_reason(engine: Engine) {
    let app = TestApp::on(engine).build().await;
    let srv = &app.api.srv;
    let api = &app.api;
    let vip = monthly(api, 500, "EUR").await;
    let kit = one_time(api, 900, "EUR").await;
    let (lou, sub) = subscriber(&app, &vip, "lou@example.com").await;
    // Eve's Mastercard, which the shop blocks.
    let eve = api
        .post_ok(
            "/checkouts",
            json!({"product_id": kit, "payment_method": card("5555555555554444"),
                   "customer": {"email": "eve@example.com"}}),
        )
        .await;
    let eve = eve["customer"]["id"].as_str().unwrap();
    let details = api
        .get_ok(&format!("/customers/{eve}/payment_details"))
        .await["data"]
        .clone();
    let details = details
        .as_array()
        .or_else(|| details["data"].as_array())
        .unwrap();
    let eve_card = details.iter().find(|d| d["kind"] == "card").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    api.post_ok(&format!("/payment_details/{eve_card}/block"), json!({}))
        .await;

    let cookie = signed_in_as(&app, &lou).await;
    let declined = try_card(srv, &cookie, &sub, DECLINED).await;
    let no_funds = try_card(srv, &cookie, &sub, "4000000000009995").await;
    let blocked = try_card(srv, &cookie, &sub, "5555 5555 5555 4444").await;
    assert_eq!(declined.0, StatusCode::PAYMENT_REQUIRED, "{}", declined.1);
    assert!(
        declined.1.to_string().contains("card_declined"),
        "{}",
        declined.1
    );
    // The same answer whatever the reason: the issuer's, or the shop's block.
    assert_eq!(no_funds, declined, "insufficient funds");
    assert_eq!(blocked, declined, "a blocked card");
    let said = declined.1.to_string();
    for reason in ["insufficient", "funds", "blocked", "0002", "Visa"] {
        assert!(!said.contains(reason), "{reason} in {said}");
    }
    assert_eq!(card_shown(srv, &cookie).await, "Visa •••• 4242");

    // A mistyped number is still named, and a good card still goes through.
    let (status, body) = try_card(srv, &cookie, &sub, "4242 4242 4242 4243").await;
    assert_eq!(status, StatusCode::PAYMENT_REQUIRED, "{body}");
    assert!(body.to_string().contains("payment_method.number"), "{body}");
    let (status, body) = try_card(srv, &cookie, &sub, "4000002760000016").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(card_shown(srv, &cookie).await, "Visa •••• 0016");
    app.cleanup().await;
}

async fn a_card_banned_at_checkout_is_refused_in_the_portal_too(engine: Engine) {
    let app = TestApp::on(engine).build().await;
    let srv = &app.api.srv;
    let api = &app.api;
    let vip = monthly(api, 500, "EUR").await;
    let kit = one_time(api, 900, "EUR").await;
    let (lou, sub) = subscriber(&app, &vip, "lou@example.com").await;
    // Zed's card is banned after he paid with it.
    let zed = api
        .post_ok(
            "/checkouts",
            json!({"product_id": kit, "payment_method": card("4000002760000016"),
                   "customer": {"email": "zed@example.com"}}),
        )
        .await;
    let fingerprint = zed["order"]["payment_method"]["fingerprint"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, ban) = api
        .post(
            "/bans",
            json!({"reason": "card testing",
                   "identities": [{"kind": "card", "value": fingerprint}]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{ban}");
    let ban_id = ban["id"].as_str().unwrap().to_owned();
    let (status, refused) =
        crate::support::checkout(api, &kit, "new@example.com", card("4000002760000016")).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "a checkout refuses it: {refused}"
    );

    // Lou is not banned, but that card is: refused, saying no more than a decline does.
    let cookie = signed_in_as(&app, &lou).await;
    let (status, body) = try_card(srv, &cookie, &sub, "4000 0027 6000 0016").await;
    assert_eq!(status, StatusCode::PAYMENT_REQUIRED, "{body}");
    assert!(body.to_string().contains("card_declined"), "{body}");
    assert!(!body.to_string().contains(&ban_id), "{body}");
    assert_eq!(card_shown(srv, &cookie).await, "Visa •••• 4242");
    let (status, body) = try_card(srv, &cookie, &sub, "5555555555554444").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(card_shown(srv, &cookie).await, "Mastercard •••• 4444");
    app.cleanup().await;
}

on_both_engines!(
    a_read_only_view_reveals_a_key_only_to_a_role_that_may_and_on_record,
    a_read_only_view_changes_nothing_even_for_an_owner,
    card_tries_in_the_portal_are_limited_per_session_customer_and_address,
    every_refused_card_in_the_portal_gets_one_sentence_without_the_reason,
    a_card_banned_at_checkout_is_refused_in_the_portal_too,
);

/// How often the shop's activity shows a read-only view of `customer` being opened.
async fn views_of(app: &TestApp, customer: &str) -> usize {
    activity_of(app, customer)
        .await
        .data
        .iter()
        .filter(|e| e.action.as_str() == "customer.portal_viewed")
        .count()
}

/// "Open portal as customer" mints a session and is audited: a GET (a link any page, preview or
/// crawler may follow) opens nothing, another site's form is refused, and only the dashboard's
/// own button opens the view.
async fn the_read_only_view_opens_only_by_a_post_from_the_dashboard_itself(engine: Engine) {
    let app = TestApp::on(engine).build().await;
    let srv = &app.api.srv;
    let kit = one_time(&app.api, 900, "EUR").await;
    let ann = buy(&app, &kit, "ann@example.com", "Ann Lee").await;
    let (session, _) = merchant(&app, "viewer@shop.example", app::types::Role::Viewer).await;
    let url = srv.url(&format!("/dashboard/customers/{ann}/portal"));

    let res = srv
        .client
        .get(&url)
        .header("cookie", &session)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert!(res.headers().get("set-cookie").is_none());

    for (name, value) in [
        ("origin", "https://evil.example"),
        ("sec-fetch-site", "cross-site"),
    ] {
        let res = srv
            .client
            .post(&url)
            .header("cookie", &session)
            .header(name, value)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{name}: {value}");
        assert!(res.headers().get("set-cookie").is_none(), "{name}: {value}");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["error"]["code"], "cross_origin_request", "{body}");
    }
    assert_eq!(
        views_of(&app, &ann).await,
        0,
        "nothing opened, nothing on record"
    );

    // The button on the customer page: a POST from the dashboard itself.
    let res = srv
        .client
        .post(&url)
        .header("cookie", &session)
        .header("origin", srv.base.as_str())
        .header("sec-fetch-site", "same-origin")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()["location"], "/portal");
    let view = res.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    assert!(view.starts_with("patron_portal="), "{view}");
    let seen = state(srv, &view).await;
    assert_eq!(seen["SignedIn"]["read_only"], true, "{seen}");
    assert_eq!(seen["SignedIn"]["email"], "ann@example.com", "{seen}");
    assert_eq!(views_of(&app, &ann).await, 1);
    app.cleanup().await;
}

/// A receipt's link can be passed on: one opened in a browser signed in to the portal as
/// someone else asks first (naming nobody) and keeps that session until the visitor continues,
/// from Patron's own page only.
async fn a_receipt_link_asks_before_replacing_another_customers_session(engine: Engine) {
    let app = TestApp::on(engine).build().await;
    let srv = &app.api.srv;
    let kit = one_time(&app.api, 900, "EUR").await;
    buy(&app, &kit, "ann@example.com", "Ann Lee").await;
    buy(&app, &kit, "bob@example.com", "Bob Stone").await;
    let ann_link = link_in(&mail_to(&app, "ann@example.com").await[0].text_body);
    let bob_link = link_in(&mail_to(&app, "bob@example.com").await[0].text_body);
    let ann_cookie = open(srv, &ann_link).await.1.expect("Ann's session");

    // Bob's link in Ann's browser: a question, and Ann is still signed in.
    let res = srv
        .client
        .get(&bob_link)
        .header("cookie", &ann_cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers().get("set-cookie").is_none());
    let page = res.text().await.unwrap();
    assert!(
        page.contains("signed in to a customer portal as someone else"),
        "{page}"
    );
    let bob_path = bob_link.strip_prefix(&srv.base).unwrap();
    assert!(
        page.contains(&format!(r#"<form method="post" action="{bob_path}""#)),
        "{page}"
    );
    for private in ["Ann", "ann@example.com", "Bob", "bob@example.com"] {
        assert!(!page.contains(private), "{private} on the page:\n{page}");
    }
    let seen = state(srv, &ann_cookie).await;
    assert_eq!(seen["SignedIn"]["email"], "ann@example.com", "{seen}");

    // Her own link asks nothing.
    let res = srv
        .client
        .get(&ann_link)
        .header("cookie", &ann_cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()["location"], "/portal");

    // Continuing must come from the question's page: another site's form is refused.
    let continue_from = |origin: &str| {
        srv.client
            .post(&bob_link)
            .header("cookie", &ann_cookie)
            .header("origin", origin)
            .send()
    };
    let refused = continue_from("https://evil.example").await.unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert!(refused.headers().get("set-cookie").is_none());
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["error"]["code"], "cross_origin_request", "{body}");
    let seen = state(srv, &ann_cookie).await;
    assert_eq!(seen["SignedIn"]["email"], "ann@example.com", "{seen}");

    // Continuing switches to Bob, and Ann's session ends with it.
    let switched = continue_from(srv.base.as_str()).await.unwrap();
    assert_eq!(switched.status(), StatusCode::SEE_OTHER);
    assert_eq!(switched.headers()["location"], "/portal");
    let bob_cookie = switched.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let seen = state(srv, &bob_cookie).await;
    assert_eq!(seen["SignedIn"]["email"], "bob@example.com", "{seen}");
    assert_eq!(state(srv, &ann_cookie).await, json!("SignedOut"));

    // A browser with no portal session opens the link at once, as before.
    let (location, cookie) = open(srv, &bob_link).await;
    assert_eq!(location, "/portal");
    assert!(cookie.is_some());
    app.cleanup().await;
}

on_both_engines!(
    the_read_only_view_opens_only_by_a_post_from_the_dashboard_itself,
    a_receipt_link_asks_before_replacing_another_customers_session,
);
