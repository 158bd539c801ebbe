//! CSV export of the customer list, streamed: one page of the domain query at a time, written
//! out as it is read, so memory stays flat at a million rows.

use app::domain::customers::{CustomerQuery, CustomerWalk};
use app::domain::{Caller, Services};
use app::types::customer::{CustomerListItem, CustomerListParams};
use app::types::money;
use axum::body::Body;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use futures::{StreamExt, stream};

use crate::api::error::ApiError;

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

/// Text a spreadsheet would run as a formula gets a leading quote (OWASP CSV injection).
pub(crate) fn cell(v: Option<&str>) -> String {
    match v {
        Some(s) if s.starts_with(['=', '+', '-', '@', '\t', '\r']) => format!("'{s}"),
        Some(s) => s.to_owned(),
        None => String::new(),
    }
}

fn write_rows(rows: &[CustomerListItem], with_header: bool) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::with_capacity(rows.len() * 128));
    if with_header {
        w.write_record(HEADER)?;
    }
    for r in rows {
        let c = &r.customer;
        w.write_record([
            c.id.to_string(),
            cell(c.email.as_deref()),
            cell(c.name.as_deref()),
            cell(c.external_id.as_deref()),
            cell(c.country.as_deref()),
            money::format_major(r.lifetime_value, &r.currency).unwrap_or_default(),
            r.currency.clone(),
            r.order_count.to_string(),
            r.active_subscriptions.to_string(),
            r.subscription_status
                .map(|s| s.to_string())
                .unwrap_or_default(),
            c.created_at.to_rfc3339(),
        ])?;
    }
    w.into_inner().map_err(|e| csv::Error::from(e.into_error()))
}

/// The filtered list as a streamed CSV response. Bad parameters fail before the first byte.
pub async fn customers_csv(
    svc: Services,
    caller: Caller,
    params: &CustomerListParams,
) -> Result<Response, ApiError> {
    let mut walk = CustomerWalk::new(CustomerQuery::parse(params)?);
    // The first page is read before answering, so that an error is still a proper status.
    let first = walk.next_page(&svc, &caller).await?;
    let body = stream::unfold(
        // (a page already read, the walk (none once it failed), whether the header is due)
        (first, Some(walk), true, svc, caller),
        |(ready, walk, first_chunk, svc, caller)| async move {
            let mut walk = walk?;
            let rows = match ready {
                Some(rows) => rows,
                None => match walk.next_page(&svc, &caller).await {
                    Ok(Some(rows)) => rows,
                    Ok(None) => return None,
                    Err(e) => {
                        // Mid-stream the status is sent: end the body early so the file is
                        // visibly cut.
                        tracing::error!(error = %e, "customer export stopped");
                        let err = std::io::Error::other("export failed");
                        return Some((Err(err), (None, None, false, svc, caller)));
                    }
                },
            };
            let bytes = write_rows(&rows, first_chunk).map_err(std::io::Error::other);
            Some((bytes, (None, Some(walk), false, svc, caller)))
        },
    );
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
    axum::extract::State(state): axum::extract::State<crate::state::AppState>,
    headers: axum::http::HeaderMap,
    crate::api::json::ApiQuery(params): crate::api::json::ApiQuery<CustomerListParams>,
) -> Result<Response, ApiError> {
    let token = app::server_fns::ctx::session_token_in(&headers)
        .ok_or_else(|| ApiError::from(app::types::AppError::Unauthenticated))?;
    let user = app::domain::accounts::session_user(&state.services, &token, None).await?;
    customers_csv(state.services.clone(), user.caller, &params).await
}

/// A customer's data export as a JSON file download, named after the customer.
pub fn data_export_download(export: &app::types::customer::CustomerDataExport) -> Response {
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
            axum::http::StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// `GET /dashboard/customers/{id}/data_export.json`: the customer page's "Download data", for a
/// signed-in merchant user who may read customers.
pub async fn dashboard_customer_data(
    axum::extract::State(state): axum::extract::State<crate::state::AppState>,
    axum::extract::Path(id): axum::extract::Path<String>,
    headers: axum::http::HeaderMap,
) -> Result<Response, ApiError> {
    let token = app::server_fns::ctx::session_token_in(&headers)
        .ok_or_else(|| ApiError::from(app::types::AppError::Unauthenticated))?;
    let user = app::domain::accounts::session_user(&state.services, &token, None).await?;
    let id: app::types::CustomerId = crate::api::ids::path_id(&id, "customer")?;
    let export =
        app::domain::data_export::export_customer_data(&state.services, &user.caller, &id).await?;
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
}
