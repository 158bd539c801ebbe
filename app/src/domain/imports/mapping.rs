//! What a file's columns and cells map to: the header's columns, a row checked into what it
//! asks for, and the `'` the export puts before a cell a spreadsheet would run.

use std::borrow::Cow;
use std::sync::Arc;

use crate::db::entities::customer;
use crate::domain::actor::Caller;
use crate::domain::audit;
use crate::domain::customers::{self, Fields};
use crate::domain::{Clock, DomainError, validate};
use crate::types::CustomerId;
use crate::types::customer::{CustomerCreate, Metadata};
use crate::types::import::ImportColumn;

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

/// What one header column fills.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Column {
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

    pub(super) fn describe(&self, header: &str) -> ImportColumn {
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
pub(super) struct Header {
    pub(super) columns: Vec<Column>,
    pub(super) names: Vec<String>,
}

impl Header {
    pub(super) fn parse(record: &csv::ByteRecord) -> Result<Self, DomainError> {
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
pub(super) struct Rejection {
    pub(super) field: Option<String>,
    pub(super) reason: String,
}

impl Rejection {
    pub(super) fn new(field: Option<&str>, reason: impl Into<String>) -> Self {
        Self {
            field: field.map(str::to_owned),
            reason: reason.into(),
        }
    }

    /// A field error from validation, named as the file's column (`metadata.plan`).
    pub(super) fn of(e: DomainError) -> Self {
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
pub(super) struct Candidate {
    pub(super) id: Option<CustomerId>,
    /// The non-empty cells, validated and normalised; `None` leaves a field as it is.
    pub(super) fields: Fields,
    /// What the row writes if it creates its customer, made by the reading thread.
    pub(super) fresh: Option<Fresh>,
}

/// A new customer's row and its audit diff: most rows of a first import create, and making
/// them (a JSON picture of each) on the reading thread keeps that work off the writer's path.
#[derive(Debug, Clone)]
pub(super) struct Fresh {
    pub(super) model: customer::Model,
    pub(super) diff: String,
}

/// Makes [`Fresh`] rows for one workspace, with the import's clock.
pub(super) struct Maker {
    pub(super) caller: Caller,
    pub(super) clock: Arc<dyn Clock>,
}

impl Maker {
    pub(super) fn fresh(&self, fields: &Fields) -> Result<Fresh, DomainError> {
        let now = self.clock.now();
        let id = CustomerId::generate_at(now);
        let model = customers::new_model(id, &self.caller, now, fields.clone());
        let diff = audit::created(customers::snapshot_of(&model)?).to_string();
        Ok(Fresh { model, diff })
    }
}

#[derive(Debug, Clone)]
pub(super) struct Prepared {
    pub(super) line: i64,
    pub(super) row: Result<Candidate, Rejection>,
}

impl Prepared {
    /// What identifies the row's customer, to keep a chunk free of two rows for one customer.
    pub(super) fn keys(&self) -> Vec<String> {
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

pub(super) fn prepare(header: &Header, record: &csv::ByteRecord) -> Result<Candidate, Rejection> {
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
