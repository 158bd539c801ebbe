//! `/api/v1/checkouts`: record a purchase.

use app::domain::{Caller, checkouts};
use app::types::order::{Checkout, CheckoutCreate};
use axum::extract::State;
use axum::http::StatusCode;
use axum::{Extension, Json};

use super::error::{ApiError, ErrorEnvelope};
use super::json::ApiJson;
use crate::state::AppState;

/// Create a checkout
///
/// Record a purchase: finds or creates the customer (by external id, else email), refuses
/// blocked payment details, charges, and creates the order, subscription and entitlements.
#[utoipa::path(
    post, path = "/checkouts", tag = "checkouts",
    request_body = CheckoutCreate,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe: strongly advised, a retry without it charges twice")),
    responses(
        (status = 201, description = "Paid", body = Checkout),
        (status = 400, description = "A field is invalid; `param` names it", body = ErrorEnvelope),
        (status = 402, description = "Declined (recorded as a failed order), or a blocked payment detail (nothing recorded)", body = ErrorEnvelope),
        (status = 403, description = "The key lacks checkouts:write", body = ErrorEnvelope),
    ),
    security(("api_key" = []))
)]
pub async fn create_checkout(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiJson(input): ApiJson<CheckoutCreate>,
) -> Result<(StatusCode, Json<Checkout>), ApiError> {
    let c = checkouts::create_checkout(&state.services, &caller, input).await?;
    Ok((StatusCode::CREATED, Json(c)))
}
