//! The billing clock: renews subscriptions at period end through the payment provider, marks
//! them past due on failure, retries, expires them after the last failed retry, applies
//! scheduled cancellations, expires benefits and applies the provider's late notices.
//!
//! Every step claims its row with a compare-and-swap on the version before acting, so several
//! server processes can run the clock at once and each renewal still happens once.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};

use crate::db::entities::{invoice, subscription as sub};
use crate::types::entitlement::EntitlementStatus;
use crate::types::money::{self, Currency};
use crate::types::order::OrderKind;
use crate::types::subscription::{InvoiceStatus, SubscriptionStatus};

use super::actor::Caller;
use super::entitlements::{self, Which};
use super::orders::{self, NewOrder, Outcome};
use super::provider::{ChargeRequest, PaymentSource, ProviderError};
use super::{DomainError, Services, stored, stored_id, subscriptions};

/// Waits before each retry after a failed renewal; after the last, the subscription expires.
pub const RETRY_DELAYS: [Duration; 3] = [Duration::days(1), Duration::days(3), Duration::days(5)];

/// Rows each step takes per run; the next run takes the rest.
const BATCH: u64 = 200;

/// What one run of the clock did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BillingReport {
    /// Renewals paid.
    pub renewed: usize,
    /// Renewals declined (now past due).
    pub failed: usize,
    /// Subscriptions expired after their last retry.
    pub expired: usize,
    /// Scheduled cancellations applied.
    pub canceled: usize,
    /// Entitlements whose time ran out.
    pub entitlements_expired: usize,
    /// Disputes the provider reported.
    pub disputes_opened: usize,
}

/// Runs every due step once, at the services' clock's now.
pub async fn run_billing(svc: &Services) -> Result<BillingReport, DomainError> {
    let now = svc.clock.now();
    let mut report = BillingReport::default();
    let live = [
        SubscriptionStatus::Active.as_str(),
        SubscriptionStatus::PastDue.as_str(),
    ];

    let ending = sub::Entity::find()
        .filter(sub::Column::Status.is_in(live))
        .filter(sub::Column::CancelAtPeriodEnd.eq(true))
        .filter(sub::Column::CurrentPeriodEnd.lte(now))
        .order_by_asc(sub::Column::CurrentPeriodEnd)
        .limit(BATCH)
        .all(&svc.db)
        .await?;
    for row in ending {
        report.canceled += usize::from(apply_scheduled_cancel(svc, row).await?);
    }

    let due = sub::Entity::find()
        .filter(
            Expr::col(sub::Column::Status)
                .eq(SubscriptionStatus::Active.as_str())
                .and(Expr::col(sub::Column::CurrentPeriodEnd).lte(now))
                .or(Expr::col(sub::Column::Status)
                    .eq(SubscriptionStatus::PastDue.as_str())
                    .and(Expr::col(sub::Column::NextRetryAt).lte(now))),
        )
        .filter(sub::Column::CancelAtPeriodEnd.eq(false))
        .order_by_asc(sub::Column::CurrentPeriodEnd)
        .limit(BATCH)
        .all(&svc.db)
        .await?;
    for row in due {
        collect(svc, row, now, &mut report).await?;
    }

    report.entitlements_expired = entitlements::expire_due(svc).await?;
    report.disputes_opened = orders::apply_provider_events(svc).await?;
    Ok(report)
}

async fn apply_scheduled_cancel(svc: &Services, row: sub::Model) -> Result<bool, DomainError> {
    let caller = Caller::system(stored_id(&row.workspace_id)?);
    let txn = svc.write_txn().await?;
    let end = row.current_period_end;
    let done = subscriptions::write(&txn, svc, &caller, &row, "subscription.canceled", |m| {
        m.status = Set(SubscriptionStatus::Canceled.as_str().into());
        m.cancel_at_period_end = Set(false);
        m.ended_at = Set(Some(end));
        m.next_retry_at = Set(None);
    })
    .await;
    match done {
        Ok(_) => {}
        // Another process got there first.
        Err(DomainError::Conflict { .. }) => return Ok(false),
        Err(e) => return Err(e),
    }
    subscriptions::close_open_invoices(&txn, &row.id, InvoiceStatus::Void).await?;
    entitlements::end(
        &txn,
        svc,
        &caller,
        Which::Subscription(&row.id),
        EntitlementStatus::Expired,
        Some("subscription canceled at period end"),
        end,
    )
    .await?;
    txn.commit().await?;
    Ok(true)
}

/// Charges a due subscription, period after period while it stays due (a clock that was
/// stopped for months catches up).
async fn collect(
    svc: &Services,
    mut row: sub::Model,
    now: DateTime<Utc>,
    report: &mut BillingReport,
) -> Result<(), DomainError> {
    let caller = Caller::system(stored_id(&row.workspace_id)?);
    for _ in 0..1000 {
        let claimed = sub::Entity::update_many()
            .col_expr(sub::Column::Version, Expr::col(sub::Column::Version).add(1))
            .filter(sub::Column::Id.eq(row.id.as_str()))
            .filter(sub::Column::Version.eq(row.version))
            .exec(&svc.db)
            .await?;
        if claimed.rows_affected == 0 {
            return Ok(());
        }
        row.version += 1;
        let interval = stored(&row.interval)?;
        let start = row.current_period_end;
        let end = subscriptions::period_end(start, interval, row.interval_count);
        let currency = Currency::parse(&row.currency).map_err(DomainError::internal)?;
        let ws_currency = orders::workspace_currency(&svc.db, &row.workspace_id).await?;
        let key = format!("{}:{}:{}", row.id, start.timestamp(), row.retry_count);
        let charged = svc
            .provider
            .charge(ChargeRequest {
                amount: row.amount,
                currency,
                settlement_currency: ws_currency,
                source: PaymentSource::Saved(&row.payment_token),
                idempotency_key: &key,
            })
            .await;

        let txn = svc.write_txn().await?;
        let existing = invoice::Entity::find()
            .filter(invoice::Column::SubscriptionId.eq(row.id.as_str()))
            .filter(invoice::Column::Status.eq(InvoiceStatus::Open.as_str()))
            .order_by_desc(invoice::Column::Id)
            .one(&txn)
            .await?;
        let inv = match existing {
            Some(i) if i.period_start == start => i,
            _ => subscriptions::open_invoice(&txn, &row, start, end, now).await?,
        };
        row = match charged {
            Ok(charge) => {
                let order = orders::record(
                    &txn,
                    svc,
                    &caller,
                    NewOrder {
                        customer_id: row.customer_id.clone(),
                        product_id: row.product_id.clone(),
                        subscription_id: Some(row.id.clone()),
                        kind: OrderKind::Renewal,
                        amount: row.amount,
                        currency,
                        workspace_currency: ws_currency,
                        ip: None,
                        customer_note: None,
                        outcome: Outcome::charged(&charge),
                    },
                )
                .await?;
                subscriptions::record_attempt(&txn, &inv, Ok((&order.id, &charge.payment_id)), now)
                    .await?;
                let ws_amount = money::convert(
                    row.amount,
                    currency,
                    ws_currency,
                    charge.exchange_rate_micros,
                );
                report.renewed += 1;
                subscriptions::write(&txn, svc, &caller, &row, "subscription.renewed", |m| {
                    m.status = Set(SubscriptionStatus::Active.as_str().into());
                    m.current_period_start = Set(start);
                    m.current_period_end = Set(end);
                    m.retry_count = Set(0);
                    m.next_retry_at = Set(None);
                    m.workspace_amount = Set(ws_amount);
                })
                .await?
            }
            Err(ProviderError::Declined { code, message }) => {
                subscriptions::record_attempt(&txn, &inv, Err((code, &message)), now).await?;
                let retry = row.retry_count + 1;
                match RETRY_DELAYS.get((retry - 1) as usize) {
                    Some(delay) => {
                        report.failed += 1;
                        subscriptions::write(
                            &txn,
                            svc,
                            &caller,
                            &row,
                            "subscription.past_due",
                            |m| {
                                m.status = Set(SubscriptionStatus::PastDue.as_str().into());
                                m.retry_count = Set(retry);
                                m.next_retry_at = Set(Some(now + *delay));
                            },
                        )
                        .await?
                    }
                    None => {
                        report.expired += 1;
                        let after = subscriptions::write(
                            &txn,
                            svc,
                            &caller,
                            &row,
                            "subscription.expired",
                            |m| {
                                m.status = Set(SubscriptionStatus::Expired.as_str().into());
                                m.retry_count = Set(retry);
                                m.next_retry_at = Set(None);
                                m.ended_at = Set(Some(now));
                            },
                        )
                        .await?;
                        subscriptions::close_open_invoices(
                            &txn,
                            &row.id,
                            InvoiceStatus::Uncollectible,
                        )
                        .await?;
                        entitlements::end(
                            &txn,
                            svc,
                            &caller,
                            Which::Subscription(&row.id),
                            EntitlementStatus::Expired,
                            Some("renewal payments failed"),
                            now,
                        )
                        .await?;
                        after
                    }
                }
            }
            Err(e) => {
                // The provider is down: leave it due; the next run tries again.
                txn.rollback().await?;
                tracing::warn!(subscription = %row.id, error = %e, "renewal postponed");
                return Ok(());
            }
        };
        txn.commit().await?;
        let still_due = row.status == SubscriptionStatus::Active.as_str()
            && !row.cancel_at_period_end
            && row.current_period_end <= now;
        if !still_due {
            return Ok(());
        }
    }
    Ok(())
}
