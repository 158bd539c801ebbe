//! Schema migrations, written with the schema DSL (never importing entities) so they run on both engines.

use sea_orm_migration::prelude::*;

mod m20261121_000001_workspaces;
mod m20261121_000002_accounts_and_customers;
mod m20261121_000003_money_flows;
mod m20261121_000004_customer_list;
mod m20261121_000005_customer_activity;
mod m20261121_000006_bans;

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
        ]
    }
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
