//! Workspaces: creating them and finding the one a request works in.

use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, QueryOrder, Set};

use crate::db::entities::workspace;
use crate::types::WorkspaceId;
use crate::types::workspace::WorkspaceSummary;

use super::{DomainError, Services};

/// What it takes to open a workspace.
#[derive(Debug, Clone)]
pub struct NewWorkspace {
    /// Display name, 1..=100 characters once trimmed.
    pub name: String,
    /// ISO 4217 code, three letters (any case; stored upper-case).
    pub default_currency: String,
}

const NAME_MAX: usize = 100;

/// Validates and stores a new workspace under a fresh id.
pub async fn create_workspace(
    svc: &Services,
    new: NewWorkspace,
) -> Result<WorkspaceSummary, DomainError> {
    create_workspace_with_id(svc, WorkspaceId::generate_at(svc.clock.now()), new).await
}

/// Like [`create_workspace`] with a chosen id: for deterministic seeds.
pub async fn create_workspace_with_id(
    svc: &Services,
    id: WorkspaceId,
    new: NewWorkspace,
) -> Result<WorkspaceSummary, DomainError> {
    let name = new.name.trim().to_owned();
    if name.is_empty() {
        return Err(DomainError::invalid("name", "must not be empty"));
    }
    if name.chars().count() > NAME_MAX {
        return Err(DomainError::invalid(
            "name",
            format!("must be at most {NAME_MAX} characters"),
        ));
    }
    let currency = new.default_currency.trim().to_ascii_uppercase();
    let currency = super::validate::currency("default_currency", &currency)?;
    let now = svc.clock.now();
    let row = workspace::ActiveModel {
        id: Set(id.clone()),
        name: Set(name),
        default_currency: Set(currency.code.to_owned()),
        created_at: Set(now),
        updated_at: Set(now),
        signing_secret: Set(Some(super::secrets::random_token(32))),
    }
    .insert(&svc.db)
    .await?;
    summary(row)
}

/// Finds a workspace by id.
pub async fn get_workspace<C: ConnectionTrait>(
    db: &C,
    id: &WorkspaceId,
) -> Result<WorkspaceSummary, DomainError> {
    workspace::Entity::find_by_id(id.clone())
        .one(db)
        .await?
        .ok_or(DomainError::NotFound { what: "workspace" })
        .and_then(summary)
}

/// The oldest workspace, if any: what a single-store installation works in.
pub async fn first_workspace<C: ConnectionTrait>(
    db: &C,
) -> Result<Option<WorkspaceSummary>, DomainError> {
    workspace::Entity::find()
        .order_by_asc(workspace::Column::CreatedAt)
        .order_by_asc(workspace::Column::Id)
        .one(db)
        .await?
        .map(summary)
        .transpose()
}

fn summary(row: workspace::Model) -> Result<WorkspaceSummary, DomainError> {
    Ok(WorkspaceSummary {
        id: row.id,
        name: row.name,
        default_currency: row.default_currency,
    })
}
