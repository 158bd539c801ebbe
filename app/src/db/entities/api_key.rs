//! A row of `api_keys`: a scoped secret for merchant back ends, stored hashed.

use sea_orm::entity::prelude::*;

use crate::types::{ApiKeyId, UserId, WorkspaceId};

/// An API key.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "api_keys")]
pub struct Model {
    /// `key_` + ULID.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: ApiKeyId,
    /// Owning workspace.
    pub workspace_id: WorkspaceId,
    /// What the merchant called it.
    pub name: String,
    /// The first characters of the secret, to recognise it in lists.
    pub prefix: String,
    /// SHA-256 of the secret, hex.
    pub secret_hash: String,
    /// Space-separated scopes.
    pub scopes: String,
    /// Creation time.
    pub created_at: DateTimeUtc,
    /// Last authenticated use (updated at most once a minute).
    pub last_used_at: Option<DateTimeUtc>,
    /// When revoked; a revoked key authenticates nothing.
    pub revoked_at: Option<DateTimeUtc>,
    /// The user who created it in the dashboard (none: the command line).
    pub created_by: Option<UserId>,
}

/// Declared from the owned side.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
