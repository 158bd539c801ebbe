//! The `server` binary as an operator meets it: bad configuration ends in one clear line and a
//! non-zero exit, never a panic; SIGTERM stops it cleanly.

use std::io::{BufRead, BufReader};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_server");

fn run(args: &[&str], envs: &[(&str, &str)]) -> Output {
    let data = tempfile::tempdir().unwrap();
    Command::new(BIN)
        .args(args)
        .env_remove("DATABASE_URL")
        .env("PATRON_DATA_DIR", data.path())
        .envs(envs.iter().copied())
        .output()
        .unwrap()
}

/// Asserts a failed run printed exactly one line to stderr, containing `needle`, and no panic.
fn assert_one_line_failure(out: &Output, needle: &str) {
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "expected one line, got:\n{stderr}");
    assert!(lines[0].starts_with("error: "), "{stderr}");
    assert!(
        lines[0].contains(needle),
        "expected {needle:?} in:\n{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn a_malformed_database_url_is_named_in_one_line() {
    let out = run(
        &["migrate"],
        &[("DATABASE_URL", "mysql://localhost/patron")],
    );
    assert_one_line_failure(
        &out,
        "DATABASE_URL is not a usable database URL (unsupported scheme mysql:)",
    );
}

#[test]
fn an_unreachable_database_is_named_without_its_password() {
    let out = run(
        &["migrate"],
        &[(
            "DATABASE_URL",
            "postgres://patron:hunter2@127.0.0.1:1/patron",
        )],
    );
    assert_one_line_failure(
        &out,
        "cannot connect to the database at postgres://patron:***@127.0.0.1:1/patron",
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("Connection refused"), "{stderr}");
    assert!(!stderr.contains("hunter2"));
}

#[test]
fn a_port_in_use_is_named_in_one_line() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let out = run(&["serve", "--addr", &addr], &[("RUST_LOG", "off")]);
    assert_one_line_failure(&out, &format!("cannot listen on {addr}"));
}

#[test]
fn a_bad_settings_file_is_named_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("Leptos.toml");
    std::fs::write(&path, "site-addr = 3000\n").unwrap();
    let out = run(&["migrate", "--config", path.to_str().unwrap()], &[]);
    assert_one_line_failure(&out, "Leptos.toml is not valid");
}

#[test]
fn migrate_then_status_lists_every_migration_as_applied() {
    let data = tempfile::tempdir().unwrap();
    let dir = data.path().to_str().unwrap();
    let out = run(&["migrate", "--data-dir", dir], &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("applied "));
    let out = run(&["migrate", "status", "--data-dir", dir], &[]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("Applied") && stdout.contains("m20261121_000001_workspaces"),
        "{stdout}"
    );
    assert!(!stdout.contains("Pending"), "{stdout}");
}

#[test]
fn sigterm_stops_the_server_cleanly() {
    let data = tempfile::tempdir().unwrap();
    let mut child = Command::new(BIN)
        .args(["serve", "--addr", "127.0.0.1:0"])
        .env_remove("DATABASE_URL")
        .env("PATRON_DATA_DIR", data.path())
        .env("RUST_LOG", "info")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    loop {
        line.clear();
        assert!(
            stderr.read_line(&mut line).unwrap() > 0,
            "server exited before listening"
        );
        if line.contains("listening on http://127.0.0.1:") {
            break;
        }
    }
    // The embedded default created and migrated its database on the way up.
    assert!(data.path().join("patron.db").exists());

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    let exit = loop {
        if let Some(exit) = child.try_wait().unwrap() {
            break exit;
        }
        assert!(
            Instant::now() < deadline,
            "server still running 10 s after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(exit.success(), "exit status {exit}");
    let rest: String = stderr
        .lines()
        .map_while(Result::ok)
        .collect::<Vec<_>>()
        .join("\n");
    assert!(rest.contains("shutdown requested"), "{rest}");
}

fn run_with_stdin(args: &[&str], data: &std::path::Path, stdin: &str) -> Output {
    use std::io::Write as _;
    let mut child = Command::new(BIN)
        .args(args)
        .env_remove("DATABASE_URL")
        .env("PATRON_DATA_DIR", data)
        .env("RUST_LOG", "off")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn workspaces_users_and_keys_are_created_by_script() {
    let data = tempfile::tempdir().unwrap();
    let out = run_with_stdin(
        &["create-workspace", "--name", "Scripted Shop"],
        data.path(),
        "",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ws = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    assert!(ws.starts_with("ws_") && ws.len() == 29, "{ws}");

    let out = run_with_stdin(
        &[
            "create-user",
            "--workspace",
            &ws,
            "--email",
            "Ops@Example.com",
            "--role",
            "admin",
            "--password-stdin",
        ],
        data.path(),
        "a long enough password\n",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .trim()
            .starts_with("usr_")
    );

    let out = run_with_stdin(
        &[
            "create-user",
            "--workspace",
            &ws,
            "--email",
            "x@example.com",
            "--role",
            "admin",
            "--password-stdin",
        ],
        data.path(),
        "short\n",
    );
    assert_one_line_failure(&out, "password: must be at least 10 characters");

    let out = run_with_stdin(
        &[
            "create-api-key",
            "--workspace",
            &ws,
            "--scopes",
            "customers:read,customers:write",
        ],
        data.path(),
        "",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let key = String::from_utf8(out.stdout).unwrap();
    assert!(
        key.trim().starts_with("pat_sk_") && key.lines().count() == 1,
        "{key}"
    );

    let out = run_with_stdin(
        &[
            "create-api-key",
            "--workspace",
            &ws,
            "--scopes",
            "customers:delete",
        ],
        data.path(),
        "",
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("customers:delete"));
}

#[test]
fn seed_bench_writes_its_workspace_once_and_bench_list_prints_its_table() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let out = run(
        &[
            "--data-dir",
            data,
            "seed-bench",
            "--customers",
            "400",
            "--orders-per-customer",
            "3",
        ],
        &[],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("wrote 400 customers"));
    // Seeding twice into one database is refused, not doubled.
    let again = run(
        &["--data-dir", data, "seed-bench", "--customers", "10"],
        &[],
    );
    assert_one_line_failure(&again, "already here");

    let out = run(
        &[
            "--data-dir",
            data,
            "bench-list",
            "--runs",
            "3",
            "--only",
            "newest",
        ],
        &[],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(table.contains("with 400 customers"), "{table}");
    // 400 customers are 8 pages: page 1,000 does not exist and says so.
    assert!(table.contains("| no filter, newest first | 1 |"), "{table}");
    assert!(
        table.contains("| no filter, newest first | 1000 | only 8 pages"),
        "{table}"
    );

    // The whole benchmark starts the server, and reads every customer back through the export.
    let out = run(
        &[
            "--data-dir",
            data,
            "bench",
            "--runs",
            "3",
            "--connections",
            "2",
            "--seconds",
            "1",
        ],
        &[],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let table = String::from_utf8_lossy(&out.stdout);
    for row in [
        "| what | page | REST p50 | REST p99 | domain p50",
        "| search \"qqzx\" (absent) | 1 |",
        "| throughput, 2 connections for 1 s |",
        // README command 2 installs wrk: the throughput comes from a separate load tool.
        "Load: wrk.",
        "| all customers, newest first | 400 |",
        "| wasm a first visit fetches | files | raw | gzip | brotli |",
        "| main module: list, sign-in |",
    ] {
        assert!(table.contains(row), "{row} in:\n{table}");
    }
}

/// `server reconcile` prints one line per difference between the provider's ledger and
/// Patron's records and fails; `--fix` runs the reconciliation job first, after which they agree
/// and it prints nothing.
#[tokio::test]
async fn reconcile_names_each_difference_and_fix_gives_the_money_back() {
    use std::sync::Arc;

    use app::domain::provider::{Fault, FaultPoint, SimulatedProvider};
    use app::domain::{Caller, ManualClock, Services, checkouts, products};
    use app::types::Scope;
    use app::types::order::{CheckoutCreate, CheckoutCustomer, PaymentMethodInput};
    use app::types::product::{ProductCreate, ProductKind};

    let data = tempfile::tempdir().unwrap();
    let db = app::db::connect(&app::db::DatabaseTarget::embedded(data.path()))
        .await
        .unwrap();
    app::db::migrate_up(&db).await.unwrap();
    // An hour ago, so that the leases have run out for the command's own (system) clock.
    let clock = Arc::new(ManualClock::new(
        chrono::Utc::now() - chrono::Duration::hours(1),
    ));
    let sim = Arc::new(SimulatedProvider::new(db.clone()));
    let svc = Services::new(db.clone())
        .with_clock(clock)
        .with_provider(sim.clone());
    let ws = crate::support::Tenant::create(&svc, "Shop", &Scope::ALL)
        .await
        .workspace_id;
    let caller = Caller::system(ws);
    let product = products::create_product(
        &svc,
        &caller,
        ProductCreate {
            name: "Book".into(),
            kind: ProductKind::OneTime,
            amount: 1250,
            currency: app::types::money::CurrencyCode::EUR,
            interval: None,
            interval_count: None,
            benefits: vec![],
        },
    )
    .await
    .unwrap();
    let buy = || CheckoutCreate {
        customer_id: None,
        customer: Some(CheckoutCustomer {
            email: Some("reader@example.com".into()),
            ..Default::default()
        }),
        product_id: product.id.clone(),
        payment_method: PaymentMethodInput::Card {
            number: "4242424242424242".into(),
        },
        ip: None,
        customer_note: None,
    };
    checkouts::create_checkout(&svc, &caller, buy())
        .await
        .unwrap();
    sim.faults().inject(FaultPoint::AfterCharge, Fault::Fail, 1);
    assert!(
        checkouts::create_checkout(&svc, &caller, buy())
            .await
            .is_err()
    );
    db.close().await.unwrap();

    let reconcile = |args: &[&str]| {
        Command::new(BIN)
            .args(args)
            .env_remove("DATABASE_URL")
            .env("PATRON_DATA_DIR", data.path())
            .output()
            .unwrap()
    };
    let out = reconcile(&["reconcile"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "{stdout}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 1, "{stdout}");
    assert!(
        lines[0].contains("€12.50") || lines[0].contains("12.50"),
        "{stdout}"
    );
    assert!(lines[0].contains("Patron has no order"), "{stdout}");

    let out = reconcile(&["reconcile", "--fix"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), "");
    let out = reconcile(&["reconcile"]);
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout), "");
}

/// `server drill` against a database of its own: every scenario ends as it must, and the
/// provider's ledger and Patron's records agree with no duplicate charge.
async fn the_fault_drill_moves_and_records_money_alike(engine: app::db::Engine) {
    let t = crate::support::TestDb::empty(engine).await;
    // The receipts the drill's processes send are written here (on SQLite, the database too).
    let data = tempfile::tempdir().unwrap();
    let (var, value) = t.binary_env();
    let data_dir = data.path().to_owned();
    let out = tokio::task::spawn_blocking(move || {
        Command::new(BIN)
            .arg("drill")
            .env_remove("DATABASE_URL")
            .env("PATRON_DATA_DIR", data_dir)
            .env(var, value)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    for scenario in ["1. ", "2. ", "3. ", "4. "] {
        let line = stdout
            .lines()
            .find(|l| l.starts_with(scenario))
            .unwrap_or_else(|| panic!("no scenario {scenario} in:\n{stdout}"));
        assert!(!line.contains("FAILED"), "{line}");
    }
    let figure = |name: &str| {
        stdout
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().last())
            .unwrap_or_else(|| panic!("no {name} in:\n{stdout}"))
            .to_owned()
    };
    assert_eq!(figure("differences"), "0", "{stdout}");
    assert_eq!(figure("duplicate charges"), "0", "{stdout}");
    let moved = stdout
        .lines()
        .find(|l| l.starts_with("money moved"))
        .unwrap();
    let recorded = stdout
        .lines()
        .find(|l| l.starts_with("money recorded"))
        .unwrap();
    let amount = |l: &str| l.rsplit("  ").next().unwrap().trim().to_owned();
    assert_eq!(amount(moved), amount(recorded), "{stdout}");
    assert!(amount(moved).ends_with("EUR"), "{stdout}");

    // A database that holds a workspace is refused: the drill writes payments a month ahead.
    let (var, value) = t.binary_env();
    let again = Command::new(BIN)
        .arg("drill")
        .env_remove("DATABASE_URL")
        .env_remove("PATRON_DATA_DIR")
        .env(var, value)
        .output()
        .unwrap();
    assert_one_line_failure(&again, "run it on a database of its own");
    t.cleanup().await;
}

crate::on_both_engines!(the_fault_drill_moves_and_records_money_alike);
