//! A row of `idempotency_keys`: one POST/PATCH and its stored answer, kept 24 hours.

use sea_orm::entity::prelude::*;

use crate::types::WorkspaceId;

/// A request made under an `Idempotency-Key`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "idempotency_keys")]
pub struct Model {
    /// Owning workspace.
    #[sea_orm(primary_key, auto_increment = false)]
    pub workspace_id: WorkspaceId,
    /// Who sent it: an API key or user id. Another caller's key is another record.
    #[sea_orm(primary_key, auto_increment = false)]
    pub principal: String,
    /// The client's key.
    #[sea_orm(primary_key, auto_increment = false)]
    pub key: String,
    /// SHA-256 of method, path and body: a different request under the same key is refused.
    pub fingerprint: String,
    /// The scopes the caller held when the request ran (space-separated): a replay needs them all.
    pub scopes: String,
    /// `None` while the first request is still running.
    pub response_status: Option<i16>,
    /// The stored response body.
    pub response_body: Option<String>,
    /// While running: until when the request owns the key; after, a retry may take it over.
    pub locked_until: Option<DateTimeUtc>,
    /// When the key was first used.
    pub created_at: DateTimeUtc,
}

/// Declared from the owned side.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
