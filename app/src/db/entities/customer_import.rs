//! A row of `customer_imports`: one run of a CSV import and its counts.

use sea_orm::entity::prelude::*;

use crate::types::activity::ActorKind;
use crate::types::import::{ImportMode, ImportStatus};
use crate::types::{CustomerImportId, WorkspaceId};

/// One import.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "customer_imports")]
pub struct Model {
    /// `imp_` + ULID.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: CustomerImportId,
    /// Owning workspace.
    pub workspace_id: WorkspaceId,
    /// Create only, or create or update.
    pub mode: ImportMode,
    /// Writes no customer when set.
    pub dry_run: bool,
    /// Running, done or failed.
    pub status: ImportStatus,
    /// Data rows read.
    pub rows: i64,
    /// Rows that created a customer.
    pub created: i64,
    /// Rows that changed one.
    pub updated: i64,
    /// Rows that matched one holding their values.
    pub unchanged: i64,
    /// Rows refused.
    pub rejected: i64,
    /// Why reading stopped, when failed.
    pub error: Option<String>,
    /// Who ran it: `user` or `api_key`.
    pub actor_type: ActorKind,
    /// The user's or key's id.
    pub actor_id: Option<String>,
    /// Started.
    pub created_at: DateTimeUtc,
    /// Finished.
    pub finished_at: Option<DateTimeUtc>,
}

/// Declared from the owned side.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
