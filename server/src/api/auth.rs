//! API key authentication (`Authorization: Bearer <key>`) for every `/api/v1` resource route.

use std::net::SocketAddr;

use app::domain::api_keys::authenticate_api_key;
use app::domain::{Actor, rate_limit};
use app::types::AppError;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::header::AUTHORIZATION;
use axum::middleware::Next;
use axum::response::Response;

use super::error::ApiError;
use crate::state::AppState;

/// Middleware: resolves the key to a `Caller` request extension, or answers 401.
pub async fn require_api_key(
    State(state): State<AppState>,
    mut req: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let secret = req
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .ok_or_else(ApiError::missing_api_key)?;
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip());
    let ip = state.services.client_ip(req.headers(), peer);
    let caller = authenticate_api_key(&state.services, secret, ip)
        .await
        .map_err(|e| match AppError::from(e) {
            AppError::Unauthenticated => ApiError::invalid_api_key(),
            other => ApiError::from(other),
        })?;
    if let Actor::ApiKey { id, .. } = &caller.actor {
        let svc = &state.services;
        rate_limit::take(&svc.db, svc, &svc.api_rate, id.as_str()).await?;
    }
    req.extensions_mut().insert(caller);
    Ok(next.run(req).await)
}
