//! `/api/v1/customer_sessions`: one-time links into the hosted customer portal, minted by the
//! merchant's back end for one of its customers.

use app::domain::{Caller, portal};
use app::types::portal::{CustomerSession, CustomerSessionCreate};
use axum::extract::State;
use axum::http::StatusCode;
use axum::{Extension, Json};

use super::error::{ApiError, ErrorEnvelope};
use super::idempotency::CarriesSecret;
use super::json::ApiJson;
use crate::state::AppState;

/// Mint a portal link
///
/// Mint a one-time portal link for a customer (by `customer_id` or `external_id`). Send the
/// customer to `url` within the hour: it signs them in with a first-party cookie and works once.
/// With `embed_origin` (one of the workspace's `embed_origins`), `url` is instead the address
/// of a frame for a page of that origin (`/embed/<shop>#token=...`, or give `token` to
/// `embed.js`): the token then opens the portal only inside a page of that origin.
#[utoipa::path(
    post, path = "/customer_sessions", tag = "portal", request_body = CustomerSessionCreate,
    responses(
        (status = 201, description = "The link", body = CustomerSession),
        (status = 400, description = "Invalid input, or an embed_origin the workspace does not list", body = ErrorEnvelope),
        (status = 403, description = "The key lacks portal:write", body = ErrorEnvelope),
        (status = 404, description = "No such customer", body = ErrorEnvelope),
    ),
    security(("api_key" = []))
)]
pub async fn create_customer_session(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiJson(input): ApiJson<CustomerSessionCreate>,
) -> Result<(StatusCode, Extension<CarriesSecret>, Json<CustomerSession>), ApiError> {
    let session = portal::create_customer_session(&state.services, &caller, input).await?;
    // The answer is a sign-in link: never kept to be replayed.
    Ok((StatusCode::CREATED, Extension(CarriesSecret), Json(session)))
}
