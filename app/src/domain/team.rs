//! The team: who belongs to a workspace and with which role, invitations (a one-time link sent
//! through the outbox, valid 7 days), and the rule that a workspace always keeps an owner.
//!
//! Every change of a membership runs in one write transaction holding the workspace's row
//! (`FOR UPDATE` on PostgreSQL, the write lock on SQLite), so two owners demoting each other at
//! once cannot leave the workspace without one. A member whose role changes or who is removed
//! loses their sessions in the workspace: they sign in again with what they now hold.

use chrono::Duration;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, Set,
};
use serde_json::json;

use crate::db::entities::email::EmailKind;
use crate::db::entities::{invitation, membership, session, user};
use crate::types::EventType;
use crate::types::team::{Invitation, InvitationPreview, Member, Team};
use crate::types::{ErrorCode, InvitationId, Role, Scope, UserId, WorkspaceId};

use super::accounts::{self, Device};
use super::actor::{Actor, Caller};
use super::audit;
use super::outbox::{self, NewEmail};
use super::secrets::{hash_password_async, random_token, sha256_hex, verify_password_async};
use super::validate::normalise_email;
use super::{DomainError, Services, lock_row, rate_limit};

/// How long an invitation's link works.
pub const INVITATION_TTL: Duration = Duration::days(7);

fn user_of(caller: &Caller) -> Result<&UserId, DomainError> {
    match &caller.actor {
        Actor::User { id, .. } => Ok(id),
        Actor::ApiKey { .. } | Actor::PortalCustomer { .. } | Actor::System => {
            Err(DomainError::Forbidden {
                scope: Scope::MembersManage,
            })
        }
    }
}

/// The workspace's members (owners first, then by email) and, for owners, its open
/// invitations.
pub async fn team(svc: &Services, caller: &Caller) -> Result<Team, DomainError> {
    let me = user_of(caller)?;
    let memberships = membership::Entity::find()
        .filter(membership::Column::WorkspaceId.eq(caller.workspace_id.as_str()))
        .all(&svc.db)
        .await?;
    let emails = emails_of(&svc.db, memberships.iter().map(|m| m.user_id.as_str())).await?;
    let mut members: Vec<Member> = memberships
        .into_iter()
        .filter_map(|m| {
            Some(Member {
                email: emails.get(&m.user_id)?.clone(),
                is_you: &m.user_id == me,
                user_id: m.user_id,
                role: m.role,
                joined_at: m.created_at,
            })
        })
        .collect();
    members.sort_by(|a, b| b.role.cmp(&a.role).then_with(|| a.email.cmp(&b.email)));
    let can_manage = caller.can(Scope::MembersManage);
    let invitations = if can_manage {
        open_invitations(svc, &caller.workspace_id).await?
    } else {
        Vec::new()
    };
    Ok(Team {
        members,
        invitations,
        can_manage,
    })
}

/// The login emails of the users `ids`, in one query.
pub(crate) async fn emails_of<'a, C: ConnectionTrait>(
    conn: &C,
    ids: impl Iterator<Item = &'a str>,
) -> Result<std::collections::HashMap<UserId, String>, DomainError> {
    let ids: Vec<&str> = ids.collect();
    if ids.is_empty() {
        return Ok(Default::default());
    }
    Ok(user::Entity::find()
        .filter(user::Column::Id.is_in(ids))
        .all(conn)
        .await?
        .into_iter()
        .map(|u| (u.id, u.email))
        .collect())
}

async fn open_invitations(
    svc: &Services,
    workspace_id: &WorkspaceId,
) -> Result<Vec<Invitation>, DomainError> {
    let rows = invitation::Entity::find()
        .filter(invitation::Column::WorkspaceId.eq(workspace_id.as_str()))
        .filter(invitation::Column::AcceptedAt.is_null())
        .filter(invitation::Column::ExpiresAt.gt(svc.clock.now()))
        .order_by_desc(invitation::Column::CreatedAt)
        .all(&svc.db)
        .await?;
    let senders = emails_of(
        &svc.db,
        rows.iter()
            .filter_map(|r| r.invited_by.as_ref().map(UserId::as_str)),
    )
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| Invitation {
            invited_by: r.invited_by.as_ref().and_then(|u| senders.get(u).cloned()),
            id: r.id,
            email: r.email,
            role: r.role,
            created_at: r.created_at,
            expires_at: r.expires_at,
        })
        .collect())
}

/// Invites `email` to the workspace as `role` (owners only): a link valid 7 days goes out
/// through the outbox in the same transaction. Inviting the same address again replaces the
/// earlier link.
pub async fn invite(
    svc: &Services,
    caller: &Caller,
    email: &str,
    role: Role,
) -> Result<Invitation, DomainError> {
    caller.require(Scope::MembersManage)?;
    let me = user_of(caller)?.clone();
    let email = normalise_email(email)?;
    let ws = super::workspaces::get_workspace(&svc.db, &caller.workspace_id).await?;
    let now = svc.clock.now();
    let token = random_token(43);
    let id = InvitationId::generate_at(now);
    let txn = svc.write_txn().await?;
    lock_row::<crate::db::entities::workspace::Entity, _>(&txn, caller.workspace_id.as_str())
        .await?;
    if let Some(existing) = user::Entity::find()
        .filter(user::Column::Email.eq(&email))
        .one(&txn)
        .await?
        && membership::Entity::find_by_id((caller.workspace_id.clone(), existing.id))
            .one(&txn)
            .await?
            .is_some()
    {
        return Err(DomainError::Conflict {
            code: ErrorCode::AlreadyMember,
            message: format!("{email} is already a member of this workspace"),
        });
    }
    invitation::Entity::delete_many()
        .filter(invitation::Column::WorkspaceId.eq(caller.workspace_id.as_str()))
        .filter(invitation::Column::Email.eq(&email))
        .filter(invitation::Column::AcceptedAt.is_null())
        .exec(&txn)
        .await?;
    let row = invitation::ActiveModel {
        id: Set(id.clone()),
        workspace_id: Set(caller.workspace_id.clone()),
        email: Set(email.clone()),
        role: Set(role),
        token_hash: Set(sha256_hex(&token)),
        invited_by: Set(Some(me)),
        created_at: Set(now),
        expires_at: Set(now + INVITATION_TTL),
        accepted_at: Set(None),
    }
    .insert(&txn)
    .await?;
    outbox::enqueue(
        &txn,
        svc,
        NewEmail {
            workspace_id: caller.workspace_id.clone(),
            customer_id: None,
            kind: EmailKind::Invitation,
            to: email.clone(),
            subject: format!("You are invited to {} on Patron", ws.name),
            text: format!(
                "You are invited to join {shop}'s team on Patron as {role}.\n\n\
                 Accept the invitation here (the link works once, for 7 days):\n\n    \
                 {url}/invite/{token}\n\n\
                 If you did not expect this, ignore this email: nothing happens without the link.\n",
                shop = ws.name,
                url = svc.public_url,
            ),
        },
    )
    .await?;
    audit::record_workspace(&txn, svc, caller, EventType::MemberInvited, json!({"invitation": {"before": null, "after": id.as_str()}, "role": {"before": null, "after": role}})).await?;
    txn.commit().await?;
    Ok(Invitation {
        id: row.id,
        email: row.email,
        role: row.role,
        invited_by: None,
        created_at: row.created_at,
        expires_at: row.expires_at,
    })
}

/// Withdraws an open invitation (owners only): its link stops working.
pub async fn revoke_invitation(
    svc: &Services,
    caller: &Caller,
    id: &InvitationId,
) -> Result<(), DomainError> {
    caller.require(Scope::MembersManage)?;
    let res = invitation::Entity::delete_many()
        .filter(invitation::Column::Id.eq(id.as_str()))
        .filter(invitation::Column::WorkspaceId.eq(caller.workspace_id.as_str()))
        .filter(invitation::Column::AcceptedAt.is_null())
        .exec(&svc.db)
        .await?;
    if res.rows_affected == 0 {
        return Err(DomainError::NotFound { what: "invitation" });
    }
    Ok(())
}

fn unusable() -> DomainError {
    DomainError::Conflict {
        code: ErrorCode::LinkExpired,
        message: "this invitation has expired or was already used: ask for a new one".into(),
    }
}

async fn live_invitation(svc: &Services, token: &str) -> Result<invitation::Model, DomainError> {
    let row = invitation::Entity::find()
        .filter(invitation::Column::TokenHash.eq(sha256_hex(token)))
        .one(&svc.db)
        .await?
        .ok_or(DomainError::NotFound { what: "invitation" })?;
    if row.accepted_at.is_some() || row.expires_at <= svc.clock.now() {
        return Err(unusable());
    }
    Ok(row)
}

/// Runs `work` for an unauthenticated caller at `ip` against the login's per-address
/// allowance: a failure (an unknown link, a wrong password) uses it up, a success gives back.
async fn limited<T>(
    svc: &Services,
    ip: Option<&str>,
    work: impl Future<Output = Result<T, DomainError>>,
) -> Result<T, DomainError> {
    if let Some(ip) = ip {
        rate_limit::take(&svc.db, svc, &rate_limit::LOGIN_IP, ip).await?;
    }
    let out = work.await?;
    if let Some(ip) = ip {
        rate_limit::give_back(&svc.db, &rate_limit::LOGIN_IP, ip).await?;
    }
    Ok(out)
}

/// What an invitation link opens: the workspace, the address, the role, and whether the person
/// has an account already.
pub async fn preview(
    svc: &Services,
    token: &str,
    ip: Option<&str>,
) -> Result<InvitationPreview, DomainError> {
    limited(svc, ip, preview_unlimited(svc, token)).await
}

async fn preview_unlimited(svc: &Services, token: &str) -> Result<InvitationPreview, DomainError> {
    let row = live_invitation(svc, token).await?;
    let ws = super::workspaces::get_workspace(&svc.db, &row.workspace_id).await?;
    let has_account = user::Entity::find()
        .filter(user::Column::Email.eq(&row.email))
        .count(&svc.db)
        .await?
        > 0;
    Ok(InvitationPreview {
        workspace_name: ws.name,
        email: row.email,
        role: row.role,
        has_account,
    })
}

/// Accepts an invitation: someone new chooses a password (an account is made), someone with an
/// account confirms with theirs; either way they join with the invited role and are signed in
/// there. Returns the new session's cookie token. The link works once, even when two tabs
/// accept at the same moment.
pub async fn accept(
    svc: &Services,
    token: &str,
    password: &str,
    device: Device,
) -> Result<(String, WorkspaceId), DomainError> {
    let ip = device.ip.clone();
    limited(
        svc,
        ip.as_deref(),
        accept_unlimited(svc, token, password, device),
    )
    .await
}

async fn accept_unlimited(
    svc: &Services,
    token: &str,
    password: &str,
    device: Device,
) -> Result<(String, WorkspaceId), DomainError> {
    let row = live_invitation(svc, token).await?;
    let existing = user::Entity::find()
        .filter(user::Column::Email.eq(&row.email))
        .one(&svc.db)
        .await?;
    let new_hash = match &existing {
        Some(u) => {
            rate_limit::take(&svc.db, svc, &rate_limit::LOGIN_EMAIL, &row.email).await?;
            if !verify_password_async(password.to_owned(), u.password_hash.clone()).await? {
                return Err(DomainError::invalid(
                    "password",
                    format!("is not the password of {}", row.email),
                ));
            }
            rate_limit::give_back(&svc.db, &rate_limit::LOGIN_EMAIL, &row.email).await?;
            None
        }
        None => {
            accounts::check_password_length(password)?;
            Some(hash_password_async(password.to_owned()).await?)
        }
    };
    let now = svc.clock.now();
    let txn = svc.write_txn().await?;
    // The claim: of two acceptances, one changes the row and the other finds it used.
    let claimed = invitation::Entity::update_many()
        .col_expr(invitation::Column::AcceptedAt, Expr::val(Some(now)))
        .filter(invitation::Column::Id.eq(row.id.as_str()))
        .filter(invitation::Column::AcceptedAt.is_null())
        .filter(invitation::Column::ExpiresAt.gt(now))
        .exec(&txn)
        .await?;
    if claimed.rows_affected != 1 {
        return Err(unusable());
    }
    let user_id = match (existing, new_hash) {
        (Some(u), _) => u.id,
        (None, Some(password_hash)) => {
            accounts::insert_user(&txn, row.email.clone(), password_hash, now).await?
        }
        (None, None) => return Err(DomainError::internal("no password hash for a new user")),
    };
    if membership::Entity::find_by_id((row.workspace_id.clone(), user_id.clone()))
        .one(&txn)
        .await?
        .is_none()
    {
        accounts::add_membership(&txn, &row.workspace_id, &user_id, row.role, now).await?;
    }
    let caller = Caller {
        workspace_id: row.workspace_id.clone(),
        actor: Actor::User {
            id: user_id.clone(),
            role: row.role,
        },
        ip: device.ip.clone(),
        idempotency_key: None,
    };
    audit::record_workspace(&txn, svc, &caller, EventType::MemberJoined, json!({"invitation": {"before": null, "after": row.id.as_str()}, "role": {"before": null, "after": row.role}})).await?;
    let (token, _) = accounts::open_session(&txn, svc, &user_id, &row.workspace_id, device).await?;
    txn.commit().await?;
    Ok((token, row.workspace_id))
}

/// Gives a member another role (owners only). The last owner cannot be demoted. The member's
/// sessions in this workspace end; they sign in again with the new role. An owner changing
/// their own role gets a fresh session on `device` instead: its cookie token is returned.
pub async fn change_role(
    svc: &Services,
    caller: &Caller,
    user_id: &UserId,
    role: Role,
    device: Device,
) -> Result<Option<String>, DomainError> {
    caller.require(Scope::MembersManage)?;
    let txn = svc.write_txn().await?;
    let member = locked_member(&txn, caller, user_id).await?;
    if member.role == role {
        return Ok(None);
    }
    keep_an_owner(&txn, &member, "demoted").await?;
    let before = member.role;
    let mut active: membership::ActiveModel = member.into();
    active.role = Set(role);
    active.update(&txn).await?;
    end_sessions_in(&txn, &caller.workspace_id, user_id).await?;
    let fresh = if user_of(caller)? == user_id {
        let (token, _) =
            accounts::open_session(&txn, svc, user_id, &caller.workspace_id, device).await?;
        Some(token)
    } else {
        None
    };
    audit::record_workspace(&txn, svc, caller, EventType::MemberRoleChanged, json!({"member": {"before": null, "after": user_id.as_str()}, "role": {"before": before, "after": role}})).await?;
    txn.commit().await?;
    Ok(fresh)
}

/// Removes a member (owners), or lets a member leave (anyone, for themselves). The last owner
/// cannot go. Their sessions in this workspace end.
pub async fn remove_member(
    svc: &Services,
    caller: &Caller,
    user_id: &UserId,
) -> Result<(), DomainError> {
    let me = user_of(caller)?;
    if me != user_id {
        caller.require(Scope::MembersManage)?;
    }
    let txn = svc.write_txn().await?;
    let member = locked_member(&txn, caller, user_id).await?;
    keep_an_owner(&txn, &member, "removed").await?;
    let role = member.role;
    membership::Entity::delete_by_id((caller.workspace_id.clone(), user_id.clone()))
        .exec(&txn)
        .await?;
    end_sessions_in(&txn, &caller.workspace_id, user_id).await?;
    audit::record_workspace(&txn, svc, caller, EventType::MemberRemoved, json!({"member": {"before": user_id.as_str(), "after": null}, "role": {"before": role, "after": null}})).await?;
    txn.commit().await?;
    Ok(())
}

/// Locks the caller's workspace (changes to its members take turns, so that two cannot both
/// pass [`keep_an_owner`]) and finds `user_id`'s membership of it.
async fn locked_member<C: ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    user_id: &UserId,
) -> Result<membership::Model, DomainError> {
    let workspace_id = &caller.workspace_id;
    lock_row::<crate::db::entities::workspace::Entity, _>(conn, workspace_id.as_str()).await?;
    membership::Entity::find_by_id((workspace_id.clone(), user_id.clone()))
        .one(conn)
        .await?
        .ok_or(DomainError::NotFound { what: "member" })
}

/// Fails when `member`, about to go, is an owner and the workspace has no other owner.
async fn keep_an_owner<C: ConnectionTrait>(
    conn: &C,
    member: &membership::Model,
    what: &str,
) -> Result<(), DomainError> {
    if member.role != Role::Owner {
        return Ok(());
    }
    let owners = membership::Entity::find()
        .filter(membership::Column::WorkspaceId.eq(member.workspace_id.as_str()))
        .filter(membership::Column::Role.eq(Role::Owner))
        .count(conn)
        .await?;
    if owners <= 1 {
        return Err(DomainError::Conflict {
            code: ErrorCode::LastOwner,
            message: format!(
                "the workspace's last owner cannot be {what}: make another member owner first"
            ),
        });
    }
    Ok(())
}

async fn end_sessions_in<C: ConnectionTrait>(
    conn: &C,
    workspace_id: &WorkspaceId,
    user_id: &UserId,
) -> Result<(), DomainError> {
    session::Entity::delete_many()
        .filter(session::Column::WorkspaceId.eq(workspace_id.as_str()))
        .filter(session::Column::UserId.eq(user_id.as_str()))
        .exec(conn)
        .await?;
    Ok(())
}
