//! Server functions behind Settings → Team, API keys and Sessions, the workspace switcher, and
//! the invitation page.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use crate::types::team::{ApiKeyCreated, ApiKeySummary, InvitationPreview, SessionSummary, Team};
use crate::types::{AppError, Role, Scope};

#[cfg(feature = "ssr")]
fn parse<T: std::str::FromStr>(raw: &str, what: &str) -> Result<T, AppError> {
    raw.parse()
        .map_err(|_| AppError::NotFound { what: what.into() })
}

/// The members, and for owners the open invitations.
#[server(prefix = "/rpc", endpoint = "team")]
pub async fn load_team() -> Result<Team, AppError> {
    super::ctx::as_caller(|svc, caller| async move {
        Ok(crate::domain::team::team(&svc, &caller).await?)
    })
    .await
}

/// Invites someone by email (owners).
#[server(prefix = "/rpc", endpoint = "team/invite")]
pub async fn invite_member(email: String, role: Role) -> Result<(), AppError> {
    super::ctx::as_caller(|svc, caller| async move {
        crate::domain::team::invite(&svc, &caller, &email, role).await?;
        Ok(())
    })
    .await
}

/// Withdraws an invitation (owners).
#[server(prefix = "/rpc", endpoint = "team/invitations/revoke")]
pub async fn revoke_invitation(id: String) -> Result<(), AppError> {
    super::ctx::as_caller(|svc, caller| async move {
        let id = parse(&id, "invitation")?;
        Ok(crate::domain::team::revoke_invitation(&svc, &caller, &id).await?)
    })
    .await
}

/// Gives a member another role (owners). Changing one's own role starts a new session.
#[server(prefix = "/rpc", endpoint = "team/role")]
pub async fn change_member_role(user_id: String, role: Role) -> Result<(), AppError> {
    super::ctx::as_caller(|svc, caller| async move {
        let target = parse(&user_id, "member")?;
        let device = super::ctx::device().await;
        // Their own change ended their sessions here: this browser gets the fresh one.
        if let Some(token) =
            crate::domain::team::change_role(&svc, &caller, &target, role, device).await?
        {
            super::ctx::set_session_cookie(&token).await;
        }
        Ok(())
    })
    .await
}

/// Removes a member (owners), or leaves the workspace (anyone, for themselves: the browser
/// goes to the login page).
#[server(prefix = "/rpc", endpoint = "team/remove")]
pub async fn remove_member(user_id: String) -> Result<(), AppError> {
    super::ctx::as_caller(|svc, caller| async move {
        let target = parse(&user_id, "member")?;
        crate::domain::team::remove_member(&svc, &caller, &target).await?;
        if matches!(&caller.actor, crate::domain::actor::Actor::User { id, .. } if *id == target) {
            super::ctx::clear_session_cookie();
            leptos_axum::redirect("/login");
        }
        Ok(())
    })
    .await
}

/// The workspace's live API keys (admins and owners).
#[server(prefix = "/rpc", endpoint = "api_keys")]
pub async fn load_api_keys() -> Result<Vec<ApiKeySummary>, AppError> {
    super::ctx::as_caller(|svc, caller| async move {
        Ok(crate::domain::api_keys::list_api_keys(&svc, &caller).await?)
    })
    .await
}

/// Creates a key; the answer holds its secret, shown once.
#[server(prefix = "/rpc", endpoint = "api_keys/create", input = Json)]
pub async fn create_api_key(name: String, scopes: Vec<Scope>) -> Result<ApiKeyCreated, AppError> {
    super::ctx::as_caller(|svc, caller| async move {
        Ok(crate::domain::api_keys::create_api_key_as(&svc, &caller, &name, &scopes).await?)
    })
    .await
}

/// Revokes a key: it authenticates nothing from then on.
#[server(prefix = "/rpc", endpoint = "api_keys/revoke")]
pub async fn revoke_api_key(id: String) -> Result<(), AppError> {
    super::ctx::as_caller(|svc, caller| async move {
        let id = parse(&id, "API key")?;
        Ok(crate::domain::api_keys::revoke_api_key_as(&svc, &caller, &id).await?)
    })
    .await
}

/// The signed-in user's sessions.
#[server(prefix = "/rpc", endpoint = "sessions")]
pub async fn load_sessions() -> Result<Vec<SessionSummary>, AppError> {
    let run = async {
        let (svc, user) = super::ctx::signed_in().await?;
        Ok(crate::domain::accounts::list_sessions(&svc, &user).await?)
    };
    super::ctx::with_status(run.await)
}

/// Ends one of the user's other sessions.
#[server(prefix = "/rpc", endpoint = "sessions/end")]
pub async fn end_session(id: String) -> Result<(), AppError> {
    let run = async {
        let (svc, user) = super::ctx::signed_in().await?;
        let id = parse(&id, "session")?;
        Ok(crate::domain::accounts::end_session(&svc, &user, &id).await?)
    };
    super::ctx::with_status(run.await)
}

/// Ends every session of the user, this one too; the browser goes to the login page.
#[server(prefix = "/rpc", endpoint = "sessions/end_all")]
pub async fn end_all_sessions() -> Result<(), AppError> {
    let run = async {
        let (svc, user) = super::ctx::signed_in().await?;
        crate::domain::accounts::end_all_sessions(&svc, &user).await?;
        super::ctx::clear_session_cookie();
        leptos_axum::redirect("/login");
        Ok(())
    };
    super::ctx::with_status(run.await)
}

/// Moves this session to another of the user's workspaces (with a new token).
#[server(prefix = "/rpc", endpoint = "workspaces/switch")]
pub async fn switch_workspace(workspace_id: String) -> Result<(), AppError> {
    let run = async {
        let (svc, user) = super::ctx::signed_in().await?;
        let to = parse(&workspace_id, "workspace")?;
        let token = crate::domain::accounts::switch_workspace(&svc, &user, &to).await?;
        super::ctx::set_session_cookie(&token).await;
        Ok(())
    };
    super::ctx::with_status(run.await)
}

/// What an invitation link opens.
#[server(prefix = "/rpc", endpoint = "invitations/preview")]
pub async fn preview_invitation(token: String) -> Result<InvitationPreview, AppError> {
    let run = async {
        super::ctx::require_same_origin().await?;
        let svc = super::ctx::services()?;
        let ip = super::ctx::client_ip().await;
        Ok(crate::domain::team::preview(&svc, &token, ip.as_deref()).await?)
    };
    super::ctx::with_status(run.await)
}

/// Accepts an invitation with a new or the existing password, signs in, and opens the
/// dashboard.
#[server(prefix = "/rpc", endpoint = "invitations/accept")]
pub async fn accept_invitation(token: String, password: String) -> Result<(), AppError> {
    let run = async {
        use super::ctx;
        ctx::require_same_origin().await?;
        let svc = ctx::services()?;
        let previous = ctx::session_token().await?;
        let (session, _) =
            crate::domain::team::accept(&svc, &token, &password, ctx::device().await).await?;
        if let Some(previous) = previous {
            crate::domain::accounts::log_out(&svc, &previous).await?;
        }
        ctx::set_session_cookie(&session).await;
        leptos_axum::redirect("/dashboard/customers");
        Ok(())
    };
    super::ctx::with_status(run.await)
}
