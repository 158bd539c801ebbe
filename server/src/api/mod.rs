//! The REST API under `/api/v1`: one module per resource, each handler thin.

pub mod auth;
pub mod customers;
pub mod error;
pub mod idempotency;
pub mod json;
pub mod openapi;

use std::sync::Arc;

use axum::extract::OriginalUri;
use axum::http::Method;
use axum::middleware::from_fn_with_state;
use axum::routing::get;
use axum::{Json, Router};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;
use error::ApiError;

/// Every `/api/v1` route and the OpenAPI document describing them.
pub fn router(state: &AppState) -> Router<AppState> {
    let (resources, doc) = OpenApiRouter::with_openapi(openapi::base())
        .routes(routes!(
            customers::list_customers,
            customers::create_customer
        ))
        .routes(routes!(customers::get_customer, customers::update_customer))
        .routes(routes!(customers::archive_customer))
        .routes(routes!(customers::unarchive_customer))
        // Innermost first: authentication runs before idempotency, which needs the workspace.
        .route_layer(from_fn_with_state(state.clone(), idempotency::idempotent))
        .route_layer(from_fn_with_state(state.clone(), auth::require_api_key))
        .split_for_parts();
    let doc = Arc::new(doc);
    resources
        .route(
            "/openapi.json",
            get(move || {
                let doc = Arc::clone(&doc);
                async move { Json(doc.as_ref().clone()) }
            }),
        )
        .fallback(route_not_found)
}

async fn route_not_found(method: Method, OriginalUri(uri): OriginalUri) -> ApiError {
    ApiError::route_not_found(&method, uri.path())
}
