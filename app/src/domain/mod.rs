//! The business rules (ssr only). Every door (REST, server functions, jobs) calls into here.

pub mod accounts;
pub mod actor;
pub mod api_keys;
pub mod audit;
pub mod clock;
pub mod customers;
pub mod demo;
pub mod error;
pub mod idempotency;
pub mod secrets;
pub mod system;
pub mod validate;
pub mod workspaces;

use std::sync::Arc;

use sea_orm::DatabaseConnection;

pub use actor::{Actor, Caller};
pub use clock::{Clock, ManualClock, SystemClock};
pub use error::DomainError;

/// What every domain operation may need: the database and the clock.
///
/// Cheap to clone; the server builds one at start and hands it to every door.
#[derive(Clone, Debug)]
pub struct Services {
    /// The connection pool.
    pub db: DatabaseConnection,
    /// Where "now" comes from; tests inject a [`ManualClock`].
    pub clock: Arc<dyn Clock>,
}

impl Services {
    /// Services on the given database with the system clock.
    pub fn new(db: DatabaseConnection) -> Self {
        Self {
            db,
            clock: Arc::new(SystemClock),
        }
    }
}
