//! `/api/v1/bans`: bans across identities, their preview, edits and lifting.

use app::domain::paging::cursor;
use app::domain::{Caller, Limit, bans};
use app::types::ban::{Ban, BanCreate, BanPreview, BanPreviewRequest, BanUpdate};
use app::types::{BanId, CustomerId, Page};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use serde::Deserialize;
use utoipa::IntoParams;

use super::error::{ApiError, ErrorEnvelope};
use super::ids::{PathId, path_id};
use super::json::{ApiJson, ApiQuery};
use crate::state::AppState;

/// Which bans to list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BanListParams {
    /// A customer id: only the bans matching that customer (any status, active first).
    #[param(value_type = Option<app::types::CustomerId>)]
    customer: Option<String>,
    /// Page size, 1 to 100 (default 50).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100)]
    limit: Option<String>,
    /// A ban id: the page after it.
    #[param(value_type = Option<app::types::BanId>)]
    starting_after: Option<String>,
}

/// Create a ban
///
/// Ban a customer, a name, an email, an external id, an IP or CIDR range, or a card.
#[utoipa::path(
    post, path = "/bans", tag = "bans", request_body = BanCreate,
    responses(
        (status = 201, description = "The ban", body = Ban),
        (status = 400, description = "Invalid input", body = ErrorEnvelope),
    ),
    security(("api_key" = []))
)]
pub async fn create_ban(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiJson(input): ApiJson<BanCreate>,
) -> Result<(StatusCode, Json<Ban>), ApiError> {
    let ban = bans::create_ban(&state.services, &caller, input).await?;
    Ok((StatusCode::CREATED, Json(ban)))
}

/// List bans
///
/// List bans, newest first; with `customer`, the bans matching that customer.
#[utoipa::path(
    get, path = "/bans", tag = "bans", params(BanListParams),
    responses(
        (status = 200, description = "A page of bans", body = Page<Ban>),
        (status = 404, description = "No such customer", body = ErrorEnvelope),
    ),
    security(("api_key" = []))
)]
pub async fn list_bans(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiQuery(params): ApiQuery<BanListParams>,
) -> Result<Json<Page<Ban>>, ApiError> {
    let customer = cursor::<CustomerId>("customer", params.customer.as_deref())?;
    let limit = Limit::parse(params.limit.as_deref())?;
    let after = cursor::<BanId>("starting_after", params.starting_after.as_deref())?;
    Ok(Json(
        bans::list_bans(&state.services, &caller, customer.as_ref(), limit, after).await?,
    ))
}

/// Retrieve a ban.
#[utoipa::path(
    get, path = "/bans/{id}", tag = "bans",
    params(("id" = app::types::BanId, Path, description = "ban_...")),
    responses(
        (status = 200, description = "The ban", body = Ban),
        (status = 404, description = "No such ban", body = ErrorEnvelope),
    ),
    security(("api_key" = []))
)]
pub async fn get_ban(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    PathId(id): PathId<BanId>,
) -> Result<Json<Ban>, ApiError> {
    Ok(Json(bans::get_ban(&state.services, &caller, &id).await?))
}

/// Edit a ban's reason, expiry or identities.
#[utoipa::path(
    patch, path = "/bans/{id}", tag = "bans", request_body = BanUpdate,
    params(("id" = app::types::BanId, Path, description = "ban_...")),
    responses(
        (status = 200, description = "The ban", body = Ban),
        (status = 404, description = "No such ban", body = ErrorEnvelope),
        (status = 409, description = "Changed since read, or lifted", body = ErrorEnvelope),
    ),
    security(("api_key" = []))
)]
pub async fn update_ban(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    ApiJson(patch): ApiJson<BanUpdate>,
) -> Result<Json<Ban>, ApiError> {
    let id = path_id(&id, "ban")?;
    Ok(Json(
        bans::update_ban(&state.services, &caller, &id, patch).await?,
    ))
}

/// Lift a ban now.
#[utoipa::path(
    post, path = "/bans/{id}/lift", tag = "bans",
    params(("id" = app::types::BanId, Path, description = "ban_...")),
    responses(
        (status = 200, description = "The lifted ban", body = Ban),
        (status = 404, description = "No such ban", body = ErrorEnvelope),
    ),
    security(("api_key" = []))
)]
pub async fn lift_ban(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    PathId(id): PathId<BanId>,
) -> Result<Json<Ban>, ApiError> {
    Ok(Json(bans::lift_ban(&state.services, &caller, &id).await?))
}

/// Preview a ban
///
/// Which customers some identities would match, before banning them.
#[utoipa::path(
    post, path = "/bans/preview", tag = "bans", request_body = BanPreviewRequest,
    responses(
        (status = 200, description = "The customers matched", body = BanPreview),
        (status = 400, description = "Invalid identities", body = ErrorEnvelope),
    ),
    security(("api_key" = []))
)]
pub async fn preview_ban(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiJson(input): ApiJson<BanPreviewRequest>,
) -> Result<Json<BanPreview>, ApiError> {
    Ok(Json(
        bans::preview_ban(&state.services, &caller, &input.identities).await?,
    ))
}
