//! A row of `webhook_attempts`: one try at a delivery, as the merchant reads it in the log.

use sea_orm::entity::prelude::*;

use crate::types::{WebhookAttemptId, WebhookDeliveryId, WebhookEndpointId};

/// One attempt.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_attempts")]
pub struct Model {
    /// `wha_` + ULID.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: WebhookAttemptId,
    /// The delivery.
    pub delivery_id: WebhookDeliveryId,
    /// Its endpoint.
    pub endpoint_id: WebhookEndpointId,
    /// When it was sent.
    pub at: DateTimeUtc,
    /// The HTTP status, when the endpoint answered.
    pub status_code: Option<i32>,
    /// How long it took.
    pub latency_ms: i32,
    /// Why it failed without an answer (timeout, connection refused, address refused).
    pub error: Option<String>,
    /// The first 2 KB of the answer's body.
    pub response_excerpt: Option<String>,
}

/// Declared from the owned side.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
