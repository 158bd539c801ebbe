//! Schema migrations, written with the schema DSL (never importing entities) so they run on both engines.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{DatabaseConnection, DbBackend, TransactionTrait};

mod kit;
mod m20261121_000001_workspaces;
mod m20261121_000002_accounts_and_customers;
mod m20261121_000003_money_flows;
mod m20261121_000004_customer_list;
mod m20261121_000005_customer_activity;
mod m20261121_000006_bans;
mod m20261201_000007_money_safety;
mod m20261202_000008_rate_limits;
mod m20261202_000009_customer_sessions;
mod m20261202_000010_portal_mail;
mod m20261203_000011_portal_embed;
mod m20261203_000012_webhooks;
mod m20261204_000013_customer_imports;
mod m20261204_000014_erasure;
mod m20261204_000015_merges;
mod m20261205_000016_search_without_ids;
mod m20261206_000017_team;
mod m20261206_000018_email_details_as_mailboxes;
mod m20261207_000019_provider_notifications;
mod m20261207_000020_segments_and_bulk_actions;
mod m20261207_000021_idempotent_attempts;
mod m20261207_000022_entitlement_player_ids;
mod m20261207_000023_renewal_attempts_unique;
mod m20261207_000024_rotation_overlap;
mod m20261207_000025_codes_out_of_subjects;
mod m20261207_000026_portal_views_by_user;
mod m20261207_000027_search_index_secure_delete;
mod m20261207_000028_known_event_types_only;
mod m20261207_000029_receipt_details;
mod m20261207_000030_job_heartbeats;

/// Every migration in order; `server migrate` and the embedded default's start apply them.
#[derive(Debug)]
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261121_000001_workspaces::Migration),
            Box::new(m20261121_000002_accounts_and_customers::Migration),
            Box::new(m20261121_000003_money_flows::Migration),
            Box::new(m20261121_000004_customer_list::Migration),
            Box::new(m20261121_000005_customer_activity::Migration),
            Box::new(m20261121_000006_bans::Migration),
            Box::new(m20261201_000007_money_safety::Migration),
            Box::new(m20261202_000008_rate_limits::Migration),
            Box::new(m20261202_000009_customer_sessions::Migration),
            Box::new(m20261202_000010_portal_mail::Migration),
            Box::new(m20261203_000011_portal_embed::Migration),
            Box::new(m20261203_000012_webhooks::Migration),
            Box::new(m20261204_000013_customer_imports::Migration),
            Box::new(m20261204_000014_erasure::Migration),
            Box::new(m20261204_000015_merges::Migration),
            Box::new(m20261205_000016_search_without_ids::Migration),
            Box::new(m20261206_000017_team::Migration),
            Box::new(m20261206_000018_email_details_as_mailboxes::Migration),
            Box::new(m20261207_000019_provider_notifications::Migration),
            Box::new(m20261207_000020_segments_and_bulk_actions::Migration),
            Box::new(m20261207_000021_idempotent_attempts::Migration),
            Box::new(m20261207_000022_entitlement_player_ids::Migration),
            Box::new(m20261207_000023_renewal_attempts_unique::Migration),
            Box::new(m20261207_000024_rotation_overlap::Migration),
            Box::new(m20261207_000025_codes_out_of_subjects::Migration),
            Box::new(m20261207_000026_portal_views_by_user::Migration),
            Box::new(m20261207_000027_search_index_secure_delete::Migration),
            Box::new(m20261207_000028_known_event_types_only::Migration),
            Box::new(m20261207_000029_receipt_details::Migration),
            Box::new(m20261207_000030_job_heartbeats::Migration),
        ]
    }
}

/// A constant key for PostgreSQL's advisory lock on migrations ("patron" in ASCII).
const MIGRATION_LOCK: i64 = 0x7061_7472_6f6e;

/// Applies every pending migration; returns how many. On PostgreSQL, several processes starting
/// at once take turns behind an advisory lock (held by a transaction on its own connection), so
/// each migration runs exactly once and the others find nothing left to do.
pub async fn migrate_up(db: &DatabaseConnection) -> Result<usize, DbErr> {
    if db.get_database_backend() != DbBackend::Postgres {
        let pending = Migrator::get_pending_migrations(db).await?.len();
        Migrator::up(db, None).await?;
        return Ok(pending);
    }
    let lock = db.begin().await?;
    lock.execute_unprepared(&format!("SELECT pg_advisory_xact_lock({MIGRATION_LOCK})"))
        .await?;
    let pending = Migrator::get_pending_migrations(db).await?.len();
    let done = if pending > 0 {
        Migrator::up(db, None).await
    } else {
        Ok(())
    };
    lock.commit().await?;
    done.map(|()| pending)
}

/// The name of the newest applied migration, or `None` on an empty database.
pub async fn schema_version<C: ConnectionTrait>(db: &C) -> Result<Option<String>, DbErr> {
    let applied = Migrator::get_applied_migrations(db).await?;
    Ok(applied.last().map(|m| m.name().to_owned()))
}

/// The name of the newest migration this build knows.
pub fn latest_known() -> String {
    Migrator::migrations()
        .last()
        .map(|m| m.name().to_owned())
        .unwrap_or_default()
}
