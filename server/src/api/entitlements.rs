//! `/api/v1/entitlements` and `/api/v1/commands`: a customer's inventory, manual grants,
//! revocation, licence keys, download links, Discord links and the game-server command queue.

use app::domain::paging::cursor;
use app::domain::{Caller, Limit, entitlements};
use app::types::entitlement::{
    CommandReport, DiscordLink, DownloadLink, EntitlementGrant, EntitlementRevoke, GameCommand,
    LicenseKeyReveal,
};
use app::types::{CommandId, CustomerId, Entitlement, EntitlementId, Page};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use serde::Deserialize;
use utoipa::IntoParams;

use super::error::{ApiError, ErrorEnvelope};
use super::idempotency::CarriesSecret;
use super::ids::{PathId, path_id};
use super::json::{ApiJson, ApiQuery};
use super::list::{ListParams, page};
use crate::state::AppState;

/// List a customer's inventory, newest first.
#[utoipa::path(
    get, path = "/customers/{id}/entitlements", tag = "entitlements",
    params(("id" = app::types::CustomerId, Path, description = "cus_..."), ("limit" = Option<u32>, Query, minimum = 1, maximum = 100, description = "Page size, 1 to 100 (default 50)"), ("starting_after" = Option<app::types::EntitlementId>, Query, description = "The last id of the page before: the page after it")),
    responses(
        (status = 200, description = "The entitlements", body = Page<Entitlement>),
        (status = 404, description = "No such customer", body = ErrorEnvelope),
    ),
    security(("api_key" = []))
)]
pub async fn list_entitlements(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    ApiQuery(list): ApiQuery<ListParams>,
) -> Result<Json<Page<Entitlement>>, ApiError> {
    let id: CustomerId = path_id(&id, "customer")?;
    let rows = entitlements::list_entitlements(&state.services, &caller, &id).await?;
    Ok(Json(page(rows, |r| &r.id, &list)?))
}

/// Grant an entitlement
///
/// Assign a product's benefits to a customer without a sale.
#[utoipa::path(
    post, path = "/customers/{id}/entitlements", tag = "entitlements",
    request_body = EntitlementGrant,
    params(("id" = app::types::CustomerId, Path, description = "cus_...")),
    responses(
        (status = 201, description = "One entitlement per benefit of the product", body = Vec<Entitlement>),
        (status = 400, description = "A field is invalid", body = ErrorEnvelope),
        (status = 404, description = "No such customer", body = ErrorEnvelope),
    ),
    security(("api_key" = []))
)]
pub async fn grant_entitlement(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<EntitlementGrant>,
) -> Result<(StatusCode, Json<Vec<Entitlement>>), ApiError> {
    let id: CustomerId = path_id(&id, "customer")?;
    let granted = entitlements::grant_entitlement(&state.services, &caller, &id, input).await?;
    Ok((StatusCode::CREATED, Json(granted)))
}

/// Retrieve an entitlement
///
/// Retrieve an entitlement with its game-server commands.
#[utoipa::path(
    get, path = "/entitlements/{id}", tag = "entitlements",
    params(("id" = app::types::EntitlementId, Path, description = "ent_...")),
    responses(
        (status = 200, description = "The entitlement", body = Entitlement),
        (status = 404, description = "No such entitlement", body = ErrorEnvelope),
    ),
    security(("api_key" = []))
)]
pub async fn get_entitlement(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    PathId(id): PathId<EntitlementId>,
) -> Result<Json<Entitlement>, ApiError> {
    Ok(Json(
        entitlements::get_entitlement(&state.services, &caller, &id).await?,
    ))
}

/// Revoke an entitlement
///
/// Revoke an active entitlement now, running its revoke action (not when expired).
#[utoipa::path(
    post, path = "/entitlements/{id}/revoke", tag = "entitlements",
    request_body = EntitlementRevoke,
    params(("id" = app::types::EntitlementId, Path, description = "ent_...")),
    responses(
        (status = 200, description = "Revoked", body = Entitlement),
        (status = 404, description = "No such entitlement", body = ErrorEnvelope),
        (status = 409, description = "Expired or already revoked", body = ErrorEnvelope),
    ),
    security(("api_key" = []))
)]
pub async fn revoke_entitlement(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<EntitlementRevoke>,
) -> Result<Json<Entitlement>, ApiError> {
    let id = path_id(&id, "entitlement")?;
    Ok(Json(
        entitlements::revoke_entitlement(&state.services, &caller, &id, input).await?,
    ))
}

/// Link a Discord user to an entitlement
///
/// Link (or with `null`, unlink) the Discord user a Discord-role entitlement is for.
#[utoipa::path(
    post, path = "/entitlements/{id}/discord", tag = "entitlements",
    request_body = DiscordLink,
    params(("id" = app::types::EntitlementId, Path, description = "ent_...")),
    responses(
        (status = 200, description = "Linked", body = Entitlement),
        (status = 400, description = "Not a Discord id, or not a Discord-role entitlement", body = ErrorEnvelope),
        (status = 404, description = "No such entitlement", body = ErrorEnvelope),
    ),
    security(("api_key" = []))
)]
pub async fn link_discord(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<DiscordLink>,
) -> Result<Json<Entitlement>, ApiError> {
    let id = path_id(&id, "entitlement")?;
    Ok(Json(
        entitlements::link_discord(&state.services, &caller, &id, input).await?,
    ))
}

/// Reveal an entitlement's full licence key.
#[utoipa::path(
    get, path = "/entitlements/{id}/license_key", tag = "entitlements",
    params(("id" = app::types::EntitlementId, Path, description = "ent_...")),
    responses(
        (status = 200, description = "The key", body = LicenseKeyReveal),
        (status = 404, description = "No such entitlement or no key", body = ErrorEnvelope),
    ),
    security(("api_key" = []))
)]
pub async fn reveal_license_key(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    PathId(id): PathId<EntitlementId>,
) -> Result<Json<LicenseKeyReveal>, ApiError> {
    Ok(Json(
        entitlements::reveal_license_key(&state.services, &caller, &id).await?,
    ))
}

/// A signed download link, valid for 15 minutes.
#[utoipa::path(
    post, path = "/entitlements/{id}/download_link", tag = "entitlements",
    params(("id" = app::types::EntitlementId, Path, description = "ent_...")),
    responses(
        (status = 201, description = "The link", body = DownloadLink),
        (status = 404, description = "No such entitlement", body = ErrorEnvelope),
        (status = 409, description = "Not a download, or not active", body = ErrorEnvelope),
    ),
    security(("api_key" = []))
)]
pub async fn create_download_link(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    PathId(id): PathId<EntitlementId>,
) -> Result<(StatusCode, Extension<CarriesSecret>, Json<DownloadLink>), ApiError> {
    let link = entitlements::create_download_link(&state.services, &caller, &id).await?;
    // A signed link is a bearer secret: never kept to be replayed.
    Ok((StatusCode::CREATED, Extension(CarriesSecret), Json(link)))
}

/// Which server's commands to fetch.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CommandParams {
    /// The game server's name, as in the product's benefit.
    #[param(value_type = String, required = true, min_length = 1, max_length = 100)]
    server: Option<String>,
    /// Page size (published with the operation).
    #[param(ignore)]
    limit: Option<String>,
    /// The last id of the page before (published with the operation).
    #[param(ignore)]
    starting_after: Option<String>,
}

/// List pending commands
///
/// The commands waiting for a game server, oldest first.
#[utoipa::path(
    get, path = "/commands", tag = "entitlements",
    params(
        CommandParams,
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 100, description = "Page size, 1 to 100 (default 50)"),
        ("starting_after" = Option<app::types::CommandId>, Query, description = "The last id of the page before: the page after it"),
    ),
    responses(
        (status = 200, description = "A page of pending commands", body = Page<GameCommand>),
        (status = 400, description = "No server given", body = ErrorEnvelope),
        (status = 403, description = "The key lacks commands:write", body = ErrorEnvelope),
    ),
    security(("api_key" = []))
)]
pub async fn pending_commands(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiQuery(params): ApiQuery<CommandParams>,
) -> Result<Json<Page<GameCommand>>, ApiError> {
    let server = params.server.unwrap_or_default();
    let limit = Limit::parse(params.limit.as_deref())?;
    let after = cursor::<CommandId>("starting_after", params.starting_after.as_deref())?;
    Ok(Json(
        entitlements::pending_commands(&state.services, &caller, &server, limit, after.as_ref())
            .await?,
    ))
}

/// Report a command's result
///
/// Report that a game server ran (or failed to run) a command.
#[utoipa::path(
    post, path = "/commands/{id}/report", tag = "entitlements",
    request_body = CommandReport,
    params(("id" = app::types::CommandId, Path, description = "cmd_...")),
    responses(
        (status = 200, description = "Recorded", body = GameCommand),
        (status = 404, description = "No such command", body = ErrorEnvelope),
        (status = 409, description = "Already reported", body = ErrorEnvelope),
    ),
    security(("api_key" = []))
)]
pub async fn report_command(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<CommandReport>,
) -> Result<Json<GameCommand>, ApiError> {
    let id = path_id(&id, "command")?;
    Ok(Json(
        entitlements::report_command(&state.services, &caller, &id, input).await?,
    ))
}
