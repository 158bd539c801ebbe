//! The customer list: filters, sorts and keyset pages that stay fast at a million customers.
//!
//! Every page is an index walk: `(workspace, sort key, id)` with a row-value keyset, never
//! OFFSET or COUNT. Partial search asks the cheapest question first (see PERF-NOTES.md): a
//! bounded probe of the trigram index (FTS5 on SQLite, pg_trgm on PostgreSQL) says in
//! microseconds whether the term is rare; a rare or absent term is answered by one statement
//! over its few candidates, without walking any sort index. A common term is matched by the
//! database within a bounded walk of the sort index, then from the workspace's trigram
//! candidates; a term too short for trigrams, or too common for the candidate cap, walks the
//! sort index to the end of the page. When nothing matches, "did you mean" looks for the term
//! with a typo or two.

use crate::types::WorkspaceId;
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Func, LikeExpr, SimpleExpr};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseBackend, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Select, Statement,
};

use crate::db::entities::{customer, entitlement, order, payment_detail};
use crate::types::customer::{
    CustomerListItem, CustomerListParams, CustomerSort, SearchMatch, SubscriptionFilter,
};
use crate::types::money::Currency;
use crate::types::subscription::SubscriptionStatus;
use crate::types::{CustomerId, OrderId, Page, ProductId, Scope};

use super::actor::Caller;
use super::paging::{self, Limit};
use super::{DomainError, Services, customers, validate};

/// The most customers a list names by id.
pub const MOST_IDS: usize = crate::types::customer::MOST_SELECTED_IDS;
/// How far a common term's search walks the sort index before asking the trigram index.
const WALK: u64 = 600;
/// Most trigram candidates a search sorts; beyond it the term is common and walking wins.
const CANDIDATES: u64 = 5_000;
/// Most rows the first probe of the trigram index reads: at most this many, the term is rare
/// and one statement over its candidates answers; more, and the walk is cheaper.
const PROBE: u64 = 1_000;

/// Which customers to list, in which order, from where: checked and typed.
#[derive(Debug, Clone, Default)]
pub struct CustomerQuery {
    /// Partial search, or an exact id, order id, licence key or IP address.
    pub q: Option<String>,
    /// Exact email (normalised before matching).
    pub email: Option<String>,
    /// Exact external id.
    pub external_id: Option<String>,
    /// Only these customers (a selection of at most [`MOST_IDS`]).
    pub ids: Option<Vec<CustomerId>>,
    /// Customers with a paid order of this product.
    pub product_id: Option<ProductId>,
    /// Subscription status.
    pub subscription_status: Option<SubscriptionFilter>,
    /// ISO 3166-1 alpha-2.
    pub country: Option<String>,
    /// Created at or after.
    pub created_from: Option<DateTime<Utc>>,
    /// Created before.
    pub created_before: Option<DateTime<Utc>>,
    /// `Some(true)`: archived only; otherwise archived customers are left out.
    pub archived: Option<bool>,
    /// `Some(true)`: only customers an active ban matches; `Some(false)`: only the others.
    pub banned: Option<bool>,
    /// The order.
    pub sort: CustomerSort,
    /// Page size, 1..=100.
    pub limit: Option<u64>,
    /// The page after this customer.
    pub starting_after: Option<CustomerId>,
    /// The page before this customer.
    pub ending_before: Option<CustomerId>,
}

fn day_or_time(field: &str, raw: &str, end_of_day: bool) -> Result<DateTime<Utc>, DomainError> {
    let raw = raw.trim();
    if let Ok(d) = NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
        let d = if end_of_day {
            d.succ_opt().unwrap_or(d)
        } else {
            d
        };
        return Ok(d.and_time(chrono::NaiveTime::MIN).and_utc());
    }
    DateTime::parse_from_rfc3339(raw)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| {
            DomainError::invalid(
                field,
                "must be a day (2026-01-31) or an RFC 3339 time (2026-01-31T12:00:00Z)",
            )
        })
}

impl CustomerQuery {
    /// Checks the list's parameters as they came from a URL, naming the first bad one.
    pub fn parse(p: &CustomerListParams) -> Result<Self, DomainError> {
        fn nonblank(v: &Option<String>) -> Option<&str> {
            v.as_deref().map(str::trim).filter(|v| !v.is_empty())
        }
        let id = |field: &str, v: &Option<String>| {
            nonblank(v)
                .map(|s| {
                    s.parse::<CustomerId>()
                        .map_err(|e| DomainError::invalid(field, e.to_string()))
                })
                .transpose()
        };
        let word = |field: &str, v: &Option<String>| -> Result<Option<String>, DomainError> {
            Ok(nonblank(v).map(str::to_owned)).and_then(|x| {
                if let Some(s) = &x
                    && s.chars().count() > 200
                {
                    return Err(DomainError::invalid(
                        field,
                        "must be at most 200 characters",
                    ));
                }
                Ok(x)
            })
        };
        let q = Self {
            q: word("q", &p.q)?,
            email: word("email", &p.email)?,
            external_id: word("external_id", &p.external_id)?,
            // A malformed id names no customer (as everywhere): it matches nothing.
            ids: nonblank(&p.ids)
                .map(|raw| {
                    let ids: Vec<CustomerId> = raw
                        .split(',')
                        .filter_map(|s| s.trim().parse().ok())
                        .collect();
                    if ids.len() > MOST_IDS {
                        return Err(DomainError::invalid(
                            "ids",
                            format!("names at most {MOST_IDS} customers"),
                        ));
                    }
                    Ok(ids)
                })
                .transpose()?,
            product_id: nonblank(&p.product_id)
                .map(|s| {
                    s.parse::<ProductId>()
                        .map_err(|e| DomainError::invalid("product_id", e.to_string()))
                })
                .transpose()?,
            subscription_status: nonblank(&p.subscription_status)
                .map(|s| {
                    s.parse()
                        .map_err(|m| DomainError::invalid("subscription_status", m))
                })
                .transpose()?,
            country: nonblank(&p.country).map(validate::country).transpose()?,
            created_from: nonblank(&p.created_from)
                .map(|s| day_or_time("created_from", s, false))
                .transpose()?,
            created_before: nonblank(&p.created_to)
                .map(|s| day_or_time("created_to", s, true))
                .transpose()?,
            archived: nonblank(&p.archived)
                .map(|s| match s {
                    "true" => Ok(true),
                    "false" => Ok(false),
                    _ => Err(DomainError::invalid("archived", "must be true or false")),
                })
                .transpose()?,
            banned: nonblank(&p.banned)
                .map(|s| match s {
                    "true" => Ok(true),
                    "false" => Ok(false),
                    _ => Err(DomainError::invalid("banned", "must be true or false")),
                })
                .transpose()?,
            sort: nonblank(&p.sort)
                .map(|s| s.parse().map_err(|m| DomainError::invalid("sort", m)))
                .transpose()?
                .unwrap_or_default(),
            limit: Some(Limit::parse(p.limit.as_deref())?.get()),
            starting_after: id("starting_after", &p.starting_after)?,
            ending_before: id("ending_before", &p.ending_before)?,
        };
        if let (Some(a), Some(b)) = (q.created_from, q.created_before)
            && b <= a
        {
            return Err(DomainError::unprocessable(
                "created_to",
                "must not be before created_from",
            ));
        }
        Ok(q)
    }
}

/// The sort's key column (`None`: the id alone, which is creation order) and direction.
fn key_of(sort: CustomerSort) -> (Option<customer::Column>, bool) {
    match sort {
        CustomerSort::CreatedDesc => (None, true),
        CustomerSort::CreatedAsc => (None, false),
        CustomerSort::LtvDesc => (Some(customer::Column::LtvAmount), true),
        CustomerSort::LtvAsc => (Some(customer::Column::LtvAmount), false),
        CustomerSort::LastOrderDesc => (Some(customer::Column::LastOrderKey), true),
        CustomerSort::LastOrderAsc => (Some(customer::Column::LastOrderKey), false),
    }
}

/// Rows strictly after the cursor customer `at` of `ws` in the walk's order. Sorted by id, the
/// bound itself is folded into the id range by the caller, and this only asks that `at` is a
/// customer of `ws`; sorted by a key, `at`'s key is a subquery evaluated once, so the keyset
/// seek needs no lookup of its own. Either way a cursor from elsewhere matches no row.
fn after_cursor(
    ws: &WorkspaceId,
    key: Option<customer::Column>,
    down: bool,
    at: &CustomerId,
) -> SimpleExpr {
    let of_cursor = |col: SimpleExpr| {
        sea_orm::sea_query::Query::select()
            .expr(col)
            .from(customer::Entity)
            .and_where(Expr::col(customer::Column::WorkspaceId).eq(ws.as_str()))
            .and_where(Expr::col(customer::Column::Id).eq(at.as_str()))
            .to_owned()
    };
    match key {
        None => Expr::exists(of_cursor(Expr::val(1))),
        Some(k) => {
            let v = SimpleExpr::SubQuery(None, Box::new(of_cursor(Expr::col(k)).into()));
            let lhs = Expr::tuple([Expr::col(k), Expr::col(customer::Column::Id)]);
            let rhs = Expr::tuple([v, Expr::val(at.as_str())]);
            if down { lhs.lt(rhs) } else { lhs.gt(rhs) }
        }
    }
}

/// Rows strictly after the one with sort key `v` and id `id` in the walk's order.
fn after_key(key: Option<customer::Column>, down: bool, v: i64, id: &str) -> SimpleExpr {
    let col = Expr::col(customer::Column::Id);
    match key {
        None if down => col.lt(id),
        None => col.gt(id),
        Some(k) => {
            let lhs = Expr::tuple([Expr::col(k), col]);
            let rhs = Expr::tuple([Expr::val(v), Expr::val(id)]);
            if down { lhs.lt(rhs) } else { lhs.gt(rhs) }
        }
    }
}

/// What a search step reads of each row: id, email, name, external id and the sort key.
type Searched = (String, Option<String>, Option<String>, Option<String>, i64);

/// An id's lowest possible value at a time: ids are ULIDs whose time part is creation.
fn id_at(t: DateTime<Utc>) -> String {
    let ms = u64::try_from(t.timestamp_millis()).unwrap_or(0);
    format!("{}{}", CustomerId::PREFIX, ulid::Ulid::from_parts(ms, 0))
}

fn like(pattern: &str, e: SimpleExpr) -> SimpleExpr {
    e.like(LikeExpr::new(pattern).escape('\\'))
}

fn escape_like(s: &str) -> String {
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
struct IdRange {
    from: String,
    to: String,
}

impl IdRange {
    fn of(term: &str) -> Option<Self> {
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

fn partial(term: &str, ids: Option<&IdRange>) -> Condition {
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
async fn exact_ids<C: ConnectionTrait>(
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

/// One row of the customers export: the list's columns, and nothing the export does not show.
#[derive(Debug, Clone, sea_orm::FromQueryResult)]
pub struct ExportRow {
    /// The customer.
    pub id: CustomerId,
    /// Email, normalised.
    pub email: Option<String>,
    /// Name.
    pub name: Option<String>,
    /// The merchant's own id.
    pub external_id: Option<String>,
    /// ISO 3166-1 alpha-2.
    pub country: Option<String>,
    /// Lifetime value in minor units of the workspace's currency.
    pub ltv_amount: i64,
    /// Paid orders.
    pub order_count: i64,
    /// Subscriptions now active.
    pub active_subscriptions: i64,
    /// The latest subscription's status.
    pub subscription_status: Option<SubscriptionStatus>,
    /// When the customer was created.
    pub created_at: DateTime<Utc>,
}

/// Every customer a query matches, in the query's order, as one statement for the caller to
/// stream (`rows.stream(&db)`): the export reads at the database's pace, with no paging and
/// no row in memory but the one being written.
pub struct CustomerExport {
    /// The workspace's currency, that of every lifetime value.
    pub currency: Currency,
    /// The statement.
    pub rows: sea_orm::Selector<sea_orm::SelectModel<ExportRow>>,
}

impl std::fmt::Debug for CustomerExport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CustomerExport")
            .field("currency", &self.currency)
            .finish_non_exhaustive()
    }
}

/// The export of `query` (its own cursors and page size are ignored): the list's filters,
/// search and order.
pub async fn export_customers(
    svc: &Services,
    caller: &Caller,
    query: &CustomerQuery,
) -> Result<CustomerExport, DomainError> {
    caller.require(Scope::CustomersRead)?;
    let (key, down) = key_of(query.sort);
    let rows = ordered(matching(svc, caller, query).await?, key, down)
        .select_only()
        .columns([
            customer::Column::Id,
            customer::Column::Email,
            customer::Column::Name,
            customer::Column::ExternalId,
            customer::Column::Country,
            customer::Column::LtvAmount,
            customer::Column::OrderCount,
            customer::Column::ActiveSubscriptions,
            customer::Column::SubscriptionStatus,
            customer::Column::CreatedAt,
        ])
        .into_model::<ExportRow>();
    let currency = svc.workspace_currency(&caller.workspace_id).await?;
    Ok(CustomerExport { currency, rows })
}

/// A page of the caller's customers.
pub async fn list_customers(
    svc: &Services,
    caller: &Caller,
    query: CustomerQuery,
) -> Result<Page<CustomerListItem>, DomainError> {
    caller.require(Scope::CustomersRead)?;
    let page = Limit::new(query.limit)?;
    let limit = page.get();
    if query.starting_after.is_some() && query.ending_before.is_some() {
        return Err(DomainError::unprocessable(
            "ending_before",
            "cannot be combined with starting_after",
        ));
    }
    let ws = &caller.workspace_id;
    let (key, descending) = key_of(query.sort);
    let backwards = query.ending_before.is_some();
    // Walking backwards is walking the other way, then turning the page around.
    let down = descending != backwards;

    let mut select = filtered(svc, ws, &query);
    // Bounds on the id (creation range, and an id cursor) fold into one lower and one upper
    // bound: given two, a database seeks by one and filters by the other, row by row.
    let mut lower: Option<(String, bool)> = query.created_from.map(|t| (id_at(t), true));
    let mut upper: Option<String> = query.created_before.map(id_at);
    // The cursor is never looked up on its own: its sort key is read by the page's statement
    // (a subquery the database runs once), and a cursor that names no customer of the
    // workspace makes the page empty, which alone pays for a look to say why.
    let cursor = query
        .starting_after
        .as_ref()
        .or(query.ending_before.as_ref());
    if let Some(at) = cursor {
        match key {
            None if down => {
                upper = Some(match upper {
                    Some(u) if u.as_str() < at.as_str() => u,
                    _ => at.to_string(),
                });
            }
            None => {
                lower = Some(match lower {
                    Some((l, inclusive)) if l.as_str() > at.as_str() => (l, inclusive),
                    _ => (at.to_string(), false),
                });
            }
            Some(_) => {}
        }
        select = select.filter(after_cursor(ws, key, down, at));
    }
    if let Some((l, inclusive)) = lower {
        let id = customer::Column::Id;
        select = select.filter(if inclusive { id.gte(l) } else { id.gt(l) });
    }
    if let Some(u) = upper {
        select = select.filter(customer::Column::Id.lt(u));
    }

    let term = query
        .q
        .as_deref()
        .map(|q| q.trim().to_lowercase())
        .filter(|t| !t.is_empty());
    let first_page = query.starting_after.is_none() && query.ending_before.is_none();
    let unsearched = (term.is_some() && first_page).then(|| select.clone());
    let mut rows = match term.as_deref() {
        None | Some("") => {
            ordered(select, key, down)
                .limit(limit + 1)
                .all(&svc.db)
                .await?
        }
        Some(term) => {
            let raw = query.q.as_deref().map(str::trim).unwrap_or_default();
            match exact_ids(&svc.db, ws, raw).await? {
                Some(ids) if !ids.is_empty() => {
                    ordered(select.filter(customer::Column::Id.is_in(ids)), key, down)
                        .limit(limit + 1)
                        .all(&svc.db)
                        .await?
                }
                _ => search(svc, ws, select, key, down, term, limit).await?,
            }
        }
    };
    if rows.is_empty()
        && let Some(at) = cursor
    {
        customers::row(&svc.db, caller, at)
            .await
            .map_err(|e| match e {
                DomainError::NotFound { .. } => DomainError::unprocessable(
                    if backwards {
                        "ending_before"
                    } else {
                        "starting_after"
                    },
                    "no such customer in this workspace",
                ),
                other => other,
            })?;
    }
    let mut found_by = term.is_some().then_some(SearchMatch::Exact);
    // Nothing at all: perhaps a typo. The closest few, never paged, and only when no exact
    // match exists, so a fuzzy row never hides an exact one.
    if let (true, Some(select), Some(term)) = (rows.is_empty(), unsearched, term.as_deref()) {
        rows = did_you_mean(svc, select, key, down, term, limit).await?;
        found_by = Some(SearchMatch::Fuzzy);
    }
    let has_more = paging::split(&mut rows, page);
    if backwards {
        rows.reverse();
    }
    let currency = svc.workspace_currency(ws).await?;
    let data = rows
        .into_iter()
        .map(|r| list_item(r, currency.code, found_by))
        .collect::<Result<_, _>>()?;
    Ok(Page::new(data, has_more))
}

/// `select` in the walk's order: the sort key (if any), then the id.
fn ordered(
    select: Select<customer::Entity>,
    key: Option<customer::Column>,
    down: bool,
) -> Select<customer::Entity> {
    let order = if down {
        sea_orm::Order::Desc
    } else {
        sea_orm::Order::Asc
    };
    let select = match key {
        Some(k) => select.order_by(k, order.clone()),
        None => select,
    };
    select.order_by(customer::Column::Id, order)
}

/// The customers of `ws` that `query`'s filters keep (not its search, creation range, sort or
/// cursors): where the list, a segment's count and a bulk action's snapshot start.
fn filtered(svc: &Services, ws: &WorkspaceId, query: &CustomerQuery) -> Select<customer::Entity> {
    let mut select = customer::Entity::find().filter(customer::Column::WorkspaceId.eq(ws));
    select = if query.archived == Some(true) {
        select.filter(customer::Column::ArchivedAt.is_not_null())
    } else {
        select.filter(customer::Column::ArchivedAt.is_null())
    };
    // The same rule as a checkout's: `banned_until` is the latest expiry of the active bans
    // matching the customer, so an expired ban stops counting without any job.
    match query.banned {
        Some(true) => {
            select = select.filter(customer::Column::BannedUntil.gt(svc.clock.now()));
        }
        Some(false) => {
            select = select.filter(
                Condition::any()
                    .add(customer::Column::BannedUntil.is_null())
                    .add(customer::Column::BannedUntil.lte(svc.clock.now())),
            );
        }
        None => {}
    }
    if let Some(email) = &query.email {
        select = select.filter(customer::Column::Email.eq(email.to_lowercase()));
    }
    if let Some(x) = &query.external_id {
        select = select.filter(customer::Column::ExternalId.eq(x.as_str()));
    }
    if let Some(ids) = &query.ids {
        select = select.filter(customer::Column::Id.is_in(ids.iter().map(CustomerId::as_str)));
    }
    if let Some(c) = &query.country {
        select = select.filter(customer::Column::Country.eq(c.as_str()));
    }
    select = match query.subscription_status {
        Some(SubscriptionFilter::None) => {
            select.filter(customer::Column::SubscriptionStatus.is_null())
        }
        Some(s) => select.filter(customer::Column::SubscriptionStatus.eq(s.as_str())),
        None => select,
    };
    if let Some(p) = &query.product_id {
        select = select.filter(Expr::exists(
            sea_orm::sea_query::Query::select()
                .expr(Expr::val(1))
                .from(order::Entity)
                .and_where(Expr::col((order::Entity, order::Column::WorkspaceId)).eq(ws))
                .and_where(Expr::col((order::Entity, order::Column::ProductId)).eq(p.as_str()))
                .and_where(
                    Expr::col((order::Entity, order::Column::CustomerId))
                        .equals((customer::Entity, customer::Column::Id)),
                )
                .and_where(Expr::col((order::Entity, order::Column::PaidAt)).is_not_null())
                .to_owned(),
        ));
    }
    select
}

/// Every customer `query` matches, search and creation range included (its sort, page size and
/// cursors aside), as one select: what a segment counts and a bulk action snapshots. The same
/// rules as the list's: an exact identifier finds its customer, anything else is partial.
pub(crate) async fn matching(
    svc: &Services,
    caller: &Caller,
    query: &CustomerQuery,
) -> Result<Select<customer::Entity>, DomainError> {
    let ws = &caller.workspace_id;
    let mut select = filtered(svc, ws, query);
    if let Some(t) = query.created_from {
        select = select.filter(customer::Column::Id.gte(id_at(t)));
    }
    if let Some(t) = query.created_before {
        select = select.filter(customer::Column::Id.lt(id_at(t)));
    }
    if let Some(raw) = query.q.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        select = match exact_ids(&svc.db, ws, raw).await? {
            Some(ids) if !ids.is_empty() => select.filter(customer::Column::Id.is_in(ids)),
            _ => {
                let term = raw.to_lowercase();
                select.filter(partial(&term, IdRange::of(&term).as_ref()))
            }
        };
    }
    Ok(select)
}

/// How many customers `query` matches, counting at most `cap + 1` (more than `cap` means
/// "over the cap"): one bounded statement, never a full count of a large workspace.
pub async fn count_customers(
    svc: &Services,
    caller: &Caller,
    query: &CustomerQuery,
    cap: u64,
) -> Result<u64, DomainError> {
    use sea_orm::QueryTrait;
    use sea_orm::sea_query::{Alias, Query};
    caller.require(Scope::CustomersRead)?;
    let ids = matching(svc, caller, query)
        .await?
        .select_only()
        .column(customer::Column::Id)
        .limit(cap + 1)
        .into_query();
    let count = Query::select()
        .expr_as(Expr::cust("COUNT(*)"), Alias::new("n"))
        .from_subquery(ids, Alias::new("matching"))
        .to_owned();
    let n: i64 = svc
        .db
        .query_one(&count)
        .await?
        .map(|row| row.try_get("", "n"))
        .transpose()?
        .unwrap_or(0);
    Ok(u64::try_from(n).unwrap_or(0))
}

/// Customers a rare term may name, from the probe: rows of the trigram index (SQLite's rowids,
/// or PostgreSQL's ids, where the index is on the table) and ids the term is the beginning of.
#[derive(Debug, Default)]
struct Candidates {
    rowids: Vec<i64>,
    ids: Vec<String>,
}

impl Candidates {
    fn is_empty(&self) -> bool {
        self.rowids.is_empty() && self.ids.is_empty()
    }

    fn condition(self) -> Condition {
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
fn fts_phrase(term: &str) -> String {
    format!("\"{}\"", term.replace('"', "\"\""))
}

/// How common is `term`? At most [`PROBE`] rows of the trigram index (and of ids beginning with
/// it) answer: `Some` with the candidates when that was all of them, `None` when there are more
/// (the term is common: walking finds a page sooner). On SQLite the probe reads the index
/// alone, across workspaces (an upper bound, with no row lookups), so an absent term costs one
/// index seek.
async fn probe(
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
    key: Option<customer::Column>,
    down: bool,
    term: &str,
    candidates: Candidates,
    limit: u64,
) -> Result<Vec<customer::Model>, DomainError> {
    if candidates.is_empty() {
        return Ok(Vec::new());
    }
    let ids = IdRange::of(term);
    Ok(ordered(
        select
            .filter(candidates.condition())
            .filter(partial(term, ids.as_ref())),
        key,
        down,
    )
    .limit(limit + 1)
    .all(&svc.db)
    .await?)
}

/// The rows of `page` (ids, in the page's order) that `select` keeps, whole, in that order:
/// read by key, put in order here, as an ORDER BY could tempt the planner into the sort index.
async fn rows_in_order(
    svc: &Services,
    select: Select<customer::Entity>,
    page: Vec<String>,
) -> Result<Vec<customer::Model>, DomainError> {
    let mut full = select
        .filter(customer::Column::Id.is_in(page.iter().map(String::as_str)))
        .all(&svc.db)
        .await?;
    full.sort_unstable_by_key(|r| page.iter().position(|id| id == r.id.as_str()));
    Ok(full)
}

/// `select` reading only what a search matches on, and the sort key.
fn searched(
    select: Select<customer::Entity>,
    key: Option<customer::Column>,
) -> sea_orm::Selector<sea_orm::SelectGetableTuple<Searched>> {
    select
        .select_only()
        .column(customer::Column::Id)
        .column(customer::Column::Email)
        .column(customer::Column::Name)
        .column(customer::Column::ExternalId)
        .column_as(key.map_or_else(|| Expr::val(0i64), Expr::col), "sort_key")
        .into_tuple()
}

/// The rows of one page of a partial search, by the cheapest path for the term. `select` holds
/// the filters and the cursor, not the order.
async fn search(
    svc: &Services,
    ws: &WorkspaceId,
    select: Select<customer::Entity>,
    key: Option<customer::Column>,
    down: bool,
    term: &str,
    limit: u64,
) -> Result<Vec<customer::Model>, DomainError> {
    let id_range = IdRange::of(term);
    let trigrams = term.chars().count() >= 3;
    // 1. Rare or absent: the probe holds every candidate.
    if trigrams && let Some(candidates) = probe(svc, ws, term, id_range.as_ref()).await? {
        return page_of_candidates(svc, select, key, down, term, candidates, limit).await;
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
    let rows = ordered(within.filter(partial(term, id_range.as_ref())), key, down)
        .limit(limit + 1)
        .all(&svc.db)
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
            return Ok(ordered(
                select
                    .filter(customer::Column::Id.is_in(ids))
                    .filter(partial(term, id_range.as_ref())),
                key,
                down,
            )
            .limit(limit + 1)
            .all(&svc.db)
            .await?);
        }
    }
    // 4. A short or very common term: matches are dense, walk to the end of the page.
    Ok(
        ordered(select.filter(partial(term, id_range.as_ref())), key, down)
            .limit(limit + 1)
            .all(&svc.db)
            .await?,
    )
}

/// Shortest term "did you mean" looks for: shorter ones are a typo away from too much.
const FUZZY_SHORTEST: usize = 4;
/// Longest term it looks for.
const FUZZY_LONGEST: usize = 64;
/// Most candidates it reads from the trigram index.
const FUZZY_CANDIDATES: u64 = 2_000;

/// Typos forgiven in a term of `n` characters.
pub fn typos_forgiven(n: usize) -> usize {
    if n >= 8 { 2 } else { 1 }
}

/// Pieces of `term` one of which a customer's text holds whole when it holds the term with a
/// typo: the term with two neighbours swapped or one character left out (typed twice, or an
/// extra key), and its halves (one typo leaves a half whole), or thirds (two typos leave one
/// third whole). Each has at least three characters, for the trigram index.
pub fn typo_pieces(term: &[char]) -> Vec<String> {
    let text = |v: &[char]| v.iter().collect::<String>();
    let mut out = std::collections::BTreeSet::new();
    for i in 0..term.len().saturating_sub(1) {
        if term[i] != term[i + 1] {
            let mut v = term.to_vec();
            v.swap(i, i + 1);
            out.insert(text(&v));
        }
    }
    for i in 0..term.len() {
        let mut v = term.to_vec();
        v.remove(i);
        out.insert(text(&v));
    }
    let n = term.len();
    if n >= 6 {
        out.insert(text(&term[..n / 2]));
        out.insert(text(&term[n / 2..]));
    }
    if n >= 9 {
        out.insert(text(&term[..n / 3]));
        out.insert(text(&term[n / 3..2 * n / 3]));
        out.insert(text(&term[2 * n / 3..]));
    }
    out.into_iter().filter(|p| p.chars().count() >= 3).collect()
}

/// The fewest typos (a character wrong, missing or extra, or two neighbours swapped) between
/// `term` and any stretch of `text`: Sellers' edit distance for searching, with swaps.
fn typos_within(term: &[char], text: &str) -> usize {
    let m = term.len();
    let mut before: Vec<usize> = vec![0; m + 1];
    // Column 0: the term's first i characters against nothing.
    let mut prev: Vec<usize> = (0..=m).collect();
    let mut cur = vec![0; m + 1];
    let mut best = m;
    let mut last: Option<char> = None;
    for c in text.chars().flat_map(char::to_lowercase) {
        // A match may start anywhere: row 0 costs nothing.
        cur[0] = 0;
        for i in 1..=m {
            let mut v = (prev[i - 1] + usize::from(term[i - 1] != c))
                .min(prev[i] + 1)
                .min(cur[i - 1] + 1);
            if i > 1 && term[i - 1] == last.unwrap_or('\0') && term[i - 2] == c {
                v = v.min(before[i - 2] + 1);
            }
            cur[i] = v;
        }
        best = best.min(cur[m]);
        std::mem::swap(&mut before, &mut prev);
        std::mem::swap(&mut prev, &mut cur);
        last = Some(c);
    }
    best
}

/// "Did you mean": the customers `select` keeps whose email, name or external id holds `term`
/// with at most [`typos_forgiven`] typos, closest first, then in the list's order; at most
/// `limit`. Candidates come from the trigram index by [`typo_pieces`], in one statement with
/// the filters; past [`FUZZY_CANDIDATES`] of them (a typo of something very common) the
/// suggestions are the closest among the first candidates the index gives.
async fn did_you_mean(
    svc: &Services,
    select: Select<customer::Entity>,
    key: Option<customer::Column>,
    down: bool,
    term: &str,
    limit: u64,
) -> Result<Vec<customer::Model>, DomainError> {
    let chars: Vec<char> = term.chars().collect();
    if !(FUZZY_SHORTEST..=FUZZY_LONGEST).contains(&chars.len()) {
        return Ok(Vec::new());
    }
    let pieces = typo_pieces(&chars);
    // Candidates hold a piece and pass the filters: one statement, through the trigram index.
    let holds_a_piece = match svc.db.get_database_backend() {
        DatabaseBackend::Postgres => pieces.iter().fold(Condition::any(), |any, p| {
            any.add(like(
                &format!("%{}%", escape_like(p)),
                Expr::col(customer::Column::SearchText),
            ))
        }),
        _ => {
            let phrases = pieces
                .iter()
                .map(|p| fts_phrase(p))
                .collect::<Vec<_>>()
                .join(" OR ");
            Condition::all().add(
                Expr::col((customer::Entity, Alias::new("rowid"))).in_subquery(
                    sea_orm::sea_query::Query::select()
                        .column(Alias::new("rowid"))
                        .from(Alias::new("customers_fts"))
                        .and_where(Expr::cust_with_values("customers_fts MATCH ?", [phrases]))
                        .to_owned(),
                ),
            )
        }
    };
    let forgiven = typos_forgiven(chars.len());
    let rows: Vec<Searched> = searched(
        select.clone().filter(holds_a_piece).limit(FUZZY_CANDIDATES),
        key,
    )
    .all(&svc.db)
    .await?;
    let mut close: Vec<(usize, Searched)> = rows
        .into_iter()
        .filter_map(|r| {
            let typos = [r.1.as_deref(), r.2.as_deref(), r.3.as_deref()]
                .into_iter()
                .flatten()
                .map(|v| typos_within(&chars, v))
                .min()?;
            (typos <= forgiven).then_some((typos, r))
        })
        .collect();
    close.sort_unstable_by(|(ta, a), (tb, b)| {
        let order = (a.4, &a.0).cmp(&(b.4, &b.0));
        ta.cmp(tb).then(if down { order.reverse() } else { order })
    });
    close.truncate(limit as usize);
    if close.is_empty() {
        return Ok(Vec::new());
    }
    rows_in_order(svc, select, close.into_iter().map(|(_, r)| r.0).collect()).await
}

fn list_item(
    row: customer::Model,
    currency: &str,
    found_by: Option<SearchMatch>,
) -> Result<CustomerListItem, DomainError> {
    Ok(CustomerListItem {
        lifetime_value: row.ltv_amount,
        currency: currency.to_owned(),
        order_count: row.order_count,
        last_order_at: row.last_order_at,
        active_subscriptions: row.active_subscriptions,
        subscription_status: row.subscription_status,
        found_by,
        customer: customers::present(row)?,
    })
}
