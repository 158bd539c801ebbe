//! `GET /healthz`: is the server up, which engine does it use, which schema does it have; and
//! `GET /readyz`: should it be sent traffic.

use std::sync::atomic::{AtomicBool, Ordering};

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

/// Whether this process should be sent traffic: `serve` sets it, `GET /readyz` reads it.
/// Cheap to clone; every clone sees the same flags.
#[derive(Clone, Debug, Default)]
pub struct Readiness(std::sync::Arc<Flags>);

#[derive(Debug, Default)]
struct Flags {
    jobs_running: AtomicBool,
    draining: AtomicBool,
}

impl Readiness {
    /// The background jobs run (set by `serve` once they are started).
    pub fn jobs_started(&self) {
        self.0.jobs_running.store(true, Ordering::Relaxed);
    }

    /// Shutdown was asked for: `/readyz` answers 503 from now on, while requests in flight
    /// and job runs finish.
    pub fn start_draining(&self) {
        self.0.draining.store(true, Ordering::Relaxed);
    }
}

/// `GET /readyz`: 200 when this process can take traffic (the database answers with the
/// schema this build expects, the jobs run, no shutdown is under way), else 503 naming what
/// is not ready. Load balancers and orchestrators poll it; `/healthz` says only whether the
/// process is up.
pub async fn readyz(State(state): State<AppState>) -> Response {
    let draining = state.readiness.0.draining.load(Ordering::Relaxed);
    let jobs = state.readiness.0.jobs_running.load(Ordering::Relaxed);
    let database = match system::health(&state.services.db).await {
        Ok(h) if h.schema_up_to_date => "ok",
        Ok(_) => "schema_outdated",
        Err(e) => {
            tracing::warn!(error = %e, "readiness: the database does not answer");
            "unavailable"
        }
    };
    let status = if draining {
        "draining"
    } else if database != "ok" {
        "database_unavailable"
    } else if !jobs {
        "jobs_stopped"
    } else {
        "ready"
    };
    let code = if status == "ready" {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = json!({
        "status": status,
        "database": database,
        "jobs": if jobs { "running" } else { "stopped" },
        "draining": draining,
    });
    (code, Json(body)).into_response()
}
