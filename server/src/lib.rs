//! The Patron server: HTTP doors (dashboard, server functions, REST API), jobs and the command line.
//!
//! Its rooms: [`api`] (the REST API under `/api/v1`), [`web`] (the plain HTTP routes beside it:
//! the dashboard's guard, downloads, exports, uploads, portal links, receipt PDFs, health, and
//! the layers every answer passes), [`adapters`] (what the server sends out: email, webhooks,
//! fetched download files), [`jobs`] (background work), [`router`] and [`serve`] (assembling
//! and running the server), [`backup`] (copies of the embedded database and their restore),
//! [`metrics`] (what `/metrics` tells Prometheus), [`cli`], [`config`] and [`tools`] (the
//! command line).

// Leptos views are deeply nested types; the customer page nests deeper than rustc's default
// query depth when it lays them out.
#![recursion_limit = "256"]

pub mod adapters;
pub mod api;
pub mod backup;
pub mod cli;
pub mod config;
pub mod jobs;
pub mod metrics;
pub mod router;
pub mod serve;
pub mod state;
pub mod telemetry;
pub mod tools;
pub mod web;

use std::io::Write;

use anyhow::Context;
use app::db::{DatabaseTarget, Migrator};
use app::domain::{
    Clock, DomainError, Services, SystemClock, accounts, api_keys, reconciliation, workspaces,
};
use app::types::{ApiKeyId, WorkspaceId};
use sea_orm_migration::MigratorTrait;
use tools::demo;

use cli::{Cli, Command, MigrateAction, MigrateArgs, RestoreArgs};
use config::Settings;

/// Runs one command line to completion.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let mut settings = match &cli.global.config {
        Some(path) => Settings::load(path, true)?,
        None => Settings::load(std::path::Path::new("Leptos.toml"), false)?,
    };
    let target = settings.database(
        cli.global.database_url.as_deref(),
        cli.global.data_dir.as_deref(),
    )?;
    if let Some(dir) = &cli.global.data_dir {
        settings.data_dir = dir.clone();
    }
    settings.public_url = cli.global.public_url.clone();

    let command = cli
        .command
        .unwrap_or_else(|| Command::Serve(Box::default()));
    // Every command but a restore holds the embedded database's lock while it runs: a restore
    // never replaces the file under a server or a script, and none starts during a restore.
    let _lock = match &command {
        Command::Restore(RestoreArgs { from: Some(_), .. }) => None,
        _ => backup::lock_for_serving(&target)?,
    };
    match command {
        Command::Serve(args) => serve::serve(&settings, target, *args).await,
        Command::Migrate(MigrateArgs { action }) => migrate(&target, action).await,
        Command::SeedDemo => {
            let addr = std::env::var("LEPTOS_SITE_ADDR")
                .ok()
                .filter(|a| !a.trim().is_empty())
                .unwrap_or_else(|| settings.site_addr.to_string());
            let svc = open_migrated(&target)
                .await?
                .with_public_url(&settings.public_url_or(&addr));
            let seed = demo::seed_demo(&svc).await.map_err(domain_error)?;
            let verb = if seed.created {
                "created"
            } else {
                "already present"
            };
            say(&format!(
                "demo workspace {verb}: {} ({})",
                seed.workspace.name, seed.workspace.id
            ))?;
            say(&format!(
                "demo login: {} / {}",
                demo::DEMO_EMAIL,
                demo::DEMO_PASSWORD
            ))?;
            let (name, link) = demo::demo_portal_link(&svc).await.map_err(domain_error)?;
            say(&format!(
                "portal link for {name} (works once, for an hour): {}",
                link.url
            ))?;
            svc.db.close().await?;
            Ok(())
        }
        Command::SeedBench {
            customers,
            orders_per_customer,
            seed,
        } => {
            let svc = open_migrated(&target).await?;
            tools::bench::seed_bench(&svc, customers, orders_per_customer, seed).await?;
            svc.db.close().await?;
            Ok(())
        }
        Command::Reconcile { fix } => {
            let svc = open_migrated(&target).await?;
            let differences = reconciliation::check_ledger(&svc, fix)
                .await
                .map_err(domain_error)?;
            for d in &differences {
                say(&d.to_string())?;
            }
            svc.db.close().await?;
            if differences.is_empty() {
                Ok(())
            } else {
                anyhow::bail!(
                    "{} difference(s) between the provider's ledger and Patron's records",
                    differences.len()
                )
            }
        }
        Command::Backup { to } => {
            let db = open_existing(&target).await?;
            let now = SystemClock.now();
            let written = backup::backup(&db, &to, now).await?;
            db.close().await.context("closing the database failed")?;
            say(&format!(
                "Backed up {} ({}, schema {}) in {:.1} s; its manifest is {}",
                written.file.display(),
                size(written.manifest.bytes),
                written.manifest.schema_version,
                written.elapsed.as_secs_f64(),
                backup::manifest_path(&written.file).display()
            ))
        }
        Command::Restore(RestoreArgs {
            from: Some(from), ..
        }) => {
            let restored = backup::restore(&target, &from, SystemClock.now()).await?;
            say(&format!(
                "Restored {} ({}, schema {}, taken {} by Patron {}) in {:.1} s{}",
                from.display(),
                size(restored.manifest.bytes),
                restored.manifest.schema_version,
                restored.manifest.created_at.format("%Y-%m-%d %H:%M:%S UTC"),
                restored.manifest.patron_version,
                restored.elapsed.as_secs_f64(),
                restored.kept.map_or(String::new(), |k| format!(
                    "; the database it replaced is kept as {}",
                    k.display()
                ))
            ))
        }
        Command::Restore(RestoreArgs { from: None, .. }) => {
            let db = open_existing(&target).await?;
            let checked = backup::check(&db).await?;
            db.close().await.context("closing the database failed")?;
            let ready = if checked.pending == 0 {
                "it is ready to serve".to_owned()
            } else {
                format!(
                    "`server migrate` applies {} newer migration(s), then it is ready to serve",
                    checked.pending
                )
            };
            say(&format!(
                "The {} database answers and is whole: schema {}, {} workspace(s), {} customer(s); {ready}",
                checked.engine.as_str(),
                checked.schema_version,
                checked.workspaces,
                checked.customers
            ))
        }
        Command::Drill => {
            let svc = open_migrated(&target).await?;
            let report = tools::drill::drill(&svc, &target, &cli.global).await;
            svc.db.close().await?;
            let report = report?;
            say(&report.table())?;
            if !report.passed() {
                anyhow::bail!(
                    "the drill found money moved and recorded differently, or a duplicate charge"
                );
            }
            Ok(())
        }
        Command::BenchList { runs, only } => {
            let svc = open_migrated(&target).await?;
            tools::bench::bench_list(&svc, runs, only.as_deref()).await?;
            svc.db.close().await?;
            Ok(())
        }
        Command::Bench {
            runs,
            connections,
            seconds,
        } => {
            let svc = open_migrated(&target).await?;
            let load = tools::bench_http::Load {
                runs,
                connections,
                seconds,
            };
            tools::bench_http::run(&svc, &target, load).await?;
            svc.db.close().await?;
            Ok(())
        }
        Command::ImportCustomers {
            file,
            workspace,
            mode,
            dry_run,
        } => {
            let workspace_id = parse_workspace(&workspace)?;
            let svc = open_migrated(&target).await?;
            let options = app::domain::imports::ImportOptions { mode, dry_run };
            let result =
                tools::import_cli::import_file(&svc, workspace_id, &file, options, true).await;
            svc.db.close().await?;
            let (import, took) = result?;
            say(&tools::import_cli::summary(&import, took))?;
            if import.rejected > 0 {
                eprintln!(
                    "the report names each rejected row's line, field and reason: {}",
                    import.report_url
                );
            }
            Ok(())
        }
        Command::BenchImport { rows } => {
            let svc = open_migrated(&target).await?;
            tools::import_cli::bench_import(&svc, rows).await?;
            svc.db.close().await?;
            Ok(())
        }
        Command::CreateWorkspace { name, currency } => {
            let svc = open_migrated(&target).await?;
            let new = workspaces::NewWorkspace {
                name,
                default_currency: currency,
            };
            let ws = workspaces::create_workspace(&svc, new)
                .await
                .map_err(domain_error)?;
            say(ws.id.as_str())?;
            svc.db.close().await?;
            Ok(())
        }
        Command::CreateUser {
            workspace,
            email,
            role,
            password_stdin: _,
        } => {
            let workspace_id = parse_workspace(&workspace)?;
            let mut password = String::new();
            std::io::stdin()
                .read_line(&mut password)
                .context("cannot read the password from standard input")?;
            let password = password.trim_end_matches(['\r', '\n']).to_owned();
            let svc = open_migrated(&target).await?;
            let new = accounts::NewUser {
                workspace_id,
                email,
                role,
                password,
            };
            let id = accounts::create_user(&svc, new)
                .await
                .map_err(domain_error)?;
            say(id.as_str())?;
            svc.db.close().await?;
            Ok(())
        }
        Command::CreateApiKey {
            workspace,
            scopes,
            name,
        } => {
            let workspace_id = parse_workspace(&workspace)?;
            let svc = open_migrated(&target).await?;
            let key = api_keys::create_api_key(&svc, &workspace_id, &name, &scopes)
                .await
                .map_err(domain_error)?;
            // The id goes to stderr: stdout carries the secret alone, for scripts.
            eprintln!(
                "created API key {} (revoke it with: server revoke-api-key --workspace {workspace_id} --id {})",
                key.id, key.id
            );
            say(&key.secret)?;
            svc.db.close().await?;
            Ok(())
        }
        Command::RevokeApiKey { workspace, id } => {
            let workspace_id = parse_workspace(&workspace)?;
            let key_id = ApiKeyId::parse(&id).map_err(|e| anyhow::anyhow!("--id: {e}"))?;
            let svc = open_migrated(&target).await?;
            api_keys::revoke_api_key(&svc, &workspace_id, &key_id)
                .await
                .map_err(domain_error)?;
            say(&format!("revoked {key_id}"))?;
            svc.db.close().await?;
            Ok(())
        }
    }
}

async fn migrate(target: &DatabaseTarget, action: Option<MigrateAction>) -> anyhow::Result<()> {
    let db = serve::open_database(target).await?;
    match action.unwrap_or(MigrateAction::Up) {
        MigrateAction::Up => {
            let pending = app::db::migrate_up(&db)
                .await
                .context("applying migrations failed")?;
            say(&format!(
                "applied {pending} migration(s) on {}",
                target.redacted()
            ))?;
        }
        MigrateAction::Down { steps } => {
            Migrator::down(&db, Some(steps))
                .await
                .context("rolling back failed")?;
            say(&format!("rolled back up to {steps} migration(s)"))?;
        }
        MigrateAction::Status => {
            for m in Migrator::get_migration_with_status(&db).await? {
                say(&format!("{:<12} {}", format!("{:?}", m.status()), m.name()))?;
            }
        }
    }
    db.close().await?;
    Ok(())
}

/// Opens the database and brings its schema up to date: what every admin command needs.
async fn open_migrated(target: &DatabaseTarget) -> anyhow::Result<Services> {
    let db = serve::open_database(target).await?;
    serve::prepare_schema(&db, true).await?;
    Ok(Services::new(db))
}

fn parse_workspace(raw: &str) -> anyhow::Result<WorkspaceId> {
    WorkspaceId::parse(raw).map_err(|e| anyhow::anyhow!("--workspace: {e}"))
}

/// A domain error as one line for the operator (the field it names is the flag to fix).
fn domain_error(e: DomainError) -> anyhow::Error {
    match e {
        DomainError::Invalid { field, message } => anyhow::anyhow!("{field}: {message}"),
        DomainError::NotFound { what } => anyhow::anyhow!("no such {what}"),
        other => anyhow::anyhow!("{other}"),
    }
}

/// Writes one line of command output to stdout (logs go to stderr).
/// Opens a database that must already exist: a missing SQLite file is named, not created.
async fn open_existing(target: &DatabaseTarget) -> anyhow::Result<sea_orm::DatabaseConnection> {
    if let DatabaseTarget::Sqlite { path } = target
        && !path.exists()
    {
        anyhow::bail!("there is no database at {}", path.display());
    }
    serve::open_database(target).await
}

/// A byte count as people read it: "4.2 MB".
fn size(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 30 => format!("{:.1} GB", b as f64 / f64::from(1u32 << 30)),
        b if b >= 1 << 20 => format!("{:.1} MB", b as f64 / f64::from(1u32 << 20)),
        b if b >= 1 << 10 => format!("{:.1} KB", b as f64 / 1024.0),
        b => format!("{b} bytes"),
    }
}

fn say(line: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{line}").context("cannot write to stdout")
}
