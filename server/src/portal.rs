//! `/portal/session/{token}`: where a one-time portal link lands. The token is exchanged for
//! a portal session cookie and the browser goes on to `/portal`, so the token leaves the
//! address bar, the history and any Referer at once. The request log names the route, never
//! the token.

use app::domain::{DomainError, portal};
use app::server_fns::ctx::PORTAL_COOKIE;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use cookie::{Cookie, SameSite};

use crate::state::AppState;

fn over_https(headers: &HeaderMap) -> bool {
    headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("https"))
}

/// Opens a portal link: a session cookie and a redirect to `/portal`, or, for a used or
/// expired link, a redirect to the page that says so.
pub async fn open_link(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
) -> Response {
    match portal::open_link(&state.services, &token).await {
        Ok((session, expires_at)) => {
            let seconds = (expires_at - state.services.clock.now()).num_seconds();
            let cookie = Cookie::build((PORTAL_COOKIE, session))
                .http_only(true)
                .same_site(SameSite::Lax)
                .secure(over_https(&headers))
                .path("/")
                .max_age(cookie::time::Duration::seconds(seconds))
                .build();
            let mut res = Redirect::to("/portal").into_response();
            match cookie.to_string().parse() {
                Ok(v) => {
                    res.headers_mut().insert(header::SET_COOKIE, v);
                }
                Err(e) => {
                    tracing::error!(error = %e, "cannot encode the portal cookie");
                    return StatusCode::INTERNAL_SERVER_ERROR.into_response();
                }
            }
            res
        }
        Err(DomainError::NotFound { .. }) => Redirect::to("/portal?link=expired").into_response(),
        Err(e) => {
            tracing::error!(error = %e, "opening a portal link failed");
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}

/// `GET /portal/data_export.json`: "Download my data", everything Patron holds about the
/// signed-in customer (GDPR Art. 15), the same document the merchant's API and dashboard give.
pub async fn data_export(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let Some(token) = app::server_fns::ctx::portal_token_in(&headers) else {
        return Redirect::to("/portal").into_response();
    };
    let svc = &state.services;
    let run = async {
        let who = portal::session_customer(svc, &token).await?;
        portal::export_my_data(svc, &who).await
    };
    match run.await {
        Ok(export) => crate::export::data_export_download(&export),
        Err(DomainError::Unauthenticated) => Redirect::to("/portal").into_response(),
        Err(e) => {
            tracing::error!(error = %e, "a portal data export failed");
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}
