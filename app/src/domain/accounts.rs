//! Merchant users, their memberships, and dashboard sessions.

use std::sync::LazyLock;

use chrono::Duration;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set, TransactionTrait,
};

use crate::db::entities::{membership, session, user};
use crate::types::ErrorCode;
use crate::types::{Role, SessionId, ShellContext, UserId, WorkspaceId};

use super::actor::{Actor, Caller};
use super::secrets::{
    hash_password, hash_password_async, off_the_workers, random_token, sha256_hex, verify_password,
    verify_password_async,
};
use super::validate::normalise_email;
use super::{DomainError, Services, rate_limit};

/// How long a login lasts.
pub const SESSION_TTL: Duration = Duration::days(14);
/// Shortest password accepted.
pub const PASSWORD_MIN: usize = 10;

/// A new merchant user.
#[derive(Debug, Clone)]
pub struct NewUser {
    /// The workspace they join.
    pub workspace_id: WorkspaceId,
    /// Login email.
    pub email: String,
    /// Their role there.
    pub role: Role,
    /// Plain password; only its Argon2id hash is stored.
    pub password: String,
}

/// Creates a user and their membership. An email may belong to one user only.
pub async fn create_user(svc: &Services, new: NewUser) -> Result<UserId, DomainError> {
    let email = normalise_email(&new.email)?;
    if new.password.chars().count() < PASSWORD_MIN {
        return Err(DomainError::invalid(
            "password",
            format!("must be at least {PASSWORD_MIN} characters"),
        ));
    }
    super::workspaces::get_workspace(&svc.db, &new.workspace_id).await?;
    if user::Entity::find()
        .filter(user::Column::Email.eq(&email))
        .one(&svc.db)
        .await?
        .is_some()
    {
        return Err(DomainError::Conflict {
            code: ErrorCode::EmailTaken,
            message: format!("a user with the email {email} already exists"),
        });
    }
    let password_hash = hash_password_async(new.password.clone()).await?;
    let now = svc.clock.now();
    let id = UserId::generate_at(svc.clock.now());
    let txn = svc.db.begin().await?;
    user::ActiveModel {
        id: Set(id.clone()),
        email: Set(email),
        password_hash: Set(password_hash),
        name: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await?;
    membership::ActiveModel {
        workspace_id: Set(new.workspace_id.clone()),
        user_id: Set(id.clone()),
        role: Set(new.role),
        created_at: Set(now),
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(id)
}

/// A signed-in user as the dashboard shows them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedIn {
    /// Who and where, for every domain call.
    pub caller: Caller,
    /// Their login email.
    pub email: String,
}

/// Checks an email and password and opens a session; returns the cookie token (shown once).
///
/// A wrong email and a wrong password fail the same way, in about the same time.
pub async fn log_in(
    svc: &Services,
    email: &str,
    password: &str,
    ip: Option<String>,
) -> Result<(String, SignedIn), DomainError> {
    let email = email.trim().to_lowercase();
    // Every attempt takes from the email's and the address's allowance; a success gives its
    // share back, so only failures count.
    rate_limit::take(&svc.db, svc, &rate_limit::LOGIN_EMAIL, &email).await?;
    if let Some(ip) = &ip {
        rate_limit::take(&svc.db, svc, &rate_limit::LOGIN_IP, ip).await?;
    }
    let found = user::Entity::find()
        .filter(user::Column::Email.eq(&email))
        .one(&svc.db)
        .await?;
    let Some(user) = found else {
        // Spend the same effort as a real check so timing does not reveal which emails exist.
        let password = password.to_owned();
        off_the_workers(move || verify_password(&password, &DUMMY_HASH)).await?;
        return Err(DomainError::Unauthenticated);
    };
    if !verify_password_async(password.to_owned(), user.password_hash.clone()).await? {
        return Err(DomainError::Unauthenticated);
    }
    let membership = membership::Entity::find()
        .filter(membership::Column::UserId.eq(&user.id))
        .order_by_asc(membership::Column::CreatedAt)
        .one(&svc.db)
        .await?
        .ok_or(DomainError::Unauthenticated)?;
    let token = random_token(43);
    let now = svc.clock.now();
    session::ActiveModel {
        id: Set(SessionId::generate_at(svc.clock.now())),
        token_hash: Set(sha256_hex(&token)),
        user_id: Set(user.id.clone()),
        workspace_id: Set(membership.workspace_id.clone()),
        ip: Set(ip.clone()),
        created_at: Set(now),
        last_seen_at: Set(now),
        expires_at: Set(now + SESSION_TTL),
    }
    .insert(&svc.db)
    .await?;
    rate_limit::give_back(&svc.db, &rate_limit::LOGIN_EMAIL, &email).await?;
    if let Some(ip) = &ip {
        rate_limit::give_back(&svc.db, &rate_limit::LOGIN_IP, ip).await?;
    }
    let signed_in = signed_in(&user, &membership, ip)?;
    Ok((token, signed_in))
}

/// The signed-in user behind a session cookie token, if the session is live.
pub async fn session_user(
    svc: &Services,
    token: &str,
    ip: Option<String>,
) -> Result<SignedIn, DomainError> {
    let now = svc.clock.now();
    let session = session::Entity::find()
        .filter(session::Column::TokenHash.eq(sha256_hex(token)))
        .filter(session::Column::ExpiresAt.gt(now))
        .one(&svc.db)
        .await?
        .ok_or(DomainError::Unauthenticated)?;
    let user = user::Entity::find_by_id(session.user_id.clone())
        .one(&svc.db)
        .await?
        .ok_or(DomainError::Unauthenticated)?;
    let membership =
        membership::Entity::find_by_id((session.workspace_id.clone(), session.user_id.clone()))
            .one(&svc.db)
            .await?
            .ok_or(DomainError::Unauthenticated)?;
    // Touch at most once a minute: a write per request would serialise SQLite for nothing.
    if now - session.last_seen_at > Duration::minutes(1) {
        let mut active: session::ActiveModel = session.into();
        active.last_seen_at = Set(now);
        active.update(&svc.db).await?;
    }
    signed_in(&user, &membership, ip)
}

/// What the dashboard frame shows for a signed-in user: their workspace, email and role.
pub async fn shell_context(svc: &Services, user: &SignedIn) -> Result<ShellContext, DomainError> {
    let workspace = super::workspaces::get_workspace(&svc.db, &user.caller.workspace_id).await?;
    let role = match &user.caller.actor {
        Actor::User { role, .. } => Some(*role),
        Actor::ApiKey { .. } | Actor::PortalCustomer { .. } | Actor::System => None,
    };
    Ok(ShellContext {
        workspace: Some(workspace),
        user_email: Some(user.email.clone()),
        role,
    })
}

/// Ends the session behind `token` (nothing happens for an unknown token).
pub async fn log_out(svc: &Services, token: &str) -> Result<(), DomainError> {
    session::Entity::delete_many()
        .filter(session::Column::TokenHash.eq(sha256_hex(token)))
        .exec(&svc.db)
        .await?;
    Ok(())
}

/// Deletes sessions past their expiry; returns how many went.
pub async fn sweep_expired_sessions(svc: &Services) -> Result<u64, DomainError> {
    let res = session::Entity::delete_many()
        .filter(session::Column::ExpiresAt.lte(svc.clock.now()))
        .exec(&svc.db)
        .await?;
    Ok(res.rows_affected)
}

fn signed_in(
    user: &user::Model,
    membership: &membership::Model,
    ip: Option<String>,
) -> Result<SignedIn, DomainError> {
    let role = membership.role;
    let id = user.id.clone();
    let workspace_id = membership.workspace_id.clone();
    Ok(SignedIn {
        caller: Caller {
            workspace_id,
            actor: Actor::User { id, role },
            ip,
        },
        email: user.email.clone(),
    })
}

/// A real Argon2id hash of a random string, checked against when the email is unknown.
static DUMMY_HASH: LazyLock<String> =
    LazyLock::new(|| hash_password(&random_token(24)).unwrap_or_default());
