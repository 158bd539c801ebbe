//! `/api/v1/payment_details`: the cards, accounts, emails and IPs a customer paid with, and
//! blocking them.

use app::domain::{Caller, payment_details, stats};
use app::types::payment_detail::PaymentDetailLogEntry;
use app::types::{CustomerId, CustomerStats, Page, PaymentDetail, PaymentDetailId};
use axum::extract::{Path, State};
use axum::{Extension, Json};

use super::error::{ApiError, ErrorEnvelope};
use super::ids::{PathId, path_id};
use super::json::ApiQuery;
use super::list::{ListParams, page};
use crate::state::AppState;

/// Retrieve a customer's stats
///
/// A customer's stats: lifetime value per currency and converted, payments, MRR and more.
#[utoipa::path(
    get, path = "/customers/{id}/stats", tag = "customers",
    params(("id" = app::types::CustomerId, Path, description = "cus_...")),
    responses(
        (status = 200, description = "The stats", body = CustomerStats),
        (status = 404, description = "No such customer", body = ErrorEnvelope),
    ),
    security(("api_key" = []))
)]
pub async fn get_customer_stats(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    PathId(id): PathId<CustomerId>,
) -> Result<Json<CustomerStats>, ApiError> {
    Ok(Json(
        stats::get_customer_stats(&state.services, &caller, &id).await?,
    ))
}

/// List a customer's payment details.
#[utoipa::path(
    get, path = "/customers/{id}/payment_details", tag = "payment_details",
    params(("id" = app::types::CustomerId, Path, description = "cus_..."), ("limit" = Option<u32>, Query, minimum = 1, maximum = 100, description = "Page size, 1 to 100 (default 50)"), ("starting_after" = Option<app::types::PaymentDetailId>, Query, description = "The last id of the page before: the page after it")),
    responses(
        (status = 200, description = "The details", body = Page<PaymentDetail>),
        (status = 404, description = "No such customer", body = ErrorEnvelope),
    ),
    security(("api_key" = []))
)]
pub async fn list_payment_details(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    ApiQuery(list): ApiQuery<ListParams>,
) -> Result<Json<Page<PaymentDetail>>, ApiError> {
    let id: CustomerId = path_id(&id, "customer")?;
    let rows = payment_details::list_payment_details(&state.services, &caller, &id).await?;
    Ok(Json(page(rows, |r| &r.id, &list)?))
}

/// Block every payment detail of a customer.
#[utoipa::path(
    post, path = "/customers/{id}/payment_details/block_all", tag = "payment_details",
    params(("id" = app::types::CustomerId, Path, description = "cus_...")),
    responses(
        (status = 200, description = "The details", body = Vec<PaymentDetail>),
        (status = 404, description = "No such customer", body = ErrorEnvelope),
    ),
    security(("api_key" = []))
)]
pub async fn block_all_payment_details(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    PathId(id): PathId<CustomerId>,
) -> Result<Json<Vec<PaymentDetail>>, ApiError> {
    Ok(Json(
        payment_details::block_all_payment_details(&state.services, &caller, &id).await?,
    ))
}

/// Unblock every payment detail of a customer.
#[utoipa::path(
    post, path = "/customers/{id}/payment_details/unblock_all", tag = "payment_details",
    params(("id" = app::types::CustomerId, Path, description = "cus_...")),
    responses(
        (status = 200, description = "The details", body = Vec<PaymentDetail>),
        (status = 404, description = "No such customer", body = ErrorEnvelope),
    ),
    security(("api_key" = []))
)]
pub async fn unblock_all_payment_details(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    PathId(id): PathId<CustomerId>,
) -> Result<Json<Vec<PaymentDetail>>, ApiError> {
    Ok(Json(
        payment_details::unblock_all_payment_details(&state.services, &caller, &id).await?,
    ))
}

/// Block a payment detail
///
/// Block one payment detail: no customer of the workspace can pay with it.
#[utoipa::path(
    post, path = "/payment_details/{id}/block", tag = "payment_details",
    params(("id" = app::types::PaymentDetailId, Path, description = "pd_...")),
    responses(
        (status = 200, description = "Blocked", body = PaymentDetail),
        (status = 404, description = "No such payment detail", body = ErrorEnvelope),
    ),
    security(("api_key" = []))
)]
pub async fn block_payment_detail(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    PathId(id): PathId<PaymentDetailId>,
) -> Result<Json<PaymentDetail>, ApiError> {
    Ok(Json(
        payment_details::block_payment_detail(&state.services, &caller, &id).await?,
    ))
}

/// Unblock one payment detail.
#[utoipa::path(
    post, path = "/payment_details/{id}/unblock", tag = "payment_details",
    params(("id" = app::types::PaymentDetailId, Path, description = "pd_...")),
    responses(
        (status = 200, description = "Unblocked", body = PaymentDetail),
        (status = 404, description = "No such payment detail", body = ErrorEnvelope),
    ),
    security(("api_key" = []))
)]
pub async fn unblock_payment_detail(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    PathId(id): PathId<PaymentDetailId>,
) -> Result<Json<PaymentDetail>, ApiError> {
    Ok(Json(
        payment_details::unblock_payment_detail(&state.services, &caller, &id).await?,
    ))
}

/// List a payment detail's block history
///
/// Who blocked or unblocked a detail, and when, newest first.
#[utoipa::path(
    get, path = "/payment_details/{id}/log", tag = "payment_details",
    params(("id" = app::types::PaymentDetailId, Path, description = "pd_..."), ("limit" = Option<u32>, Query, minimum = 1, maximum = 100, description = "Page size, 1 to 100 (default 50)"), ("starting_after" = Option<app::types::EventId>, Query, description = "The last id of the page before: the page after it")),
    responses(
        (status = 200, description = "The log", body = Page<PaymentDetailLogEntry>),
        (status = 404, description = "No such payment detail", body = ErrorEnvelope),
    ),
    security(("api_key" = []))
)]
pub async fn payment_detail_log(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    ApiQuery(list): ApiQuery<ListParams>,
) -> Result<Json<Page<PaymentDetailLogEntry>>, ApiError> {
    let id = path_id(&id, "payment detail")?;
    let rows = payment_details::payment_detail_log(&state.services, &caller, &id).await?;
    Ok(Json(page(rows, |r| &r.id, &list)?))
}
