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

impl ActorKind {
    /// Who, for people, when the trail has no name for them: "A team member".
    pub fn label(self) -> &'static str {
        match self {
            ActorKind::User => "A team member",
            ActorKind::ApiKey => "An API key",
            ActorKind::PortalCustomer => "The customer (portal)",
            ActorKind::System => "System",
        }
    }
}

/// Fields whose values are codes (`past_due`, `one_time`): shown as words.
const CODED_FIELDS: [&str; 5] = ["status", "kind", "source", "failure_code", "type"];

/// Fields whose values are what someone typed: shown exactly as given, never read as codes.
const TYPED_FIELDS: [&str; 10] = [
    "email",
    "name",
    "phone",
    "tax_id",
    "username",
    "profile_url",
    "external_id",
    "country",
    "reason",
    "cancel_reason",
];

/// Fields a line of the trail never shows: the customer's own id (the page is theirs), the
/// object's id and kind (the headline says them), and bookkeeping.
const UNSHOWN_FIELDS: [&str; 5] = ["id", "object", "customer_id", "updated_at", "version"];

/// `one_time` → `one time`: a code as words; anything else as it is.
fn code_words(code: &str) -> String {
    if code
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    {
        code.replace('_', " ")
    } else {
        code.to_owned()
    }
}

/// `first seen` → `First seen`.
fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().collect::<String>() + chars.as_str())
        .unwrap_or_default()
}

/// A stored field's name for people: `current_period_end` → "Current period end",
/// `first_seen_at` → "First seen", `product_id` → "Product".
pub fn field_label(field: &str) -> String {
    let fixed = match field {
        "ip" => Some("IP address"),
        "tax_id" => Some("Tax id"),
        "external_id" => Some("External id"),
        "discord_user_id" => Some("Discord user id"),
        "cancel_at_period_end" => Some("Cancels at period end"),
        "read_only" => Some("Read-only"),
        "embed_origin" => Some("Embedded on"),
        "label" => Some("Detail"),
        "retry_count" => Some("Retries"),
        "failure_code" => Some("Failure"),
        "other" => Some("Other customer"),
        _ => None,
    };
    if let Some(label) = fixed {
        return label.to_owned();
    }
    let stem = field
        .strip_suffix("_at")
        .or_else(|| field.strip_suffix("_id"))
        .unwrap_or(field);
    let words: Vec<&str> = stem
        .split('_')
        .filter(|w| !w.is_empty())
        .map(|w| match w {
            "ip" => "IP",
            "url" => "URL",
            "api" => "API",
            other => other,
        })
        .collect();
    capitalised(&words.join(" "))
}

/// A JSON value (metadata, a list of identities) as text: `plan: gold, seats: 3`.
fn json_text(field: &str, value: &serde_json::Value) -> String {
    use serde_json::Value;
    match value {
        Value::Null => "none".to_owned(),
        Value::Bool(b) => (if *b { "yes" } else { "no" }).to_owned(),
        Value::Number(n) => n.to_string(),
        // A ban's identities are stored as `external_id: 7656…`.
        Value::String(s) if field == "identities" => match s.split_once(": ") {
            Some((kind, rest)) if kind.chars().all(|c| c.is_ascii_lowercase() || c == '_') => {
                format!("{}: {rest}", field_label(kind))
            }
            _ => s.clone(),
        },
        Value::String(s) => s.clone(),
        Value::Array(items) if items.is_empty() => "none".to_owned(),
        Value::Array(items) => items
            .iter()
            .map(|item| json_text(field, item))
            .collect::<Vec<_>>()
            .join(", "),
        Value::Object(map) if map.is_empty() => "none".to_owned(),
        // Keys are the merchant's own (metadata): shown as they wrote them.
        Value::Object(map) => map
            .iter()
            .map(|(key, v)| format!("{key}: {}", json_text(field, v)))
            .collect::<Vec<_>>()
            .join(", "),
    }
}

/// A stored value for people: codes as words, `true` as "yes", JSON as `key: value` pairs;
/// what someone typed exactly as typed.
pub fn value_text(field: &str, raw: &str) -> String {
    if TYPED_FIELDS.contains(&field) {
        return raw.to_owned();
    }
    match raw {
        "true" => return "yes".to_owned(),
        "false" => return "no".to_owned(),
        _ => {}
    }
    if raw.starts_with(['{', '['])
        && let Ok(value) = serde_json::from_str::<serde_json::Value>(raw)
    {
        return json_text(field, &value);
    }
    if CODED_FIELDS.contains(&field) {
        code_words(raw)
    } else {
        raw.to_owned()
    }
}

impl FieldChange {
    /// The field's name for people: "Email", "Current period end".
    pub fn label(&self) -> String {
        field_label(&self.field)
    }

    /// One line for people: "Email: a@x.io → b@x.io", or "Amount: 9.99 EUR" for a fact.
    pub fn line(&self) -> String {
        let text = |v: &Option<String>| {
            v.as_deref()
                .map_or_else(|| "none".to_owned(), |raw| value_text(&self.field, raw))
        };
        match &self.before {
            None => format!("{}: {}", self.label(), text(&self.after)),
            Some(_) => format!(
                "{}: {} → {}",
                self.label(),
                text(&self.before),
                text(&self.after)
            ),
        }
    }
}

impl ActivityEntry {
    /// What the change was made to, for people, when it is not the customer `customer_id`
    /// whose trail this is: a payment detail by its label ("Visa •••• 4242"), else the
    /// object's kind and id ("Order ord_01J…").
    pub fn subject(&self, customer_id: &str) -> Option<String> {
        let kind = match self.target_type {
            TargetKind::Customer if self.target_id == customer_id => return None,
            TargetKind::Workspace => return None,
            TargetKind::PaymentDetail => {
                if let Some(label) = self.detail_label() {
                    return Some(label.to_owned());
                }
                "Payment detail"
            }
            TargetKind::Customer => "Customer",
            TargetKind::Order => "Order",
            TargetKind::Subscription => "Subscription",
            TargetKind::Entitlement => "Entitlement",
            TargetKind::Ban => "Ban",
            TargetKind::Product => "Product",
        };
        Some(format!("{kind} {}", self.target_id))
    }

    /// A payment detail's label ("Visa •••• 4242"), as its changes record it.
    pub fn detail_label(&self) -> Option<&str> {
        if self.target_type != TargetKind::PaymentDetail {
            return None;
        }
        self.changes
            .iter()
            .find(|c| c.field == "label")
            .and_then(|c| c.after.as_deref())
    }

    /// Who made the change, for people: their name, else what kind of actor they were.
    pub fn actor_text(&self) -> &str {
        if self.actor.is_empty() || self.actor == self.actor_type.as_str() {
            self.actor_type.label()
        } else {
            self.actor.as_str()
        }
    }

    /// The changes worth a line: not the ids and bookkeeping [`UNSHOWN_FIELDS`] names, not a
    /// payment detail's label (the subject says it), not an empty fact (`metadata: {}` on
    /// a new customer).
    pub fn shown_changes(&self) -> impl Iterator<Item = &FieldChange> {
        let labelled = self.detail_label().is_some();
        self.changes.iter().filter(move |c| {
            let unshown = UNSHOWN_FIELDS.contains(&c.field.as_str());
            let the_subject = labelled && c.field == "label";
            let empty_fact = c.before.is_none()
                && c.after
                    .as_deref()
                    .is_none_or(|a| value_text(&c.field, a) == "none");
            !(unshown || the_subject || empty_fact)
        })
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn change(field: &str, before: Option<&str>, after: Option<&str>) -> FieldChange {
        FieldChange {
            field: field.into(),
            before: before.map(Into::into),
            after: after.map(Into::into),
        }
    }

    #[test]
    fn field_names_read_as_words() {
        assert_eq!(field_label("email"), "Email");
        assert_eq!(field_label("current_period_end"), "Current period end");
        assert_eq!(field_label("first_seen_at"), "First seen");
        assert_eq!(field_label("product_id"), "Product");
        assert_eq!(field_label("external_id"), "External id");
        assert_eq!(field_label("profile_url"), "Profile URL");
        assert_eq!(field_label("cancel_at_period_end"), "Cancels at period end");
    }

    #[test]
    fn changes_read_as_lines_without_codes_or_json() {
        assert_eq!(
            change("email", Some("a@x.io"), Some("b@x.io")).line(),
            "Email: a@x.io → b@x.io"
        );
        assert_eq!(
            change("status", Some("active"), Some("past_due")).line(),
            "Status: active → past due"
        );
        assert_eq!(
            change("metadata", Some(r#"{"plan":"gold"}"#), Some("{}")).line(),
            "Metadata: plan: gold → none"
        );
        assert_eq!(
            change(
                "identities",
                None,
                Some(r#"["external_id: 7656","ip: 10.0.0.0/8"]"#)
            )
            .line(),
            "Identities: External id: 7656, IP address: 10.0.0.0/8"
        );
        assert_eq!(
            change("cancel_at_period_end", Some("false"), Some("true")).line(),
            "Cancels at period end: no → yes"
        );
        assert_eq!(
            change("phone", Some("+1 555"), None).line(),
            "Phone: +1 555 → none"
        );
        // What someone typed stays as typed, underscores and all.
        assert_eq!(
            change("username", None, Some("cool_cat")).line(),
            "Username: cool_cat"
        );
    }

    #[test]
    fn a_line_names_its_object_and_hides_ids_and_empty_facts() {
        let entry = ActivityEntry {
            id: "evt_01JD5ZQ3XK4M6P8R9S2T3V4W5X".parse().unwrap(),
            action: super::super::EventType::PaymentDetailBlocked,
            target_type: TargetKind::PaymentDetail,
            target_id: "pd_01JD5ZQ3XK4M6P8R9S2T3V4W5X".into(),
            actor_type: ActorKind::ApiKey,
            actor: "api_key".into(),
            changes: vec![
                change("customer_id", None, Some("cus_01JD5ZQ3XK4M6P8R9S2T3V4W5X")),
                change("label", None, Some("Visa •••• 4242")),
                change("metadata", None, Some("{}")),
                change("status", Some("active"), Some("blocked")),
            ],
            ip: None,
            created_at: Utc::now(),
        };
        assert_eq!(
            entry.subject("cus_01JD5ZQ3XK4M6P8R9S2T3V4W5X").as_deref(),
            Some("Visa •••• 4242")
        );
        assert_eq!(entry.actor_text(), "An API key");
        let lines: Vec<String> = entry.shown_changes().map(FieldChange::line).collect();
        assert_eq!(lines, vec!["Status: active → blocked".to_owned()]);
    }
}
