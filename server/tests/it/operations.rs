//! The operator's kit, as an operator runs it. `/readyz` says ready, then 503 while a stopping
//! server drains. `server backup` and `server restore`: a backup taken while a
//! server serves and a writer adds customers holds a consistent prefix of them and passes
//! SQLite's integrity check; it restores into a fresh data directory that then serves it; a
//! tampered file, a newer schema and a running server are each refused in one line, and
//! nothing is restored. `server restore --check` reads a PostgreSQL database as `pg_restore`
//! left it.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use app::db::{self, DatabaseTarget, Engine};
use app::domain::Services;
use app::domain::actor::Caller;
use app::domain::customers;
use app::types::WorkspaceId;
use app::types::customer::CustomerCreate;
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use sha2::{Digest, Sha256};

use crate::support::TestDb;

const BIN: &str = env!("CARGO_BIN_EXE_server");
const CUSTOMERS: usize = 10_000;

pub(crate) fn server(data: &Path) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.env_remove("DATABASE_URL")
        .env("PATRON_DATA_DIR", data)
        .env("RUST_LOG", "off");
    cmd
}

fn run(data: &Path, args: &[&str]) -> Output {
    server(data).args(args).output().unwrap()
}

pub(crate) fn stdout_of(out: &Output) -> String {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

/// A failed run: one line on stderr naming `needle`, no panic.
fn assert_refused(out: &Output, needle: &str) {
    assert!(
        !out.status.success(),
        "expected a refusal naming {needle:?}"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "expected one line, got:\n{stderr}");
    assert!(
        lines[0].contains(needle),
        "expected {needle:?} in:\n{stderr}"
    );
}

/// `server serve` on `data` on a free port; returns the process and its base URL.
fn serve(data: &Path) -> (Child, String) {
    spawn_serving(server(data).args(["serve", "--addr", "127.0.0.1:0"]))
}

/// Starts `cmd` (a `server serve` on port 0), waits until it listens, and returns the process
/// and its base URL; its log is read on, so the server never blocks on a full pipe.
fn spawn_serving(cmd: &mut Command) -> (Child, String) {
    let mut child = cmd
        .env("RUST_LOG", "info")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    let url = loop {
        line.clear();
        assert!(
            stderr.read_line(&mut line).unwrap() > 0,
            "the server exited before listening"
        );
        if let Some(at) = line.find("listening on http://") {
            break line[at + "listening on ".len()..].trim().to_owned();
        }
    };
    std::thread::spawn(move || for _ in stderr.lines() {});
    (child, url)
}

pub(crate) fn stop(mut child: Child) {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let deadline = Instant::now() + Duration::from_secs(10);
    while child.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "the server did not stop");
        std::thread::sleep(Duration::from_millis(50));
    }
}

async fn open(path: &Path) -> DatabaseConnection {
    db::connect(&DatabaseTarget::Sqlite {
        path: path.to_owned(),
    })
    .await
    .unwrap()
}

async fn scalar(db: &DatabaseConnection, sql: &str) -> String {
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap()
        .unwrap();
    row.try_get_by_index::<String>(0)
        .or_else(|_| row.try_get_by_index::<i64>(0).map(|n| n.to_string()))
        .unwrap()
}

/// The external ids (`w00000`...) a database holds, as numbers, in order.
async fn written(db: &DatabaseConnection) -> Vec<usize> {
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT external_id FROM customers WHERE external_id LIKE 'w%' ORDER BY external_id",
        ))
        .await
        .unwrap();
    rows.iter()
        .map(|r| {
            r.try_get_by_index::<String>(0).unwrap()[1..]
                .parse()
                .unwrap()
        })
        .collect()
}

fn sha256_hex(path: &Path) -> String {
    Sha256::digest(std::fs::read(path).unwrap())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_while_customers_are_written_restores_a_consistent_prefix() {
    let live = tempfile::tempdir().unwrap();
    let ws = stdout_of(&run(
        live.path(),
        &["create-workspace", "--name", "Backed Up"],
    ))
    .trim()
    .to_owned();
    let key = stdout_of(&run(
        live.path(),
        &[
            "create-api-key",
            "--workspace",
            &ws,
            "--scopes",
            "customers:read",
        ],
    ))
    .trim()
    .to_owned();
    let (serving, _) = serve(live.path());

    // A writer adds customers one transaction each, in order, while the server runs.
    let db = open(&live.path().join("patron.db")).await;
    let svc = Services::new(db.clone());
    let caller = Caller::system(WorkspaceId::parse(&ws).unwrap());
    let writer = tokio::spawn(async move {
        for n in 0..CUSTOMERS {
            customers::create_customer(
                &svc,
                &caller,
                CustomerCreate {
                    external_id: Some(format!("w{n:05}")),
                    email: Some(format!("w{n:05}@example.com")),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        }
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    while written(&db).await.len() < 1_000 {
        assert!(Instant::now() < deadline, "the writer stalled");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let before = written(&db).await.len();
    let copies = tempfile::tempdir().unwrap();
    let file = copies.path().join("patron-backup.db");
    let file_text = file.to_str().unwrap().to_owned();
    let data = live.path().to_owned();
    let out = tokio::task::spawn_blocking(move || run(&data, &["backup", "--to", &file_text]))
        .await
        .unwrap();
    let after = written(&db).await.len();
    assert!(
        before < after,
        "the writer kept writing while the backup ran: {before} < {after}"
    );
    let said = stdout_of(&out);
    assert!(said.contains("Backed up"), "{said}");
    writer.await.unwrap();
    assert_eq!(written(&db).await.len(), CUSTOMERS);
    db.close().await.unwrap();
    stop(serving);

    // The manifest names the file's checksum, size and schema.
    let manifest: serde_json::Value = serde_json::from_slice(
        &std::fs::read(copies.path().join("patron-backup.db.manifest.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(manifest["sha256"], sha256_hex(&file));
    assert_eq!(manifest["bytes"], std::fs::metadata(&file).unwrap().len());
    assert_eq!(
        manifest["schema_version"],
        app::db::migration::latest_known()
    );

    // The copy is whole, and holds every customer committed before it began and none after a
    // gap: exactly the first k, with k between what was written before and after the backup.
    // (Read from a copy of it: opening a database for writing rewrites its header.)
    let inspected = copies.path().join("inspected.db");
    std::fs::copy(&file, &inspected).unwrap();
    let copy = open(&inspected).await;
    assert_eq!(scalar(&copy, "PRAGMA integrity_check").await, "ok");
    let held = written(&copy).await;
    let k = held.len();
    assert!((before..=after).contains(&k), "{before} <= {k} <= {after}");
    assert_eq!(held, (0..k).collect::<Vec<_>>(), "a consistent prefix");
    copy.close().await.unwrap();

    // Restored into a fresh data directory, it serves those customers with the same key.
    let fresh = tempfile::tempdir().unwrap();
    let said = stdout_of(&run(
        fresh.path(),
        &["restore", "--from", file.to_str().unwrap()],
    ));
    assert!(said.contains("Restored"), "{said}");
    let (restored, url) = serve(fresh.path());
    let client = reqwest::Client::new();
    let last = format!("w{:05}", k - 1);
    let page: serde_json::Value = client
        .get(format!("{url}/api/v1/customers?external_id={last}"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(page["data"][0]["external_id"], last, "{page}");
    let absent: serde_json::Value = client
        .get(format!("{url}/api/v1/customers?external_id=w{k:05}"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    if k < CUSTOMERS {
        assert_eq!(absent["data"], serde_json::json!([]), "{absent}");
    }

    // While that server runs, a restore onto it is refused and leaves its database alone.
    let out = run(fresh.path(), &["restore", "--from", file.to_str().unwrap()]);
    assert_refused(&out, "a Patron server is running");
    stop(restored);
    let kept: Vec<_> = std::fs::read_dir(fresh.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.contains("before-restore"))
        .collect();
    assert_eq!(
        kept,
        Vec::<String>::new(),
        "the refused restore replaced nothing"
    );
    let served = open(&fresh.path().join("patron.db")).await;
    assert_eq!(written(&served).await.len(), k);
    served.close().await.unwrap();
}

#[tokio::test]
async fn a_tampered_backup_or_a_newer_schema_is_refused_and_nothing_is_restored() {
    let live = tempfile::tempdir().unwrap();
    stdout_of(&run(
        live.path(),
        &["create-workspace", "--name", "Tampered"],
    ));
    let copies = tempfile::tempdir().unwrap();
    let file = copies.path().join("b.db");
    stdout_of(&run(
        live.path(),
        &["backup", "--to", file.to_str().unwrap()],
    ));
    // A second backup under a taken name is refused, and the first is left as it was.
    let sum = sha256_hex(&file);
    let out = run(live.path(), &["backup", "--to", file.to_str().unwrap()]);
    assert_refused(&out, "already exists");
    assert_eq!(sha256_hex(&file), sum);

    // One byte changed in the middle of the file.
    let tampered = copies.path().join("tampered.db");
    let mut bytes = std::fs::read(&file).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xff;
    std::fs::write(&tampered, &bytes).unwrap();
    std::fs::copy(
        copies.path().join("b.db.manifest.json"),
        copies.path().join("tampered.db.manifest.json"),
    )
    .unwrap();
    let fresh = tempfile::tempdir().unwrap();
    let out = run(
        fresh.path(),
        &["restore", "--from", tampered.to_str().unwrap()],
    );
    assert_refused(&out, "does not match its manifest's checksum");
    assert!(!fresh.path().join("patron.db").exists());

    // A backup from a newer release: its schema has a migration this build does not know
    // (its manifest rewritten to match, as that release would have written it).
    let newer = copies.path().join("newer.db");
    std::fs::copy(&file, &newer).unwrap();
    let db = open(&newer).await;
    db.execute_unprepared(
        "INSERT INTO seaql_migrations (version, applied_at) VALUES ('m20991231_000001_from_the_future', 4102444800)",
    )
    .await
    .unwrap();
    db.close().await.unwrap();
    let mut manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(copies.path().join("b.db.manifest.json")).unwrap())
            .unwrap();
    manifest["sha256"] = sha256_hex(&newer).into();
    manifest["bytes"] = std::fs::metadata(&newer).unwrap().len().into();
    manifest["schema_version"] = "m20991231_000001_from_the_future".into();
    std::fs::write(
        copies.path().join("newer.db.manifest.json"),
        serde_json::to_vec(&manifest).unwrap(),
    )
    .unwrap();
    let out = run(
        fresh.path(),
        &["restore", "--from", newer.to_str().unwrap()],
    );
    assert_refused(&out, "newer than this build knows");
    assert!(!fresh.path().join("patron.db").exists());
    // The same file with a manifest that names a schema this build knows: the file's own
    // schema still gives it away.
    manifest["schema_version"] = app::db::migration::latest_known().into();
    std::fs::write(
        copies.path().join("newer.db.manifest.json"),
        serde_json::to_vec(&manifest).unwrap(),
    )
    .unwrap();
    let out = run(
        fresh.path(),
        &["restore", "--from", newer.to_str().unwrap()],
    );
    assert_refused(&out, "m20991231_000001_from_the_future");
    assert!(!fresh.path().join("patron.db").exists());

    // A file without its manifest is not restored either.
    std::fs::remove_file(copies.path().join("b.db.manifest.json")).unwrap();
    let out = run(fresh.path(), &["restore", "--from", file.to_str().unwrap()]);
    assert_refused(&out, "with its manifest beside it");
    assert!(!fresh.path().join("patron.db").exists());
}

/// PostgreSQL is backed up with pg_dump; `server backup` says so, and `server restore --check`
/// reads what pg_restore left: its schema and counts, ready to serve.
async fn restore_check_reads_the_database(engine: Engine) {
    let t = TestDb::migrated(engine).await;
    let (var, value) = t.binary_env();
    let dir = tempfile::tempdir().unwrap();
    let with_db = |args: &[&str]| {
        server(dir.path())
            .env(var, &value)
            .args(args)
            .output()
            .unwrap()
    };
    let said = stdout_of(&with_db(&["restore", "--check"]));
    assert!(said.contains(&app::db::migration::latest_known()), "{said}");
    assert!(said.contains("ready to serve"), "{said}");
    if engine == Engine::Postgres {
        let to = dir.path().join("x.db");
        let out = with_db(&["backup", "--to", to.to_str().unwrap()]);
        assert_refused(&out, "pg_dump");
        assert!(!to.exists());
    }
    t.cleanup().await;
}

crate::on_both_engines!(restore_check_reads_the_database);

/// `/readyz` answers 200 while the server serves with its jobs running; after SIGTERM it
/// answers 503 "draining" for `--drain-for` while the server still serves, then the process
/// ends cleanly.
#[tokio::test]
async fn readyz_turns_unavailable_while_a_stopping_server_drains() {
    let data = tempfile::tempdir().unwrap();
    let (mut child, url) = spawn_serving(server(data.path()).args([
        "serve",
        "--addr",
        "127.0.0.1:0",
        "--drain-for",
        "6s",
    ]));
    let client = reqwest::Client::new();
    let ready = client.get(format!("{url}/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 200);
    let body: serde_json::Value = ready.json().await.unwrap();
    assert_eq!(body["status"], "ready", "{body}");
    assert_eq!(body["jobs"], "running", "{body}");

    let pid = child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let deadline = Instant::now() + Duration::from_secs(2);
    let draining = loop {
        let res = client.get(format!("{url}/readyz")).send().await.unwrap();
        if res.status() == 503 {
            break res.json::<serde_json::Value>().await.unwrap();
        }
        assert!(
            Instant::now() < deadline,
            "/readyz still ready 2 s after SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(draining["status"], "draining", "{draining}");
    // Still serving while it drains: liveness holds.
    let alive = client.get(format!("{url}/healthz")).send().await.unwrap();
    assert_eq!(alive.status(), 200);
    let deadline = Instant::now() + Duration::from_secs(15);
    let exit = loop {
        if let Some(exit) = child.try_wait().unwrap() {
            break exit;
        }
        assert!(
            Instant::now() < deadline,
            "the server did not stop after draining"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(exit.success(), "{exit}");
}

/// `serve --backup-every 1s --keep 2`: a backup at start and each second, the newest two kept,
/// each with a manifest whose checksum matches.
#[tokio::test]
async fn scheduled_backups_keep_the_newest() {
    let data = tempfile::tempdir().unwrap();
    let dir = data.path().join("copies");
    let mut child = server(data.path())
        .args([
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--backup-every",
            "1s",
            "--keep",
            "2",
        ])
        .env("PATRON_BACKUP_DIR", &dir)
        .spawn()
        .unwrap();
    let listed = |dir: &Path| {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .map(|entries| {
                entries
                    .map(|e| e.unwrap().file_name().into_string().unwrap())
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        names
    };
    // Four ticks at least: the first two are pruned by then.
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut seen = std::collections::BTreeSet::new();
    while seen.len() < 4 {
        assert!(Instant::now() < deadline, "backups so far: {seen:?}");
        seen.extend(listed(&dir).into_iter().filter(|n| n.ends_with(".db")));
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    child.wait().unwrap();
    let left = listed(&dir);
    let copies: Vec<&String> = left.iter().filter(|n| n.ends_with(".db")).collect();
    assert_eq!(copies.len(), 2, "{left:?}");
    assert_eq!(
        left.len(),
        4,
        "each copy and its manifest, nothing else: {left:?}"
    );
    // The newest two of all that were written.
    let newest: Vec<&String> = seen.iter().rev().take(2).rev().collect();
    assert!(
        copies.iter().zip(&newest).all(|(a, b)| a >= b),
        "{copies:?} {seen:?}"
    );
    for copy in copies {
        let manifest: serde_json::Value = serde_json::from_slice(
            &std::fs::read(dir.join(format!("{copy}.manifest.json"))).unwrap(),
        )
        .unwrap();
        assert_eq!(manifest["sha256"], sha256_hex(&dir.join(copy)), "{copy}");
    }
}

/// A restore over a database a crashed server left with commits only in its write-ahead log:
/// the restored file serves the backup alone (no old log is played into it), and the replaced
/// database is kept with its log, every commit in it.
#[tokio::test]
async fn a_restore_over_a_crashed_database_keeps_it_whole_and_plays_none_of_it_in() {
    let source = tempfile::tempdir().unwrap();
    stdout_of(&run(
        source.path(),
        &["create-workspace", "--name", "From the backup"],
    ));
    let copies = tempfile::tempdir().unwrap();
    let file = copies.path().join("b.db");
    stdout_of(&run(
        source.path(),
        &["backup", "--to", file.to_str().unwrap()],
    ));

    // The crashed server's files: a database and a log holding a commit the file lacks
    // (copied while the writer's connection is still open, as a crash leaves them).
    let live = tempfile::tempdir().unwrap();
    let ws = stdout_of(&run(live.path(), &["create-workspace", "--name", "Before"]))
        .trim()
        .to_owned();
    let db = open(&live.path().join("patron.db")).await;
    db.execute_unprepared("PRAGMA wal_autocheckpoint = 0")
        .await
        .unwrap();
    customers::create_customer(
        &Services::new(db.clone()),
        &Caller::system(WorkspaceId::parse(&ws).unwrap()),
        CustomerCreate {
            external_id: Some("only-in-the-log".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let crashed = tempfile::tempdir().unwrap();
    for name in ["patron.db", "patron.db-wal", "patron.db-shm"] {
        std::fs::copy(live.path().join(name), crashed.path().join(name)).unwrap();
    }
    db.close().await.unwrap();

    let said = stdout_of(&run(
        crashed.path(),
        &["restore", "--from", file.to_str().unwrap()],
    ));
    assert!(said.contains("is kept as"), "{said}");
    for journal in ["patron.db-wal", "patron.db-shm"] {
        assert!(
            !crashed.path().join(journal).exists(),
            "{journal} left beside the restored file"
        );
    }
    let restored = open(&crashed.path().join("patron.db")).await;
    assert_eq!(
        scalar(&restored, "SELECT name FROM workspaces").await,
        "From the backup"
    );
    assert_eq!(
        scalar(&restored, "SELECT COUNT(*) FROM customers").await,
        "0"
    );
    restored.close().await.unwrap();

    let kept = std::fs::read_dir(crashed.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            let name = p.file_name().unwrap().to_str().unwrap();
            name.contains(".before-restore-") && !name.ends_with("-wal")
        })
        .expect("the replaced database is kept");
    let old = open(&kept).await;
    assert_eq!(scalar(&old, "SELECT name FROM workspaces").await, "Before");
    assert_eq!(
        scalar(&old, "SELECT external_id FROM customers").await,
        "only-in-the-log"
    );
    old.close().await.unwrap();
}

/// A scrape of `/metrics`, parsed by Python's `prometheus_client` (an independent reader of
/// the text format; `.ci/test` points `PATRON_TEST_PYTHON` at the test tools' venv): every
/// sample as `name{label="value",...}` (labels sorted) to its value.
async fn scrape(client: &reqwest::Client, url: &str, token: &str) -> HashMap<String, f64> {
    let res = client
        .get(format!("{url}/metrics"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain; version=0.0.4")
    );
    let text = res.text().await.unwrap();
    let python = std::env::var("PATRON_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
    let mut child = Command::new(&python)
        .args([
            "-c",
            "import sys, json\n\
             from prometheus_client.parser import text_string_to_metric_families\n\
             out = {}\n\
             for fam in text_string_to_metric_families(sys.stdin.read()):\n\
             \x20   for s in fam.samples:\n\
             \x20       labels = ','.join(f'{k}=\"{v}\"' for k, v in sorted(s.labels.items()))\n\
             \x20       out[s.name + '{' + labels + '}'] = s.value\n\
             print(json.dumps(out))\n",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{python} cannot run ({e}): run the suite with .ci/test, which sets PATRON_TEST_PYTHON"));
    use std::io::Write as _;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "prometheus_client cannot parse the scrape ({python}; .ci/test installs it): {}\n{text}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn sample(samples: &HashMap<String, f64>, key: &str) -> f64 {
    samples.get(key).copied().unwrap_or(0.0)
}

/// After a checkout, a refund, a webhook delivered to a receiver and an email the mail server
/// refused, `/metrics` moved by exactly those amounts; without the token a scrape is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_exactly_what_a_scripted_run_did() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    // The webhook receiver, on loopback.
    let received = Arc::new(AtomicUsize::new(0));
    let hits = received.clone();
    let receiver = axum::Router::new().route(
        "/hooks",
        axum::routing::post(move || {
            let hits = hits.clone();
            async move {
                hits.fetch_add(1, Ordering::SeqCst);
                axum::http::StatusCode::NO_CONTENT
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hooks = format!("http://{}/hooks", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, receiver).await.unwrap() });
    // A mail server that is not there: every email fails its first attempt.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let smtp = format!("smtp://127.0.0.1:{}", closed.local_addr().unwrap().port());
    drop(closed);

    let data = tempfile::tempdir().unwrap();
    let ws = stdout_of(&run(
        data.path(),
        &["create-workspace", "--name", "Measured"],
    ))
    .trim()
    .to_owned();
    let key = stdout_of(&run(
        data.path(),
        &[
            "create-api-key",
            "--workspace",
            &ws,
            "--scopes",
            "products:write,checkouts:write,refunds:write,webhooks:write",
        ],
    ))
    .trim()
    .to_owned();
    let token = "a-scrape-token-of-some-length";
    let (child, url) = spawn_serving(
        server(data.path())
            .args(["serve", "--addr", "127.0.0.1:0"])
            .env("PATRON_METRICS_TOKEN", token)
            .env("PATRON_WEBHOOK_ALLOW_HOSTS", "127.0.0.0/8")
            .env("PATRON_SMTP_URL", &smtp),
    );
    let client = reqwest::Client::new();

    // No token, or the wrong one: refused.
    let anonymous = client.get(format!("{url}/metrics")).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
    let wrong = client
        .get(format!("{url}/metrics"))
        .bearer_auth("not-the-token-at-all-no")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);

    let before = scrape(&client, &url, token).await;
    let api = |path: &str, body: serde_json::Value| {
        let req = client
            .post(format!("{url}/api/v1{path}"))
            .bearer_auth(&key)
            .json(&body);
        async move {
            let res = req.send().await.unwrap();
            let status = res.status();
            let body: serde_json::Value = res.json().await.unwrap();
            assert!(status.is_success(), "{status} {body}");
            body
        }
    };
    api(
        "/webhook_endpoints",
        serde_json::json!({"url": hooks, "event_types": ["order.paid"]}),
    )
    .await;
    let product = api(
        "/products",
        serde_json::json!({"name": "Key", "kind": "one_time", "amount": 1500, "currency": "EUR"}),
    )
    .await;
    let checkout = api(
        "/checkouts",
        serde_json::json!({
            "product_id": product["id"],
            "payment_method": {"type": "card", "number": "4242 4242 4242 4242"},
            "customer": {"email": "measured@example.com"},
        }),
    )
    .await;
    let order = checkout["order"]["id"].as_str().unwrap();
    api(
        &format!("/orders/{order}/refunds"),
        serde_json::json!({"amount": 500}),
    )
    .await;

    // The jobs run on their own clocks: wait for the delivery and the mail attempt.
    let deadline = Instant::now() + Duration::from_secs(30);
    let after = loop {
        let now = scrape(&client, &url, token).await;
        let emailed = sample(&now, r#"patron_emails_total{outcome="retrying"}"#)
            + sample(&now, r#"patron_emails_total{outcome="failed"}"#);
        if received.load(Ordering::SeqCst) >= 1 && emailed >= 1.0 {
            break now;
        }
        assert!(
            Instant::now() < deadline,
            "no delivery or email attempt after 30 s"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let moved = |key: &str| sample(&after, key) - sample(&before, key);
    assert_eq!(
        moved(r#"patron_provider_charges_total{outcome="succeeded"}"#),
        1.0
    );
    assert_eq!(
        moved(r#"patron_provider_refunds_total{outcome="succeeded"}"#),
        1.0
    );
    assert_eq!(
        moved(r#"patron_webhook_deliveries_total{outcome="delivered"}"#),
        1.0
    );
    assert_eq!(
        moved(r#"patron_webhook_deliveries_total{outcome="failed"}"#),
        0.0
    );
    assert_eq!(moved(r#"patron_emails_total{outcome="sent"}"#), 0.0);
    assert_eq!(
        moved(r#"patron_emails_total{outcome="retrying"}"#)
            + moved(r#"patron_emails_total{outcome="failed"}"#),
        1.0,
        "the receipt's one failed attempt"
    );
    assert_eq!(
        moved(
            r#"patron_http_requests_total{method="POST",route="/api/v1/checkouts",status="2xx"}"#
        ),
        1.0
    );
    assert_eq!(
        moved(
            r#"patron_http_requests_total{method="POST",route="/api/v1/orders/{id}/refunds",status="2xx"}"#
        ),
        1.0
    );
    assert!(sample(&after, r#"patron_job_runs_total{job="webhooks"}"#) >= 1.0);
    assert!(sample(&after, r#"patron_db_connections_max{}"#) >= 1.0);
    assert_eq!(
        sample(&after, r#"patron_queue_waiting{queue="webhooks"}"#),
        0.0
    );
    // No customer's email, no key and no token in what Prometheus reads.
    let text = client
        .get(format!("{url}/metrics"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for secret in ["measured@example.com", key.as_str(), token] {
        assert!(!text.contains(secret), "{secret} in /metrics");
    }
    stop(child);
}

/// Job heartbeats as Settings → System reads them: a failure starts a streak that further
/// failures keep (from its first moment) and a success ends; an owner sees every job, anyone
/// else nothing.
async fn the_system_section_tells_an_owner_how_each_job_is_doing(engine: Engine) {
    use app::domain::{Clock, system};
    use app::types::Role;

    let app = crate::support::TestApp::on(engine).build().await;
    let svc = &app.svc;
    let t0 = app.clock.now();
    system::record_job_run(&svc.db, "emails", t0, true)
        .await
        .unwrap();
    let t1 = t0 + chrono::Duration::minutes(16);
    system::record_job_run(&svc.db, "emails", t1, true)
        .await
        .unwrap();
    system::record_job_run(&svc.db, "webhooks", t1, false)
        .await
        .unwrap();
    app.clock.advance(chrono::Duration::minutes(16));

    let ws = &app.tenant.workspace_id;
    let (_, owner) = crate::support::accounts::member(
        svc,
        ws,
        "owner@example.com",
        Role::Owner,
        "a long password",
    )
    .await;
    let (_, admin) = crate::support::accounts::member(
        svc,
        ws,
        "admin@example.com",
        Role::Admin,
        "a long password",
    )
    .await;
    assert_eq!(system::status(svc, &admin).await.unwrap(), None);
    let status = system::status(svc, &owner).await.unwrap().unwrap();
    let labels: Vec<&str> = status.jobs.iter().map(|j| j.label.as_str()).collect();
    assert_eq!(
        labels,
        [
            "Renewals, retries and expiries",
            "Reconciliation with the payment provider",
            "Webhook deliveries",
            "Emails",
            "Bulk actions",
            "Clean-up of expired sessions and keys",
        ],
        "backups are listed once they run"
    );
    let emails = &status.jobs[3];
    assert_eq!((emails.runs, emails.failures), (2, 2));
    assert_eq!(
        emails.failing_since,
        Some(t0),
        "the streak dates from its first failure"
    );
    assert_eq!(emails.last_success_at, None);
    assert_eq!(emails.last_run_at, Some(t1));
    assert_eq!(status.failing_long(), vec![emails]);
    assert_eq!(status.jobs[2].failing_since, None);
    assert_eq!(status.jobs[0].last_run_at, None, "billing has not run here");
    assert!(status.schema_up_to_date);

    // A success ends the streak.
    let t2 = t1 + chrono::Duration::minutes(1);
    system::record_job_run(&svc.db, "emails", t2, false)
        .await
        .unwrap();
    let status = system::status(svc, &owner).await.unwrap().unwrap();
    let emails = &status.jobs[3];
    assert_eq!((emails.runs, emails.failures), (3, 2));
    assert_eq!(emails.failing_since, None);
    assert_eq!(emails.last_success_at, Some(t2));
    assert!(status.failing_long().is_empty());
    app.cleanup().await;
}

crate::on_both_engines!(the_system_section_tells_an_owner_how_each_job_is_doing);
