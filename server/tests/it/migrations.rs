//! Migrations go up and down on both engines, and the schema version follows.

use app::db::{Engine, Migrator, migration};
use sea_orm::{ConnectionTrait, Statement};
use sea_orm_migration::MigratorTrait;

use crate::on_both_engines;
use crate::support::TestDb;

async fn table_exists(t: &TestDb, table: &str) -> bool {
    let sql = match t.engine {
        Engine::Sqlite => {
            "SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name = $1"
        }
        Engine::Postgres => {
            "SELECT count(*) AS n FROM information_schema.tables WHERE table_schema = 'public' AND table_name = $1"
        }
    };
    let row =
        t.db.query_one_raw(Statement::from_sql_and_values(
            t.db.get_database_backend(),
            sql,
            [table.into()],
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get::<i64>("", "n").unwrap() > 0
}

async fn migrations_apply_roll_back_and_reapply(engine: Engine) {
    let t = TestDb::empty(engine).await;
    assert_eq!(migration::schema_version(&t.db).await.unwrap(), None);

    Migrator::up(&t.db, None).await.unwrap();
    assert!(table_exists(&t, "workspaces").await);
    assert_eq!(
        migration::schema_version(&t.db).await.unwrap(),
        Some(migration::latest_known())
    );
    assert!(
        Migrator::get_pending_migrations(&t.db)
            .await
            .unwrap()
            .is_empty()
    );

    let all = Migrator::migrations().len() as u32;
    Migrator::down(&t.db, Some(all)).await.unwrap();
    assert!(!table_exists(&t, "workspaces").await);
    assert_eq!(migration::schema_version(&t.db).await.unwrap(), None);

    Migrator::up(&t.db, None).await.unwrap();
    assert!(table_exists(&t, "workspaces").await);
    t.cleanup().await;
}

on_both_engines!(migrations_apply_roll_back_and_reapply);
