//! The search: an exact identifier, or a partial term answered by the cheapest path (the
//! trigram probe, a bounded walk, the workspace's candidates, or a walk to the page's end).

use sea_orm::sea_query::{Alias, Expr, ExprTrait, Func, LikeExpr, SimpleExpr};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseBackend, EntityTrait, QueryFilter,
    QuerySelect, Select, Statement,
};

use crate::db::entities::{customer, entitlement, order, payment_detail};
use crate::domain::paging::Limit;
use crate::domain::{DomainError, Services};
use crate::types::{CustomerId, OrderId, WorkspaceId};

use super::keyset::{Walk, after_key, ordered};

/// How far a common term's search walks the sort index before asking the trigram index.
const WALK: u64 = 600;
/// Most trigram candidates a search sorts; beyond it the term is common and walking wins.
const CANDIDATES: u64 = 5_000;
/// Most rows the first probe of the trigram index reads: at most this many, the term is rare
/// and one statement over its candidates answers; more, and the walk is cheaper.
const PROBE: u64 = 1_000;

pub(super) fn like(pattern: &str, e: SimpleExpr) -> SimpleExpr {
    e.like(LikeExpr::new(pattern).escape('\\'))
}

pub(super) fn escape_like(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// The ids a search term is the beginning of, as the range `[from, to)`: "01j9" and
/// "cus_01j9" both name the ids that start "cus_01J9". An id is random after its first
/// characters, so a partial id is its beginning, found in the primary key (the trigram index
/// leaves ids out). Ids are a fixed prefix then digits and capitals, which order the same in
/// every collation, so the range holds on both engines.
#[derive(Debug, Clone)]
pub(super) struct IdRange {
    from: String,
    to: String,
}

impl IdRange {
    pub(super) fn of(term: &str) -> Option<Self> {
        const DIGITS: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
        let body = term
            .strip_prefix("cus_")
            .unwrap_or(term)
            .to_ascii_uppercase();
        if body.is_empty() || body.len() > 26 || !body.bytes().all(|b| DIGITS.contains(&b)) {
            return None;
        }
        let from = format!("cus_{body}");
        let mut next = body.into_bytes();
        while let Some(last) = next.pop() {
            let i = DIGITS.iter().position(|&d| d == last)?;
            if let Some(&n) = DIGITS.get(i + 1) {
                next.push(n);
                let to = format!("cus_{}", String::from_utf8(next).ok()?);
                return Some(Self { from, to });
            }
        }
        None
    }

    fn condition(&self) -> Condition {
        Condition::all()
            .add(customer::Column::Id.gte(self.from.as_str()))
            .add(customer::Column::Id.lt(self.to.as_str()))
    }
}

pub(super) fn partial(term: &str, ids: Option<&IdRange>) -> Condition {
    let pattern = format!("%{}%", escape_like(term));
    let lower = |c: customer::Column| Func::lower(Expr::col(c)).into();
    let mut any = Condition::any()
        .add(like(&pattern, lower(customer::Column::Email)))
        .add(like(&pattern, lower(customer::Column::Name)))
        .add(like(&pattern, lower(customer::Column::ExternalId)));
    if let Some(r) = ids {
        any = any.add(r.condition());
    }
    any
}

/// The customers an exact identifier names: a customer id, an order id, a licence key or an
/// IP address. `None` when `q` is none of these.
pub(super) async fn exact_ids<C: ConnectionTrait>(
    conn: &C,
    ws: &WorkspaceId,
    q: &str,
) -> Result<Option<Vec<CustomerId>>, DomainError> {
    if let Ok(id) = q.parse::<CustomerId>() {
        return Ok(Some(vec![id]));
    }
    if let Ok(order_id) = q.parse::<OrderId>() {
        let found = order::Entity::find_by_id(order_id)
            .filter(order::Column::WorkspaceId.eq(ws))
            .one(conn)
            .await?;
        return Ok(Some(found.map(|o| o.customer_id).into_iter().collect()));
    }
    if let Ok(ip) = q.parse::<std::net::IpAddr>() {
        let rows = payment_detail::Entity::find()
            .filter(payment_detail::Column::WorkspaceId.eq(ws))
            .filter(
                payment_detail::Column::Kind
                    .eq(crate::types::payment_detail::PaymentDetailKind::Ip),
            )
            .filter(payment_detail::Column::Value.eq(ip.to_string()))
            .limit(Limit::MAX)
            .all(conn)
            .await?;
        return Ok(Some(rows.into_iter().map(|r| r.customer_id).collect()));
    }
    let key_like = q.len() >= 11
        && q.contains('-')
        && q.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    if key_like {
        let found = entitlement::Entity::find()
            .filter(entitlement::Column::WorkspaceId.eq(ws))
            .filter(entitlement::Column::LicenseKey.eq(q.to_ascii_uppercase()))
            .one(conn)
            .await?;
        if let Some(e) = found {
            return Ok(Some(vec![e.customer_id]));
        }
    }
    Ok(None)
}

/// Customers a rare term may name, from the probe: rows of the trigram index (SQLite's rowids,
/// or PostgreSQL's ids, where the index is on the table) and ids the term is the beginning of.
#[derive(Debug, Default)]
pub(super) struct Candidates {
    rowids: Vec<i64>,
    ids: Vec<String>,
}

impl Candidates {
    pub(super) fn is_empty(&self) -> bool {
        self.rowids.is_empty() && self.ids.is_empty()
    }

    pub(super) fn condition(self) -> Condition {
        let mut any = Condition::any();
        if !self.rowids.is_empty() {
            any = any.add(Expr::col((customer::Entity, Alias::new("rowid"))).is_in(self.rowids));
        }
        if !self.ids.is_empty() {
            any = any.add(customer::Column::Id.is_in(self.ids));
        }
        any
    }
}

/// The trigram index's phrase query for `term` on SQLite: the term as one quoted string.
pub(super) fn fts_phrase(term: &str) -> String {
    format!("\"{}\"", term.replace('"', "\"\""))
}

/// How common is `term`? At most [`PROBE`] rows of the trigram index (and of ids beginning with
/// it) answer: `Some` with the candidates when that was all of them, `None` when there are more
/// (the term is common: walking finds a page sooner). On SQLite the probe reads the index
/// alone, across workspaces (an upper bound, with no row lookups), so an absent term costs one
/// index seek.
pub(super) async fn probe(
    svc: &Services,
    ws: &WorkspaceId,
    term: &str,
    ids: Option<&IdRange>,
) -> Result<Option<Candidates>, DomainError> {
    let backend = svc.db.get_database_backend();
    let mut found = Candidates::default();
    match backend {
        DatabaseBackend::Postgres => {
            let sql = format!(
                "SELECT id FROM customers WHERE workspace_id = $1 AND search_text LIKE $2 LIMIT {}",
                PROBE + 1
            );
            let needle = format!("%{}%", escape_like(term));
            found.ids = column_of(svc, backend, sql, [ws.into(), needle.into()], "id").await?;
            if found.ids.len() as u64 > PROBE {
                return Ok(None);
            }
        }
        _ => {
            let sql = format!(
                "SELECT rowid FROM customers_fts WHERE customers_fts MATCH ? LIMIT {}",
                PROBE + 1
            );
            found.rowids = column_of(svc, backend, sql, [fts_phrase(term).into()], "rowid").await?;
            if found.rowids.len() as u64 > PROBE {
                return Ok(None);
            }
        }
    }
    if let Some(r) = ids {
        let by_id: Vec<String> = customer::Entity::find()
            .select_only()
            .column(customer::Column::Id)
            .filter(customer::Column::WorkspaceId.eq(ws))
            .filter(r.condition())
            .limit(PROBE + 1)
            .into_tuple()
            .all(&svc.db)
            .await?;
        if by_id.len() as u64 > PROBE {
            return Ok(None);
        }
        found.ids.extend(by_id);
    }
    Ok(Some(found))
}

/// One column of a raw statement's rows.
async fn column_of<T: sea_orm::TryGetable, const N: usize>(
    svc: &Services,
    backend: DatabaseBackend,
    sql: String,
    values: [sea_orm::Value; N],
    column: &str,
) -> Result<Vec<T>, DomainError> {
    Ok(svc
        .db
        .query_all_raw(Statement::from_sql_and_values(backend, sql, values))
        .await?
        .into_iter()
        .map(|r| r.try_get::<T>("", column))
        .collect::<Result<_, _>>()?)
}

/// A page from a rare term's candidates: one statement matching and sorting just those rows
/// (the planner reads them by key, as their few hundred at most beat any index walk).
async fn page_of_candidates(
    svc: &Services,
    select: Select<customer::Entity>,
    walk: Walk,
    term: &str,
    candidates: Candidates,
) -> Result<Vec<customer::Model>, DomainError> {
    if candidates.is_empty() {
        return Ok(Vec::new());
    }
    let ids = IdRange::of(term);
    let select = select
        .filter(candidates.condition())
        .filter(partial(term, ids.as_ref()));
    walk.rows(&svc.db, select).await
}

/// The rows of one page of a partial search, by the cheapest path for the term. `select` holds
/// the filters and the cursor, not the order.
pub(super) async fn search(
    svc: &Services,
    ws: &WorkspaceId,
    select: Select<customer::Entity>,
    walk: Walk,
    term: &str,
) -> Result<Vec<customer::Model>, DomainError> {
    let Walk { key, down, limit } = walk;
    let id_range = IdRange::of(term);
    let trigrams = term.chars().count() >= 3;
    // 1. Rare or absent: the probe holds every candidate.
    if trigrams && let Some(candidates) = probe(svc, ws, term, id_range.as_ref()).await? {
        return page_of_candidates(svc, select, walk, term, candidates).await;
    }
    // 2. Common: matches are dense near the start. Find where a walk of WALK rows ends (ids and
    //    keys only), then let the database match within that bound: one statement at the
    //    floor's speed, no rows brought out to be matched.
    let bound: Option<(String, i64)> = ordered(select.clone(), key, down)
        .select_only()
        .column(customer::Column::Id)
        .column_as(key.map_or_else(|| Expr::val(0i64), Expr::col), "sort_key")
        .offset(WALK - 1)
        .limit(1)
        .into_tuple()
        .one(&svc.db)
        .await?;
    let within = match &bound {
        Some((id, v)) => select.clone().filter(after_key(key, down, *v, id).not()),
        None => select.clone(),
    };
    let rows = walk
        .rows(&svc.db, within.filter(partial(term, id_range.as_ref())))
        .await?;
    // A full page, or the walk saw every row there is.
    if rows.len() as u64 > limit || bound.is_none() {
        return Ok(rows);
    }
    // 3. Common elsewhere, or past the start: the workspace's candidates, if few, are sorted.
    if trigrams {
        let backend = svc.db.get_database_backend();
        let (sql, needle) = match backend {
            DatabaseBackend::Postgres => (
                format!(
                    "SELECT id FROM customers WHERE workspace_id = $1 AND search_text LIKE $2 LIMIT {}",
                    CANDIDATES + 1
                ),
                format!("%{}%", escape_like(term)),
            ),
            _ => (
                format!(
                    "SELECT c.id FROM customers_fts f JOIN customers c ON c.rowid = f.rowid \
                     WHERE c.workspace_id = ? AND customers_fts MATCH ? LIMIT {}",
                    CANDIDATES + 1
                ),
                fts_phrase(term),
            ),
        };
        let mut ids: Vec<String> =
            column_of(svc, backend, sql, [ws.into(), needle.into()], "id").await?;
        if let Some(r) = &id_range {
            let by_id: Vec<String> = customer::Entity::find()
                .select_only()
                .column(customer::Column::Id)
                .filter(customer::Column::WorkspaceId.eq(ws))
                .filter(r.condition())
                .limit(CANDIDATES + 1)
                .into_tuple()
                .all(&svc.db)
                .await?;
            ids.extend(by_id);
        }
        if ids.len() as u64 <= CANDIDATES {
            if ids.is_empty() {
                return Ok(Vec::new());
            }
            let select = select
                .filter(customer::Column::Id.is_in(ids))
                .filter(partial(term, id_range.as_ref()));
            return walk.rows(&svc.db, select).await;
        }
    }
    // 4. A short or very common term: matches are dense, walk to the end of the page.
    walk.rows(&svc.db, select.filter(partial(term, id_range.as_ref())))
        .await
}
