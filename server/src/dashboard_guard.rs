//! The dashboard's door: pages under `/dashboard` need a live session, else a redirect to the
//! login page. Checked before rendering, because a streamed page cannot change its status once
//! its first bytes are out. Anything under `/dashboard` that may change state (every method but
//! GET, HEAD and OPTIONS) must also come from Patron's own pages: the browser sends the session
//! cookie along with another site's form too.

use app::domain::DomainError;
use app::domain::accounts::session_user;
use app::server_fns::ctx::{same_origin, session_token_in};
use axum::extract::{Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};

use crate::api::error::ApiError;
use crate::state::AppState;

/// Middleware for `/dashboard/...` requests.
pub async fn require_session(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if !req.uri().path().starts_with("/dashboard") {
        return next.run(req).await;
    }
    let reads = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if !reads && let Err(e) = same_origin(req.headers(), &state.services.public_url) {
        return ApiError::from(e).into_response();
    }
    let Some(token) = session_token_in(req.headers(), &state.services.public_url) else {
        return Redirect::to("/login").into_response();
    };
    match session_user(&state.services, &token, None).await {
        Ok(_) => next.run(req).await,
        Err(DomainError::Unauthenticated) => Redirect::to("/login").into_response(),
        Err(e) => {
            tracing::error!(error = %e, "checking a session failed");
            axum::http::StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}
