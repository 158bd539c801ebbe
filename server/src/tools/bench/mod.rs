//! `seed-bench` and `bench-list`: a deterministic million-customer workspace, and the customer
//! list's latency against the database's own floor.

mod list;
mod seed;

use std::time::{Duration as StdDuration, Instant};

use anyhow::{Context, bail};
use app::db::entities::customer;
use app::domain::{Caller, Services};
use app::types::WorkspaceId;
use sea_orm::{ColumnTrait, DatabaseBackend, EntityTrait, PaginatorTrait, QueryFilter};

pub(crate) use list::{Case, cases, measure};
pub use seed::seed_bench;

/// The benchmark workspace's fixed id.
pub const BENCH_WORKSPACE_ID: &str = "ws_01KAKX6D00BENCH00000000000";

/// One line of the benchmark's table, on standard output.
pub(crate) fn say(line: &str) -> anyhow::Result<()> {
    use std::io::Write;
    writeln!(std::io::stdout().lock(), "{line}")?;
    Ok(())
}

pub(crate) fn percentile(sorted: &[StdDuration], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

pub(crate) async fn time<F, Fut>(runs: usize, mut f: F) -> anyhow::Result<(f64, f64)>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>>,
{
    // Warm the caches first: the figures are for a server that has been running.
    for _ in 0..5 {
        f().await?;
    }
    let mut samples = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        f().await?;
        samples.push(t.elapsed());
    }
    samples.sort();
    Ok((percentile(&samples, 0.5), percentile(&samples, 0.99)))
}

/// The benchmark workspace's customers; an error when there is none.
pub(crate) async fn customers_in(svc: &Services, ws: &WorkspaceId) -> anyhow::Result<u64> {
    let total = customer::Entity::find()
        .filter(customer::Column::WorkspaceId.eq(ws.as_str()))
        .count(&svc.db)
        .await?;
    if total == 0 {
        bail!("no benchmark workspace here: run `server seed-bench` on this database first");
    }
    Ok(total)
}

pub(crate) fn engine_name(backend: DatabaseBackend) -> &'static str {
    match backend {
        DatabaseBackend::Postgres => "PostgreSQL",
        _ => "SQLite",
    }
}

/// Prints p50 and p99 of each list query, domain and floor, at page 1 and page 1,000.
pub async fn bench_list(svc: &Services, runs: usize, only: Option<&str>) -> anyhow::Result<()> {
    let ws: WorkspaceId = BENCH_WORKSPACE_ID.parse().context("bench workspace id")?;
    let caller = Caller::system(ws.clone());
    let total = customers_in(svc, &ws).await?;
    say(&format!(
        "customer list on {} with {total} customers, {runs} runs per cell (ms)",
        engine_name(svc.db.get_database_backend())
    ))?;
    say(
        "| query | page | domain p50 | domain p99 | floor p50 | floor p99 |\n|---|---|---|---|---|---|",
    )?;
    for case in cases()
        .into_iter()
        .filter(|c| only.is_none_or(|o| c.name.contains(o)))
    {
        let (measured, pages) = measure(svc, &caller, &case, runs).await?;
        for m in measured {
            say(&format!(
                "| {} | {} | {:.2} | {:.2} | {:.2} | {:.2} |",
                case.name, m.page, m.domain.0, m.domain.1, m.floor.0, m.floor.1
            ))?;
        }
        if let Some(pages) = pages {
            say(&format!(
                "| {} | 1000 | only {pages} pages | | | |",
                case.name
            ))?;
        }
    }
    Ok(())
}
