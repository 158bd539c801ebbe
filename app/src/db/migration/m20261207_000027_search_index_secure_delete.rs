//! The customers' search index forgets a deleted or changed row's terms at once (FTS5's
//! `secure-delete` option), instead of keeping them in older segments until a merge: an
//! erased customer's old name and email leave the SQLite file without rewriting the index.
//! PostgreSQL's trigram index needs nothing of the kind.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        if m.get_database_backend() == DbBackend::Sqlite {
            m.get_connection()
                .execute_unprepared(
                    "INSERT INTO customers_fts(customers_fts, rank) VALUES ('secure-delete', 1)",
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        if m.get_database_backend() == DbBackend::Sqlite {
            m.get_connection()
                .execute_unprepared(
                    "INSERT INTO customers_fts(customers_fts, rank) VALUES ('secure-delete', 0)",
                )
                .await?;
        }
        Ok(())
    }
}
