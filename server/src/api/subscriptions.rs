//! `/api/v1/subscriptions`: a customer's subscriptions, their billing history and the
//! merchant's actions.

use app::domain::{Caller, subscriptions};
use app::types::subscription::{SubscriptionCancel, SubscriptionRevoke};
use app::types::{CustomerId, Invoice, Page, Subscription, SubscriptionId};
use axum::extract::{Path, State};
use axum::{Extension, Json};

use super::error::{ApiError, ErrorEnvelope};
use super::ids::{PathId, path_id};
use super::json::{ApiJson, ApiQuery};
use super::list::{ListParams, page};
use crate::state::AppState;

/// List a customer's subscriptions
///
/// List a customer's subscriptions, newest first.
#[utoipa::path(
    get, path = "/customers/{id}/subscriptions", tag = "subscriptions",
    params(("id" = app::types::CustomerId, Path, description = "cus_..."), ("limit" = Option<u32>, Query, minimum = 1, maximum = 100, description = "Page size, 1 to 100 (default 50)"), ("starting_after" = Option<app::types::SubscriptionId>, Query, description = "The last id of the page before: the page after it")),
    responses(
        (status = 200, description = "The subscriptions", body = Page<Subscription>),
        (status = 404, description = "No such customer", body = ErrorEnvelope),
    ),
    security(("api_key" = []))
)]
pub async fn list_subscriptions(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    ApiQuery(list): ApiQuery<ListParams>,
) -> Result<Json<Page<Subscription>>, ApiError> {
    let id: CustomerId = path_id(&id, "customer")?;
    let rows = subscriptions::list_subscriptions(&state.services, &caller, &id, None).await?;
    Ok(Json(page(rows, |r| &r.id, &list)?))
}

/// Retrieve a subscription.
#[utoipa::path(
    get, path = "/subscriptions/{id}", tag = "subscriptions",
    params(("id" = app::types::SubscriptionId, Path, description = "sub_...")),
    responses(
        (status = 200, description = "The subscription", body = Subscription),
        (status = 404, description = "No such subscription", body = ErrorEnvelope),
    ),
    security(("api_key" = []))
)]
pub async fn get_subscription(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    PathId(id): PathId<SubscriptionId>,
) -> Result<Json<Subscription>, ApiError> {
    Ok(Json(
        subscriptions::get_subscription(&state.services, &caller, &id).await?,
    ))
}

/// List a subscription's invoices
///
/// The billing history: every invoice with every payment attempt and its failure reason.
#[utoipa::path(
    get, path = "/subscriptions/{id}/invoices", tag = "subscriptions",
    params(("id" = app::types::SubscriptionId, Path, description = "sub_..."), ("limit" = Option<u32>, Query, minimum = 1, maximum = 100, description = "Page size, 1 to 100 (default 50)"), ("starting_after" = Option<app::types::InvoiceId>, Query, description = "The last id of the page before: the page after it")),
    responses(
        (status = 200, description = "The invoices, newest first", body = Page<Invoice>),
        (status = 404, description = "No such subscription", body = ErrorEnvelope),
    ),
    security(("api_key" = []))
)]
pub async fn list_invoices(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    ApiQuery(list): ApiQuery<ListParams>,
) -> Result<Json<Page<Invoice>>, ApiError> {
    let id = path_id(&id, "subscription")?;
    let rows = subscriptions::list_invoices(&state.services, &caller, &id).await?;
    Ok(Json(page(rows, |r| &r.id, &list)?))
}

/// Cancel a subscription
///
/// Cancel at period end (default; benefits kept until then) or now (`at_period_end: false`).
/// Canceling now one already scheduled ends it at once.
#[utoipa::path(
    post, path = "/subscriptions/{id}/cancel", tag = "subscriptions",
    request_body = SubscriptionCancel,
    params(("id" = app::types::SubscriptionId, Path, description = "sub_...")),
    responses(
        (status = 200, description = "The subscription", body = Subscription),
        (status = 404, description = "No such subscription", body = ErrorEnvelope),
        (status = 409, description = "Not active, or already scheduled", body = ErrorEnvelope),
    ),
    security(("api_key" = []))
)]
pub async fn cancel_subscription(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<SubscriptionCancel>,
) -> Result<Json<Subscription>, ApiError> {
    let id = path_id(&id, "subscription")?;
    Ok(Json(
        subscriptions::cancel_subscription(&state.services, &caller, &id, input).await?,
    ))
}

/// Revoke a subscription
///
/// Cancel now and revoke the benefits at once (fraud, abuse).
#[utoipa::path(
    post, path = "/subscriptions/{id}/revoke", tag = "subscriptions",
    request_body = SubscriptionRevoke,
    params(("id" = app::types::SubscriptionId, Path, description = "sub_...")),
    responses(
        (status = 200, description = "The subscription", body = Subscription),
        (status = 404, description = "No such subscription", body = ErrorEnvelope),
        (status = 409, description = "Nothing left to revoke", body = ErrorEnvelope),
    ),
    security(("api_key" = []))
)]
pub async fn revoke_subscription(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<SubscriptionRevoke>,
) -> Result<Json<Subscription>, ApiError> {
    let id = path_id(&id, "subscription")?;
    Ok(Json(
        subscriptions::revoke_subscription(&state.services, &caller, &id, input).await?,
    ))
}

/// Take back a scheduled cancellation.
#[utoipa::path(
    post, path = "/subscriptions/{id}/recover", tag = "subscriptions",
    params(("id" = app::types::SubscriptionId, Path, description = "sub_...")),
    responses(
        (status = 200, description = "The subscription", body = Subscription),
        (status = 404, description = "No such subscription", body = ErrorEnvelope),
        (status = 409, description = "No cancellation is scheduled", body = ErrorEnvelope),
    ),
    security(("api_key" = []))
)]
pub async fn recover_subscription(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    PathId(id): PathId<SubscriptionId>,
) -> Result<Json<Subscription>, ApiError> {
    Ok(Json(
        subscriptions::recover_subscription(&state.services, &caller, &id).await?,
    ))
}
