//! Test harness: fresh databases on either engine, and the real router on a free port; the
//! fixtures built on them live in rooms by concern.

use std::net::SocketAddr;
use std::sync::Arc;

use app::db::{self, DatabaseTarget, Engine, Migrator};
use app::domain::Services;
use app::domain::actor::Caller;
use app::domain::clock::ManualClock;
use app::types::Scope;
use chrono::{DateTime, TimeZone, Utc};
use leptos::config::LeptosOptions;
use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, DatabaseConnection};
use sea_orm_migration::MigratorTrait;
use serde_json::Value;
use server::state::AppState;

pub mod accounts;
pub mod billing;
pub mod money;
pub mod portal;

pub use accounts::member;
pub use billing::{World, recomputed, world};
pub use money::{
    agree, card, checkout, ledger, monthly, movements, one_time, other_workspace, paid_checkout,
};
pub use portal::code_in;

/// Where the PostgreSQL test databases are created. `.ci/test` starts the local cluster and
/// sets it; without it a plain `cargo test` runs the SQLite half and says, once, that the
/// PostgreSQL half did not run.
pub const PG_ADMIN_URL_VAR: &str = "PATRON_TEST_PG_URL";

/// Set by `.ci/test`: there, a missing PostgreSQL fails every PostgreSQL test instead.
pub const PG_REQUIRED_VAR: &str = "PATRON_TEST_REQUIRE_PG";

/// Whether the PostgreSQL half runs: [`PG_ADMIN_URL_VAR`] is set, or [`PG_REQUIRED_VAR`] is
/// (and the test then fails on the missing server). Otherwise one line on the terminal says
/// the half was not run, the first time a test asks.
pub fn postgres_runs() -> bool {
    static SAID: std::sync::Once = std::sync::Once::new();
    if std::env::var_os(PG_ADMIN_URL_VAR).is_some() || std::env::var_os(PG_REQUIRED_VAR).is_some() {
        return true;
    }
    SAID.call_once(|| {
        use std::io::Write as _;
        // Straight to the terminal: the test harness captures `eprintln!`.
        let _ = writeln!(
            std::io::stderr(),
            "note: the PostgreSQL half of the database tests did not run: set \
             {PG_ADMIN_URL_VAR} (README command 2 starts a server and sets it)"
        );
    });
    false
}

/// A database made for one test, dropped by [`TestDb::cleanup`].
pub struct TestDb {
    pub db: DatabaseConnection,
    pub engine: Engine,
    target: DatabaseTarget,
    _dir: Option<tempfile::TempDir>,
    pg: Option<(String, String)>,
}

impl TestDb {
    /// An empty database: no tables, no migrations.
    pub async fn empty(engine: Engine) -> Self {
        match engine {
            Engine::Sqlite => {
                let dir = tempfile::tempdir().unwrap();
                let target = DatabaseTarget::embedded(dir.path());
                let db = db::connect(&target).await.unwrap();
                Self {
                    db,
                    engine,
                    target,
                    _dir: Some(dir),
                    pg: None,
                }
            }
            Engine::Postgres => {
                let admin_url = std::env::var(PG_ADMIN_URL_VAR).unwrap_or_else(|_| {
                    panic!(
                        "{PG_ADMIN_URL_VAR} is not set: run the suite with .ci/test, which starts \
                         PostgreSQL, or point it at a server where this role may create databases"
                    )
                });
                let name = format!(
                    "patron_test_{}",
                    ulid::Ulid::new().to_string().to_lowercase()
                );
                let admin = db::connect(&DatabaseTarget::from_url(&admin_url).unwrap())
                    .await
                    .unwrap();
                admin
                    .execute_unprepared(&format!("CREATE DATABASE {name}"))
                    .await
                    .unwrap();
                admin.close().await.unwrap();
                let mut url = url::Url::parse(&admin_url).unwrap();
                url.set_path(&name);
                let target = DatabaseTarget::from_url(url.as_str()).unwrap();
                let db = db::connect(&target).await.unwrap();
                Self {
                    db,
                    engine,
                    target,
                    _dir: None,
                    pg: Some((admin_url, name)),
                }
            }
        }
    }

    /// A database with every migration applied.
    pub async fn migrated(engine: Engine) -> Self {
        let t = Self::empty(engine).await;
        Migrator::up(&t.db, None).await.unwrap();
        t
    }

    /// A database with every migration before `migration` applied: the schema as the version
    /// before it left it.
    pub async fn migrated_before(engine: Engine, migration: &str) -> Self {
        let t = Self::empty(engine).await;
        let before = Migrator::migrations()
            .iter()
            .position(|m| m.name() == migration)
            .unwrap_or_else(|| panic!("{migration} is not a registered migration"))
            as u32;
        Migrator::up(&t.db, Some(before)).await.unwrap();
        t
    }

    /// Fresh services (a new process's view) on the database a server uses.
    pub fn services_of(srv: &TestServer) -> Services {
        Services::new(srv.services.db.clone())
    }

    /// Another pool on the same database: what a second server process would open.
    pub async fn connect_again(&self) -> DatabaseConnection {
        db::connect(&self.target).await.unwrap()
    }

    /// The environment variable and value that point the `server` binary at this database.
    pub fn binary_env(&self) -> (&'static str, String) {
        match (&self._dir, &self.pg) {
            (Some(dir), _) => ("PATRON_DATA_DIR", dir.path().display().to_string()),
            (None, Some((admin_url, name))) => {
                let mut url = url::Url::parse(admin_url).unwrap();
                url.set_path(name);
                ("DATABASE_URL", url.to_string())
            }
            (None, None) => unreachable!("a test database is a folder or a PostgreSQL database"),
        }
    }

    /// Services on this database with the system clock.
    pub fn services(&self) -> Services {
        Services::new(self.db.clone())
    }

    /// Closes the pool and drops the PostgreSQL database (the SQLite folder goes with `self`).
    pub async fn cleanup(mut self) {
        self.db.clone().close().await.unwrap();
        if let Some(pg) = self.pg.take() {
            drop_database(pg).await;
        }
    }
}

/// A test that fails before its `cleanup` still drops its PostgreSQL database: on its own
/// thread and runtime, since the test's runtime may be gone.
impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some(pg) = self.pg.take() {
            let dropped = std::thread::spawn(move || {
                tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap()
                    .block_on(drop_database(pg));
            })
            .join();
            if dropped.is_err() && !std::thread::panicking() {
                panic!("dropping a test database failed");
            }
        }
    }
}

async fn drop_database((admin_url, name): (String, String)) {
    let admin = db::connect(&DatabaseTarget::from_url(&admin_url).unwrap())
        .await
        .unwrap();
    // An autovacuum worker (or a failed test's open pool) may still be in the database;
    // WITH (FORCE) ends them, given `pg_signal_backend` (granted by `.ci/lib.sh`).
    let drop = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
    let mut attempt = 0;
    while let Err(e) = admin.execute_unprepared(&drop).await {
        attempt += 1;
        assert!(attempt < 50, "could not drop test database {name}: {e}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    admin.close().await.unwrap();
}

/// The real router, listening on 127.0.0.1:0.
pub struct TestServer {
    pub base: String,
    pub client: reqwest::Client,
    services: Services,
    handle: tokio::task::JoinHandle<()>,
}

impl TestServer {
    /// Signs in through the login server function, as the login form does: its status and
    /// the session cookie (`patron_session=...`) when one was set.
    pub async fn log_in(&self, email: &str, password: &str) -> (StatusCode, Option<String>) {
        let res = self
            .client
            .post(self.url("/rpc/auth/log_in"))
            .form(&[("email", email), ("password", password)])
            .send()
            .await
            .unwrap();
        let cookie = res
            .headers()
            .get("set-cookie")
            .map(|v| v.to_str().unwrap().to_owned());
        (res.status(), cookie)
    }

    /// Serves the whole application on `services`' database.
    pub async fn start(services: Services) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr: SocketAddr = listener.local_addr().unwrap();
        // Links in emails point at this server.
        let services = services.with_public_url(&format!("http://{addr}"));
        Self::serve(listener, services)
    }

    /// A server reached through a proxy at `public_url` (links and the origin check use it).
    pub async fn start_behind(services: Services, public_url: &str) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        Self::serve(listener, services.with_public_url(public_url))
    }

    fn serve(listener: tokio::net::TcpListener, services: Services) -> Self {
        let addr: SocketAddr = listener.local_addr().unwrap();
        let leptos_options = LeptosOptions::builder()
            .output_name("patron")
            .site_root(env!("CARGO_MANIFEST_DIR").to_owned() + "/../target/site")
            .site_addr(addr)
            .build();
        let app = server::router::router(AppState {
            leptos_options,
            files: server::adapters::files::FileFetcher::new(services.webhook_hosts.clone())
                .unwrap(),
            webhook_sender: std::sync::Arc::new(
                server::adapters::webhooks::HttpSender::new(services.webhook_hosts.clone())
                    .unwrap(),
            ),
            services: services.clone(),
            readiness: server::web::health::Readiness::default(),
            metrics: None,
        });
        let handle = tokio::spawn(async move {
            axum::serve(
                listener,
                app.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .await
            .unwrap();
        });
        Self {
            base: format!("http://{addr}"),
            services,
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            handle,
        }
    }

    /// Absolute URL of `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.handle.abort();
    }
}

/// Defines, for each listed `async fn name(engine: Engine)`, a module `name` holding one test per
/// engine: `name::sqlite` and `name::postgres`.
#[macro_export]
macro_rules! on_both_engines {
    ($($name:ident),+ $(,)?) => {
        $(
            mod $name {
                #[tokio::test]
                async fn sqlite() {
                    super::$name(app::db::Engine::Sqlite).await;
                }
                #[tokio::test]
                async fn postgres() {
                    if $crate::support::postgres_runs() {
                        super::$name(app::db::Engine::Postgres).await;
                    }
                }
            }
        )+
    };
}

/// One test's Patron, the fixture every database test starts from: a migrated database on
/// `engine`, services on a manual clock, a workspace ("Shop") with an API key, the workspace's
/// system caller, and the real router on a free port with a REST client holding the key.
pub struct TestApp {
    pub t: TestDb,
    pub svc: Services,
    pub clock: Arc<ManualClock>,
    pub tenant: Tenant,
    pub caller: Caller,
    pub api: Api,
}

/// How a [`TestApp`] is made: [`TestApp::on`], then any of `at`, `scopes`, then `build`.
pub struct TestAppBuilder {
    engine: Engine,
    clock: ManualClock,
    scopes: Vec<Scope>,
}

impl TestApp {
    /// A builder on `engine`: a clock from 2026-11-21 09:00 UTC that ticks a millisecond at
    /// every reading (what is made later sorts later), a key holding every scope.
    pub fn on(engine: Engine) -> TestAppBuilder {
        TestAppBuilder {
            engine,
            clock: ManualClock::ticking(
                Utc.with_ymd_and_hms(2026, 11, 21, 9, 0, 0).unwrap(),
                chrono::Duration::milliseconds(1),
            ),
            scopes: Scope::ALL.to_vec(),
        }
    }

    /// Stops the server and drops the database.
    pub async fn cleanup(self) {
        drop(self.api);
        self.t.cleanup().await;
    }
}

impl TestAppBuilder {
    /// The clock stands still at `at`, moving only when a test advances it.
    pub fn at(mut self, at: DateTime<Utc>) -> Self {
        self.clock = ManualClock::new(at);
        self
    }

    /// The API key holds `scopes` only.
    pub fn scopes(mut self, scopes: &[Scope]) -> Self {
        self.scopes = scopes.to_vec();
        self
    }

    pub async fn build(self) -> TestApp {
        let t = TestDb::migrated(self.engine).await;
        let clock = Arc::new(self.clock);
        let svc = Services::new(t.db.clone()).with_clock(clock.clone());
        let tenant = Tenant::create(&svc, "Shop", &self.scopes).await;
        let caller = Caller::system(tenant.workspace_id.clone());
        let api = Api {
            srv: TestServer::start(svc.clone()).await,
            key: tenant.key.clone(),
        };
        // What the test calls directly makes links to the same server.
        let svc = svc.with_public_url(&api.srv.base);
        TestApp {
            t,
            svc,
            clock,
            tenant,
            caller,
            api,
        }
    }
}

/// A workspace with one API key, for HTTP tests.
pub struct Tenant {
    pub workspace_id: app::types::WorkspaceId,
    pub key: String,
}

impl Tenant {
    /// A new workspace named `name` and a key holding `scopes`.
    pub async fn create(svc: &Services, name: &str, scopes: &[app::types::Scope]) -> Self {
        use app::domain::{api_keys, workspaces};
        let ws = workspaces::create_workspace(
            svc,
            workspaces::NewWorkspace {
                name: name.into(),
                default_currency: app::types::money::CurrencyCode::EUR,
            },
        )
        .await
        .unwrap();
        let key = api_keys::create_api_key(svc, &ws.id, "tests", scopes)
            .await
            .unwrap();
        Self {
            workspace_id: ws.id,
            key: key.secret,
        }
    }

    /// A second key for this workspace with other scopes.
    pub async fn key_with(&self, svc: &Services, scopes: &[app::types::Scope]) -> String {
        app::domain::api_keys::create_api_key(svc, &self.workspace_id, "more", scopes)
            .await
            .unwrap()
            .secret
    }
}

/// A REST client holding one API key, on its own server.
pub struct Api {
    pub srv: TestServer,
    pub key: String,
}

impl Api {
    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        self.send_with(method, path, body, &[]).await.0
    }

    pub async fn send_with(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> ((StatusCode, Value), reqwest::header::HeaderMap) {
        let mut req = self
            .srv
            .client
            .request(method, self.srv.url(&format!("/api/v1{path}")))
            .bearer_auth(&self.key);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let text = res.text().await.unwrap();
        let json = serde_json::from_str(&text).unwrap_or(Value::String(text));
        ((status, json), headers)
    }

    /// A request that must succeed (2xx): its body. A failure shows its status and body.
    async fn ok(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let what = format!("{method} {path}");
        let (status, body) = self.send(method, path, body).await;
        assert!(status.is_success(), "{what}: {status} {body}");
        body
    }

    /// GET that must succeed.
    pub async fn get_ok(&self, path: &str) -> Value {
        self.ok(reqwest::Method::GET, path, None).await
    }

    /// POST that must succeed.
    pub async fn post_ok(&self, path: &str, body: Value) -> Value {
        self.ok(reqwest::Method::POST, path, Some(body)).await
    }

    /// PATCH that must succeed.
    pub async fn patch_ok(&self, path: &str, body: Value) -> Value {
        self.ok(reqwest::Method::PATCH, path, Some(body)).await
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.send(reqwest::Method::GET, path, None).await
    }
    pub async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.send(reqwest::Method::POST, path, Some(body)).await
    }
    pub async fn patch(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.send(reqwest::Method::PATCH, path, Some(body)).await
    }
}

/// Asserts an error envelope: status, code, param and a request id.
pub fn assert_error(
    res: &(StatusCode, Value),
    status: StatusCode,
    code: &str,
    param: Option<&str>,
) {
    assert_eq!(res.0, status, "{}", res.1);
    assert_eq!(res.1["error"]["code"], code, "{}", res.1);
    match param {
        Some(p) => assert_eq!(res.1["error"]["param"], p, "{}", res.1),
        None => assert_eq!(res.1["error"]["param"], Value::Null, "{}", res.1),
    }
    assert!(
        res.1["error"]["request_id"]
            .as_str()
            .unwrap()
            .starts_with("req_")
    );
}

/// Asserts that `items` holds at least one item and that every one satisfies `pred`: an `all`
/// over nothing would prove nothing.
#[track_caller]
pub fn assert_every<'a, T: std::fmt::Debug + 'a>(
    items: impl IntoIterator<Item = &'a T>,
    pred: impl Fn(&T) -> bool,
) {
    let items: Vec<&T> = items.into_iter().collect();
    assert!(!items.is_empty(), "expected at least one item");
    for item in items {
        assert!(pred(item), "{item:?}");
    }
}
