//! Subscriptions, their invoices and payment attempts.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::product::BillingInterval;
use super::{
    CustomerId, InvoiceId, OrderId, PaymentAttemptId, PaymentMethod, ProductId, SubscriptionId,
};
use crate::string_enum;

string_enum!(
    /// Where a subscription stands.
    SubscriptionStatus {
        /// Made, first payment not yet taken.
        Created = "created",
        /// Paid up; benefits active (also while a cancellation is scheduled).
        Active = "active",
        /// A renewal failed; retries are scheduled and benefits are kept meanwhile.
        PastDue = "past_due",
        /// Canceled by the merchant or the customer.
        Canceled = "canceled",
        /// Ended after the last renewal retry failed.
        Expired = "expired",
    }
);

impl SubscriptionStatus {
    /// Billing and keeping its benefits: active, or past due while renewals are retried.
    pub const LIVE: [SubscriptionStatus; 2] =
        [SubscriptionStatus::Active, SubscriptionStatus::PastDue];

    /// Whether a subscription in this state is live (see [`SubscriptionStatus::LIVE`]).
    pub fn is_live(self) -> bool {
        Self::LIVE.contains(&self)
    }
}

/// A recurring purchase.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Subscription {
    /// `sub_` + ULID.
    #[cfg_attr(feature = "ssr", schema(value_type = String))]
    pub id: SubscriptionId,
    /// Always `subscription`.
    pub object: String,
    /// The subscriber.
    #[cfg_attr(feature = "ssr", schema(value_type = String))]
    pub customer_id: CustomerId,
    /// The product.
    #[cfg_attr(feature = "ssr", schema(value_type = String))]
    pub product_id: ProductId,
    /// The product's name.
    pub product_name: String,
    /// Where it stands.
    pub status: SubscriptionStatus,
    /// Per period, minor units of `currency`.
    pub amount: i64,
    /// ISO 4217.
    #[cfg_attr(feature = "ssr", schema(value_type = String))]
    pub currency: crate::types::money::CurrencyCode,
    /// The billing period's unit.
    pub interval: BillingInterval,
    /// Units per period.
    pub interval_count: i32,
    /// How renewals are paid.
    pub payment_method: PaymentMethod,
    /// The paid period's start.
    pub current_period_start: DateTime<Utc>,
    /// The paid period's end: the next renewal.
    pub current_period_end: DateTime<Utc>,
    /// A cancellation is scheduled for `current_period_end`.
    pub cancel_at_period_end: bool,
    /// When it was canceled (or the cancellation was scheduled).
    pub canceled_at: Option<DateTime<Utc>>,
    /// When it stopped.
    pub ended_at: Option<DateTime<Utc>>,
    /// Why it was canceled.
    pub cancel_reason: Option<String>,
    /// Failed renewal attempts in a row.
    pub retry_count: i32,
    /// When the next retry runs, while past due.
    pub next_retry_at: Option<DateTime<Utc>>,
    /// Created.
    pub created_at: DateTime<Utc>,
}

/// Cancels a subscription.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SubscriptionCancel {
    /// `true` (default): keep it and its benefits until the period ends. `false`: end it now;
    /// the benefits stay until the period ends unless revoked.
    #[serde(default = "yes")]
    pub at_period_end: bool,
    /// Why (up to 500 characters).
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(min_length = 1, max_length = 500))]
    pub reason: Option<String>,
}

fn yes() -> bool {
    true
}

/// Why a subscription is revoked now.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SubscriptionRevoke {
    /// Why (fraud, abuse...), up to 500 characters.
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(min_length = 1, max_length = 500))]
    pub reason: Option<String>,
}

string_enum!(
    /// Where an invoice stands.
    InvoiceStatus {
        /// Awaiting payment (retries may be scheduled).
        Open = "open",
        /// Paid.
        Paid = "paid",
        /// Given up on after the last retry.
        Uncollectible = "uncollectible",
        /// Dropped because the subscription ended.
        Void = "void",
    }
);

string_enum!(
    /// How a payment attempt went.
    AttemptStatus {
        /// Collected.
        Succeeded = "succeeded",
        /// Declined.
        Failed = "failed",
    }
);

/// One try at collecting an invoice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PaymentAttempt {
    /// `pa_` + ULID.
    #[cfg_attr(feature = "ssr", schema(value_type = String))]
    pub id: PaymentAttemptId,
    /// Succeeded or failed.
    pub status: AttemptStatus,
    /// Why it failed (`card_declined`).
    pub failure_code: Option<String>,
    /// The same, for people.
    pub failure_message: Option<String>,
    /// The provider's payment id.
    pub provider_payment_id: Option<String>,
    /// When.
    pub attempted_at: DateTime<Utc>,
}

/// What a subscription owes for one period, with every attempt at collecting it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Invoice {
    /// `in_` + ULID.
    #[cfg_attr(feature = "ssr", schema(value_type = String))]
    pub id: InvoiceId,
    /// Always `invoice`.
    pub object: String,
    /// The subscription.
    #[cfg_attr(feature = "ssr", schema(value_type = String))]
    pub subscription_id: SubscriptionId,
    /// The order that paid it.
    #[cfg_attr(feature = "ssr", schema(value_type = Option<String>))]
    pub order_id: Option<OrderId>,
    /// Minor units of `currency`.
    pub amount: i64,
    /// ISO 4217.
    #[cfg_attr(feature = "ssr", schema(value_type = String))]
    pub currency: crate::types::money::CurrencyCode,
    /// Open, paid, uncollectible or void.
    pub status: InvoiceStatus,
    /// The period billed.
    pub period_start: DateTime<Utc>,
    /// The period's end.
    pub period_end: DateTime<Utc>,
    /// Every attempt, oldest first.
    pub attempts: Vec<PaymentAttempt>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Paid.
    pub paid_at: Option<DateTime<Utc>>,
}
