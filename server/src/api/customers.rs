//! `/api/v1/customers`: each handler authenticates (middleware), parses, calls one domain
//! function and maps its error.

use app::domain::customer_list::{self, CustomerQuery};
use app::domain::customers;
use app::domain::{Caller, data_export};
use app::types::customer::{
    CustomerCreate, CustomerDataExport, CustomerListItem, CustomerListParams, CustomerUpdate,
};
use app::types::{Customer, CustomerId, Page};
use axum::Extension;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;

use super::error::{ApiError, ErrorEnvelope};
use super::ids::{PathId, path_id};
use super::json::{ApiJson, ApiQuery};
use crate::state::AppState;

/// List customers
///
/// List customers: search, filters, a sort and keyset pages (`starting_after` /
/// `ending_before` a customer id).
#[utoipa::path(
    get, path = "/customers", tag = "customers",
    params(CustomerListParams),
    responses(
        (status = 200, description = "A page of customers", body = Page<CustomerListItem>),
        (status = 400, description = "A parameter is invalid; `param` names it", body = ErrorEnvelope),
        (status = 401, description = "No valid API key", body = ErrorEnvelope),
        (status = 403, description = "The key lacks customers:read", body = ErrorEnvelope),
    ),
    security(("api_key" = []))
)]
pub async fn list_customers(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiQuery(params): ApiQuery<CustomerListParams>,
) -> Result<Json<Page<CustomerListItem>>, ApiError> {
    let query = CustomerQuery::parse(&params)?;
    Ok(Json(
        customer_list::list_customers(&state.services, &caller, query).await?,
    ))
}

/// Export customers as CSV
///
/// Export exactly the filtered list as CSV, streamed (the same parameters as the list; no
/// paging: every matching customer, in the list's order).
#[utoipa::path(
    get, path = "/customers/export.csv", tag = "customers",
    params(CustomerListParams),
    responses(
        (status = 200, description = "CSV: id, email, name, external_id, country, lifetime_value, currency, orders, active_subscriptions, subscription_status, created_at", content_type = "text/csv"),
        (status = 400, description = "A parameter is invalid", body = ErrorEnvelope),
    ),
    security(("api_key" = []))
)]
pub async fn export_customers(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiQuery(params): ApiQuery<CustomerListParams>,
) -> Result<axum::response::Response, ApiError> {
    crate::web::export::customers_csv(state.services.clone(), caller, &params).await
}

/// Create a customer.
#[utoipa::path(
    post, path = "/customers", tag = "customers",
    request_body = CustomerCreate,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe: the same key replays the first answer for 24 hours")),
    responses(
        (status = 201, description = "Created", body = Customer),
        (status = 400, description = "A field is invalid; `param` names it", body = ErrorEnvelope),
        (status = 401, description = "No valid API key", body = ErrorEnvelope),
        (status = 403, description = "The key lacks customers:write", body = ErrorEnvelope),
        (status = 409, description = "external_id taken, or the idempotency key is in flight", body = ErrorEnvelope),
        (status = 422, description = "The idempotency key was used with another request", body = ErrorEnvelope),
    ),
    security(("api_key" = []))
)]
pub async fn create_customer(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiJson(input): ApiJson<CustomerCreate>,
) -> Result<(StatusCode, Json<Customer>), ApiError> {
    let created = customers::create_customer(&state.services, &caller, input).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// Retrieve a customer.
#[utoipa::path(
    get, path = "/customers/{id}", tag = "customers",
    params(("id" = app::types::CustomerId, Path, description = "The customer id, cus_...")),
    responses(
        (status = 200, description = "The customer", body = Customer),
        (status = 404, description = "No such customer in this workspace", body = ErrorEnvelope),
    ),
    security(("api_key" = []))
)]
pub async fn get_customer(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    PathId(id): PathId<CustomerId>,
) -> Result<Json<Customer>, ApiError> {
    Ok(Json(
        customers::get_customer(&state.services, &caller, &id).await?,
    ))
}

/// Update a customer
///
/// Change a customer: absent fields stay, `null` clears, a metadata map replaces the whole map.
#[utoipa::path(
    patch, path = "/customers/{id}", tag = "customers",
    request_body = CustomerUpdate,
    params(
        ("id" = app::types::CustomerId, Path, description = "The customer id, cus_..."),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe"),
    ),
    responses(
        (status = 200, description = "The changed customer", body = Customer),
        (status = 400, description = "A field is invalid", body = ErrorEnvelope),
        (status = 404, description = "No such customer in this workspace", body = ErrorEnvelope),
        (status = 409, description = "Stale version, or external_id taken", body = ErrorEnvelope),
    ),
    security(("api_key" = []))
)]
pub async fn update_customer(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    ApiJson(patch): ApiJson<CustomerUpdate>,
) -> Result<Json<Customer>, ApiError> {
    let id: CustomerId = path_id(&id, "customer")?;
    Ok(Json(
        customers::update_customer(&state.services, &caller, &id, patch).await?,
    ))
}

/// Archive a customer
///
/// Archive a customer: hidden from lists by default, kept forever.
#[utoipa::path(
    post, path = "/customers/{id}/archive", tag = "customers",
    params(("id" = app::types::CustomerId, Path, description = "The customer id, cus_...")),
    responses(
        (status = 200, description = "The archived customer", body = Customer),
        (status = 404, description = "No such customer in this workspace", body = ErrorEnvelope),
    ),
    security(("api_key" = []))
)]
pub async fn archive_customer(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    PathId(id): PathId<CustomerId>,
) -> Result<Json<Customer>, ApiError> {
    Ok(Json(
        customers::archive_customer(&state.services, &caller, &id).await?,
    ))
}

/// Bring an archived customer back.
#[utoipa::path(
    post, path = "/customers/{id}/unarchive", tag = "customers",
    params(("id" = app::types::CustomerId, Path, description = "The customer id, cus_...")),
    responses(
        (status = 200, description = "The customer", body = Customer),
        (status = 404, description = "No such customer in this workspace", body = ErrorEnvelope),
    ),
    security(("api_key" = []))
)]
pub async fn unarchive_customer(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    PathId(id): PathId<CustomerId>,
) -> Result<Json<Customer>, ApiError> {
    Ok(Json(
        customers::unarchive_customer(&state.services, &caller, &id).await?,
    ))
}

/// Export a customer's data
///
/// Everything Patron holds about a customer, as one JSON document (GDPR Art. 15): the
/// customer, orders, refunds, disputes, subscriptions, invoices, items and payment details.
#[utoipa::path(
    get, path = "/customers/{id}/data_export", tag = "customers",
    params(("id" = app::types::CustomerId, Path, description = "The customer id, cus_...")),
    responses(
        (status = 200, description = "The export", body = CustomerDataExport),
        (status = 404, description = "No such customer in this workspace", body = ErrorEnvelope),
    ),
    security(("api_key" = []))
)]
pub async fn export_customer_data(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    PathId(id): PathId<CustomerId>,
) -> Result<Json<CustomerDataExport>, ApiError> {
    Ok(Json(
        data_export::export_customer_data(&state.services, &caller, &id).await?,
    ))
}
