//! Opens the database named by the configuration: an embedded SQLite file by default, or PostgreSQL.

use std::path::{Path, PathBuf};
use std::time::Duration;

use sea_orm::sqlx::Connection;
use sea_orm::sqlx::postgres::PgConnection;
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbBackend, DbErr};
use serde::Serialize;

/// Rows a SQLite connection's worker may read ahead of the reader (see `connect`).
const ROW_CHANNEL: usize = 1024;

/// Which database engine a connection talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Engine {
    /// Embedded SQLite file: the single-machine default.
    Sqlite,
    /// PostgreSQL: for scale and several server processes.
    Postgres,
}

impl Engine {
    /// The engine behind an open connection.
    pub fn of(db: &DatabaseConnection) -> Self {
        match db.get_database_backend() {
            DbBackend::Postgres => Engine::Postgres,
            _ => Engine::Sqlite,
        }
    }

    /// Lower-case name, as shown by `/healthz`.
    pub fn as_str(self) -> &'static str {
        match self {
            Engine::Sqlite => "sqlite",
            Engine::Postgres => "postgres",
        }
    }
}

/// Where the data lives.
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseTarget {
    /// An SQLite file, created on first use.
    Sqlite {
        /// Path of the database file.
        path: PathBuf,
    },
    /// A PostgreSQL server.
    Postgres {
        /// `postgres://user:password@host:port/database`.
        url: String,
    },
}

// Never print a password: Debug shows the redacted form.
impl std::fmt::Debug for DatabaseTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.redacted())
    }
}

/// Why the database could not be opened. Each message names the problem in one line.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// `DATABASE_URL` is not a URL Patron understands.
    #[error(
        "DATABASE_URL is not a usable database URL ({reason}); expected postgres://user:password@host:port/database or sqlite://path/to/file.db"
    )]
    BadUrl {
        /// What is wrong with it.
        reason: String,
    },
    /// The SQLite file's folder cannot be created.
    #[error("cannot create the data directory {}: {source}", path.display())]
    DataDir {
        /// The folder.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The server refused or could not be reached.
    #[error("cannot connect to the database at {target}: {reason}")]
    Unreachable {
        /// The redacted target.
        target: String,
        /// The driver's explanation.
        reason: String,
    },
}

impl DatabaseTarget {
    /// The embedded default: `patron.db` inside `data_dir`.
    pub fn embedded(data_dir: &Path) -> Self {
        DatabaseTarget::Sqlite {
            path: data_dir.join("patron.db"),
        }
    }

    /// Reads a `DATABASE_URL`: `postgres://`, `postgresql://` or `sqlite://`.
    pub fn from_url(raw: &str) -> Result<Self, ConnectError> {
        let bad = |reason: &str| ConnectError::BadUrl {
            reason: reason.to_owned(),
        };
        let raw = raw.trim();
        if let Some(rest) = raw.strip_prefix("sqlite://") {
            let path = rest.split('?').next().unwrap_or_default();
            if path.is_empty() {
                return Err(bad("the sqlite:// URL names no file"));
            }
            return Ok(DatabaseTarget::Sqlite {
                path: PathBuf::from(path),
            });
        }
        let parsed = url::Url::parse(raw).map_err(|e| bad(&e.to_string()))?;
        match parsed.scheme() {
            "postgres" | "postgresql" => {
                if parsed.host_str().is_none_or(str::is_empty) {
                    return Err(bad("no host"));
                }
                if parsed.path().trim_start_matches('/').is_empty() {
                    return Err(bad("no database name"));
                }
                Ok(DatabaseTarget::Postgres {
                    url: raw.to_owned(),
                })
            }
            other => Err(bad(&format!("unsupported scheme {other}:"))),
        }
    }

    /// The engine this target uses.
    pub fn engine(&self) -> Engine {
        match self {
            DatabaseTarget::Sqlite { .. } => Engine::Sqlite,
            DatabaseTarget::Postgres { .. } => Engine::Postgres,
        }
    }

    /// A description safe for logs and error messages: no password.
    pub fn redacted(&self) -> String {
        match self {
            DatabaseTarget::Sqlite { path } => format!("sqlite://{}", path.display()),
            DatabaseTarget::Postgres { url } => match url::Url::parse(url) {
                Ok(mut u) => {
                    if u.password().is_some() {
                        // Only fails for URLs that cannot have a password, which these can.
                        let _ = u.set_password(Some("***"));
                    }
                    u.to_string()
                }
                Err(_) => "postgres://(unparseable)".to_owned(),
            },
        }
    }
}

/// Opens a pool on the target, creating the SQLite file (WAL, foreign keys on, secure delete)
/// when needed.
pub async fn connect(target: &DatabaseTarget) -> Result<DatabaseConnection, ConnectError> {
    let unreachable = |e: DbErr| ConnectError::Unreachable {
        target: target.redacted(),
        reason: driver_reason(&e),
    };
    match target {
        DatabaseTarget::Sqlite { path } => {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(|source| ConnectError::DataDir {
                    path: dir.to_owned(),
                    source,
                })?;
            }
            let mut opts = ConnectOptions::new(format!("sqlite://{}?mode=rwc", path.display()));
            opts.max_connections(8)
                .min_connections(1)
                .acquire_timeout(Duration::from_secs(10))
                .sqlx_logging(false)
                .map_sqlx_sqlite_opts(|o| {
                    o.journal_mode(SqliteJournalMode::Wal)
                        .synchronous(SqliteSynchronous::Normal)
                        .foreign_keys(true)
                        .busy_timeout(Duration::from_secs(5))
                        // Deleted and overwritten content is zeroed rather than left in free
                        // pages and free space, where the file would still hold what an erasure
                        // or a deleted session removed (see `domain::erasure`).
                        .pragma("secure_delete", "ON")
                        .create_if_missing(true)
                        // Each connection's worker thread hands rows over through a bounded
                        // channel, 50 rows by default: once it is full, every row taken wakes
                        // the worker for one more. Room for a list page many times over, and
                        // for the export to read ahead of its writer.
                        .row_buffer_size(ROW_CHANNEL)
                });
            Database::connect(opts).await.map_err(unreachable)
        }
        DatabaseTarget::Postgres { url } => {
            // One direct attempt first: the pool would retry until its timeout and then report
            // only "timed out", hiding "connection refused" or "password authentication failed".
            let probe = tokio::time::timeout(Duration::from_secs(5), PgConnection::connect(url))
                .await
                .map_err(|_| ConnectError::Unreachable {
                    target: target.redacted(),
                    reason: "no answer within 5 s".to_owned(),
                })?
                .map_err(|e| ConnectError::Unreachable {
                    target: target.redacted(),
                    reason: e.to_string(),
                })?;
            let _ = probe.close().await;
            let mut opts = ConnectOptions::new(url.clone());
            opts.max_connections(16)
                .min_connections(1)
                .connect_timeout(Duration::from_secs(5))
                .acquire_timeout(Duration::from_secs(10))
                .sqlx_logging(false);
            Database::connect(opts).await.map_err(unreachable)
        }
    }
}

/// The innermost driver message, without the URL (which could carry a password).
fn driver_reason(e: &DbErr) -> String {
    let mut source: &dyn std::error::Error = e;
    while let Some(next) = source.source() {
        source = next;
    }
    source.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_urls_are_accepted_and_redacted() {
        let t = DatabaseTarget::from_url("postgres://patron:s3cret@127.0.0.1:5432/patron").unwrap();
        assert_eq!(t.engine(), Engine::Postgres);
        assert!(!t.redacted().contains("s3cret"));
        assert!(!format!("{t:?}").contains("s3cret"));
        assert!(t.redacted().contains("127.0.0.1:5432/patron"));
    }

    #[test]
    fn sqlite_urls_name_a_file() {
        let t = DatabaseTarget::from_url("sqlite://data/x.db?mode=rwc").unwrap();
        assert_eq!(
            t,
            DatabaseTarget::Sqlite {
                path: PathBuf::from("data/x.db")
            }
        );
    }

    #[test]
    fn unusable_urls_say_what_is_wrong() {
        for (raw, needle) in [
            ("mysql://localhost/db", "unsupported scheme mysql"),
            ("postgres:///patron", "no host"),
            ("postgres://localhost", "no database name"),
            ("not a url", "DATABASE_URL is not a usable database URL"),
            ("sqlite://", "names no file"),
        ] {
            let err = DatabaseTarget::from_url(raw).unwrap_err().to_string();
            assert!(err.contains(needle), "{raw}: {err}");
        }
    }
}
