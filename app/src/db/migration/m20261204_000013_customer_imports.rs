//! CSV imports of customers: one row per run with its counts, and its per-row report (what
//! happened to each line of the file, and why a rejected one was refused: never the value).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::kit::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        workspace_table("customer_imports")
            .col(text("mode"))
            .col(boolean("dry_run"))
            .col(text("status"))
            .col(big_integer("rows").default(0))
            .col(big_integer("created").default(0))
            .col(big_integer("updated").default(0))
            .col(big_integer("unchanged").default(0))
            .col(big_integer("rejected").default(0))
            .col(text_null("error"))
            .col(text("actor_type"))
            .col(text_null("actor_id"))
            .col(timestamp_with_time_zone("created_at"))
            .col(timestamp_with_time_zone_null("finished_at"))
            .foreign_key(&mut fk("customer_imports", "workspace_id", "workspaces"))
            .create(m)
            .await?;
        index(
            m,
            "ix_customer_imports_workspace",
            "customer_imports",
            &["workspace_id", "id"],
        )
        .await?;
        // One row per line of a file, a million for a large import: on SQLite the table is
        // its primary key's b-tree (WITHOUT ROWID), so each row is written once.
        let db = m.get_connection();
        match db.get_database_backend() {
            sea_orm::DbBackend::Sqlite => {
                db.execute_unprepared(
                    "CREATE TABLE customer_import_rows (\
                       import_id text NOT NULL REFERENCES customer_imports (id), \
                       line bigint NOT NULL, \
                       outcome text NOT NULL, \
                       customer_id text, \
                       field text, \
                       reason text, \
                       PRIMARY KEY (import_id, line)\
                     ) WITHOUT ROWID",
                )
                .await?;
            }
            _ => {
                table("customer_import_rows")
                    .col(text("import_id"))
                    .col(big_integer("line"))
                    .col(text("outcome"))
                    .col(text_null("customer_id"))
                    .col(text_null("field"))
                    .col(text_null("reason"))
                    .primary_key(Index::create().col("import_id").col("line"))
                    .foreign_key(&mut fk(
                        "customer_import_rows",
                        "import_id",
                        "customer_imports",
                    ))
                    .create(m)
                    .await?;
            }
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(m, ["customer_import_rows", "customer_imports"]).await
    }
}
