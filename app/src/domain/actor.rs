//! Who is acting: the caller every domain operation receives, and what it may do.

use crate::types::activity::ActorKind;
use crate::types::{ApiKeyId, CustomerId, Role, Scope, UserId, WorkspaceId};

use super::DomainError;

/// The identity behind a change, as recorded in the audit trail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// A merchant user in the dashboard, with their role in the workspace.
    User {
        /// The user.
        id: UserId,
        /// Their role in this workspace.
        role: Role,
    },
    /// A merchant back end with an API key.
    ApiKey {
        /// The key's id.
        id: ApiKeyId,
        /// What the key may do.
        scopes: Vec<Scope>,
    },
    /// The end customer, in the portal. Holds no scope: the portal's own functions check
    /// that what it touches is theirs.
    PortalCustomer {
        /// The customer.
        id: CustomerId,
    },
    /// Patron itself: jobs, seeds, the command line.
    System,
}

impl Actor {
    /// The actor's kind, as stored in the audit trail.
    pub fn kind(&self) -> ActorKind {
        match self {
            Actor::User { .. } => ActorKind::User,
            Actor::ApiKey { .. } => ActorKind::ApiKey,
            Actor::PortalCustomer { .. } => ActorKind::PortalCustomer,
            Actor::System => ActorKind::System,
        }
    }

    /// The user or key id, if any.
    pub fn id(&self) -> Option<&str> {
        match self {
            Actor::User { id, .. } => Some(id.as_str()),
            Actor::ApiKey { id, .. } => Some(id.as_str()),
            Actor::PortalCustomer { id } => Some(id.as_str()),
            Actor::System => None,
        }
    }
}

/// An authenticated request: the workspace it works in, who makes it, and from where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// Every query this caller makes is scoped to this workspace.
    pub workspace_id: WorkspaceId,
    /// Who acts.
    pub actor: Actor,
    /// The client's address, for the audit trail.
    pub ip: Option<String>,
    /// The request's `Idempotency-Key`, if it carried one: money-moving work binds the attempt
    /// it starts to it, so that a retry resumes that attempt instead of starting another.
    pub idempotency_key: Option<String>,
}

impl Caller {
    /// Patron acting on its own in `workspace_id`.
    pub fn system(workspace_id: WorkspaceId) -> Self {
        Self {
            workspace_id,
            actor: Actor::System,
            ip: None,
            idempotency_key: None,
        }
    }

    /// Whether the caller holds `scope`.
    pub fn can(&self, scope: Scope) -> bool {
        match &self.actor {
            Actor::User { role, .. } => role.allows(scope),
            Actor::ApiKey { scopes, .. } => scopes.contains(&scope),
            Actor::PortalCustomer { .. } => false,
            Actor::System => true,
        }
    }

    /// Fails with `Forbidden` unless the caller holds `scope`.
    pub fn require(&self, scope: Scope) -> Result<(), DomainError> {
        if self.can(scope) {
            Ok(())
        } else {
            Err(DomainError::Forbidden { scope })
        }
    }
}
