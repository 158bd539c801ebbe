//! `server drill`: the outages money must survive, rehearsed against a database of its own with
//! real server processes and the simulated provider's faults (`PATRON_SIM_FAULTS`), then the
//! reconciliation job and a table of what moved at the provider and what Patron recorded.
//!
//! The standard drill:
//! 1. a checkout whose client hangs up while the provider is slow to answer, retried with the
//!    same `Idempotency-Key` after the key's lock: one charge, one order, and the retry answers
//!    the first attempt's order;
//! 2. a server process killed (`kill -9`) after the provider took the money and before the
//!    order was committed: the reconciliation job gives the money back;
//! 3. two billing clocks, each on its own connection pool as two processes would be, renewing
//!    the same subscriptions a month later: each period charged once;
//! 4. a provider that refuses every refund while a server process runs: the refunds stay
//!    pending, then the reconciliation job settles them.
//!
//! Leases are minutes long; the drill's own reconciliation runs on a clock set past them, so a
//! drill takes seconds, not minutes. It writes payments dated a month ahead, so it refuses a
//! database that holds any workspace.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use app::db::DatabaseTarget;
use app::db::entities::{charge_attempt, order, refund, workspace};
use app::domain::payments::{self, AttemptStatus, Purpose};
use app::domain::provider::MovementKind;
use app::domain::{
    Caller, ManualClock, Services, api_keys, billing, products, reconciliation, workspaces,
};
use app::types::Scope;
use app::types::money::{self, CurrencyCode};
use app::types::order::RefundStatus;
use app::types::product::{BillingInterval, ProductCreate, ProductKind};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};

use crate::cli::GlobalArgs;

/// How a drill went: one line per scenario, and the ledger's figures after reconciliation.
#[derive(Debug, Clone, Default)]
pub struct DrillReport {
    /// Each scenario and what came of it.
    pub scenarios: Vec<(String, String)>,
    /// Net money the provider moved (charges less refunds), per currency.
    pub moved: BTreeMap<CurrencyCode, i64>,
    /// Net money Patron recorded (paid orders less refunds), per currency.
    pub recorded: BTreeMap<CurrencyCode, i64>,
    /// Differences `server reconcile` finds.
    pub differences: Vec<String>,
    /// Purchases or renewal periods the provider charged more than once.
    pub duplicate_charges: u64,
}

impl DrillReport {
    /// Whether money moved and was recorded alike, with no duplicate charge.
    pub fn passed(&self) -> bool {
        self.differences.is_empty() && self.duplicate_charges == 0 && self.moved == self.recorded
    }

    /// The table the command prints.
    pub fn table(&self) -> String {
        let mut out = String::new();
        let width = self
            .scenarios
            .iter()
            .map(|(s, _)| s.chars().count())
            .max()
            .unwrap_or(0)
            .max(32);
        for (scenario, outcome) in &self.scenarios {
            out.push_str(&format!("{scenario:<width$}  {outcome}\n"));
        }
        out.push('\n');
        let money = |m: &BTreeMap<CurrencyCode, i64>| {
            if m.is_empty() {
                return "nothing".to_owned();
            }
            m.iter()
                .map(|(c, a)| money::format(*a, *c))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let rows = [
            ("money moved (provider, net)", money(&self.moved)),
            ("money recorded (Patron, net)", money(&self.recorded)),
            ("differences", self.differences.len().to_string()),
            ("duplicate charges", self.duplicate_charges.to_string()),
        ];
        for (what, value) in rows {
            out.push_str(&format!("{what:<width$}  {value}\n"));
        }
        for d in &self.differences {
            out.push_str(&format!("  {d}\n"));
        }
        out
    }
}

/// A server process started for the drill, with its faults.
struct Server {
    child: Child,
    base: String,
}

impl Server {
    /// Starts `server serve` on a free loopback port with `faults` and a one-second key lock,
    /// and waits until it listens.
    fn start(global: &GlobalArgs, faults: &str) -> anyhow::Result<Self> {
        let exe = std::env::current_exe().context("cannot find the server binary")?;
        let mut cmd = Command::new(exe);
        pass_database(&mut cmd, global);
        cmd.args(["serve", "--addr", "127.0.0.1:0"])
            .env("PATRON_SIM_FAULTS", faults)
            .env("PATRON_IDEMPOTENCY_LOCK", "1s")
            .env("RUST_LOG", "info")
            .env_remove("PATRON_LOG_JSON")
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().context("cannot start a server process")?;
        let stderr = child
            .stderr
            .take()
            .context("cannot read the server process's log")?;
        let (tx, rx) = std::sync::mpsc::channel();
        // The log is read to its end on its own thread, so the process never blocks on it.
        std::thread::spawn(move || {
            let mut tx = Some(tx);
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(at) = line.find("listening on http://")
                    && let Some(tx) = tx.take()
                {
                    let _ = tx.send(line[at + "listening on ".len()..].trim().to_owned());
                }
            }
        });
        match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(base) => Ok(Self { child, base }),
            Err(_) => {
                let _ = child.kill();
                bail!("a server process did not start listening within 60 s")
            }
        }
    }

    /// `kill -9`: the process ends at once, mid-work.
    fn crash(mut self) -> anyhow::Result<()> {
        self.child.kill().context("cannot kill a server process")?;
        self.child.wait()?;
        Ok(())
    }

    /// SIGTERM, and waits for it to finish what it was doing.
    fn stop(mut self) -> anyhow::Result<()> {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .context("cannot signal a server process")?;
        if !status.success() {
            bail!("cannot signal a server process");
        }
        self.child.wait()?;
        Ok(())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Gives a child process the same database as this one.
fn pass_database(cmd: &mut Command, global: &GlobalArgs) {
    if let Some(url) = &global.database_url {
        cmd.env("DATABASE_URL", url);
    }
    if let Some(dir) = &global.data_dir {
        cmd.env("PATRON_DATA_DIR", dir);
    }
    if let Some(config) = &global.config {
        cmd.env("PATRON_CONFIG", config);
    }
}

/// A REST client of the drill's workspace.
struct Client {
    http: reqwest::Client,
    key: String,
}

impl Client {
    async fn post(
        &self,
        server: &Server,
        path: &str,
        body: &Value,
        key: &str,
        patience: Option<Duration>,
    ) -> anyhow::Result<Option<(u16, Value)>> {
        let mut req = self
            .http
            .post(format!("{}/api/v1{path}", server.base))
            .bearer_auth(&self.key)
            .header("Idempotency-Key", key)
            .json(body);
        if let Some(p) = patience {
            req = req.timeout(p);
        }
        match req.send().await {
            Ok(res) => {
                let status = res.status().as_u16();
                Ok(Some((status, res.json().await.unwrap_or(Value::Null))))
            }
            Err(e) if e.is_timeout() => Ok(None),
            Err(e) => Err(e).context("a request to a server process failed"),
        }
    }

    /// Sends until the answer is not "still running" (409 `idempotency_key_in_flight`).
    async fn settle(
        &self,
        server: &Server,
        path: &str,
        body: &Value,
        key: &str,
    ) -> anyhow::Result<(u16, Value)> {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let answer = self
                .post(server, path, body, key, None)
                .await?
                .context("a request got no answer")?;
            let waiting =
                answer.0 == 409 && answer.1["error"]["code"] == "idempotency_key_in_flight";
            if !waiting {
                return Ok(answer);
            }
            if Instant::now() > deadline {
                bail!("a retry under the same Idempotency-Key was still refused after 60 s");
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }
}

fn card(number: &str) -> Value {
    json!({"type": "card", "number": number})
}

fn purchase(product: &str, email: &str) -> Value {
    json!({"customer": {"email": email}, "product_id": product,
           "payment_method": card("4242424242424242")})
}

/// Runs the standard drill on the database `global` names.
pub async fn drill(
    svc: &Services,
    target: &DatabaseTarget,
    global: &GlobalArgs,
) -> anyhow::Result<DrillReport> {
    if workspace::Entity::find().count(&svc.db).await? > 0 {
        bail!(
            "the database holds workspaces: the drill writes payments dated a month ahead, so run it on a database of its own (a new --data-dir, or a new PostgreSQL database)"
        );
    }
    let ws = workspaces::create_workspace(
        svc,
        workspaces::NewWorkspace {
            name: "Fault drill".into(),
            default_currency: app::types::money::CurrencyCode::EUR,
        },
    )
    .await
    .map_err(|e| anyhow::anyhow!("creating the drill's workspace: {e}"))?;
    let caller = Caller::system(ws.id.clone());
    let product = |name: &str, kind, amount| ProductCreate {
        name: name.into(),
        kind,
        amount,
        currency: CurrencyCode::EUR,
        interval: (kind == ProductKind::Subscription).then_some(BillingInterval::Month),
        interval_count: None,
        benefits: vec![],
    };
    let book = products::create_product(svc, &caller, product("Book", ProductKind::OneTime, 1500))
        .await
        .map_err(|e| anyhow::anyhow!("creating the drill's products: {e}"))?;
    let vip =
        products::create_product(svc, &caller, product("VIP", ProductKind::Subscription, 999))
            .await
            .map_err(|e| anyhow::anyhow!("creating the drill's products: {e}"))?;
    let key = api_keys::create_api_key(svc, &ws.id, "fault drill", &Scope::ALL)
        .await
        .map_err(|e| anyhow::anyhow!("creating the drill's API key: {e}"))?;
    let client = Client {
        http: reqwest::Client::builder()
            .no_proxy()
            .build()
            .context("cannot build an HTTP client")?,
        key: key.secret,
    };
    let mut report = DrillReport::default();

    // 1. A hang-up during a checkout, retried with the same key after the key's lock.
    let server = Server::start(global, "charge.after:hang:5s:1")?;
    let body = purchase(book.id.as_str(), "hang-up@drill.example");
    let first = client
        .post(
            &server,
            "/checkouts",
            &body,
            "drill-hang-up",
            Some(Duration::from_secs(1)),
        )
        .await?;
    if first.is_some() {
        bail!("scenario 1: the checkout answered before the provider did");
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let (status, answer) = client
        .settle(&server, "/checkouts", &body, "drill-hang-up")
        .await?;
    let orders_of = order::Entity::find()
        .filter(order::Column::WorkspaceId.eq(ws.id.as_str()))
        .filter(order::Column::Id.eq(answer["order"]["id"].as_str().unwrap_or_default()))
        .count(&svc.db)
        .await?;
    let outcome = if status == 201 && orders_of == 1 {
        "one charge, one order, answered to the retry".to_owned()
    } else {
        format!("FAILED: the retry answered {status}")
    };
    report.scenarios.push((
        "1. checkout hang-up, retried with the same key".into(),
        outcome,
    ));
    server.stop()?;

    // 2. kill -9 between the provider's answer and the commit.
    let server = Server::start(global, "charge.after:hang:60s:1")?;
    let charges_before = charges(svc).await?;
    let body = purchase(book.id.as_str(), "crash@drill.example");
    let pending = {
        let (http, key, url) = (
            client.http.clone(),
            client.key.clone(),
            format!("{}/api/v1/checkouts", server.base),
        );
        tokio::spawn(async move {
            let _ = http
                .post(url)
                .bearer_auth(key)
                .header("Idempotency-Key", "drill-crash")
                .json(&body)
                .send()
                .await;
        })
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    while charges(svc).await? == charges_before {
        if Instant::now() > deadline {
            bail!("scenario 2: the provider never took the money");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    server.crash()?;
    pending.abort();
    // After the attempt's lease, the reconciliation job finds the charge without an order.
    let later = later_services(svc, payments::LEASE + chrono::Duration::minutes(1));
    let run = reconciliation::reconcile(&later)
        .await
        .map_err(|e| anyhow::anyhow!("scenario 2: {e}"))?;
    report.scenarios.push((
        "2. kill -9 between the provider's answer and the commit".into(),
        if run.voided == 1 {
            "the charge given back by reconciliation".to_owned()
        } else {
            format!("FAILED: reconciliation gave back {} charges", run.voided)
        },
    ));

    // 3. Two billing clocks renewing the same subscriptions a month later.
    let server = Server::start(global, "")?;
    const SUBSCRIBERS: usize = 20;
    for i in 0..SUBSCRIBERS {
        let body = purchase(vip.id.as_str(), &format!("subscriber{i}@drill.example"));
        let (status, answer) = client
            .settle(&server, "/checkouts", &body, &format!("drill-sub-{i}"))
            .await?;
        if status != 201 {
            bail!("scenario 3: a subscription checkout answered {status}: {answer}");
        }
    }
    server.stop()?;
    let month_on = later_services(svc, chrono::Duration::days(31));
    let other = month_on.clone().with_db(app::db::connect(target).await?);
    let mut renewed = 0;
    for _ in 0..3 {
        let (a, b) = tokio::join!(
            billing::run_billing(&month_on),
            billing::run_billing(&other)
        );
        renewed += a.map_err(|e| anyhow::anyhow!("scenario 3: {e}"))?.renewed
            + b.map_err(|e| anyhow::anyhow!("scenario 3: {e}"))?.renewed;
    }
    other.db.close().await?;
    report.scenarios.push((
        format!("3. two billing clocks renewing {SUBSCRIBERS} subscriptions"),
        if renewed == SUBSCRIBERS {
            format!("{renewed} renewals, each once")
        } else {
            format!("FAILED: {renewed} renewals of {SUBSCRIBERS}")
        },
    ));

    // 4. A provider that refuses every refund while a server process runs.
    let server = Server::start(global, "refund.before:fail:1000")?;
    const REFUNDS: usize = 5;
    for i in 0..REFUNDS {
        let body = purchase(book.id.as_str(), &format!("refund{i}@drill.example"));
        let (status, paid) = client
            .settle(&server, "/checkouts", &body, &format!("drill-buy-{i}"))
            .await?;
        if status != 201 {
            bail!("scenario 4: a checkout answered {status}: {paid}");
        }
        let path = format!(
            "/orders/{}/refunds",
            paid["order"]["id"].as_str().unwrap_or_default()
        );
        let (status, answer) = client
            .settle(&server, &path, &json!({}), &format!("drill-refund-{i}"))
            .await?;
        if status != 201 || answer["status"] != "pending" {
            bail!("scenario 4: a refund answered {status}: {answer}");
        }
    }
    server.stop()?;
    let later = later_services(svc, payments::LEASE + chrono::Duration::minutes(1));
    let run = reconciliation::reconcile(&later)
        .await
        .map_err(|e| anyhow::anyhow!("scenario 4: {e}"))?;
    let settled = refund::Entity::find()
        .filter(refund::Column::WorkspaceId.eq(ws.id.as_str()))
        .filter(refund::Column::Status.eq(RefundStatus::Succeeded))
        .count(&svc.db)
        .await?;
    report.scenarios.push((
        "4. every refund failing while a process runs".into(),
        if run.refunds == REFUNDS && settled == REFUNDS as u64 {
            format!("{REFUNDS} refunds pending, then settled by reconciliation")
        } else {
            format!("FAILED: {settled} of {REFUNDS} refunds settled")
        },
    ));

    // The ledger, after `server reconcile --fix`.
    report.differences = reconciliation::check_ledger(&later, true)
        .await
        .map_err(|e| anyhow::anyhow!("reconciling: {e}"))?
        .into_iter()
        .map(|d| d.to_string())
        .collect();
    ledger_figures(svc, &mut report).await?;
    if report
        .scenarios
        .iter()
        .any(|(_, outcome)| outcome.starts_with("FAILED"))
    {
        report
            .differences
            .push("a scenario did not end as it must (see above)".into());
    }
    Ok(report)
}

/// The same services on a clock `ahead` of now: the reconciliation job and the billing clock
/// as they will be once leases ran out or a month went by.
fn later_services(svc: &Services, ahead: chrono::Duration) -> Services {
    let clock = Arc::new(ManualClock::new(svc.clock.now() + ahead));
    svc.clone().with_clock(clock)
}

async fn charges(svc: &Services) -> anyhow::Result<usize> {
    Ok(svc
        .provider
        .movements()
        .await
        .map_err(|e| anyhow::anyhow!("reading the provider's ledger: {e}"))?
        .iter()
        .filter(|m| m.kind == MovementKind::Charge)
        .count())
}

/// Money moved and recorded, and duplicate charges: a renewal period charged more than once,
/// or a customer charged more than once for one purchase (every drill buyer buys once).
async fn ledger_figures(svc: &Services, report: &mut DrillReport) -> anyhow::Result<()> {
    let movements = svc
        .provider
        .movements()
        .await
        .map_err(|e| anyhow::anyhow!("reading the provider's ledger: {e}"))?;
    for m in &movements {
        let sign = if m.kind == MovementKind::Refund {
            -1
        } else {
            1
        };
        if matches!(m.kind, MovementKind::Charge | MovementKind::Refund) {
            *report.moved.entry(m.currency).or_default() += sign * m.amount;
        }
    }
    let orders = order::Entity::find()
        .filter(order::Column::ProviderPaymentId.is_not_null())
        .all(&svc.db)
        .await?;
    for o in &orders {
        *report.recorded.entry(o.currency).or_default() += o.amount;
    }
    let refunds = refund::Entity::find()
        .filter(refund::Column::Status.eq(RefundStatus::Succeeded))
        .all(&svc.db)
        .await?;
    for r in &refunds {
        *report.recorded.entry(r.currency).or_default() -= r.amount;
    }
    // A charge given back by a void nets to nothing at the provider and is recorded as nothing.
    let charged: std::collections::HashSet<&str> = movements
        .iter()
        .filter(|m| m.kind == MovementKind::Charge)
        .map(|m| m.idempotency_key.as_str())
        .collect();
    let attempts = charge_attempt::Entity::find().all(&svc.db).await?;
    let mut periods: BTreeMap<(String, String), u64> = BTreeMap::new();
    for a in attempts
        .iter()
        .filter(|a| a.purpose == Purpose::Renewal && charged.contains(a.id.as_str()))
    {
        let period = a.period_start.map(|p| p.to_rfc3339()).unwrap_or_default();
        let sub = a
            .subscription_id
            .as_ref()
            .map(|s| s.as_str().to_owned())
            .unwrap_or_default();
        *periods.entry((sub, period)).or_default() += 1;
    }
    let mut purchases: BTreeMap<(String, String), u64> = BTreeMap::new();
    for o in orders
        .iter()
        .filter(|o| o.kind == app::types::order::OrderKind::Purchase)
    {
        *purchases
            .entry((
                o.customer_id.as_str().to_owned(),
                o.product_id.as_str().to_owned(),
            ))
            .or_default() += 1;
    }
    let voided_checkouts = attempts
        .iter()
        .filter(|a| {
            a.purpose == Purpose::Checkout
                && matches!(a.status, AttemptStatus::Voided | AttemptStatus::Voiding)
        })
        .count() as u64;
    report.duplicate_charges = periods.values().map(|n| n - 1).sum::<u64>()
        + purchases.values().map(|n| n - 1).sum::<u64>()
        // One checkout in the drill is given back by design (the crash); any other was a
        // second charge of something already paid.
        + voided_checkouts.saturating_sub(1);
    Ok(())
}
