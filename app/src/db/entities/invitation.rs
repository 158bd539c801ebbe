//! `invitations`: a one-time link to join a workspace with a role, valid 7 days; only the
//! token's SHA-256 is kept.

use sea_orm::entity::prelude::*;

use crate::types::{InvitationId, Role, UserId, WorkspaceId};

/// An invitation.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "invitations")]
pub struct Model {
    /// `inv_…`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: InvitationId,
    /// The workspace it opens.
    pub workspace_id: WorkspaceId,
    /// Who is invited (normalised).
    pub email: String,
    /// The role they get.
    pub role: Role,
    /// SHA-256 of the link's token.
    pub token_hash: String,
    /// The owner who sent it.
    pub invited_by: Option<UserId>,
    /// When it was sent.
    pub created_at: DateTimeUtc,
    /// When the link stops working.
    pub expires_at: DateTimeUtc,
    /// When it was used (it works once).
    pub accepted_at: Option<DateTimeUtc>,
}

/// No relations are navigated.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
