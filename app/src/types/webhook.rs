//! Webhooks as the REST API shows them: the merchant's endpoints, and each event's delivery
//! to each with its attempts; and what only the dashboard shows: where a delivery stands, its
//! payload, the endpoint form, a test event's answer.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{
    EventId, EventPattern, EventType, WebhookAttemptId, WebhookDeliveryId, WebhookEndpointId,
};

crate::string_enum!(
    /// Where a delivery stands.
    DeliveryStatus {
        /// Waiting for its first or next attempt (or being attempted).
        Pending = "pending",
        /// The endpoint answered 2xx.
        Succeeded = "succeeded",
        /// Given up on: out of attempts, or the endpoint is gone (410).
        Failed = "failed",
    }
);

/// An endpoint: where Patron POSTs the events it wants, signed per Standard Webhooks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct WebhookEndpoint {
    /// Always `webhook_endpoint`.
    pub object: String,
    /// `we_...`.
    #[cfg_attr(feature = "ssr", schema(value_type = String))]
    pub id: WebhookEndpointId,
    /// Where deliveries are POSTed.
    pub url: String,
    /// Your note.
    pub description: Option<String>,
    /// The event types it gets: `customer.*`, `order.*`, `refund.*`, `dispute.*`,
    /// `subscription.*`, `entitlement.*`, `ban.*`, one exact type, or `*` for all.
    #[cfg_attr(feature = "ssr", schema(value_type = Vec<crate::types::schema::EventTypePattern>))]
    pub event_types: Vec<EventPattern>,
    /// Whether it gets deliveries.
    pub enabled: bool,
    /// Why Patron disabled it (it answered 410, or failed for five days).
    pub disabled_reason: Option<String>,
    /// The signing secret (`whsec_...`): only in the answer that made or rotated it.
    pub secret: Option<String>,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// A new endpoint.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct WebhookEndpointCreate {
    /// An `https://` URL on a public address.
    #[cfg_attr(feature = "ssr", schema(value_type = crate::types::schema::WebhookUrl))]
    pub url: String,
    /// Your note, at most 200 characters.
    #[cfg_attr(feature = "ssr", schema(min_length = 1, max_length = 200))]
    pub description: Option<String>,
    /// What it gets (see [`WebhookEndpoint::event_types`]); all when absent.
    #[cfg_attr(feature = "ssr", schema(value_type = Option<Vec<crate::types::schema::EventTypePattern>>, min_items = 1))]
    pub event_types: Option<Vec<String>>,
    /// `true` when absent.
    pub enabled: Option<bool>,
}

/// A change to an endpoint: only the fields given.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct WebhookEndpointUpdate {
    /// An `https://` URL on a public address.
    #[cfg_attr(feature = "ssr", schema(value_type = Option<crate::types::schema::WebhookUrl>))]
    pub url: Option<String>,
    /// Your note (empty clears it).
    #[cfg_attr(feature = "ssr", schema(min_length = 1, max_length = 200))]
    pub description: Option<String>,
    /// What it gets.
    #[cfg_attr(feature = "ssr", schema(value_type = Option<Vec<crate::types::schema::EventTypePattern>>, min_items = 1))]
    pub event_types: Option<Vec<String>>,
    /// Re-enabling an endpoint Patron disabled clears the reason; what waited is delivered.
    pub enabled: Option<bool>,
}

/// One attempt at a delivery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct WebhookAttempt {
    /// `wha_...`.
    #[cfg_attr(feature = "ssr", schema(value_type = String))]
    pub id: WebhookAttemptId,
    /// When it was sent.
    pub at: DateTime<Utc>,
    /// The endpoint's HTTP status, when it answered.
    pub status_code: Option<i32>,
    /// How long it took, in milliseconds.
    pub latency_ms: i32,
    /// Why it failed without an answer: timeout, connection refused, address refused.
    pub error: Option<String>,
    /// The first 2 KB of the answer.
    pub response_excerpt: Option<String>,
}

/// One event's delivery to one endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct WebhookDelivery {
    /// Always `webhook_delivery`.
    pub object: String,
    /// `whd_...`.
    #[cfg_attr(feature = "ssr", schema(value_type = String))]
    pub id: WebhookDeliveryId,
    /// The endpoint.
    #[cfg_attr(feature = "ssr", schema(value_type = String))]
    pub endpoint_id: WebhookEndpointId,
    /// The event: the `webhook-id` header, the same on every attempt.
    #[cfg_attr(feature = "ssr", schema(value_type = String))]
    pub event_id: EventId,
    /// Such as `order.paid`.
    #[cfg_attr(feature = "ssr", schema(value_type = crate::types::schema::WebhookEventType))]
    pub event_type: EventType,
    /// `pending`, `succeeded` or `failed`.
    pub status: DeliveryStatus,
    /// Attempts so far.
    pub attempt_count: i32,
    /// When a pending delivery is next tried.
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// The last attempt's HTTP status.
    pub last_status: Option<i32>,
    /// The last attempt's error.
    pub last_error: Option<String>,
    /// When the event happened.
    pub created_at: DateTime<Utc>,
    /// When the endpoint accepted it.
    pub delivered_at: Option<DateTime<Utc>>,
    /// Every attempt, oldest first (on `GET /webhook_deliveries/{id}` only).
    pub attempts: Option<Vec<WebhookAttempt>>,
}

/// One event's delivery to one endpoint, as an object's details show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliverySummary {
    /// Such as `order.paid`.
    pub event_type: EventType,
    /// The endpoint's URL.
    pub endpoint_url: String,
    /// The endpoint, for its page.
    pub endpoint_id: WebhookEndpointId,
    /// `pending`, `succeeded` or `failed`.
    pub status: DeliveryStatus,
    /// Attempts so far.
    pub attempt_count: i32,
    /// The last answer's HTTP status.
    pub last_status: Option<i32>,
}

/// Where a delivery stands, as the dashboard tells it: finer than [`DeliveryStatus`], which
/// calls every delivery still to go out `pending`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DeliveryState {
    /// Waiting for its first attempt (or being sent).
    Queued,
    /// Its last attempt failed; it is tried again at its next attempt.
    Failing,
    /// Held back by an older delivery of its endpoint that is failing: one endpoint's
    /// deliveries go out in event order.
    WaitingBehind,
    /// The endpoint accepted it.
    Succeeded,
    /// Given up on.
    Failed,
}

impl DeliveryState {
    /// Where `d` stands; `behind_failing` says whether an older delivery of its endpoint, still
    /// to go out, is failing.
    pub fn of(d: &WebhookDelivery, behind_failing: bool) -> Self {
        match d.status {
            DeliveryStatus::Succeeded => Self::Succeeded,
            DeliveryStatus::Failed => Self::Failed,
            DeliveryStatus::Pending if last_attempt_failed(d) => Self::Failing,
            DeliveryStatus::Pending if behind_failing => Self::WaitingBehind,
            DeliveryStatus::Pending => Self::Queued,
        }
    }
}

/// Whether the delivery has been attempted and its last attempt got no answer, or one
/// outside 2xx (a delivery sent again starts from no attempt).
fn last_attempt_failed(d: &WebhookDelivery) -> bool {
    d.attempt_count > 0
        && (d.last_error.is_some() || d.last_status.is_some_and(|s| !(200..300).contains(&s)))
}

/// One delivery as the dashboard lists it: the delivery, and where it stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryLine {
    /// The delivery, as the REST API gives it.
    pub delivery: WebhookDelivery,
    /// Where it stands.
    pub state: DeliveryState,
}

/// The body of a delivery, for the merchant to read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryPayload {
    /// The JSON body, as sent (or as it would be built now, when not sent yet).
    pub body: String,
    /// Whether it was sent: a body is fixed at the first attempt, and every retry sends it.
    pub sent: bool,
}

/// An endpoint as the dashboard edits it: every field given.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookEndpointEdit {
    /// An `https://` URL on a public address.
    pub url: String,
    /// The merchant's note; blank clears it.
    pub description: String,
    /// What it gets: `*`, families such as `order.*`, or exact types.
    pub event_types: Vec<String>,
}

/// What an endpoint answered a test event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestEventAnswer {
    /// The HTTP status, when it answered.
    pub status: Option<u16>,
    /// Why no answer came: a timeout, a connection or an address refused.
    pub error: Option<String>,
    /// The start of the answer's body.
    pub body: String,
    /// How long it took, in milliseconds.
    pub latency_ms: i32,
}

impl TestEventAnswer {
    /// Whether the endpoint accepted it (2xx).
    pub fn accepted(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn delivery(status: DeliveryStatus, attempts: i32, last: Option<i32>) -> WebhookDelivery {
        let at = DateTime::<Utc>::from_timestamp(0, 0).unwrap();
        WebhookDelivery {
            object: "webhook_delivery".into(),
            id: WebhookDeliveryId::parse("whd_01JD7Y0000000000000000000A").unwrap(),
            endpoint_id: WebhookEndpointId::parse("we_01JD7Y0000000000000000000A").unwrap(),
            event_id: EventId::parse("evt_01JD7Y0000000000000000000A").unwrap(),
            event_type: EventType::OrderPaid,
            status,
            attempt_count: attempts,
            next_attempt_at: None,
            last_status: last,
            last_error: None,
            created_at: at,
            delivered_at: None,
            attempts: None,
        }
    }

    #[test]
    fn a_pending_delivery_whose_last_attempt_failed_is_failing_and_those_behind_it_wait() {
        use DeliveryState as S;
        use DeliveryStatus as D;
        assert_eq!(S::of(&delivery(D::Pending, 0, None), false), S::Queued);
        assert_eq!(
            S::of(&delivery(D::Pending, 0, None), true),
            S::WaitingBehind
        );
        // The first attempt under way: nothing failed yet.
        assert_eq!(S::of(&delivery(D::Pending, 1, None), false), S::Queued);
        assert_eq!(
            S::of(&delivery(D::Pending, 1, Some(503)), false),
            S::Failing
        );
        assert_eq!(S::of(&delivery(D::Pending, 2, Some(503)), true), S::Failing);
        let mut refused = delivery(D::Pending, 1, None);
        refused.last_error = Some("could not connect".into());
        assert_eq!(S::of(&refused, false), S::Failing);
        // Sent again after a success: queued, whatever its last answer was.
        assert_eq!(S::of(&delivery(D::Pending, 0, Some(502)), false), S::Queued);
        assert_eq!(S::of(&delivery(D::Pending, 1, Some(200)), false), S::Queued);
        assert_eq!(S::of(&delivery(D::Failed, 8, Some(502)), true), S::Failed);
        assert_eq!(
            S::of(&delivery(D::Succeeded, 1, Some(200)), false),
            S::Succeeded
        );
    }
}
