//! Server functions behind the dashboard's Import page: the preview of a chosen file, the
//! workspace's recent imports, and an import's rejected rows. The file itself is sent to
//! `POST /dashboard/customer_imports` as it is read, not through a server function.

use leptos::prelude::*;

use crate::types::AppError;
use crate::types::import::{CustomerImport, ImportPreview, ImportReportRow};

/// How many rejected rows the page lists; the downloadable report has them all.
pub const PROBLEMS_SHOWN: u64 = 100;

/// The columns and first rows of a file, from its first bytes (`head`), as the import will read
/// them; a header it would refuse is the same error here.
#[server(prefix = "/rpc", endpoint = "dashboard/imports/preview")]
pub async fn preview_customer_import(head: String) -> Result<ImportPreview, AppError> {
    let run = async {
        let (_, user) = super::ctx::signed_in().await?;
        user.caller.require(crate::types::Scope::CustomersWrite)?;
        Ok(crate::domain::imports::preview(head.as_bytes())?)
    };
    super::ctx::with_status(run.await)
}

/// The workspace's ten latest imports, newest first (a running one shows its rows so far).
#[server(prefix = "/rpc", endpoint = "dashboard/imports")]
pub async fn load_customer_imports() -> Result<Vec<CustomerImport>, AppError> {
    super::ctx::as_caller(|svc, caller| async move {
        Ok(crate::domain::imports::recent_imports(&svc, &caller, 10).await?)
    })
    .await
}

/// The first rejected rows of an import.
#[server(prefix = "/rpc", endpoint = "dashboard/imports/problems")]
pub async fn load_import_problems(id: String) -> Result<Vec<ImportReportRow>, AppError> {
    super::ctx::as_caller(|svc, caller| async move {
        let id = crate::types::CustomerImportId::parse(&id).map_err(|_| AppError::NotFound {
            what: "customer import".into(),
        })?;
        Ok(
            crate::domain::imports::report_page(&svc, &caller, &id, 0, PROBLEMS_SHOWN, true)
                .await?,
        )
    })
    .await
}
