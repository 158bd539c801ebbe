//! `/api/v1/segments` (saved list filters, with their live count) and `/api/v1/bulk_actions`
//! (one change over many customers, run as a job with progress and a per-customer report).

use app::domain::paging::cursor;
use app::domain::{Caller, Limit, bulk_actions, segments};
use app::types::segment::{
    BulkAction, BulkActionCreate, BulkActionItem, BulkItemStatus, BulkPreview, Segment,
    SegmentCreate, SegmentUpdate,
};
use app::types::{BulkActionId, CustomerId, Page, SegmentId};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use serde::Deserialize;
use utoipa::IntoParams;

use super::error::{ApiError, ErrorEnvelope};
use super::ids::path_id;
use super::json::{ApiJson, ApiQuery};
use super::list::{ListParams, page};
use crate::state::AppState;

fn segment_id(raw: &str) -> Result<SegmentId, ApiError> {
    path_id(raw, "segment")
}

fn bulk_id(raw: &str) -> Result<BulkActionId, ApiError> {
    path_id(raw, "bulk action")
}

/// Create a segment
///
/// Save the customer list's filters as a named segment, shared with the workspace.
#[utoipa::path(
    post, path = "/segments", tag = "segments", request_body = SegmentCreate,
    responses(
        (status = 201, description = "The segment, counted", body = Segment),
        (status = 400, description = "Invalid input", body = ErrorEnvelope),
        (status = 409, description = "The name is taken, or the workspace has 100 segments", body = ErrorEnvelope),
    ),
    security(("api_key" = []))
)]
pub async fn create_segment(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiJson(input): ApiJson<SegmentCreate>,
) -> Result<(StatusCode, Json<Segment>), ApiError> {
    let s = segments::create_segment(&state.services, &caller, input).await?;
    Ok((StatusCode::CREATED, Json(s)))
}

/// List segments
///
/// List the workspace's segments by name, each with its count (at most a minute old).
#[utoipa::path(
    get, path = "/segments", tag = "segments",
    params(("limit" = Option<u32>, Query, minimum = 1, maximum = 100, description = "Page size, 1 to 100 (default 50)"), ("starting_after" = Option<app::types::SegmentId>, Query, description = "The last id of the page before: the page after it")),
    responses((status = 200, description = "The segments", body = Page<Segment>)),
    security(("api_key" = []))
)]
pub async fn list_segments(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiQuery(list): ApiQuery<ListParams>,
) -> Result<Json<Page<Segment>>, ApiError> {
    let rows = segments::list_segments(&state.services, &caller).await?;
    Ok(Json(page(rows, |s| &s.id, &list)?))
}

/// Retrieve a segment with its count.
#[utoipa::path(
    get, path = "/segments/{id}", tag = "segments",
    params(("id" = app::types::SegmentId, Path, description = "seg_...")),
    responses(
        (status = 200, description = "The segment", body = Segment),
        (status = 404, description = "No such segment", body = ErrorEnvelope),
    ),
    security(("api_key" = []))
)]
pub async fn get_segment(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Json<Segment>, ApiError> {
    let id = segment_id(&id)?;
    Ok(Json(
        segments::get_segment(&state.services, &caller, &id).await?,
    ))
}

/// Rename a segment or replace its filters.
#[utoipa::path(
    patch, path = "/segments/{id}", tag = "segments", request_body = SegmentUpdate,
    params(("id" = app::types::SegmentId, Path, description = "seg_...")),
    responses(
        (status = 200, description = "The segment", body = Segment),
        (status = 400, description = "Invalid input", body = ErrorEnvelope),
        (status = 404, description = "No such segment", body = ErrorEnvelope),
        (status = 409, description = "The name is taken", body = ErrorEnvelope),
    ),
    security(("api_key" = []))
)]
pub async fn update_segment(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<SegmentUpdate>,
) -> Result<Json<Segment>, ApiError> {
    let id = segment_id(&id)?;
    Ok(Json(
        segments::update_segment(&state.services, &caller, &id, input).await?,
    ))
}

/// Delete a segment
///
/// Delete a segment; its customers are untouched.
#[utoipa::path(
    delete, path = "/segments/{id}", tag = "segments",
    params(("id" = app::types::SegmentId, Path, description = "seg_...")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such segment", body = ErrorEnvelope),
    ),
    security(("api_key" = []))
)]
pub async fn delete_segment(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = segment_id(&id)?;
    segments::delete_segment(&state.services, &caller, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Start a bulk action
///
/// Start a bulk action on listed customers, a segment's or a filter's (at most 10,000): the
/// customers are fixed now, and the action runs as a job; follow it with `GET`.
#[utoipa::path(
    post, path = "/bulk_actions", tag = "segments", request_body = BulkActionCreate,
    responses(
        (status = 202, description = "Started", body = BulkAction),
        (status = 400, description = "Invalid input", body = ErrorEnvelope),
        (status = 409, description = "More customers than one action takes, or a product that grants nothing", body = ErrorEnvelope),
    ),
    security(("api_key" = []))
)]
pub async fn create_bulk_action(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiJson(input): ApiJson<BulkActionCreate>,
) -> Result<(StatusCode, Json<BulkAction>), ApiError> {
    let a = bulk_actions::create_bulk_action(&state.services, &caller, input).await?;
    Ok((StatusCode::ACCEPTED, Json(a)))
}

/// Preview a bulk action
///
/// How many customers a bulk action would touch, without starting it.
#[utoipa::path(
    post, path = "/bulk_actions/preview", tag = "segments", request_body = BulkActionCreate,
    responses(
        (status = 200, description = "The count", body = BulkPreview),
        (status = 400, description = "Invalid input", body = ErrorEnvelope),
    ),
    security(("api_key" = []))
)]
pub async fn preview_bulk_action(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiJson(input): ApiJson<BulkActionCreate>,
) -> Result<Json<BulkPreview>, ApiError> {
    Ok(Json(
        bulk_actions::preview_bulk_action(&state.services, &caller, input).await?,
    ))
}

/// List bulk actions
///
/// List the workspace's bulk actions, newest first.
#[utoipa::path(
    get, path = "/bulk_actions", tag = "segments",
    params(("limit" = Option<u32>, Query, minimum = 1, maximum = 100, description = "Page size, 1 to 100 (default 50)"), ("starting_after" = Option<app::types::BulkActionId>, Query, description = "The last id of the page before: the page after it")),
    responses((status = 200, description = "The bulk actions", body = Page<BulkAction>)),
    security(("api_key" = []))
)]
pub async fn list_bulk_actions(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiQuery(list): ApiQuery<ListParams>,
) -> Result<Json<Page<BulkAction>>, ApiError> {
    let limit = Limit::parse(list.limit.as_deref())?;
    let after = cursor::<BulkActionId>("starting_after", list.starting_after.as_deref())?;
    Ok(Json(
        bulk_actions::list_bulk_actions(&state.services, &caller, limit, after).await?,
    ))
}

/// Retrieve a bulk action and its progress.
#[utoipa::path(
    get, path = "/bulk_actions/{id}", tag = "segments",
    params(("id" = app::types::BulkActionId, Path, description = "bulk_...")),
    responses(
        (status = 200, description = "The bulk action", body = BulkAction),
        (status = 404, description = "No such bulk action", body = ErrorEnvelope),
    ),
    security(("api_key" = []))
)]
pub async fn get_bulk_action(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Json<BulkAction>, ApiError> {
    let id = bulk_id(&id)?;
    Ok(Json(
        bulk_actions::get_bulk_action(&state.services, &caller, &id).await?,
    ))
}

/// Cancel a bulk action
///
/// Stop a running bulk action: the customers it has not reached are skipped.
#[utoipa::path(
    post, path = "/bulk_actions/{id}/cancel", tag = "segments",
    params(("id" = app::types::BulkActionId, Path, description = "bulk_...")),
    responses(
        (status = 200, description = "Cancel requested", body = BulkAction),
        (status = 404, description = "No such bulk action", body = ErrorEnvelope),
        (status = 409, description = "It has already finished", body = ErrorEnvelope),
    ),
    security(("api_key" = []))
)]
pub async fn cancel_bulk_action(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Json<BulkAction>, ApiError> {
    let id = bulk_id(&id)?;
    let a = bulk_actions::cancel_bulk_action(&state.services, &caller, &id).await?;
    Ok(Json(a))
}

/// `limit`, `starting_after` and `status` for a bulk action's report.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ItemListParams {
    /// Only `pending`, `succeeded`, `failed` or `skipped` customers.
    status: Option<BulkItemStatus>,
    /// Page size, 1 to 100 (default 50).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100)]
    limit: Option<String>,
    /// A customer id: the page after it.
    #[param(value_type = Option<app::types::CustomerId>)]
    starting_after: Option<String>,
}

/// List a bulk action's items
///
/// What a bulk action did to each customer, in customer-id order.
#[utoipa::path(
    get, path = "/bulk_actions/{id}/items", tag = "segments",
    params(("id" = app::types::BulkActionId, Path, description = "bulk_..."), ItemListParams),
    responses(
        (status = 200, description = "A page of the report", body = Page<BulkActionItem>),
        (status = 404, description = "No such bulk action", body = ErrorEnvelope),
    ),
    security(("api_key" = []))
)]
pub async fn bulk_action_items(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    ApiQuery(params): ApiQuery<ItemListParams>,
) -> Result<Json<Page<BulkActionItem>>, ApiError> {
    let id = bulk_id(&id)?;
    let limit = Limit::parse(params.limit.as_deref())?;
    let after = cursor::<CustomerId>("starting_after", params.starting_after.as_deref())?;
    Ok(Json(
        bulk_actions::bulk_action_items(&state.services, &caller, &id, params.status, limit, after)
            .await?,
    ))
}
