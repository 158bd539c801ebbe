//! `/api/v1/customer_sessions`: one-time links into the hosted customer portal, minted by the
//! merchant's back end for one of its customers.

use app::domain::{Caller, portal};
use app::types::portal::{CustomerSession, CustomerSessionCreate};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::{Extension, Json};

use super::error::{ApiError, ErrorEnvelope};
use super::json::ApiJson;
use crate::state::AppState;

/// The address this request reached Patron at (`https://billing.example.com`), as a proxy
/// in front of it says (`X-Forwarded-Proto`, `X-Forwarded-Host`) or else the `Host` header.
fn public_base(headers: &HeaderMap) -> String {
    let get = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.split(',').next().unwrap_or("").trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let scheme = get("x-forwarded-proto").unwrap_or_else(|| "http".to_owned());
    let host = get("x-forwarded-host")
        .or_else(|| get(header::HOST.as_str()))
        .unwrap_or_else(|| "localhost".to_owned());
    format!("{scheme}://{host}")
}

/// Mint a one-time portal link for a customer (by `customer_id` or `external_id`). Send the
/// customer to `url` within the hour: it signs them in with a first-party cookie and works once.
#[utoipa::path(
    post, path = "/customer_sessions", tag = "portal", request_body = CustomerSessionCreate,
    responses(
        (status = 201, description = "The link", body = CustomerSession),
        (status = 400, description = "Invalid input", body = ErrorEnvelope),
        (status = 403, description = "The key lacks portal:write", body = ErrorEnvelope),
        (status = 404, description = "No such customer", body = ErrorEnvelope),
    ),
    security(("api_key" = []))
)]
pub async fn create_customer_session(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    ApiJson(input): ApiJson<CustomerSessionCreate>,
) -> Result<(StatusCode, Json<CustomerSession>), ApiError> {
    let session =
        portal::create_customer_session(&state.services, &caller, input, &public_base(&headers))
            .await?;
    Ok((StatusCode::CREATED, Json(session)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_base_follows_the_proxy_then_the_host() {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, "127.0.0.1:3000".parse().unwrap());
        assert_eq!(public_base(&h), "http://127.0.0.1:3000");
        h.insert("x-forwarded-proto", "https".parse().unwrap());
        h.insert("x-forwarded-host", "billing.example.com".parse().unwrap());
        assert_eq!(public_base(&h), "https://billing.example.com");
    }
}
