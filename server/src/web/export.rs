//! CSV export of the customer list, streamed: one statement per export, its rows written by a
//! CSV writer to the response as they arrive, so memory stays flat at a million rows. The
//! response is gzipped when the client asks (the router's compression layer). Text a
//! spreadsheet would run as a formula is defused with a leading `'`, by the rule the import
//! undoes ([`imports::defused`]), so that an export imports back exactly. The REST API's
//! export and the dashboard's (`GET /dashboard/customers/export.csv`) write the same file.
//! Here too: a customer's data as a JSON download, for the dashboard
//! (`GET /dashboard/customers/{id}/data_export.json`) and the portal
//! ([`super::portal::data_export`]).

use app::domain::Services;
use app::domain::customer_list::{CustomerExport, CustomerQuery, ExportRow, export_customers};
use app::domain::data_export::export_customer_data;
use app::domain::imports::{self, DEFUSED_STARTS};
use app::domain::{Caller, DomainError};
use app::types::customer::{CustomerDataExport, CustomerListParams};
use app::types::{AppError, CustomerId, money};
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use futures::{StreamExt, TryStreamExt};
use tokio::sync::mpsc;

use super::DashboardUser;
use crate::api::error::ApiError;
use crate::api::ids::path_id;
use crate::api::json::ApiQuery;
use crate::state::AppState;

const HEADER: [&str; 11] = [
    "id",
    "email",
    "name",
    "external_id",
    "country",
    "lifetime_value",
    "currency",
    "orders",
    "active_subscriptions",
    "subscription_status",
    "created_at",
];

/// Bytes written before a piece of the file is handed to the response.
const CHUNK: usize = 64 * 1024;
/// Pieces waiting for a slow client before the reading waits too.
const QUEUED: usize = 4;

/// Text a spreadsheet would run as a formula, or that starts with `'`, gets a leading `'`.
pub(crate) fn cell(v: Option<&str>) -> String {
    v.map(|s| imports::defused(s).into_owned())
        .unwrap_or_default()
}

/// One customer's line; `scratch` holds the text fields (defused), reused line after line.
fn write_row<W: std::io::Write>(
    w: &mut csv::Writer<W>,
    r: &ExportRow,
    currency: money::CurrencyCode,
    scratch: &mut [String; 4],
) -> Result<(), csv::Error> {
    for (slot, v) in scratch
        .iter_mut()
        .zip([&r.email, &r.name, &r.external_id, &r.country])
    {
        slot.clear();
        let v = v.as_deref().unwrap_or_default();
        // As `imports::defused` does, without a new string per cell.
        if v.starts_with(DEFUSED_STARTS) {
            slot.push('\'');
        }
        slot.push_str(v);
    }
    let ltv = money::format_major(r.ltv_amount, currency);
    w.write_record([
        r.id.as_str(),
        &scratch[0],
        &scratch[1],
        &scratch[2],
        &scratch[3],
        &ltv,
        currency.as_str(),
        &r.order_count.to_string(),
        &r.active_subscriptions.to_string(),
        r.subscription_status.map_or("", |s| s.as_str()),
        &r.created_at.to_rfc3339(),
    ])
}

/// Reads the export's one statement and writes its rows as CSV into `tx`, a piece at a time.
/// Ends quietly when the client has gone.
async fn write_csv(
    svc: Services,
    export: CustomerExport,
    tx: mpsc::Sender<Result<Vec<u8>, DomainError>>,
) -> Result<(), DomainError> {
    let CustomerExport { currency, rows } = export;
    let mut rows = rows.stream(&svc.db).await?;
    let new_writer = || csv::Writer::from_writer(Vec::with_capacity(CHUNK + 8 * 1024));
    let mut w = new_writer();
    let csv_error = |e: csv::Error| DomainError::internal(e.to_string());
    w.write_record(HEADER).map_err(csv_error)?;
    let mut scratch: [String; 4] = Default::default();
    let take = |w: &mut csv::Writer<Vec<u8>>| {
        std::mem::replace(w, new_writer())
            .into_inner()
            .map_err(|e| DomainError::internal(e.to_string()))
    };
    while let Some(r) = rows.try_next().await? {
        write_row(&mut w, &r, currency, &mut scratch).map_err(csv_error)?;
        // The writer's own buffer empties into the Vec every few kilobytes.
        if w.get_ref().len() >= CHUNK && tx.send(Ok(take(&mut w)?)).await.is_err() {
            return Ok(());
        }
    }
    let _ = tx.send(Ok(take(&mut w)?)).await;
    Ok(())
}

/// The filtered list as a streamed CSV response. Bad parameters, and a statement that cannot
/// start, fail before the first byte with a proper status.
pub async fn customers_csv(
    svc: Services,
    caller: Caller,
    params: &CustomerListParams,
) -> Result<Response, ApiError> {
    let export = export_customers(&svc, &caller, &CustomerQuery::parse(params)?).await?;
    let (tx, mut rx) = mpsc::channel(QUEUED);
    tokio::spawn(async move {
        let failed = tx.clone();
        if let Err(e) = write_csv(svc, export, tx).await {
            tracing::error!(error = %e, "customer export stopped");
            let _ = failed.send(Err(e)).await;
        }
    });
    // The first piece (or the end) before answering, so that an error is still a status.
    let first = rx.recv().await.transpose()?;
    let rest = futures::stream::unfold(rx, |mut rx| async move {
        // Mid-stream the status is sent: end the body early so the file is visibly cut.
        let piece = rx.recv().await?;
        Some((
            piece.map_err(|_| std::io::Error::other("export failed")),
            rx,
        ))
    });
    let body = futures::stream::iter(first.map(Ok::<_, std::io::Error>)).chain(rest);
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"customers.csv\"",
            ),
        ],
        // Fused: the compression layer may poll once more after the end.
        Body::from_stream(body.fuse()),
    )
        .into_response())
}

/// The dashboard's export button: the signed-in user's workspace, the list's URL parameters.
pub async fn dashboard_customers_csv(
    State(state): State<AppState>,
    ApiQuery(params): ApiQuery<CustomerListParams>,
    DashboardUser(user): DashboardUser,
) -> Result<Response, ApiError> {
    customers_csv(state.services.clone(), user.caller, &params).await
}

/// A customer's data export as a JSON file download, named after the customer.
pub fn data_export_download(export: &CustomerDataExport) -> Response {
    match serde_json::to_vec_pretty(export) {
        Ok(body) => (
            [
                (header::CONTENT_TYPE, "application/json".to_owned()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"data-{}.json\"", export.customer.id),
                ),
            ],
            body,
        )
            .into_response(),
        Err(e) => {
            tracing::error!(error = %e, "cannot encode a data export");
            ApiError::from(AppError::Internal).into_response()
        }
    }
}

/// `GET /dashboard/customers/{id}/data_export.json`: the customer page's "Download data", for a
/// signed-in merchant user who may read customers.
pub async fn dashboard_customer_data(
    State(state): State<AppState>,
    Path(id): Path<String>,
    DashboardUser(user): DashboardUser,
) -> Result<Response, ApiError> {
    let id: CustomerId = path_id(&id, "customer")?;
    let export = export_customer_data(&state.services, &user.caller, &id).await?;
    Ok(data_export_download(&export))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_defused() {
        assert_eq!(cell(Some("=HYPERLINK(\"x\")")), "'=HYPERLINK(\"x\")");
        assert_eq!(cell(Some("Ada")), "Ada");
        assert_eq!(cell(None), "");
    }

    #[test]
    fn a_leading_quote_is_defused_too_so_the_import_reads_every_cell_back() {
        assert_eq!(cell(Some("'Tis")), "''Tis");
        for v in ["-123", "'-123", "@home", "'", "plain"] {
            assert_eq!(imports::undefused(&cell(Some(v))), v);
        }
    }
}
