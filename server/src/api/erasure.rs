//! GDPR erasure over REST: `POST /customers/{id}/erase` and the open requests end customers
//! made from the portal.

use app::domain::{Caller, erasure};
use app::types::portal::ErasureRequest;
use app::types::{Customer, CustomerId, Page};
use axum::extract::{Path, State};
use axum::{Extension, Json};
use serde::Deserialize;
use utoipa::ToSchema;

use super::error::{ApiError, ErrorEnvelope};
use super::ids::path_id;
use super::json::ApiJson;
use crate::state::AppState;

/// The confirmation an erasure needs.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EraseInput {
    /// Must be `true`: erasure cannot be undone.
    #[schema(value_type = app::types::schema::MustBeTrue)]
    pub confirm: bool,
}

/// Erase a customer
///
/// Erase a customer's personal data (GDPR Art. 17), irreversibly.
///
/// Live subscriptions are canceled first. The email, name, phone, tax id, username, profile
/// URL, external id, metadata, IP addresses and notes are cleared everywhere Patron keeps a
/// copy (audit diffs, stored webhook payloads, provider notifications, emails); portal links
/// and sessions stop working. Orders, refunds and amounts stay, on the anonymised customer
/// (`erased_at` set), so the books still add up; bans matching the person keep working. The
/// answer is the anonymised customer; erasing it again answers the same.
#[utoipa::path(
    post, path = "/customers/{id}/erase", tag = "customers", request_body = EraseInput,
    params(("id" = app::types::CustomerId, Path, description = "The customer id, cus_...")),
    responses(
        (status = 200, description = "The anonymised customer", body = Customer),
        (status = 400, description = "`confirm` is not true", body = ErrorEnvelope),
        (status = 403, description = "The key lacks customers:erase", body = ErrorEnvelope),
        (status = 404, description = "No such customer in this workspace", body = ErrorEnvelope),
    ),
    security(("api_key" = []))
)]
pub async fn erase_customer(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<EraseInput>,
) -> Result<Json<Customer>, ApiError> {
    let id: CustomerId = path_id(&id, "customer")?;
    Ok(Json(
        erasure::erase_customer(&state.services, &caller, &id, input.confirm).await?,
    ))
}

/// List erasure requests
///
/// The open erasure requests end customers made from the portal, soonest due first (at most
/// 500; each is due a month after it was made).
#[utoipa::path(
    get, path = "/erasure_requests", tag = "customers",
    responses(
        (status = 200, description = "The open requests", body = Page<ErasureRequest>),
    ),
    security(("api_key" = []))
)]
pub async fn list_erasure_requests(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> Result<Json<Page<ErasureRequest>>, ApiError> {
    let open = erasure::open_requests(&state.services, &caller).await?;
    Ok(Json(Page::new(open, false)))
}
