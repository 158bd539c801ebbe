//! A row of `memberships`: a user's role in a workspace.

use sea_orm::entity::prelude::*;

use crate::types::{UserId, WorkspaceId};

use crate::types::Role;

/// One user in one workspace with one role.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "memberships")]
pub struct Model {
    /// The workspace.
    #[sea_orm(primary_key, auto_increment = false)]
    pub workspace_id: WorkspaceId,
    /// The user.
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: UserId,
    /// `owner`, `admin`, `support` or `viewer`.
    pub role: Role,
    /// When the user joined.
    pub created_at: DateTimeUtc,
}

/// Declared from the owned side.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
