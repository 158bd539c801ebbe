//! The hosted customer portal: the link a merchant's back end mints for one customer, and
//! what the portal shows that customer.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::order::OrderStatus;
use super::product::BillingInterval;
use super::subscription::SubscriptionStatus;
use super::{CustomerId, OrderId, SubscriptionId};

/// A request for a one-time portal link: the customer by Patron id or by the merchant's own id.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CustomerSessionCreate {
    /// The customer's Patron id (`cus_...`); or give `external_id`.
    #[cfg_attr(feature = "ssr", schema(value_type = Option<String>))]
    pub customer_id: Option<CustomerId>,
    /// The merchant's own id of the customer; or give `customer_id`.
    pub external_id: Option<String>,
    /// Where the portal's "Back to the shop" link leads: an `https://` address (`http://` only
    /// on localhost or a loopback address, for development).
    pub return_url: Option<String>,
}

/// A one-time link into the portal, valid for an hour. Opening it signs the customer in with
/// a first-party cookie and takes the token out of the address bar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CustomerSession {
    /// Always `customer_session`.
    pub object: String,
    /// Whose portal it opens.
    #[cfg_attr(feature = "ssr", schema(value_type = String))]
    pub customer_id: CustomerId,
    /// The link to send the customer to.
    pub url: String,
    /// The one-time token inside `url`.
    pub token: String,
    /// After this the link no longer works.
    pub expires_at: DateTime<Utc>,
}

/// One of the customer's orders, as the customer sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortalOrder {
    /// The order.
    pub id: OrderId,
    /// What was bought.
    pub product_name: String,
    /// Paid, in minor units of `currency`.
    pub amount: i64,
    /// ISO 4217 code.
    pub currency: String,
    /// Given back so far.
    pub refunded_amount: i64,
    /// Paid, refunded, failed...
    pub status: OrderStatus,
    /// When it was paid (or tried).
    pub at: DateTime<Utc>,
}

/// One of the customer's subscriptions, as the customer sees it (no internal reasons).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortalSubscription {
    /// The subscription.
    pub id: SubscriptionId,
    /// What it is for.
    pub product_name: String,
    /// Per period, in minor units of `currency`.
    pub amount: i64,
    /// ISO 4217 code.
    pub currency: String,
    /// Month or year.
    pub interval: BillingInterval,
    /// How many intervals a period lasts.
    pub interval_count: i32,
    /// Active, past due, canceled...
    pub status: SubscriptionStatus,
    /// The end of the paid period: the next renewal, or the end.
    pub current_period_end: DateTime<Utc>,
    /// Whether it ends at `current_period_end` instead of renewing.
    pub cancel_at_period_end: bool,
}

/// The portal's overview: the shop, who is signed in, and what they bought.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortalOverview {
    /// The shop's name.
    pub shop: String,
    /// The customer's name, if known.
    pub name: Option<String>,
    /// The customer's email, if known.
    pub email: Option<String>,
    /// The merchant's "Back to the shop" address, if the link carried one.
    pub return_url: Option<String>,
    /// Newest first (the latest 50).
    pub orders: Vec<PortalOrder>,
    /// Live ones first, then ended, newest first.
    pub subscriptions: Vec<PortalSubscription>,
}
