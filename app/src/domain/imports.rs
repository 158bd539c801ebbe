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

use std::borrow::Cow;
use std::cell::Cell as Counter;
use std::collections::hash_map::DefaultHasher;
use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::io::{BufRead, BufReader, Read};
use std::rc::Rc;
use std::sync::Arc;

use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use tokio::sync::mpsc;

use crate::db::bulk::{Batch, Cell, Kind, Table};
use crate::db::entities::{customer, customer_import, customer_import_row};
use crate::types::activity::TargetKind;
use crate::types::customer::{CustomerCreate, Metadata};
use crate::types::import::{
    CustomerImport, ImportColumn, ImportMode, ImportPreview, ImportReportRow, ImportStatus,
    RowOutcome,
};
use crate::types::{CustomerId, CustomerImportId, Scope};

use super::actor::Caller;
use super::audit::{self, Change};
use super::customers::{self, Fields};
use super::{Clock, DomainError, Services, validate};

/// Most bytes an import reads, a byte-order mark included (256 MiB).
pub const BYTES_MAX: u64 = 256 * MIB;
/// Most bytes one row may take, its line end included (128 KiB).
pub const RECORD_MAX: u64 = 128 * KIB;
/// Most bytes one cell may hold once read (8 KiB).
pub const FIELD_MAX: usize = 8 * 1024;
/// Most data rows an import reads (the header is not counted).
pub const ROWS_MAX: u64 = 1_000_000;
const KIB: u64 = 1024;
const MIB: u64 = 1024 * KIB;
/// Rows written per transaction.
const CHUNK: usize = 5_000;
/// Data rows a preview shows.
const PREVIEW_ROWS: usize = 5;
/// Columns the export writes that Patron computes: read past, never written.
const COMPUTED: [&str; 6] = [
    "lifetime_value",
    "currency",
    "orders",
    "active_subscriptions",
    "subscription_status",
    "created_at",
];
/// The fields a column may name, as the export writes them.
const FIELDS: [&str; 9] = [
    "id",
    "external_id",
    "email",
    "name",
    "phone",
    "tax_id",
    "country",
    "username",
    "profile_url",
];

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

/// What one header column fills.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Column {
    Id,
    Field(&'static str),
    Metadata(String),
    Computed,
}

impl Column {
    fn parse(index: usize, header: &str) -> Result<Self, DomainError> {
        let h = header.trim();
        let lower = h.to_ascii_lowercase();
        if lower == "id" {
            return Ok(Self::Id);
        }
        if let Some(f) = FIELDS.iter().find(|f| **f == lower) {
            return Ok(Self::Field(f));
        }
        if COMPUTED.contains(&lower.as_str()) {
            return Ok(Self::Computed);
        }
        if lower.starts_with("metadata.") {
            // `to_ascii_lowercase` keeps byte offsets, so the prefix has the same length in `h`.
            let key = &h["metadata.".len()..];
            let one: Metadata = [(key.to_owned(), String::new())].into();
            return match validate::metadata(&one) {
                Ok(()) => Ok(Self::Metadata(key.to_owned())),
                Err(e) => Err(DomainError::invalid(
                    "header",
                    format!("column {} ({h:?}): {}", index + 1, reason_of(&e)),
                )),
            };
        }
        Err(DomainError::invalid(
            "header",
            format!(
                "column {} ({h:?}) is not a customer field: use {}, metadata.<key>, or the export's columns",
                index + 1,
                FIELDS.join(", ")
            ),
        ))
    }

    fn describe(&self, header: &str) -> ImportColumn {
        let (field, note) = match self {
            Self::Id => (Some("id".to_owned()), None),
            Self::Field(f) => (Some((*f).to_owned()), None),
            Self::Metadata(k) => (Some(format!("metadata.{k}")), None),
            Self::Computed => (None, Some("computed by Patron: not imported".to_owned())),
        };
        ImportColumn {
            header: header.trim().to_owned(),
            field,
            note,
        }
    }
}

fn reason_of(e: &DomainError) -> String {
    match e {
        DomainError::Invalid { message, .. } => message.clone(),
        other => other.to_string(),
    }
}

/// A file's columns, checked: known names, none twice.
#[derive(Debug, Clone)]
struct Header {
    columns: Vec<Column>,
    names: Vec<String>,
}

impl Header {
    fn parse(record: &csv::ByteRecord) -> Result<Self, DomainError> {
        let mut columns = Vec::with_capacity(record.len());
        let mut names: Vec<String> = Vec::with_capacity(record.len());
        for (i, raw) in record.iter().enumerate() {
            let name = std::str::from_utf8(raw).map_err(|_| {
                DomainError::invalid("header", format!("column {} is not UTF-8 text", i + 1))
            })?;
            let column = Column::parse(i, name)?;
            if column != Column::Computed && columns.contains(&column) {
                return Err(DomainError::invalid(
                    "header",
                    format!("column {} repeats {:?}", i + 1, name.trim()),
                ));
            }
            columns.push(column);
            names.push(name.trim().to_owned());
        }
        Ok(Self { columns, names })
    }
}

/// Why a row was refused: the column (as the header names it) and the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Rejection {
    field: Option<String>,
    reason: String,
}

impl Rejection {
    fn new(field: Option<&str>, reason: impl Into<String>) -> Self {
        Self {
            field: field.map(str::to_owned),
            reason: reason.into(),
        }
    }

    /// A field error from validation, named as the file's column (`metadata.plan`).
    fn of(e: DomainError) -> Self {
        match e {
            DomainError::Invalid { field, message } => {
                let field = match field.strip_prefix("metadata[") {
                    Some(rest) => format!("metadata.{}", rest.trim_end_matches(']')),
                    None => field,
                };
                Self {
                    field: Some(field),
                    reason: message,
                }
            }
            other => Self::new(None, other.to_string()),
        }
    }
}

/// A row that passed the field checks: what it asks for.
#[derive(Debug, Clone)]
struct Candidate {
    id: Option<CustomerId>,
    /// The non-empty cells, validated and normalised; `None` leaves a field as it is.
    fields: Fields,
    /// What the row writes if it creates its customer, made by the reading thread.
    fresh: Option<Fresh>,
}

/// A new customer's row and its audit diff: most rows of a first import create, and making
/// them (a JSON picture of each) on the reading thread keeps that work off the writer's path.
#[derive(Debug, Clone)]
struct Fresh {
    model: customer::Model,
    diff: String,
}

/// Makes [`Fresh`] rows for one workspace, with the import's clock.
struct Maker {
    caller: Caller,
    clock: Arc<dyn Clock>,
}

impl Maker {
    fn fresh(&self, fields: &Fields) -> Result<Fresh, DomainError> {
        let now = self.clock.now();
        let id = CustomerId::generate_at(now);
        let model = customers::new_model(id, &self.caller, now, fields.clone());
        let diff = audit::created(customers::snapshot_of(&model)?).to_string();
        Ok(Fresh { model, diff })
    }
}

#[derive(Debug, Clone)]
struct Prepared {
    line: i64,
    row: Result<Candidate, Rejection>,
}

impl Prepared {
    /// What identifies the row's customer, to keep a chunk free of two rows for one customer.
    fn keys(&self) -> Vec<String> {
        let Ok(c) = &self.row else { return vec![] };
        let mut keys = Vec::new();
        if let Some(id) = &c.id {
            keys.push(format!("i:{id}"));
        }
        if let Some(x) = &c.fields.external_id {
            keys.push(format!("x:{x}"));
        }
        keys
    }
}

fn prepare(header: &Header, record: &csv::ByteRecord) -> Result<Candidate, Rejection> {
    if record.len() != header.columns.len() {
        return Err(Rejection::new(
            None,
            format!(
                "has {} cells where the header has {}",
                record.len(),
                header.columns.len()
            ),
        ));
    }
    let mut id = None;
    let mut input = CustomerCreate::default();
    let mut metadata = Metadata::new();
    for ((column, name), raw) in header.columns.iter().zip(&header.names).zip(record) {
        let text = std::str::from_utf8(raw)
            .map_err(|_| Rejection::new(Some(name), "is not UTF-8 text"))?
            .trim();
        let text = undefused(text);
        if text.is_empty() {
            continue;
        }
        let value = Some(text.to_owned());
        match column {
            Column::Id => {
                id = Some(CustomerId::parse(text).map_err(|_| {
                    Rejection::new(Some("id"), "is not a customer id (cus_ and 26 characters)")
                })?);
            }
            Column::Field("external_id") => input.external_id = value,
            Column::Field("email") => input.email = value,
            Column::Field("name") => input.name = value,
            Column::Field("phone") => input.phone = value,
            Column::Field("tax_id") => input.tax_id = value,
            Column::Field("country") => input.country = value,
            Column::Field("username") => input.username = value,
            Column::Field("profile_url") => input.profile_url = value,
            Column::Field(_) | Column::Computed => {}
            Column::Metadata(key) => {
                metadata.insert(key.clone(), text.to_owned());
            }
        }
    }
    if !metadata.is_empty() {
        input.metadata = Some(metadata);
    }
    let fields = Fields::validated(&input).map_err(Rejection::of)?;
    Ok(Candidate {
        id,
        fields,
        fresh: None,
    })
}

/// First characters after which the export writes a `'`: those a spreadsheet would run as a
/// formula (OWASP CSV injection), and the `'` itself, so that [`undefused`] can tell a `'` the
/// export added from one the value has.
pub const DEFUSED_STARTS: [char; 7] = ['=', '+', '-', '@', '\t', '\r', '\''];

/// A value as the export writes it into a cell: with a leading `'` when it starts with one of
/// [`DEFUSED_STARTS`], as it is otherwise.
pub fn defused(value: &str) -> Cow<'_, str> {
    if value.starts_with(DEFUSED_STARTS) {
        Cow::Owned(format!("'{value}"))
    } else {
        Cow::Borrowed(value)
    }
}

/// A cell's value, without the `'` [`defused`] put before it: `undefused(&defused(v)) == v`
/// for every `v`, and a cell the export would not have written this way is read as it is.
pub fn undefused(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(DEFUSED_STARTS) => rest,
        _ => cell,
    }
}

/// The limits a file is read under: [`LIMITS`] (smaller ones in this module's tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Limits {
    bytes: u64,
    record: u64,
    field: usize,
    rows: u64,
}

/// The limits every import is read under (see the module's documentation).
const LIMITS: Limits = Limits {
    bytes: BYTES_MAX,
    record: RECORD_MAX,
    field: FIELD_MAX,
    rows: ROWS_MAX,
};

/// "256 MiB", "8 KiB", "100 bytes".
fn size_words(bytes: u64) -> String {
    if bytes >= MIB && bytes.is_multiple_of(MIB) {
        format!("{} MiB", bytes / MIB)
    } else if bytes >= KIB && bytes.is_multiple_of(KIB) {
        format!("{} KiB", bytes / KIB)
    } else {
        format!("{bytes} bytes")
    }
}

/// "1,000,000".
fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(d);
    }
    out
}

/// A limit a file reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cap {
    Bytes,
    Record,
    Field,
    Rows,
}

impl Cap {
    /// The limit in words, with its figure, for the person who sent the file.
    fn explain(self, limits: &Limits) -> String {
        match self {
            Self::Bytes => format!(
                "the file is larger than {}, the most one import reads: split it into smaller files",
                size_words(limits.bytes)
            ),
            Self::Record => format!(
                "the row is longer than {}, the most one row may take (a quote left open makes the rest of the file one row)",
                size_words(limits.record)
            ),
            Self::Field => format!(
                "the cell is longer than {}, the most one cell may hold (a quote left open makes the rest of the file one cell)",
                size_words(limits.field as u64)
            ),
            Self::Rows => format!(
                "the file has more than {} rows, the most one import reads: split it into smaller files",
                grouped(limits.rows)
            ),
        }
    }
}

/// Refuses a file of `bytes` bytes, more than [`BYTES_MAX`], before reading any of it: the
/// doors that know a file's size call this first (HTTP answers it with 413).
pub fn too_large(bytes: u64) -> DomainError {
    DomainError::unprocessable(
        "file",
        format!(
            "has {} bytes; {}",
            grouped(bytes),
            Cap::Bytes.explain(&LIMITS)
        ),
    )
}

/// Why a file stopped being read before its end, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Stop {
    /// The file's line of the row that was not read.
    line: i64,
    /// The column at fault, for a cell over the limit.
    column: Option<String>,
    /// The limit reached; none when the file could not be read (the sender hung up).
    cap: Option<Cap>,
    /// What happened, in words.
    reason: String,
}

/// What the CSV reader has been handed, shared between [`Capped`] and the loop that reads
/// the records (both on one thread).
#[derive(Debug)]
struct Meter {
    limits: Limits,
    /// Bytes of the file passed over before the CSV reader (a byte-order mark).
    skipped: u64,
    /// Bytes handed to the CSV reader.
    handed: Counter<u64>,
    /// Where, in those bytes, the record being read starts.
    record_start: Counter<u64>,
    /// The limit that refused to hand out more, once one has.
    tripped: Counter<Option<Cap>>,
}

/// The file under the CSV reader, handing out no byte past the file's limit or the current
/// record's: the reader's buffers grow only as far as a record may, however the file goes on.
/// The `csv` crate has no such limit of its own; its reader asks for more bytes only once it
/// has parsed all it was given, so a request at the limit means the record goes past it.
struct Capped<R> {
    inner: R,
    meter: Rc<Meter>,
}

impl<R: Read> Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let m = &self.meter;
        let handed = m.handed.get();
        let file_room = m.limits.bytes.saturating_sub(m.skipped + handed);
        let record_room = (m.record_start.get() + m.limits.record).saturating_sub(handed);
        let room = std::cmp::min(file_room, record_room);
        if room == 0 {
            // At a limit: a file that ends exactly there is whole.
            let mut probe = [0u8; 1];
            if self.inner.read(&mut probe)? == 0 {
                return Ok(0);
            }
            let cap = if file_room == 0 {
                Cap::Bytes
            } else {
                Cap::Record
            };
            m.tripped.set(Some(cap));
            return Err(std::io::Error::other(cap.explain(&m.limits)));
        }
        let want = buf.len().min(usize::try_from(room).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..want])?;
        m.handed.set(handed + n as u64);
        Ok(n)
    }
}

/// The delimiter of a file whose first bytes are `head`: the one its first line uses more,
/// outside quotes (a comma when neither appears).
fn sniff(head: &[u8]) -> u8 {
    let (mut commas, mut semicolons, mut quoted) = (0usize, 0usize, false);
    for &b in head {
        match b {
            b'\n' if !quoted => break,
            b'"' => quoted = !quoted,
            b',' if !quoted => commas += 1,
            b';' if !quoted => semicolons += 1,
            _ => {}
        }
    }
    if semicolons > commas { b';' } else { b',' }
}

/// The CSV reader of a file, held to its limits by [`Capped`].
type CsvReader<R> = csv::Reader<Capped<BufReader<R>>>;

/// A CSV reader over `reader` held to `limits`, with its byte-order mark skipped and its
/// delimiter sniffed; the meter says which limit stopped it.
fn csv_reader<R: Read>(
    reader: R,
    limits: Limits,
) -> std::io::Result<(CsvReader<R>, u8, Rc<Meter>)> {
    let mut buffered = BufReader::with_capacity(64 * 1024, reader);
    let head = buffered.fill_buf()?;
    let bom = head.starts_with(b"\xEF\xBB\xBF");
    let delimiter = sniff(if bom { &head[3..] } else { head });
    if bom {
        buffered.consume(3);
    }
    let meter = Rc::new(Meter {
        limits,
        skipped: if bom { 3 } else { 0 },
        handed: Counter::new(0),
        record_start: Counter::new(0),
        tripped: Counter::new(None),
    });
    let capped = Capped {
        inner: buffered,
        meter: Rc::clone(&meter),
    };
    let csv = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(capped);
    Ok((csv, delimiter, meter))
}

/// The file's header. A file that cannot be read, or whose header names no customer fields,
/// is well-formed as a request and refused for its content: `Unprocessable`.
fn read_header<R: Read>(csv: &mut csv::Reader<R>, meter: &Meter) -> Result<Header, DomainError> {
    let mut record = csv::ByteRecord::new();
    let header = match csv.read_byte_record(&mut record) {
        Ok(true) => match record.iter().position(|f| f.len() > meter.limits.field) {
            Some(i) => Err(DomainError::invalid(
                "header",
                format!(
                    "column {} is longer than {}, the most one cell may hold",
                    i + 1,
                    size_words(meter.limits.field as u64)
                ),
            )),
            None => Header::parse(&record),
        },
        Ok(false) => Err(DomainError::invalid(
            "file",
            "is empty: its first line must name the columns",
        )),
        Err(e) => Err(match meter.tripped.get() {
            Some(cap) => DomainError::invalid(
                "file",
                format!("stopped at line 1: {}", cap.explain(&meter.limits)),
            ),
            None => DomainError::invalid("file", format!("cannot be read: {e}")),
        }),
    };
    header.map_err(|e| match e {
        DomainError::Invalid { field, message } => DomainError::Unprocessable { field, message },
        other => other,
    })
}

/// What the reading thread sends.
enum Parsed {
    Header,
    Rows {
        rows: Vec<Prepared>,
        bytes: u64,
    },
    /// The file ended early, here and for this reason; the rows before it were sent.
    Stopped(Stop),
}

/// Reads `reader` to its end, or to a limit of `limits`, on the current (blocking) thread,
/// sending the header's verdict, then chunks of checked rows, then where it stopped if it
/// stopped early. Stops when the receiver is gone.
fn read_file<R: Read>(
    reader: R,
    limits: Limits,
    maker: Maker,
    tx: mpsc::Sender<Result<Parsed, DomainError>>,
) {
    let (mut csv, _, meter) = match csv_reader(reader, limits) {
        Ok(r) => r,
        Err(e) => {
            let _ = tx.blocking_send(Err(DomainError::unprocessable(
                "file",
                format!("cannot be read: {e}"),
            )));
            return;
        }
    };
    let header = match read_header(&mut csv, &meter) {
        Ok(h) => h,
        Err(e) => {
            let _ = tx.blocking_send(Err(e));
            return;
        }
    };
    if tx.blocking_send(Ok(Parsed::Header)).is_err() {
        return;
    }
    let mut record = csv::ByteRecord::new();
    let mut chunk: Vec<Prepared> = Vec::with_capacity(CHUNK);
    let mut keys: HashSet<String> = HashSet::new();
    let mut rows_read = 0u64;
    let stopped = loop {
        // The line the next row starts on, and where its bytes start for the row limit.
        let line = csv.position().line() as i64;
        meter.record_start.set(csv.position().byte());
        match csv.read_byte_record(&mut record) {
            Ok(true) => {
                rows_read += 1;
                let over = if rows_read > limits.rows {
                    Some((Cap::Rows, None))
                } else {
                    record
                        .iter()
                        .position(|f| f.len() > limits.field)
                        .map(|i| (Cap::Field, header.names.get(i).cloned()))
                };
                if let Some((cap, column)) = over {
                    break Some(Stop {
                        line,
                        column,
                        cap: Some(cap),
                        reason: cap.explain(&limits),
                    });
                }
                let mut row = prepare(&header, &record);
                if let Ok(c) = &mut row
                    && c.id.is_none()
                {
                    // Should this fail, the writer makes the row itself.
                    c.fresh = maker.fresh(&c.fields).ok();
                }
                let prepared = Prepared { line, row };
                let row_keys = prepared.keys();
                // Two rows for one customer never share a chunk: the later one is matched
                // against what the earlier one wrote.
                if chunk.len() >= CHUNK || row_keys.iter().any(|k| keys.contains(k)) {
                    let rows = std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK));
                    keys.clear();
                    let bytes = csv.position().byte();
                    if tx.blocking_send(Ok(Parsed::Rows { rows, bytes })).is_err() {
                        return;
                    }
                }
                keys.extend(row_keys);
                chunk.push(prepared);
            }
            Ok(false) => break None,
            Err(e) => {
                let cap = meter.tripped.get();
                let reason = match cap {
                    Some(cap) => cap.explain(&limits),
                    None => format!(
                        "the file could not be read past byte {}: {e}",
                        csv.position().byte()
                    ),
                };
                break Some(Stop {
                    line,
                    column: None,
                    cap,
                    reason,
                });
            }
        }
    };
    if !chunk.is_empty() {
        let bytes = csv.position().byte();
        if tx
            .blocking_send(Ok(Parsed::Rows { rows: chunk, bytes }))
            .is_err()
        {
            return;
        }
    }
    if let Some(stop) = stopped {
        let _ = tx.blocking_send(Ok(Parsed::Stopped(stop)));
    }
}

/// The first rows of a file as an import would read them, and what each column maps to; a
/// header the import would refuse is the same error here.
pub fn preview(head: &[u8]) -> Result<ImportPreview, DomainError> {
    let (mut csv, delimiter, meter) = csv_reader(head, LIMITS)
        .map_err(|e| DomainError::unprocessable("file", format!("cannot be read: {e}")))?;
    let header = read_header(&mut csv, &meter)?;
    let columns = header
        .columns
        .iter()
        .zip(&header.names)
        .map(|(c, n)| c.describe(n))
        .collect();
    let mut rows = Vec::new();
    let mut record = csv::StringRecord::new();
    // The head may end inside a row: a row that cannot be read ends the preview.
    while rows.len() < PREVIEW_ROWS {
        meter.record_start.set(csv.position().byte());
        if !matches!(csv.read_record(&mut record), Ok(true)) {
            break;
        }
        rows.push(
            record
                .iter()
                .map(|cell| undefused(cell.trim()).to_owned())
                .collect(),
        );
    }
    Ok(ImportPreview {
        delimiter: char::from(delimiter).to_string(),
        columns,
        rows,
    })
}

/// One row's outcome, as stored in the report.
struct Outcome {
    line: i64,
    outcome: RowOutcome,
    customer_id: Option<CustomerId>,
    rejection: Option<Rejection>,
}

impl Outcome {
    fn rejected(line: i64, customer_id: Option<CustomerId>, r: Rejection) -> Self {
        Self {
            line,
            outcome: RowOutcome::Rejected,
            customer_id,
            rejection: Some(r),
        }
    }
}

/// External ids a dry run has pretended to create, as 64-bit hashes (8 bytes a row), so that a
/// later row for the same customer is counted as the real import would count it.
type Pretended = HashSet<u64>;

fn hash_of(x: &str) -> u64 {
    let mut h = DefaultHasher::new();
    x.hash(&mut h);
    h.finish()
}

/// Imports a CSV file of customers read from `reader` (blocking reads, done off the async
/// workers). A header the import cannot use fails before anything is written; after that,
/// every row gets an outcome in the report, and `on_progress` hears after every chunk. A
/// file that reaches one of the module's limits is refused (`Unprocessable` on `file`, naming
/// the limit, the line and the import) once the rows before it are written and reported.
pub async fn import_customers<R: Read + Send + 'static>(
    svc: &Services,
    caller: &Caller,
    options: ImportOptions,
    reader: R,
    on_progress: &(dyn Fn(ImportProgress) + Send + Sync),
) -> Result<CustomerImport, DomainError> {
    caller.require(Scope::CustomersWrite)?;
    let (tx, mut rx) = mpsc::channel(2);
    let maker = Maker {
        caller: caller.clone(),
        clock: svc.clock.clone(),
    };
    let reading = tokio::task::spawn_blocking(move || read_file(reader, LIMITS, maker, tx));
    match rx.recv().await {
        Some(Ok(Parsed::Header)) => {}
        Some(Err(e)) => return Err(e),
        Some(Ok(_)) | None => {
            return Err(DomainError::internal(format!(
                "the import's reader stopped before the header: {:?}",
                reading.await.err()
            )));
        }
    }
    let id = CustomerImportId::generate_at(svc.clock.now());
    customer_import::ActiveModel {
        id: Set(id.clone()),
        workspace_id: Set(caller.workspace_id.clone()),
        mode: Set(options.mode),
        dry_run: Set(options.dry_run),
        status: Set(ImportStatus::Running),
        rows: Set(0),
        created: Set(0),
        updated: Set(0),
        unchanged: Set(0),
        rejected: Set(0),
        error: Set(None),
        actor_type: Set(caller.actor.kind()),
        actor_id: Set(caller.actor.id().map(str::to_owned)),
        created_at: Set(svc.clock.now()),
        finished_at: Set(None),
    }
    .insert(&svc.db)
    .await?;
    let mut pretended = Pretended::new();
    let mut rows_done = 0u64;
    let mut stopped: Option<Stop> = None;
    while let Some(message) = rx.recv().await {
        match message {
            Ok(Parsed::Rows { rows, bytes }) => {
                let n = rows.len() as u64;
                if let Err(e) = write_chunk(svc, caller, &id, options, rows, &mut pretended).await {
                    let line_note = format!("a database error stopped the import: {e}");
                    finish(svc, &id, Some(line_note)).await?;
                    return Err(e);
                }
                rows_done += n;
                on_progress(ImportProgress {
                    bytes,
                    rows: rows_done,
                });
            }
            Ok(Parsed::Stopped(stop)) => stopped = Some(stop),
            Ok(Parsed::Header) | Err(_) => {}
        }
    }
    let Some(stop) = stopped else {
        finish(svc, &id, None).await?;
        return get_import(svc, caller, &id).await;
    };
    // The report shows where the file stopped: a rejected row at that line, saying why.
    let at = match &stop.column {
        Some(column) => format!("line {} (column {column:?})", stop.line),
        None => format!("line {}", stop.line),
    };
    let last = Outcome::rejected(
        stop.line,
        None,
        Rejection::new(
            stop.column.as_deref(),
            format!("{}; the import stopped here", stop.reason),
        ),
    );
    let txn = svc.write_txn().await?;
    write_report(&txn, &id, std::slice::from_ref(&last)).await?;
    txn.commit().await?;
    let error = format!("stopped at {at}: {}", stop.reason);
    finish(svc, &id, Some(error.clone())).await?;
    if stop.cap.is_none() {
        // Not a limit: the sender stopped sending; what arrived is imported and reported.
        return get_import(svc, caller, &id).await;
    }
    Err(DomainError::unprocessable(
        "file",
        format!("{error}. The rows before it are in the report of import {id}."),
    ))
}

async fn finish(
    svc: &Services,
    id: &CustomerImportId,
    error: Option<String>,
) -> Result<(), DomainError> {
    let status = if error.is_some() {
        ImportStatus::Failed
    } else {
        ImportStatus::Done
    };
    customer_import::Entity::update_many()
        .col_expr(customer_import::Column::Status, Expr::val(status.as_str()))
        .col_expr(customer_import::Column::Error, Expr::val(error))
        .col_expr(
            customer_import::Column::FinishedAt,
            Expr::val(svc.clock.now()),
        )
        .filter(customer_import::Column::Id.eq(id.as_str()))
        .exec(&svc.db)
        .await?;
    Ok(())
}

/// Writes one chunk; a unique-index race lost to a concurrent writer (on PostgreSQL) retries
/// the chunk, which then sees the winner's row.
async fn write_chunk(
    svc: &Services,
    caller: &Caller,
    import: &CustomerImportId,
    options: ImportOptions,
    rows: Vec<Prepared>,
    pretended: &mut Pretended,
) -> Result<(), DomainError> {
    let mut tries = 0;
    loop {
        tries += 1;
        match try_chunk(svc, caller, import, options, &rows, pretended).await {
            Err(DomainError::Db(e))
                if tries < 3
                    && matches!(
                        e.sql_err(),
                        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
                    ) => {}
            other => return other,
        }
    }
}

async fn try_chunk(
    svc: &Services,
    caller: &Caller,
    import: &CustomerImportId,
    options: ImportOptions,
    rows: &[Prepared],
    pretended: &mut Pretended,
) -> Result<(), DomainError> {
    let txn = svc.write_txn().await?;
    if txn.get_database_backend() == sea_orm::DbBackend::Sqlite {
        // Inserting into a dozen indexes of a large table misses SQLite's default 8 MB page
        // cache on every row; this connection keeps 32 MB while it imports.
        txn.execute_unprepared("PRAGMA cache_size = -32768").await?;
    }
    let candidates = || rows.iter().filter_map(|p| p.row.as_ref().ok());
    let ids: Vec<&str> = candidates()
        .filter_map(|c| c.id.as_ref().map(CustomerId::as_str))
        .collect();
    let external_ids: Vec<&str> = candidates()
        .filter_map(|c| c.fields.external_id.as_deref())
        .collect();
    let scope = customer::Column::WorkspaceId.eq(caller.workspace_id.as_str());
    let mut by_id: HashMap<CustomerId, customer::Model> = HashMap::new();
    if !ids.is_empty() {
        for row in customer::Entity::find()
            .filter(scope.clone())
            .filter(customer::Column::Id.is_in(ids))
            .all(&txn)
            .await?
        {
            by_id.insert(row.id.clone(), row);
        }
    }
    let mut by_external_id: HashMap<String, customer::Model> = HashMap::new();
    if !external_ids.is_empty() {
        for row in customer::Entity::find()
            .filter(scope)
            .filter(customer::Column::ExternalId.is_in(external_ids))
            .all(&txn)
            .await?
        {
            if let Some(x) = row.external_id.clone() {
                by_external_id.insert(x, row);
            }
        }
    }

    let now = svc.clock.now();
    let mut outcomes: Vec<Outcome> = Vec::with_capacity(rows.len());
    let mut inserts = Batch::new(&CUSTOMERS, txn.get_database_backend());
    // (customer, action, before, after)
    let mut events: Vec<(CustomerId, &'static str, Cow<'_, str>)> = Vec::new();
    let mut newly_pretended: Vec<u64> = Vec::new();
    for p in rows {
        let c = match &p.row {
            Ok(c) => c,
            Err(r) => {
                outcomes.push(Outcome::rejected(p.line, None, r.clone()));
                continue;
            }
        };
        let matched = match (&c.id, &c.fields.external_id) {
            (Some(id), _) => match by_id.get(id) {
                Some(row) => Some(row),
                None => {
                    let r = Rejection::new(Some("id"), "no customer has this id in the workspace");
                    outcomes.push(Outcome::rejected(p.line, None, r));
                    continue;
                }
            },
            (None, Some(x)) => by_external_id.get(x),
            (None, None) => None,
        };
        let Some(row) = matched else {
            let key = c.fields.external_id.as_deref().map(hash_of);
            if options.dry_run && key.is_some_and(|k| pretended.contains(&k)) {
                // An earlier row of this dry run would have created this customer.
                outcomes.push(match options.mode {
                    ImportMode::CreateOnly => Outcome::rejected(
                        p.line,
                        None,
                        Rejection::new(
                            Some("external_id"),
                            "matches a customer an earlier row creates; create_only imports never change a customer",
                        ),
                    ),
                    ImportMode::CreateOrUpdate => Outcome {
                        line: p.line,
                        outcome: RowOutcome::Updated,
                        customer_id: None,
                        rejection: None,
                    },
                });
                continue;
            }
            newly_pretended.extend(key);
            let (model, diff) = match &c.fresh {
                Some(f) => (Cow::Borrowed(&f.model), Cow::Borrowed(f.diff.as_str())),
                None => {
                    let id = CustomerId::generate_at(now);
                    let model = customers::new_model(id, caller, now, c.fields.clone());
                    let diff = audit::created(customers::snapshot_of(&model)?).to_string();
                    (Cow::Owned(model), Cow::Owned(diff))
                }
            };
            push_customer(&mut inserts, &model)?;
            let id = model.id.clone();
            events.push((id.clone(), "customer.created", diff));
            outcomes.push(Outcome {
                line: p.line,
                outcome: RowOutcome::Created,
                customer_id: Some(id),
                rejection: None,
            });
            continue;
        };
        if let Err(e) = super::erasure::refuse_if_erased(row) {
            let r = Rejection::new(None, e.to_string());
            outcomes.push(Outcome::rejected(p.line, Some(row.id.clone()), r));
            continue;
        }
        if options.mode == ImportMode::CreateOnly {
            let field = if c.id.is_some() { "id" } else { "external_id" };
            let r = Rejection::new(
                Some(field),
                format!(
                    "matches customer {}; create_only imports never change a customer",
                    row.id
                ),
            );
            outcomes.push(Outcome::rejected(p.line, Some(row.id.clone()), r));
            continue;
        }
        let before = Fields::of(row)?;
        let after = merged(before.clone(), &c.fields);
        if let Err(e) = validate::metadata(&after.metadata) {
            outcomes.push(Outcome::rejected(
                p.line,
                Some(row.id.clone()),
                Rejection::of(e),
            ));
            continue;
        }
        if let Some(x) = &after.external_id
            && before.external_id.as_ref() != Some(x)
            && let Some(holder) = by_external_id.get(x).filter(|h| h.id != row.id)
        {
            let r = Rejection::new(
                Some("external_id"),
                format!("already belongs to customer {}", holder.id),
            );
            outcomes.push(Outcome::rejected(p.line, Some(row.id.clone()), r));
            continue;
        }
        if after == before {
            outcomes.push(Outcome {
                line: p.line,
                outcome: RowOutcome::Unchanged,
                customer_id: Some(row.id.clone()),
                rejection: None,
            });
            continue;
        }
        let mut changed = row.clone();
        customers::apply_fields(&mut changed, after);
        changed.updated_at = now;
        changed.version = row.version + 1;
        let mut update = customer::ActiveModel {
            updated_at: Set(now),
            version: Set(changed.version),
            ..Default::default()
        };
        let diff = audit::diff(
            Some(&customers::snapshot_of(row)?),
            Some(&customers::snapshot_of(&changed)?),
        );
        customers::set_editable(&mut update, changed);
        // Compare-and-swap on the version read: an edit made meanwhile is not overwritten.
        let done = customer::Entity::update_many()
            .set(update)
            .filter(customer::Column::Id.eq(row.id.as_str()))
            .filter(customer::Column::Version.eq(row.version))
            .exec(&txn)
            .await?;
        if done.rows_affected == 0 {
            let r = Rejection::new(
                None,
                "the customer was changed by someone else during the import; import the row again",
            );
            outcomes.push(Outcome::rejected(p.line, Some(row.id.clone()), r));
            continue;
        }
        events.push((
            row.id.clone(),
            "customer.updated",
            Cow::Owned(diff.to_string()),
        ));
        outcomes.push(Outcome {
            line: p.line,
            outcome: RowOutcome::Updated,
            customer_id: Some(row.id.clone()),
            rejection: None,
        });
    }
    inserts.insert(&txn).await?;
    let changes: Vec<Change<'_, &str>> = events
        .iter()
        .map(|(id, action, diff)| Change {
            action,
            target_type: TargetKind::Customer,
            target_id: id.as_str(),
            customer_id: Some(id),
            changes: diff.as_ref(),
        })
        .collect();
    audit::record_written(&txn, svc, caller, changes).await?;
    if options.dry_run {
        txn.rollback().await?;
        let report = svc.write_txn().await?;
        write_report(&report, import, &outcomes).await?;
        report.commit().await?;
        pretended.extend(newly_pretended);
    } else {
        write_report(&txn, import, &outcomes).await?;
        txn.commit().await?;
    }
    Ok(())
}

/// `before` with every field the row gives replaced, and its metadata keys added or replaced.
fn merged(mut before: Fields, given: &Fields) -> Fields {
    fn put(slot: &mut Option<String>, v: &Option<String>) {
        if v.is_some() {
            slot.clone_from(v);
        }
    }
    put(&mut before.external_id, &given.external_id);
    put(&mut before.email, &given.email);
    put(&mut before.name, &given.name);
    put(&mut before.phone, &given.phone);
    put(&mut before.tax_id, &given.tax_id);
    put(&mut before.country, &given.country);
    put(&mut before.username, &given.username);
    put(&mut before.profile_url, &given.profile_url);
    before
        .metadata
        .extend(given.metadata.iter().map(|(k, v)| (k.clone(), v.clone())));
    before
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

/// The customers table, every column, as an import creates customers.
static CUSTOMERS: Table = Table {
    name: "customers",
    columns: &[
        ("id", Kind::Text),
        ("workspace_id", Kind::Text),
        ("external_id", Kind::Text),
        ("email", Kind::Text),
        ("name", Kind::Text),
        ("phone", Kind::Text),
        ("tax_id", Kind::Text),
        ("country", Kind::Text),
        ("username", Kind::Text),
        ("profile_url", Kind::Text),
        ("metadata", Kind::Text),
        ("first_seen_at", Kind::Time),
        ("created_at", Kind::Time),
        ("updated_at", Kind::Time),
        ("archived_at", Kind::Time),
        ("version", Kind::BigInt),
        ("ltv_amount", Kind::BigInt),
        ("order_count", Kind::BigInt),
        ("total_payments", Kind::BigInt),
        ("mrr_amount", Kind::BigInt),
        ("active_subscriptions", Kind::BigInt),
        ("refunds_count", Kind::BigInt),
        ("refunded_amount", Kind::BigInt),
        ("disputes_count", Kind::BigInt),
        ("last_order_at", Kind::Time),
        ("last_order_key", Kind::BigInt),
        ("subscription_status", Kind::Text),
        ("search_text", Kind::Text),
        ("banned_until", Kind::Time),
        ("portal_link_version", Kind::Int),
        ("erased_at", Kind::Time),
        ("merged_into", Kind::Text),
        ("merged_at", Kind::Time),
    ],
};

fn push_customer(batch: &mut Batch, c: &customer::Model) -> Result<(), DomainError> {
    batch.push(&[
        Cell::Text(Some(c.id.as_str())),
        Cell::Text(Some(c.workspace_id.as_str())),
        Cell::Text(c.external_id.as_deref()),
        Cell::Text(c.email.as_deref()),
        Cell::Text(c.name.as_deref()),
        Cell::Text(c.phone.as_deref()),
        Cell::Text(c.tax_id.as_deref()),
        Cell::Text(c.country.as_deref()),
        Cell::Text(c.username.as_deref()),
        Cell::Text(c.profile_url.as_deref()),
        Cell::Text(Some(&c.metadata)),
        Cell::Time(Some(c.first_seen_at)),
        Cell::Time(Some(c.created_at)),
        Cell::Time(Some(c.updated_at)),
        Cell::Time(c.archived_at),
        Cell::Int(c.version),
        Cell::Int(c.ltv_amount),
        Cell::Int(c.order_count),
        Cell::Int(c.total_payments),
        Cell::Int(c.mrr_amount),
        Cell::Int(c.active_subscriptions),
        Cell::Int(c.refunds_count),
        Cell::Int(c.refunded_amount),
        Cell::Int(c.disputes_count),
        Cell::Time(c.last_order_at),
        Cell::Int(c.last_order_key),
        Cell::Text(c.subscription_status.map(|s| s.as_str())),
        Cell::Text(Some(&c.search_text)),
        Cell::Time(c.banned_until),
        Cell::Int(i64::from(c.portal_link_version)),
        Cell::Time(c.erased_at),
        Cell::Text(c.merged_into.as_ref().map(CustomerId::as_str)),
        Cell::Time(c.merged_at),
    ])?;
    Ok(())
}

/// Appends the chunk's report rows and adds them to the import's counts.
async fn write_report<C: ConnectionTrait>(
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
    customer_import::Entity::find_by_id(id.clone())
        .filter(customer_import::Column::WorkspaceId.eq(caller.workspace_id.as_str()))
        .one(&svc.db)
        .await?
        .ok_or(DomainError::NotFound {
            what: "customer import",
        })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_delimiter_is_the_one_the_first_line_uses_outside_quotes() {
        assert_eq!(sniff(b"email,name\na;b,c"), b',');
        assert_eq!(sniff(b"email;name;\"a,b,c\"\n"), b';');
        assert_eq!(sniff(b"email"), b',');
    }

    #[test]
    fn a_preview_maps_columns_and_refuses_unknown_ones() {
        let p =
            preview(b"\xEF\xBB\xBFEmail;Name;metadata.plan;lifetime_value\na@x.io;Ann;pro;12.00\n")
                .unwrap();
        assert_eq!(p.delimiter, ";");
        let fields: Vec<_> = p.columns.iter().map(|c| c.field.clone()).collect();
        assert_eq!(
            fields,
            [
                Some("email".into()),
                Some("name".into()),
                Some("metadata.plan".into()),
                None
            ]
        );
        assert_eq!(p.rows, [["a@x.io", "Ann", "pro", "12.00"]]);
        let e = preview(b"email,emial\n").unwrap_err();
        assert!(e.to_string().contains("column 2 (\"emial\")"), "{e}");
        let e = preview(b"email,Email\n").unwrap_err();
        assert!(e.to_string().contains("column 2 repeats"), "{e}");
        assert!(preview(b"").is_err());
    }

    #[test]
    fn a_preview_reads_cells_the_export_defused_as_their_values() {
        let p = preview(b"external_id,name\n'-123,'=SUM(A1)\n'plain,''quoted\n").unwrap();
        assert_eq!(p.rows, [["-123", "=SUM(A1)"], ["'plain", "'quoted"]]);
    }

    #[test]
    fn every_value_reads_back_exactly_from_its_defused_cell() {
        for v in [
            "-123",
            "=SUM(A1:A2)",
            "+49 30 1234",
            "@home",
            "\tx",
            "\rx",
            "'",
            "'-1",
            "''",
            "'plain",
            "plain",
            "",
            "a-b",
            "=",
        ] {
            assert_eq!(undefused(&defused(v)), v, "{v:?}");
        }
        assert_eq!(defused("-123"), "'-123");
        assert_eq!(defused("'plain"), "''plain");
        assert_eq!(defused("plain"), "plain");
        // A cell the export would not have written keeps its quote.
        assert_eq!(undefused("'plain"), "'plain");
    }

    #[test]
    fn the_limits_are_worded_with_their_figures() {
        assert_eq!(size_words(BYTES_MAX), "256 MiB");
        assert_eq!(size_words(RECORD_MAX), "128 KiB");
        assert_eq!(size_words(FIELD_MAX as u64), "8 KiB");
        assert_eq!(size_words(100), "100 bytes");
        assert_eq!(grouped(ROWS_MAX), "1,000,000");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(1_000), "1,000");
        let e = too_large(300_000_000).to_string();
        assert!(
            e.contains("300,000,000 bytes") && e.contains("256 MiB"),
            "{e}"
        );
    }

    #[test]
    fn a_header_cell_over_the_cell_limit_is_refused_without_being_echoed() {
        let mut file = b"email,".to_vec();
        file.extend(std::iter::repeat_n(b'x', FIELD_MAX + 1));
        file.extend_from_slice(b"\na@x.io,b\n");
        let e = preview(&file).unwrap_err().to_string();
        assert!(e.contains("column 2") && e.contains("8 KiB"), "{e}");
        assert!(e.len() < 200, "{e}");
    }

    /// Small limits, so that each can be reached with a few bytes.
    const SMALL: Limits = Limits {
        bytes: 100,
        record: 16,
        field: 12,
        rows: 3,
    };

    /// Everything `read_file` sends after the header for `file` under `limits`: the rows, and
    /// where it stopped if it stopped early.
    fn read_all(file: &[u8], limits: Limits) -> (Vec<Prepared>, Option<Stop>) {
        let (tx, mut rx) = mpsc::channel(2);
        let at = chrono::DateTime::from_timestamp(1_795_000_000, 0).unwrap();
        let maker = Maker {
            caller: Caller::system(crate::types::WorkspaceId::generate_at(at)),
            clock: Arc::new(crate::domain::ManualClock::new(at)),
        };
        let file = std::io::Cursor::new(file.to_vec());
        let reading = std::thread::spawn(move || read_file(file, limits, maker, tx));
        let (mut rows, mut stop) = (Vec::new(), None);
        while let Some(message) = rx.blocking_recv() {
            match message.unwrap() {
                Parsed::Header => {}
                Parsed::Rows { rows: more, .. } => rows.extend(more),
                Parsed::Stopped(s) => stop = Some(s),
            }
        }
        reading.join().unwrap();
        (rows, stop)
    }

    fn lines(rows: &[Prepared]) -> Vec<i64> {
        rows.iter().map(|p| p.line).collect()
    }

    #[test]
    fn a_quote_left_open_stops_at_the_cell_limit_naming_line_and_column() {
        let (rows, stop) = read_all(b"name,country\nAnn,DE\n\"Bob and Carol", SMALL);
        assert_eq!(lines(&rows), [2]);
        let stop = stop.unwrap();
        assert_eq!(
            (stop.line, stop.column.as_deref(), stop.cap),
            (3, Some("name"), Some(Cap::Field))
        );
        assert!(stop.reason.contains("12 bytes"), "{}", stop.reason);
    }

    #[test]
    fn a_row_stops_at_the_row_limit_however_long_the_file_goes_on() {
        let mut file = b"name\nAnn\n\"".to_vec();
        file.extend(std::iter::repeat_n(b'x', 1 << 20));
        let (rows, stop) = read_all(&file, SMALL);
        assert_eq!(lines(&rows), [2]);
        let stop = stop.unwrap();
        assert_eq!((stop.line, stop.cap), (3, Some(Cap::Record)));
        assert!(stop.reason.contains("16 bytes"), "{}", stop.reason);
    }

    #[test]
    fn a_row_of_exactly_the_row_limit_is_read() {
        // Fifteen characters and the line end: sixteen bytes.
        let (rows, stop) = read_all(b"name\nabcdefghijklmno\n", Limits { field: 64, ..SMALL });
        assert_eq!((lines(&rows), stop), (vec![2], None));
        let (rows, stop) = read_all(b"name\nabcdefghijklmnop\n", Limits { field: 64, ..SMALL });
        assert!(rows.is_empty());
        assert_eq!(stop.unwrap().cap, Some(Cap::Record));
    }

    #[test]
    fn a_file_stops_at_the_byte_limit_and_one_of_exactly_the_limit_is_read() {
        // A header of 11 bytes, then rows of 11 bytes: eight rows end at byte 99.
        let mut file = b"name,email\n".to_vec();
        for _ in 0..8 {
            file.extend_from_slice(b"Ann,a@x.io\n");
        }
        file.push(b'Z');
        let whole = Limits { rows: 100, ..SMALL };
        let (rows, stop) = read_all(&file, whole);
        assert_eq!((rows.len(), stop), (9, None), "100 bytes are read");
        file.extend_from_slice(b"oe,z@x.io\n");
        let (rows, stop) = read_all(&file, whole);
        assert_eq!(rows.len(), 8);
        let stop = stop.unwrap();
        assert_eq!((stop.line, stop.cap), (10, Some(Cap::Bytes)));
        assert!(stop.reason.contains("100 bytes"), "{}", stop.reason);
    }

    #[test]
    fn a_file_stops_after_the_row_limit() {
        let (rows, stop) = read_all(b"name\nA\nB\nC\nD\nE\n", SMALL);
        assert_eq!(lines(&rows), [2, 3, 4]);
        let stop = stop.unwrap();
        assert_eq!((stop.line, stop.cap), (5, Some(Cap::Rows)));
        assert!(stop.reason.contains("more than 3 rows"), "{}", stop.reason);
    }
}
