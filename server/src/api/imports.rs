//! `/api/v1/customer_imports`: a CSV file of customers in, a per-row report out. The file is
//! read as it arrives, under the import's limits (see [`imports`]); a body over its byte
//! limit is answered with 413, from its declared length before a byte is read, or where the
//! stream passes the limit. The dashboard's Import page uploads through the same reading
//! ([`crate::web::imports`]).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use app::domain::imports::{self, ImportOptions};
use app::domain::{Caller, Services};
use app::types::import::{CustomerImport, ImportMode};
use app::types::{CustomerImportId, ErrorCode};
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use futures::{StreamExt, stream};
use serde::Deserialize;
use tokio_util::io::{StreamReader, SyncIoBridge};
use utoipa::IntoParams;

use super::error::{ApiError, ErrorEnvelope};
use super::ids::PathId;
use super::json::ApiQuery;
use crate::state::AppState;

/// Report rows read per query while the report streams.
const REPORT_PAGE: u64 = 5_000;

/// How to import.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportParams {
    /// `create_or_update` (the default): a row matching a customer (by `id`, else
    /// `external_id`) updates it; `create_only`: such a row is rejected.
    mode: Option<ImportMode>,
    /// `true`: check and count every row, change no customer.
    dry_run: Option<bool>,
}

impl ImportParams {
    /// The import's options: the mode and whether it is a dry run.
    pub(crate) fn options(&self) -> ImportOptions {
        ImportOptions {
            mode: self.mode.unwrap_or_default(),
            dry_run: self.dry_run.unwrap_or(false),
        }
    }
}

/// A CSV body: `text/csv` (or `application/csv`) is required, so that a JSON body sent here by
/// mistake is refused rather than read as one odd column.
pub(crate) fn require_csv(headers: &HeaderMap) -> Result<(), ApiError> {
    let kind = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let essence = kind.split(';').next().unwrap_or("").trim();
    if essence.eq_ignore_ascii_case("text/csv") || essence.eq_ignore_ascii_case("application/csv") {
        Ok(())
    } else {
        Err(ApiError::header_invalid(
            "Content-Type",
            "must be text/csv: send the file itself as the body",
        ))
    }
}

/// Why an upload was refused: an API error, or a body over the import's byte limit, which is
/// answered with 413 `payload_too_large` (the envelope keeps the error's message and field).
#[derive(Debug)]
pub enum ImportRefused {
    /// Answered with the error's own status.
    Api(ApiError),
    /// The body is larger than [`imports::BYTES_MAX`].
    TooLarge(ApiError),
}

impl From<ApiError> for ImportRefused {
    fn from(e: ApiError) -> Self {
        Self::Api(e)
    }
}

impl IntoResponse for ImportRefused {
    fn into_response(self) -> Response {
        match self {
            Self::Api(e) => e.into_response(),
            Self::TooLarge(e) => e.with_code(ErrorCode::PayloadTooLarge).into_response(),
        }
    }
}

/// Refuses a body whose declared `Content-Length` is over the import's byte limit, before
/// any of it is read.
fn refuse_declared_size(headers: &HeaderMap) -> Result<(), ImportRefused> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    match declared {
        Some(n) if n > imports::BYTES_MAX => {
            Err(ImportRefused::TooLarge(imports::too_large(n).into()))
        }
        _ => Ok(()),
    }
}

/// Runs the import over a request body, read as it arrives. The import stops reading at its
/// byte limit however the body is sent (a chunked body declares no length); counting the
/// bytes that arrived tells that stop from the others, to answer it with 413.
pub async fn import_body(
    svc: &Services,
    caller: &Caller,
    options: ImportOptions,
    headers: &HeaderMap,
    body: Body,
) -> Result<CustomerImport, ImportRefused> {
    refuse_declared_size(headers)?;
    let arrived = Arc::new(AtomicU64::new(0));
    let counter = Arc::clone(&arrived);
    let bytes = body.into_data_stream().map(move |piece| {
        if let Ok(b) = &piece {
            counter.fetch_add(b.len() as u64, Ordering::Relaxed);
        }
        piece.map_err(std::io::Error::other)
    });
    let reader = SyncIoBridge::new(StreamReader::new(bytes));
    match imports::import_customers(svc, caller, options, reader, &|_| {}).await {
        Ok(import) => Ok(import),
        Err(e) if arrived.load(Ordering::Relaxed) > imports::BYTES_MAX => {
            Err(ImportRefused::TooLarge(e.into()))
        }
        Err(e) => Err(ImportRefused::Api(e.into())),
    }
}

/// Import customers from CSV
///
/// Import customers from a CSV file sent as the body (`Content-Type: text/csv`), UTF-8 with or
/// without a byte-order mark, comma- or semicolon-separated.
///
/// The first line names the columns: `id`, `external_id`, `email`, `name`, `phone`, `tax_id`,
/// `country`, `username`, `profile_url` and `metadata.<key>`; the figures the export writes
/// (`lifetime_value`, `orders`, ...) are read past. A row matches a customer by `id`, else by
/// `external_id` (never by email); an empty cell leaves the matched customer's field as it is.
/// Every row gets an outcome (created, updated, unchanged, rejected with the field and
/// reason) in the report; a bad row never stops the others. An unknown column refuses the
/// whole file before any row is read.
///
/// A file is read under limits: 256 MiB in all, 128 KiB a row, 8 KiB a cell, 1,000,000 rows. A
/// file that reaches one stops there: the rows before it are imported and in the report, which
/// gets a rejected row at the line where it stopped; the import is `failed`, and the answer is
/// 413 (bytes) or 422 (the others), naming the limit, the line and the import.
#[utoipa::path(
    post, path = "/customer_imports", tag = "customers", params(ImportParams),
    request_body(content = String, content_type = "text/csv", description = "The CSV file"),
    responses(
        (status = 201, description = "The import, finished: its counts and report URL", body = CustomerImport),
        (status = 400, description = "The body is not text/csv", body = ErrorEnvelope),
        (status = 403, description = "The key lacks customers:write", body = ErrorEnvelope),
        (status = 413, description = "The file is larger than 256 MiB: refused from its Content-Length, or stopped there", body = ErrorEnvelope),
        (status = 422, description = "The header names an unknown column, or the file reached a row, cell or row-count limit", body = ErrorEnvelope),
    ),
    security(("api_key" = []))
)]
pub async fn create_import(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiQuery(params): ApiQuery<ImportParams>,
    headers: HeaderMap,
    body: Body,
) -> Result<(StatusCode, Json<CustomerImport>), ImportRefused> {
    require_csv(&headers)?;
    let options = params.options();
    let import = import_body(&state.services, &caller, options, &headers, body).await?;
    Ok((StatusCode::CREATED, Json(import)))
}

/// An import: its status and counts.
#[utoipa::path(
    get, path = "/customer_imports/{id}", tag = "customers",
    params(("id" = app::types::CustomerImportId, Path, description = "imp_...")),
    responses(
        (status = 200, description = "The import", body = CustomerImport),
        (status = 404, description = "No such import in this workspace", body = ErrorEnvelope),
    ),
    security(("api_key" = []))
)]
pub async fn get_import(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    PathId(id): PathId<CustomerImportId>,
) -> Result<Json<CustomerImport>, ApiError> {
    Ok(Json(
        imports::get_import(&state.services, &caller, &id).await?,
    ))
}

/// Retrieve an import's report as CSV
///
/// An import's report as CSV, one line per data row of the file: `line` (the file's line the
/// row starts on), `outcome`, `customer_id`, `field`, `reason`.
#[utoipa::path(
    get, path = "/customer_imports/{id}/report.csv", tag = "customers",
    params(("id" = app::types::CustomerImportId, Path, description = "imp_...")),
    responses(
        (status = 200, description = "The report", content_type = "text/csv", body = String),
        (status = 404, description = "No such import in this workspace", body = ErrorEnvelope),
    ),
    security(("api_key" = []))
)]
pub async fn import_report(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    PathId(id): PathId<CustomerImportId>,
) -> Result<Response, ApiError> {
    report_csv(state.services.clone(), caller, id).await
}

fn report_chunk(
    rows: &[app::types::import::ImportReportRow],
    header: bool,
) -> std::io::Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::with_capacity(rows.len() * 48));
    if header {
        w.write_record(["line", "outcome", "customer_id", "field", "reason"])?;
    }
    for r in rows {
        w.write_record([
            r.line.to_string(),
            r.outcome.to_string(),
            r.customer_id
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default(),
            crate::web::export::cell(r.field.as_deref()),
            crate::web::export::cell(r.reason.as_deref()),
        ])?;
    }
    w.into_inner()
        .map_err(|e| std::io::Error::other(e.to_string()))
}

/// The report, streamed page by page so that a million lines never sit in memory.
pub async fn report_csv(
    svc: Services,
    caller: Caller,
    id: CustomerImportId,
) -> Result<Response, ApiError> {
    // The first page is read before answering, so that a missing import is a proper 404.
    let first = imports::report_page(&svc, &caller, &id, 0, REPORT_PAGE, false).await?;
    let filename = format!("attachment; filename=\"{id}-report.csv\"");
    let body = stream::unfold(
        (Some(first), 0i64, true, false, svc, caller, id),
        |(ready, after, header, done, svc, caller, id)| async move {
            if done {
                return None;
            }
            let rows = match ready {
                Some(rows) => rows,
                None => match imports::report_page(&svc, &caller, &id, after, REPORT_PAGE, false)
                    .await
                {
                    Ok(rows) => rows,
                    Err(e) => {
                        tracing::error!(error = %e, "import report stopped");
                        let err = std::io::Error::other("report failed");
                        return Some((Err(err), (None, after, false, true, svc, caller, id)));
                    }
                },
            };
            if rows.is_empty() && !header {
                return None;
            }
            let last = rows.last().map_or(after, |r| r.line);
            let full = rows.len() as u64 == REPORT_PAGE;
            let bytes = report_chunk(&rows, header);
            Some((bytes, (None, last, false, !full, svc, caller, id)))
        },
    );
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, filename),
        ],
        Body::from_stream(body.fuse()),
    )
        .into_response())
}
