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

/// Migration 16 cuts the id off every search text written before it, keeping the rest exactly
/// as the application lower-cased it, and the trigram index follows.
async fn search_texts_lose_their_ids_and_keep_the_rest(engine: Engine) {
    use app::domain::actor::Caller;
    use app::domain::{Services, customers};
    use app::types::customer::CustomerCreate;

    // Every migration before this one (the schema as version 15 left it).
    let t = TestDb::migrated_before(engine, "m20261205_000016_search_without_ids").await;
    let svc = Services::new(t.db.clone());
    let ws = app::domain::workspaces::create_workspace(
        &svc,
        app::domain::workspaces::NewWorkspace {
            name: "Shop".into(),
            default_currency: app::types::money::CurrencyCode::EUR,
        },
    )
    .await
    .unwrap();
    let caller = Caller::system(ws.id.clone());
    let c = customers::create_customer(
        &svc,
        &caller,
        CustomerCreate {
            email: Some("ove@example.com".into()),
            name: Some("Ærø Ölsen".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    // As every version before 16 wrote it.
    let backend = t.db.get_database_backend();
    let old = format!(
        "ove@example.com ærø ölsen  {}",
        c.id.as_str().to_lowercase()
    );
    t.db.execute_raw(Statement::from_sql_and_values(
        backend,
        "UPDATE customers SET search_text = $1 WHERE id = $2",
        [old.into(), c.id.as_str().into()],
    ))
    .await
    .unwrap();

    Migrator::up(&t.db, None).await.unwrap();
    let text = |sql: &str| {
        let (db, id) = (t.db.clone(), c.id.as_str().to_owned());
        let sql = sql.to_owned();
        async move {
            db.query_all_raw(Statement::from_sql_and_values(backend, sql, [id.into()]))
                .await
                .unwrap()
                .into_iter()
                .map(|r| r.try_get_by_index::<String>(0).unwrap())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        text("SELECT search_text FROM customers WHERE id = $1").await,
        vec!["ove@example.com ærø ölsen ".to_owned()]
    );
    if engine == Engine::Sqlite {
        let fts = "SELECT c.id FROM customers_fts f JOIN customers c ON c.rowid = f.rowid \
                   WHERE c.id = $1 AND customers_fts MATCH";
        assert_eq!(text(&format!("{fts} '\"ölsen\"'")).await.len(), 1);
        let id_part = &c.id.as_str()[10..20].to_lowercase();
        assert!(text(&format!("{fts} '\"{id_part}\"'")).await.is_empty());
    }
    t.cleanup().await;
}

async fn email_details_become_mailboxes_and_duplicates_merge(engine: Engine) {
    use app::domain::actor::Caller;
    use app::domain::{Services, customers, workspaces};
    use app::types::customer::CustomerCreate;

    let t = TestDb::migrated_before(engine, "m20261206_000018_email_details_as_mailboxes").await;
    let svc = Services::new(t.db.clone());
    let ws = workspaces::create_workspace(
        &svc,
        workspaces::NewWorkspace {
            name: "Shop".into(),
            default_currency: app::types::money::CurrencyCode::EUR,
        },
    )
    .await
    .unwrap();
    let caller = Caller::system(ws.id.clone());
    let customer = |name: &str| {
        let (svc, caller) = (svc.clone(), caller.clone());
        let name = name.to_owned();
        async move {
            customers::create_customer(
                &svc,
                &caller,
                CustomerCreate {
                    name: Some(name),
                    ..Default::default()
                },
            )
            .await
            .unwrap()
            .id
        }
    };
    let (ann, bob) = (customer("Ann").await, customer("Bob").await);
    let backend = t.db.get_database_backend();
    let now = chrono::Utc::now();
    // As versions before 18 wrote them: the address as typed, lower-cased.
    let rows = [
        ("pd_1", &ann, "ann.lee+shop@gmail.com", "blocked"),
        ("pd_2", &ann, "annlee@gmail.com", "active"),
        ("pd_3", &bob, "b.o.b@googlemail.com", "active"),
        ("pd_4", &bob, "bob+x@example.com", "active"),
        ("pd_5", &bob, "carol.king@example.com", "active"),
    ];
    for (id, cus, email, status) in rows {
        t.db.execute_raw(Statement::from_sql_and_values(
            backend,
            "INSERT INTO payment_details (id, workspace_id, customer_id, kind, value, label, status, \
             first_seen_at, last_seen_at, blocked_at) VALUES ($1, $2, $3, 'email', $4, $4, $5, $6, $6, $7)",
            [
                id.into(),
                ws.id.as_str().into(),
                cus.as_str().into(),
                email.into(),
                status.into(),
                now.into(),
                (status == "blocked").then_some(now).into(),
            ],
        ))
        .await
        .unwrap();
    }

    Migrator::up(&t.db, None).await.unwrap();
    let found: Vec<(String, String, String, String)> =
        t.db.query_all_raw(Statement::from_string(
            backend,
            "SELECT id, value, label, status FROM payment_details ORDER BY id",
        ))
        .await
        .unwrap()
        .into_iter()
        .map(|r| {
            let get = |i| r.try_get_by_index::<String>(i).unwrap();
            (get(0), get(1), get(2), get(3))
        })
        .collect();
    let owned = |a: &str, b: &str, c: &str, d: &str| {
        (a.to_owned(), b.to_owned(), c.to_owned(), d.to_owned())
    };
    assert_eq!(
        found,
        [
            // Ann's two addresses are one mailbox: one row, blocked as one of them was.
            owned("pd_2", "annlee@gmail.com", "annlee@gmail.com", "blocked"),
            owned("pd_3", "bob@gmail.com", "b.o.b@googlemail.com", "active"),
            // Other providers keep dots and plus-tags: they may be other mailboxes.
            owned("pd_4", "bob+x@example.com", "bob+x@example.com", "active"),
            owned(
                "pd_5",
                "carol.king@example.com",
                "carol.king@example.com",
                "active"
            ),
        ]
    );
    t.cleanup().await;
}

on_both_engines!(
    search_texts_lose_their_ids_and_keep_the_rest,
    email_details_become_mailboxes_and_duplicates_merge,
);
