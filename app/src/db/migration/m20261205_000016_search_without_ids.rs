//! The search text no longer ends with the customer's id: a customer id is found exactly (the
//! list's exact-identifier path), and the random characters of a ULID were two thirds of the
//! trigram index's terms (a million ids: 2.8 times the index build time, a third of an import's
//! time) for a substring nobody types.
//!
//! Every search text written so far ends with `' ' || lower(id)`; that suffix is cut, so the
//! rest (lower-cased by the application, Unicode and all) stays exactly as written.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

const CUT: &str = "UPDATE customers \
    SET search_text = substr(search_text, 1, length(search_text) - length(id) - 1) \
    WHERE length(search_text) > length(id) \
      AND substr(search_text, length(search_text) - length(id)) = ' ' || lower(id)";

/// The FTS5 index's update trigger, as migration 4 made it.
const SQLITE_UPDATE_TRIGGER: &str = "CREATE TRIGGER customers_fts_au AFTER UPDATE OF search_text ON customers BEGIN INSERT INTO customers_fts(customers_fts, rowid, search_text) VALUES ('delete', old.rowid, old.search_text); INSERT INTO customers_fts(rowid, search_text) VALUES (new.rowid, new.search_text); END";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// One transaction on one connection, on SQLite too: another pooled connection would
    /// parse the trigger's re-creation against the schema it read before the drop.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        rewrite(m, CUT).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        rewrite(
            m,
            "UPDATE customers SET search_text = search_text || ' ' || lower(id)",
        )
        .await
    }
}

/// Runs `update` on every search text; on SQLite the trigram index is rebuilt from the table
/// once instead of row by row (which takes minutes at a million customers).
async fn rewrite(m: &SchemaManager<'_>, update: &str) -> Result<(), DbErr> {
    let db = m.get_connection();
    if db.get_database_backend() == DatabaseBackend::Postgres {
        db.execute_unprepared(update).await?;
        return Ok(());
    }
    db.execute_unprepared("DROP TRIGGER customers_fts_au")
        .await?;
    db.execute_unprepared(update).await?;
    db.execute_unprepared("INSERT INTO customers_fts(customers_fts) VALUES ('rebuild')")
        .await?;
    db.execute_unprepared(SQLITE_UPDATE_TRIGGER).await?;
    Ok(())
}
