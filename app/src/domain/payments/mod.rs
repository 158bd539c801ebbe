//! One pattern for every movement of money through the payment provider:
//!
//! 1. record the intent first (a `charge_attempts` row, or a `pending` refund) and commit it;
//! 2. call the provider with the intent's id as the idempotency key, in a task detached from the
//!    request, so a client that hangs up cannot cut the work in half;
//! 3. finalise in a second transaction whose first write is a conditional update of the intent
//!    (only a `pending` intent can be settled, only an unsettled one voided), so that whichever of
//!    the request and the reconciliation job gets there first wins and the other backs off;
//! 4. the reconciliation job takes intents whose lease ran out (a crash, an outage, a hang) and
//!    finishes them or gives the money back, asking the provider by the same key.
//!
//! [`compare`] sets the provider's own ledger against Patron's orders and refunds; `server
//! reconcile` prints what it finds.

mod ledger;
mod reconciling;
mod settling;
mod starting;

pub use ledger::{Difference, compare};
pub(crate) use reconciling::{BATCH, Resolved, claim_attempts, resolve};
pub(crate) use settling::{charge, decline, detached, keep_or_void, settle, void};
pub(crate) use starting::{Start, resume, start};

use crate::db::entities::charge_attempt as attempt;
use crate::types::money::CurrencyCode;
use crate::types::{ChargeAttemptId, CustomerId, OrderId, SubscriptionId, WorkspaceId};

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, UpdateMany};

/// How long the process that recorded an intent owns it; after that the reconciliation job may
/// take it over. Longer than any provider call should take.
pub const LEASE: Duration = Duration::minutes(2);

/// How long a charge the provider never confirmed is looked for again before it is closed.
pub const WATCH: Duration = Duration::days(2);

pub use crate::types::payment::{AttemptStatus, Purpose};

/// A charge about to be asked for.
#[derive(Debug, Clone)]
pub(crate) struct NewAttempt {
    pub workspace_id: WorkspaceId,
    pub purpose: Purpose,
    pub amount: i64,
    pub currency: CurrencyCode,
    pub customer_id: Option<CustomerId>,
    pub subscription_id: Option<SubscriptionId>,
    pub period_start: Option<DateTime<Utc>>,
    pub retry_count: Option<i32>,
    pub order_id: Option<OrderId>,
}

fn unsettled() -> [AttemptStatus; 2] {
    [AttemptStatus::Pending, AttemptStatus::Abandoned]
}

/// Moves the attempt `id`, if it is still unsettled, to `status` with a fresh lease from `now`.
/// Whoever runs it reads the rows it changed: none, and the attempt is someone else's.
fn relet(
    id: &ChargeAttemptId,
    status: AttemptStatus,
    now: DateTime<Utc>,
) -> UpdateMany<attempt::Entity> {
    attempt::Entity::update_many()
        .col_expr(attempt::Column::Status, Expr::val(status))
        .col_expr(attempt::Column::LeaseUntil, Expr::val(now + LEASE))
        .col_expr(attempt::Column::UpdatedAt, Expr::val(now))
        .filter(attempt::Column::Id.eq(id))
        .filter(attempt::Column::Status.is_in(unsettled()))
}
