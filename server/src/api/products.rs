//! `/api/v1/products`: what the workspace sells.

use app::domain::paging::cursor;
use app::domain::{Caller, Limit, products};
use app::types::product::ProductCreate;
use app::types::{Page, Product, ProductId};
use axum::extract::State;
use axum::http::StatusCode;
use axum::{Extension, Json};

use super::error::{ApiError, ErrorEnvelope};
use super::ids::PathId;
use super::json::{ApiJson, ApiQuery};
use super::list::ListParams;
use crate::state::AppState;

/// Create a product.
#[utoipa::path(
    post, path = "/products", tag = "products",
    request_body = ProductCreate,
    responses(
        (status = 201, description = "Created", body = Product),
        (status = 400, description = "A field is invalid; `param` names it", body = ErrorEnvelope),
        (status = 403, description = "The key lacks products:write", body = ErrorEnvelope),
    ),
    security(("api_key" = []))
)]
pub async fn create_product(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiJson(input): ApiJson<ProductCreate>,
) -> Result<(StatusCode, Json<Product>), ApiError> {
    let p = products::create_product(&state.services, &caller, input).await?;
    Ok((StatusCode::CREATED, Json(p)))
}

/// List the products, newest first.
#[utoipa::path(
    get, path = "/products", tag = "products",
    params(
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 100, description = "Page size, 1 to 100 (default 50)"),
        ("starting_after" = Option<app::types::ProductId>, Query, description = "The last id of the page before: the page after it"),
    ),
    responses((status = 200, description = "A page of products", body = Page<Product>)),
    security(("api_key" = []))
)]
pub async fn list_products(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiQuery(list): ApiQuery<ListParams>,
) -> Result<Json<Page<Product>>, ApiError> {
    let limit = Limit::parse(list.limit.as_deref())?;
    let after = cursor::<ProductId>("starting_after", list.starting_after.as_deref())?;
    Ok(Json(
        products::page_products(&state.services, &caller, limit, after.as_ref()).await?,
    ))
}

/// Retrieve a product.
#[utoipa::path(
    get, path = "/products/{id}", tag = "products",
    params(("id" = app::types::ProductId, Path, description = "prod_...")),
    responses(
        (status = 200, description = "The product", body = Product),
        (status = 404, description = "No such product", body = ErrorEnvelope),
    ),
    security(("api_key" = []))
)]
pub async fn get_product(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    PathId(id): PathId<ProductId>,
) -> Result<Json<Product>, ApiError> {
    Ok(Json(
        products::get_product(&state.services, &caller, &id).await?,
    ))
}

/// Archive a product
///
/// Archive a product: it can no longer be bought.
#[utoipa::path(
    post, path = "/products/{id}/archive", tag = "products",
    params(("id" = app::types::ProductId, Path, description = "prod_...")),
    responses(
        (status = 200, description = "The archived product", body = Product),
        (status = 404, description = "No such product", body = ErrorEnvelope),
    ),
    security(("api_key" = []))
)]
pub async fn archive_product(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    PathId(id): PathId<ProductId>,
) -> Result<Json<Product>, ApiError> {
    Ok(Json(
        products::archive_product(&state.services, &caller, &id).await?,
    ))
}
