//! `/api/v1/workspace`: the API key's own workspace: its name, its portal's address and look,
//! the sites allowed to embed its portal, and the seller's details its receipts print.

use app::domain::{Caller, workspaces};
use app::types::workspace::{WorkspaceSettings, WorkspaceSettingsUpdate};
use axum::extract::State;
use axum::{Extension, Json};

use super::error::{ApiError, ErrorEnvelope};
use super::json::ApiJson;
use crate::state::AppState;

/// The workspace's settings.
#[utoipa::path(
    get, path = "/workspace", tag = "workspace",
    responses(
        (status = 200, description = "The workspace", body = WorkspaceSettings),
        (status = 403, description = "The key lacks customers:read", body = ErrorEnvelope),
    ),
    security(("api_key" = []))
)]
pub async fn get_workspace(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> Result<Json<WorkspaceSettings>, ApiError> {
    Ok(Json(workspaces::settings(&state.services, &caller).await?))
}

/// Update the workspace's settings
///
/// Change the workspace's settings: only the fields given. For example
/// `{"embed_origins": ["https://shop.example"]}` lets that site show the portal inside its
/// pages (`POST /customer_sessions` with `embed_origin`), and
/// `{"legal_name": "Northwind Games Ltd", "tax_id": "GB123456789"}` prints those on every
/// receipt; an empty string clears a receipt detail.
#[utoipa::path(
    patch, path = "/workspace", tag = "workspace", request_body = WorkspaceSettingsUpdate,
    responses(
        (status = 200, description = "The workspace as changed", body = WorkspaceSettings),
        (status = 400, description = "Invalid input: the field is named", body = ErrorEnvelope),
        (status = 403, description = "The key lacks workspace:write", body = ErrorEnvelope),
        (status = 422, description = "The accent colour is too light to read on white (contrast below 4.5 to 1)", body = ErrorEnvelope),
    ),
    security(("api_key" = []))
)]
pub async fn update_workspace(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiJson(patch): ApiJson<WorkspaceSettingsUpdate>,
) -> Result<Json<WorkspaceSettings>, ApiError> {
    Ok(Json(
        workspaces::update_settings(&state.services, &caller, patch).await?,
    ))
}
