//! Workspaces: creating them and finding the one a request works in.

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, Set,
};

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
/// The longest portal address a name gives.
const SLUG_MAX: usize = 48;

/// The portal address a workspace name gives: "Northwind Games" → `northwind-games`
/// (transliterated to ASCII, at most 48 characters; `shop` when nothing is left).
pub fn slug_of(name: &str) -> String {
    let full = slug::slugify(name);
    let cut = match full.char_indices().nth(SLUG_MAX) {
        Some((i, _)) => full[..i].trim_end_matches('-').to_owned(),
        None => full,
    };
    if cut.is_empty() { "shop".into() } else { cut }
}

/// `slug` made unique by the tail of the workspace's id (`northwind-games-0000000001`).
pub fn slug_with_id(slug: &str, id: &str) -> String {
    let tail: String = id
        .chars()
        .rev()
        .take(10)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    format!("{slug}-{}", tail.to_ascii_lowercase())
}

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
    let mut slug = slug_of(&name);
    let taken = workspace::Entity::find()
        .filter(workspace::Column::Slug.eq(&slug))
        .count(&svc.db)
        .await?
        > 0;
    if taken {
        // The unique index settles a race between two workspaces of one name.
        slug = slug_with_id(&slug, id.as_str());
    }
    let row = workspace::ActiveModel {
        id: Set(id.clone()),
        slug: Set(Some(slug)),
        portal_logo_url: Set(None),
        portal_accent_color: Set(None),
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

/// The names of these workspaces, in one query.
pub(crate) async fn names<C: ConnectionTrait>(
    conn: &C,
    ids: impl IntoIterator<Item = WorkspaceId>,
) -> Result<std::collections::HashMap<WorkspaceId, String>, DomainError> {
    let mut ids: Vec<WorkspaceId> = ids.into_iter().collect();
    ids.sort();
    ids.dedup();
    if ids.is_empty() {
        return Ok(Default::default());
    }
    Ok(workspace::Entity::find()
        .filter(workspace::Column::Id.is_in(ids))
        .all(conn)
        .await?
        .into_iter()
        .map(|w| (w.id, w.name))
        .collect())
}

/// The workspace's key for signed links (downloads, portal links). Workspaces made before
/// signed links existed get theirs on first use; a concurrent first use keeps whichever key
/// was written first.
pub(crate) async fn signing_key<C: ConnectionTrait>(
    conn: &C,
    workspace_id: &WorkspaceId,
) -> Result<String, DomainError> {
    let ws = workspace::Entity::find_by_id(workspace_id)
        .one(conn)
        .await?
        .ok_or(DomainError::NotFound { what: "workspace" })?;
    if let Some(k) = ws.signing_secret {
        return Ok(k);
    }
    workspace::Entity::update_many()
        .col_expr(
            workspace::Column::SigningSecret,
            sea_orm::sea_query::Expr::val(Some(super::secrets::random_token(32))),
        )
        .filter(workspace::Column::Id.eq(workspace_id))
        .filter(workspace::Column::SigningSecret.is_null())
        .exec(conn)
        .await?;
    workspace::Entity::find_by_id(workspace_id)
        .one(conn)
        .await?
        .and_then(|w| w.signing_secret)
        .ok_or_else(|| DomainError::internal("workspace signing key missing"))
}

fn summary(row: workspace::Model) -> Result<WorkspaceSummary, DomainError> {
    Ok(WorkspaceSummary {
        slug: row.slug.unwrap_or_else(|| row.id.to_string()),
        id: row.id,
        name: row.name,
        default_currency: row.default_currency,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_gives_a_readable_ascii_address() {
        assert_eq!(slug_of("Northwind Games"), "northwind-games");
        assert_eq!(slug_of("  Café Noir & Co. "), "cafe-noir-co");
        assert_eq!(slug_of("!!!"), "shop");
        assert!(slug_of(&"a b ".repeat(40)).len() <= SLUG_MAX);
        assert!(!slug_of(&"a b ".repeat(40)).ends_with('-'));
        assert_eq!(
            slug_with_id("shop", "ws_01KAKX6D00DEM0WS0000000000"),
            "shop-0000000000"
        );
    }
}
