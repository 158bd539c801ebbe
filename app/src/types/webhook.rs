//! Webhooks as the REST API shows them: the merchant's endpoints, and each event's delivery
//! to each with its attempts.

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
