//! The business rules (ssr only). Every door (REST, server functions, jobs) calls into here.

pub mod accounts;
pub mod activity;
pub mod actor;
pub mod api_keys;
pub mod audit;
pub mod bans;
pub mod billing;
pub mod bulk_actions;
pub mod checkouts;
pub mod clock;
pub mod customer_list;
pub mod customers;
pub mod data_export;
pub mod entitlements;
pub mod erasure;
pub mod error;
pub(crate) mod find;
pub mod idempotency;
pub mod imports;
pub mod merges;
pub mod orders;
pub mod outbox;
pub mod paging;
pub mod payment_details;
pub mod payments;
pub mod portal;
pub mod products;
pub mod provider;
pub mod rate_limit;
pub(crate) mod receipts;
pub mod reconciliation;
pub mod secrets;
pub mod segments;
pub mod stats;
pub mod subscriptions;
pub mod system;
pub mod team;
pub mod validate;
pub(crate) mod webhook_outbox;
pub mod webhooks;
pub mod workspaces;

use crate::types::WorkspaceId;
use crate::types::money::CurrencyCode;
use std::sync::Arc;

use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr,
    SqliteTransactionMode, Statement, TransactionOptions, TransactionTrait, Value,
};

pub use actor::{Actor, Caller};
pub use clock::{Clock, ManualClock, SystemClock};
pub use error::DomainError;
pub use paging::Limit;

/// What every domain operation may need: the database, the clock and the payment provider.
///
/// Cheap to clone; the server builds one at start and hands it to every door.
#[derive(Clone, Debug)]
pub struct Services {
    /// The connection pool.
    pub db: DatabaseConnection,
    /// Where "now" comes from; tests inject a [`ManualClock`].
    pub clock: Arc<dyn Clock>,
    /// Takes and gives back money.
    pub provider: Arc<dyn provider::PaymentProvider>,
    /// The address end customers reach Patron at (`https://billing.example.com`), for links in
    /// emails; no trailing slash.
    pub public_url: String,
    /// The hosts webhooks may reach beyond public addresses (`PATRON_WEBHOOK_ALLOW_HOSTS`).
    pub webhook_hosts: Arc<webhooks::AllowHosts>,
    /// How many requests one API key may make (`--api-rate-limit`).
    pub api_rate: rate_limit::Rule,
    /// The header a reverse proxy puts the client's address in (`--client-ip-header`), if
    /// Patron is behind one; without it the peer's address is the client's.
    pub client_ip_header: Option<axum::http::HeaderName>,
    /// How long a request owns its `Idempotency-Key` while it runs (`--idempotency-lock`).
    pub idempotency_lock: chrono::Duration,
    /// Each workspace's currency, read once: it is fixed when the workspace is made.
    currencies: Arc<std::sync::RwLock<std::collections::HashMap<WorkspaceId, CurrencyCode>>>,
}

impl Services {
    /// Services on the given database with the system clock.
    pub fn new(db: DatabaseConnection) -> Self {
        Self {
            clock: Arc::new(SystemClock),
            provider: Arc::new(provider::SimulatedProvider::new(db.clone())),
            public_url: "http://127.0.0.1:3000".into(),
            webhook_hosts: Arc::new(webhooks::AllowHosts::default()),
            api_rate: rate_limit::API_KEY,
            client_ip_header: None,
            idempotency_lock: idempotency::LOCK,
            currencies: Arc::default(),
            db,
        }
    }

    /// The same services on another connection pool, remembering nothing: another server
    /// process on the same database.
    pub fn with_db(mut self, db: DatabaseConnection) -> Self {
        self.db = db;
        self.currencies = Arc::default();
        self
    }

    /// A workspace's currency (that of its lifetime values), from memory after the first read:
    /// a workspace's currency never changes.
    pub async fn workspace_currency(&self, ws: &WorkspaceId) -> Result<CurrencyCode, DomainError> {
        let known = self.currencies.read().ok().and_then(|m| m.get(ws).copied());
        if let Some(c) = known {
            return Ok(c);
        }
        let c = orders::workspace_currency(&self.db, ws).await?;
        if let Ok(mut m) = self.currencies.write() {
            m.insert(ws.clone(), c);
        }
        Ok(c)
    }

    /// The same services reached at another address (links in emails point there).
    pub fn with_public_url(mut self, url: &str) -> Self {
        self.public_url = url.trim().trim_end_matches('/').to_owned();
        self
    }

    /// The same services, with webhooks also allowed to reach `hosts`.
    pub fn with_webhook_hosts(mut self, hosts: webhooks::AllowHosts) -> Self {
        self.webhook_hosts = Arc::new(hosts);
        self
    }

    /// The same services with API keys limited to `per_minute` requests a minute each.
    pub fn with_api_rate_limit(mut self, per_minute: u32) -> Self {
        self.api_rate = rate_limit::Rule::api_key_per_minute(per_minute);
        self
    }

    /// The same services trusting `header` (set by a reverse proxy) for the client's address.
    pub fn with_client_ip_header(mut self, header: Option<axum::http::HeaderName>) -> Self {
        self.client_ip_header = header;
        self
    }

    /// The client's address: see [`client_ip`].
    pub fn client_ip(
        &self,
        headers: &axum::http::HeaderMap,
        peer: Option<std::net::IpAddr>,
    ) -> Option<String> {
        client_ip(self.client_ip_header.as_ref(), headers, peer)
    }

    /// The same services with requests owning their `Idempotency-Key` for `lock` while they
    /// run (a minute by default; shorter in drills and tests of hang-ups).
    pub fn with_idempotency_lock(mut self, lock: chrono::Duration) -> Self {
        self.idempotency_lock = lock;
        self
    }

    /// The same services with another payment provider.
    pub fn with_provider(mut self, provider: Arc<dyn provider::PaymentProvider>) -> Self {
        self.provider = provider;
        self
    }

    /// The same services with another clock.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// A transaction that will write: on SQLite it takes the write lock at once
    /// (`BEGIN IMMEDIATE`), so a read inside it can never be invalidated by another writer.
    pub async fn write_txn(&self) -> Result<DatabaseTransaction, DbErr> {
        self.db
            .begin_with_options(TransactionOptions {
                sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
                ..Default::default()
            })
            .await
    }
}

/// Locks one row of `E` until the transaction ends, so a read-check-write on it cannot
/// interleave with another on PostgreSQL (READ COMMITTED). SQLite needs none: a write
/// transaction there holds the database's write lock from its first statement (`BEGIN
/// IMMEDIATE`).
pub(crate) async fn lock_row<E: sea_orm::EntityTrait, C: ConnectionTrait>(
    conn: &C,
    id: &str,
) -> Result<(), DomainError> {
    if conn.get_database_backend() == DbBackend::Postgres {
        let table = E::default().table_name().to_owned();
        conn.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            format!("SELECT 1 FROM {table} WHERE id = $1 FOR UPDATE"),
            [Value::from(id)],
        ))
        .await?;
    }
    Ok(())
}

/// A claim of background work: the rows of the entity's table that are `open`, taken by one
/// statement that also applies `set` (a lease) to them, so that of several processes claiming
/// at once each row goes to exactly one. `set` and `open` are SQL with `$` placeholders for
/// their values, in order.
#[derive(Debug)]
pub(crate) struct Claim<'a> {
    pub set: &'a str,
    pub set_values: Vec<Value>,
    pub open: &'a str,
    pub open_values: Vec<Value>,
    pub order_by: &'a str,
    pub batch: u64,
}

/// A claimed row Patron cannot read (a value no column type accepts): it stays claimed, so
/// its lease is its back-off, and the other rows of the claim go on.
#[derive(Debug)]
pub(crate) struct Unreadable {
    /// The row's id.
    pub id: String,
    /// Why it cannot be read.
    pub error: DbErr,
}

/// Claims up to `batch` open rows: `UPDATE … WHERE id IN (SELECT … LIMIT n FOR UPDATE SKIP
/// LOCKED) AND <still open> RETURNING *`. On PostgreSQL the inner select skips rows another
/// process is claiming, and the outer condition is checked again on the row it locks; SQLite
/// runs one writer at a time. Each row is read on its own: one unreadable row never stops
/// the others.
pub(crate) async fn claim<E: sea_orm::EntityTrait>(
    db: &DatabaseConnection,
    c: Claim<'_>,
) -> Result<Vec<Result<E::Model, Unreadable>>, DomainError> {
    let backend = db.get_database_backend();
    let skip_locked = if backend == DbBackend::Postgres {
        " FOR UPDATE SKIP LOCKED"
    } else {
        ""
    };
    let table = E::default().table_name().to_owned();
    let Claim {
        set,
        set_values,
        open,
        open_values,
        order_by,
        batch,
    } = c;
    let sql = format!(
        "UPDATE {table} SET {set} WHERE id IN (SELECT id FROM {table} WHERE {open} \
         ORDER BY {order_by} LIMIT {batch}{skip_locked}) AND {open} RETURNING *"
    );
    // The open condition stands twice: in the inner select and again on the locked row.
    let values: Vec<Value> = set_values
        .into_iter()
        .chain(open_values.clone())
        .chain(open_values)
        .collect();
    let sql = match backend {
        DbBackend::Postgres => {
            let mut n = 0;
            let mut out = String::with_capacity(sql.len() + 16);
            for ch in sql.chars() {
                out.push(ch);
                if ch == '$' {
                    n += 1;
                    out.push_str(&n.to_string());
                }
            }
            out
        }
        _ => sql.replace('$', "?"),
    };
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(backend, sql, values))
        .await?;
    Ok(rows
        .iter()
        .map(|row| {
            <E::Model as sea_orm::FromQueryResult>::from_query_result(row, "").map_err(|error| {
                Unreadable {
                    id: row.try_get::<String>("", "id").unwrap_or_default(),
                    error,
                }
            })
        })
        .collect())
}

/// A claim's rows split into those read and those that could not be (each stays claimed, so
/// it is tried again after its lease).
pub(crate) fn readable<M>(claimed: Vec<Result<M, Unreadable>>) -> (Vec<M>, Vec<Unreadable>) {
    let mut rows = Vec::with_capacity(claimed.len());
    let mut unreadable = Vec::new();
    for c in claimed {
        match c {
            Ok(row) => rows.push(row),
            Err(u) => unreadable.push(u),
        }
    }
    (rows, unreadable)
}

/// The client's address, canonical (an IPv4-mapped IPv6 address is its IPv4 one): the last
/// address in the trusted proxy `header`, which the proxy itself appended, or else the peer's.
pub fn client_ip(
    header: Option<&axum::http::HeaderName>,
    headers: &axum::http::HeaderMap,
    peer: Option<std::net::IpAddr>,
) -> Option<String> {
    let forwarded = header.and_then(|name| {
        let value = headers.get_all(name).iter().next_back()?.to_str().ok()?;
        value
            .rsplit(',')
            .next()?
            .trim()
            .parse::<std::net::IpAddr>()
            .ok()
    });
    forwarded.or(peer).map(|ip| ip.to_canonical().to_string())
}

/// Reads a JSON column.
pub(crate) fn stored_json<T: serde::de::DeserializeOwned>(raw: &str) -> Result<T, DomainError> {
    serde_json::from_str(raw).map_err(|e| DomainError::internal(format!("stored JSON: {e}")))
}

/// Writes a JSON column.
pub(crate) fn to_json<T: serde::Serialize>(value: &T) -> Result<String, DomainError> {
    serde_json::to_string(value).map_err(|e| DomainError::internal(format!("to JSON: {e}")))
}

/// Checks an optional free-text field of at most `max` characters.
pub(crate) fn optional_text(
    field: &str,
    value: Option<&str>,
    max: usize,
) -> Result<Option<String>, DomainError> {
    value.map(|v| validate::text(field, v, max)).transpose()
}

#[cfg(test)]
mod tests {
    use axum::http::{HeaderMap, HeaderName, HeaderValue};

    use super::client_ip;

    #[test]
    fn the_client_address_is_the_peers_unless_a_proxy_header_is_trusted() {
        let mut h = HeaderMap::new();
        h.insert(
            "x-forwarded-for",
            HeaderValue::from_static("203.0.113.9, 198.51.100.7"),
        );
        let peer = Some("::ffff:10.0.0.2".parse().unwrap());
        // Untrusted, the header is ignored; an IPv4-mapped address is its IPv4 one.
        assert_eq!(client_ip(None, &h, peer).as_deref(), Some("10.0.0.2"));
        // Trusted, the address the proxy appended (the last) is the client's.
        let xff = HeaderName::from_static("x-forwarded-for");
        assert_eq!(
            client_ip(Some(&xff), &h, peer).as_deref(),
            Some("198.51.100.7")
        );
        assert_eq!(
            client_ip(Some(&xff), &HeaderMap::new(), peer).as_deref(),
            Some("10.0.0.2")
        );
    }
}
