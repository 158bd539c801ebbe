//! `server import-customers FILE` (a CSV import with a progress bar) and `server bench-import`
//! (the import's speed and memory on a generated file).

use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::Context;
use app::domain::imports::{self, ImportOptions, ImportProgress};
use app::domain::{Caller, Services, workspaces};
use app::types::WorkspaceId;
use app::types::import::{CustomerImport, ImportMode};
use indicatif::{ProgressBar, ProgressStyle};

/// Imports `path` into `workspace` as the system, drawing a bar of the bytes read with the rows
/// per second and the time left. The file is read under the import's limits (see
/// [`imports`]); one larger than [`imports::BYTES_MAX`] is refused before it is read.
pub async fn import_file(
    svc: &Services,
    workspace: WorkspaceId,
    path: &Path,
    options: ImportOptions,
    show_progress: bool,
) -> anyhow::Result<(CustomerImport, Duration)> {
    let file =
        std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    if size > imports::BYTES_MAX {
        return Err(crate::domain_error(imports::too_large(size))
            .context(format!("cannot import {}", path.display())));
    }
    let bar = if show_progress {
        ProgressBar::new(size)
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        ProgressStyle::with_template("importing [{bar:40}] {bytes}/{total_bytes} {msg} eta {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    let started = Instant::now();
    let on_progress = {
        let bar = bar.clone();
        move |p: ImportProgress| {
            let secs = started.elapsed().as_secs_f64().max(0.001);
            bar.set_position(p.bytes);
            bar.set_message(format!(
                "{} rows, {:.0} rows/s",
                p.rows,
                p.rows as f64 / secs
            ));
        }
    };
    let caller = Caller::system(workspace);
    let result = imports::import_customers(svc, &caller, options, file, &on_progress).await;
    bar.finish_and_clear();
    let import = result.map_err(crate::domain_error)?;
    Ok((import, started.elapsed()))
}

/// One line about a finished import.
pub fn summary(import: &CustomerImport, took: Duration) -> String {
    let rate = import.rows as f64 / took.as_secs_f64().max(0.001);
    format!(
        "{}{}: {} rows in {:.1} s ({rate:.0} rows/s): {} created, {} updated, {} unchanged, {} rejected{}",
        import.id,
        if import.dry_run { " (dry run)" } else { "" },
        import.rows,
        took.as_secs_f64(),
        import.created,
        import.updated,
        import.unchanged,
        import.rejected,
        import
            .error
            .as_deref()
            .map(|e| format!("; stopped: {e}"))
            .unwrap_or_default(),
    )
}

/// The process's peak resident memory in MiB (Linux), if known.
fn peak_rss_mib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024)
}

const COUNTRIES: [&str; 8] = ["DE", "FR", "US", "GB", "NL", "SE", "ES", "IT"];

/// Writes a file of `rows` customers, one row in 100 bad (alternately a bad email and an
/// unknown country), with a quoted name holding a comma every 50 rows.
fn write_bench_file(path: &Path, rows: u64) -> anyhow::Result<()> {
    let file =
        std::fs::File::create(path).with_context(|| format!("cannot write {}", path.display()))?;
    let mut out = std::io::BufWriter::new(file);
    writeln!(out, "external_id,email,name,country,phone,metadata.plan")?;
    for i in 0..rows {
        let email = if i % 200 == 99 {
            format!("user{i}@@example")
        } else {
            format!("user{i}@example.com")
        };
        let country = if i % 200 == 199 {
            "XX"
        } else {
            COUNTRIES[(i % 8) as usize]
        };
        let name = if i % 50 == 0 {
            format!("\"Customer {i}, Jr.\"")
        } else {
            format!("Customer {i}")
        };
        let phone = if i % 3 == 0 {
            format!("+4930{i:07}")
        } else {
            String::new()
        };
        let plan = ["free", "pro", "team"][(i % 3) as usize];
        writeln!(out, "bench-{i},{email},{name},{country},{phone},{plan}")?;
    }
    out.flush()?;
    Ok(())
}

/// Imports a generated file of `rows` customers into a new workspace, then the same file again
/// (every row unchanged), and prints the time, rate and peak memory of each.
pub async fn bench_import(svc: &Services, rows: u64) -> anyhow::Result<()> {
    let ws = workspaces::create_workspace(
        svc,
        workspaces::NewWorkspace {
            name: "Import benchmark".into(),
            default_currency: app::types::money::CurrencyCode::EUR,
        },
    )
    .await
    .map_err(crate::domain_error)?;
    let path = std::env::temp_dir().join(format!("patron-bench-import-{}.csv", std::process::id()));
    write_bench_file(&path, rows)?;
    let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    let engine = format!("{:?}", svc.db.get_database_backend());
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "import benchmark: {rows} rows ({:.1} MB) into {engine}",
        size as f64 / 1e6
    )?;
    writeln!(
        out,
        "{:<24} {:>9} {:>12} {:>9} {:>9} {:>9}",
        "run", "seconds", "rows/s", "created", "unchanged", "rejected"
    )?;
    drop(out);
    let runs = [
        ("first import", ImportOptions::default()),
        ("the same file again", ImportOptions::default()),
        (
            "dry run, create_only",
            ImportOptions {
                mode: ImportMode::CreateOnly,
                dry_run: true,
            },
        ),
    ];
    for (name, options) in runs {
        let (import, took) = import_file(svc, ws.id.clone(), &path, options, true).await?;
        let mut out = std::io::stdout().lock();
        writeln!(
            out,
            "{name:<24} {:>9.1} {:>12.0} {:>9} {:>9} {:>9}",
            took.as_secs_f64(),
            import.rows as f64 / took.as_secs_f64().max(0.001),
            import.created,
            import.unchanged,
            import.rejected
        )?;
    }
    let _ = std::fs::remove_file(&path);
    let mut out = std::io::stdout().lock();
    match peak_rss_mib() {
        Some(mib) => writeln!(out, "peak resident memory: {mib} MiB")?,
        None => writeln!(out, "peak resident memory: unknown on this system")?,
    }
    Ok(())
}
