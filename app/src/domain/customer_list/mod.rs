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
//!
//! `params` checks what a URL asks for; `filters` and `keyset` make the select and its walk;
//! `search` answers a term, `fuzzy` suggests when nothing matches; `export` streams the rows;
//! `count` says how many match, up to a cap.

mod count;
mod export;
mod filters;
mod fuzzy;
mod keyset;
mod params;
mod search;

pub use count::count_customers;
pub use export::{CustomerExport, ExportRow, export_customers};
pub use fuzzy::{typo_pieces, typos_forgiven};
pub use params::{CustomerQuery, MOST_IDS};

use crate::types::money::CurrencyCode;
use filters::filtered;
use fuzzy::did_you_mean;
use keyset::{Walk, after_cursor, id_at, key_of};
use search::{IdRange, exact_ids, partial, search};

use sea_orm::{ColumnTrait, QueryFilter, Select};

use crate::db::entities::customer;
use crate::types::customer::{CustomerListItem, SearchMatch};
use crate::types::{Page, Scope};

use super::actor::Caller;
use super::paging::{self, Limit};
use super::{DomainError, Services, customers};

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
    let walk = Walk { key, down, limit };

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
        None | Some("") => walk.rows(&svc.db, select).await?,
        Some(term) => {
            let raw = query.q.as_deref().map(str::trim).unwrap_or_default();
            match exact_ids(&svc.db, ws, raw).await? {
                Some(ids) if !ids.is_empty() => {
                    walk.rows(&svc.db, select.filter(customer::Column::Id.is_in(ids)))
                        .await?
                }
                _ => search(svc, ws, select, walk, term).await?,
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
        rows = did_you_mean(svc, select, walk, term).await?;
        found_by = Some(SearchMatch::Fuzzy);
    }
    let has_more = paging::split(&mut rows, page);
    if backwards {
        rows.reverse();
    }
    let currency = svc.workspace_currency(ws).await?;
    let data = rows
        .into_iter()
        .map(|r| list_item(r, currency, found_by))
        .collect::<Result<_, _>>()?;
    Ok(Page::new(data, has_more))
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
    let mut select = created_within(filtered(svc, ws, query), query);
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

/// `select` within `query`'s creation range: ids are ULIDs whose time part is creation.
fn created_within(
    mut select: Select<customer::Entity>,
    query: &CustomerQuery,
) -> Select<customer::Entity> {
    if let Some(t) = query.created_from {
        select = select.filter(customer::Column::Id.gte(id_at(t)));
    }
    if let Some(t) = query.created_before {
        select = select.filter(customer::Column::Id.lt(id_at(t)));
    }
    select
}

fn list_item(
    row: customer::Model,
    currency: CurrencyCode,
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
