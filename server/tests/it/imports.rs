//! CSV import through the REST API: a 10,000-row file with 100 bad rows of ten kinds, each
//! reported with its line and column; updates matched by external id; a dry run that writes
//! nothing; a second import of the same file that changes nothing; create-only mode; the
//! file's dialects (byte-order mark, semicolons, quoted newlines); and another workspace's
//! import is 404. The limits: a quote left open stops at the cell or row limit, a body over
//! the byte limit is 413 (declared or streamed), each naming the limit and, in the import and
//! its report, the line where it stopped. An export imports back exactly, whatever its cells
//! start with.

use std::collections::BTreeMap;
use std::time::Duration;

use app::db::Engine;
use app::db::entities::{customer, event};
use app::domain::customers;
use app::domain::imports::{BYTES_MAX, FIELD_MAX, RECORD_MAX};
use app::types::customer::CustomerCreate;
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};

use crate::on_both_engines;
use crate::support::{Api, Tenant, TestApp, assert_error};

const ROWS: usize = 10_000;
/// The row (0-based) whose quoted note spans two lines: every later row starts a line lower.
const TWO_LINE_ROW: usize = 60;

/// Sends `body` as a CSV import with `query`: the status and the answer.
async fn import(api: &Api, query: &str, body: impl Into<reqwest::Body>) -> (StatusCode, Value) {
    import_as(api, &api.key, "text/csv", query, body).await
}

async fn import_as(
    api: &Api,
    key: &str,
    content_type: &str,
    query: &str,
    body: impl Into<reqwest::Body>,
) -> (StatusCode, Value) {
    let res = api
        .srv
        .client
        .post(api.srv.url(&format!("/api/v1/customer_imports{query}")))
        .bearer_auth(key)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// An import's report, parsed: line to (outcome, customer id, field, reason).
async fn report(api: &Api, import: &Value) -> BTreeMap<i64, (String, String, String, String)> {
    let url = import["report_url"].as_str().unwrap();
    let res = api
        .srv
        .client
        .get(url)
        .bearer_auth(&api.key)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let text = res.text().await.unwrap();
    let mut rows = csv::Reader::from_reader(text.as_bytes());
    assert_eq!(
        rows.headers().unwrap(),
        vec!["line", "outcome", "customer_id", "field", "reason"]
    );
    rows.records()
        .map(|r| {
            let r = r.unwrap();
            (
                r[0].parse().unwrap(),
                (r[1].into(), r[2].into(), r[3].into(), r[4].into()),
            )
        })
        .collect()
}

/// The file's line of data row `i` (the header is line 1).
fn line_of(i: usize) -> i64 {
    (i + 2 + usize::from(i > TWO_LINE_ROW)) as i64
}

/// Row `i` of the test file, or the bad row of kind `k` with the column it should be
/// reported on (none for a row with the wrong number of cells).
fn bad_row(i: usize, kind: usize) -> (Vec<u8>, Option<&'static str>) {
    let ok = |email: &str, name: &str, country: &str, rest: &str| {
        format!("ext-{i},,{email},{name},{country},{rest}").into_bytes()
    };
    match kind {
        0 => (ok("not-an-email", "N", "DE", ",,pro,"), Some("email")),
        1 => (
            ok(&format!("u{i}@example.com"), "N", "XX", ",,pro,"),
            Some("country"),
        ),
        2 => (
            ok(
                &format!("u{i}@example.com"),
                &"n".repeat(201),
                "DE",
                ",,pro,",
            ),
            Some("name"),
        ),
        3 => (
            ok(&format!("u{i}@example.com"), "N", "DE", ",ftp://x,pro,"),
            Some("profile_url"),
        ),
        4 => (
            ok(&format!("u{i}@example.com"), "N", "DE", "call me,,pro,"),
            Some("phone"),
        ),
        5 => (
            ok(
                &format!("u{i}@example.com"),
                "N",
                "DE",
                &format!(",,{},", "p".repeat(501)),
            ),
            Some("metadata.plan"),
        ),
        6 => (
            ok(&format!("u{i}@example.com"), "N", "DE", ",,pro,,extra"),
            None,
        ),
        7 => {
            let mut row = format!("ext-{i},,u{i}@example.com,").into_bytes();
            row.extend_from_slice(b"Bad \xFF name");
            row.extend_from_slice(b",DE,,,pro,");
            (row, Some("name"))
        }
        8 => (
            format!("ext-{i},cus_01JD5ZQ3XK4M6P8R9S2T3V4W5X,u{i}@example.com,N,DE,,,pro,")
                .into_bytes(),
            Some("id"),
        ),
        _ => (
            format!("ext-{i},cus_nope,u{i}@example.com,N,DE,,,pro,").into_bytes(),
            Some("id"),
        ),
    }
}

/// The 10,000-row file: rows 0..50 update the customers made beforehand (same external ids,
/// new names; row 37 is bad), one row in a hundred is bad (ten kinds, ten of each), names with commas are
/// quoted, one note spans two lines. Answers the file and the expected column of each bad line.
fn test_file() -> (Vec<u8>, BTreeMap<i64, Option<&'static str>>) {
    let mut file =
        b"external_id,id,email,name,country,phone,profile_url,metadata.plan,metadata.note\n"
            .to_vec();
    let mut bad = BTreeMap::new();
    for i in 0..ROWS {
        if i % 100 == 37 {
            let (row, field) = bad_row(i, (i / 100) % 10);
            file.extend_from_slice(&row);
            bad.insert(line_of(i), field);
        } else {
            let note = if i == TWO_LINE_ROW {
                "\"first line\nsecond line\""
            } else {
                ""
            };
            file.extend_from_slice(
                format!(
                    "ext-{i},,u{i}@example.com,\"Customer {i}, Esq.\",DE,+49 30 {i},,pro,{note}"
                )
                .as_bytes(),
            );
        }
        file.push(b'\n');
    }
    (file, bad)
}

async fn counts(app: &TestApp) -> (u64, u64) {
    let ws = app.tenant.workspace_id.as_str();
    let customers = customer::Entity::find()
        .filter(customer::Column::WorkspaceId.eq(ws))
        .count(&app.svc.db)
        .await
        .unwrap();
    let events = event::Entity::find()
        .filter(event::Column::WorkspaceId.eq(ws))
        .count(&app.svc.db)
        .await
        .unwrap();
    (customers, events)
}

fn assert_counts(import: &Value, created: i64, updated: i64, unchanged: i64, rejected: i64) {
    assert_eq!(import["status"], "done", "{import}");
    assert_eq!(import["rows"], ROWS as i64, "{import}");
    assert_eq!(
        [
            &import["created"],
            &import["updated"],
            &import["unchanged"],
            &import["rejected"]
        ],
        [
            &json!(created),
            &json!(updated),
            &json!(unchanged),
            &json!(rejected)
        ],
        "{import}"
    );
}

async fn ten_thousand_rows_with_a_report_of_each(engine: Engine) {
    let app = TestApp::on(engine).build().await;
    let api = &app.api;
    for i in 0..50 {
        customers::create_customer(
            &app.svc,
            &app.caller,
            CustomerCreate {
                external_id: Some(format!("ext-{i}")),
                name: Some("Old name".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    }
    let (file, bad) = test_file();
    let before = counts(&app).await;

    // A dry run counts what the import would do and changes no customer, event or delivery.
    let (status, dry) = import(api, "?dry_run=true", file.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{dry}");
    assert_eq!(dry["dry_run"], true);
    assert_counts(&dry, 9_851, 49, 0, 100);
    assert_eq!(counts(&app).await, before, "a dry run writes nothing");
    let dry_report = report(api, &dry).await;
    assert_eq!(dry_report.len(), ROWS);

    // The import: the same counts, each bad line reported with its column.
    let (status, done) = import(api, "", file.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{done}");
    assert_counts(&done, 9_851, 49, 0, 100);
    let lines = report(api, &done).await;
    assert_eq!(lines.len(), ROWS);
    for (line, field) in &bad {
        let (outcome, _, got_field, reason) = &lines[line];
        assert_eq!(outcome, "rejected", "line {line}");
        assert_eq!(got_field, field.unwrap_or(""), "line {line}: {reason}");
        assert!(!reason.is_empty(), "line {line} says why");
    }
    let kinds: std::collections::BTreeSet<&str> = bad.values().map(|f| f.unwrap_or("")).collect();
    // Ten kinds on eight columns: two on `name` and two on `id`, one on none.
    assert_eq!(kinds.len(), 8);
    for (line, (outcome, id, _, _)) in &lines {
        if !bad.contains_key(line) {
            assert!(outcome == "created" || outcome == "updated", "line {line}");
            assert!(id.starts_with("cus_"), "line {line}");
        }
    }
    // The dry run's report said the same, row by row (but named no new customer).
    for (line, (outcome, ..)) in &lines {
        assert_eq!(&dry_report[line].0, outcome, "line {line}");
    }
    let (customers_after, events_after) = counts(&app).await;
    assert_eq!(customers_after, before.0 + 9_851);
    assert_eq!(events_after, before.1 + 9_900, "one event per customer");

    // A matched row updated the customer found by external id, keeping what it left empty.
    let first = &lines[&line_of(0)];
    assert_eq!(first.0, "updated");
    let c = api.get_ok(&format!("/customers/{}", first.1)).await;
    assert_eq!(c["name"], "Customer 0, Esq.");
    assert_eq!(c["external_id"], "ext-0");
    assert_eq!(c["metadata"], json!({"plan": "pro"}));
    // Audited as the key that imported, with what changed.
    let trail = event::Entity::find()
        .filter(event::Column::TargetId.eq(first.1.as_str()))
        .filter(event::Column::Action.eq("customer.updated"))
        .all(&app.svc.db)
        .await
        .unwrap();
    assert_eq!(trail.len(), 1);
    assert_eq!(trail[0].actor_type.as_str(), "api_key");
    let changes: Value = serde_json::from_str(&trail[0].changes).unwrap();
    assert_eq!(changes["name"]["before"], "Old name");
    // The quoted newline stayed inside its cell.
    let two_line = &lines[&line_of(TWO_LINE_ROW)];
    let c = api.get_ok(&format!("/customers/{}", two_line.1)).await;
    assert_eq!(c["metadata"]["note"], "first line\nsecond line");
    assert_eq!(lines[&line_of(TWO_LINE_ROW + 1)].0, "created");

    // The same file again changes nothing and records nothing.
    let (_, again) = import(api, "", file.clone()).await;
    assert_counts(&again, 0, 0, 9_900, 100);
    assert_eq!(counts(&app).await, (customers_after, events_after));

    // Create only: every row that matches a customer is refused, naming it.
    let (_, only) = import(api, "?mode=create_only&dry_run=true", file.clone()).await;
    assert_counts(&only, 0, 0, 0, ROWS as i64);
    let lines = report(api, &only).await;
    let (_, id, field, reason) = &lines[&line_of(1)];
    assert_eq!(field, "external_id");
    assert!(
        reason.contains(id.as_str()) && reason.contains("create_only"),
        "{reason}"
    );

    app.cleanup().await;
}

async fn the_file_is_checked_before_any_row_and_imports_stay_in_their_workspace(engine: Engine) {
    let app = TestApp::on(engine).build().await;
    let api = &app.api;
    let before = counts(&app).await;

    let res = import(api, "", "email,emial\na@x.io,b\n").await;
    assert_error(
        &res,
        StatusCode::UNPROCESSABLE_ENTITY,
        "parameter_unprocessable",
        Some("header"),
    );
    assert!(
        res.1["error"]["message"]
            .as_str()
            .unwrap()
            .contains("emial")
    );
    let res = import(api, "", "").await;
    assert_error(
        &res,
        StatusCode::UNPROCESSABLE_ENTITY,
        "parameter_unprocessable",
        Some("file"),
    );
    let res = import_as(api, &api.key, "application/json", "", "{}").await;
    assert_eq!(res.0, StatusCode::BAD_REQUEST, "{}", res.1);
    assert_eq!(res.1["error"]["param"], "Content-Type");
    let res = import(api, "?mode=sometimes", "email\n").await;
    assert_eq!(res.0, StatusCode::BAD_REQUEST, "{}", res.1);
    assert_eq!(counts(&app).await, before, "a refused file writes nothing");

    // Excel's dialect: a byte-order mark, semicolons, Windows line ends, a quoted semicolon.
    let file = "\u{FEFF}Email;Name;metadata.tier;lifetime_value\r\n\
                ada@example.com;\"Lovelace; Ada\";gold;12,50\r\n\
                grace@example.com;Grace;;0,00\r\n";
    let (status, done) = import(api, "", file).await;
    assert_eq!(status, StatusCode::CREATED, "{done}");
    assert_eq!(
        (done["created"].clone(), done["rejected"].clone()),
        (json!(2), json!(0))
    );
    let list = api.get_ok("/customers?q=lovelace").await;
    assert_eq!(list["data"][0]["name"], "Lovelace; Ada");
    assert_eq!(list["data"][0]["metadata"], json!({"tier": "gold"}));
    let id = done["id"].as_str().unwrap();
    assert_eq!(api.get_ok(&format!("/customer_imports/{id}")).await, done);

    // A key that may only read cannot import; another workspace cannot see the import.
    let reader = app
        .tenant
        .key_with(&app.svc, &[app::types::Scope::CustomersRead])
        .await;
    let res = import_as(api, &reader, "text/csv", "", "email\nx@example.com\n").await;
    assert_eq!(res.0, StatusCode::FORBIDDEN, "{}", res.1);
    let other = Tenant::create(&app.svc, "Other", &app::types::Scope::ALL).await;
    let res = api
        .srv
        .client
        .get(api.srv.url(&format!("/api/v1/customer_imports/{id}")))
        .bearer_auth(&other.key)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let res = api
        .srv
        .client
        .get(
            api.srv
                .url(&format!("/api/v1/customer_imports/{id}/report.csv")),
        )
        .bearer_auth(&other.key)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);

    app.cleanup().await;
}

/// The import a refusal's message names (`imp_` and 26 characters).
fn import_named_in(message: &str) -> String {
    let at = message
        .find("imp_")
        .unwrap_or_else(|| panic!("no import named in {message:?}"));
    message[at..at + 30].to_owned()
}

async fn a_quote_left_open_stops_the_import_at_the_cell_or_row_limit_and_says_where(
    engine: Engine,
) {
    let app = TestApp::on(engine).build().await;
    let api = &app.api;
    let cell_limit = format!("{} KiB", FIELD_MAX / 1024);

    // The quote before Bob is never closed: the rest of the file, 20,000 bytes, is one cell.
    let mut file = b"external_id,name\nq-1,Ann\nq-2,\"Bob".to_vec();
    file.extend(std::iter::repeat_n(b'x', 20_000));
    let res = import(api, "", file).await;
    assert_error(
        &res,
        StatusCode::UNPROCESSABLE_ENTITY,
        "parameter_unprocessable",
        Some("file"),
    );
    let message = res.1["error"]["message"].as_str().unwrap();
    assert!(
        message.contains(&cell_limit) && message.contains("line 3"),
        "{message}"
    );

    // The row before it is imported; the import and its report say where it stopped.
    let id = import_named_in(message);
    let stopped = api.get_ok(&format!("/customer_imports/{id}")).await;
    assert_eq!(stopped["status"], "failed", "{stopped}");
    assert_eq!(
        [&stopped["rows"], &stopped["created"], &stopped["rejected"]],
        [&json!(2), &json!(1), &json!(1)],
        "{stopped}"
    );
    let error = stopped["error"].as_str().unwrap();
    assert!(
        error.starts_with("stopped at line 3") && error.contains(&cell_limit),
        "{error}"
    );
    let lines = report(api, &stopped).await;
    assert_eq!(lines[&2].0, "created");
    let (outcome, _, field, reason) = &lines[&3];
    assert_eq!((outcome.as_str(), field.as_str()), ("rejected", "name"));
    assert!(
        reason.contains(&cell_limit) && reason.contains("stopped here"),
        "{reason}"
    );
    assert_eq!(counts(&app).await.0, 1, "only Ann was imported");

    // Left open longer than a row may be, the quote stops at the row limit: the reader
    // never holds more than a row.
    let mut file = b"external_id,name\n\"".to_vec();
    let row_limit = usize::try_from(RECORD_MAX).unwrap();
    file.extend(std::iter::repeat_n(b'x', row_limit));
    let res = import(api, "", file).await;
    assert_error(
        &res,
        StatusCode::UNPROCESSABLE_ENTITY,
        "parameter_unprocessable",
        Some("file"),
    );
    let message = res.1["error"]["message"].as_str().unwrap();
    assert!(
        message.contains(&format!("{} KiB", RECORD_MAX / 1024)) && message.contains("line 2"),
        "{message}"
    );
    assert_eq!(counts(&app).await.0, 1);

    app.cleanup().await;
}

/// Sends only the head of an import declaring a body of `length` bytes, and reads the answer
/// the server gives without waiting for the body: its status line and its body.
async fn declare_length(api: &Api, length: u64) -> (String, Value) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = api.srv.base.trim_start_matches("http://").to_owned();
    let mut tcp = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let head = format!(
        "POST /api/v1/customer_imports HTTP/1.1\r\nHost: {addr}\r\n\
         Authorization: Bearer {}\r\nContent-Type: text/csv\r\n\
         Content-Length: {length}\r\nConnection: close\r\n\r\n",
        api.key
    );
    tcp.write_all(head.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), async {
        let mut buf = [0u8; 8192];
        loop {
            match tcp.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => answer.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    assert!(read.is_ok(), "no answer before the body: {answer:?}");
    let text = String::from_utf8_lossy(&answer).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((text.as_str(), ""));
    let status = head.lines().next().unwrap_or_default().to_owned();
    (status, serde_json::from_str(body).unwrap_or(Value::Null))
}

async fn a_body_over_the_byte_limit_is_refused_with_413_before_or_while_it_arrives(engine: Engine) {
    let app = TestApp::on(engine).build().await;
    let api = &app.api;
    let byte_limit = format!("{} MiB", BYTES_MAX >> 20);

    // Declared too large: refused from the head alone, before a byte of the body is sent.
    let (status, body) = declare_length(api, BYTES_MAX + 1).await;
    assert!(status.starts_with("HTTP/1.1 413"), "{status} {body}");
    assert_eq!(body["error"]["code"], "payload_too_large", "{body}");
    assert_eq!(body["error"]["param"], "file", "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains(&byte_limit), "{message}");

    // Sent in pieces with no declared length: read up to the limit, refused where it passes.
    // Rows of fifteen 8,000-byte cells (each refused, so cheap) fill the limit; the last row
    // reaches it, and four bytes more pass it.
    let mut header = b"external_id".to_vec();
    for i in 0..15 {
        header.extend_from_slice(format!(",metadata.c{i}").as_bytes());
    }
    header.push(b'\n');
    let cell = "x".repeat(8_000);
    let row = format!(",{}\n", vec![cell.as_str(); 15].join(",")).into_bytes();
    let limit = usize::try_from(BYTES_MAX).unwrap();
    let full_rows = (limit - header.len()) / row.len();
    let sent = header.len() + full_rows * row.len();
    let to_the_limit = vec![b'x'; limit - sent];
    let pieces = std::iter::once(header)
        .chain(std::iter::repeat_n(row, full_rows))
        .chain([to_the_limit, b"xyz\n".to_vec()])
        .filter(|piece| !piece.is_empty())
        .map(Ok::<_, std::io::Error>);
    let body = reqwest::Body::wrap_stream(futures::stream::iter(pieces));
    let res = import(api, "", body).await;
    assert_eq!(res.0, StatusCode::PAYLOAD_TOO_LARGE, "{}", res.1);
    assert_eq!(res.1["error"]["code"], "payload_too_large", "{}", res.1);
    let message = res.1["error"]["message"].as_str().unwrap();
    let line = full_rows + 2;
    assert!(
        message.contains(&byte_limit) && message.contains(&format!("line {line}")),
        "{message}"
    );
    let stopped = api
        .get_ok(&format!("/customer_imports/{}", import_named_in(message)))
        .await;
    assert_eq!(stopped["status"], "failed", "{stopped}");
    assert_eq!(stopped["rows"], json!(full_rows + 1), "{stopped}");
    let error = stopped["error"].as_str().unwrap();
    assert!(
        error.starts_with(&format!("stopped at line {line}")) && error.contains(&byte_limit),
        "{error}"
    );

    app.cleanup().await;
}

async fn an_export_imports_back_exactly_whatever_its_cells_start_with(engine: Engine) {
    let app = TestApp::on(engine).build().await;
    let api = &app.api;
    let values = [
        ("-123", "-Ann"),
        ("=SUM(A1:A2)", "=HYPERLINK(\"http://x.example\")"),
        ("+49", "+Bob"),
        ("@home", "@Carol"),
        ("'quoted", "'Tis Dan"),
        ("'-1", "''Eve"),
        ("plain-1", "Plain Fay"),
    ];
    let mut ids = Vec::new();
    for (external_id, name) in values {
        let c = api
            .post_ok(
                "/customers",
                json!({"external_id": external_id, "name": name}),
            )
            .await;
        ids.push(c["id"].as_str().unwrap().to_owned());
    }

    // The real export, which still defuses what a spreadsheet would run.
    let res = api
        .srv
        .client
        .get(api.srv.url("/api/v1/customers/export.csv"))
        .bearer_auth(&api.key)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let export = res.text().await.unwrap();
    assert!(
        export.contains("'-123") && export.contains("'=SUM(A1:A2)"),
        "{export}"
    );

    // Imported back, it matches every customer and changes none of them.
    let (status, done) = import(api, "", export).await;
    assert_eq!(status, StatusCode::CREATED, "{done}");
    let n = values.len();
    assert_eq!(
        [
            &done["rows"],
            &done["unchanged"],
            &done["updated"],
            &done["rejected"]
        ],
        [&json!(n), &json!(n), &json!(0), &json!(0)],
        "{done}"
    );
    for (id, (external_id, name)) in ids.iter().zip(values) {
        let c = api.get_ok(&format!("/customers/{id}")).await;
        assert_eq!(
            (c["external_id"].as_str(), c["name"].as_str()),
            (Some(external_id), Some(name)),
            "{c}"
        );
    }

    app.cleanup().await;
}

on_both_engines!(
    ten_thousand_rows_with_a_report_of_each,
    the_file_is_checked_before_any_row_and_imports_stay_in_their_workspace,
    a_quote_left_open_stops_the_import_at_the_cell_or_row_limit_and_says_where,
    a_body_over_the_byte_limit_is_refused_with_413_before_or_while_it_arrives,
    an_export_imports_back_exactly_whatever_its_cells_start_with
);
