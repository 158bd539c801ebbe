//! The REST API under `/api/v1`: one module per resource, each handler thin.

pub mod error;

use axum::Router;
use axum::extract::OriginalUri;
use axum::http::Method;

use crate::state::AppState;
use error::ApiError;

/// Every `/api/v1` route. Unknown paths answer the JSON error envelope, never the HTML app.
pub fn router() -> Router<AppState> {
    Router::new().fallback(route_not_found)
}

async fn route_not_found(method: Method, OriginalUri(uri): OriginalUri) -> ApiError {
    ApiError::route_not_found(&method, uri.path())
}
