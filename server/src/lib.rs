//! The Patron server: HTTP doors (dashboard, server functions, REST API), jobs and the command line.

pub mod api;
pub mod cli;
pub mod config;
pub mod health;
pub mod request_id;
pub mod router;
pub mod serve;
pub mod state;
pub mod telemetry;

use std::io::Write;

use anyhow::Context;
use app::db::Migrator;
use app::domain::{Services, demo};
use sea_orm_migration::MigratorTrait;

use cli::{Cli, Command, MigrateAction, MigrateArgs, ServeArgs};
use config::Settings;

/// Runs one command line to completion.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let settings = match &cli.global.config {
        Some(path) => Settings::load(path, true)?,
        None => Settings::load(std::path::Path::new("Leptos.toml"), false)?,
    };
    let target = settings.database(
        cli.global.database_url.as_deref(),
        cli.global.data_dir.as_deref(),
    )?;

    match cli.command.unwrap_or(Command::Serve(ServeArgs::default())) {
        Command::Serve(args) => serve::serve(&settings, target, args).await,
        Command::Migrate(MigrateArgs { action }) => {
            let db = serve::open_database(&target).await?;
            match action.unwrap_or(MigrateAction::Up) {
                MigrateAction::Up => {
                    let pending = Migrator::get_pending_migrations(&db).await?.len();
                    Migrator::up(&db, None)
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
        Command::SeedDemo => {
            let db = serve::open_database(&target).await?;
            serve::prepare_schema(&db, true).await?;
            let seed = demo::seed_demo(&Services::new(db.clone())).await?;
            let verb = if seed.created {
                "created"
            } else {
                "already present"
            };
            say(&format!(
                "demo workspace {verb}: {} ({})",
                seed.workspace.name, seed.workspace.id
            ))?;
            db.close().await?;
            Ok(())
        }
    }
}

/// Writes one line of command output to stdout (logs go to stderr).
fn say(line: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{line}").context("cannot write to stdout")
}
