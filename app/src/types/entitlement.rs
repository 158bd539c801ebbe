//! Entitlements: the customer's inventory of benefits.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::product::Benefit;
use super::{CommandId, CustomerId, EntitlementId, OrderId, ProductId, SubscriptionId};
use crate::string_enum;

string_enum!(
    /// Whether the customer has the benefit now.
    EntitlementStatus {
        /// In use.
        Active = "active",
        /// Ran out (its subscription ended, or its time did).
        Expired = "expired",
        /// Taken away by the merchant.
        Revoked = "revoked",
    }
);

string_enum!(
    /// How the customer got it.
    EntitlementSource {
        /// A one-time purchase.
        Order = "order",
        /// A subscription, for as long as it lasts.
        Subscription = "subscription",
        /// Assigned by the merchant without a sale.
        Manual = "manual",
    }
);

string_enum!(
    /// Where a game-server command stands.
    CommandStatus {
        /// Waiting for the game server to fetch it.
        Pending = "pending",
        /// The server ran it.
        Executed = "executed",
        /// The server could not run it.
        Failed = "failed",
    }
);

string_enum!(
    /// When a game-server command runs.
    CommandPhase {
        /// When the benefit is granted.
        Grant = "grant",
        /// When it is revoked or expires.
        Revoke = "revoke",
    }
);

/// A game-server command for an entitlement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct GameCommand {
    /// `cmd_` + ULID.
    #[cfg_attr(feature = "ssr", schema(value_type = String))]
    pub id: CommandId,
    /// The entitlement it belongs to.
    #[cfg_attr(feature = "ssr", schema(value_type = String))]
    pub entitlement_id: EntitlementId,
    /// The game server.
    pub server: String,
    /// The exact command.
    pub command: String,
    /// On grant or on revoke.
    pub phase: CommandPhase,
    /// Pending, executed or failed.
    pub status: CommandStatus,
    /// Queued.
    pub created_at: DateTime<Utc>,
    /// Run.
    pub executed_at: Option<DateTime<Utc>>,
}

/// One item of a customer's inventory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Entitlement {
    /// `ent_` + ULID.
    #[cfg_attr(feature = "ssr", schema(value_type = String))]
    pub id: EntitlementId,
    /// Always `entitlement`.
    pub object: String,
    /// The holder.
    #[cfg_attr(feature = "ssr", schema(value_type = String))]
    pub customer_id: CustomerId,
    /// The product that grants it.
    #[cfg_attr(feature = "ssr", schema(value_type = String))]
    pub product_id: ProductId,
    /// The product's name.
    pub product_name: String,
    /// The granting order.
    #[cfg_attr(feature = "ssr", schema(value_type = Option<String>))]
    pub order_id: Option<OrderId>,
    /// The granting subscription.
    #[cfg_attr(feature = "ssr", schema(value_type = Option<String>))]
    pub subscription_id: Option<SubscriptionId>,
    /// Order, subscription or manual.
    pub source: EntitlementSource,
    /// The benefit granted.
    pub benefit: Benefit,
    /// Active, expired or revoked.
    pub status: EntitlementStatus,
    /// Licence keys: the key with all but its last group masked. Reveal it on purpose.
    pub license_key: Option<String>,
    /// Discord roles: the linked Discord user id.
    pub discord_user_id: Option<String>,
    /// Game-server commands, oldest first.
    pub commands: Vec<GameCommand>,
    /// Granted.
    pub granted_at: DateTime<Utc>,
    /// When it runs out, if it does on its own.
    pub expires_at: Option<DateTime<Utc>>,
    /// When it expired or was revoked.
    pub ended_at: Option<DateTime<Utc>>,
    /// Why it was revoked.
    pub end_reason: Option<String>,
}

/// Assigns a product's benefits by hand, without a sale.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct EntitlementGrant {
    /// The product whose benefits to grant.
    #[cfg_attr(feature = "ssr", schema(value_type = crate::types::ProductId))]
    pub product_id: ProductId,
    /// When they run out; leave out for never.
    #[serde(default)]
    pub expires_at: Option<DateTime<Utc>>,
}

/// Revokes an entitlement.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct EntitlementRevoke {
    /// Why (up to 500 characters).
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(min_length = 1, max_length = 500))]
    pub reason: Option<String>,
}

/// Links a Discord user to a Discord-role entitlement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct DiscordLink {
    /// The Discord user id (a snowflake: 17 to 20 digits); `null` unlinks.
    #[cfg_attr(feature = "ssr", schema(pattern = r"^[1-9][0-9]{16,19}$"))]
    pub discord_user_id: Option<String>,
}

/// A revealed licence key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct LicenseKeyReveal {
    /// The entitlement.
    #[cfg_attr(feature = "ssr", schema(value_type = String))]
    pub entitlement_id: EntitlementId,
    /// The full key.
    pub license_key: String,
}

/// A signed, expiring download link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct DownloadLink {
    /// Path to open (relative to the server); it redirects to the file while valid.
    pub url: String,
    /// The link stops working after this.
    pub expires_at: DateTime<Utc>,
}

/// What a game server reports about a command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CommandReport {
    /// `executed` or `failed`.
    #[cfg_attr(feature = "ssr", schema(value_type = crate::types::schema::CommandOutcome))]
    pub status: CommandStatus,
}
