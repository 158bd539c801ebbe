//! Background jobs the server runs beside HTTP. Each job is idempotent, so several server
//! processes on one PostgreSQL may run it side by side.

use std::time::Duration;

use app::domain::billing::{self, BillingReport};
use app::domain::outbox::{self, Mailer};
use app::domain::{Services, accounts, idempotency, portal, rate_limit, reconciliation};

/// How often expired sessions and idempotency records are deleted.
pub const SWEEP_EVERY: Duration = Duration::from_secs(60 * 60);

/// One sweep: expired sessions, idempotency records older than 24 hours, and rate-limit rows
/// whose allowance is whole again.
pub async fn sweep(svc: &Services) {
    match accounts::sweep_expired_sessions(svc).await {
        Ok(n) if n > 0 => tracing::info!(sessions = n, "swept expired sessions"),
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "sweeping sessions failed"),
    }
    match idempotency::sweep_expired(svc).await {
        Ok(n) if n > 0 => tracing::info!(idempotency_keys = n, "swept expired idempotency keys"),
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "sweeping idempotency keys failed"),
    }
    match portal::sweep_expired(svc).await {
        Ok(n) if n > 0 => tracing::info!(
            portal_sessions = n,
            "swept expired portal links and sessions"
        ),
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "sweeping portal sessions failed"),
    }
    match rate_limit::sweep(svc).await {
        Ok(n) if n > 0 => tracing::info!(rate_limits = n, "swept spent rate limits"),
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "sweeping rate limits failed"),
    }
}

/// Runs [`sweep`] now and every [`SWEEP_EVERY`] until the process ends.
pub fn spawn_sweeper(svc: Services) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(SWEEP_EVERY);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            every.tick().await;
            sweep(&svc).await;
        }
    })
}

/// How often the billing clock looks for due renewals, retries, cancellations and expiries.
pub const BILLING_EVERY: Duration = Duration::from_secs(60);

/// One tick of the billing clock.
pub async fn bill(svc: &Services) {
    match billing::run_billing(svc).await {
        Ok(report) if report != BillingReport::default() => tracing::info!(
            renewed = report.renewed,
            failed = report.failed,
            expired = report.expired,
            canceled = report.canceled,
            entitlements_expired = report.entitlements_expired,
            disputes_opened = report.disputes_opened,
            "billing clock"
        ),
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "billing clock failed"),
    }
}

/// One run of the reconciliation job: finishes or gives back what a crash or an outage left.
pub async fn reconcile(svc: &Services) {
    match reconciliation::reconcile(svc).await {
        Ok(report) if report != reconciliation::ReconcileReport::default() => tracing::info!(
            finished = report.finished,
            voided = report.voided,
            abandoned = report.abandoned,
            refunds = report.refunds,
            errors = report.errors,
            "reconciliation"
        ),
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "reconciliation failed"),
    }
}

/// Runs the billing clock, then the reconciliation job, now and every [`BILLING_EVERY`] until
/// the process ends.
pub fn spawn_billing_clock(svc: Services) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(BILLING_EVERY);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            every.tick().await;
            bill(&svc).await;
            reconcile(&svc).await;
        }
    })
}

/// How often the outbox is looked at for emails to send.
pub const MAIL_EVERY: Duration = Duration::from_secs(5);

/// One run of the mail sender: sends what is due, each email claimed by exactly one process.
pub async fn send_mail(svc: &Services, mailer: &dyn Mailer) {
    match outbox::deliver_due(svc, mailer).await {
        Ok(report) if report != outbox::DeliveryReport::default() => tracing::info!(
            sent = report.sent,
            retrying = report.retrying,
            failed = report.failed,
            "outbox"
        ),
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "sending the outbox failed"),
    }
}

/// Runs [`send_mail`] now and every [`MAIL_EVERY`] until the process ends.
pub fn spawn_mail_sender(
    svc: Services,
    mailer: crate::adapters::mail::LettreMailer,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(MAIL_EVERY);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            every.tick().await;
            send_mail(&svc, &mailer).await;
        }
    })
}

/// How often the webhook job looks for due deliveries.
pub const WEBHOOKS_EVERY: Duration = Duration::from_secs(1);

/// Delivers due webhooks every [`WEBHOOKS_EVERY`]. Each run goes on in the background: a run
/// held up by a hanging endpoint never keeps the next run from serving the other endpoints
/// (the claims keep two runs from taking one delivery).
pub fn spawn_webhook_sender(
    svc: Services,
    sender: std::sync::Arc<dyn app::domain::webhooks::WebhookSender>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(WEBHOOKS_EVERY);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            every.tick().await;
            let (svc, sender) = (svc.clone(), sender.clone());
            tokio::spawn(async move {
                match app::domain::webhooks::deliver_due(&svc, sender).await {
                    Ok(r) if r.failed > 0 || r.retrying > 0 => tracing::info!(
                        delivered = r.delivered,
                        retrying = r.retrying,
                        failed = r.failed,
                        "webhook deliveries"
                    ),
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "the webhook job failed; it runs again"),
                }
            });
        }
    })
}

/// How often the bulk-action job looks for actions to work on.
pub const BULK_ACTIONS_EVERY: Duration = Duration::from_secs(1);

/// One run of the bulk-action job: each action is worked by exactly one process at a time.
pub async fn run_bulk_actions(svc: &Services) {
    match app::domain::bulk_actions::run_bulk_actions(svc).await {
        Ok(r) if r.finished > 0 || r.failed > 0 => tracing::info!(
            succeeded = r.succeeded,
            failed = r.failed,
            finished = r.finished,
            "bulk actions"
        ),
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "the bulk-action job failed; it runs again"),
    }
}

/// Runs [`run_bulk_actions`] every [`BULK_ACTIONS_EVERY`] until the process ends.
pub fn spawn_bulk_actions(svc: Services) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(BULK_ACTIONS_EVERY);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            every.tick().await;
            run_bulk_actions(&svc).await;
        }
    })
}
