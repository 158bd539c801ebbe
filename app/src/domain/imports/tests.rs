use std::sync::Arc;

use tokio::sync::mpsc;

use crate::domain::actor::Caller;

use super::limits::{
    BYTES_MAX, Cap, FIELD_MAX, Limits, RECORD_MAX, ROWS_MAX, grouped, size_words, too_large,
};
use super::mapping::{Maker, Prepared, defused, undefused};
use super::reading::{Parsed, Stop, preview, read_file, sniff};

#[test]
fn the_delimiter_is_the_one_the_first_line_uses_outside_quotes() {
    assert_eq!(sniff(b"email,name\na;b,c"), b',');
    assert_eq!(sniff(b"email;name;\"a,b,c\"\n"), b';');
    assert_eq!(sniff(b"email"), b',');
}

#[test]
fn a_preview_maps_columns_and_refuses_unknown_ones() {
    let p = preview(b"\xEF\xBB\xBFEmail;Name;metadata.plan;lifetime_value\na@x.io;Ann;pro;12.00\n")
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
