//! A row of `erasure_requests`: an end customer asked, from the portal, to be erased.

use sea_orm::entity::prelude::*;

use crate::types::{CustomerId, ErasureRequestId, WorkspaceId};

/// One request.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "erasure_requests")]
pub struct Model {
    /// `era_` + ULID.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: ErasureRequestId,
    /// Owning workspace.
    pub workspace_id: WorkspaceId,
    /// Who asked.
    pub customer_id: CustomerId,
    /// When.
    pub requested_at: DateTimeUtc,
    /// When the law's month runs out (GDPR Art. 12(3)).
    pub due_at: DateTimeUtc,
    /// When the customer was erased.
    pub completed_at: Option<DateTimeUtc>,
}

/// Declared from the owned side.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
