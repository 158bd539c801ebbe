//! Many rows in one statement with one bound value.
//!
//! The rows travel as one JSON array of arrays, which the database unpacks itself
//! (`json_each` on SQLite, `json_array_elements` on PostgreSQL). At a million rows, binding
//! thirty values a row through the ORM (a boxed value each, a statement with 30,000
//! placeholders) costs more than the database's own work; one text value costs one JSON parse
//! in C. Cells are written straight into the text, so a batch is one allocation that grows.

use chrono::{DateTime, SecondsFormat, Utc};
use sea_orm::{ConnectionTrait, DbBackend, DbErr, Statement};

/// A column's SQL type, as the statement casts the unpacked text on PostgreSQL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `text`.
    Text,
    /// `bigint`.
    BigInt,
    /// `integer`.
    Int,
    /// `timestamp with time zone`.
    Time,
}

impl Kind {
    fn pg_type(self) -> &'static str {
        match self {
            Kind::Text => "text",
            Kind::BigInt => "bigint",
            Kind::Int => "integer",
            Kind::Time => "timestamptz",
        }
    }
}

/// A table and the columns a batch fills, in the order every row gives them.
#[derive(Debug)]
pub struct Table {
    /// The table's name.
    pub name: &'static str,
    /// Each column's name and type.
    pub columns: &'static [(&'static str, Kind)],
}

/// One cell of a row.
#[derive(Debug, Clone, Copy)]
pub enum Cell<'a> {
    /// A text, or NULL.
    Text(Option<&'a str>),
    /// An integer.
    Int(i64),
    /// A time, or NULL.
    Time(Option<DateTime<Utc>>),
}

/// Rows to insert into one table, written as JSON as they are pushed.
#[derive(Debug)]
pub struct Batch {
    table: &'static Table,
    backend: DbBackend,
    json: Vec<u8>,
    rows: usize,
}

impl Batch {
    /// An empty batch for `table` on `backend`.
    pub fn new(table: &'static Table, backend: DbBackend) -> Self {
        Self {
            table,
            backend,
            json: b"[".to_vec(),
            rows: 0,
        }
    }

    /// Rows pushed so far.
    pub fn len(&self) -> usize {
        self.rows
    }

    /// Whether no row was pushed.
    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// Appends one row; `cells` follow the table's columns.
    pub fn push(&mut self, cells: &[Cell<'_>]) -> Result<(), DbErr> {
        if cells.len() != self.table.columns.len() {
            return Err(DbErr::Custom(format!(
                "a row of {} cells for the {} columns of {}",
                cells.len(),
                self.table.columns.len(),
                self.table.name
            )));
        }
        if self.rows > 0 {
            self.json.push(b',');
        }
        self.json.push(b'[');
        for (i, cell) in cells.iter().enumerate() {
            if i > 0 {
                self.json.push(b',');
            }
            let json = &mut self.json;
            let written = match *cell {
                Cell::Text(None) | Cell::Time(None) => {
                    json.extend_from_slice(b"null");
                    Ok(())
                }
                Cell::Text(Some(s)) => serde_json::to_writer(&mut *json, s),
                Cell::Int(n) => serde_json::to_writer(&mut *json, &n),
                // The text sqlx writes for a time on SQLite, so that times compare as text
                // with the ones the ORM wrote; PostgreSQL casts it.
                Cell::Time(Some(t)) => serde_json::to_writer(
                    &mut *json,
                    &t.to_rfc3339_opts(SecondsFormat::AutoSi, false),
                ),
            };
            written.map_err(|e| DbErr::Custom(format!("a row for {}: {e}", self.table.name)))?;
        }
        self.json.push(b']');
        self.rows += 1;
        Ok(())
    }

    /// Inserts the rows in one statement; an empty batch does nothing.
    pub async fn insert<C: ConnectionTrait>(self, conn: &C) -> Result<(), DbErr> {
        if self.rows == 0 {
            return Ok(());
        }
        let Batch {
            table,
            backend,
            mut json,
            ..
        } = self;
        json.push(b']');
        let json = String::from_utf8(json).map_err(|e| DbErr::Custom(e.to_string()))?;
        let names: Vec<&str> = table.columns.iter().map(|(n, _)| *n).collect();
        let (cells, from) = match backend {
            DbBackend::Postgres => (
                table
                    .columns
                    .iter()
                    .enumerate()
                    .map(|(i, (_, k))| format!("(r->>{i})::{}", k.pg_type()))
                    .collect::<Vec<_>>(),
                "json_array_elements($1::json) AS r",
            ),
            // Each row's array is taken out of the document once (`value` is text made anew
            // at every mention), then read a cell at a time.
            _ => (
                (0..table.columns.len())
                    .map(|i| format!("r.v->>{i}"))
                    .collect(),
                "r",
            ),
        };
        let rows = match backend {
            DbBackend::Postgres => "",
            _ => "WITH r(v) AS MATERIALIZED (SELECT value FROM json_each(?)) ",
        };
        let sql = format!(
            "{rows}INSERT INTO {} ({}) SELECT {} FROM {from}",
            table.name,
            names.join(", "),
            cells.join(", ")
        );
        conn.execute_raw(Statement::from_sql_and_values(backend, sql, [json.into()]))
            .await?;
        Ok(())
    }
}
