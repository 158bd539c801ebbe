//! Bans: who may not buy, by any identity (customer, name, email, external id, IP or CIDR
//! range, card), why (internal), and until when.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{BanId, CustomerId};
use crate::string_enum;

string_enum!(
    /// What a ban identity names.
    BanIdentityKind {
        /// One customer, by id.
        Customer = "customer",
        /// A customer name, compared case-insensitively.
        Name = "name",
        /// An email, compared as the mailbox it reaches (case, and Gmail dots and plus-tags).
        Email = "email",
        /// Your own id for the customer (SteamID64, Minecraft UUID…).
        ExternalId = "external_id",
        /// An IP address, or a CIDR range of them (IPv4 or IPv6).
        Ip = "ip",
        /// A card, by the provider's fingerprint.
        Card = "card",
    }
);

impl BanIdentityKind {
    /// What a merchant calls it: `Customer`, `IP address`...
    pub fn label(self) -> &'static str {
        match self {
            Self::Customer => "Customer",
            Self::Name => "Name",
            Self::Email => "Email",
            Self::ExternalId => "External id",
            Self::Ip => "IP address",
            Self::Card => "Card",
        }
    }
}

string_enum!(
    /// Where a ban stands.
    BanStatus {
        /// Refusing purchases.
        Active = "active",
        /// Past its expiry: it lifted itself.
        Expired = "expired",
        /// Lifted by hand.
        Lifted = "lifted",
    }
);

/// One identity a ban matches.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BanIdentity {
    /// What it names.
    pub kind: BanIdentityKind,
    /// The customer id, name, email, external id, IP or CIDR range, or card fingerprint.
    pub value: String,
}

/// The widest ranges a ban takes without an explicit confirmation: /16 for IPv4 (65,536
/// addresses), /32 for IPv6 (a large provider's allocation).
pub const WIDE_V4: u8 = 16;
/// See [`WIDE_V4`].
pub const WIDE_V6: u8 = 32;

impl BanIdentity {
    /// Whether it is an IP range wider than [`WIDE_V4`] / [`WIDE_V6`], which a ban takes only
    /// when confirmed. An IPv4-mapped IPv6 range (`::ffff:203.0.113.0/104`) is the IPv4 range
    /// it maps, as addresses are stored.
    pub fn is_wide_range(&self) -> bool {
        use std::net::IpAddr;
        if self.kind != BanIdentityKind::Ip {
            return false;
        }
        let Some((addr, len)) = self.value.trim().split_once('/') else {
            return false;
        };
        let (Ok(addr), Ok(len)) = (addr.trim().parse::<IpAddr>(), len.trim().parse::<u8>()) else {
            return false;
        };
        match addr {
            IpAddr::V4(_) => len < WIDE_V4,
            IpAddr::V6(v6) if (96..=128).contains(&len) && v6.to_ipv4_mapped().is_some() => {
                len - 96 < WIDE_V4
            }
            IpAddr::V6(_) => len < WIDE_V6,
        }
    }
}

/// A ban.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Ban {
    /// `ban_` + ULID.
    #[cfg_attr(feature = "ssr", schema(value_type = String))]
    pub id: BanId,
    /// Always `ban`.
    pub object: String,
    /// Why: internal, never shown to the customer.
    pub reason: String,
    /// When it lifts itself; `null` for a permanent ban.
    pub expires_at: Option<DateTime<Utc>>,
    /// Active, expired or lifted.
    pub status: BanStatus,
    /// What it matches, normalised.
    #[cfg_attr(feature = "ssr", schema(value_type = Vec<crate::types::schema::StoredBanIdentity>))]
    pub identities: Vec<BanIdentity>,
    /// The customer it was created from, if any.
    #[cfg_attr(feature = "ssr", schema(value_type = Option<String>))]
    pub customer_id: Option<CustomerId>,
    /// When it was lifted by hand.
    pub lifted_at: Option<DateTime<Utc>>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    /// Optimistic lock: send it back with an edit.
    pub version: i64,
}

/// A new ban.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct BanCreate {
    /// Why (internal), 1 to 1000 characters.
    #[cfg_attr(feature = "ssr", schema(min_length = 1, max_length = 1000))]
    pub reason: String,
    /// When it lifts itself; omit for a permanent ban. Must be in the future.
    #[serde(default)]
    pub expires_at: Option<DateTime<Utc>>,
    /// One or more identities.
    #[cfg_attr(feature = "ssr", schema(min_items = 1, max_items = 50))]
    pub identities: Vec<BanIdentity>,
    /// The customer the ban is about (shown on their page), if any.
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<crate::types::CustomerId>))]
    pub customer_id: Option<CustomerId>,
    /// Also revoke the active items of every customer the ban matches now.
    #[serde(default)]
    pub revoke_items: bool,
    /// Also cancel, now, the live subscriptions of every customer the ban matches now.
    #[serde(default)]
    pub cancel_subscriptions: bool,
    /// Confirms an IP range wider than /16 (IPv4) or /32 (IPv6): without it such a range is
    /// refused, since it can shut out a whole provider's customers.
    #[serde(default)]
    pub confirm_wide_ranges: bool,
}

/// Changes to a ban: only the fields given change.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct BanUpdate {
    /// A new reason.
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(min_length = 1, max_length = 1000))]
    pub reason: Option<String>,
    /// A new expiry; `permanent: true` removes it instead.
    #[serde(default)]
    pub expires_at: Option<DateTime<Utc>>,
    /// Makes the ban permanent (no expiry).
    #[serde(default)]
    pub permanent: bool,
    /// The new, complete list of identities.
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(min_items = 1, max_items = 50))]
    pub identities: Option<Vec<BanIdentity>>,
    /// The `version` you read: refused with 409 if the ban changed since.
    #[serde(default)]
    pub version: Option<i64>,
    /// Confirms an IP range wider than /16 (IPv4) or /32 (IPv6) in `identities`.
    #[serde(default)]
    pub confirm_wide_ranges: bool,
}

/// Identities to preview before saving a ban.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct BanPreviewRequest {
    /// The identities the ban would have.
    #[cfg_attr(feature = "ssr", schema(min_items = 1, max_items = 50))]
    pub identities: Vec<BanIdentity>,
}

/// A customer a ban (would) match.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct BanMatch {
    /// The customer.
    #[cfg_attr(feature = "ssr", schema(value_type = String))]
    pub customer_id: CustomerId,
    /// Their name, email or id.
    pub display_name: String,
    /// Their email.
    pub email: Option<String>,
    /// Which identities match them.
    pub matched_by: Vec<BanIdentityKind>,
}

/// Who a set of identities matches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct BanPreview {
    /// How many customers match.
    pub count: u64,
    /// The first of them (at most 20).
    pub customers: Vec<BanMatch>,
}

/// How many customers one identity matches on its own: the ban dialog ticks an identity only
/// when no other customer shares it, and says how many do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BanIdentityReach {
    /// The identity, as it was asked about.
    pub identity: BanIdentity,
    /// How many customers it matches.
    pub customers: u64,
    /// How many of them are not the customer the ban is about.
    pub others: u64,
}

/// Published as one shape per kind, each with the value that kind takes.
#[cfg(feature = "ssr")]
impl utoipa::PartialSchema for BanIdentity {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use crate::types::CustomerId;
        use crate::types::contact::Email;
        use crate::types::schema::IpOrCidr;
        use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Type};

        let text = || {
            ObjectBuilder::new()
                .schema_type(Type::String)
                .min_length(Some(1))
                .max_length(Some(200))
                .into()
        };
        let kinds: [(
            BanIdentityKind,
            utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>,
        ); 6] = [
            (
                BanIdentityKind::Customer,
                <CustomerId as utoipa::PartialSchema>::schema(),
            ),
            (BanIdentityKind::Name, text()),
            (
                BanIdentityKind::Email,
                <Email as utoipa::PartialSchema>::schema(),
            ),
            (BanIdentityKind::ExternalId, text()),
            (
                BanIdentityKind::Ip,
                <IpOrCidr as utoipa::PartialSchema>::schema(),
            ),
            (BanIdentityKind::Card, text()),
        ];
        let mut one_of = OneOfBuilder::new().description(Some(
            "What a ban matches: a customer id, a name, an email, an external id, an IP address or CIDR range, or a card fingerprint",
        ));
        for (kind, value) in kinds {
            one_of = one_of.item(
                ObjectBuilder::new()
                    .property(
                        "kind",
                        ObjectBuilder::new()
                            .schema_type(Type::String)
                            .enum_values(Some([kind.as_str()])),
                    )
                    .required("kind")
                    .property("value", value)
                    .required("value")
                    .additional_properties(Some(
                        utoipa::openapi::schema::AdditionalProperties::FreeForm(false),
                    )),
            );
        }
        one_of.into()
    }
}

#[cfg(feature = "ssr")]
impl utoipa::ToSchema for BanIdentity {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wide_range_is_wider_than_a_16_or_a_32() {
        let ip = |value: &str| BanIdentity {
            kind: BanIdentityKind::Ip,
            value: value.into(),
        };
        for wide in [
            "10.0.0.0/8",
            " 172.16.0.0/12 ",
            "2001:db8::/16",
            "::ffff:10.0.0.0/104",
        ] {
            assert!(ip(wide).is_wide_range(), "{wide}");
        }
        for narrow in [
            "10.0.0.0/16",
            "203.0.113.7",
            "2001:db8::/32",
            "::ffff:10.0.0.0/112",
            "10.0.0.0/40",
            "x/8",
        ] {
            assert!(!ip(narrow).is_wide_range(), "{narrow}");
        }
        let email = BanIdentity {
            kind: BanIdentityKind::Email,
            value: "a/1".into(),
        };
        assert!(!email.is_wide_range());
    }
}
