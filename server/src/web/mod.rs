//! The plain HTTP routes beside the REST API ([`crate::api`]) and the server functions
//! (`/rpc`): the dashboard's guard, its downloads and uploads (the customer list as CSV, a
//! customer's data, the import and its report), the portal's links, its data export and
//! receipt PDFs, signed download links, the health check, and the layers every answer passes
//! (request id, security headers).
//!
//! Who is asking is read one way for all of them, with the rules of [`app::cookies`]:
//! [`DashboardUser`] (the merchant user of the session cookie), [`PortalVisitor`] (the end
//! customer of the portal session) and [`FromThisSite`] (a request from Patron's own pages).
//! An error a route does not answer with a page or a redirect of its own is answered through
//! the one table of statuses, [`ApiError`] (the REST error envelope).

pub mod api_docs;
pub mod dashboard_guard;
pub mod downloads;
pub mod export;
pub mod health;
pub mod imports;
pub mod portal;
pub mod receipt_pdf;
pub mod request_id;
pub mod security_headers;

use app::cookies::{portal_token_in, same_origin, session_token_in};
use app::domain::DomainError;
use app::domain::accounts::{SignedIn, session_user};
use app::domain::portal::{PortalCustomer, session_customer};
use axum::extract::FromRequestParts;
use axum::http::HeaderMap;
use axum::http::request::Parts;

use crate::api::error::ApiError;
use crate::state::AppState;

/// The signed-in merchant user of a dashboard request, from the session cookie. As an
/// extractor it refuses a request without a live session with the REST error envelope (401
/// `authentication_required`); a route that answers that otherwise (the dashboard's guard
/// redirects to the login page) calls [`DashboardUser::find`].
#[derive(Debug, Clone)]
pub struct DashboardUser(pub SignedIn);

impl DashboardUser {
    /// The user whose session cookie `headers` carry, or `Unauthenticated` (no cookie, or no
    /// live session behind it).
    pub async fn find(state: &AppState, headers: &HeaderMap) -> Result<Self, DomainError> {
        let svc = &state.services;
        let token =
            session_token_in(headers, &svc.public_url).ok_or(DomainError::Unauthenticated)?;
        Ok(Self(session_user(svc, &token, None).await?))
    }
}

impl FromRequestParts<AppState> for DashboardUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        Self::find(state, &parts.headers)
            .await
            .map_err(ApiError::from)
    }
}

/// The end customer signed in to the portal (their own session, an embedded portal's, or a
/// merchant's read-only view), from the portal's session header or cookie. As an extractor
/// it refuses a request without a live portal session with the REST error envelope (401
/// `authentication_required`); a route that answers that otherwise (a redirect to the portal,
/// a 404) calls [`PortalVisitor::find`].
#[derive(Debug, Clone)]
pub struct PortalVisitor(pub PortalCustomer);

impl PortalVisitor {
    /// The customer whose portal session `headers` carry, or `Unauthenticated` (no session
    /// header or cookie, or no live session behind it).
    pub async fn find(state: &AppState, headers: &HeaderMap) -> Result<Self, DomainError> {
        let svc = &state.services;
        let token =
            portal_token_in(headers, &svc.public_url).ok_or(DomainError::Unauthenticated)?;
        Ok(Self(session_customer(svc, &token).await?))
    }
}

impl FromRequestParts<AppState> for PortalVisitor {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        Self::find(state, &parts.headers)
            .await
            .map_err(ApiError::from)
    }
}

/// A request sent by Patron's own pages ([`same_origin`]): the browser sends the cookies
/// along with another site's form too, so whatever changes state asks for this. As an
/// extractor it refuses another site's page with the REST error envelope (403
/// `cross_origin_request`).
#[derive(Debug, Clone, Copy)]
pub struct FromThisSite;

impl FromRequestParts<AppState> for FromThisSite {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        same_origin(&parts.headers, &state.services.public_url)?;
        Ok(Self)
    }
}
