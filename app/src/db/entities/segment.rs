//! `segments`: named customer-list filters shared by a workspace, with a cached count.

use sea_orm::entity::prelude::*;

use crate::types::{SegmentId, UserId, WorkspaceId};

/// A saved segment.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "segments")]
pub struct Model {
    /// `seg_…`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: SegmentId,
    /// Its workspace.
    pub workspace_id: WorkspaceId,
    /// Unique in the workspace.
    pub name: String,
    /// `SegmentFilters` as JSON.
    pub filters: String,
    /// Who saved it (none from an API key).
    pub created_by: Option<UserId>,
    /// The last count, capped at `Segment::COUNT_CAP + 1`.
    pub customer_count: Option<i64>,
    /// When it was counted.
    pub counted_at: Option<DateTimeUtc>,
    /// Created.
    pub created_at: DateTimeUtc,
    /// Last changed.
    pub updated_at: DateTimeUtc,
}

/// No relations are navigated.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
