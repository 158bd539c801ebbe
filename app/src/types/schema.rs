//! How the OpenAPI document publishes values that travel as plain text but follow a rule the
//! domain checks (a day or a time, a URL of a kind): schema-only types, named in
//! `#[schema(value_type = ...)]` and never constructed. Each mirrors its check in
//! `domain::validate`, so that what the document allows, Patron accepts. Emails, phone
//! numbers, countries and web addresses are real types with their rules (`types::contact`).

use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{
    AdditionalProperties, KnownFormat, ObjectBuilder, OneOfBuilder, Schema, SchemaFormat,
    SchemaType, Type,
};
use utoipa::{PartialSchema, ToSchema};

use super::customer::{METADATA_KEY_MAX, METADATA_MAX_PAIRS, METADATA_VALUE_MAX};

/// An `http://` or `https://` address with a host name, an optional port and path (what
/// `validate::http_url` accepts, narrowed to the common form).
pub const HTTP_URL: &str = r"^[Hh][Tt][Tt][Pp][Ss]?://([A-Za-z0-9]([A-Za-z0-9-]{0,20}[A-Za-z0-9])?\.){1,3}[A-Za-z]{2,8}(:(0|[1-9][0-9]{0,3}|[1-5][0-9]{4}))?(/[!-~]{0,200})?$";
/// As [`HTTP_URL`], `https://` only.
pub const HTTPS_URL: &str = r"^[Hh][Tt][Tt][Pp][Ss]://([A-Za-z0-9]([A-Za-z0-9-]{0,20}[A-Za-z0-9])?\.){1,3}[A-Za-z]{2,8}(:(0|[1-9][0-9]{0,3}|[1-5][0-9]{4}))?(/[!-~]{0,200})?$";
/// A webhook endpoint: as [`HTTPS_URL`], without a `#fragment`.
pub const WEBHOOK_URL: &str = r"^[Hh][Tt][Tt][Pp][Ss]://([A-Za-z0-9]([A-Za-z0-9-]{0,20}[A-Za-z0-9])?\.){1,3}[A-Za-z]{2,8}(:(0|[1-9][0-9]{0,3}|[1-5][0-9]{4}))?(/[!-\x22$-~]{0,200})?$";
/// The origin of one page: `https://` and a host name, an optional port.
pub const PAGE_ORIGIN: &str = r"^https://([A-Za-z0-9]([A-Za-z0-9-]{0,20}[A-Za-z0-9])?\.){1,3}[A-Za-z]{2,8}(:(0|[1-9][0-9]{0,3}|[1-5][0-9]{4}))?/?$";
/// An origin: `https://` and a host name (or `https://*.` and a domain), an optional port.
pub const ORIGIN: &str = r"^https://(\*\.)?([A-Za-z0-9]([A-Za-z0-9-]{0,20}[A-Za-z0-9])?\.){1,3}[A-Za-z]{2,8}(:(0|[1-9][0-9]{0,3}|[1-5][0-9]{4}))?/?$";

fn string() -> ObjectBuilder {
    ObjectBuilder::new().schema_type(Type::String)
}

macro_rules! schema_only {
    ($(#[$doc:meta])* $name:ident => $schema:expr) => {
        $(#[$doc])*
        #[derive(Debug)]
        pub enum $name {}

        impl PartialSchema for $name {
            fn schema() -> RefOr<Schema> {
                $schema
            }
        }

        impl ToSchema for $name {}
    };
}

schema_only!(
    /// Where webhooks go: an `https://` address without a fragment.
    WebhookUrl => string()
        .pattern(Some(WEBHOOK_URL))
        .max_length(Some(2000))
        .description(Some("An https:// address, without a #fragment"))
        .into()
);

schema_only!(
    /// An `https://` address.
    HttpsUrl => string()
        .pattern(Some(HTTPS_URL))
        .max_length(Some(2048))
        .description(Some("An https:// address"))
        .into()
);

schema_only!(
    /// A day (`2026-01-31`, UTC) or an RFC 3339 time.
    DayOrTime => OneOfBuilder::new()
        .item(string().format(Some(SchemaFormat::KnownFormat(KnownFormat::Date))))
        .item(string().format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime))))
        .description(Some("A day (2026-01-31, UTC) or an RFC 3339 time (2026-01-31T12:00:00Z)"))
        .into()
);

schema_only!(
    /// Free-form key-value pairs: at most 50; keys 1 to 40 characters without `[` or `]`,
    /// values at most 500 characters.
    MetadataMap => ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::Object]))
        .max_properties(Some(METADATA_MAX_PAIRS))
        .property_names(Some(
            string()
                .min_length(Some(1))
                .max_length(Some(METADATA_KEY_MAX))
                .pattern(Some(r"^[^\[\]\u0000-\u001F\u007F-\u009F]*$")),
        ))
        .additional_properties(Some(AdditionalProperties::RefOr(RefOr::T(Schema::Object(
            string().max_length(Some(METADATA_VALUE_MAX)).build(),
        )))))
        .description(Some("Your own key-value pairs: at most 50, keys 1 to 40 characters without [ or ], values at most 500 characters"))
        .into()
);

schema_only!(
    /// An IPv4 or IPv6 address.
    IpAddress => OneOfBuilder::new()
        .item(string().format(Some(SchemaFormat::KnownFormat(KnownFormat::Ipv4))))
        .item(string().format(Some(SchemaFormat::KnownFormat(KnownFormat::Ipv6))))
        .description(Some("An IPv4 or IPv6 address"))
        .into()
);

schema_only!(
    /// An IPv4 or IPv6 address, or a CIDR range of them.
    IpOrCidr => OneOfBuilder::new()
        .item(string().format(Some(SchemaFormat::KnownFormat(KnownFormat::Ipv4))))
        .item(string().format(Some(SchemaFormat::KnownFormat(KnownFormat::Ipv6))))
        .item(string().pattern(Some(
            r"^(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])){3}/(3[0-2]|[12]?[0-9])$",
        )))
        .description(Some("An IPv4 or IPv6 address, or a CIDR range such as 203.0.113.0/24"))
        .into()
);

schema_only!(
    /// The origin of a site's pages: `https://shop.example` or `https://*.shop.example`.
    Origin => string()
        .pattern(Some(ORIGIN))
        .description(Some("An origin such as https://shop.example or https://*.shop.example (http:// only for localhost)"))
        .into()
);

/// Which events an endpoint receives: `*`, a family (`order.*`) or one type (`order.paid`).
/// The form names the families; a type of the form that does not exist (`order.paied`) is a
/// 422 naming the field.
#[derive(Debug)]
pub enum EventTypePattern {}

impl PartialSchema for EventTypePattern {
    fn schema() -> RefOr<Schema> {
        use crate::types::{EventFamily, EventType};
        let families: Vec<&str> = EventFamily::WEBHOOK.iter().map(|f| f.as_str()).collect();
        let types: Vec<&str> = EventType::webhooks().map(EventType::as_str).collect();
        string()
            .pattern(Some(format!(
                r"^(\*|({})\.(\*|[a-z_]+))$",
                families.join("|")
            )))
            .description(Some(format!(
                "*, a family such as order.* or one type: {}",
                types.join(", ")
            )))
            .into()
    }
}

impl ToSchema for EventTypePattern {}

/// The type of an event that goes out as a webhook.
#[derive(Debug)]
pub enum WebhookEventType {}

impl PartialSchema for WebhookEventType {
    fn schema() -> RefOr<Schema> {
        use crate::types::EventType;
        string()
            .enum_values(Some(EventType::webhooks().map(EventType::as_str)))
            .description(Some("The type of the event, such as order.paid"))
            .into()
    }
}

impl ToSchema for WebhookEventType {}

schema_only!(
    /// `true`, the only value accepted: a confirmation.
    MustBeTrue => ObjectBuilder::new()
        .schema_type(Type::Boolean)
        .enum_values(Some([true]))
        .into()
);

schema_only!(
    /// What a game server reports of a command: `executed` or `failed`.
    CommandOutcome => string()
        .enum_values(Some(["executed", "failed"]))
        .into()
);

schema_only!(
    /// How a dispute ended: `won` or `lost`.
    DisputeOutcome => string()
        .enum_values(Some(["won", "lost"]))
        .into()
);

schema_only!(
    /// An identity a ban holds, as stored: its kind and its value as compared (a name
    /// lower-cased, an email as its mailbox, `erased:<hash>` once its customer was erased).
    StoredBanIdentity => ObjectBuilder::new()
        .property("kind", <super::ban::BanIdentityKind as PartialSchema>::schema())
        .required("kind")
        .property("value", string())
        .required("value")
        .into()
);

schema_only!(
    /// A game-server command: 1 to 500 characters, at least one of them visible.
    Command => string()
        .min_length(Some(1))
        .max_length(Some(500))
        .into()
);

schema_only!(
    /// The origin of one page, without a wildcard: `https://shop.example`.
    PageOrigin => string()
        .pattern(Some(PAGE_ORIGIN))
        .description(Some("The origin of the page that embeds the portal, such as https://shop.example"))
        .into()
);

schema_only!(
    /// An `https://` address, or empty for none.
    HttpsUrlOrEmpty => string()
        .pattern(Some(format!("^({})?$", &HTTPS_URL[1..HTTPS_URL.len() - 1])))
        .max_length(Some(500))
        .description(Some("An https:// address, or empty for none"))
        .into()
);

schema_only!(
    /// An email address, or empty for none.
    EmailOrEmpty => OneOfBuilder::new()
        .item(
            string()
                .format(Some(SchemaFormat::KnownFormat(KnownFormat::Email)))
                .min_length(Some(1))
                .max_length(Some(254)),
        )
        .item(string().max_length(Some(0)))
        .description(Some("An email address such as help@shop.example, or empty for none"))
        .into()
);
