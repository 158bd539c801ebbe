//! Background jobs the server runs beside HTTP. Each job is idempotent, so several server
//! processes on one PostgreSQL may run it side by side.
//!
//! [`Jobs`] runs them and stops them together at shutdown: a job is only ever stopped between
//! two runs, so a claimed webhook delivery, a renewal's charge or an email in hand is finished
//! (or, past the grace period, left to its lease for another process), never cut in half.

use std::future::Future;
use std::time::Duration;

use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use app::domain::billing::{self, BillingReport};
use app::domain::outbox::{self, Mailer};
use app::domain::{Services, accounts, idempotency, portal, rate_limit, reconciliation};

/// How often expired sessions and idempotency records are deleted.
pub const SWEEP_EVERY: Duration = Duration::from_secs(60 * 60);

/// One sweep: expired sessions, idempotency records older than 24 hours, and rate-limit rows
/// whose allowance is whole again.
pub async fn sweep(svc: &Services) {
    recorded(svc, "sweep", sweep_all(svc)).await;
}

async fn sweep_all(svc: &Services) -> (u64, bool) {
    let (mut items, mut failed) = (0, false);
    let mut count = |swept: Result<u64, app::domain::DomainError>| match swept {
        Ok(n) => {
            items += n;
            Ok(n)
        }
        Err(e) => {
            failed = true;
            Err(e)
        }
    };
    match count(accounts::sweep_expired_sessions(svc).await) {
        Ok(n) if n > 0 => tracing::info!(sessions = n, "swept expired sessions"),
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "sweeping sessions failed"),
    }
    match count(idempotency::sweep_expired(svc).await) {
        Ok(n) if n > 0 => tracing::info!(idempotency_keys = n, "swept expired idempotency keys"),
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "sweeping idempotency keys failed"),
    }
    match count(portal::sweep_expired(svc).await) {
        Ok(n) if n > 0 => tracing::info!(
            portal_sessions = n,
            "swept expired portal links and sessions"
        ),
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "sweeping portal sessions failed"),
    }
    match count(rate_limit::sweep(svc).await) {
        Ok(n) if n > 0 => tracing::info!(rate_limits = n, "swept spent rate limits"),
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "sweeping rate limits failed"),
    }
    (items, failed)
}

/// Runs one job run and records it for `/metrics`: the run, its items, whether it failed,
/// how long it took.
async fn recorded(svc: &Services, job: &'static str, run: impl Future<Output = (u64, bool)>) {
    let started = std::time::Instant::now();
    let (items, failed) = run.await;
    let now = svc.clock.now();
    crate::metrics::job_run(job, items, failed, started.elapsed(), now);
    if heartbeat_due(job, failed)
        && let Err(e) = app::domain::system::record_job_run(&svc.db, job, now, failed).await
    {
        tracing::warn!(job, error = %e, "cannot record the job's heartbeat");
    }
}

/// How often a job that keeps succeeding (or keeps failing) writes its heartbeat: the webhook
/// and bulk-action jobs run every second, and Settings → System needs no finer news.
const HEARTBEAT_EVERY: Duration = Duration::from_secs(15);

/// Whether this run's heartbeat is worth a write: the job's first in this process, a change
/// between succeeding and failing, or [`HEARTBEAT_EVERY`] since the last.
fn heartbeat_due(job: &'static str, failed: bool) -> bool {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};
    static LAST: OnceLock<Mutex<HashMap<&'static str, (std::time::Instant, bool)>>> =
        OnceLock::new();
    let mut last = LAST
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let due = last
        .get(job)
        .is_none_or(|(at, was)| *was != failed || at.elapsed() >= HEARTBEAT_EVERY);
    if due {
        last.insert(job, (std::time::Instant::now(), failed));
    }
    due
}

/// The jobs of one server process: each runs now and then at its period until [`Jobs::stop`].
#[derive(Debug, Default)]
pub struct Jobs {
    stop: CancellationToken,
    tasks: TaskTracker,
}

impl Jobs {
    /// No job yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Runs `run` now and every `period`, one run at a time, until [`Jobs::stop`]; a run that
    /// has begun always ends.
    fn every<F, Fut>(&self, period: Duration, mut run: F)
    where
        F: FnMut() -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send,
    {
        let stop = self.stop.clone();
        self.tasks.spawn(async move {
            let mut every = tokio::time::interval(period);
            every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    biased;
                    () = stop.cancelled() => break,
                    _ = every.tick() => run().await,
                }
            }
        });
    }

    /// Starts every job a server runs, and the scheduled backups when asked for.
    pub fn start(
        &self,
        svc: &Services,
        mailer: crate::adapters::mail::LettreMailer,
        sender: std::sync::Arc<dyn app::domain::webhooks::WebhookSender>,
        backups: Option<Backups>,
    ) -> anyhow::Result<()> {
        if let Some(plan) = &backups {
            std::fs::create_dir_all(&plan.dir).map_err(|e| {
                anyhow::anyhow!(
                    "cannot create the backup folder {}: {e}",
                    plan.dir.display()
                )
            })?;
        }
        let s = svc.clone();
        self.every(SWEEP_EVERY, move || {
            let s = s.clone();
            async move { sweep(&s).await }
        });
        let s = svc.clone();
        self.every(BILLING_EVERY, move || {
            let s = s.clone();
            async move {
                bill(&s).await;
                reconcile(&s).await;
            }
        });
        let s = svc.clone();
        let mailer = std::sync::Arc::new(mailer);
        self.every(MAIL_EVERY, move || {
            let (s, mailer) = (s.clone(), mailer.clone());
            async move { send_mail(&s, mailer.as_ref()).await }
        });
        // Each webhook run goes on in the background: a run held up by a hanging endpoint never
        // keeps the next run from serving the other endpoints (the claims keep two runs from
        // taking one delivery). The runs are tracked, so shutdown waits for them too.
        let (s, tasks) = (svc.clone(), self.tasks.clone());
        self.every(WEBHOOKS_EVERY, move || {
            let (s, sender) = (s.clone(), sender.clone());
            tasks.spawn(async move { deliver_webhooks(&s, sender).await });
            std::future::ready(())
        });
        let s = svc.clone();
        self.every(BULK_ACTIONS_EVERY, move || {
            let s = s.clone();
            async move { run_bulk_actions(&s).await }
        });
        if let Some(plan) = backups {
            let s = svc.clone();
            self.every(plan.every, move || {
                let (s, plan) = (s.clone(), plan.clone());
                async move { back_up(&s, &plan).await }
            });
        }
        Ok(())
    }

    /// Cancelling it makes every job start no new run (what shutdown does first).
    pub fn stop_token(&self) -> CancellationToken {
        self.stop.clone()
    }

    /// Lets every run in progress finish, starts no other, and waits up to `grace` for them.
    /// Returns whether they all ended in time (any left are ended with the process; their
    /// claims' leases hand their items to another process).
    pub async fn stop(self, grace: Duration) -> bool {
        self.stop.cancel();
        self.tasks.close();
        tokio::time::timeout(grace, self.tasks.wait()).await.is_ok()
    }
}

/// How often the billing clock looks for due renewals, retries, cancellations and expiries.
pub const BILLING_EVERY: Duration = Duration::from_secs(60);

/// One tick of the billing clock.
pub async fn bill(svc: &Services) {
    recorded(svc, "billing", async {
        match billing::run_billing(svc).await {
            Ok(report) => {
                if report != BillingReport::default() {
                    tracing::info!(
                        renewed = report.renewed,
                        failed = report.failed,
                        expired = report.expired,
                        canceled = report.canceled,
                        entitlements_expired = report.entitlements_expired,
                        disputes_opened = report.disputes_opened,
                        "billing clock"
                    );
                }
                let items = report.renewed
                    + report.failed
                    + report.expired
                    + report.canceled
                    + report.entitlements_expired
                    + report.disputes_opened;
                (items as u64, false)
            }
            Err(e) => {
                tracing::warn!(error = %e, "billing clock failed");
                (0, true)
            }
        }
    })
    .await;
}

/// One run of the reconciliation job: finishes or gives back what a crash or an outage left.
pub async fn reconcile(svc: &Services) {
    recorded(svc, "reconciliation", async {
        match reconciliation::reconcile(svc).await {
            Ok(report) => {
                if report != reconciliation::ReconcileReport::default() {
                    tracing::info!(
                        finished = report.finished,
                        voided = report.voided,
                        abandoned = report.abandoned,
                        refunds = report.refunds,
                        errors = report.errors,
                        "reconciliation"
                    );
                }
                let items = report.finished + report.voided + report.abandoned + report.refunds;
                (items as u64, report.errors > 0)
            }
            Err(e) => {
                tracing::warn!(error = %e, "reconciliation failed");
                (0, true)
            }
        }
    })
    .await;
}

/// How often the outbox is looked at for emails to send.
pub const MAIL_EVERY: Duration = Duration::from_secs(5);

/// One run of the mail sender: sends what is due, each email claimed by exactly one process.
pub async fn send_mail(svc: &Services, mailer: &dyn Mailer) {
    recorded(svc, "emails", async {
        match outbox::deliver_due(svc, mailer).await {
            Ok(report) => {
                if report != outbox::DeliveryReport::default() {
                    tracing::info!(
                        sent = report.sent,
                        retrying = report.retrying,
                        failed = report.failed,
                        "outbox"
                    );
                }
                for (outcome, n) in [
                    ("sent", report.sent),
                    ("retrying", report.retrying),
                    ("failed", report.failed),
                ] {
                    metrics::counter!("patron_emails_total", "outcome" => outcome)
                        .increment(n as u64);
                }
                (
                    (report.sent + report.retrying + report.failed) as u64,
                    false,
                )
            }
            Err(e) => {
                tracing::warn!(error = %e, "sending the outbox failed");
                (0, true)
            }
        }
    })
    .await;
}

/// How often the webhook job looks for due deliveries.
pub const WEBHOOKS_EVERY: Duration = Duration::from_secs(1);

/// One run of the webhook job: each due delivery claimed by exactly one process.
pub async fn deliver_webhooks(
    svc: &Services,
    sender: std::sync::Arc<dyn app::domain::webhooks::WebhookSender>,
) {
    recorded(svc, "webhooks", async {
        match app::domain::webhooks::deliver_due(svc, sender).await {
            Ok(r) => {
                if r.failed > 0 || r.retrying > 0 {
                    tracing::info!(
                        delivered = r.delivered,
                        retrying = r.retrying,
                        failed = r.failed,
                        "webhook deliveries"
                    );
                }
                for (outcome, n) in [
                    ("delivered", r.delivered),
                    ("retrying", r.retrying),
                    ("failed", r.failed),
                ] {
                    metrics::counter!("patron_webhook_deliveries_total", "outcome" => outcome)
                        .increment(n as u64);
                }
                ((r.delivered + r.retrying + r.failed) as u64, false)
            }
            Err(e) => {
                tracing::warn!(error = %e, "the webhook job failed; it runs again");
                (0, true)
            }
        }
    })
    .await;
}

/// How often the bulk-action job looks for actions to work on.
pub const BULK_ACTIONS_EVERY: Duration = Duration::from_secs(1);

/// One run of the bulk-action job: each action is worked by exactly one process at a time.
pub async fn run_bulk_actions(svc: &Services) {
    recorded(svc, "bulk_actions", async {
        match app::domain::bulk_actions::run_bulk_actions(svc).await {
            Ok(r) => {
                if r.finished > 0 || r.failed > 0 {
                    tracing::info!(
                        succeeded = r.succeeded,
                        failed = r.failed,
                        finished = r.finished,
                        "bulk actions"
                    );
                }
                ((r.succeeded + r.failed) as u64, false)
            }
            Err(e) => {
                tracing::warn!(error = %e, "the bulk-action job failed; it runs again");
                (0, true)
            }
        }
    })
    .await;
}

/// How many scheduled backups are kept unless `--backup-keep` says otherwise: two days of
/// hourly copies.
pub const BACKUPS_KEPT: u32 = 48;

/// The scheduled backups `server serve --backup-every` asks for.
#[derive(Debug, Clone)]
pub struct Backups {
    /// Time between two backups; the first is taken at start.
    pub every: Duration,
    /// How many to keep; the oldest beyond go.
    pub keep: usize,
    /// Where they are written, as `patron-<UTC time>.db` with their manifests.
    pub dir: std::path::PathBuf,
}

/// One scheduled backup, then the pruning of the oldest.
pub async fn back_up(svc: &Services, plan: &Backups) {
    let now = svc.clock.now();
    let file = plan
        .dir
        .join(format!("patron-{}.db", now.format("%Y%m%dT%H%M%SZ")));
    recorded(svc, "backups", async {
        let outcome = match crate::backup::backup(&svc.db, &file, now).await {
            Ok(written) => {
                tracing::info!(
                    file = %written.file.display(),
                    bytes = written.manifest.bytes,
                    ms = written.elapsed.as_millis() as u64,
                    "scheduled backup written"
                );
                metrics::gauge!("patron_backup_last_success_timestamp_seconds")
                    .set(now.timestamp() as f64);
                metrics::gauge!("patron_backup_bytes").set(written.manifest.bytes as f64);
                "succeeded"
            }
            Err(e) => {
                tracing::warn!(
                    error = format!("{e:#}"),
                    "the scheduled backup failed; it runs again at the next tick"
                );
                "failed"
            }
        };
        metrics::counter!("patron_backups_total", "outcome" => outcome).increment(1);
        if let Err(e) = prune_backups(&plan.dir, plan.keep) {
            tracing::warn!(error = format!("{e:#}"), "cannot delete old backups");
        }
        (1, outcome == "failed")
    })
    .await;
}

/// Deletes all but the newest `keep` scheduled backups (their names sort by time) with their
/// manifests, and any copy an interrupted backup left half-written.
fn prune_backups(dir: &std::path::Path, keep: usize) -> std::io::Result<()> {
    let mut backups = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        if !name.starts_with("patron-") {
            continue;
        }
        if name.ends_with(".partial") {
            std::fs::remove_file(&path)?;
        } else if name.ends_with(".db") {
            backups.push(path);
        }
    }
    backups.sort();
    let old = backups.len().saturating_sub(keep);
    for path in &backups[..old] {
        std::fs::remove_file(crate::backup::manifest_path(path)).or_else(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                Ok(())
            } else {
                Err(e)
            }
        })?;
        std::fs::remove_file(path)?;
    }
    Ok(())
}
