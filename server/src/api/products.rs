//! `/api/v1/products`: what the workspace sells.

use app::domain::{Caller, products};
use app::types::Product;
use app::types::product::ProductCreate;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::{Extension, Json};

use super::error::{ApiError, ErrorEnvelope};
use super::ids::path_id;
use super::json::ApiJson;
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

/// List every product, newest first.
#[utoipa::path(
    get, path = "/products", tag = "products",
    responses((status = 200, description = "The products", body = Vec<Product>)),
    security(("api_key" = []))
)]
pub async fn list_products(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> Result<Json<Vec<Product>>, ApiError> {
    Ok(Json(
        products::list_products(&state.services, &caller).await?,
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
    Path(id): Path<String>,
) -> Result<Json<Product>, ApiError> {
    let id = path_id(&id, "product")?;
    Ok(Json(
        products::get_product(&state.services, &caller, &id).await?,
    ))
}

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
    Path(id): Path<String>,
) -> Result<Json<Product>, ApiError> {
    let id = path_id(&id, "product")?;
    Ok(Json(
        products::archive_product(&state.services, &caller, &id).await?,
    ))
}
