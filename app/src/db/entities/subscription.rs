//! A row of `subscriptions`.

use sea_orm::entity::prelude::*;

use crate::types::money::CurrencyCode;

use crate::types::{CustomerId, ProductId, SubscriptionId, WorkspaceId};

use crate::types::product::BillingInterval;
use crate::types::subscription::SubscriptionStatus;

/// A recurring purchase; `payment_method` is a JSON snapshot, `payment_token` the provider's reusable token.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "subscriptions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: SubscriptionId,
    pub workspace_id: WorkspaceId,
    pub customer_id: CustomerId,
    pub product_id: ProductId,
    pub status: SubscriptionStatus,
    pub amount: i64,
    pub currency: CurrencyCode,
    pub workspace_amount: i64,
    pub interval: BillingInterval,
    pub interval_count: i32,
    pub payment_method: String,
    pub payment_token: String,
    pub current_period_start: DateTimeUtc,
    pub current_period_end: DateTimeUtc,
    pub cancel_at_period_end: bool,
    pub canceled_at: Option<DateTimeUtc>,
    pub ended_at: Option<DateTimeUtc>,
    pub cancel_reason: Option<String>,
    pub retry_count: i32,
    pub next_retry_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i64,
    /// Until when a billing clock owns the renewal it claimed.
    pub claimed_until: Option<DateTimeUtc>,
    /// Failed renewal runs in a row (not declines): backs the next claim off.
    pub claim_failures: i32,
}

/// Declared from the owned side.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
