//! A row of `sessions`: a dashboard login, found by the hash of its cookie token.

use sea_orm::entity::prelude::*;

use crate::types::{SessionId, UserId, WorkspaceId};

/// A login session.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sessions")]
pub struct Model {
    /// `ses_` + ULID.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: SessionId,
    /// SHA-256 of the cookie token, hex; the token itself is never stored.
    pub token_hash: String,
    /// Who logged in.
    pub user_id: UserId,
    /// The workspace the session works in.
    pub workspace_id: WorkspaceId,
    /// Address the login came from.
    pub ip: Option<String>,
    /// Login time.
    pub created_at: DateTimeUtc,
    /// Last request seen (updated at most once a minute).
    pub last_seen_at: DateTimeUtc,
    /// After this the session is void.
    pub expires_at: DateTimeUtc,
    /// The browser's User-Agent when the session opened, to tell devices apart.
    pub user_agent: Option<String>,
}

/// Declared from the owned side.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
