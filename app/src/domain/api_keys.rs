//! API keys: shown once, stored as a SHA-256 hash, scoped, revocable, with `last_used_at`.

use chrono::Duration;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use serde_json::json;

use crate::db::entities::api_key;
use crate::types::EventType;
use crate::types::team::{ApiKeyCreated, ApiKeySummary};
use crate::types::{ApiKeyId, Scope, UserId, WorkspaceId};

use super::actor::{Actor, Caller};
use super::audit;
use super::secrets::{random_token, sha256_hex};
use super::{DomainError, Services};

/// Every secret starts with this, so leaked keys are easy to recognise and scan for.
pub const SECRET_PREFIX: &str = "pat_sk_";
/// Characters of the secret kept in clear to recognise a key in lists.
const SHOWN: usize = SECRET_PREFIX.len() + 6;

/// A freshly created key: its id and its secret, which is never shown again.
#[derive(Debug, Clone)]
pub struct CreatedKey {
    /// The key's id.
    pub id: ApiKeyId,
    /// `pat_sk_` + 40 random characters.
    pub secret: String,
}

/// Creates a key for `workspace_id` holding `scopes` (at least one), from the command line.
pub async fn create_api_key(
    svc: &Services,
    workspace_id: &WorkspaceId,
    name: &str,
    scopes: &[Scope],
) -> Result<CreatedKey, DomainError> {
    insert_key(svc, workspace_id, name, scopes, None).await
}

async fn insert_key(
    svc: &Services,
    workspace_id: &WorkspaceId,
    name: &str,
    scopes: &[Scope],
    created_by: Option<UserId>,
) -> Result<CreatedKey, DomainError> {
    if scopes.is_empty() {
        return Err(DomainError::invalid("scopes", "name at least one scope"));
    }
    if let Some(s) = scopes.iter().find(|s| !Scope::ALL.contains(s)) {
        return Err(DomainError::invalid(
            "scopes",
            format!("{s} belongs to dashboard users only: no key can hold it"),
        ));
    }
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(DomainError::invalid("name", "must be 1 to 100 characters"));
    }
    super::workspaces::get_workspace(&svc.db, workspace_id).await?;
    let secret = format!("{SECRET_PREFIX}{}", random_token(40));
    let id = ApiKeyId::generate_at(svc.clock.now());
    let mut names: Vec<&str> = scopes.iter().map(|s| s.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    api_key::ActiveModel {
        id: Set(id.clone()),
        workspace_id: Set(workspace_id.clone()),
        name: Set(name.to_owned()),
        prefix: Set(secret[..SHOWN].to_owned()),
        secret_hash: Set(sha256_hex(&secret)),
        scopes: Set(names.join(" ")),
        created_at: Set(svc.clock.now()),
        last_used_at: Set(None),
        revoked_at: Set(None),
        created_by: Set(created_by),
    }
    .insert(&svc.db)
    .await?;
    Ok(CreatedKey { id, secret })
}

/// The caller behind a secret, if the key exists and is not revoked.
pub async fn authenticate_api_key(
    svc: &Services,
    secret: &str,
    ip: Option<String>,
) -> Result<Caller, DomainError> {
    if !secret.starts_with(SECRET_PREFIX) {
        return Err(DomainError::Unauthenticated);
    }
    let key = api_key::Entity::find()
        .filter(api_key::Column::SecretHash.eq(sha256_hex(secret)))
        .filter(api_key::Column::RevokedAt.is_null())
        .one(&svc.db)
        .await?
        .ok_or(DomainError::Unauthenticated)?;
    let now = svc.clock.now();
    let scopes = key
        .scopes
        .split_whitespace()
        .filter_map(|s| s.parse().ok())
        .collect();
    let id = key.id.clone();
    let workspace_id = key.workspace_id.clone();
    // Touch at most once a minute: a write per request would serialise SQLite for nothing.
    if key
        .last_used_at
        .is_none_or(|t| now - t > Duration::minutes(1))
    {
        let mut active: api_key::ActiveModel = key.into();
        active.last_used_at = Set(Some(now));
        active.update(&svc.db).await?;
    }
    Ok(Caller {
        workspace_id,
        actor: Actor::ApiKey { id, scopes },
        ip,
        idempotency_key: None,
    })
}

/// Revokes a key of `workspace_id`; it authenticates nothing from then on.
pub async fn revoke_api_key(
    svc: &Services,
    workspace_id: &WorkspaceId,
    id: &ApiKeyId,
) -> Result<(), DomainError> {
    let key = crate::domain::find::in_workspace::<api_key::Entity, _, _, _>(
        &svc.db,
        workspace_id.as_str(),
        id.clone(),
    )
    .await?;
    if key.revoked_at.is_none() {
        // The first revocation's time stands.
        api_key::Entity::update_many()
            .col_expr(api_key::Column::RevokedAt, Expr::val(Some(svc.clock.now())))
            .filter(api_key::Column::Id.eq(key.id.as_str()))
            .filter(api_key::Column::RevokedAt.is_null())
            .exec(&svc.db)
            .await?;
    }
    Ok(())
}

/// The workspace's live keys, newest first (admins and owners).
pub async fn list_api_keys(
    svc: &Services,
    caller: &Caller,
) -> Result<Vec<ApiKeySummary>, DomainError> {
    caller.require(Scope::ApiKeysManage)?;
    let rows = api_key::Entity::find()
        .filter(api_key::Column::WorkspaceId.eq(caller.workspace_id.as_str()))
        .filter(api_key::Column::RevokedAt.is_null())
        .order_by_desc(api_key::Column::CreatedAt)
        .all(&svc.db)
        .await?;
    let emails = super::team::emails_of(
        &svc.db,
        rows.iter()
            .filter_map(|k| k.created_by.as_ref().map(UserId::as_str)),
    )
    .await?;
    Ok(rows.into_iter().map(|k| summary(k, &emails)).collect())
}

fn summary(k: api_key::Model, emails: &std::collections::HashMap<UserId, String>) -> ApiKeySummary {
    ApiKeySummary {
        created_by: k.created_by.as_ref().and_then(|u| emails.get(u).cloned()),
        scopes: k.scopes.split_whitespace().map(str::to_owned).collect(),
        id: k.id,
        name: k.name,
        prefix: k.prefix,
        created_at: k.created_at,
        last_used_at: k.last_used_at,
    }
}

/// Creates a key in the dashboard (admins and owners); its secret is in the answer, once.
pub async fn create_api_key_as(
    svc: &Services,
    caller: &Caller,
    name: &str,
    scopes: &[Scope],
) -> Result<ApiKeyCreated, DomainError> {
    caller.require(Scope::ApiKeysManage)?;
    let Actor::User { id: me, .. } = &caller.actor else {
        return Err(DomainError::Forbidden {
            scope: Scope::ApiKeysManage,
        });
    };
    let created = insert_key(svc, &caller.workspace_id, name, scopes, Some(me.clone())).await?;
    let row = api_key::Entity::find_by_id(created.id.clone())
        .one(&svc.db)
        .await?
        .ok_or(DomainError::NotFound { what: "API key" })?;
    record(svc, caller, EventType::ApiKeyCreated, &row).await?;
    let emails = super::team::emails_of(&svc.db, std::iter::once(me.as_str())).await?;
    Ok(ApiKeyCreated {
        key: summary(row, &emails),
        secret: created.secret,
    })
}

/// Revokes a key in the dashboard (admins and owners), recorded in the audit trail.
pub async fn revoke_api_key_as(
    svc: &Services,
    caller: &Caller,
    id: &ApiKeyId,
) -> Result<(), DomainError> {
    caller.require(Scope::ApiKeysManage)?;
    revoke_api_key(svc, &caller.workspace_id, id).await?;
    if let Some(row) = api_key::Entity::find_by_id(id.clone()).one(&svc.db).await? {
        record(svc, caller, EventType::ApiKeyRevoked, &row).await?;
    }
    Ok(())
}

async fn record(
    svc: &Services,
    caller: &Caller,
    action: EventType,
    key: &api_key::Model,
) -> Result<(), DomainError> {
    audit::record_workspace(
        &svc.db,
        svc,
        caller,
        action,
        json!({"api_key": {"before": null, "after": key.id.as_str()}, "name": {"before": null, "after": key.name}, "scopes": {"before": null, "after": key.scopes}}),
    )
    .await?;
    Ok(())
}
