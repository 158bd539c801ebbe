//! `bench-list`'s cases: each list query with the same query as one SQL statement (its floor),
//! and their timing at page 1 and page 1,000.

use anyhow::Context;
use app::db::entities::customer;
use app::domain::customer_list::{CustomerQuery, list_customers};
use app::domain::{Caller, Services};
use app::types::CustomerId;
use app::types::customer::{CustomerSort, SubscriptionFilter};
use chrono::{DateTime, TimeZone, Utc};
use sea_orm::{ConnectionTrait, DatabaseBackend, EntityTrait, Statement};

use super::time;

/// One benchmark row: a query at page 1 and page 1,000.
pub(crate) struct Case {
    pub name: &'static str,
    pub query: CustomerQuery,
    /// The same query as one SQL statement: `{ws}` and `{cursor}` filled in per run.
    floor: fn(DatabaseBackend) -> String,
}

const COLUMNS: &str = "id, workspace_id, email, name, external_id, country, created_at, ltv_amount, order_count, last_order_at, subscription_status";

/// The keyset walk the domain's page is, written by hand as one statement.
fn walk_sql(extra: &str, key: Option<&str>, desc: bool) -> String {
    let (op, dir) = if desc { ("<", "DESC") } else { (">", "ASC") };
    let (cursor, order) = match key {
        Some(k) => (
            format!("AND ({k}, id) {op} ({{key}}, '{{cursor}}')"),
            format!("{k} {dir}, id {dir}"),
        ),
        None => (format!("AND id {op} '{{cursor}}'"), format!("id {dir}")),
    };
    format!(
        "SELECT {COLUMNS} FROM customers WHERE workspace_id = '{{ws}}' AND archived_at IS NULL {extra} {cursor} ORDER BY {order} LIMIT 51"
    )
}

pub(crate) fn cases() -> Vec<Case> {
    let q = |f: fn(&mut CustomerQuery)| {
        let mut q = CustomerQuery::default();
        f(&mut q);
        q
    };
    let year_from = Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).single();
    let year_to = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).single();
    vec![
        Case {
            name: "no filter, newest first",
            query: q(|_| {}),
            floor: |_| walk_sql("", None, true),
        },
        Case {
            name: "search \"mar\" (common)",
            query: q(|q| q.q = Some("mar".into())),
            floor: |_| {
                walk_sql(
                    "AND (lower(email) LIKE '%mar%' OR lower(name) LIKE '%mar%' OR lower(external_id) LIKE '%mar%' OR lower(id) LIKE '%mar%')",
                    None,
                    true,
                )
            },
        },
        Case {
            name: "search \"peeters42\" (rare)",
            query: q(|q| q.q = Some("peeters42".into())),
            floor: |b| match b {
                DatabaseBackend::Postgres => walk_sql(
                    "AND id IN (SELECT id FROM customers WHERE search_text LIKE '%peeters42%' LIMIT 20001)",
                    None,
                    true,
                ),
                _ => walk_sql(
                    "AND rowid IN (SELECT rowid FROM customers_fts WHERE customers_fts MATCH '\"peeters42\"' LIMIT 20001)",
                    None,
                    true,
                ),
            },
        },
        Case {
            name: "search \"qqzx\" (absent)",
            query: q(|q| q.q = Some("qqzx".into())),
            floor: |b| match b {
                DatabaseBackend::Postgres => walk_sql(
                    "AND id IN (SELECT id FROM customers WHERE search_text LIKE '%qqzx%' LIMIT 20001)",
                    None,
                    true,
                ),
                _ => walk_sql(
                    "AND rowid IN (SELECT rowid FROM customers_fts WHERE customers_fts MATCH '\"qqzx\"' LIMIT 20001)",
                    None,
                    true,
                ),
            },
        },
        Case {
            name: "status = active",
            query: q(|q| q.subscription_status = Some(SubscriptionFilter::Active)),
            floor: |_| walk_sql("AND subscription_status = 'active'", None, true),
        },
        Case {
            name: "country DE + created 2025",
            query: CustomerQuery {
                country: Some("DE".into()),
                created_from: year_from,
                created_before: year_to,
                ..Default::default()
            },
            floor: |_| {
                walk_sql(
                    "AND country = 'DE' AND id >= '{from}' AND id < '{to}'",
                    None,
                    true,
                )
            },
        },
        Case {
            name: "sort lifetime value desc",
            query: q(|q| q.sort = CustomerSort::LtvDesc),
            floor: |_| walk_sql("", Some("ltv_amount"), true),
        },
        Case {
            name: "sort last order desc",
            query: q(|q| q.sort = CustomerSort::LastOrderDesc),
            floor: |_| walk_sql("", Some("last_order_key"), true),
        },
        Case {
            name: "sort created asc",
            query: q(|q| q.sort = CustomerSort::CreatedAsc),
            floor: |_| walk_sql("", None, false),
        },
    ]
}

fn id_at(t: Option<DateTime<Utc>>) -> String {
    let ms = t.map_or(0, |t| t.timestamp_millis()).max(0) as u64;
    format!("cus_{}", ulid::Ulid::from_parts(ms, 0))
}

/// One measured page of a case.
pub(crate) struct Measured {
    /// "1" or "1000".
    pub page: &'static str,
    /// The cursor of the page (page 1,000's), `None` on page 1.
    pub cursor: Option<CustomerId>,
    /// Domain p50 and p99 (ms).
    pub domain: (f64, f64),
    /// The same query as one raw statement: p50 and p99 (ms).
    pub floor: (f64, f64),
}

/// Times a case at page 1 and, when the query has that many, page 1,000; with how many pages
/// the query has when it has fewer.
pub(crate) async fn measure(
    svc: &Services,
    caller: &Caller,
    case: &Case,
    runs: usize,
) -> anyhow::Result<(Vec<Measured>, Option<usize>)> {
    let backend = svc.db.get_database_backend();
    let ws = &caller.workspace_id;
    // Page 1,000's cursor: the last row of page 999, reached by paging.
    let mut cursor: Option<CustomerId> = None;
    let mut reached = true;
    let mut pages = 0;
    for _ in 0..999 {
        let page = list_customers(
            svc,
            caller,
            CustomerQuery {
                starting_after: cursor.clone(),
                ..case.query.clone()
            },
        )
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
        pages += 1;
        cursor = page.data.last().map(|c| c.customer.id.clone());
        if !page.has_more {
            reached = false;
            break;
        }
    }
    let mut out = Vec::new();
    for (label, after) in [("1", None), ("1000", cursor.filter(|_| reached))] {
        if label == "1000" && after.is_none() {
            continue;
        }
        let query = CustomerQuery {
            starting_after: after.clone(),
            ..case.query.clone()
        };
        let domain = time(runs, || {
            let query = query.clone();
            async move {
                list_customers(svc, caller, query)
                    .await
                    .map(|_| ())
                    .map_err(|e| anyhow::anyhow!("{e}"))
            }
        })
        .await?;
        let mut sql = (case.floor)(backend)
            .replace("{ws}", ws.as_str())
            .replace("{from}", &id_at(case.query.created_from))
            .replace("{to}", &id_at(case.query.created_before));
        match &after {
            Some(c) if case.query.created_before.is_some() => {
                let to = id_at(case.query.created_before);
                let bound = if c.as_str() < to.as_str() {
                    c.to_string()
                } else {
                    to
                };
                sql = drop_cursor(&sql).replace(&id_at(case.query.created_before), &bound);
            }
            Some(c) => {
                let row = customer::Entity::find_by_id(c.clone())
                    .one(&svc.db)
                    .await?
                    .context("cursor row")?;
                let key = match case.query.sort {
                    CustomerSort::LtvAsc | CustomerSort::LtvDesc => row.ltv_amount,
                    _ => row.last_order_key,
                };
                sql = sql
                    .replace("{cursor}", c.as_str())
                    .replace("{key}", &key.to_string());
            }
            None => {
                // Page 1 has no cursor: drop the keyset condition.
                sql = drop_cursor(&sql);
            }
        }
        let floor = time(runs, || {
            let sql = sql.clone();
            async move {
                svc.db
                    .query_all_raw(Statement::from_string(backend, sql))
                    .await?;
                Ok(())
            }
        })
        .await?;
        out.push(Measured {
            page: label,
            cursor: after,
            domain,
            floor,
        });
    }
    Ok((out, (!reached).then_some(pages)))
}

fn drop_cursor(sql: &str) -> String {
    match (
        sql.find(" AND (ltv_amount, id)")
            .or(sql.find(" AND (last_order_key, id)"))
            .or(sql.find(" AND id < '{cursor}'"))
            .or(sql.find(" AND id > '{cursor}'")),
        sql.find(" ORDER BY"),
    ) {
        (Some(a), Some(b)) => format!("{}{}", &sql[..a], &sql[b..]),
        _ => sql.to_owned(),
    }
}
