//! `GET /healthz`: is the server up, which engine does it use, which schema does it have.

use app::db::Engine;
use app::domain::system;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::state::AppState;

/// 200 with engine and schema version, or 503 when the database does not answer.
pub async fn healthz(State(state): State<AppState>) -> Response {
    match system::health(&state.services.db).await {
        Ok(h) => {
            let status = if h.schema_up_to_date {
                StatusCode::OK
            } else {
                StatusCode::SERVICE_UNAVAILABLE
            };
            let body = json!({
                "status": if h.schema_up_to_date { "ok" } else { "schema_outdated" },
                "engine": h.engine,
                "schema_version": h.schema_version,
            });
            (status, Json(body)).into_response()
        }
        Err(e) => {
            tracing::warn!(error = %e, "health check failed");
            let body = json!({
                "status": "unavailable",
                "engine": Engine::of(&state.services.db),
                "schema_version": null,
            });
            (StatusCode::SERVICE_UNAVAILABLE, Json(body)).into_response()
        }
    }
}
