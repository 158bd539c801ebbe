//! The list's parameters: what a URL asks for, checked and typed into a [`CustomerQuery`].

use chrono::{DateTime, NaiveDate, Utc};

use crate::domain::paging::Limit;
use crate::domain::{DomainError, validate};
use crate::types::customer::{CustomerListParams, CustomerSort, SubscriptionFilter};
use crate::types::{CustomerId, ProductId};

/// The most customers a list names by id.
pub const MOST_IDS: usize = crate::types::customer::MOST_SELECTED_IDS;

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
