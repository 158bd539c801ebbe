//! CSV import of customers. A file is read on a blocking thread (the `csv` crate, UTF-8 with or
//! without a byte-order mark, comma or semicolon, quoted newlines) and checked row by row there;
//! the checked rows arrive here in chunks of a few hundred, each written in one transaction
//! with its audit events, webhook deliveries and report rows. Memory stays flat however long
//! the file is, and a bad row is reported without stopping the others.
//!
//! A row matches a customer by `id` (a Patron id, as the export writes it), else by
//! `external_id`; email is never a key. An empty cell leaves a matched customer's field as it
//! is; `metadata.<key>` columns add or replace single keys. A cell the export defused (a `'`
//! before `=`, `+`, `-`, `@`, a tab, a carriage return or another `'`, see [`defused`]) is
//! read without that `'`, so that an export imports back exactly.
//!
//! # Limits
//!
//! Whoever sends the file, it is read under four limits, checked while it is read, so that
//! neither a long file nor a quote left open (which makes the rest of the file one cell) can
//! grow the reader's memory:
//!
//! - [`BYTES_MAX`], 256 MiB: the whole file. A million rows of the export's width fit. The
//!   HTTP doors also refuse a larger declared `Content-Length` before reading (413).
//! - [`RECORD_MAX`], 128 KiB: one row, its line end included. The widest row the import can
//!   accept (every field at its longest in four-byte characters, fifty metadata values) fits.
//! - [`FIELD_MAX`], 8 KiB: one cell. The longest field, a profile URL of 2,048 four-byte
//!   characters, fits.
//! - [`ROWS_MAX`], 1,000,000: data rows, the size the import is benchmarked at.
//!
//! A file that reaches one stops there: the rows before it stay imported and reported, the
//! report gets a rejected row at the line where it stopped, the import is `failed` with that
//! line and the limit, and the call is refused as `Unprocessable` on `file`, naming the limit
//! (the HTTP doors answer the byte limit with 413).
//!
//! `mapping` reads a header's columns and checks a row's cells, `limits` holds the limits and
//! their wording, `reading` reads a file on its thread, `writing` writes the rows to the
//! database, and `report` stores each row's outcome and reads imports and their reports back.

mod limits;
mod mapping;
mod reading;
mod report;
mod writing;

pub use limits::{BYTES_MAX, FIELD_MAX, RECORD_MAX, ROWS_MAX, too_large};
pub use mapping::{DEFUSED_STARTS, defused, undefused};
pub use reading::preview;
pub use report::{customer_count, get_import, recent_imports, report_page};
pub use writing::import_customers;

use crate::types::import::ImportMode;

/// How to run an import.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportOptions {
    /// Create only, or create or update.
    pub mode: ImportMode,
    /// Check and count every row, write no customer.
    pub dry_run: bool,
}

/// How far an import has got, for a progress bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImportProgress {
    /// Bytes of the file read so far.
    pub bytes: u64,
    /// Data rows with an outcome so far.
    pub rows: u64,
}

#[cfg(test)]
mod tests;
