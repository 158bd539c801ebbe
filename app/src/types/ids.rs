//! Type-prefixed, sortable identifiers (`ws_01J...`): stable forever and safe in URLs.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Why a string is not a valid identifier of the expected kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("expected an id of the form {prefix}<26 characters>")]
pub struct InvalidId {
    /// The prefix that was expected, such as `cus_`.
    pub prefix: &'static str,
}

/// Crockford base32 as used by ULIDs (no I, L, O, U).
fn is_ulid_char(c: u8) -> bool {
    matches!(c, b'0'..=b'9' | b'A'..=b'H' | b'J' | b'K' | b'M' | b'N' | b'P'..=b'T' | b'V'..=b'Z')
}

fn check(prefix: &'static str, s: &str) -> Result<(), InvalidId> {
    let body = s.strip_prefix(prefix).ok_or(InvalidId { prefix })?;
    // A ULID's first character is at most 7: 26 base32 characters carry 128 bits.
    let ok = body.len() == 26
        && body.bytes().all(is_ulid_char)
        && body.as_bytes().first().is_some_and(|c| *c <= b'7');
    if ok {
        Ok(())
    } else {
        Err(InvalidId { prefix })
    }
}

macro_rules! prefixed_id {
    ($(#[$doc:meta])* $name:ident, $prefix:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// The prefix every id of this kind starts with.
            pub const PREFIX: &'static str = $prefix;

            /// Parses an id, checking its prefix and ULID body.
            pub fn parse(s: &str) -> Result<Self, InvalidId> {
                check($prefix, s).map(|()| Self(s.to_owned()))
            }

            /// Mints an id whose time part is `at` (the injected clock's now): ids sort as their
            /// objects' creation times do, on any clock (tests, seeds, imports). Its random
            /// part comes from Patron's one generator.
            #[cfg(feature = "ssr")]
            pub fn generate_at(at: chrono::DateTime<chrono::Utc>) -> Self {
                let ulid = ulid::Ulid::from_datetime_with_source(
                    at.into(),
                    &mut crate::domain::secrets::rng(),
                );
                Self(format!("{}{ulid}", $prefix))
            }

            /// The id as text, prefix included.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl TryFrom<String> for $name {
            type Error = InvalidId;
            fn try_from(s: String) -> Result<Self, InvalidId> {
                check($prefix, &s).map(|()| Self(s))
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl std::str::FromStr for $name {
            type Err = InvalidId;
            fn from_str(s: &str) -> Result<Self, InvalidId> {
                Self::parse(s)
            }
        }
    };
}

prefixed_id!(
    /// A workspace: one merchant store, the unit of tenancy.
    WorkspaceId,
    "ws_"
);
prefixed_id!(
    /// A merchant user who logs in to the dashboard.
    UserId,
    "usr_"
);
prefixed_id!(
    /// A dashboard login session.
    SessionId,
    "ses_"
);
prefixed_id!(
    /// An API key (its id, never its secret).
    ApiKeyId,
    "key_"
);
prefixed_id!(
    /// A customer: someone who pays the merchant.
    CustomerId,
    "cus_"
);
prefixed_id!(
    /// One entry of the audit trail / event stream.
    EventId,
    "evt_"
);

prefixed_id!(
    /// Something the workspace sells.
    ProductId,
    "prod_"
);
prefixed_id!(
    /// An order: one payment, or one attempt at it.
    OrderId,
    "ord_"
);
prefixed_id!(
    /// Money given back on an order.
    RefundId,
    "re_"
);
prefixed_id!(
    /// A dispute (chargeback) on an order.
    DisputeId,
    "dp_"
);
prefixed_id!(
    /// A recurring purchase.
    SubscriptionId,
    "sub_"
);
prefixed_id!(
    /// What a subscription owes for one period.
    InvoiceId,
    "in_"
);
prefixed_id!(
    /// One try at collecting an invoice.
    PaymentAttemptId,
    "pa_"
);
prefixed_id!(
    /// One item of a customer's inventory.
    EntitlementId,
    "ent_"
);
prefixed_id!(
    /// A game-server command queued for an entitlement.
    CommandId,
    "cmd_"
);
prefixed_id!(
    /// A card, account, email or IP address a customer paid with.
    PaymentDetailId,
    "pd_"
);
prefixed_id!(
    /// Something the payment provider reported about an order.
    ProviderEventId,
    "pev_"
);
prefixed_id!(
    /// A ban: who may not buy.
    BanId,
    "ban_"
);
prefixed_id!(
    /// Patron's record of a charge it asks the provider for; also the provider's idempotency key.
    ChargeAttemptId,
    "cha_"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_well_formed_id_parses_and_displays_unchanged() {
        let id = WorkspaceId::parse("ws_01JD5ZQ3XK4M6P8R9S2T3V4W5X").unwrap();
        assert_eq!(id.to_string(), "ws_01JD5ZQ3XK4M6P8R9S2T3V4W5X");
    }

    #[test]
    fn ids_with_the_wrong_prefix_or_body_are_rejected() {
        for bad in [
            "cus_01JD5ZQ3XK4M6P8R9S2T3V4W5X",
            "ws_01JD5ZQ3XK4M6P8R9S2T3V4W5",
            "ws_01JD5ZQ3XK4M6P8R9S2T3V4W5XX",
            "ws_01JD5ZQ3XK4M6P8R9S2T3V4WIL",
            "ws_81JD5ZQ3XK4M6P8R9S2T3V4W5X",
            "",
        ] {
            assert_eq!(
                WorkspaceId::parse(bad),
                Err(InvalidId { prefix: "ws_" }),
                "{bad}"
            );
        }
    }

    #[test]
    fn ids_round_trip_through_json_and_reject_bad_input() {
        let id = WorkspaceId::parse("ws_01JD5ZQ3XK4M6P8R9S2T3V4W5X").unwrap();
        let json = serde_json_string(&id);
        assert_eq!(json, "\"ws_01JD5ZQ3XK4M6P8R9S2T3V4W5X\"");
        assert!(serde_json_parse("\"ws_nope\"").is_err());
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn generated_ids_are_valid_and_sort_by_creation_time() {
        let now = chrono::Utc::now();
        let a = WorkspaceId::generate_at(now);
        let b = WorkspaceId::generate_at(now + chrono::Duration::milliseconds(1));
        assert!(WorkspaceId::parse(a.as_str()).is_ok());
        assert!(a < b);
    }

    fn serde_json_string(id: &WorkspaceId) -> String {
        serde_json::to_string(id).unwrap()
    }

    fn serde_json_parse(s: &str) -> Result<WorkspaceId, serde_json::Error> {
        serde_json::from_str(s)
    }
}
