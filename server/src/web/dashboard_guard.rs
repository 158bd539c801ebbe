//! The dashboard's door: pages under `/dashboard` need a live session, else a redirect to the
//! login page. Checked before rendering, because a streamed page cannot change its status once
//! its first bytes are out. Anything under `/dashboard` that may change state (every method but
//! GET, HEAD and OPTIONS) must also come from Patron's own pages: the browser sends the session
//! cookie along with another site's form too.

use app::cookies::same_origin;
use app::domain::DomainError;
use axum::extract::{Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};

use super::DashboardUser;
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
    // Read from the request's parts: a borrow of the whole request (its body is not `Sync`)
    // must not be held across the lookup.
    let (parts, body) = req.into_parts();
    let found = DashboardUser::find(&state, &parts.headers).await;
    match found {
        Ok(_) => next.run(Request::from_parts(parts, body)).await,
        Err(DomainError::Unauthenticated) => Redirect::to("/login").into_response(),
        Err(e) => {
            tracing::error!(error = %e, "checking a session failed");
            ApiError::from(e).into_response()
        }
    }
}
