//! Merging duplicate customers over REST: preview, merge, undo.

use app::domain::{Caller, merges};
use app::types::merge::{CustomerMerge, MergePreview, MergeRequest};
use app::types::{CustomerId, MergeId};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};

use super::error::{ApiError, ErrorEnvelope};
use super::ids::{PathId, path_id};
use super::json::ApiJson;
use crate::state::AppState;

/// Merge a customer into another
///
/// Merge this customer into another (`into`), the survivor.
///
/// With `"preview": true`, nothing changes and the answer (200) lists exactly what would move,
/// which values the survivor ends with (its own win; the merged customer's fill its gaps and
/// add missing metadata keys), every blocker at once (two different external ids, a live
/// subscription to the same product on both, an erased or already merged customer) and the
/// lifetime value afterwards. Without it, the merge (201) moves orders, refunds, disputes,
/// subscriptions, invoices, entitlements, payment details and ban identities in one
/// transaction; the merged customer stays as a tombstone whose `merged_into` names the
/// survivor. Undo it within 30 days with `POST /merges/{merge_id}/undo`.
#[utoipa::path(
    post, path = "/customers/{id}/merge", tag = "customers", request_body = MergeRequest,
    params(("id" = app::types::CustomerId, Path, description = "The customer merged away, cus_...")),
    responses(
        (status = 200, description = "The preview (`preview: true`)", body = MergePreview),
        (status = 201, description = "The merge", body = CustomerMerge),
        (status = 400, description = "`into` is the customer itself", body = ErrorEnvelope),
        (status = 403, description = "The key lacks customers:merge", body = ErrorEnvelope),
        (status = 404, description = "No such customer in this workspace", body = ErrorEnvelope),
        (status = 409, description = "Something blocks the merge (`merge_blocked`, naming it)", body = ErrorEnvelope),
    ),
    security(("api_key" = []))
)]
pub async fn merge_customer(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<MergeRequest>,
) -> Result<Response, ApiError> {
    let id: CustomerId = path_id(&id, "customer")?;
    if input.preview {
        let preview = merges::preview_merge(&state.services, &caller, &id, &input).await?;
        return Ok(Json(preview).into_response());
    }
    let done = merges::merge(&state.services, &caller, &id, &input).await?;
    Ok((StatusCode::CREATED, Json(done)).into_response())
}

/// Retrieve a merge
///
/// A merge: who into whom, when, until when it can be undone.
#[utoipa::path(
    get, path = "/merges/{id}", tag = "customers",
    params(("id" = app::types::MergeId, Path, description = "mrg_...")),
    responses(
        (status = 200, description = "The merge", body = CustomerMerge),
        (status = 404, description = "No such merge in this workspace", body = ErrorEnvelope),
    ),
    security(("api_key" = []))
)]
pub async fn get_merge(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    PathId(id): PathId<MergeId>,
) -> Result<Json<CustomerMerge>, ApiError> {
    Ok(Json(
        merges::get_merge(&state.services, &caller, &id).await?,
    ))
}

/// Undo a merge
///
/// Undo a merge within 30 days: both customers exactly as they were before it, and everything
/// that moved back. Refused (409 `merge_not_undoable`, naming what changed) when either
/// customer changed since.
#[utoipa::path(
    post, path = "/merges/{id}/undo", tag = "customers",
    params(("id" = app::types::MergeId, Path, description = "mrg_...")),
    responses(
        (status = 200, description = "The merge, undone", body = CustomerMerge),
        (status = 403, description = "The key lacks customers:merge", body = ErrorEnvelope),
        (status = 404, description = "No such merge in this workspace", body = ErrorEnvelope),
        (status = 409, description = "Already undone, older than 30 days, or changed since", body = ErrorEnvelope),
    ),
    security(("api_key" = []))
)]
pub async fn undo_merge(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    PathId(id): PathId<MergeId>,
) -> Result<Json<CustomerMerge>, ApiError> {
    Ok(Json(
        merges::undo_merge(&state.services, &caller, &id).await?,
    ))
}
