//! What the customer list at a million customers needs: a search text per customer (email,
//! name, external id and id, lower-cased) with a
//! trigram index (FTS5 on SQLite, pg_trgm on PostgreSQL), the subscription status and a
//! non-null last-order key to filter and sort on, and an index per filter-and-sort path.

use sea_orm::DatabaseBackend;
use sea_orm_migration::{prelude::*, schema::*};

use super::kit::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const INDEXES: [(&str, &[&str]); 5] = [
    (
        "ix_customers_last_order_key",
        &["workspace_id", "last_order_key", "id"],
    ),
    (
        "ix_customers_status",
        &["workspace_id", "subscription_status", "id"],
    ),
    (
        "ix_customers_status_ltv",
        &["workspace_id", "subscription_status", "ltv_amount", "id"],
    ),
    (
        "ix_customers_status_last_order",
        &[
            "workspace_id",
            "subscription_status",
            "last_order_key",
            "id",
        ],
    ),
    ("ix_customers_country", &["workspace_id", "country", "id"]),
];

const SQLITE_FTS: [&str; 5] = [
    "CREATE VIRTUAL TABLE customers_fts USING fts5(search_text, content='customers', content_rowid='rowid', tokenize='trigram')",
    "INSERT INTO customers_fts(customers_fts) VALUES ('rebuild')",
    "CREATE TRIGGER customers_fts_ai AFTER INSERT ON customers BEGIN INSERT INTO customers_fts(rowid, search_text) VALUES (new.rowid, new.search_text); END",
    "CREATE TRIGGER customers_fts_ad AFTER DELETE ON customers BEGIN INSERT INTO customers_fts(customers_fts, rowid, search_text) VALUES ('delete', old.rowid, old.search_text); END",
    "CREATE TRIGGER customers_fts_au AFTER UPDATE OF search_text ON customers BEGIN INSERT INTO customers_fts(customers_fts, rowid, search_text) VALUES ('delete', old.rowid, old.search_text); INSERT INTO customers_fts(rowid, search_text) VALUES (new.rowid, new.search_text); END",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        add_columns(
            m,
            "customers",
            [
                text("search_text").default("").to_owned(),
                text_null("subscription_status"),
                big_integer("last_order_key").default(0).to_owned(),
            ],
        )
        .await?;
        let db = m.get_connection();
        let backend = m.get_database_backend();
        let last_order_key = match backend {
            DatabaseBackend::Postgres => {
                "COALESCE((EXTRACT(EPOCH FROM last_order_at) * 1000)::bigint, 0)"
            }
            _ => {
                "COALESCE(CAST(strftime('%s', substr(last_order_at, 1, 19)) AS INTEGER) * 1000, 0)"
            }
        };
        let status = |s: &str| {
            format!(
                "WHEN EXISTS (SELECT 1 FROM subscriptions s WHERE s.customer_id = customers.id AND s.status = '{s}') THEN '{s}'"
            )
        };
        db.execute_unprepared(&format!(
            "UPDATE customers SET \
               search_text = lower(COALESCE(email, '') || ' ' || COALESCE(name, '') || ' ' || COALESCE(external_id, '') || ' ' || id), \
               last_order_key = {last_order_key}, \
               subscription_status = CASE {} {} {} {} ELSE NULL END",
            status("active"),
            status("past_due"),
            status("canceled"),
            status("expired"),
        ))
        .await?;
        match backend {
            DatabaseBackend::Postgres => {
                db.execute_unprepared("CREATE EXTENSION IF NOT EXISTS pg_trgm")
                    .await?;
                db.execute_unprepared(
                    "CREATE INDEX ix_customers_search ON customers USING gin (search_text gin_trgm_ops)",
                )
                .await?;
            }
            _ => {
                for sql in SQLITE_FTS {
                    db.execute_unprepared(sql).await?;
                }
            }
        }
        drop_index(m, "ix_customers_last_order", "customers").await?;
        for (name, cols) in INDEXES {
            index(m, name, "customers", cols).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for (name, _) in INDEXES {
            drop_index(m, name, "customers").await?;
        }
        index(
            m,
            "ix_customers_last_order",
            "customers",
            &["workspace_id", "last_order_at", "id"],
        )
        .await?;
        let db = m.get_connection();
        match m.get_database_backend() {
            DatabaseBackend::Postgres => {
                db.execute_unprepared("DROP INDEX ix_customers_search")
                    .await?;
            }
            _ => {
                for t in ["customers_fts_ai", "customers_fts_ad", "customers_fts_au"] {
                    db.execute_unprepared(&format!("DROP TRIGGER {t}")).await?;
                }
                db.execute_unprepared("DROP TABLE customers_fts").await?;
            }
        }
        drop_columns(
            m,
            "customers",
            ["last_order_key", "subscription_status", "search_text"],
        )
        .await
    }
}
