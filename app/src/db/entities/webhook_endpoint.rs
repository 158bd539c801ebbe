//! A row of `webhook_endpoints`: a URL of the merchant's that hears about changes.

use sea_orm::entity::prelude::*;

use crate::types::{WebhookEndpointId, WorkspaceId};

/// One endpoint.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_endpoints")]
pub struct Model {
    /// `we_` + ULID.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: WebhookEndpointId,
    /// The merchant.
    pub workspace_id: WorkspaceId,
    /// Where deliveries are POSTed.
    pub url: String,
    /// The merchant's note.
    pub description: Option<String>,
    /// JSON array of the event types it wants: `customer.*`, `order.*`... or `*`.
    pub event_types: String,
    /// Whether it gets deliveries.
    pub enabled: bool,
    /// Why Patron disabled it (a 410, five days of failures), for the merchant to read.
    pub disabled_reason: Option<String>,
    /// `whsec_` + base64 of 32 random bytes: signs every delivery.
    pub secret: String,
    /// The secrets that rotations replaced, each still signing beside `secret` until its own
    /// end: a JSON array of `{"secret", "until"}`, newest first (`[]` when none).
    pub retired_secrets: String,
    /// Since when every delivery has failed (none since the last success).
    pub failing_since: Option<DateTimeUtc>,
    /// When it was made.
    pub created_at: DateTimeUtc,
    /// Last change.
    pub updated_at: DateTimeUtc,
}

/// Declared from the owned side.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
