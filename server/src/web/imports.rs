//! The dashboard's customer import: `POST /dashboard/customer_imports` (the Import page's
//! upload, the file as the body) and `GET /dashboard/customer_imports/{id}/report.csv` (the
//! report's download link), for the signed-in merchant user and from Patron's own pages only.
//! The file is read, limited and reported on as the REST API's import does
//! ([`crate::api::imports`]).

use app::types::CustomerImportId;
use app::types::import::CustomerImport;
use axum::Json;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

use super::{DashboardUser, FromThisSite};
use crate::api::error::ApiError;
use crate::api::ids::path_id;
use crate::api::imports::{ImportParams, ImportRefused, import_body, report_csv, require_csv};
use crate::api::json::ApiQuery;
use crate::state::AppState;

/// `POST /dashboard/customer_imports`: the Import page's upload (the file as the body), under
/// the same limits as the REST API's.
pub async fn dashboard_import(
    State(state): State<AppState>,
    ApiQuery(params): ApiQuery<ImportParams>,
    _: FromThisSite,
    DashboardUser(user): DashboardUser,
    headers: HeaderMap,
    body: Body,
) -> Result<(StatusCode, Json<CustomerImport>), ImportRefused> {
    require_csv(&headers)?;
    let options = params.options();
    let import = import_body(&state.services, &user.caller, options, &headers, body).await?;
    Ok((StatusCode::CREATED, Json(import)))
}

/// `GET /dashboard/customer_imports/{id}/report.csv`: the report's download link.
pub async fn dashboard_report(
    State(state): State<AppState>,
    Path(id): Path<String>,
    _: FromThisSite,
    DashboardUser(user): DashboardUser,
) -> Result<Response, ApiError> {
    let id: CustomerImportId = path_id(&id, "customer import")?;
    report_csv(state.services.clone(), user.caller, id).await
}
