//! A row of `customer_import_rows`: what an import did with one line of its file.

use sea_orm::entity::prelude::*;

use crate::types::import::RowOutcome;
use crate::types::{CustomerId, CustomerImportId};

/// One line's outcome.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "customer_import_rows")]
pub struct Model {
    /// The import.
    #[sea_orm(primary_key, auto_increment = false)]
    pub import_id: CustomerImportId,
    /// The file's line the row starts on.
    #[sea_orm(primary_key, auto_increment = false)]
    pub line: i64,
    /// What happened.
    pub outcome: RowOutcome,
    /// The customer created, changed or matched.
    pub customer_id: Option<CustomerId>,
    /// The column at fault.
    pub field: Option<String>,
    /// Why it was rejected.
    pub reason: Option<String>,
}

/// Declared from the owned side.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
