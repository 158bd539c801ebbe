//! `/api/v1/orders` and `/api/v1/disputes`: a customer's orders, refunds, disputes and
//! repayments.

use app::domain::paging::cursor;
use app::domain::{Caller, Limit, orders};
use app::types::order::{
    DisputeClose, DisputeCreate, OrderPay, OrderStatus, ProviderNotification, RefundCreate,
    RepaymentCreate,
};
use app::types::{CustomerId, Dispute, Order, OrderId, Page, ProductId, Refund};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use serde::Deserialize;
use utoipa::IntoParams;

use super::error::{ApiError, ErrorEnvelope};
use super::ids::{PathId, path_id};
use super::json::{ApiJson, ApiQuery};
use super::list::{ListParams, page};
use crate::state::AppState;

/// Paging of a customer's orders.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OrderListParams {
    /// Page size, 1 to 100 (default 50).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100)]
    limit: Option<String>,
    /// An order id: the page after it.
    #[param(value_type = Option<app::types::OrderId>)]
    starting_after: Option<String>,
    /// Only orders in this status: created, paid, partially_refunded, refunded, disputed,
    /// chargeback or failed.
    #[param(value_type = Option<app::types::order::OrderStatus>)]
    status: Option<String>,
    /// Only orders of this product.
    #[param(value_type = Option<app::types::ProductId>)]
    product_id: Option<String>,
}

/// List a customer's orders, newest first.
#[utoipa::path(
    get, path = "/customers/{id}/orders", tag = "orders",
    params(("id" = app::types::CustomerId, Path, description = "cus_..."), OrderListParams),
    responses(
        (status = 200, description = "A page of orders", body = Page<Order>),
        (status = 404, description = "No such customer", body = ErrorEnvelope),
    ),
    security(("api_key" = []))
)]
pub async fn list_orders(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    ApiQuery(params): ApiQuery<OrderListParams>,
) -> Result<Json<Page<Order>>, ApiError> {
    let id: CustomerId = path_id(&id, "customer")?;
    let limit = Limit::parse(params.limit.as_deref())?;
    let after = cursor::<OrderId>("starting_after", params.starting_after.as_deref())?;
    let filter = orders::OrderFilter {
        status: cursor::<OrderStatus>("status", params.status.as_deref())?,
        product: cursor::<ProductId>("product_id", params.product_id.as_deref())?,
    };
    Ok(Json(
        orders::list_orders(&state.services, &caller, &id, filter, limit, after).await?,
    ))
}

/// Retrieve an order.
#[utoipa::path(
    get, path = "/orders/{id}", tag = "orders",
    params(("id" = app::types::OrderId, Path, description = "ord_...")),
    responses(
        (status = 200, description = "The order", body = Order),
        (status = 404, description = "No such order", body = ErrorEnvelope),
    ),
    security(("api_key" = []))
)]
pub async fn get_order(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    PathId(id): PathId<OrderId>,
) -> Result<Json<Order>, ApiError> {
    Ok(Json(
        orders::get_order(&state.services, &caller, &id).await?,
    ))
}

/// Refund an order
///
/// Refund an order, in full (no amount) or in part; repeatable until nothing remains.
/// SEPA and bank-transfer payments refund only in full, with `acknowledge_risk`.
#[utoipa::path(
    post, path = "/orders/{id}/refunds", tag = "orders",
    request_body = RefundCreate,
    params(("id" = app::types::OrderId, Path, description = "ord_..."), ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe")),
    responses(
        (status = 201, description = "Refunded", body = Refund),
        (status = 400, description = "A field is invalid (a partial SEPA refund, no risk acknowledgement)", body = ErrorEnvelope),
        (status = 404, description = "No such order", body = ErrorEnvelope),
        (status = 409, description = "More than remains, or the order is not refundable", body = ErrorEnvelope),
    ),
    security(("api_key" = []))
)]
pub async fn refund_order(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<RefundCreate>,
) -> Result<(StatusCode, Json<Refund>), ApiError> {
    let id = path_id(&id, "order")?;
    let r = orders::refund_order(&state.services, &caller, &id, input).await?;
    Ok((StatusCode::CREATED, Json(r)))
}

/// List an order's refunds, oldest first.
#[utoipa::path(
    get, path = "/orders/{id}/refunds", tag = "orders",
    params(("id" = app::types::OrderId, Path, description = "ord_..."), ("limit" = Option<u32>, Query, minimum = 1, maximum = 100, description = "Page size, 1 to 100 (default 50)"), ("starting_after" = Option<app::types::RefundId>, Query, description = "The last id of the page before: the page after it")),
    responses(
        (status = 200, description = "The refunds", body = Page<Refund>),
        (status = 404, description = "No such order", body = ErrorEnvelope),
    ),
    security(("api_key" = []))
)]
pub async fn list_refunds(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    ApiQuery(list): ApiQuery<ListParams>,
) -> Result<Json<Page<Refund>>, ApiError> {
    let id = path_id(&id, "order")?;
    let rows = orders::list_refunds(&state.services, &caller, &id).await?;
    Ok(Json(page(rows, |r| &r.id, &list)?))
}

/// List an order's provider events
///
/// List what the payment provider sent about an order's payment (charge, refunds, disputes,
/// failed renewals), newest first, each with its body exactly as received.
#[utoipa::path(
    get, path = "/orders/{id}/provider_events", tag = "orders",
    params(("id" = app::types::OrderId, Path, description = "ord_..."), ("limit" = Option<u32>, Query, minimum = 1, maximum = 100, description = "Page size, 1 to 100 (default 50)"), ("starting_after" = Option<app::types::ProviderEventId>, Query, description = "The last id of the page before: the page after it")),
    responses(
        (status = 200, description = "The notifications", body = Page<ProviderNotification>),
        (status = 404, description = "No such order", body = ErrorEnvelope),
    ),
    security(("api_key" = []))
)]
pub async fn list_provider_events(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    ApiQuery(list): ApiQuery<ListParams>,
) -> Result<Json<Page<ProviderNotification>>, ApiError> {
    let id = path_id(&id, "order")?;
    let rows = orders::list_provider_events(&state.services, &caller, &id).await?;
    Ok(Json(page(rows, |r| &r.id, &list)?))
}

/// Record a dispute
///
/// Record a dispute the payer opened with their bank: the order becomes `disputed`.
#[utoipa::path(
    post, path = "/orders/{id}/disputes", tag = "orders",
    request_body = DisputeCreate,
    params(("id" = app::types::OrderId, Path, description = "ord_...")),
    responses(
        (status = 201, description = "Opened", body = Dispute),
        (status = 404, description = "No such order", body = ErrorEnvelope),
        (status = 409, description = "The order cannot be disputed", body = ErrorEnvelope),
    ),
    security(("api_key" = []))
)]
pub async fn open_dispute(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<DisputeCreate>,
) -> Result<(StatusCode, Json<Dispute>), ApiError> {
    let id = path_id(&id, "order")?;
    let d = orders::open_dispute(&state.services, &caller, &id, input).await?;
    Ok((StatusCode::CREATED, Json(d)))
}

/// List an order's disputes.
#[utoipa::path(
    get, path = "/orders/{id}/disputes", tag = "orders",
    params(("id" = app::types::OrderId, Path, description = "ord_..."), ("limit" = Option<u32>, Query, minimum = 1, maximum = 100, description = "Page size, 1 to 100 (default 50)"), ("starting_after" = Option<app::types::DisputeId>, Query, description = "The last id of the page before: the page after it")),
    responses(
        (status = 200, description = "The disputes", body = Page<Dispute>),
        (status = 404, description = "No such order", body = ErrorEnvelope),
    ),
    security(("api_key" = []))
)]
pub async fn list_disputes(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    ApiQuery(list): ApiQuery<ListParams>,
) -> Result<Json<Page<Dispute>>, ApiError> {
    let id = path_id(&id, "order")?;
    let rows = orders::list_disputes(&state.services, &caller, &id).await?;
    Ok(Json(page(rows, |r| &r.id, &list)?))
}

/// Close a dispute
///
/// Decide a dispute: `won` restores the order, `lost` makes it a chargeback.
#[utoipa::path(
    post, path = "/disputes/{id}/close", tag = "orders",
    request_body = DisputeClose,
    params(("id" = app::types::DisputeId, Path, description = "dp_...")),
    responses(
        (status = 200, description = "Decided", body = Dispute),
        (status = 404, description = "No such dispute", body = ErrorEnvelope),
        (status = 409, description = "Already decided", body = ErrorEnvelope),
    ),
    security(("api_key" = []))
)]
pub async fn close_dispute(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<DisputeClose>,
) -> Result<Json<Dispute>, ApiError> {
    let id = path_id(&id, "dispute")?;
    Ok(Json(
        orders::close_dispute(&state.services, &caller, &id, input).await?,
    ))
}

/// Request or record a repayment
///
/// After a lost dispute, request a repayment (`link`: an order awaiting payment) or record one
/// paid outside Patron (`manual`).
#[utoipa::path(
    post, path = "/disputes/{id}/repayments", tag = "orders",
    request_body = RepaymentCreate,
    params(("id" = app::types::DisputeId, Path, description = "dp_...")),
    responses(
        (status = 201, description = "The repayment order", body = Order),
        (status = 404, description = "No such dispute", body = ErrorEnvelope),
        (status = 409, description = "Not lost, or a repayment exists", body = ErrorEnvelope),
    ),
    security(("api_key" = []))
)]
pub async fn request_repayment(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<RepaymentCreate>,
) -> Result<(StatusCode, Json<Order>), ApiError> {
    let id = path_id(&id, "dispute")?;
    let o = orders::request_repayment(&state.services, &caller, &id, input).await?;
    Ok((StatusCode::CREATED, Json(o)))
}

/// Pay an order
///
/// Pay an order that awaits payment (a requested repayment).
#[utoipa::path(
    post, path = "/orders/{id}/pay", tag = "orders",
    request_body = OrderPay,
    params(("id" = app::types::OrderId, Path, description = "ord_..."), ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe")),
    responses(
        (status = 200, description = "Paid", body = Order),
        (status = 402, description = "Declined, or a blocked payment detail", body = ErrorEnvelope),
        (status = 404, description = "No such order", body = ErrorEnvelope),
        (status = 409, description = "The order does not await payment", body = ErrorEnvelope),
    ),
    security(("api_key" = []))
)]
pub async fn pay_order(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<OrderPay>,
) -> Result<Json<Order>, ApiError> {
    let id = path_id(&id, "order")?;
    Ok(Json(
        orders::pay_order(&state.services, &caller, &id, input).await?,
    ))
}
