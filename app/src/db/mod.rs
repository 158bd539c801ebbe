//! The database layer (ssr only): one connection for SQLite or PostgreSQL, entities and migrations.

pub mod bulk;
pub mod connect;
pub mod entities;
pub mod migration;

pub use connect::{ConnectError, DatabaseTarget, Engine, connect};
pub use migration::{Migrator, migrate_up};
