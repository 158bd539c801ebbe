//! One shape for every list: `{"object":"list","data":[...],"has_more":...}`, paged with
//! `limit` and `starting_after` (the last id of the page before).
//!
//! The lists here belong to one parent (a customer's subscriptions, an order's refunds) and
//! stay small: the domain reads them whole, in their order, and a page is a slice of it.
//! Lists that grow without bound (customers, orders, bans, products, deliveries) page in SQL.

use std::fmt::Display;
use std::str::FromStr;

use app::domain::paging::cursor;
use app::domain::{DomainError, Limit};
use app::types::Page;
use serde::Deserialize;

use super::error::ApiError;

/// `limit` and `starting_after`, as every list takes them; each handler publishes them with
/// the id kind its cursor is.
#[derive(Debug, Default, Deserialize)]
pub struct ListParams {
    /// Page size, 1 to 100 (default 50).
    pub limit: Option<String>,
    /// The last id of the page before: the page after it.
    pub starting_after: Option<String>,
}

/// Rows of the page `params` asks for out of the whole list `rows`, in its order.
pub fn page<Id, T>(
    rows: Vec<T>,
    id_of: impl Fn(&T) -> &Id,
    params: &ListParams,
) -> Result<Page<T>, ApiError>
where
    Id: FromStr + PartialEq,
    Id::Err: Display,
{
    let limit = usize::try_from(Limit::parse(params.limit.as_deref())?.get()).unwrap_or(100);
    let after = cursor::<Id>("starting_after", params.starting_after.as_deref())?;
    let start = match after {
        None => 0,
        Some(after) => rows
            .iter()
            .position(|r| *id_of(r) == after)
            .map(|i| i + 1)
            .ok_or_else(|| DomainError::unprocessable("starting_after", "is not in this list"))?,
    };
    let has_more = rows.len() > start + limit;
    let data = rows.into_iter().skip(start).take(limit).collect();
    Ok(Page::new(data, has_more))
}

#[cfg(test)]
mod tests {
    use app::types::CustomerId;

    use super::*;

    fn ids(n: usize) -> Vec<CustomerId> {
        (0..n)
            .map(|i| {
                format!("cus_01KAKX6D00000000000000000{i:X}")
                    .parse()
                    .unwrap()
            })
            .collect()
    }

    fn params(limit: &str, after: Option<&CustomerId>) -> ListParams {
        ListParams {
            limit: Some(limit.to_owned()),
            starting_after: after.map(ToString::to_string),
        }
    }

    #[test]
    fn pages_walk_the_whole_list_once_in_its_order() {
        let all = ids(5);
        let first = page(all.clone(), |c| c, &params("2", None)).unwrap();
        assert_eq!(first.data, all[..2]);
        assert!(first.has_more);
        let second = page(all.clone(), |c| c, &params("2", first.data.last())).unwrap();
        assert_eq!(second.data, all[2..4]);
        assert!(second.has_more);
        let last = page(all.clone(), |c| c, &params("2", second.data.last())).unwrap();
        assert_eq!(last.data, all[4..]);
        assert!(!last.has_more);
        assert_eq!(last.object, "list");
    }

    #[test]
    fn a_cursor_from_elsewhere_or_a_bad_limit_is_named() {
        let all = ids(3);
        let stranger: CustomerId = "cus_01KAKX6D0000000000000000ZZ".parse().unwrap();
        let e = page(all.clone(), |c| c, &params("2", Some(&stranger))).unwrap_err();
        assert_eq!(e.status(), axum::http::StatusCode::UNPROCESSABLE_ENTITY);
        let e = page(all, |c| c, &params("500", None)).unwrap_err();
        assert_eq!(e.status(), axum::http::StatusCode::BAD_REQUEST);
    }
}
