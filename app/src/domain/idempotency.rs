//! `Idempotency-Key`: the first request under a key runs, later ones replay its stored answer
//! for 24 hours. A different request under the same key, or one while the first still runs, is
//! refused. Records live in the database, so this holds across several server processes; they
//! belong to one caller (API key or user), a running request's claim lapses after [`LOCK`], and
//! transient conflicts are never stored.

use chrono::Duration;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};

use crate::db::entities::idempotency_key;
use crate::types::ErrorCode;
use crate::types::Scope;

use super::{Caller, DomainError, Services};

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

/// How long a request owns its key while it runs: a request whose process died frees its key
/// after this, and a retry with the same key then runs.
pub const LOCK: Duration = Duration::seconds(60);

/// Who a record belongs to: the API key or user, so one caller never replays another's answer.
fn principal(caller: &Caller) -> String {
    caller.actor.id().unwrap_or("system").to_owned()
}

fn scopes_of(caller: &Caller) -> String {
    Scope::ALL
        .into_iter()
        .filter(|s| caller.can(*s))
        .map(Scope::as_str)
        .collect::<Vec<_>>()
        .join(" ")
}

fn in_flight() -> DomainError {
    DomainError::Conflict {
        code: ErrorCode::IdempotencyKeyInFlight,
        message: "a request with this Idempotency-Key is still being processed; retry shortly"
            .into(),
    }
}

/// Claims `key` for `caller`'s request whose method, path and body hash to `fingerprint`.
pub async fn claim(
    svc: &Services,
    caller: &Caller,
    key: &str,
    fingerprint: &str,
) -> Result<Claim, DomainError> {
    check_key(key)?;
    let now = svc.clock.now();
    let ws = &caller.workspace_id;
    let who = principal(caller);
    // Two passes at most: the second after clearing an expired record.
    for _ in 0..2 {
        let inserted = idempotency_key::ActiveModel {
            workspace_id: Set(ws.to_owned()),
            principal: Set(who.clone()),
            key: Set(key.to_owned()),
            fingerprint: Set(fingerprint.to_owned()),
            scopes: Set(scopes_of(caller)),
            response_status: Set(None),
            response_body: Set(None),
            locked_until: Set(Some(now + LOCK)),
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
        let Some(existing) = find(svc, caller, key).await? else {
            continue; // released meanwhile: try again
        };
        if now - existing.created_at > RETENTION {
            idempotency_key::Entity::delete_many()
                .filter(idempotency_key::Column::WorkspaceId.eq(ws))
                .filter(idempotency_key::Column::Principal.eq(who.as_str()))
                .filter(idempotency_key::Column::Key.eq(key))
                .filter(idempotency_key::Column::CreatedAt.eq(existing.created_at))
                .exec(&svc.db)
                .await?;
            continue;
        }
        if existing.fingerprint != fingerprint {
            return Err(DomainError::Conflict {
                code: ErrorCode::IdempotencyKeyReused,
                message: "this Idempotency-Key was used with a different request; use a new key for a new request".into(),
            });
        }
        if let (Some(status), Some(body)) = (existing.response_status, existing.response_body) {
            // A replay needs every permission the request ran with: a key or user that lost
            // one since gets no answer it could no longer get by asking again.
            for scope in existing.scopes.split_whitespace() {
                if let Ok(scope) = scope.parse::<Scope>() {
                    caller.require(scope)?;
                }
            }
            return Ok(Claim::Replay {
                status: u16::try_from(status).unwrap_or(500),
                body,
            });
        }
        // Still running, unless its owner died: then the lock ran out and this retry takes it.
        if existing.locked_until.is_some_and(|until| until <= now) {
            let taken = idempotency_key::Entity::update_many()
                .col_expr(
                    idempotency_key::Column::LockedUntil,
                    Expr::val(Some(now + LOCK)),
                )
                .filter(idempotency_key::Column::WorkspaceId.eq(ws))
                .filter(idempotency_key::Column::Principal.eq(who.as_str()))
                .filter(idempotency_key::Column::Key.eq(key))
                .filter(idempotency_key::Column::ResponseStatus.is_null())
                .filter(idempotency_key::Column::LockedUntil.eq(existing.locked_until))
                .exec(&svc.db)
                .await?;
            if taken.rows_affected == 1 {
                return Ok(Claim::Fresh);
            }
        }
        return Err(in_flight());
    }
    Err(in_flight())
}

async fn find(
    svc: &Services,
    caller: &Caller,
    key: &str,
) -> Result<Option<idempotency_key::Model>, DomainError> {
    Ok(idempotency_key::Entity::find_by_id((
        caller.workspace_id.clone(),
        principal(caller),
        key.to_owned(),
    ))
    .one(&svc.db)
    .await?)
}

/// Stores the answer to replay for `key`.
pub async fn complete(
    svc: &Services,
    caller: &Caller,
    key: &str,
    status: u16,
    body: String,
) -> Result<(), DomainError> {
    idempotency_key::Entity::update_many()
        .set(idempotency_key::ActiveModel {
            response_status: Set(Some(i16::try_from(status).unwrap_or(500))),
            response_body: Set(Some(body)),
            locked_until: Set(None),
            ..Default::default()
        })
        .filter(idempotency_key::Column::WorkspaceId.eq(caller.workspace_id.as_str()))
        .filter(idempotency_key::Column::Principal.eq(principal(caller)))
        .filter(idempotency_key::Column::Key.eq(key))
        .exec(&svc.db)
        .await?;
    Ok(())
}

/// Forgets `key` after a server error or a transient conflict, so that a retry runs the
/// request again.
pub async fn release(svc: &Services, caller: &Caller, key: &str) -> Result<(), DomainError> {
    idempotency_key::Entity::delete_many()
        .filter(idempotency_key::Column::WorkspaceId.eq(caller.workspace_id.as_str()))
        .filter(idempotency_key::Column::Principal.eq(principal(caller)))
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
