//! Reading a file: its delimiter and byte-order mark, its header, and its rows checked in
//! chunks on a blocking thread, held to the limits while they are read; and the preview.

use std::cell::Cell as Counter;
use std::collections::HashSet;
use std::io::{BufRead, BufReader, Read};
use std::rc::Rc;

use tokio::sync::mpsc;

use crate::domain::DomainError;
use crate::types::import::ImportPreview;

use super::limits::{Cap, LIMITS, Limits, size_words};
use super::mapping::{Header, Maker, Prepared, prepare, undefused};

/// Rows written per transaction.
const CHUNK: usize = 5_000;
/// Data rows a preview shows.
const PREVIEW_ROWS: usize = 5;

/// Why a file stopped being read before its end, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Stop {
    /// The file's line of the row that was not read.
    pub(super) line: i64,
    /// The column at fault, for a cell over the limit.
    pub(super) column: Option<String>,
    /// The limit reached; none when the file could not be read (the sender hung up).
    pub(super) cap: Option<Cap>,
    /// What happened, in words.
    pub(super) reason: String,
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
pub(super) fn sniff(head: &[u8]) -> u8 {
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
pub(super) enum Parsed {
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
pub(super) fn read_file<R: Read>(
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
