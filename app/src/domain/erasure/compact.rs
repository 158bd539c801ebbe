//! What an erasure leaves in an SQLite file, cleared once it has committed. A row changed in
//! SQLite leaves its old bytes behind: in freed space (zeroed as it is freed, since every
//! connection runs with `secure_delete`), in the customer search index until its segments
//! merge (unless the index runs with FTS5's `secure-delete`, which migration 27 turns on), and
//! in the write-ahead log until a checkpoint. So after an erasure the log is checkpointed and
//! truncated. The index is not merged here: `optimize` rewrites all of it under the write
//! lock, seconds at a million customers, which would make paying customers' checkouts time
//! out after their charge (and be given back). One copy can remain: a page split
//! leaves the moved cells' old bytes in the first page's unused space until that page is
//! rewritten. A full `VACUUM` would clear it, but it rewrites the whole file while holding the
//! write lock (minutes at a million customers, during which checkouts would time out), so it
//! is left to the operator's maintenance window. PostgreSQL keeps no such copies within reach
//! of a query, and its own vacuum reclaims dead rows.

use sea_orm::{ConnectionTrait, DbBackend, DbErr, Statement};

use crate::domain::Services;

/// Clears the erased bytes from an SQLite database; does nothing on PostgreSQL. The erasure
/// has committed by now, so a failure here is logged for the operator, not answered: the
/// rows are erased, and the next erasure's clean-up (or a `VACUUM` by hand) clears the file.
pub(super) async fn clear_erased_bytes(svc: &Services) {
    if svc.db.get_database_backend() != DbBackend::Sqlite {
        return;
    }
    if let Err(e) = compact(svc).await {
        tracing::error!(error = %e, "clearing an erasure's old bytes from the SQLite file failed; run VACUUM");
    }
}

async fn compact(svc: &Services) -> Result<(), DbErr> {
    // TRUNCATE waits for readers of older frames, then empties the log file.
    let checkpoint = svc
        .db
        .query_one_raw(Statement::from_string(
            DbBackend::Sqlite,
            "PRAGMA wal_checkpoint(TRUNCATE)",
        ))
        .await?;
    let busy: i64 = match checkpoint {
        Some(row) => row.try_get("", "busy")?,
        None => 0,
    };
    if busy != 0 {
        tracing::warn!(
            "the write-ahead log could not be emptied after an erasure (a reader held it); the next checkpoint overwrites it"
        );
    }
    Ok(())
}
