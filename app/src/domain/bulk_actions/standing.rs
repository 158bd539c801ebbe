//! Who started an action, as stored, and whether they still may do it, read afresh before
//! each batch of customers.

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};

use crate::db::entities::{api_key, bulk_action, membership};
use crate::domain::actor::Actor;
use crate::domain::{DomainError, Services};
use crate::types::segment::BulkActionKind;
use crate::types::{ErrorCode, Role, Scope};

use super::scope_of;

/// Who started an action, kept to audit each change as theirs.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct StoredActor {
    kind: String,
    id: Option<String>,
    role: Option<Role>,
    scopes: Vec<Scope>,
}

impl StoredActor {
    pub(super) fn of(actor: &Actor) -> Self {
        match actor {
            Actor::User { id, role } => Self {
                kind: "user".into(),
                id: Some(id.to_string()),
                role: Some(*role),
                scopes: vec![],
            },
            Actor::ApiKey { id, scopes } => Self {
                kind: "api_key".into(),
                id: Some(id.to_string()),
                role: None,
                scopes: scopes.clone(),
            },
            Actor::PortalCustomer { .. } | Actor::System => Self {
                kind: "system".into(),
                id: None,
                role: None,
                scopes: vec![],
            },
        }
    }

    pub(super) fn actor(&self) -> Actor {
        let id = self.id.as_deref().unwrap_or_default();
        match (self.kind.as_str(), self.role) {
            ("user", Some(role)) => match id.parse() {
                Ok(id) => Actor::User { id, role },
                Err(_) => Actor::System,
            },
            ("api_key", _) => match id.parse() {
                Ok(id) => Actor::ApiKey {
                    id,
                    scopes: self.scopes.clone(),
                },
                Err(_) => Actor::System,
            },
            _ => Actor::System,
        }
    }
}

/// Whether the starter of an action may still do it, read afresh.
#[derive(Debug)]
pub(super) enum Standing {
    /// They may, as this actor (a user with their role of now).
    May(Actor),
    /// They may not: the code and the sentence the report gives the customers not reached.
    MayNot(ErrorCode, String),
}

/// The starter's standing now: a user's current membership and role in the action's workspace,
/// an API key's existence, revocation and scopes. Patron itself may always go on.
pub(super) async fn standing(
    svc: &Services,
    row: &bulk_action::Model,
    actor: &Actor,
) -> Result<Standing, DomainError> {
    let scope = scope_of(row.kind);
    let what = match row.kind {
        BulkActionKind::GrantProduct => "grant products",
        _ => "change customers",
    };
    match actor {
        Actor::User { id, .. } => {
            let member = membership::Entity::find_by_id((row.workspace_id.clone(), id.clone()))
                .one(&svc.db)
                .await?;
            Ok(match member {
                None => Standing::MayNot(
                    ErrorCode::AuthenticationRequired,
                    "Stopped: the person who started this action is no longer a member of the \
                     workspace."
                        .to_owned(),
                ),
                Some(m) if !m.role.allows(scope) => Standing::MayNot(
                    ErrorCode::InsufficientScope,
                    format!(
                        "Stopped: the person who started this action is now {}, a role that may \
                         not {what}.",
                        m.role
                    ),
                ),
                Some(m) => Standing::May(Actor::User {
                    id: id.clone(),
                    role: m.role,
                }),
            })
        }
        Actor::ApiKey { id, .. } => {
            let key = api_key::Entity::find_by_id(id.clone())
                .filter(api_key::Column::WorkspaceId.eq(row.workspace_id.as_str()))
                .filter(api_key::Column::RevokedAt.is_null())
                .one(&svc.db)
                .await?;
            let Some(key) = key else {
                return Ok(Standing::MayNot(
                    ErrorCode::AuthenticationRequired,
                    "Stopped: the API key that started this action was revoked.".to_owned(),
                ));
            };
            let scopes: Vec<Scope> = key
                .scopes
                .split_whitespace()
                .filter_map(|s| s.parse().ok())
                .collect();
            Ok(if scopes.contains(&scope) {
                Standing::May(Actor::ApiKey {
                    id: id.clone(),
                    scopes,
                })
            } else {
                Standing::MayNot(
                    ErrorCode::InsufficientScope,
                    format!(
                        "Stopped: the API key that started this action no longer holds \
                         {scope}, which it needs to {what}."
                    ),
                )
            })
        }
        Actor::PortalCustomer { .. } | Actor::System => Ok(Standing::May(actor.clone())),
    }
}
