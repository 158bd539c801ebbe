//! Prometheus metrics at `GET /metrics`, for an operator's Prometheus or Grafana Agent.
//!
//! Recorded with the `metrics` crate and rendered in the Prometheus text format by
//! `metrics-exporter-prometheus`. Off unless the server is given a token
//! (`PATRON_METRICS_TOKEN`): the scrape then needs `Authorization: Bearer <token>`, and without
//! one `/metrics` answers 404. Counters are this process's since it started (Prometheus sums
//! processes); the queue and dispute figures are read from the database at each scrape, so
//! every process reports the same totals for them.
//!
//! No label ever carries a customer, an amount, an email or a token: routes are templates
//! (`/api/v1/customers/{id}`), outcomes are closed sets.

use std::sync::{Arc, OnceLock};
use std::time::Instant;

use anyhow::Context;
use app::db::Engine;
use app::domain::system;
use axum::extract::{MatchedPath, Request, State};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE, WWW_AUTHENTICATE};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics::{counter, describe_counter, describe_gauge, describe_histogram, gauge, histogram};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use sha2::{Digest, Sha256};

use crate::state::AppState;

/// Histogram buckets, in seconds: a millisecond to ten seconds.
const BUCKETS: [f64; 13] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Set once the recorder is installed: until then the HTTP layer passes requests straight on.
static RECORDING: OnceLock<bool> = OnceLock::new();

/// The scrape endpoint's handle and the digest of its token. Cheap to clone.
#[derive(Clone)]
pub struct Exporter {
    handle: PrometheusHandle,
    token_digest: Arc<[u8; 32]>,
}

impl std::fmt::Debug for Exporter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Exporter { .. }")
    }
}

/// Installs the process's recorder (once: later calls share it) and returns the exporter that
/// answers scrapes carrying `token`.
pub fn install(token: &str) -> anyhow::Result<Exporter> {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    if token.trim().len() < 16 {
        anyhow::bail!("PATRON_METRICS_TOKEN must be at least 16 characters");
    }
    let handle = match HANDLE.get() {
        Some(handle) => handle.clone(),
        None => {
            let handle = PrometheusBuilder::new()
                .set_buckets(&BUCKETS)
                .context("the metrics' histogram buckets")?
                .install_recorder()
                .context("cannot install the metrics recorder")?;
            describe();
            let _ = RECORDING.set(true);
            gauge!("patron_build_info", "version" => env!("CARGO_PKG_VERSION")).set(1.0);
            HANDLE.get_or_init(|| handle).clone()
        }
    };
    Ok(Exporter {
        handle,
        token_digest: Arc::new(Sha256::digest(token.trim().as_bytes()).into()),
    })
}

/// The help text of every metric, as `# HELP` lines.
fn describe() {
    describe_counter!(
        "patron_http_requests_total",
        "HTTP requests answered, by route template, method and status class"
    );
    describe_histogram!(
        "patron_http_request_duration_seconds",
        "Time to answer an HTTP request, by route template, method and status class"
    );
    describe_counter!(
        "patron_rate_limited_total",
        "Requests refused with 429 by a rate limit, by route template"
    );
    describe_gauge!(
        "patron_db_connections",
        "Database pool connections by state (in_use, idle)"
    );
    describe_gauge!(
        "patron_db_connections_max",
        "The database pool's size limit"
    );
    describe_counter!("patron_job_runs_total", "Background job runs, by job");
    describe_counter!(
        "patron_job_failures_total",
        "Background job runs that failed, by job"
    );
    describe_counter!(
        "patron_job_items_total",
        "Items background jobs processed, by job"
    );
    describe_histogram!(
        "patron_job_run_duration_seconds",
        "Time a background job run took, by job"
    );
    describe_gauge!(
        "patron_job_last_run_timestamp_seconds",
        "When each background job last finished a run (Unix time)"
    );
    describe_gauge!(
        "patron_queue_waiting",
        "Items waiting in a job queue (webhooks, emails, bulk_actions), across workspaces"
    );
    describe_gauge!(
        "patron_queue_lag_seconds",
        "How long the oldest due item of a queue has waited (0 when none is due)"
    );
    describe_counter!(
        "patron_webhook_deliveries_total",
        "Webhook delivery attempts by outcome (delivered, retrying, failed)"
    );
    describe_counter!(
        "patron_emails_total",
        "Email send attempts by outcome (sent, retrying, failed)"
    );
    describe_counter!(
        "patron_provider_charges_total",
        "Charge requests to the payment provider by outcome (succeeded, declined, error); a retried request under the same idempotency key counts again, its money moves once"
    );
    describe_counter!(
        "patron_provider_refunds_total",
        "Refund requests to the payment provider by outcome (succeeded, declined, error)"
    );
    describe_gauge!(
        "patron_disputes",
        "Disputes across workspaces by status (open, won, lost)"
    );
    describe_counter!(
        "patron_backups_total",
        "Scheduled backups by outcome (succeeded, failed)"
    );
    describe_gauge!(
        "patron_backup_last_success_timestamp_seconds",
        "When the last scheduled backup was written (Unix time)"
    );
    describe_gauge!(
        "patron_backup_bytes",
        "The size of the last scheduled backup"
    );
    describe_gauge!("patron_build_info", "This server's release, as a label");
}

/// Counts and times every answer by its route template, method and status class; a 429 also
/// counts as a rate-limit refusal.
pub async fn track_http(req: Request, next: Next) -> Response {
    // Without a recorder (no PATRON_METRICS_TOKEN) nothing is counted: no label is built.
    if !RECORDING.get().copied().unwrap_or(false) {
        return next.run(req).await;
    }
    let started = Instant::now();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", MatchedPath::as_str)
        .to_owned();
    let method = req.method().as_str().to_owned();
    let res = next.run(req).await;
    let status = match res.status().as_u16() {
        100..=199 => "1xx",
        200..=299 => "2xx",
        300..=399 => "3xx",
        400..=499 => "4xx",
        _ => "5xx",
    };
    if res.status() == StatusCode::TOO_MANY_REQUESTS {
        counter!("patron_rate_limited_total", "route" => route.clone()).increment(1);
    }
    let labels = [
        ("route", route),
        ("method", method),
        ("status", status.to_owned()),
    ];
    counter!("patron_http_requests_total", &labels).increment(1);
    histogram!("patron_http_request_duration_seconds", &labels)
        .record(started.elapsed().as_secs_f64());
    res
}

/// `GET /metrics`: the Prometheus text format, for a scrape with the right bearer token.
pub async fn scrape(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let Some(exporter) = &state.metrics else {
        return (
            StatusCode::NOT_FOUND,
            "Metrics are off: start the server with PATRON_METRICS_TOKEN set to serve them.\n",
        )
            .into_response();
    };
    let presented = headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|t| <[u8; 32]>::from(Sha256::digest(t.trim().as_bytes())));
    // Digests of equal length compared: nothing about the token leaks through timing.
    if presented.as_ref() != Some(exporter.token_digest.as_ref()) {
        return (
            StatusCode::UNAUTHORIZED,
            [(WWW_AUTHENTICATE, "Bearer")],
            "A scrape needs Authorization: Bearer and the server's PATRON_METRICS_TOKEN.\n",
        )
            .into_response();
    }
    refresh(&state).await;
    (
        [(CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
        exporter.handle.render(),
    )
        .into_response()
}

/// The figures read at scrape time: the pool, the queues, the disputes.
async fn refresh(state: &AppState) {
    let db = &state.services.db;
    match Engine::of(db) {
        Engine::Sqlite => {
            let pool = db.get_sqlite_connection_pool();
            pool_gauges(
                pool.size(),
                pool.num_idle(),
                pool.options().get_max_connections(),
            );
        }
        Engine::Postgres => {
            let pool = db.get_postgres_connection_pool();
            pool_gauges(
                pool.size(),
                pool.num_idle(),
                pool.options().get_max_connections(),
            );
        }
    }
    match system::queues(db, state.services.clock.now()).await {
        Ok(queues) => {
            for q in queues {
                gauge!("patron_queue_waiting", "queue" => q.name).set(q.waiting as f64);
                gauge!("patron_queue_lag_seconds", "queue" => q.name)
                    .set(q.lag_seconds.unwrap_or(0.0));
            }
        }
        Err(e) => tracing::warn!(error = %e, "metrics: cannot read the job queues"),
    }
    match system::disputes_by_status(db).await {
        Ok(by_status) => {
            for status in ["open", "won", "lost"] {
                let n = by_status
                    .iter()
                    .find(|(s, _)| s == status)
                    .map_or(0, |(_, n)| *n);
                gauge!("patron_disputes", "status" => status).set(n as f64);
            }
        }
        Err(e) => tracing::warn!(error = %e, "metrics: cannot count disputes"),
    }
}

fn pool_gauges(size: u32, idle: usize, max: u32) {
    let idle = idle as f64;
    gauge!("patron_db_connections", "state" => "in_use").set((f64::from(size) - idle).max(0.0));
    gauge!("patron_db_connections", "state" => "idle").set(idle);
    gauge!("patron_db_connections_max").set(f64::from(max));
}

/// Records one run of the background job `job`.
pub fn job_run(
    job: &'static str,
    items: u64,
    failed: bool,
    took: std::time::Duration,
    now: chrono::DateTime<chrono::Utc>,
) {
    counter!("patron_job_runs_total", "job" => job).increment(1);
    if failed {
        counter!("patron_job_failures_total", "job" => job).increment(1);
    }
    counter!("patron_job_items_total", "job" => job).increment(items);
    histogram!("patron_job_run_duration_seconds", "job" => job).record(took.as_secs_f64());
    gauge!("patron_job_last_run_timestamp_seconds", "job" => job).set(now.timestamp() as f64);
}
