//! `/api/v1/webhook_endpoints` and `/api/v1/webhook_deliveries`: where Patron sends events,
//! and what became of each delivery. Scope `webhooks:write`.

use app::domain::paging::cursor;
use app::domain::{Caller, Limit, webhooks};
use app::types::webhook::{
    DeliveryStatus, WebhookDelivery, WebhookEndpoint, WebhookEndpointCreate, WebhookEndpointUpdate,
};
use app::types::{Page, WebhookDeliveryId, WebhookEndpointId};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::error::{ApiError, ErrorEnvelope};
use super::idempotency::CarriesSecret;
use super::ids::path_id;
use super::json::{ApiJson, ApiQuery};
use crate::state::AppState;

fn endpoint_id(raw: &str) -> Result<WebhookEndpointId, ApiError> {
    path_id(raw, "webhook endpoint")
}

fn delivery_id(raw: &str) -> Result<WebhookDeliveryId, ApiError> {
    path_id(raw, "webhook delivery")
}

/// Create an endpoint
///
/// Add an endpoint. The answer carries its signing secret (`whsec_...`), shown this once.
#[utoipa::path(
    post, path = "/webhook_endpoints", tag = "webhooks", request_body = WebhookEndpointCreate,
    responses(
        (status = 201, description = "The endpoint, with its secret", body = WebhookEndpoint),
        (status = 400, description = "Invalid input, such as a private address for url", body = ErrorEnvelope),
        (status = 403, description = "The key lacks webhooks:write", body = ErrorEnvelope),
    ),
    security(("api_key" = []))
)]
pub async fn create_endpoint(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiJson(input): ApiJson<WebhookEndpointCreate>,
) -> Result<(StatusCode, Extension<CarriesSecret>, Json<WebhookEndpoint>), ApiError> {
    let e = webhooks::create_endpoint(&state.services, &caller, input).await?;
    // The answer holds the signing secret: never kept to be replayed.
    Ok((StatusCode::CREATED, Extension(CarriesSecret), Json(e)))
}

/// List the workspace's endpoints.
#[utoipa::path(
    get, path = "/webhook_endpoints", tag = "webhooks",
    responses(
        (status = 200, description = "The endpoints, oldest first", body = Page<WebhookEndpoint>),
        (status = 403, description = "The key lacks webhooks:write", body = ErrorEnvelope),
    ),
    security(("api_key" = []))
)]
pub async fn list_endpoints(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> Result<Json<Page<WebhookEndpoint>>, ApiError> {
    Ok(Json(
        webhooks::list_endpoints(&state.services, &caller).await?,
    ))
}

/// Retrieve an endpoint (without its secret).
#[utoipa::path(
    get, path = "/webhook_endpoints/{id}", tag = "webhooks",
    params(("id" = app::types::WebhookEndpointId, Path, description = "we_...")),
    responses(
        (status = 200, description = "The endpoint", body = WebhookEndpoint),
        (status = 404, description = "No such endpoint", body = ErrorEnvelope),
    ),
    security(("api_key" = []))
)]
pub async fn get_endpoint(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Json<WebhookEndpoint>, ApiError> {
    let id = endpoint_id(&id)?;
    Ok(Json(
        webhooks::get_endpoint(&state.services, &caller, &id).await?,
    ))
}

/// Update an endpoint
///
/// Change an endpoint: only the fields given. Enabling an endpoint Patron disabled clears
/// the reason, and what waited for it is delivered.
#[utoipa::path(
    patch, path = "/webhook_endpoints/{id}", tag = "webhooks", request_body = WebhookEndpointUpdate,
    params(("id" = app::types::WebhookEndpointId, Path, description = "we_...")),
    responses(
        (status = 200, description = "The endpoint", body = WebhookEndpoint),
        (status = 400, description = "Invalid input", body = ErrorEnvelope),
        (status = 404, description = "No such endpoint", body = ErrorEnvelope),
    ),
    security(("api_key" = []))
)]
pub async fn update_endpoint(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<WebhookEndpointUpdate>,
) -> Result<Json<WebhookEndpoint>, ApiError> {
    let id = endpoint_id(&id)?;
    Ok(Json(
        webhooks::update_endpoint(&state.services, &caller, &id, input).await?,
    ))
}

/// Delete an endpoint
///
/// Delete an endpoint, with its deliveries and their log.
#[utoipa::path(
    delete, path = "/webhook_endpoints/{id}", tag = "webhooks",
    params(("id" = app::types::WebhookEndpointId, Path, description = "we_...")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such endpoint", body = ErrorEnvelope),
    ),
    security(("api_key" = []))
)]
pub async fn delete_endpoint(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = endpoint_id(&id)?;
    webhooks::delete_endpoint(&state.services, &caller, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Rotate an endpoint's signing secret
///
/// Replace the signing secret. For 24 hours every delivery is signed with both the old and
/// the new secret (two `v1,` signatures), so your back end can switch without a gap.
#[utoipa::path(
    post, path = "/webhook_endpoints/{id}/rotate_secret", tag = "webhooks",
    params(("id" = app::types::WebhookEndpointId, Path, description = "we_...")),
    responses(
        (status = 200, description = "The endpoint, with its new secret", body = WebhookEndpoint),
        (status = 404, description = "No such endpoint", body = ErrorEnvelope),
    ),
    security(("api_key" = []))
)]
pub async fn rotate_secret(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<(Extension<CarriesSecret>, Json<WebhookEndpoint>), ApiError> {
    let id = endpoint_id(&id)?;
    Ok((
        Extension(CarriesSecret),
        Json(webhooks::rotate_secret(&state.services, &caller, &id).await?),
    ))
}

/// Which deliveries to list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeliveryListParams {
    /// Only `pending`, `succeeded` or `failed` ones.
    status: Option<DeliveryStatus>,
    /// Page size, 1 to 100 (default 50).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100)]
    limit: Option<String>,
    /// A delivery id: the page after it (older ones).
    #[param(value_type = Option<app::types::WebhookDeliveryId>)]
    starting_after: Option<String>,
}

/// List an endpoint's deliveries, newest first.
#[utoipa::path(
    get, path = "/webhook_endpoints/{id}/deliveries", tag = "webhooks",
    params(("id" = app::types::WebhookEndpointId, Path, description = "we_..."), DeliveryListParams),
    responses(
        (status = 200, description = "A page of deliveries", body = Page<WebhookDelivery>),
        (status = 404, description = "No such endpoint", body = ErrorEnvelope),
    ),
    security(("api_key" = []))
)]
pub async fn list_deliveries(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    ApiQuery(params): ApiQuery<DeliveryListParams>,
) -> Result<Json<Page<WebhookDelivery>>, ApiError> {
    let id = endpoint_id(&id)?;
    let limit = Limit::parse(params.limit.as_deref())?;
    let after = cursor::<WebhookDeliveryId>("starting_after", params.starting_after.as_deref())?;
    Ok(Json(
        webhooks::list_deliveries(
            &state.services,
            &caller,
            &id,
            params.status,
            limit,
            after.as_ref(),
        )
        .await?,
    ))
}

/// Since when to resend failed deliveries.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResendFailed {
    /// Failed deliveries of events from this time on are sent again.
    pub since: DateTime<Utc>,
}

/// How many deliveries were queued again.
#[derive(Debug, Serialize, ToSchema)]
pub struct Resent {
    /// Deliveries queued.
    pub resent: u64,
}

/// Resend an endpoint's failed deliveries
///
/// Send again every failed delivery of an endpoint since a time (after fixing the endpoint).
#[utoipa::path(
    post, path = "/webhook_endpoints/{id}/resend_failed", tag = "webhooks", request_body = ResendFailed,
    params(("id" = app::types::WebhookEndpointId, Path, description = "we_...")),
    responses(
        (status = 200, description = "How many were queued", body = Resent),
        (status = 404, description = "No such endpoint", body = ErrorEnvelope),
    ),
    security(("api_key" = []))
)]
pub async fn resend_failed(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<ResendFailed>,
) -> Result<Json<Resent>, ApiError> {
    let id = endpoint_id(&id)?;
    let resent = webhooks::resend_failed_since(&state.services, &caller, &id, input.since).await?;
    Ok(Json(Resent { resent }))
}

/// Retrieve a delivery
///
/// Retrieve a delivery with every attempt (time, status, latency, the answer's first 2 KB).
#[utoipa::path(
    get, path = "/webhook_deliveries/{id}", tag = "webhooks",
    params(("id" = app::types::WebhookDeliveryId, Path, description = "whd_...")),
    responses(
        (status = 200, description = "The delivery", body = WebhookDelivery),
        (status = 404, description = "No such delivery", body = ErrorEnvelope),
    ),
    security(("api_key" = []))
)]
pub async fn get_delivery(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Json<WebhookDelivery>, ApiError> {
    let id = delivery_id(&id)?;
    Ok(Json(
        webhooks::get_delivery(&state.services, &caller, &id).await?,
    ))
}

/// Resend a delivery
///
/// Send a succeeded or failed delivery again now (the same `webhook-id` and body); a pending
/// one is already queued and stays as it is.
#[utoipa::path(
    post, path = "/webhook_deliveries/{id}/resend", tag = "webhooks",
    params(("id" = app::types::WebhookDeliveryId, Path, description = "whd_...")),
    responses(
        (status = 200, description = "The delivery, queued", body = WebhookDelivery),
        (status = 404, description = "No such delivery", body = ErrorEnvelope),
    ),
    security(("api_key" = []))
)]
pub async fn resend(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Json<WebhookDelivery>, ApiError> {
    let id = delivery_id(&id)?;
    Ok(Json(webhooks::resend(&state.services, &caller, &id).await?))
}
