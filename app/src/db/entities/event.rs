//! A row of `events`: the audit trail, and (later) the webhook outbox.

use sea_orm::entity::prelude::*;

use crate::types::{CustomerId, EventId, EventType, WorkspaceId};

use crate::types::activity::{ActorKind, TargetKind};

/// One recorded change.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "events")]
pub struct Model {
    /// `evt_` + ULID: time-ordered.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: EventId,
    /// Owning workspace.
    pub workspace_id: WorkspaceId,
    /// `user`, `api_key`, `portal_customer` or `system`.
    pub actor_type: ActorKind,
    /// The user or key id, when there is one.
    pub actor_id: Option<String>,
    /// Such as `customer.created`.
    pub action: EventType,
    /// Such as `customer`.
    pub target_type: TargetKind,
    /// The target's id.
    pub target_id: String,
    /// The customer the change concerns, if any (the customer page's Activity reads by it).
    pub customer_id: Option<CustomerId>,
    /// JSON object `{field: {"before": .., "after": ..}}`.
    pub changes: String,
    /// Address the change came from.
    pub ip: Option<String>,
    /// When.
    pub created_at: DateTimeUtc,
}

/// Declared from the owned side.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
