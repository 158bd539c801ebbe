//! `Idempotency-Key` on POST and PATCH: replays, mismatches and in-flight keys (see the
//! domain module for the rules). Runs after authentication: keys are per caller.

use app::domain::Caller;
use app::domain::idempotency::{self, Claim};
use app::domain::secrets::sha256_hex_bytes;
use app::types::ErrorCode;
use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::ApiError;
use super::json::BODY_LIMIT;
use crate::state::AppState;

/// Request header carrying the key.
pub const KEY_HEADER: &str = "idempotency-key";
/// Response header marking a replayed answer.
pub const REPLAYED_HEADER: &str = "idempotent-replayed";

/// Marks an answer that carries a secret (a signing secret, a portal token): it is never
/// stored to be replayed, and a retry under its key is refused with 409
/// `idempotency_key_spent`. A handler adds it with `Extension(CarriesSecret)`.
#[derive(Debug, Clone, Copy)]
pub struct CarriesSecret;

/// Middleware: runs a keyed request once and replays its answer afterwards.
pub async fn idempotent(
    State(state): State<AppState>,
    req: Request,
    next: Next,
) -> Result<Response, ApiError> {
    if !matches!(*req.method(), Method::POST | Method::PATCH) {
        return Ok(next.run(req).await);
    }
    let Some(key) = req.headers().get(KEY_HEADER) else {
        return Ok(next.run(req).await);
    };
    let key = key
        .to_str()
        .map_err(|_| ApiError::header_invalid("Idempotency-Key", "must be visible ASCII"))?
        .to_owned();
    let Some(caller) = req.extensions().get::<Caller>().cloned() else {
        return Err(ApiError::missing_api_key());
    };
    let (mut parts, body) = req.into_parts();
    let bytes = to_bytes(body, BODY_LIMIT)
        .await
        .map_err(|_| ApiError::body_invalid("the body is larger than 1 MiB", None))?;
    // The whole request: method, path, query and body.
    let target = parts
        .uri
        .path_and_query()
        .map_or_else(|| parts.uri.path(), |pq| pq.as_str());
    let mut fingerprint_input = format!("{} {target}\n", parts.method).into_bytes();
    fingerprint_input.extend_from_slice(&bytes);
    // Raw bytes: two different bodies that are not valid UTF-8 must not look alike.
    let fingerprint = sha256_hex_bytes(&fingerprint_input);

    let svc = &state.services;
    match idempotency::claim(svc, &caller, &key, &fingerprint).await? {
        Claim::Replay { status, body } => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
            let mut res = (status, body).into_response();
            res.headers_mut()
                .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
            res.headers_mut()
                .insert(REPLAYED_HEADER, HeaderValue::from_static("true"));
            Ok(res)
        }
        Claim::Fresh => {
            // The domain binds any money attempt the request starts to its key.
            parts.extensions.insert(Caller {
                idempotency_key: Some(key.clone()),
                ..caller.clone()
            });
            let res = next
                .run(Request::from_parts(parts, Body::from(bytes)))
                .await;
            let (parts, body) = res.into_parts();
            let bytes = match to_bytes(body, usize::MAX).await {
                Ok(b) => b,
                Err(e) => {
                    idempotency::release(svc, &caller, &key).await?;
                    tracing::error!(error = %e, "reading a response body failed");
                    return Err(ApiError::from(app::types::AppError::Internal));
                }
            };
            // A lost race, or an earlier attempt under the key still running: not an answer to
            // keep.
            let transient = parts.status == StatusCode::CONFLICT
                && serde_json::from_slice::<serde_json::Value>(&bytes)
                    .ok()
                    .and_then(|v| v["error"]["code"].as_str()?.parse::<ErrorCode>().ok())
                    .is_some_and(|c| c.is_transient() || c == ErrorCode::IdempotencyKeyInFlight);
            if parts.status.is_server_error() || transient {
                idempotency::release(svc, &caller, &key).await?;
            } else if parts.extensions.get::<CarriesSecret>().is_some() {
                idempotency::complete_secret(svc, &caller, &key).await?;
            } else {
                let text = String::from_utf8_lossy(&bytes).into_owned();
                idempotency::complete(svc, &caller, &key, parts.status.as_u16(), text).await?;
            }
            Ok(Response::from_parts(parts, Body::from(bytes)))
        }
    }
}
