//! `server serve`: open the database, bring the schema up, listen, and stop cleanly on SIGTERM.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::{Context, bail};
use app::db::{self, DatabaseTarget, Engine, Migrator};
use app::domain::Services;
use sea_orm::DatabaseConnection;
use sea_orm_migration::MigratorTrait;
use tokio::net::TcpListener;

use crate::cli::ServeArgs;
use crate::config::Settings;
use crate::jobs::Jobs;
use crate::router::router;
use crate::state::AppState;

/// Opens the database or explains in one line why not.
pub async fn open_database(target: &DatabaseTarget) -> anyhow::Result<DatabaseConnection> {
    Ok(db::connect(target).await?)
}

/// Applies pending migrations on the embedded default (or when asked); otherwise refuses to run
/// on an outdated schema.
pub async fn prepare_schema(db: &DatabaseConnection, migrate: bool) -> anyhow::Result<()> {
    let pending = Migrator::get_pending_migrations(db)
        .await
        .context("cannot read the schema version")?;
    if pending.is_empty() {
        return Ok(());
    }
    if migrate || Engine::of(db) == Engine::Sqlite {
        tracing::info!(pending = pending.len(), "applying migrations");
        db::migrate_up(db)
            .await
            .context("applying migrations failed")?;
        return Ok(());
    }
    bail!(
        "the database schema is {} migration(s) behind this build: run `server migrate` first (or start with --migrate)",
        pending.len()
    )
}

/// How long shutdown waits for job runs in progress (a webhook run's slowest endpoint may take
/// its whole timeout) before the process ends anyway.
const JOBS_GRACE: std::time::Duration = std::time::Duration::from_secs(30);

/// Runs the server until SIGTERM or Ctrl-C, then finishes the requests in flight and the job
/// runs in progress.
pub async fn serve(
    settings: &Settings,
    target: DatabaseTarget,
    args: ServeArgs,
) -> anyhow::Result<()> {
    let addr = args.addr.unwrap_or(settings.site_addr);
    let leptos_options = settings.leptos_options(addr, args.site_root.as_deref())?;

    let scheduled_backups = match (args.backup_every, &target) {
        (None, _) => None,
        (Some(every), DatabaseTarget::Sqlite { .. }) => Some(crate::jobs::Backups {
            every,
            keep: args.backup_keep.unwrap_or(crate::jobs::BACKUPS_KEPT) as usize,
            dir: args
                .backup_dir
                .clone()
                .unwrap_or_else(|| settings.data_dir.join("backups")),
        }),
        (Some(_), DatabaseTarget::Postgres { .. }) => bail!(
            "--backup-every backs up the embedded SQLite database; back PostgreSQL up with pg_dump (README: Backups)"
        ),
    };
    let db = open_database(&target).await?;
    prepare_schema(&db, args.migrate).await?;

    let listener = TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))?;
    let local = listener
        .local_addr()
        .context("cannot read the listen address")?;

    let mailer = crate::adapters::mail::LettreMailer::new(
        args.mail_from
            .as_deref()
            .unwrap_or("receipts@patron.localhost"),
        args.smtp_url.as_deref(),
        &settings.data_dir,
    )?;
    let hooks =
        app::domain::webhooks::AllowHosts::parse(args.webhook_allow_hosts.as_deref().unwrap_or(""))
            .map_err(|e| anyhow::anyhow!("PATRON_WEBHOOK_ALLOW_HOSTS: {e}"))?;
    // The simulated provider, with any faults an operator rehearses an outage with.
    let provider = app::domain::provider::SimulatedProvider::new(db.clone());
    if let Some(faults) = args.sim_faults.clone() {
        tracing::warn!(
            faults = faults.0.len(),
            "the simulated payment provider will misbehave as PATRON_SIM_FAULTS says"
        );
        provider.faults().load(faults.0);
    }
    let metrics = args
        .metrics_token
        .as_deref()
        .map(crate::metrics::install)
        .transpose()?;
    let mut services = Services::new(db.clone())
        .with_provider(Arc::new(crate::adapters::metered::MeteredProvider(
            Arc::new(provider),
        )))
        .with_public_url(&settings.public_url_or(&local.to_string()))
        .with_webhook_hosts(hooks)
        .with_client_ip_header(args.client_ip_header.clone())
        .with_api_rate_limit(
            args.api_rate_limit
                .unwrap_or(app::domain::rate_limit::API_KEY.limit),
        );
    if let Some(lock) = args.idempotency_lock {
        services = services.with_idempotency_lock(
            chrono::Duration::from_std(lock).context("the Idempotency-Key lock is too long")?,
        );
    }
    let sender: Arc<dyn app::domain::webhooks::WebhookSender> = Arc::new(
        crate::adapters::webhooks::HttpSender::new(services.webhook_hosts.clone())?,
    );
    let readiness = crate::web::health::Readiness::default();
    let state = AppState {
        readiness: readiness.clone(),
        metrics,
        leptos_options,
        files: crate::adapters::files::FileFetcher::new(services.webhook_hosts.clone())?,
        webhook_sender: sender.clone(),
        services,
    };
    // Listen for SIGTERM before announcing the address: a stop right after start must still be
    // graceful.
    let shutdown = shutdown_signal()?;
    tracing::info!(engine = target.engine().as_str(), database = %target.redacted(), "database ready");
    tracing::info!("Patron is listening on http://{local}");

    let jobs = Jobs::new();
    jobs.start(&state.services, mailer, sender, scheduled_backups)?;
    readiness.jobs_started();
    // On SIGTERM: `/readyz` answers 503 at once and the jobs start no new run; after
    // --drain-for (time for a load balancer to notice) the listener closes and the requests in
    // flight finish.
    let stopping = jobs.stop_token();
    let drain_for = args.drain_for.unwrap_or_default();
    let drained = async move {
        shutdown.await;
        readiness.start_draining();
        stopping.cancel();
        if !drain_for.is_zero() {
            tracing::info!(
                seconds = drain_for.as_secs_f64(),
                "draining: /readyz answers 503 before the listener closes"
            );
            tokio::time::sleep(drain_for).await;
        }
    };
    let app = router(state).into_make_service_with_connect_info::<SocketAddr>();
    let served = axum::serve(listener, app)
        .with_graceful_shutdown(drained)
        .await;

    tracing::info!("requests drained; waiting for the job runs in progress");
    if !jobs.stop(JOBS_GRACE).await {
        tracing::warn!(
            seconds = JOBS_GRACE.as_secs(),
            "job runs still going after the grace period end with the process; their leases hand their items to another process"
        );
    }
    served.context("the HTTP server stopped with an error")?;
    tracing::info!("jobs stopped; closing the database");
    db.close().await.context("closing the database failed")?;
    Ok(())
}

/// Registers for SIGTERM (how service managers stop us) and Ctrl-C at once; the returned future
/// resolves on either.
fn shutdown_signal() -> anyhow::Result<impl Future<Output = ()>> {
    #[cfg(unix)]
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .context("cannot listen for SIGTERM")?;
    Ok(async move {
        #[cfg(unix)]
        let terminate = async move {
            terminate.recv().await;
        };
        #[cfg(not(unix))]
        let terminate = std::future::pending::<()>();
        tokio::select! {
            r = tokio::signal::ctrl_c() => {
                if let Err(e) = r {
                    tracing::error!(error = %e, "cannot listen for Ctrl-C");
                    std::future::pending::<()>().await;
                }
            },
            () = terminate => {},
        }
        tracing::info!("shutdown requested");
    })
}
