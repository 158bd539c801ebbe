//! Customer stats, kept exact in the same transaction as every payment, refund, dispute and
//! subscription change: sums move by deltas in SQL (safe under concurrency), and the
//! subscription figures are recounted from the customer's few subscriptions.

use crate::types::WorkspaceId;
use crate::types::money::CurrencyCode;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, OnConflict};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};

use crate::db::entities::{customer, customer_currency_total as totals, subscription, workspace};
use crate::types::customer::{CurrencyTotals, CustomerStats};
use crate::types::product::BillingInterval;
use crate::types::subscription::SubscriptionStatus;
use crate::types::{CustomerId, Scope};

use super::actor::Caller;
use super::{DomainError, Services};

/// How one change moves a customer's figures.
#[derive(Debug, Clone)]
pub(crate) struct Delta {
    /// The currency of `paid`, `refunded` and `charged_back`.
    pub currency: CurrencyCode,
    pub paid: i64,
    pub refunded: i64,
    pub charged_back: i64,
    /// Lifetime value change in the workspace currency.
    pub ltv: i64,
    pub payments: i64,
    pub orders: i64,
    pub last_order_at: Option<DateTime<Utc>>,
    pub refunds: i64,
    /// Refunded in the workspace currency.
    pub refunded_ws: i64,
    pub disputes: i64,
}

impl Delta {
    /// No change, in `currency`: the base the changes' literals fill in.
    pub fn none(currency: CurrencyCode) -> Self {
        Delta {
            currency,
            paid: 0,
            refunded: 0,
            charged_back: 0,
            ltv: 0,
            payments: 0,
            orders: 0,
            last_order_at: None,
            refunds: 0,
            refunded_ws: 0,
            disputes: 0,
        }
    }
}

fn bump(col: customer::Column, by: i64) -> (customer::Column, sea_orm::sea_query::SimpleExpr) {
    (col, Expr::col(col).add(by))
}

/// Applies `d` to the customer's stats on `conn` (the change's transaction).
pub(crate) async fn apply<C: ConnectionTrait>(
    conn: &C,
    workspace_id: &WorkspaceId,
    customer_id: &CustomerId,
    d: Delta,
) -> Result<(), DomainError> {
    let mut update = customer::Entity::update_many()
        .filter(customer::Column::Id.eq(customer_id))
        .filter(customer::Column::WorkspaceId.eq(workspace_id));
    for (col, by) in [
        (customer::Column::LtvAmount, d.ltv),
        (customer::Column::TotalPayments, d.payments),
        (customer::Column::OrderCount, d.orders),
        (customer::Column::RefundsCount, d.refunds),
        (customer::Column::RefundedAmount, d.refunded_ws),
        (customer::Column::DisputesCount, d.disputes),
    ] {
        if by != 0 {
            let (c, e) = bump(col, by);
            update = update.col_expr(c, e);
        }
    }
    if let Some(at) = d.last_order_at {
        let key = Expr::col(customer::Column::LastOrderKey);
        let ms = at.timestamp_millis();
        update = update.col_expr(
            customer::Column::LastOrderKey,
            Expr::case(key.clone().lt(ms), Expr::val(ms))
                .finally(key)
                .into(),
        );
        let last = Expr::col(customer::Column::LastOrderAt);
        update = update.col_expr(
            customer::Column::LastOrderAt,
            Expr::case(
                last.clone().is_null().or(last.clone().lt(at)),
                Expr::val(at),
            )
            .finally(last)
            .into(),
        );
    }
    update.exec(conn).await?;

    if d.paid != 0 || d.refunded != 0 || d.charged_back != 0 {
        let excluded = |c: totals::Column| Expr::col((Alias::new("excluded"), c));
        let current = |c: totals::Column| Expr::col((totals::Entity, c));
        let mut on_conflict =
            OnConflict::columns([totals::Column::CustomerId, totals::Column::Currency]);
        for c in [
            totals::Column::PaidAmount,
            totals::Column::RefundedAmount,
            totals::Column::ChargedBackAmount,
        ] {
            on_conflict.value(c, current(c).add(excluded(c)));
        }
        totals::Entity::insert(totals::ActiveModel {
            customer_id: Set(customer_id.into()),
            currency: Set(d.currency),
            workspace_id: Set(workspace_id.into()),
            paid_amount: Set(d.paid),
            refunded_amount: Set(d.refunded),
            charged_back_amount: Set(d.charged_back),
        })
        .on_conflict(on_conflict.to_owned())
        .exec(conn)
        .await?;
    }
    Ok(())
}

/// `amount` per `count` × `interval`, as a monthly figure (rounded half up).
pub fn monthly(amount: i64, interval: BillingInterval, count: i32) -> i64 {
    let (num, den): (i128, i128) = match interval {
        BillingInterval::Day => (365, 12),
        BillingInterval::Week => (52, 12),
        BillingInterval::Month => (1, 1),
        BillingInterval::Year => (1, 12),
    };
    let den = den * i128::from(std::cmp::max(count, 1));
    let v = (2 * i128::from(amount) * num + den) / (2 * den);
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// The status the customer list shows and filters on: the most telling among the customer's
/// subscriptions (active, else past due, else canceled, else expired).
pub fn summary_status(statuses: &[SubscriptionStatus]) -> Option<SubscriptionStatus> {
    [
        SubscriptionStatus::Active,
        SubscriptionStatus::PastDue,
        SubscriptionStatus::Canceled,
        SubscriptionStatus::Expired,
    ]
    .into_iter()
    .find(|s| statuses.contains(s))
}

/// Recounts the customer's MRR, active subscriptions and summary status from its subscriptions
/// (a customer has a handful).
pub(crate) async fn refresh_subscriptions<C: ConnectionTrait>(
    conn: &C,
    workspace_id: &WorkspaceId,
    customer_id: &CustomerId,
) -> Result<(), DomainError> {
    // Two transactions recounting one customer on PostgreSQL would each see only their own
    // change and the later write would lose the other's: the customer's row lock orders them,
    // and the read below then sees what the first committed.
    super::lock_row::<crate::db::entities::customer::Entity, _>(conn, customer_id.as_str()).await?;
    let subs = subscription::Entity::find()
        .filter(subscription::Column::WorkspaceId.eq(workspace_id))
        .filter(subscription::Column::CustomerId.eq(customer_id))
        .all(conn)
        .await?;
    let mut mrr = 0i64;
    let mut active = 0i64;
    let mut statuses = Vec::with_capacity(subs.len());
    for s in &subs {
        let status: SubscriptionStatus = s.status;
        if status == SubscriptionStatus::Active {
            mrr += monthly(s.workspace_amount, s.interval, s.interval_count);
            active += 1;
        }
        statuses.push(status);
    }
    let summary = summary_status(&statuses).map(|s| s.as_str().to_owned());
    customer::Entity::update_many()
        .col_expr(customer::Column::MrrAmount, Expr::val(mrr))
        .col_expr(customer::Column::ActiveSubscriptions, Expr::val(active))
        .col_expr(customer::Column::SubscriptionStatus, Expr::val(summary))
        .filter(customer::Column::Id.eq(customer_id))
        .filter(customer::Column::WorkspaceId.eq(workspace_id))
        .exec(conn)
        .await?;
    Ok(())
}

/// A customer's stats as kept.
pub async fn get_customer_stats(
    svc: &Services,
    caller: &Caller,
    id: &CustomerId,
) -> Result<CustomerStats, DomainError> {
    caller.require(Scope::CustomersRead)?;
    let ws = &caller.workspace_id;
    let c = crate::domain::find::in_workspace::<customer::Entity, _, _, _>(&svc.db, ws, id.clone())
        .await?;
    let currency = workspace::Entity::find_by_id(ws)
        .one(&svc.db)
        .await?
        .map(|w| w.default_currency)
        .ok_or(DomainError::NotFound { what: "workspace" })?;
    let by_currency = totals::Entity::find()
        .filter(totals::Column::CustomerId.eq(id.as_str()))
        .filter(totals::Column::WorkspaceId.eq(ws))
        .order_by_asc(totals::Column::Currency)
        .all(&svc.db)
        .await?
        .into_iter()
        .map(|t| CurrencyTotals {
            net: t.paid_amount - t.refunded_amount - t.charged_back_amount,
            currency: t.currency,
            paid: t.paid_amount,
            refunded: t.refunded_amount,
            charged_back: t.charged_back_amount,
        })
        .collect();
    Ok(CustomerStats {
        object: "customer_stats".into(),
        customer_id: id.clone(),
        currency,
        lifetime_value: c.ltv_amount,
        lifetime_value_by_currency: by_currency,
        total_payments: c.total_payments,
        order_count: c.order_count,
        last_order_at: c.last_order_at,
        mrr: c.mrr_amount,
        active_subscriptions: c.active_subscriptions,
        refunds_count: c.refunds_count,
        refunded_amount: c.refunded_amount,
        disputes_count: c.disputes_count,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subscriptions_are_normalised_to_a_month() {
        assert_eq!(monthly(999, BillingInterval::Month, 1), 999);
        assert_eq!(monthly(1200, BillingInterval::Year, 1), 100);
        assert_eq!(monthly(1000, BillingInterval::Month, 3), 333);
        assert_eq!(monthly(100, BillingInterval::Week, 1), 433);
        assert_eq!(monthly(10, BillingInterval::Day, 1), 304);
    }
}
