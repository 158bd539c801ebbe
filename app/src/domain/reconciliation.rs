//! The reconciliation job: charge attempts and refunds whose lease ran out, finished or given
//! back; and `server reconcile`, which runs it and then sets the provider's ledger against
//! Patron's records. A workflow above payments (the attempts), orders (the refunds) and billing
//! (a renewal the provider did charge is recorded as the billing clock would have).

use super::payments::{self, Difference, Resolved};
use super::{DomainError, Services, billing, orders};

/// What one run of the reconciliation job did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReconcileReport {
    /// Renewals recorded from a charge the provider had made.
    pub finished: usize,
    /// Charges given back.
    pub voided: usize,
    /// Attempts under which the provider had moved no money (yet).
    pub abandoned: usize,
    /// Refunds that were pending and are now settled or failed.
    pub refunds: usize,
    /// Rows that failed; each is logged and retried after its lease.
    pub errors: usize,
}

/// The reconciliation job: takes charge attempts and refunds whose lease ran out (exactly once
/// across processes) and finishes or voids each; one failing row never stops the others.
pub async fn reconcile(svc: &Services) -> Result<ReconcileReport, DomainError> {
    let now = svc.clock.now();
    let mut report = ReconcileReport::default();
    for claimed in payments::claim_attempts(svc, now).await? {
        let a = match claimed {
            Ok(a) => a,
            Err(u) => {
                report.errors += 1;
                tracing::error!(attempt = %u.id, error = %u.error, "a charge attempt cannot be read; retried after its lease");
                continue;
            }
        };
        let resolved = match payments::resolve(svc, &a, now).await {
            // Nobody waits for a renewal: record it if the subscription still expects it.
            Ok(Resolved::Renewal(charge)) => billing::finish_renewal(svc, &a, Ok(*charge), now)
                .await
                .map(|f| match f {
                    billing::Finished::Recorded => Resolved::Finished,
                    billing::Finished::Voided => Resolved::Voided,
                    _ => Resolved::Nothing,
                }),
            other => other,
        };
        match resolved {
            Ok(Resolved::Finished) => report.finished += 1,
            Ok(Resolved::Voided) => report.voided += 1,
            Ok(Resolved::Abandoned) => report.abandoned += 1,
            Ok(Resolved::Nothing | Resolved::Renewal(_)) => {}
            Err(e) => {
                report.errors += 1;
                tracing::warn!(attempt = %a.id, error = %e, "reconciling a charge failed; retried later");
            }
        }
    }
    for claimed in orders::claim_stale_refunds(svc, now, payments::BATCH).await? {
        let r = match claimed {
            Ok(r) => r,
            Err(u) => {
                report.errors += 1;
                tracing::error!(refund = %u.id, error = %u.error, "a refund cannot be read; retried after its lease");
                continue;
            }
        };
        let id = r.id.clone();
        match orders::resume_refund(svc, r).await {
            Ok(()) => report.refunds += 1,
            Err(e) => {
                report.errors += 1;
                tracing::warn!(refund = %id, error = %e, "reconciling a refund failed; retried later");
            }
        }
    }
    Ok(report)
}

/// What `server reconcile` answers: the differences between the provider's ledger and Patron's
/// records, after running the reconciliation job first when `fix` is set.
pub async fn check_ledger(svc: &Services, fix: bool) -> Result<Vec<Difference>, DomainError> {
    if fix {
        let report = reconcile(svc).await?;
        tracing::info!(?report, "reconciliation job");
    }
    payments::compare(svc).await
}
