//! The server's own health: which engine it runs on and which schema it has.

use sea_orm::{ConnectionTrait, DatabaseConnection};
use serde::Serialize;

use crate::db::{Engine, migration};

use super::DomainError;

/// What `/healthz` reports.
#[derive(Debug, Clone, Serialize)]
pub struct Health {
    /// `sqlite` or `postgres`.
    pub engine: Engine,
    /// The newest applied migration, `None` when none is.
    pub schema_version: Option<String>,
    /// Whether every migration this build knows is applied.
    pub schema_up_to_date: bool,
}

/// Checks the database answers and reports its engine and schema version.
pub async fn health(db: &DatabaseConnection) -> Result<Health, DomainError> {
    db.execute_unprepared("SELECT 1").await?;
    let schema_version = migration::schema_version(db).await?;
    let schema_up_to_date = schema_version.as_deref() == Some(migration::latest_known().as_str());
    Ok(Health {
        engine: Engine::of(db),
        schema_version,
        schema_up_to_date,
    })
}
