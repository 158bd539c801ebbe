//! The import's report: each row's outcome, stored as the rows are written and added to the
//! import's counts; and the imports and their reports read back.

use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};

use crate::db::bulk::{Batch, Cell, Kind, Table};
use crate::db::entities::{customer, customer_import, customer_import_row};
use crate::domain::actor::Caller;
use crate::domain::{DomainError, Services};
use crate::types::import::{CustomerImport, ImportReportRow, RowOutcome};
use crate::types::{CustomerId, CustomerImportId, Scope};

use super::mapping::Rejection;

/// One row's outcome, as stored in the report.
pub(super) struct Outcome {
    pub(super) line: i64,
    pub(super) outcome: RowOutcome,
    pub(super) customer_id: Option<CustomerId>,
    pub(super) rejection: Option<Rejection>,
}

impl Outcome {
    pub(super) fn rejected(line: i64, customer_id: Option<CustomerId>, r: Rejection) -> Self {
        Self {
            line,
            outcome: RowOutcome::Rejected,
            customer_id,
            rejection: Some(r),
        }
    }
}

/// The report's table, as [`write_report`] writes it.
static REPORT: Table = Table {
    name: "customer_import_rows",
    columns: &[
        ("import_id", Kind::Text),
        ("line", Kind::BigInt),
        ("outcome", Kind::Text),
        ("customer_id", Kind::Text),
        ("field", Kind::Text),
        ("reason", Kind::Text),
    ],
};

/// Appends the chunk's report rows and adds them to the import's counts.
pub(super) async fn write_report<C: ConnectionTrait>(
    conn: &C,
    import: &CustomerImportId,
    outcomes: &[Outcome],
) -> Result<(), DomainError> {
    let mut rows = Batch::new(&REPORT, conn.get_database_backend());
    let import_id = import.as_str();
    for o in outcomes {
        rows.push(&[
            Cell::Text(Some(import_id)),
            Cell::Int(o.line),
            Cell::Text(Some(o.outcome.as_str())),
            Cell::Text(o.customer_id.as_ref().map(CustomerId::as_str)),
            Cell::Text(o.rejection.as_ref().and_then(|r| r.field.as_deref())),
            Cell::Text(o.rejection.as_ref().map(|r| r.reason.as_str())),
        ])?;
    }
    rows.insert(conn).await?;
    let count = |k: RowOutcome| outcomes.iter().filter(|o| o.outcome == k).count() as i64;
    let add = |c: customer_import::Column, n: i64| Expr::col(c).add(n);
    use customer_import::Column as C;
    customer_import::Entity::update_many()
        .col_expr(C::Rows, add(C::Rows, outcomes.len() as i64))
        .col_expr(C::Created, add(C::Created, count(RowOutcome::Created)))
        .col_expr(C::Updated, add(C::Updated, count(RowOutcome::Updated)))
        .col_expr(
            C::Unchanged,
            add(C::Unchanged, count(RowOutcome::Unchanged)),
        )
        .col_expr(C::Rejected, add(C::Rejected, count(RowOutcome::Rejected)))
        .filter(C::Id.eq(import.as_str()))
        .exec(conn)
        .await?;
    Ok(())
}

fn present(row: customer_import::Model, base: &str) -> CustomerImport {
    CustomerImport {
        object: "customer_import".into(),
        report_url: format!("{base}/api/v1/customer_imports/{}/report.csv", row.id),
        id: row.id,
        mode: row.mode,
        dry_run: row.dry_run,
        status: row.status,
        rows: row.rows,
        created: row.created,
        updated: row.updated,
        unchanged: row.unchanged,
        rejected: row.rejected,
        error: row.error,
        created_at: row.created_at,
        finished_at: row.finished_at,
    }
}

async fn find_import(
    svc: &Services,
    caller: &Caller,
    id: &CustomerImportId,
) -> Result<customer_import::Model, DomainError> {
    crate::domain::find::in_workspace::<customer_import::Entity, _, _, _>(
        &svc.db,
        caller.workspace_id.as_str(),
        id.clone(),
    )
    .await
}

/// One import of the caller's workspace.
pub async fn get_import(
    svc: &Services,
    caller: &Caller,
    id: &CustomerImportId,
) -> Result<CustomerImport, DomainError> {
    caller.require(Scope::CustomersRead)?;
    let row = find_import(svc, caller, id).await?;
    Ok(present(row, &svc.public_url))
}

/// The workspace's latest imports, newest first.
pub async fn recent_imports(
    svc: &Services,
    caller: &Caller,
    limit: u64,
) -> Result<Vec<CustomerImport>, DomainError> {
    caller.require(Scope::CustomersRead)?;
    Ok(customer_import::Entity::find()
        .filter(customer_import::Column::WorkspaceId.eq(caller.workspace_id.as_str()))
        .order_by_desc(customer_import::Column::Id)
        .limit(limit)
        .all(&svc.db)
        .await?
        .into_iter()
        .map(|row| present(row, &svc.public_url))
        .collect())
}

/// Report rows of an import after `after_line`, in line order, at most `limit`; the report
/// download walks it page by page. `problems_only` keeps the rejected rows.
pub async fn report_page(
    svc: &Services,
    caller: &Caller,
    id: &CustomerImportId,
    after_line: i64,
    limit: u64,
    problems_only: bool,
) -> Result<Vec<ImportReportRow>, DomainError> {
    caller.require(Scope::CustomersRead)?;
    find_import(svc, caller, id).await?;
    let mut q = customer_import_row::Entity::find()
        .filter(customer_import_row::Column::ImportId.eq(id.as_str()))
        .filter(customer_import_row::Column::Line.gt(after_line));
    if problems_only {
        q = q.filter(customer_import_row::Column::Outcome.eq(RowOutcome::Rejected));
    }
    Ok(q.order_by_asc(customer_import_row::Column::Line)
        .limit(limit)
        .all(&svc.db)
        .await?
        .into_iter()
        .map(|r| ImportReportRow {
            line: r.line,
            outcome: r.outcome,
            customer_id: r.customer_id,
            field: r.field,
            reason: r.reason,
        })
        .collect())
}

/// How many customers the workspace has; the import benchmark's check that every row landed.
pub async fn customer_count(svc: &Services, caller: &Caller) -> Result<u64, DomainError> {
    Ok(customer::Entity::find()
        .filter(customer::Column::WorkspaceId.eq(caller.workspace_id.as_str()))
        .count(&svc.db)
        .await?)
}
