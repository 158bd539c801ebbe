//! `Idempotency-Key`: the first request under a key runs, later ones replay its stored answer
//! for 24 hours. A different request under the same key, or one while the first still runs, is
//! refused. Records live in the database, so this holds across several server processes.

use chrono::Duration;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};

use crate::db::entities::idempotency_key;
use crate::types::WorkspaceId;

use super::{DomainError, Services};

/// How long a key and its answer are kept.
pub const RETENTION: Duration = Duration::hours(24);

/// What to do with a request carrying a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// First use: run the request, then [`complete`] (or [`release`] on a server error).
    Fresh,
    /// Seen before with the same request: send this answer again.
    Replay {
        /// HTTP status.
        status: u16,
        /// Response body.
        body: String,
    },
}

fn check_key(key: &str) -> Result<(), DomainError> {
    if key.is_empty() || key.len() > 255 || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(DomainError::invalid(
            "Idempotency-Key",
            "must be 1 to 255 visible ASCII characters",
        ));
    }
    Ok(())
}

/// Claims `key` for a request whose method, path and body hash to `fingerprint`.
pub async fn claim(
    svc: &Services,
    workspace_id: &WorkspaceId,
    key: &str,
    fingerprint: &str,
) -> Result<Claim, DomainError> {
    check_key(key)?;
    let now = svc.clock.now();
    // Two passes at most: the second after clearing an expired record.
    for _ in 0..2 {
        let inserted = idempotency_key::ActiveModel {
            workspace_id: Set(workspace_id.to_string()),
            key: Set(key.to_owned()),
            fingerprint: Set(fingerprint.to_owned()),
            response_status: Set(None),
            response_body: Set(None),
            created_at: Set(now),
        }
        .insert(&svc.db)
        .await;
        match inserted {
            Ok(_) => return Ok(Claim::Fresh),
            Err(e)
                if matches!(
                    e.sql_err(),
                    Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
                ) => {}
            Err(e) => return Err(e.into()),
        }
        let Some(existing) = find(svc, workspace_id, key).await? else {
            continue; // released meanwhile: try again
        };
        if now - existing.created_at > RETENTION {
            idempotency_key::Entity::delete_many()
                .filter(idempotency_key::Column::WorkspaceId.eq(workspace_id.as_str()))
                .filter(idempotency_key::Column::Key.eq(key))
                .filter(idempotency_key::Column::CreatedAt.eq(existing.created_at))
                .exec(&svc.db)
                .await?;
            continue;
        }
        if existing.fingerprint != fingerprint {
            return Err(DomainError::Conflict {
                code: "idempotency_key_reused",
                message: "this Idempotency-Key was used with a different request; use a new key for a new request".into(),
            });
        }
        return match (existing.response_status, existing.response_body) {
            (Some(status), Some(body)) => Ok(Claim::Replay {
                status: u16::try_from(status).unwrap_or(500),
                body,
            }),
            _ => Err(DomainError::Conflict {
                code: "idempotency_key_in_flight",
                message:
                    "a request with this Idempotency-Key is still being processed; retry shortly"
                        .into(),
            }),
        };
    }
    Err(DomainError::Conflict {
        code: "idempotency_key_in_flight",
        message: "a request with this Idempotency-Key is still being processed; retry shortly"
            .into(),
    })
}

async fn find(
    svc: &Services,
    workspace_id: &WorkspaceId,
    key: &str,
) -> Result<Option<idempotency_key::Model>, DomainError> {
    Ok(
        idempotency_key::Entity::find_by_id((workspace_id.to_string(), key.to_owned()))
            .one(&svc.db)
            .await?,
    )
}

/// Stores the answer to replay for `key`.
pub async fn complete(
    svc: &Services,
    workspace_id: &WorkspaceId,
    key: &str,
    status: u16,
    body: String,
) -> Result<(), DomainError> {
    idempotency_key::Entity::update_many()
        .set(idempotency_key::ActiveModel {
            response_status: Set(Some(i16::try_from(status).unwrap_or(500))),
            response_body: Set(Some(body)),
            ..Default::default()
        })
        .filter(idempotency_key::Column::WorkspaceId.eq(workspace_id.as_str()))
        .filter(idempotency_key::Column::Key.eq(key))
        .exec(&svc.db)
        .await?;
    Ok(())
}

/// Forgets `key` after a server error, so that a retry runs the request again.
pub async fn release(
    svc: &Services,
    workspace_id: &WorkspaceId,
    key: &str,
) -> Result<(), DomainError> {
    idempotency_key::Entity::delete_many()
        .filter(idempotency_key::Column::WorkspaceId.eq(workspace_id.as_str()))
        .filter(idempotency_key::Column::Key.eq(key))
        .exec(&svc.db)
        .await?;
    Ok(())
}

/// Deletes records older than [`RETENTION`]; returns how many went.
pub async fn sweep_expired(svc: &Services) -> Result<u64, DomainError> {
    let res = idempotency_key::Entity::delete_many()
        .filter(idempotency_key::Column::CreatedAt.lt(svc.clock.now() - RETENTION))
        .exec(&svc.db)
        .await?;
    Ok(res.rows_affected)
}
