//! CSV imports of customers as the REST API and the dashboard show them: the run's counts and
//! its per-row report, and the preview of a file's first rows before it is sent.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{CustomerId, CustomerImportId};

crate::string_enum!(
    /// What an import may do to customers.
    #[derive(Default)]
    ImportMode {
        /// A row matching an existing customer updates it; any other row creates one.
        #[default]
        CreateOrUpdate = "create_or_update",
        /// A row matching an existing customer is rejected; any other row creates one.
        CreateOnly = "create_only",
    }
);

crate::string_enum!(
    /// Where an import stands.
    ImportStatus {
        /// Rows are being read.
        Running = "running",
        /// Every row was read and has its outcome.
        Done = "done",
        /// The file could not be read to the end, or reached one of the import's limits (see
        /// `error`); the rows before stay as reported, and the report's last row is the line
        /// where it stopped.
        Failed = "failed",
    }
);

crate::string_enum!(
    /// What happened to one row.
    RowOutcome {
        /// A new customer.
        Created = "created",
        /// An existing customer, changed.
        Updated = "updated",
        /// An existing customer that already held these values.
        Unchanged = "unchanged",
        /// Not written: `field` and `reason` say why.
        Rejected = "rejected",
    }
);

/// One run of a CSV import.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CustomerImport {
    /// Always `customer_import`.
    pub object: String,
    /// `imp_...`.
    #[cfg_attr(feature = "ssr", schema(value_type = String, example = "imp_01JD5ZQ3XK4M6P8R9S2T3V4W5X"))]
    pub id: CustomerImportId,
    /// Create only, or create or update.
    pub mode: ImportMode,
    /// A dry run writes no customer: the counts say what the import would do.
    pub dry_run: bool,
    /// Running, done or failed.
    pub status: ImportStatus,
    /// Data rows read (the header is not counted).
    pub rows: i64,
    /// Rows that created a customer (or would have, in a dry run).
    pub created: i64,
    /// Rows that changed an existing customer.
    pub updated: i64,
    /// Rows that matched a customer already holding their values.
    pub unchanged: i64,
    /// Rows refused; the report names the field and the reason.
    pub rejected: i64,
    /// Where and why the file stopped being read, when `status` is `failed` ("stopped at line
    /// 12: the cell is longer than 8 KiB, ...").
    pub error: Option<String>,
    /// When it started.
    pub created_at: DateTime<Utc>,
    /// When the last row was read.
    pub finished_at: Option<DateTime<Utc>>,
    /// The per-row report as CSV (line, outcome, customer_id, field, reason).
    pub report_url: String,
}

/// One row of an import's report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ImportReportRow {
    /// The file's line the row starts on (the header is line 1).
    pub line: i64,
    /// What happened.
    pub outcome: RowOutcome,
    /// The customer created, updated or matched.
    #[cfg_attr(feature = "ssr", schema(value_type = Option<String>))]
    pub customer_id: Option<CustomerId>,
    /// The column at fault, for a rejected row.
    pub field: Option<String>,
    /// Why it was rejected.
    pub reason: Option<String>,
}

/// What a file's header means to the import.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportColumn {
    /// The header as written in the file.
    pub header: String,
    /// The customer field it fills (`email`, `metadata.plan`), or none when it is ignored.
    pub field: Option<String>,
    /// Why it is ignored (a figure Patron computes, such as `lifetime_value`).
    pub note: Option<String>,
}

/// The first rows of a file as the import will read them, before it is sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportPreview {
    /// `,` or `;`.
    pub delimiter: String,
    /// Each header column and what it maps to.
    pub columns: Vec<ImportColumn>,
    /// Up to five data rows, cell by cell.
    pub rows: Vec<Vec<String>>,
}
