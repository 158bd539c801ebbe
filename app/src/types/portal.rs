//! The hosted customer portal: the link a merchant's back end mints for one customer, and
//! what the portal shows that customer.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::entitlement::EntitlementStatus;
use super::order::OrderStatus;
use super::product::BenefitKind;
use super::product::BillingInterval;
use super::subscription::SubscriptionStatus;
use super::{CustomerId, EntitlementId, OrderId, SubscriptionId};

/// A request for a one-time portal link: the customer by Patron id or by the merchant's own id.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CustomerSessionCreate {
    /// The customer's Patron id (`cus_...`); or give `external_id`.
    #[cfg_attr(feature = "ssr", schema(value_type = Option<crate::types::CustomerId>))]
    pub customer_id: Option<CustomerId>,
    /// The merchant's own id of the customer; or give `customer_id`.
    #[cfg_attr(feature = "ssr", schema(min_length = 1, max_length = 255))]
    pub external_id: Option<String>,
    /// Where the portal's "Back to the shop" link leads: an `https://` address (`http://` only
    /// on localhost or a loopback address, for development).
    #[cfg_attr(feature = "ssr", schema(value_type = Option<crate::types::schema::HttpsUrl>))]
    pub return_url: Option<String>,
    /// To show the portal inside your own page (`/embed/...`): that page's origin, such as
    /// `https://shop.example`, one of the workspace's `embed_origins`. The answer's `url` is
    /// then the frame's address, with the token in its fragment.
    #[cfg_attr(feature = "ssr", schema(value_type = Option<crate::types::schema::PageOrigin>))]
    pub embed_origin: Option<String>,
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

/// An embedded portal's session, from exchanging an embed link's token: kept in the frame's
/// memory and sent as the `Patron-Portal-Session` header, never a cookie.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmbedSession {
    /// The session token.
    pub session: String,
    /// When it ends; the frame then asks its page for a new link.
    pub expires_at: DateTime<Utc>,
    /// The merchant page's origin: the only one the frame talks to.
    pub origin: String,
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
    pub currency: crate::types::money::CurrencyCode,
    /// Given back so far.
    pub refunded_amount: i64,
    /// Paid, refunded, failed...
    pub status: OrderStatus,
    /// When it was paid (or tried).
    pub at: DateTime<Utc>,
    /// Whether it was paid (and so has a receipt).
    pub paid: bool,
    /// The subscription it paid for, if any.
    pub subscription_id: Option<SubscriptionId>,
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
    pub currency: crate::types::money::CurrencyCode,
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
    /// What it renews with, such as "Visa •••• 4242".
    pub payment_method: Option<String>,
}

/// One item the customer owns (a licence key, a file, a Discord role...), as they see it: a
/// file's address is never shown, only handed out as a signed, expiring link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortalItem {
    /// The item.
    pub id: EntitlementId,
    /// What it came with.
    pub product_name: String,
    /// Licence key, file, Discord role...
    pub kind: BenefitKind,
    /// What it is: the file's name, "Licence key", the merchant's description...
    pub label: String,
    /// Active, expired or revoked.
    pub status: EntitlementStatus,
    /// Licence keys: masked but for the last group; revealed on request.
    pub license_key: Option<String>,
    /// Discord roles: the linked Discord user id.
    pub discord_user_id: Option<String>,
    /// When it runs out, if it does on its own.
    pub expires_at: Option<DateTime<Utc>>,
}

/// The portal's overview: the shop, who is signed in, and what they bought.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortalOverview {
    /// The shop's name.
    pub shop: String,
    /// The shop's look.
    pub branding: PortalBranding,
    /// A merchant viewing the portal as this customer: nothing can be changed.
    pub read_only: bool,
    /// Whether the shop has banned this customer: they see what they own, but cannot buy or
    /// recover.
    pub banned: bool,
    /// The customer's name, if known.
    pub name: Option<String>,
    /// The customer's email, if known.
    pub email: Option<String>,
    /// The merchant's "Back to the shop" address, if the link carried one.
    pub return_url: Option<String>,
    /// When the customer asked to be erased, the date the shop must have done it by.
    pub erasure_due_at: Option<DateTime<Utc>>,
    /// Newest first (the latest 50).
    pub orders: Vec<PortalOrder>,
    /// Live ones first, then ended, newest first.
    pub subscriptions: Vec<PortalSubscription>,
    /// What they own, newest first.
    pub items: Vec<PortalItem>,
}

/// How a shop's portal looks: its name, logo and accent colour.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortalBranding {
    /// The shop's name.
    pub shop: String,
    /// The portal's address: `/portal/<slug>`.
    pub slug: String,
    /// An `https://` image address, if set.
    pub logo_url: Option<String>,
    /// `#rrggbb`, if set.
    pub accent_color: Option<String>,
}

/// A signed portal link, as every receipt carries: works for 30 days, until the merchant
/// rotates the customer's link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PortalLink {
    /// The link.
    pub url: String,
    /// After this it no longer works.
    pub expires_at: DateTime<Utc>,
}

/// One customer record a signed-in address may be.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortalChoice {
    /// The customer.
    pub id: CustomerId,
    /// Their name, if known.
    pub name: Option<String>,
    /// When they first bought.
    pub since: DateTime<Utc>,
    /// Orders so far.
    pub order_count: i64,
}

/// After a code sign-in whose address several customers of the shop share: which to be.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortalChoices {
    /// The shop.
    pub branding: PortalBranding,
    /// The address that signed in.
    pub email: String,
    /// Oldest first.
    pub customers: Vec<PortalChoice>,
}

/// What the portal's front door shows: the signed-in customer's overview, a choice of
/// customer records, or nothing (signed out).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum PortalState {
    /// Signed in.
    SignedIn(Box<PortalOverview>),
    /// Signed in by code as an address several customers share: pick one.
    Choosing(PortalChoices),
    /// Not signed in.
    SignedOut,
}

/// Why a customer cancels, from the portal's list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CancelReason {
    /// It costs too much.
    TooExpensive,
    /// They no longer use it.
    Unused,
    /// Something is missing.
    MissingFeatures,
    /// They switched to something else.
    SwitchedService,
    /// Quality or support.
    LowQuality,
    /// Another reason (the comment says).
    Other,
}

impl CancelReason {
    /// Every reason, in the order the form lists them.
    pub const ALL: [CancelReason; 6] = [
        CancelReason::TooExpensive,
        CancelReason::Unused,
        CancelReason::MissingFeatures,
        CancelReason::SwitchedService,
        CancelReason::LowQuality,
        CancelReason::Other,
    ];

    /// The wire form (`too_expensive`).
    pub fn as_str(self) -> &'static str {
        match self {
            CancelReason::TooExpensive => "too_expensive",
            CancelReason::Unused => "unused",
            CancelReason::MissingFeatures => "missing_features",
            CancelReason::SwitchedService => "switched_service",
            CancelReason::LowQuality => "low_quality",
            CancelReason::Other => "other",
        }
    }

    /// As the form shows it.
    pub fn label(self) -> &'static str {
        match self {
            CancelReason::TooExpensive => "It costs too much",
            CancelReason::Unused => "I don't use it enough",
            CancelReason::MissingFeatures => "Something I need is missing",
            CancelReason::SwitchedService => "I'm switching to something else",
            CancelReason::LowQuality => "Quality or support let me down",
            CancelReason::Other => "Another reason",
        }
    }

    /// From the wire form.
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == raw)
    }
}

/// Who sold: the shop's details as every receipt prints them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceiptSeller {
    /// The registered company name, or the shop's name when none is set.
    pub legal_name: String,
    /// The postal address, a line each; empty when none is set.
    pub address_lines: Vec<String>,
    /// The VAT number or other tax id, if set.
    pub tax_id: Option<String>,
    /// Where customers write about a purchase, if set.
    pub support_email: Option<String>,
}

/// One order's receipt, as the customer prints or downloads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortalReceipt {
    /// The shop.
    pub branding: PortalBranding,
    /// Who sold: the legal name, address and tax id printed on the receipt.
    pub seller: ReceiptSeller,
    /// The receipt's number, such as `R-00042`, if the order was given one (every paid order
    /// is, when its payment is recorded).
    pub receipt_number: Option<String>,
    /// The order.
    pub order_id: OrderId,
    /// Purchase, renewal or repayment.
    pub kind: super::order::OrderKind,
    /// What was bought.
    pub product_name: String,
    /// Paid, in minor units of `currency`.
    pub amount: i64,
    /// ISO 4217 code.
    pub currency: crate::types::money::CurrencyCode,
    /// Given back so far.
    pub refunded_amount: i64,
    /// Paid, refunded...
    pub status: OrderStatus,
    /// When it was paid.
    pub paid_at: DateTime<Utc>,
    /// How, such as "Visa •••• 4242".
    pub payment_method: Option<String>,
    /// Billed to: the customer's name, if known.
    pub name: Option<String>,
    /// Billed to: the customer's email, if known.
    pub email: Option<String>,
    /// The customer's country (ISO 3166-1 alpha-2), if known.
    pub country: Option<String>,
}

/// An end customer's request, from the portal, to have their personal data erased.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ErasureRequest {
    /// Always `erasure_request`.
    pub object: String,
    /// `era_...`.
    #[cfg_attr(feature = "ssr", schema(value_type = String))]
    pub id: super::ErasureRequestId,
    /// Who asked.
    #[cfg_attr(feature = "ssr", schema(value_type = String))]
    pub customer_id: super::CustomerId,
    /// The customer's name or email (empty once erased).
    pub customer_label: String,
    /// When they asked.
    pub requested_at: chrono::DateTime<chrono::Utc>,
    /// When the law's month runs out (GDPR Art. 12(3)).
    pub due_at: chrono::DateTime<chrono::Utc>,
    /// Whole days left until `due_at` (0 on the day, negative once overdue).
    pub days_left: i64,
    /// When the customer was erased.
    pub completed_at: Option<chrono::DateTime<chrono::Utc>>,
}
