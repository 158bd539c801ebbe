//! How many customers a query matches, counted only up to a cap: a count never reads more than
//! the cap's rows, however large the workspace.

use sea_orm::sea_query::{Alias, Expr, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, QueryFilter, QuerySelect, QueryTrait, Select};

use crate::db::entities::customer;
use crate::domain::actor::Caller;
use crate::domain::{DomainError, Services};
use crate::types::Scope;

use super::filters::filtered;
use super::search::{IdRange, exact_ids, partial, probe};
use super::{CustomerQuery, created_within};

/// How many customers `query` matches (its search, filters and creation range; not its sort,
/// page size or cursors), counting at most `cap + 1`: more than `cap` means "over the cap".
/// One statement that reads at most `cap + 1` rows; a search term the trigram index holds few
/// of is counted from those few rows, as the list finds them, never by reading the workspace.
/// "Did you mean" rows are not matches: a term that matches nothing counts 0.
pub async fn count_customers(
    svc: &Services,
    caller: &Caller,
    query: &CustomerQuery,
    cap: u64,
) -> Result<u64, DomainError> {
    caller.require(Scope::CustomersRead)?;
    let Some(select) = counted(svc, caller, query).await? else {
        return Ok(0);
    };
    let ids = select
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

/// The customers `query` matches, as `matching` has them, and narrowed to the trigram index's
/// candidates when its probe finds the term rare; `None` when the probe finds none at all.
async fn counted(
    svc: &Services,
    caller: &Caller,
    query: &CustomerQuery,
) -> Result<Option<Select<customer::Entity>>, DomainError> {
    let ws = &caller.workspace_id;
    let select = created_within(filtered(svc, ws, query), query);
    let Some(raw) = query.q.as_deref().map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(Some(select));
    };
    if let Some(ids) = exact_ids(&svc.db, ws, raw).await?
        && !ids.is_empty()
    {
        return Ok(Some(select.filter(customer::Column::Id.is_in(ids))));
    }
    let term = raw.to_lowercase();
    let id_range = IdRange::of(&term);
    let select = select.filter(partial(&term, id_range.as_ref()));
    // Too short for trigrams: the partial match alone, within the cap.
    if term.chars().count() < 3 {
        return Ok(Some(select));
    }
    Ok(match probe(svc, ws, &term, id_range.as_ref()).await? {
        Some(candidates) if candidates.is_empty() => None,
        Some(candidates) => Some(select.filter(candidates.condition())),
        // Common: more candidates than the probe reads (on SQLite, in any workspace). Where
        // matches are dense the cap comes soon; at worst this reads the filtered rows once.
        None => Some(select),
    })
}
