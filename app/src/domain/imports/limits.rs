//! The limits a file is read under, and how a file that reaches one is told.

use crate::domain::DomainError;

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

/// The limits a file is read under: [`LIMITS`] (smaller ones in this module's tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Limits {
    pub(super) bytes: u64,
    pub(super) record: u64,
    pub(super) field: usize,
    pub(super) rows: u64,
}

/// The limits every import is read under (see the module's documentation).
pub(super) const LIMITS: Limits = Limits {
    bytes: BYTES_MAX,
    record: RECORD_MAX,
    field: FIELD_MAX,
    rows: ROWS_MAX,
};

/// "256 MiB", "8 KiB", "100 bytes".
pub(super) fn size_words(bytes: u64) -> String {
    if bytes >= MIB && bytes.is_multiple_of(MIB) {
        format!("{} MiB", bytes / MIB)
    } else if bytes >= KIB && bytes.is_multiple_of(KIB) {
        format!("{} KiB", bytes / KIB)
    } else {
        format!("{bytes} bytes")
    }
}

/// "1,000,000".
pub(super) fn grouped(n: u64) -> String {
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
pub(super) enum Cap {
    Bytes,
    Record,
    Field,
    Rows,
}

impl Cap {
    /// The limit in words, with its figure, for the person who sent the file.
    pub(super) fn explain(self, limits: &Limits) -> String {
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
