//! A row of `customer_merges`: one merge, with the snapshot that undoes it.

use sea_orm::entity::prelude::*;

use crate::types::activity::ActorKind;
use crate::types::{CustomerId, MergeId, WorkspaceId};

/// One merge.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "customer_merges")]
pub struct Model {
    /// `mrg_` + ULID.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: MergeId,
    /// Owning workspace.
    pub workspace_id: WorkspaceId,
    /// The customer merged away.
    pub source_id: CustomerId,
    /// The survivor.
    pub target_id: CustomerId,
    /// JSON: both customers before, and what moved.
    pub snapshot: String,
    /// The merge's last audit event: a later one about either customer refuses an undo.
    pub last_event_id: String,
    /// Who merged.
    pub actor_type: ActorKind,
    /// The user's or key's id.
    pub actor_id: Option<String>,
    /// When.
    pub created_at: DateTimeUtc,
    /// When it was undone.
    pub undone_at: Option<DateTimeUtc>,
}

/// Declared from the owned side.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
