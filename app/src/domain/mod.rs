//! The business rules (ssr only). Every door (REST, server functions, jobs) calls into here.

pub mod clock;
pub mod demo;
pub mod error;
pub mod system;
pub mod workspaces;

use std::sync::Arc;

use sea_orm::DatabaseConnection;

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
