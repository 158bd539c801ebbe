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
    /// The charge attempt or refund the request started, bound in the transaction that recorded
    /// it: a retry resumes it or answers its outcome, never starts another.
    pub attempt_id: Option<String>,
    /// The attempt's outcome as the domain answered it (JSON), written in the transaction that
    /// settled it, so a retry can answer it even when the first request's client hung up.
    pub outcome: Option<String>,
}

/// Declared from the owned side.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
