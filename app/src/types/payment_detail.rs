//! Payment details: the cards, accounts, emails and IPs a customer paid with, and their blocks.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{CustomerId, PaymentDetailId};
use crate::string_enum;

string_enum!(
    /// What kind of detail.
    PaymentDetailKind {
        /// A card, by the provider's fingerprint.
        Card = "card",
        /// A bank or wallet account.
        Account = "account",
        /// An email address used to pay.
        Email = "email",
        /// An IP address paid from.
        Ip = "ip",
    }
);

string_enum!(
    /// Whether the detail may pay.
    PaymentDetailStatus {
        /// May be used.
        Active = "active",
        /// Refused at checkout, for every customer of the workspace.
        Blocked = "blocked",
    }
);

/// A card, account, email or IP a customer paid with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PaymentDetail {
    /// `pd_` + ULID.
    #[cfg_attr(feature = "ssr", schema(value_type = String))]
    pub id: PaymentDetailId,
    /// Always `payment_detail`.
    pub object: String,
    /// Whose.
    #[cfg_attr(feature = "ssr", schema(value_type = String))]
    pub customer_id: CustomerId,
    /// Card, account, email or IP.
    pub kind: PaymentDetailKind,
    /// The card fingerprint, masked account, email or IP.
    pub value: String,
    /// For people: `Visa •••• 4242`.
    pub label: String,
    /// Active or blocked.
    pub status: PaymentDetailStatus,
    /// First used.
    pub first_seen_at: DateTime<Utc>,
    /// Last used.
    pub last_seen_at: DateTime<Utc>,
    /// Blocked since.
    pub blocked_at: Option<DateTime<Utc>>,
}

/// One block or unblock, from the audit trail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PaymentDetailLogEntry {
    /// The audit event's id (`evt_...`).
    #[cfg_attr(feature = "ssr", schema(value_type = crate::types::EventId))]
    pub id: crate::types::EventId,
    /// `payment_detail.blocked` or `payment_detail.unblocked`.
    #[cfg_attr(feature = "ssr", schema(value_type = String))]
    pub action: crate::types::EventType,
    /// Who, by kind.
    pub actor_type: super::activity::ActorKind,
    /// The user or key.
    pub actor_id: Option<String>,
    /// From where.
    pub ip: Option<String>,
    /// When.
    pub created_at: DateTime<Utc>,
}
