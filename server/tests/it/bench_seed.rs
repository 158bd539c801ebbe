//! `server seed-bench` writes the same rows on both engines: SQLite through multi-row INSERTs,
//! PostgreSQL through `COPY … FROM STDIN` (text format, its own escaping and NULLs).

use app::db::entities::{customer, customer_currency_total, order, product, subscription};
use app::domain::actor::Caller;
use app::domain::customer_list::{CustomerQuery, list_customers};
use sea_orm::{EntityTrait, QueryOrder};
use server::tools::bench::{BENCH_WORKSPACE_ID, seed_bench};

use app::db::Engine;

use crate::support::TestDb;

/// The generated tables as text, with every id replaced by a label that does not depend on
/// its random part: the row's place among its table's rows once the ids it refers to are
/// labelled (products, then customers, subscriptions, orders, totals). Ids are minted from
/// the one secure generator, so two seeds share times and contents but not ids.
async fn canonical(db: &sea_orm::DatabaseConnection) -> Vec<Vec<String>> {
    fn rows<M: std::fmt::Debug>(
        models: Vec<M>,
        id: impl Fn(&M) -> Option<String>,
    ) -> Vec<(Option<String>, String)> {
        models
            .into_iter()
            .map(|m| (id(&m), format!("{m:?}")))
            .collect()
    }
    let tables = vec![
        // The catalogue is made through the domain, at the clock's time: its contents only.
        product::Entity::find()
            .all(db)
            .await
            .unwrap()
            .into_iter()
            .map(|p| {
                let text = format!("{} {:?} {} {}", p.name, p.kind, p.amount, p.currency);
                (Some(p.id.to_string()), text)
            })
            .collect(),
        rows(customer::Entity::find().all(db).await.unwrap(), |c| {
            Some(c.id.to_string())
        }),
        rows(subscription::Entity::find().all(db).await.unwrap(), |s| {
            Some(s.id.to_string())
        }),
        rows(order::Entity::find().all(db).await.unwrap(), |o| {
            Some(o.id.to_string())
        }),
        rows(
            customer_currency_total::Entity::find()
                .all(db)
                .await
                .unwrap(),
            |_| None,
        ),
    ];
    let mut labels: Vec<(String, String)> = Vec::new();
    let mut out = Vec::new();
    for (t, table) in tables.into_iter().enumerate() {
        let mut texts: Vec<(String, Option<String>)> = table
            .into_iter()
            .map(|(own, mut text)| {
                if let Some(own) = &own {
                    text = text.replace(own.as_str(), "SELF");
                }
                for (id, label) in &labels {
                    text = text.replace(id.as_str(), label);
                }
                (text, own)
            })
            .collect();
        texts.sort();
        for (i, (_, own)) in texts.iter().enumerate() {
            if let Some(own) = own {
                labels.push((own.clone(), format!("T{t}R{i}")));
            }
        }
        out.push(texts.into_iter().map(|(text, _)| text).collect());
    }
    out
}

#[tokio::test]
async fn copy_on_postgres_writes_what_inserts_write_on_sqlite() {
    if !crate::support::postgres_runs() {
        return;
    }
    let sqlite = TestDb::migrated(Engine::Sqlite).await;
    let pg = TestDb::migrated(Engine::Postgres).await;
    for t in [&sqlite, &pg] {
        seed_bench(&t.services(), 300, 4, 11).await.unwrap();
    }
    let (a, b) = (canonical(&sqlite.db).await, canonical(&pg.db).await);
    let [_, customers, subscriptions, orders, totals] = &a[..] else {
        panic!("five tables");
    };
    assert_eq!(customers.len(), 300);
    assert!(orders.len() > 300, "{} orders", orders.len());
    assert!(!subscriptions.is_empty() && !totals.is_empty());
    // NULLs and text both went through: some customers have no external id, some have one.
    assert!(customers.iter().any(|c| c.contains("external_id: None")));
    assert!(customers.iter().any(|c| c.contains("external_id: Some(")));
    for (table, (x, y)) in ["products", "customers", "subscriptions", "orders", "totals"]
        .iter()
        .zip(a.iter().zip(&b))
    {
        assert_eq!(x.len(), y.len(), "{table}");
        for (x, y) in x.iter().zip(y) {
            assert_eq!(x, y, "{table}");
        }
    }

    // The indexes and the search came back after the load: a customer is found by a piece of
    // their email on both engines.
    let ws: app::types::WorkspaceId = BENCH_WORKSPACE_ID.parse().unwrap();
    for t in [&sqlite, &pg] {
        let someone = customer::Entity::find()
            .order_by_asc(customer::Column::Id)
            .all(&t.db)
            .await
            .unwrap()
            .swap_remove(123);
        let email = someone.email.unwrap();
        let piece = email.split('@').next().unwrap();
        let page = list_customers(
            &t.services(),
            &Caller::system(ws.clone()),
            CustomerQuery {
                q: Some(piece.to_owned()),
                limit: Some(100),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert!(
            page.data.iter().any(|c| c.customer.id == someone.id),
            "{piece} on {:?}",
            t.engine
        );
    }
    sqlite.cleanup().await;
    pg.cleanup().await;
}
