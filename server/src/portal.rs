//! The portal's links: `/portal/session/{token}` (a one-time link minted by the merchant's
//! back end), `/portal/link/{token}` (the signed link in every receipt) and
//! `/dashboard/customers/{id}/portal` (a merchant's read-only view as the customer). Each is
//! exchanged for a portal session cookie and the browser goes on to `/portal`, so the token
//! leaves the address bar, the history and any Referer at once. The request log names the
//! route, never the token.

use app::domain::portal::{self, Opened};
use app::domain::{DomainError, Services};
use app::server_fns::ctx::portal_cookie;
use app::types::CustomerId;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, Utc};

use crate::state::AppState;

fn over_https(headers: &HeaderMap) -> bool {
    headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("https"))
}

/// A redirect to `/portal` that sets the session cookie.
fn signed_in(
    svc: &Services,
    headers: &HeaderMap,
    token: &str,
    expires_at: DateTime<Utc>,
) -> Response {
    let seconds = (expires_at - svc.clock.now()).num_seconds();
    let cookie = portal_cookie(token, seconds, over_https(headers));
    let mut res = Redirect::to("/portal").into_response();
    match cookie.to_string().parse() {
        Ok(v) => {
            res.headers_mut().insert(header::SET_COOKIE, v);
            res
        }
        Err(e) => {
            tracing::error!(error = %e, "cannot encode the portal cookie");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

fn opened(svc: &Services, headers: &HeaderMap, result: Result<Opened, DomainError>) -> Response {
    match result {
        Ok(Opened::Session { token, expires_at }) => signed_in(svc, headers, &token, expires_at),
        // A refused link leads to the page that says so and offers the code sign-in.
        Ok(Opened::Refused { slug: Some(slug) }) => {
            Redirect::to(&format!("/portal/{slug}?link=expired")).into_response()
        }
        Ok(Opened::Refused { slug: None }) => Redirect::to("/portal?link=expired").into_response(),
        Err(e) => {
            tracing::error!(error = %e, "opening a portal link failed");
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}

/// `GET /portal/session/{token}`: opens a one-time link.
pub async fn open_link(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
) -> Response {
    let svc = &state.services;
    opened(svc, &headers, portal::open_link(svc, &token).await)
}

/// `GET /portal/link/{token}`: opens a receipt's signed link.
pub async fn open_signed_link(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
) -> Response {
    let svc = &state.services;
    opened(svc, &headers, portal::open_signed_link(svc, &token).await)
}

/// `GET /dashboard/customers/{id}/portal`: a signed-in merchant's read-only view of the portal
/// as this customer (audited). Behind the dashboard's session guard.
pub async fn impersonate(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let svc = &state.services;
    let Some(token) = app::server_fns::ctx::session_token_in(&headers) else {
        return Redirect::to("/login").into_response();
    };
    let run = async {
        let user = app::domain::accounts::session_user(svc, &token, None).await?;
        let id = CustomerId::parse(&id).map_err(|_| DomainError::NotFound { what: "customer" })?;
        portal::impersonate(svc, &user.caller, &id).await
    };
    match run.await {
        Ok((session, expires_at)) => signed_in(svc, &headers, &session, expires_at),
        Err(DomainError::Unauthenticated) => Redirect::to("/login").into_response(),
        Err(DomainError::NotFound { .. }) => StatusCode::NOT_FOUND.into_response(),
        Err(DomainError::Forbidden { .. }) => StatusCode::FORBIDDEN.into_response(),
        Err(e) => {
            tracing::error!(error = %e, "opening the portal as a customer failed");
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
