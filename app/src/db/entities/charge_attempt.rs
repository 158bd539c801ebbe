//! A row of `charge_attempts`: Patron's record of a charge it is about to ask the provider for.

use sea_orm::entity::prelude::*;

use crate::types::money::CurrencyCode;

use crate::types::{ChargeAttemptId, CustomerId, OrderId, SubscriptionId, WorkspaceId};

use crate::types::payment::{AttemptStatus, Purpose};

/// One intent to take money. Its id is the idempotency key the provider is called with, so a
/// retried call can never take the money twice.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "charge_attempts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: ChargeAttemptId,
    pub workspace_id: WorkspaceId,
    /// `checkout`, `renewal` or `order_payment`.
    pub purpose: Purpose,
    /// `pending`, `succeeded`, `declined`, `abandoned`, `voiding` or `voided`.
    pub status: AttemptStatus,
    pub amount: i64,
    pub currency: CurrencyCode,
    pub customer_id: Option<CustomerId>,
    pub subscription_id: Option<SubscriptionId>,
    /// Renewals: the period this charge pays for, and which try it is.
    pub period_start: Option<DateTimeUtc>,
    pub retry_count: Option<i32>,
    /// The order it paid (or, for `order_payment`, the order it pays).
    pub order_id: Option<OrderId>,
    pub provider_payment_id: Option<String>,
    pub failure_code: Option<String>,
    /// Until when the process working on it owns it; then the reconciliation job may.
    pub lease_until: DateTimeUtc,
    /// How often the reconciliation job has taken it.
    pub tries: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

/// Declared from the owned side.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
