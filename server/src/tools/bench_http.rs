//! `server bench`: the customer list as a merchant's back end meets it. Starts the server on
//! the seeded benchmark database (a child process, as in production) and prints one table:
//! REST latency of every list and search query next to the domain and the SQL floor, the
//! HTTP floors, throughput under concurrent connections for a bounded time, the export's
//! rows per second and the server's peak memory, and the wasm bundle as a browser gets it.

use std::process::{Child, Command, Stdio};
use std::time::{Duration as StdDuration, Instant};

use anyhow::{Context, bail};
use app::db::DatabaseTarget;
use app::domain::{Caller, Services, api_keys};
use app::types::customer::CustomerSort;
use app::types::{Scope, WorkspaceId};

use crate::tools::bench::{self, BENCH_WORKSPACE_ID, Case, percentile, say};

/// How hard and how long `server bench` pushes.
#[derive(Debug, Clone, Copy)]
pub struct Load {
    /// Timed requests per latency cell.
    pub runs: usize,
    /// Concurrent connections of the throughput rows.
    pub connections: usize,
    /// Seconds each throughput row lasts.
    pub seconds: u64,
}

/// The server under test: a child process, stopped when dropped.
struct Server {
    child: Child,
    base: String,
}

impl Server {
    async fn start(target: &DatabaseTarget) -> anyhow::Result<Self> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let url = match target {
            DatabaseTarget::Sqlite { path } => format!("sqlite://{}", path.display()),
            DatabaseTarget::Postgres { url } => url.clone(),
        };
        let child = Command::new(std::env::current_exe()?)
            .args(["--database-url", &url, "serve"])
            .args(["--addr", &format!("127.0.0.1:{port}")])
            // The benchmark measures the list, not the limiter's refusals (its write per
            // request stays in the figures).
            .env("PATRON_API_RATE_LIMIT", "4000000000")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("starting the server")?;
        let server = Self {
            child,
            base: format!("http://127.0.0.1:{port}"),
        };
        let client = reqwest::Client::new();
        let started = Instant::now();
        while client
            .get(format!("{}/healthz", server.base))
            .send()
            .await
            .is_err()
        {
            if started.elapsed() > StdDuration::from_secs(60) {
                bail!("the server did not answer /healthz within a minute");
            }
            tokio::time::sleep(StdDuration::from_millis(100)).await;
        }
        Ok(server)
    }

    /// The process's resident memory now and at its peak, in MB (Linux).
    fn memory(&self) -> (f64, f64) {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default();
        let kb = |field: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(field))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
                .unwrap_or(f64::NAN)
        };
        (kb("VmRSS:") / 1024.0, kb("VmHWM:") / 1024.0)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A keep-alive client holding the benchmark's API key.
#[derive(Clone)]
struct Api {
    client: reqwest::Client,
    base: String,
    key: String,
}

impl Api {
    async fn get(&self, path: &str) -> anyhow::Result<reqwest::Response> {
        Ok(self
            .client
            .get(format!("{}{path}", self.base))
            .bearer_auth(&self.key)
            .send()
            .await?)
    }

    /// A GET that must succeed, its body read to the end.
    async fn fetch(&self, path: &str) -> anyhow::Result<()> {
        let res = self.get(path).await?;
        if !res.status().is_success() {
            bail!("{path}: {}", res.status());
        }
        res.bytes().await?;
        Ok(())
    }
}

/// The list's URL of a case's query.
fn path_of(case: &Case, starting_after: Option<&str>) -> String {
    let q = &case.query;
    let mut params = url::form_urlencoded::Serializer::new(String::new());
    params.append_pair("limit", "50");
    if let Some(t) = &q.q {
        params.append_pair("q", t);
    }
    if let Some(s) = q.subscription_status {
        params.append_pair("subscription_status", s.as_str());
    }
    if let Some(c) = &q.country {
        params.append_pair("country", c);
    }
    if let Some(t) = q.created_from {
        params.append_pair("created_from", &t.to_rfc3339());
    }
    if let Some(t) = q.created_before {
        params.append_pair(
            "created_to",
            &(t - chrono::Duration::days(1))
                .format("%Y-%m-%d")
                .to_string(),
        );
    }
    if q.sort != CustomerSort::default() {
        params.append_pair("sort", q.sort.as_str());
    }
    if let Some(c) = starting_after {
        params.append_pair("starting_after", c);
    }
    format!("/api/v1/customers?{}", params.finish())
}

/// Who makes the throughput rows' load.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LoadTool {
    /// `wrk`, a separate load generator (Debian's package), when it is installed.
    Wrk,
    /// This process's own keep-alive clients: heavier on the shared cores than `wrk`.
    Own,
}

impl LoadTool {
    fn find() -> Self {
        let found = Command::new("wrk")
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok();
        if found { Self::Wrk } else { Self::Own }
    }

    fn name(self) -> &'static str {
        match self {
            Self::Wrk => "wrk",
            Self::Own => "the bench's own clients; install wrk for a separate load tool",
        }
    }
}

/// Requests from `connections` clients at once for `seconds`: requests a second and p99 (ms).
async fn throughput(
    api: &Api,
    path: &str,
    load: Load,
    tool: LoadTool,
) -> anyhow::Result<(f64, f64)> {
    if tool == LoadTool::Wrk {
        return wrk(api, path, load).await;
    }
    let deadline = Instant::now() + StdDuration::from_secs(load.seconds);
    let started = Instant::now();
    let tasks: Vec<_> = (0..load.connections)
        .map(|_| {
            let api = api.clone();
            let path = path.to_owned();
            tokio::spawn(async move {
                let mut samples = Vec::new();
                while Instant::now() < deadline {
                    let t = Instant::now();
                    api.fetch(&path).await?;
                    samples.push(t.elapsed());
                }
                anyhow::Ok(samples)
            })
        })
        .collect();
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await??);
    }
    let secs = started.elapsed().as_secs_f64();
    all.sort();
    Ok((all.len() as f64 / secs, percentile(&all, 0.99)))
}

/// The same load from `wrk` (two threads, as many cores as the machine has here): requests a
/// second and p99 (ms) from its own report. A run with any failed or non-2xx answer is an
/// error, not a figure.
async fn wrk(api: &Api, path: &str, load: Load) -> anyhow::Result<(f64, f64)> {
    let threads = load.connections.clamp(1, 2).to_string();
    let mut cmd = Command::new("wrk");
    cmd.args(["-t", &threads, "-c", &load.connections.to_string()])
        .args(["-d", &format!("{}s", load.seconds), "--latency"])
        .args(["-H", &format!("Authorization: Bearer {}", api.key)])
        .arg(format!("{}{path}", api.base));
    let out = tokio::task::spawn_blocking(move || cmd.output())
        .await?
        .context("running wrk")?;
    let report = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        bail!("wrk failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    parse_wrk(&report).with_context(|| format!("reading wrk's report:\n{report}"))
}

/// Requests a second and p99 (ms) from a `wrk --latency` report.
fn parse_wrk(report: &str) -> anyhow::Result<(f64, f64)> {
    if let Some(bad) = report
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with("Non-2xx") || l.starts_with("Socket errors"))
    {
        bail!("the load was not all answered: {bad}");
    }
    let rps = report
        .lines()
        .find_map(|l| l.trim().strip_prefix("Requests/sec:"))
        .context("no Requests/sec")?
        .trim()
        .parse::<f64>()?;
    let p99 = report
        .lines()
        .find_map(|l| l.trim().strip_prefix("99%"))
        .context("no 99% latency")?
        .trim();
    let (number, unit) = p99.split_at(
        p99.find(|c: char| c.is_ascii_alphabetic())
            .unwrap_or(p99.len()),
    );
    let ms = number.parse::<f64>()?
        * match unit {
            "us" => 0.001,
            "ms" => 1.0,
            "s" => 1000.0,
            "m" => 60_000.0,
            other => bail!("unknown latency unit {other:?}"),
        };
    Ok((rps, ms))
}

/// Prints the whole benchmark table for the database at `target`, through a read-only API key
/// made for the run and revoked after it.
pub async fn run(svc: &Services, target: &DatabaseTarget, load: Load) -> anyhow::Result<()> {
    let ws: WorkspaceId = BENCH_WORKSPACE_ID.parse().context("bench workspace id")?;
    let total = bench::customers_in(svc, &ws).await?;
    let key = api_keys::create_api_key(svc, &ws, "server bench", &[Scope::CustomersRead])
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let measured = measure_all(svc, target, load, &ws, total, key.secret).await;
    api_keys::revoke_api_key(svc, &ws, &key.id)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    measured
}

async fn measure_all(
    svc: &Services,
    target: &DatabaseTarget,
    load: Load,
    ws: &WorkspaceId,
    total: u64,
    secret: String,
) -> anyhow::Result<()> {
    let caller = Caller::system(ws.clone());
    let server = Server::start(target).await?;
    let api = Api {
        client: reqwest::Client::builder()
            .pool_max_idle_per_host(64)
            .build()?,
        base: server.base.clone(),
        key: secret,
    };
    let backend = svc.db.get_database_backend();
    say(&format!(
        "Patron at {total} customers on {}, {} runs per latency cell (ms)",
        bench::engine_name(backend),
        load.runs
    ))?;
    say(
        "\n| what | page | REST p50 | REST p99 | domain p50 | domain p99 | SQL floor p50 | SQL floor p99 |\n|---|---|---|---|---|---|---|---|",
    )?;
    let (h50, h99) = bench::time(load.runs, || api.fetch("/healthz")).await?;
    say(&format!(
        "| HTTP floor: /healthz, no auth | | {h50:.2} | {h99:.2} | | | | |"
    ))?;
    let nobody = "/api/v1/customers?email=nobody%40example.invalid&limit=1";
    let (a50, a99) = bench::time(load.runs, || api.fetch(nobody)).await?;
    say(&format!(
        "| API floor: key, limiter, an empty indexed lookup | | {a50:.2} | {a99:.2} | | | | |"
    ))?;
    for case in bench::cases() {
        let (measured, pages) = bench::measure(svc, &caller, &case, load.runs).await?;
        for row in measured {
            let path = path_of(&case, row.cursor.as_ref().map(|c| c.as_str()));
            let (r50, r99) = bench::time(load.runs, || api.fetch(&path)).await?;
            say(&format!(
                "| {} | {} | {r50:.2} | {r99:.2} | {:.2} | {:.2} | {:.2} | {:.2} |",
                case.name, row.page, row.domain.0, row.domain.1, row.floor.0, row.floor.1
            ))?;
        }
        if let Some(pages) = pages {
            say(&format!(
                "| {} | 1000 | only {pages} pages | | | | | |",
                case.name
            ))?;
        }
    }

    let tool = LoadTool::find();
    say(&format!(
        "\n| throughput, {} connections for {} s | requests/s | p99 (ms) |\n|---|---|---|",
        load.connections, load.seconds
    ))?;
    for case in bench::cases().iter().filter(|c| {
        c.name == "no filter, newest first" || c.name.starts_with("search \"peeters42\"")
    }) {
        let (rps, p99) = throughput(&api, &path_of(case, None), load, tool).await?;
        say(&format!("| {} | {rps:.0} | {p99:.1} |", case.name))?;
    }
    say(&format!("\nLoad: {}.", tool.name()))?;

    say(
        "\n| export | rows | seconds | rows/s | server RSS before (MB) | server peak RSS (MB) |\n|---|---|---|---|---|---|",
    )?;
    let (before, _) = server.memory();
    let started = Instant::now();
    let mut res = api.get("/api/v1/customers/export.csv").await?;
    if !res.status().is_success() {
        bail!("export: {}", res.status());
    }
    let mut lines = 0u64;
    while let Some(chunk) = res.chunk().await? {
        lines += chunk.iter().filter(|&&b| b == b'\n').count() as u64;
    }
    let secs = started.elapsed().as_secs_f64();
    let rows = lines.saturating_sub(1);
    let (_, peak) = server.memory();
    say(&format!(
        "| all customers, newest first | {rows} | {secs:.1} | {:.0} | {before:.0} | {peak:.0} |",
        rows as f64 / secs
    ))?;

    wasm_table(&api).await
}

/// The wasm a first visit fetches, as the server sends it (raw, gzip, brotli): the main
/// module (the customer list, sign-in, the dashboard frame) and, for each lazy area of
/// `app::routes`, the files its first page adds (`__wasm_split_manifest.json`).
async fn wasm_table(api: &Api) -> anyhow::Result<()> {
    say("\n| wasm a first visit fetches | files | raw | gzip | brotli |\n|---|---|---|---|---|")?;
    let page = api
        .client
        .get(format!("{}/login", api.base))
        .send()
        .await?
        .text()
        .await?;
    let Some(main) = page
        .split("<link")
        .filter(|tag| tag.contains(r#"rel="preload""#))
        .find_map(|tag| tag.split(r#"href=""#).nth(1)?.split('"').next())
        .filter(|href| href.ends_with(".wasm"))
        .map(str::to_owned)
    else {
        return say(
            "| no site built (`cargo leptos build --release --split --precompress`) | | | | |",
        );
    };
    let pkg = main.rsplit_once('/').map_or("", |(dir, _)| dir).to_owned();
    let manifest: std::collections::BTreeMap<String, Vec<String>> = match api
        .client
        .get(format!("{}{pkg}/__wasm_split_manifest.json", api.base))
        .send()
        .await?
    {
        res if res.status().is_success() => res.json().await?,
        _ => Default::default(),
    };
    let mut rows = vec![("main module: list, sign-in".to_owned(), vec![main])];
    for (function, chunks) in &manifest {
        let area = function
            .trim_start_matches('_')
            .rsplit_once('_')
            .map_or(&**function, |(name, _)| name);
        // The manifest names the area's own module (`split_…`) among the chunks it needs.
        let mut files: Vec<String> = chunks.iter().map(|c| format!("{pkg}/{c}.wasm")).collect();
        let own = format!("{pkg}/split_{function}.wasm");
        if !files.contains(&own) {
            files.push(own);
        }
        rows.push((format!("+ lazy `{area}`"), files));
    }
    for (label, files) in rows {
        let mut sizes = [0; 3];
        let mut missing = None;
        for file in &files {
            for (size, encoding) in sizes.iter_mut().zip(["identity", "gzip", "br"]) {
                match sent_size(api, file, encoding).await? {
                    Some(bytes) => *size += bytes,
                    None => missing = Some(file),
                }
            }
        }
        match missing {
            // A server built without cargo-leptos names files the site does not have.
            Some(file) => say(&format!("| {label} | not served: `{file}` | | | |"))?,
            None => {
                let [raw, gzip, brotli] = sizes;
                say(&format!(
                    "| {label} | {} | {raw} | {gzip} | {brotli} |",
                    files.len()
                ))?;
            }
        }
    }
    Ok(())
}

/// The bytes the server sends for `path` when the client accepts `encoding`; `None` when it
/// has no such file.
async fn sent_size(api: &Api, path: &str, encoding: &str) -> anyhow::Result<Option<usize>> {
    let res = api
        .client
        .get(format!("{}{path}", api.base))
        .header(reqwest::header::ACCEPT_ENCODING, encoding)
        .send()
        .await?;
    if res.status() == reqwest::StatusCode::NOT_FOUND {
        return Ok(None);
    }
    Ok(Some(res.error_for_status()?.bytes().await?.len()))
}

#[cfg(test)]
mod tests {
    use super::parse_wrk;

    const REPORT: &str = "Running 5s test @ http://127.0.0.1:3000/api/v1/customers?limit=50
  2 threads and 16 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     5.12ms    2.01ms  30.00ms   80.00%
    Req/Sec     1.57k   100.00     1.80k    70.00%
  Latency Distribution
     50%    4.80ms
     75%    5.90ms
     90%  750.00us
     99%    1.21s
  15678 requests in 5.00s, 50.00MB read
Requests/sec:   3135.60
Transfer/sec:     10.00MB
";

    #[test]
    fn a_wrk_report_gives_its_rate_and_p99_in_milliseconds() {
        let (rps, p99) = parse_wrk(REPORT).unwrap();
        assert_eq!(rps, 3135.60);
        assert_eq!(p99, 1210.0);
        let fast = REPORT.replace("1.21s", "812.00us");
        assert!((parse_wrk(&fast).unwrap().1 - 0.812).abs() < 1e-9);
    }

    #[test]
    fn a_wrk_run_with_refused_or_failed_requests_is_no_figure() {
        let refused = REPORT.replace(
            "Requests/sec:",
            "  Non-2xx or 3xx responses: 12\nRequests/sec:",
        );
        let err = parse_wrk(&refused).unwrap_err().to_string();
        assert!(err.contains("Non-2xx or 3xx responses: 12"), "{err}");
        let broken = REPORT.replace(
            "Requests/sec:",
            "  Socket errors: connect 0, read 3, write 0, timeout 0\nRequests/sec:",
        );
        assert!(parse_wrk(&broken).is_err());
        assert!(parse_wrk("nothing").is_err());
    }
}
