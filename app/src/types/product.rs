//! Products: what the workspace sells, at what price, and the benefits a purchase grants.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::ProductId;
use crate::string_enum;

string_enum!(
    /// Paid once, or renewed every billing period.
    ProductKind {
        /// Paid once.
        OneTime = "one_time",
        /// Renewed every billing period.
        Subscription = "subscription",
    }
);

string_enum!(
    /// The unit of a subscription's billing period.
    BillingInterval {
        /// Days.
        Day = "day",
        /// Weeks.
        Week = "week",
        /// Calendar months.
        Month = "month",
        /// Calendar years.
        Year = "year",
    }
);

string_enum!(
    /// What a customer's external id must look like before Patron puts it into a game-server
    /// command (`{customer_external_id}`): anything else is refused, so no id can smuggle a
    /// second command or an argument onto the merchant's server.
    PlayerIdKind {
        /// Letters, digits and `_ . : -`, 1 to 64 characters (the default).
        Plain = "plain",
        /// A SteamID64: 17 digits, starting 7656119.
        SteamId64 = "steam_id64",
        /// A Minecraft player's UUID (with or without dashes) or name (3 to 16 letters, digits
        /// or `_`).
        Minecraft = "minecraft",
        /// The benefit's own `player_id_pattern`, which the whole id must match.
        Pattern = "pattern",
    }
);

// `string_enum!` owns the derive list, so the default is written out.
#[allow(clippy::derivable_impls)]
impl Default for PlayerIdKind {
    fn default() -> Self {
        Self::Plain
    }
}

string_enum!(
    /// A benefit's kind, as in its `kind` field.
    BenefitKind {
        /// A generated licence key.
        LicenseKey = "license_key",
        /// A file behind a signed, expiring link.
        FileDownload = "file_download",
        /// A role on the merchant's Discord server.
        DiscordRole = "discord_role",
        /// Anything else the merchant delivers by hand.
        Custom = "custom",
        /// Commands run on a game server.
        GameServerCommands = "game_server_commands",
    }
);

/// What a purchase grants, and what revoking it undoes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum Benefit {
    /// A generated licence key. Revoking deactivates the key.
    LicenseKey {
        /// Text the key starts with, such as `NWG`.
        #[serde(default)]
        #[cfg_attr(feature = "ssr", schema(pattern = r"^[A-Za-z0-9]{1,12}$"))]
        prefix: Option<String>,
    },
    /// A file behind a signed, expiring link. Revoking stops new links.
    FileDownload {
        /// The name the customer sees.
        #[cfg_attr(feature = "ssr", schema(min_length = 1, max_length = 200))]
        file_name: String,
        /// Where the file lives; only ever handed out through a signed link.
        #[cfg_attr(feature = "ssr", schema(value_type = crate::types::contact::HttpUrl))]
        url: String,
    },
    /// A role on the merchant's Discord server, for the linked Discord user. Revoking removes it.
    DiscordRole {
        /// The Discord server (guild) id.
        #[cfg_attr(feature = "ssr", schema(pattern = r"^[0-9]{17,20}$"))]
        guild_id: String,
        /// The role id.
        #[cfg_attr(feature = "ssr", schema(pattern = r"^[0-9]{17,20}$"))]
        role_id: String,
    },
    /// Anything else the merchant delivers by hand. Revoking marks it revoked.
    Custom {
        /// What the customer gets.
        #[cfg_attr(feature = "ssr", schema(min_length = 1, max_length = 500))]
        description: String,
    },
    /// Commands run on a game server on grant, and on revoke or expiry.
    GameServerCommands {
        /// The server the commands run on.
        #[cfg_attr(feature = "ssr", schema(min_length = 1, max_length = 100))]
        server: String,
        /// Commands run when granted; `{customer_external_id}` is replaced.
        #[cfg_attr(feature = "ssr", schema(value_type = Vec<crate::types::schema::Command>, max_items = 20))]
        on_grant: Vec<String>,
        /// Commands run when revoked or expired.
        #[serde(default)]
        #[cfg_attr(feature = "ssr", schema(value_type = Vec<crate::types::schema::Command>, max_items = 20))]
        on_revoke: Vec<String>,
        /// What `{customer_external_id}` must look like (`plain` unless given); a customer
        /// whose id does not fit cannot buy the product.
        #[serde(default)]
        player_id: PlayerIdKind,
        /// With `player_id: pattern` (and only then): the regular expression the whole
        /// external id must match.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(feature = "ssr", schema(min_length = 1, max_length = 200))]
        player_id_pattern: Option<String>,
    },
}

impl Benefit {
    /// The benefit's kind, as in its `kind` field.
    pub fn kind(&self) -> BenefitKind {
        match self {
            Benefit::LicenseKey { .. } => BenefitKind::LicenseKey,
            Benefit::FileDownload { .. } => BenefitKind::FileDownload,
            Benefit::DiscordRole { .. } => BenefitKind::DiscordRole,
            Benefit::Custom { .. } => BenefitKind::Custom,
            Benefit::GameServerCommands { .. } => BenefitKind::GameServerCommands,
        }
    }
}

/// Something the workspace sells.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Product {
    /// `prod_` + ULID.
    #[cfg_attr(feature = "ssr", schema(value_type = String))]
    pub id: ProductId,
    /// Always `product`.
    pub object: String,
    /// Shown to customers and merchants.
    pub name: String,
    /// One-time or subscription.
    pub kind: ProductKind,
    /// Price in minor units of `currency`.
    pub amount: i64,
    /// ISO 4217.
    #[cfg_attr(feature = "ssr", schema(value_type = String))]
    pub currency: crate::types::money::CurrencyCode,
    /// Subscriptions only: the billing period's unit.
    pub interval: Option<BillingInterval>,
    /// Subscriptions only: how many units make one period.
    #[cfg_attr(feature = "ssr", schema(minimum = 1, maximum = 12))]
    pub interval_count: Option<i32>,
    /// What a purchase grants.
    pub benefits: Vec<Benefit>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Archived products cannot be bought.
    pub archived_at: Option<DateTime<Utc>>,
}

/// A new product.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ProductCreate {
    /// Name, 1 to 200 characters.
    #[cfg_attr(feature = "ssr", schema(min_length = 1, max_length = 200))]
    pub name: String,
    /// One-time or subscription.
    pub kind: ProductKind,
    /// Price in minor units, above zero.
    #[cfg_attr(feature = "ssr", schema(minimum = 1))]
    pub amount: i64,
    /// ISO 4217.
    #[cfg_attr(feature = "ssr", schema(value_type = String, pattern = r"^(EUR|USD|GBP|eur|usd|gbp)$"))]
    pub currency: crate::types::money::CurrencyCode,
    /// Required for subscriptions.
    #[serde(default)]
    pub interval: Option<BillingInterval>,
    /// Periods of `interval` per renewal, 1 to 12 (default 1).
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(minimum = 1, maximum = 12))]
    pub interval_count: Option<i32>,
    /// What a purchase grants (at most 20).
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(max_items = 20))]
    pub benefits: Vec<Benefit>,
}
