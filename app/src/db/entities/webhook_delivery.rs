//! A row of `webhook_deliveries`: one event for one endpoint, written in the same transaction
//! as the event, and claimed by the delivery job (`next_attempt_at` is also its lease).

use sea_orm::entity::prelude::*;

pub use crate::types::webhook::DeliveryStatus;
use crate::types::{EventId, EventType, WebhookDeliveryId, WebhookEndpointId, WorkspaceId};

/// One delivery.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_deliveries")]
pub struct Model {
    /// `whd_` + ULID.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: WebhookDeliveryId,
    /// The merchant.
    pub workspace_id: WorkspaceId,
    /// Where it goes.
    pub endpoint_id: WebhookEndpointId,
    /// What happened: the `webhook-id`.
    pub event_id: EventId,
    /// Such as `order.paid`.
    pub event_type: EventType,
    /// Pending, succeeded or failed.
    pub status: DeliveryStatus,
    /// Attempts so far.
    pub attempts: i32,
    /// When it is next tried; while an attempt runs, the end of its lease.
    pub next_attempt_at: DateTimeUtc,
    /// The body, fixed at the first attempt so every retry sends the same bytes.
    pub payload: Option<String>,
    /// The last attempt's HTTP status.
    pub last_status: Option<i32>,
    /// The last attempt's error (timeout, refused address...).
    pub last_error: Option<String>,
    /// When the event happened.
    pub created_at: DateTimeUtc,
    /// When the endpoint accepted it.
    pub delivered_at: Option<DateTimeUtc>,
}

/// Declared from the owned side.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
