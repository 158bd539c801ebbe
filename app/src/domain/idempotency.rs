//! `Idempotency-Key`: the first request under a key runs, later ones replay its stored answer
//! for 24 hours. A different request under the same key, or one while the first still runs, is
//! refused. Records live in the database, so this holds across several server processes; they
//! belong to one caller (API key or user), a running request's claim lapses after [`LOCK`], and
//! transient conflicts are never stored.
//!
//! A request that moves money binds its key to the attempt it starts (a charge attempt or a
//! refund) in the transaction that records the attempt, and the attempt's outcome is written to
//! the key in the transaction that settles it, by the detached task doing the work. So a retry
//! under the key, even after the first client hung up and the lock lapsed, resumes that attempt
//! or answers its outcome; it never starts a second one, and the key outlives its 24 hours while
//! the attempt is unsettled. An answer carrying a secret (a signing secret, a portal token) is
//! never stored: a retry is told to use a new key.

use chrono::Duration;
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, Set,
};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::db::entities::{charge_attempt, idempotency_key, refund};
use crate::types::ErrorCode;
use crate::types::Scope;
use crate::types::order::RefundStatus;

use crate::types::payment::AttemptStatus;

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

/// How long a request owns its key while it runs, by default: a request whose process died (or
/// whose client hung up) frees its key after this, and a retry with the same key then runs; if
/// the request had started moving money, the retry resumes that attempt (see the module docs).
/// `Services::idempotency_lock` holds the value in use.
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

pub(crate) fn in_flight() -> DomainError {
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
            locked_until: Set(Some(now + svc.idempotency_lock)),
            created_at: Set(now),
            attempt_id: Set(None),
            outcome: Set(None),
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
        if now - existing.created_at > RETENTION && !holds_money(&svc.db, &existing).await? {
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
        if existing.response_status == Some(SPENT) {
            return Err(spent());
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
        // Still running, unless its owner died, its client hung up or it let go: then the lock
        // ran out (or was released) and this retry takes it. A retry of a request that started
        // moving money meets that attempt in the domain, and resumes or answers it.
        if existing.locked_until.is_none_or(|until| until <= now) {
            let same_lock = match existing.locked_until {
                Some(until) => idempotency_key::Column::LockedUntil.eq(until),
                None => idempotency_key::Column::LockedUntil.is_null(),
            };
            let taken = idempotency_key::Entity::update_many()
                .col_expr(
                    idempotency_key::Column::LockedUntil,
                    Expr::val(Some(now + svc.idempotency_lock)),
                )
                .filter(idempotency_key::Column::WorkspaceId.eq(ws))
                .filter(idempotency_key::Column::Principal.eq(who.as_str()))
                .filter(idempotency_key::Column::Key.eq(key))
                .filter(idempotency_key::Column::ResponseStatus.is_null())
                .filter(same_lock)
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
    answer(
        svc,
        caller,
        key,
        i16::try_from(status).unwrap_or(500),
        Some(body),
    )
    .await
}

/// The status stored for an answer that carried a secret: there is nothing to replay.
const SPENT: i16 = 0;

fn spent() -> DomainError {
    DomainError::Conflict {
        code: ErrorCode::IdempotencyKeySpent,
        message: "the first request with this Idempotency-Key answered with a secret, which Patron does not keep; send a new request with a new key".into(),
    }
}

/// Marks `key` used by a request whose answer carried a secret: the answer is not kept, and a
/// retry under the key is refused (409 `idempotency_key_spent`) rather than sent the secret
/// again from storage.
pub async fn complete_secret(
    svc: &Services,
    caller: &Caller,
    key: &str,
) -> Result<(), DomainError> {
    answer(svc, caller, key, SPENT, None).await
}

/// Writes the answer stored for `key` (its status, and the body to replay if any) and lets go
/// of its lock.
async fn answer(
    svc: &Services,
    caller: &Caller,
    key: &str,
    status: i16,
    body: Option<String>,
) -> Result<(), DomainError> {
    idempotency_key::Entity::update_many()
        .set(idempotency_key::ActiveModel {
            response_status: Set(Some(status)),
            response_body: Set(body),
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

/// Lets go of `key` after a server error or a transient conflict, so that a retry runs the
/// request again. A key bound to a money attempt is kept (only its lock goes): the retry must
/// meet that attempt, not start another.
pub async fn release(svc: &Services, caller: &Caller, key: &str) -> Result<(), DomainError> {
    let this = || {
        Condition::all()
            .add(idempotency_key::Column::WorkspaceId.eq(caller.workspace_id.as_str()))
            .add(idempotency_key::Column::Principal.eq(principal(caller)))
            .add(idempotency_key::Column::Key.eq(key))
    };
    idempotency_key::Entity::delete_many()
        .filter(this())
        .filter(idempotency_key::Column::AttemptId.is_null())
        .exec(&svc.db)
        .await?;
    idempotency_key::Entity::update_many()
        .col_expr(
            idempotency_key::Column::LockedUntil,
            Expr::val(Option::<chrono::DateTime<chrono::Utc>>::None),
        )
        .filter(this())
        .filter(idempotency_key::Column::AttemptId.is_not_null())
        .filter(idempotency_key::Column::ResponseStatus.is_null())
        .exec(&svc.db)
        .await?;
    Ok(())
}

/// Charge attempts and refunds that may still move money.
fn unsettled_ids() -> Condition {
    Condition::any()
        .add(
            idempotency_key::Column::AttemptId.in_subquery(
                Query::select()
                    .column(charge_attempt::Column::Id)
                    .from(charge_attempt::Entity)
                    .and_where(charge_attempt::Column::Status.is_in([
                        AttemptStatus::Pending,
                        AttemptStatus::Abandoned,
                        AttemptStatus::Voiding,
                    ]))
                    .to_owned(),
            ),
        )
        .add(
            idempotency_key::Column::AttemptId.in_subquery(
                Query::select()
                    .column(refund::Column::Id)
                    .from(refund::Entity)
                    .and_where(refund::Column::Status.eq(RefundStatus::Pending))
                    .to_owned(),
            ),
        )
}

/// Whether `row` is bound to an attempt that may still move money: then it is kept past its
/// 24 hours, so that a retry still meets the attempt.
async fn holds_money<C: ConnectionTrait>(
    conn: &C,
    row: &idempotency_key::Model,
) -> Result<bool, DomainError> {
    if row.attempt_id.is_none() {
        return Ok(false);
    }
    let found = idempotency_key::Entity::find()
        .filter(idempotency_key::Column::WorkspaceId.eq(row.workspace_id.as_str()))
        .filter(idempotency_key::Column::Principal.eq(row.principal.as_str()))
        .filter(idempotency_key::Column::Key.eq(row.key.as_str()))
        .filter(unsettled_ids())
        .one(conn)
        .await?;
    Ok(found.is_some())
}

/// Deletes records older than [`RETENTION`], except those whose money attempt is unsettled;
/// returns how many went.
pub async fn sweep_expired(svc: &Services) -> Result<u64, DomainError> {
    let res = idempotency_key::Entity::delete_many()
        .filter(idempotency_key::Column::CreatedAt.lt(svc.clock.now() - RETENTION))
        .filter(
            Condition::any()
                .add(idempotency_key::Column::AttemptId.is_null())
                .add(unsettled_ids().not()),
        )
        .exec(&svc.db)
        .await?;
    Ok(res.rows_affected)
}

/// What the first request under the caller's key started, as the money flows meet it.
#[derive(Debug, Clone)]
pub(crate) struct Bound {
    /// The charge attempt or refund.
    pub attempt_id: String,
    /// Its outcome, once settled (see [`replay`]).
    pub outcome: Option<String>,
}

/// An attempt's outcome as stored on its key.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum Outcome {
    /// The domain's answer.
    Answered { value: serde_json::Value },
    /// The payment was refused (declined).
    Refused { code: String, message: String },
}

fn this_key(caller: &Caller, key: &str) -> Condition {
    Condition::all()
        .add(idempotency_key::Column::WorkspaceId.eq(caller.workspace_id.as_str()))
        .add(idempotency_key::Column::Principal.eq(principal(caller)))
        .add(idempotency_key::Column::Key.eq(key))
}

/// The attempt the caller's key is bound to, if the request carries a key and an earlier
/// request under it started one.
pub(crate) async fn bound<C: ConnectionTrait>(
    conn: &C,
    caller: &Caller,
) -> Result<Option<Bound>, DomainError> {
    let Some(key) = caller.idempotency_key.as_deref() else {
        return Ok(None);
    };
    let row = idempotency_key::Entity::find()
        .filter(this_key(caller, key))
        .one(conn)
        .await?;
    Ok(row.and_then(|r| {
        r.attempt_id.map(|attempt_id| Bound {
            attempt_id,
            outcome: r.outcome,
        })
    }))
}

/// Binds the caller's key to `attempt_id`, inside the transaction that records the attempt.
/// Refused (409 `idempotency_key_in_flight`) if another request under the key bound one first:
/// the caller's transaction must then roll back. Nothing to do without a key.
pub(crate) async fn bind<C: ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    attempt_id: &str,
) -> Result<(), DomainError> {
    let Some(key) = caller.idempotency_key.as_deref() else {
        return Ok(());
    };
    let res = idempotency_key::Entity::update_many()
        .col_expr(
            idempotency_key::Column::AttemptId,
            Expr::val(Some(attempt_id.to_owned())),
        )
        .filter(this_key(caller, key))
        .filter(idempotency_key::Column::AttemptId.is_null())
        .exec(conn)
        .await?;
    if res.rows_affected == 1 {
        Ok(())
    } else {
        Err(in_flight())
    }
}

async fn store_outcome<C: ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    attempt_id: &str,
    outcome: &Outcome,
) -> Result<(), DomainError> {
    let Some(key) = caller.idempotency_key.as_deref() else {
        return Ok(());
    };
    let text = serde_json::to_string(outcome).map_err(|e| DomainError::internal(e.to_string()))?;
    idempotency_key::Entity::update_many()
        .col_expr(idempotency_key::Column::Outcome, Expr::val(Some(text)))
        .filter(this_key(caller, key))
        .filter(idempotency_key::Column::AttemptId.eq(attempt_id))
        .exec(conn)
        .await?;
    Ok(())
}

/// Writes `value`, the answer to the attempt's request, on the caller's key, inside the
/// transaction that settles the attempt.
pub(crate) async fn answered<C: ConnectionTrait, T: Serialize>(
    conn: &C,
    caller: &Caller,
    attempt_id: &str,
    value: &T,
) -> Result<(), DomainError> {
    let value = serde_json::to_value(value).map_err(|e| DomainError::internal(e.to_string()))?;
    store_outcome(conn, caller, attempt_id, &Outcome::Answered { value }).await
}

/// Writes the refusal of the attempt's payment on the caller's key, inside the transaction that
/// records the decline.
pub(crate) async fn refused<C: ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    attempt_id: &str,
    code: ErrorCode,
    message: &str,
) -> Result<(), DomainError> {
    let outcome = Outcome::Refused {
        code: code.as_str().to_owned(),
        message: message.to_owned(),
    };
    store_outcome(conn, caller, attempt_id, &outcome).await
}

/// The answer a settled attempt's request had, again: its value, or its refusal.
pub(crate) fn replay<T: DeserializeOwned>(outcome: &str) -> Result<T, DomainError> {
    match serde_json::from_str::<Outcome>(outcome)
        .map_err(|e| DomainError::internal(e.to_string()))?
    {
        Outcome::Answered { value } => {
            serde_json::from_value(value).map_err(|e| DomainError::internal(e.to_string()))
        }
        Outcome::Refused { code, message } => Err(DomainError::PaymentRefused {
            code: code.parse::<ErrorCode>().map_err(DomainError::internal)?,
            message,
        }),
    }
}
