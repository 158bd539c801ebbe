//! Several processes behind one address, as README's "Running at scale" sets them up: two
//! `server serve` processes on one PostgreSQL behind Debian's nginx running the shipped
//! `deploy/nginx.conf` (its ports, certificate and host swapped for the test's). 200 checkouts
//! and 50 refunds spread across both, then a billing run both processes' clocks race for:
//! every order, charge, renewal and webhook delivery happens exactly once, and
//! `server reconcile` finds the provider's ledger and Patron's records equal.

use std::collections::HashMap;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::StreamExt;
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};

use crate::operations::{server, stdout_of, stop};
use crate::support::{TestDb, postgres_runs};

const CHECKOUTS: usize = 200;
const SUBSCRIPTIONS: usize = 50;
const REFUNDS: usize = 50;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Debian's nginx (README command 2 installs it), or `PATRON_TEST_NGINX`.
fn nginx_binary() -> String {
    let bin = std::env::var("PATRON_TEST_NGINX").unwrap_or_else(|_| "/usr/sbin/nginx".into());
    assert!(
        Path::new(&bin).exists(),
        "no nginx at {bin}: run the suite with .ci/test, which installs Debian's nginx"
    );
    bin
}

/// `deploy/nginx.conf` for this machine: the upstream's two ports, a loopback HTTPS port with
/// a fresh self-signed certificate, and no IPv6 listeners; inside a minimal main file.
fn nginx_config(dir: &Path, upstreams: [u16; 2], https: u16, http: u16) -> std::path::PathBuf {
    let key = dir.join("privkey.pem");
    let cert = dir.join("fullchain.pem");
    let made = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
            "-keyout",
        ])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .unwrap();
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let shipped =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../deploy/nginx.conf"))
            .unwrap();
    let mut site = String::new();
    for line in shipped.lines() {
        if line.contains("listen [::]") {
            continue;
        }
        let line = line
            .replace("127.0.0.1:3001", &format!("127.0.0.1:{}", upstreams[0]))
            .replace("127.0.0.1:3002", &format!("127.0.0.1:{}", upstreams[1]))
            .replace("listen 443 ssl", &format!("listen 127.0.0.1:{https} ssl"))
            .replace("listen 80;", &format!("listen 127.0.0.1:{http};"))
            .replace("/etc/ssl/patron/fullchain.pem", cert.to_str().unwrap())
            .replace("/etc/ssl/patron/privkey.pem", key.to_str().unwrap());
        site.push_str(&line);
        site.push('\n');
    }
    for (from, to) in [(3001, upstreams[0]), (3002, upstreams[1])] {
        assert!(
            site.contains(&format!("127.0.0.1:{to}")),
            "the shipped file lost its {from} upstream"
        );
    }
    let site_file = dir.join("patron.conf");
    std::fs::write(&site_file, site).unwrap();
    let temp = dir.join("temp");
    std::fs::create_dir_all(&temp).unwrap();
    let root = running_as_root();
    let main = format!(
        "{user}pid {dir}/nginx.pid;\nerror_log {dir}/error.log warn;\nevents {{ worker_connections 256; }}\n\
         http {{\n  access_log off;\n  client_body_temp_path {t}/body;\n  proxy_temp_path {t}/proxy;\n  \
         fastcgi_temp_path {t}/fastcgi;\n  uwsgi_temp_path {t}/uwsgi;\n  scgi_temp_path {t}/scgi;\n  \
         include {site};\n}}\n",
        user = if root { "user root;\n" } else { "" },
        dir = dir.display(),
        t = temp.display(),
        site = site_file.display(),
    );
    let main_file = dir.join("nginx.conf");
    std::fs::write(&main_file, main).unwrap();
    main_file
}

/// Whether the tests run as root (in CI containers they do): nginx's workers then stay root,
/// to read the test's private folder.
fn running_as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// `server serve` on `port` against the test's PostgreSQL.
fn serve_on(db_url: &str, dir: &Path, port: u16, public: &str) -> Child {
    server(dir)
        .env("DATABASE_URL", db_url)
        .env("PATRON_WEBHOOK_ALLOW_HOSTS", "127.0.0.0/8")
        .env("PATRON_CLIENT_IP_HEADER", "X-Real-IP")
        .env("PATRON_PUBLIC_URL", public)
        .args(["serve", "--addr", &format!("127.0.0.1:{port}")])
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

async fn wait_until_up(client: &reqwest::Client, url: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(res) = client.get(format!("{url}/readyz")).send().await
            && res.status() == 200
        {
            return;
        }
        assert!(Instant::now() < deadline, "{url} did not become ready");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn count(db: &sea_orm::DatabaseConnection, sql: &str) -> i64 {
    db.query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap()
        .unwrap()
        .try_get_by_index::<i64>(0)
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_behind_nginx_do_everything_exactly_once() {
    if !postgres_runs() {
        return;
    }
    let t = TestDb::migrated(app::db::Engine::Postgres).await;
    let (_, db_url) = t.binary_env();
    let dir = tempfile::tempdir().unwrap();
    let with_db = |args: &[&str]| {
        server(dir.path())
            .env("DATABASE_URL", &db_url)
            .args(args)
            .output()
            .unwrap()
    };
    let ws = stdout_of(&with_db(&["create-workspace", "--name", "At scale"]))
        .trim()
        .to_owned();
    let key = stdout_of(&with_db(&[
        "create-api-key",
        "--workspace",
        &ws,
        "--scopes",
        "products:write,checkouts:write,refunds:write,webhooks:write",
    ]))
    .trim()
    .to_owned();

    // The webhook receiver counts each delivery by its webhook-id.
    let seen: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
    let hits = seen.clone();
    let receiver = axum::Router::new().route(
        "/hooks",
        axum::routing::post(move |headers: axum::http::HeaderMap| {
            let hits = hits.clone();
            async move {
                let id = headers["webhook-id"].to_str().unwrap().to_owned();
                *hits.lock().unwrap().entry(id).or_default() += 1;
                axum::http::StatusCode::NO_CONTENT
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hooks = format!("http://{}/hooks", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, receiver).await.unwrap() });

    let (a, b, https, http) = (free_port(), free_port(), free_port(), free_port());
    let public = format!("https://127.0.0.1:{https}");
    let first = serve_on(&db_url, dir.path(), a, &public);
    let second = serve_on(&db_url, dir.path(), b, &public);
    let conf = nginx_config(dir.path(), [a, b], https, http);
    let mut nginx = Command::new(nginx_binary())
        .args(["-p"])
        .arg(dir.path())
        .arg("-c")
        .arg(&conf)
        .args(["-g", "daemon off;"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let client = reqwest::Client::builder()
        .danger_accept_invalid_certs(true)
        .build()
        .unwrap();
    for port in [a, b] {
        wait_until_up(&client, &format!("http://127.0.0.1:{port}")).await;
    }
    wait_until_up(&client, &public).await;
    if let Ok(Some(status)) = nginx.try_wait() {
        panic!(
            "nginx stopped ({status}): {}",
            std::fs::read_to_string(dir.path().join("error.log")).unwrap_or_default()
        );
    }
    // Plain HTTP is sent to HTTPS.
    let plain = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(format!("http://127.0.0.1:{http}/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(plain.status(), 301);

    let post = |path: String, body: Value, idem: String| {
        let req = client
            .post(format!("{public}/api/v1{path}"))
            .bearer_auth(&key)
            .header("Idempotency-Key", idem)
            .json(&body);
        async move {
            let res = req.send().await.unwrap();
            let status = res.status();
            let body: Value = res.json().await.unwrap();
            assert!(status.is_success(), "{status} {body}");
            body
        }
    };
    post(
        "/webhook_endpoints".into(),
        json!({"url": hooks, "event_types": ["order.paid", "refund.created", "subscription.renewed"]}),
        "endpoint".into(),
    )
    .await;
    let one_time = post(
        "/products".into(),
        json!({"name": "Key", "kind": "one_time", "amount": 1500, "currency": "EUR"}),
        "product-1".into(),
    )
    .await;
    let plan = post(
        "/products".into(),
        json!({"name": "Plan", "kind": "subscription", "amount": 999, "currency": "EUR", "interval": "month"}),
        "product-2".into(),
    )
    .await;

    // 200 checkouts, eight at a time, through nginx to either process.
    let orders: Vec<Value> = futures::stream::iter(0..CHECKOUTS)
        .map(|n| {
            let product = if n < SUBSCRIPTIONS { &plan } else { &one_time };
            post(
                "/checkouts".into(),
                json!({
                    "product_id": product["id"],
                    "payment_method": {"type": "card", "number": "4242 4242 4242 4242"},
                    "customer": {"external_id": format!("buyer-{n}"), "email": format!("buyer-{n}@example.com")},
                }),
                format!("checkout-{n}"),
            )
        })
        .buffer_unordered(8)
        .collect()
        .await;
    // 50 refunds of one-time orders, in full, eight at a time.
    let refunded: Vec<String> = orders
        .iter()
        .filter(|c| c["subscription"].is_null())
        .take(REFUNDS)
        .map(|c| c["order"]["id"].as_str().unwrap().to_owned())
        .collect();
    futures::stream::iter(refunded.iter().enumerate())
        .map(|(n, order)| {
            post(
                format!("/orders/{order}/refunds"),
                json!({}),
                format!("refund-{n}"),
            )
        })
        .buffer_unordered(8)
        .collect::<Vec<_>>()
        .await;

    // The subscriptions' periods end now: both processes' billing clocks (each ticks every
    // minute) race to renew them.
    let db = t.connect_again().await;
    db.execute_unprepared(
        "UPDATE subscriptions SET current_period_end = NOW() - INTERVAL '1 minute', \
         current_period_start = NOW() - INTERVAL '1 month'",
    )
    .await
    .unwrap();
    // Every event of the three subscribed kinds gets one delivery.
    const EVENTS: &str = "SELECT COUNT(*) FROM events \
         WHERE action IN ('order.paid', 'refund.created', 'subscription.renewed')";
    let deadline = Instant::now() + Duration::from_secs(150);
    let expected_deliveries = loop {
        let renewed = count(
            &db,
            "SELECT COUNT(*) FROM subscriptions WHERE current_period_end > NOW()",
        )
        .await;
        let events = count(&db, EVENTS).await;
        let delivered = count(
            &db,
            "SELECT COUNT(*) FROM webhook_deliveries WHERE status = 'succeeded'",
        )
        .await;
        if renewed == SUBSCRIPTIONS as i64 && delivered == events {
            break events;
        }
        assert!(
            Instant::now() < deadline,
            "after 150 s: {renewed} of {SUBSCRIPTIONS} renewed, {delivered} of {events} deliveries made"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    // At least each checkout's payment, each renewal and each refund.
    assert!(expected_deliveries >= (CHECKOUTS + SUBSCRIPTIONS + REFUNDS) as i64);

    // Exactly once, each: an order per checkout and per renewal, a refund per refund asked,
    // a charge at the provider per paid order, a delivery per event.
    assert_eq!(
        count(&db, "SELECT COUNT(*) FROM orders").await,
        (CHECKOUTS + SUBSCRIPTIONS) as i64
    );
    assert_eq!(
        count(&db, "SELECT COUNT(*) FROM orders WHERE status = 'refunded'").await,
        REFUNDS as i64
    );
    assert_eq!(
        count(&db, "SELECT COUNT(*) FROM refunds").await,
        REFUNDS as i64
    );
    assert_eq!(
        count(&db, "SELECT COUNT(*) FROM customers").await,
        CHECKOUTS as i64
    );
    assert_eq!(
        count(&db, "SELECT COUNT(*) FROM webhook_deliveries").await,
        expected_deliveries
    );
    let received = seen.lock().unwrap().clone();
    assert_eq!(
        received.len() as i64,
        expected_deliveries,
        "one delivery per event"
    );
    assert!(received.values().all(|n| *n == 1), "a delivery sent twice");
    let reconcile = with_db(&["reconcile"]);
    assert!(
        reconcile.status.success(),
        "server reconcile disagrees:\n{}{}",
        String::from_utf8_lossy(&reconcile.stdout),
        String::from_utf8_lossy(&reconcile.stderr)
    );

    // SIGTERM: nginx's master stops its workers too (a SIGKILL would leave them running).
    stop(nginx);
    stop(first);
    stop(second);
    db.close().await.unwrap();
    t.cleanup().await;
}
