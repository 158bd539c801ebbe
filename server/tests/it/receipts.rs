//! Receipts a merchant can hand to an accountant: every paid order gets its workspace's next
//! receipt number exactly once (a checkout, a renewal, a paid repayment; with or without an
//! email address; several payments at once from several connections), the upgrade numbers the
//! orders paid before it, the settings API keeps the seller's details, and the receipt's PDF
//! and email print the number, the seller and times with their zone.

use app::db::entities::email::{self, EmailKind};
use app::db::entities::{order, workspace};
use app::db::{Engine, Migrator};
use app::domain::{Caller, Services, checkouts};
use app::types::WorkspaceId;
use app::types::order::{CheckoutCreate, CheckoutCustomer, OrderKind, PaymentMethodInput};
use app::types::product::ProductKind;
use chrono::{Duration, TimeZone, Utc};
use reqwest::StatusCode;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, Statement,
};
use sea_orm_migration::MigratorTrait;
use serde_json::{Value, json};

use crate::on_both_engines;
use crate::support::{
    TestApp, TestServer, assert_error, card, checkout, monthly, one_time, other_workspace,
    paid_checkout,
};

const CARD: &str = "4242424242424242";
const DECLINED: &str = "4000000000000002";

/// The receipt number of the order `id`.
async fn number_of(db: &DatabaseConnection, id: &str) -> Option<i64> {
    order::Entity::find()
        .filter(order::Column::Id.eq(id))
        .one(db)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("no order {id}"))
        .receipt_number
}

/// The last receipt number the workspace gave.
async fn counter_of(db: &DatabaseConnection, ws: &WorkspaceId) -> i64 {
    workspace::Entity::find_by_id(ws.clone())
        .one(db)
        .await
        .unwrap()
        .unwrap()
        .receipt_seq
}

/// The workspace of the order `id`.
async fn workspace_of(db: &DatabaseConnection, id: &str) -> WorkspaceId {
    order::Entity::find()
        .filter(order::Column::Id.eq(id))
        .one(db)
        .await
        .unwrap()
        .unwrap()
        .workspace_id
}

fn order_id(checkout: &Value) -> String {
    checkout["order"]["id"].as_str().unwrap().to_owned()
}

async fn paid_orders_are_numbered_one_after_another_in_each_workspace(engine: Engine) {
    let app = TestApp::on(engine).build().await;
    let db = &app.t.db;
    let api = &app.api;
    let kit = one_time(api, 1500, "EUR").await;

    let first = order_id(&paid_checkout(api, &kit, "ann@example.com", card(CARD)).await);
    assert_eq!(number_of(db, &first).await, Some(1));
    // A declined payment is no sale: no number, and the next sale takes 2.
    let (status, declined) = checkout(api, &kit, "bob@example.com", card(DECLINED)).await;
    assert_eq!(status, StatusCode::PAYMENT_REQUIRED, "{declined}");
    // A buyer without an email address gets no receipt email, and a number all the same.
    let c = api
        .post_ok(
            "/checkouts",
            json!({"customer": {"external_id": "player-7"}, "product_id": kit,
                   "payment_method": card(CARD)}),
        )
        .await;
    let no_email = order_id(&c);
    assert_eq!(number_of(db, &no_email).await, Some(2));
    let receipts = email::Entity::find()
        .filter(email::Column::WorkspaceId.eq(&app.tenant.workspace_id))
        .filter(email::Column::Kind.eq(EmailKind::Receipt))
        .all(db)
        .await
        .unwrap();
    assert_eq!(receipts.len(), 1, "Ann's only");

    // A renewal is a payment too.
    let vip = monthly(api, 900, "EUR").await;
    let sub = order_id(&paid_checkout(api, &vip, "sam@example.com", card(CARD)).await);
    assert_eq!(number_of(db, &sub).await, Some(3));
    assert_eq!(app.tick(Duration::days(32)).await.renewed, 1);
    let renewal = order::Entity::find()
        .filter(order::Column::WorkspaceId.eq(&app.tenant.workspace_id))
        .filter(order::Column::Kind.eq(OrderKind::Renewal))
        .one(db)
        .await
        .unwrap()
        .expect("the renewal's order");
    assert_eq!(renewal.receipt_number, Some(4));

    // So is a repayment, once it is paid; the order it repays keeps its own number.
    let (s, dispute) = api
        .post(
            &format!("/orders/{first}/disputes"),
            json!({"reason": "fraudulent"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{dispute}");
    let dp = dispute["id"].as_str().unwrap();
    api.post_ok(&format!("/disputes/{dp}/close"), json!({"outcome": "lost"}))
        .await;
    let due = api
        .post_ok(
            &format!("/disputes/{dp}/repayments"),
            json!({"method": "link"}),
        )
        .await;
    let due = due["id"].as_str().unwrap().to_owned();
    assert_eq!(number_of(db, &due).await, None, "not paid yet");
    api.post_ok(
        &format!("/orders/{due}/pay"),
        json!({"payment_method": card("5555555555554444")}),
    )
    .await;
    assert_eq!(number_of(db, &due).await, Some(5));
    assert_eq!(number_of(db, &first).await, Some(1));
    assert_eq!(counter_of(db, &app.tenant.workspace_id).await, 5);

    // Another shop counts from 1.
    let other = other_workspace(api).await;
    let theirs = one_time(&other, 900, "EUR").await;
    let b1 = order_id(&paid_checkout(&other, &theirs, "ann@example.com", card(CARD)).await);
    let b2 = order_id(&paid_checkout(&other, &theirs, "zoe@example.com", card(CARD)).await);
    assert_eq!(number_of(db, &b1).await, Some(1));
    assert_eq!(number_of(db, &b2).await, Some(2));
    assert_eq!(counter_of(db, &workspace_of(db, &b1).await).await, 2);
    assert_eq!(counter_of(db, &app.tenant.workspace_id).await, 5);
    app.cleanup().await;
}

/// `email` buys `product` through `svc`.
async fn buy_through(
    svc: Services,
    caller: Caller,
    product: app::types::ProductId,
    email: String,
) -> Result<app::types::order::Checkout, app::domain::DomainError> {
    checkouts::create_checkout(
        &svc,
        &caller,
        CheckoutCreate {
            customer_id: None,
            customer: Some(CheckoutCustomer {
                email: Some(email),
                ..Default::default()
            }),
            product_id: product,
            payment_method: PaymentMethodInput::Card {
                number: CARD.into(),
            },
            ip: None,
            customer_note: None,
        },
    )
    .await
}

async fn payments_at_once_from_two_processes_take_distinct_numbers_without_gaps(engine: Engine) {
    let app = TestApp::on(engine).build().await;
    let kit = app.product(ProductKind::OneTime, 900, "EUR").await;
    // A second server process: its own pool of connections on the same database and clock.
    let other_db = app.t.connect_again().await;
    let other = Services::new(other_db.clone()).with_clock(app.clock.clone());
    const N: i64 = 12;
    let buys = (0..N).map(|i| {
        let svc = if i % 2 == 0 {
            app.svc.clone()
        } else {
            other.clone()
        };
        tokio::spawn(buy_through(
            svc,
            app.caller.clone(),
            kit.id.clone(),
            format!("buyer{i}@example.com"),
        ))
    });
    let done = futures::future::join_all(buys).await;
    let mut numbers = Vec::new();
    for result in done {
        let checkout = result.unwrap().unwrap();
        numbers.push(
            number_of(&app.t.db, checkout.order.id.as_str())
                .await
                .expect("a paid order is numbered"),
        );
    }
    numbers.sort_unstable();
    let expected: Vec<i64> = (1..=N).collect();
    assert_eq!(numbers, expected, "each number once, none skipped");
    assert_eq!(counter_of(&app.t.db, &app.tenant.workspace_id).await, N);
    other_db.close().await.unwrap();
    app.cleanup().await;
}

async fn the_settings_api_keeps_clears_and_refuses_receipt_details(engine: Engine) {
    let app = TestApp::on(engine).build().await;
    let api = &app.api;
    let fresh = api.get_ok("/workspace").await;
    for field in ["legal_name", "legal_address", "tax_id", "support_email"] {
        assert_eq!(fresh[field], Value::Null, "{field}");
    }

    let set = api
        .patch_ok(
            "/workspace",
            json!({"legal_name": " Northwind Games Ltd ",
                   "legal_address": "1 Harbour Street\r\n\r\nBristol BS1 4AA\n",
                   "tax_id": "GB 123 4567 89",
                   "support_email": "Help@Northwind.example"}),
        )
        .await;
    assert_eq!(set["legal_name"], "Northwind Games Ltd");
    assert_eq!(set["legal_address"], "1 Harbour Street\nBristol BS1 4AA");
    assert_eq!(set["tax_id"], "GB 123 4567 89");
    assert_eq!(set["support_email"], "help@northwind.example");
    assert_eq!(set["name"], "Shop", "the other settings stay");
    assert_eq!(api.get_ok("/workspace").await, set);

    // A bad field is named, and nothing of the change is written.
    let bad_email = api
        .patch(
            "/workspace",
            json!({"legal_name": "Someone Else Ltd", "support_email": "not-an-email"}),
        )
        .await;
    assert_error(
        &bad_email,
        StatusCode::BAD_REQUEST,
        "parameter_invalid",
        Some("support_email"),
    );
    let long_tax_id = api
        .patch(
            "/workspace",
            json!({"legal_name": "Someone Else Ltd", "tax_id": "1".repeat(60)}),
        )
        .await;
    assert_error(
        &long_tax_id,
        StatusCode::BAD_REQUEST,
        "parameter_invalid",
        Some("tax_id"),
    );
    let seven_lines = api
        .patch(
            "/workspace",
            json!({"legal_address": "1\n2\n3\n4\n5\n6\n7"}),
        )
        .await;
    assert_error(
        &seven_lines,
        StatusCode::BAD_REQUEST,
        "parameter_invalid",
        Some("legal_address"),
    );
    // Only an address breaks lines.
    let two_line_name = api
        .patch("/workspace", json!({"legal_name": "Northwind\nGames"}))
        .await;
    assert_error(
        &two_line_name,
        StatusCode::BAD_REQUEST,
        "parameter_invalid",
        Some("legal_name"),
    );
    assert_eq!(api.get_ok("/workspace").await, set);

    // Empty clears each.
    let cleared = api
        .patch_ok(
            "/workspace",
            json!({"legal_name": "", "legal_address": " ", "tax_id": "", "support_email": ""}),
        )
        .await;
    for field in ["legal_name", "legal_address", "tax_id", "support_email"] {
        assert_eq!(cleared[field], Value::Null, "{field}");
    }
    app.cleanup().await;
}

/// Opens a portal link without following its redirect: the session cookie it sets.
async fn portal_cookie(app: &TestApp, customer: &str) -> String {
    let link = app
        .api
        .post_ok("/customer_sessions", json!({"customer_id": customer}))
        .await;
    let res = app
        .api
        .srv
        .client
        .get(link["url"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    res.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned()
}

/// The receipt PDF of `order` at `query`, as the signed-in customer downloads it.
async fn pdf(srv: &TestServer, cookie: &str, order: &str, query: &str) -> Vec<u8> {
    let res = srv
        .client
        .get(srv.url(&format!("/portal/orders/{order}/receipt.pdf{query}")))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "application/pdf");
    res.bytes().await.unwrap().to_vec()
}

/// Whether the PDF shows `text` (its content stream is uncompressed Latin-1).
fn shows(pdf: &[u8], text: &str) -> bool {
    let wanted: Vec<u8> = text.chars().map(|c| c as u8).collect();
    pdf.windows(wanted.len()).any(|w| w == wanted.as_slice())
}

async fn the_receipt_pdf_and_email_give_the_number_the_seller_and_the_time_with_its_zone(
    engine: Engine,
) {
    // The clock stands at 14:05 UTC: 6:05 AM in Los Angeles.
    let app = TestApp::on(engine)
        .at(Utc.with_ymd_and_hms(2026, 11, 21, 14, 5, 0).unwrap())
        .build()
        .await;
    let api = &app.api;
    api.patch_ok(
        "/workspace",
        json!({"legal_name": "Northwind Games Ltd",
               "legal_address": "1 Harbour Street\nBristol BS1 4AA",
               "tax_id": "GB123456789",
               "support_email": "help@northwind.example"}),
    )
    .await;
    let kit = one_time(api, 1250, "EUR").await;
    let c = paid_checkout(api, &kit, "ann@example.com", card(CARD)).await;
    let order = order_id(&c);
    let customer = c["customer"]["id"].as_str().unwrap().to_owned();
    let cookie = portal_cookie(&app, &customer).await;
    let srv = &app.api.srv;

    let plain = pdf(srv, &cookie, &order, "").await;
    let text = String::from_utf8_lossy(&plain);
    for expected in [
        "Receipt R-00001",
        "Northwind Games Ltd",
        "1 Harbour Street",
        "Bristol BS1 4AA",
        "Tax ID: GB123456789",
        "Questions about this purchase? Write to help@northwind.example.",
        "Nov 21, 2026, 2:05 PM UTC",
    ] {
        assert!(shows(&plain, expected), "{expected} in the PDF:\n{text}");
    }

    let in_la = pdf(srv, &cookie, &order, "?offset=-480&zone=PST").await;
    assert!(
        shows(&in_la, "Nov 21, 2026, 6:05 AM PST"),
        "{}",
        String::from_utf8_lossy(&in_la)
    );
    assert!(!shows(&in_la, "2:05 PM"));
    // An offset no zone has is left out, and the name with it.
    let odd = pdf(srv, &cookie, &order, "?offset=9999&zone=PST").await;
    assert!(
        shows(&odd, "Nov 21, 2026, 2:05 PM UTC"),
        "{}",
        String::from_utf8_lossy(&odd)
    );
    assert!(!shows(&odd, "PST"));

    // The email: the number, the seller, times with their zone, where to write.
    let mail = email::Entity::find()
        .filter(email::Column::ToAddress.eq("ann@example.com"))
        .filter(email::Column::Kind.eq(EmailKind::Receipt))
        .one(&app.t.db)
        .await
        .unwrap()
        .expect("a receipt email");
    let body = &mail.text_body;
    for expected in [
        "Receipt: R-00001\n",
        "Date:    21 November 2026, 14:05 UTC\n",
        "Seller:  Northwind Games Ltd\n",
        "         1 Harbour Street\n",
        "         Tax ID: GB123456789\n",
        "works until 21 December 2026, 14:05 UTC.",
        "Questions about this purchase? Write to help@northwind.example.",
    ] {
        assert!(body.contains(expected), "{expected:?} in:\n{body}");
    }

    // The shop moves and renames itself: the receipt already given still names who sold then,
    // and the next one the new details.
    api.patch_ok(
        "/workspace",
        json!({"legal_name": "Northwind Holdings plc", "legal_address": "9 Quay Road\nLeeds",
               "tax_id": ""}),
    )
    .await;
    let kept = pdf(srv, &cookie, &order, "").await;
    for expected in [
        "Northwind Games Ltd",
        "Bristol BS1 4AA",
        "Tax ID: GB123456789",
    ] {
        assert!(
            shows(&kept, expected),
            "{expected} still on the first receipt"
        );
    }
    assert!(!shows(&kept, "Northwind Holdings plc"));
    let second = paid_checkout(api, &kit, "ann@example.com", card(CARD)).await;
    let later = pdf(srv, &cookie, &order_id(&second), "").await;
    assert!(shows(&later, "Receipt R-00002"));
    assert!(shows(&later, "Northwind Holdings plc"));
    assert!(shows(&later, "9 Quay Road"));
    assert!(!shows(&later, "Tax ID"));
    app.cleanup().await;
}

/// Sets `paid_at` of the order `id` as the version before would have written it.
async fn paid_at(db: &DatabaseConnection, id: &str, at: chrono::DateTime<Utc>) {
    db.execute_raw(Statement::from_sql_and_values(
        db.get_database_backend(),
        "UPDATE orders SET paid_at = $1 WHERE id = $2",
        [at.into(), id.into()],
    ))
    .await
    .unwrap();
}

async fn the_upgrade_numbers_the_orders_paid_before_it_by_payment_time(engine: Engine) {
    let app = TestApp::on(engine).build().await;
    let db = &app.t.db;
    let api = &app.api;
    let kit = one_time(api, 900, "EUR").await;
    let ann = order_id(&paid_checkout(api, &kit, "ann@example.com", card(CARD)).await);
    let bob = order_id(&paid_checkout(api, &kit, "bob@example.com", card(CARD)).await);
    let cy = order_id(&paid_checkout(api, &kit, "cy@example.com", card(CARD)).await);
    let (status, _) = checkout(api, &kit, "dee@example.com", card(DECLINED)).await;
    assert_eq!(status, StatusCode::PAYMENT_REQUIRED);
    let other = other_workspace(api).await;
    let theirs = one_time(&other, 900, "EUR").await;
    let b1 = order_id(&paid_checkout(&other, &theirs, "eve@example.com", card(CARD)).await);

    // The version before: no numbers. Ann paid last; Bob and Cy at one instant.
    // (Back to before the receipts migration, however many have come after it.)
    let names: Vec<String> = Migrator::migrations()
        .iter()
        .map(|m| m.name().to_owned())
        .collect();
    let receipts = names
        .iter()
        .position(|n| n == "m20261207_000029_receipt_details")
        .unwrap();
    Migrator::down(db, Some((names.len() - receipts) as u32))
        .await
        .unwrap();
    let at = Utc.with_ymd_and_hms(2026, 11, 1, 12, 0, 0).unwrap();
    paid_at(db, &ann, at + Duration::hours(1)).await;
    paid_at(db, &bob, at).await;
    paid_at(db, &cy, at).await;
    Migrator::up(db, None).await.unwrap();

    assert_eq!(
        number_of(db, &bob).await,
        Some(1),
        "the same instant: by id"
    );
    assert_eq!(number_of(db, &cy).await, Some(2));
    assert_eq!(number_of(db, &ann).await, Some(3), "paid last");
    let declined = order::Entity::find()
        .filter(order::Column::WorkspaceId.eq(&app.tenant.workspace_id))
        .filter(order::Column::PaidAt.is_null())
        .all(db)
        .await
        .unwrap();
    assert_eq!(declined.len(), 1);
    assert_eq!(declined[0].receipt_number, None, "never paid");
    assert_eq!(
        number_of(db, &b1).await,
        Some(1),
        "each shop counts its own"
    );
    assert_eq!(counter_of(db, &app.tenant.workspace_id).await, 3);
    assert_eq!(counter_of(db, &workspace_of(db, &b1).await).await, 1);

    // The count goes on from there.
    let next = order_id(&paid_checkout(api, &kit, "fay@example.com", card(CARD)).await);
    assert_eq!(number_of(db, &next).await, Some(4));
    app.cleanup().await;
}

on_both_engines!(
    paid_orders_are_numbered_one_after_another_in_each_workspace,
    payments_at_once_from_two_processes_take_distinct_numbers_without_gaps,
    the_settings_api_keeps_clears_and_refuses_receipt_details,
    the_receipt_pdf_and_email_give_the_number_the_seller_and_the_time_with_its_zone,
    the_upgrade_numbers_the_orders_paid_before_it_by_payment_time,
);
