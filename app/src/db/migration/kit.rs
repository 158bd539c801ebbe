//! The building blocks the migrations are written with: how a table starts (with the columns
//! most tables open with), foreign keys, indexes, the alterations SQLite makes one column at a
//! time, raw statements for data migrations, and the one table two migrations build alike.
//!
//! Frozen, as the migrations are: once a migration calls a function here, that function never
//! changes; a new behaviour is a new function beside the old one. A migration that ran once must
//! build the very same schema wherever it runs again (a new install, a test database, the other
//! engine), so what it calls must stay what it was on the day it ran. For the same reason this
//! module imports nothing of the live code (entities, domain rules): only the schema DSL.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{small_integer_null, text, text_null, timestamp_with_time_zone};
use sea_orm_migration::sea_orm::{QueryResult, Statement};

/// A new table named `name`, its columns to come.
pub fn table(name: &'static str) -> TableCreateStatement {
    Table::create().table(name).to_owned()
}

/// A new table whose first column is `id`, the text primary key.
pub fn table_with_id(name: &'static str) -> TableCreateStatement {
    table(name).col(text("id").primary_key()).to_owned()
}

/// A new table of a workspace's rows: `id`, then `workspace_id`.
pub fn workspace_table(name: &'static str) -> TableCreateStatement {
    table_with_id(name).col(text("workspace_id")).to_owned()
}

/// A new table of a customer's rows: `id`, `workspace_id`, then `customer_id`.
pub fn customer_table(name: &'static str) -> TableCreateStatement {
    workspace_table(name).col(text("customer_id")).to_owned()
}

/// Creates a table where its definition ends: `workspace_table("x").col(..).create(m).await`.
pub trait Create {
    /// Creates the table this statement describes.
    fn create(&self, m: &SchemaManager<'_>) -> impl Future<Output = Result<(), DbErr>> + Send;
}

impl Create for TableCreateStatement {
    fn create(&self, m: &SchemaManager<'_>) -> impl Future<Output = Result<(), DbErr>> + Send {
        m.create_table(self.to_owned())
    }
}

/// `idempotency_keys` as migration 2 made it: one record per workspace and key. Migration 7
/// makes the table anew, per caller, and puts this one back when it is undone.
pub fn idempotency_keys_per_workspace() -> TableCreateStatement {
    table("idempotency_keys")
        .col(text("workspace_id"))
        .col(text("key"))
        .col(text("fingerprint"))
        .col(small_integer_null("response_status"))
        .col(text_null("response_body"))
        .col(timestamp_with_time_zone("created_at"))
        .primary_key(Index::create().col("workspace_id").col("key"))
        .foreign_key(&mut cascade_fk(
            "idempotency_keys",
            "workspace_id",
            "workspaces",
        ))
        .to_owned()
}

/// The foreign key `fk_<table>_<column>` from `table.column` to `to.id`, with no ON DELETE
/// clause: the engine's default (NO ACTION) applies.
pub fn fk(
    table: &'static str,
    column: &'static str,
    to: &'static str,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_{table}_{column}"))
        .from(table, column)
        .to(to, "id")
        .to_owned()
}

/// [`fk`] with ON DELETE CASCADE: deleting the row referred to deletes this one too.
pub fn cascade_fk(
    table: &'static str,
    column: &'static str,
    to: &'static str,
) -> ForeignKeyCreateStatement {
    fk(table, column, to)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

/// The index `name` on `table`'s `columns`, in that order.
fn index_on(name: &str, table: &'static str, columns: &[&'static str]) -> IndexCreateStatement {
    let mut index = Index::create();
    index.name(name).table(table);
    for column in columns {
        index.col(*column);
    }
    index
}

/// Creates the index `name` on `table`'s `columns`, in that order.
pub async fn index(
    m: &SchemaManager<'_>,
    name: &str,
    table: &'static str,
    columns: &[&'static str],
) -> Result<(), DbErr> {
    m.create_index(index_on(name, table, columns)).await
}

/// Creates the unique index `name` on `table`'s `columns`, in that order.
pub async fn unique_index(
    m: &SchemaManager<'_>,
    name: &str,
    table: &'static str,
    columns: &[&'static str],
) -> Result<(), DbErr> {
    m.create_index(index_on(name, table, columns).unique().to_owned())
        .await
}

/// Drops the index `name` of `table`.
pub async fn drop_index(
    m: &SchemaManager<'_>,
    name: &str,
    table: &'static str,
) -> Result<(), DbErr> {
    m.drop_index(Index::drop().name(name).table(table).to_owned())
        .await
}

/// Adds `column` to `table`, in a statement of its own: SQLite alters one column at a time.
pub async fn add_column(
    m: &SchemaManager<'_>,
    table: &'static str,
    column: impl IntoColumnDef,
) -> Result<(), DbErr> {
    m.alter_table(Table::alter().table(table).add_column(column).to_owned())
        .await
}

/// Adds each of `columns` to `table` in turn, a statement each.
pub async fn add_columns(
    m: &SchemaManager<'_>,
    table: &'static str,
    columns: impl IntoIterator<Item = ColumnDef>,
) -> Result<(), DbErr> {
    for column in columns {
        add_column(m, table, column).await?;
    }
    Ok(())
}

/// Drops `column` from `table`, in a statement of its own.
pub async fn drop_column(
    m: &SchemaManager<'_>,
    table: &'static str,
    column: &'static str,
) -> Result<(), DbErr> {
    m.alter_table(Table::alter().table(table).drop_column(column).to_owned())
        .await
}

/// Drops each of `columns` from `table` in turn, a statement each.
pub async fn drop_columns(
    m: &SchemaManager<'_>,
    table: &'static str,
    columns: impl IntoIterator<Item = &'static str>,
) -> Result<(), DbErr> {
    for column in columns {
        drop_column(m, table, column).await?;
    }
    Ok(())
}

/// Drops `table`.
pub async fn drop_table(m: &SchemaManager<'_>, table: &'static str) -> Result<(), DbErr> {
    m.drop_table(Table::drop().table(table).to_owned()).await
}

/// Drops each of `tables` in turn.
pub async fn drop_tables(
    m: &SchemaManager<'_>,
    tables: impl IntoIterator<Item = &'static str>,
) -> Result<(), DbErr> {
    for table in tables {
        drop_table(m, table).await?;
    }
    Ok(())
}

/// `sql` with its `values` (`$1`, `$2`...), as a statement for the engine `m` runs on.
fn statement(m: &SchemaManager<'_>, sql: &str, values: Vec<Value>) -> Statement {
    Statement::from_sql_and_values(m.get_database_backend(), sql, values)
}

/// The rows `sql` reads, with its `values`.
pub async fn query_all(
    m: &SchemaManager<'_>,
    sql: &str,
    values: Vec<Value>,
) -> Result<Vec<QueryResult>, DbErr> {
    m.get_connection()
        .query_all_raw(statement(m, sql, values))
        .await
}

/// The first row `sql` reads with its `values`, if there is one.
pub async fn query_one(
    m: &SchemaManager<'_>,
    sql: &str,
    values: Vec<Value>,
) -> Result<Option<QueryResult>, DbErr> {
    m.get_connection()
        .query_one_raw(statement(m, sql, values))
        .await
}

/// Runs `sql` with its `values`.
pub async fn execute(m: &SchemaManager<'_>, sql: &str, values: Vec<Value>) -> Result<(), DbErr> {
    m.get_connection()
        .execute_raw(statement(m, sql, values))
        .await
        .map(|_| ())
}
