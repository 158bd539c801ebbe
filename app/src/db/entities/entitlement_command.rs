//! A row of `entitlement_commands`.

use sea_orm::entity::prelude::*;

use crate::types::{CommandId, EntitlementId, WorkspaceId};

use crate::types::entitlement::{CommandPhase, CommandStatus};

/// A game-server command queued for an entitlement.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "entitlement_commands")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: CommandId,
    pub workspace_id: WorkspaceId,
    pub entitlement_id: EntitlementId,
    pub server: String,
    pub command: String,
    pub phase: CommandPhase,
    pub status: CommandStatus,
    pub created_at: DateTimeUtc,
    pub executed_at: Option<DateTimeUtc>,
}

/// Declared from the owned side.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
