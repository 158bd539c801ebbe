//! What the customer page shows beside the customer: the activity trail and revenue per month.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::ban::Ban;
use super::customer::{Customer, CustomerStats};
use super::{EventId, Order, Role};
use crate::string_enum;

string_enum!(
    /// Who made a change, by kind.
    ActorKind {
        /// A merchant user in the dashboard.
        User = "user",
        /// A merchant back end with an API key.
        ApiKey = "api_key",
        /// The end customer, in the portal.
        PortalCustomer = "portal_customer",
        /// Patron itself: jobs, seeds, the command line.
        System = "system",
    }
);

string_enum!(
    /// The kind of object a change is about.
    TargetKind {
        /// A customer.
        Customer = "customer",
        /// An order (refunds, disputes and repayments are changes to their order).
        Order = "order",
        /// A subscription.
        Subscription = "subscription",
        /// An item of a customer's inventory.
        Entitlement = "entitlement",
        /// A card, account, email or IP address.
        PaymentDetail = "payment_detail",
        /// A ban.
        Ban = "ban",
        /// A product.
        Product = "product",
        /// The workspace itself (its settings).
        Workspace = "workspace",
    }
);

/// One field of a change, as text: `before` is `None` for a plain fact (such as a refund's amount).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldChange {
    /// The field's name.
    pub field: String,
    /// Its value before the change, when the change replaced one.
    pub before: Option<String>,
    /// Its value after (or the fact recorded).
    pub after: Option<String>,
}

/// One entry of a customer's audit trail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActivityEntry {
    /// The event's id (time-ordered).
    pub id: EventId,
    /// Such as `refund.created`.
    pub action: super::EventType,
    /// Such as `order`.
    pub target_type: TargetKind,
    /// The changed object's id.
    pub target_id: String,
    /// Who, by kind.
    pub actor_type: ActorKind,
    /// Who, readably: a user's email, an API key's name, or "System".
    pub actor: String,
    /// What changed.
    pub changes: Vec<FieldChange>,
    /// Address the change came from.
    pub ip: Option<String>,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// Net revenue from one customer in one calendar month (UTC), in the workspace currency:
/// payments minus refunds minus chargebacks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevenuePoint {
    /// `YYYY-MM`.
    pub month: String,
    /// Minor units of the workspace currency; negative when more went back than came in.
    pub amount: i64,
}

/// Everything the customer page's header and overview show, in one round trip.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerPageData {
    /// The customer.
    pub customer: Customer,
    /// Their stats.
    pub stats: CustomerStats,
    /// The last twelve months of net revenue, oldest first.
    pub revenue: Vec<RevenuePoint>,
    /// The newest order (paid or not): the overview's "last transaction".
    pub last_order: Option<Order>,
    /// The viewer's role: the page hides what it does not allow.
    pub role: Role,
    /// The active ban matching this customer, if any: the page's red banner.
    pub ban: Option<Ban>,
    /// The customer's open request to be erased, if any: the page's amber banner.
    pub erasure_request: Option<super::portal::ErasureRequest>,
    /// The customer's latest merge that can still be undone, as the merged one or the survivor.
    pub merge: Option<super::merge::CustomerMerge>,
}
