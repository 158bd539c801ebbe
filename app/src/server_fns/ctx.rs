//! What a server function needs from its request: the domain services, the signed-in user
//! (from the session cookie), the client address, and a same-origin check. These read the
//! request from the Leptos context and set cookies on its response; the rules themselves (the
//! cookie names, HTTPS, where a token is found, the same-origin check) are in
//! [`crate::cookies`], which the server's plain routes use too.

use std::net::SocketAddr;

use axum::extract::ConnectInfo;
use axum::http::HeaderMap;
use axum::http::header::SET_COOKIE;
use cookie::{Cookie, SameSite};
use leptos::prelude::{expect_context, use_context};
use leptos_axum::ResponseOptions;

use crate::cookies::{
    PORTAL_COOKIE, SECURE_PORTAL_COOKIE, SECURE_SESSION_COOKIE, SESSION_COOKIE, portal_cookie,
    portal_token_in, same_origin, served_over_https, session_cookie, session_token_in,
};
use crate::domain::Services;
use crate::domain::accounts::{self, SignedIn};
use crate::domain::portal::{self, PortalCustomer};
use crate::types::AppError;

/// The services the server registered for this request.
pub fn services() -> Result<Services, AppError> {
    use_context::<Services>().ok_or_else(|| {
        tracing::error!("server function called without Services in context");
        AppError::Internal
    })
}

async fn headers() -> Result<HeaderMap, AppError> {
    leptos_axum::extract::<HeaderMap>().await.map_err(|e| {
        tracing::error!(error = %e, "cannot read request headers");
        AppError::Internal
    })
}

/// The client's address, when the server knows it: the peer's, or the one the configured
/// proxy header names (see [`Services::client_ip`]).
pub async fn client_ip() -> Option<String> {
    let svc = services().ok()?;
    let peer = leptos_axum::extract::<ConnectInfo<SocketAddr>>()
        .await
        .ok()
        .map(|ConnectInfo(addr)| addr.ip());
    let headers = headers().await.ok()?;
    svc.client_ip(&headers, peer)
}

/// The session token in the request's cookie, if any.
pub async fn session_token() -> Result<Option<String>, AppError> {
    let public_url = services()?.public_url;
    Ok(session_token_in(&headers().await?, &public_url))
}

/// The browser making this request: its address and User-Agent.
pub async fn device() -> crate::domain::accounts::Device {
    let user_agent = headers().await.ok().and_then(|h| {
        h.get(axum::http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    });
    crate::domain::accounts::Device {
        ip: client_ip().await,
        user_agent,
    }
}

/// The portal session token in the request's cookie, if any.
pub async fn portal_token() -> Result<Option<String>, AppError> {
    let public_url = services()?.public_url;
    Ok(portal_token_in(&headers().await?, &public_url))
}

/// The signed-in end customer of the portal, or `Unauthenticated`.
pub async fn portal_customer() -> Result<(Services, PortalCustomer), AppError> {
    require_same_origin().await?;
    let svc = services()?;
    let token = portal_token().await?.ok_or(AppError::Unauthenticated)?;
    let who = portal::session_customer(&svc, &token).await?;
    Ok((svc, who))
}

/// Sets the portal session cookie on a server function's response, until `expires_at`.
pub async fn set_portal_cookie(
    svc: &Services,
    token: &str,
    expires_at: chrono::DateTime<chrono::Utc>,
) {
    let seconds = (expires_at - svc.clock.now()).num_seconds();
    let secure = served_over_https(&svc.public_url);
    append_set_cookie(&portal_cookie(token, seconds, secure).to_string());
}

/// Removes the portal cookie (either name) from the browser.
pub fn clear_portal_cookie() {
    clear_cookie(PORTAL_COOKIE);
    clear_cookie(SECURE_PORTAL_COOKIE);
}

/// Refuses a request sent by another site's page: a browser always names the page's origin
/// on a POST, and it must be this server.
pub async fn require_same_origin() -> Result<(), AppError> {
    same_origin(&headers().await?, &services()?.public_url)
}

/// The signed-in user, or `Unauthenticated`.
pub async fn signed_in() -> Result<(Services, SignedIn), AppError> {
    require_same_origin().await?;
    let svc = services()?;
    let token = session_token().await?.ok_or(AppError::Unauthenticated)?;
    let user = accounts::session_user(&svc, &token, client_ip().await).await?;
    Ok((svc, user))
}

/// Runs `work` as the signed-in user (the session's services and caller), answering its
/// failure, the session's included, with the error's HTTP status.
pub async fn as_caller<T, F, Fut>(work: F) -> Result<T, AppError>
where
    F: FnOnce(Services, crate::domain::Caller) -> Fut,
    Fut: Future<Output = Result<T, AppError>>,
{
    let run = async {
        let (svc, user) = signed_in().await?;
        work(svc, user.caller).await
    };
    with_status(run.await)
}

/// Whether this request's services say Patron is served over HTTPS ([`served_over_https`]).
fn over_https() -> bool {
    services().is_ok_and(|svc| served_over_https(&svc.public_url))
}

/// Sets the session cookie on the response.
pub async fn set_session_cookie(token: &str) {
    append_set_cookie(&session_cookie(token, over_https()).to_string());
}

/// Removes the session cookie (either name) from the browser.
pub fn clear_session_cookie() {
    clear_cookie(SESSION_COOKIE);
    clear_cookie(SECURE_SESSION_COOKIE);
}

/// Removes the cookie `name` (set HttpOnly, SameSite=Lax, for the whole site) from the browser.
fn clear_cookie(name: &'static str) {
    let mut cookie = Cookie::build((name, ""))
        .http_only(true)
        .same_site(SameSite::Lax)
        // A browser ignores a `__Host-` cookie, its removal included, unless Secure.
        .secure(name.starts_with("__Host-"))
        .path("/")
        .build();
    cookie.make_removal();
    append_set_cookie(&cookie.to_string());
}

fn append_set_cookie(value: &str) {
    let response = expect_context::<ResponseOptions>();
    match value.parse() {
        Ok(v) => response.append_header(SET_COOKIE, v),
        Err(e) => tracing::error!(error = %e, "cannot encode a cookie"),
    }
}

/// Optional text as a form sends it: blank is absent (an empty "Description (optional)" means
/// no description), never a value the domain refuses as empty.
pub fn given(text: Option<String>) -> Option<String> {
    text.filter(|t| !t.trim().is_empty())
}

/// Gives a failed server function the HTTP status its error means (Leptos answers 500 for
/// every error otherwise), so logs and monitoring tell a wrong password from an outage.
pub fn with_status<T>(result: Result<T, AppError>) -> Result<T, AppError> {
    if let Err(e) = &result
        && let Ok(status) = axum::http::StatusCode::from_u16(e.status())
        && let Some(response) = use_context::<ResponseOptions>()
    {
        response.set_status(status);
    }
    result
}
