//! `bulk_actions`: one action over a snapshot of customers, worked through by the job under a
//! lease.

use sea_orm::entity::prelude::*;

use crate::types::segment::{BulkActionKind, BulkActionStatus};
use crate::types::{BulkActionId, SegmentId, UserId, WorkspaceId};

/// A bulk action.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "bulk_actions")]
pub struct Model {
    /// `bulk_…`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: BulkActionId,
    /// Its workspace.
    pub workspace_id: WorkspaceId,
    /// What it does.
    pub kind: BulkActionKind,
    /// Its parameters (key, value, product, expiry) as JSON.
    pub params: String,
    /// The segment it was started on.
    pub segment_id: Option<SegmentId>,
    /// Where it is.
    pub status: BulkActionStatus,
    /// Customers in its snapshot.
    pub total: i64,
    /// Done.
    pub succeeded: i64,
    /// Refused.
    pub failed: i64,
    /// Someone asked it to stop.
    pub cancel_requested: bool,
    /// The user who started it.
    pub created_by: Option<UserId>,
    /// Who acts, for the audit trail (`actor::Actor` as JSON).
    pub actor: String,
    /// Started.
    pub created_at: DateTimeUtc,
    /// Finished.
    pub finished_at: Option<DateTimeUtc>,
    /// A process works on it until then; after it, another may take it over.
    pub lease_until: DateTimeUtc,
}

/// No relations are navigated.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
