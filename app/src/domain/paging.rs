//! Keyset paging, written once: how many rows a page holds ([`Limit`]), reading a cursor, and
//! fetching one row more than the page to know whether more follow.

use std::fmt::Display;
use std::str::FromStr;

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::DomainError;

/// How many rows one page holds: 1 to [`Limit::MAX`], [`Limit::DEFAULT`] unless asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit(u64);

impl Limit {
    /// The most rows a page may hold.
    pub const MAX: u64 = 100;
    /// Rows per page when the caller does not say.
    pub const DEFAULT: u64 = 50;
    /// The largest page: for walks through a whole list (the CSV export).
    pub const LARGEST: Limit = Limit(Self::MAX);

    /// A page of `asked` rows, or [`Limit::DEFAULT`].
    pub fn new(asked: Option<u64>) -> Result<Self, DomainError> {
        let n = asked.unwrap_or(Self::DEFAULT);
        if (1..=Self::MAX).contains(&n) {
            Ok(Self(n))
        } else {
            Err(Self::invalid())
        }
    }

    /// A page size as typed in a query string; blank means the default.
    pub fn parse(text: Option<&str>) -> Result<Self, DomainError> {
        match text.map(str::trim).filter(|t| !t.is_empty()) {
            None => Self::new(None),
            Some(t) => Self::new(Some(t.parse().map_err(|_| Self::invalid())?)),
        }
    }

    fn invalid() -> DomainError {
        DomainError::invalid(
            "limit",
            format!("must be a whole number between 1 and {}", Self::MAX),
        )
    }

    /// The number of rows.
    pub fn get(self) -> u64 {
        self.0
    }
}

/// A cursor or other id typed in a query string, checked against its kind; empty is none.
pub fn cursor<T>(field: &str, text: Option<&str>) -> Result<Option<T>, DomainError>
where
    T: FromStr,
    T::Err: Display,
{
    // Taken as given: a cursor with spaces around it (or only spaces) is no id, and is
    // refused rather than read as "from the start".
    text.filter(|t| !t.is_empty())
        .map(|t| {
            t.parse()
                .map_err(|e: T::Err| DomainError::invalid(field, e.to_string()))
        })
        .transpose()
}

/// An id from a path or a page: a malformed one cannot name anything, so it is not found, like
/// any unknown id.
pub fn id<T: FromStr>(raw: &str, what: &'static str) -> Result<T, DomainError> {
    raw.parse().map_err(|_| DomainError::NotFound { what })
}

/// Fetches `limit` rows plus one: the rows of the page, and whether more follow.
pub(crate) async fn fetch<C, T, F>(limit: Limit, load: F) -> Result<(Vec<T>, bool), DomainError>
where
    F: FnOnce(u64) -> C,
    C: Future<Output = Result<Vec<T>, sea_orm::DbErr>>,
{
    let mut rows = load(limit.get() + 1).await?;
    let more = split(&mut rows, limit);
    Ok((rows, more))
}

/// Cuts rows fetched with one extra to the page; whether the extra was there.
pub(crate) fn split<T>(rows: &mut Vec<T>, limit: Limit) -> bool {
    let more = rows.len() as u64 > limit.get();
    rows.truncate(limit.get() as usize);
    more
}

/// The newest-first page of `select` after the row `after` (ids sort by creation time).
pub(crate) async fn newest_first<E, Col, Conn>(
    conn: &Conn,
    select: sea_orm::Select<E>,
    id: Col,
    after: Option<&str>,
    limit: Limit,
) -> Result<(Vec<E::Model>, bool), DomainError>
where
    E: EntityTrait,
    Col: ColumnTrait,
    Conn: ConnectionTrait,
{
    let select = match after {
        Some(a) => select.filter(id.lt(a)),
        None => select,
    };
    fetch(limit, |n| select.order_by_desc(id).limit(n).all(conn)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_of_spaces_is_refused_not_read_as_the_start() {
        use crate::types::SegmentId;
        assert_eq!(cursor::<SegmentId>("starting_after", None).unwrap(), None);
        assert_eq!(
            cursor::<SegmentId>("starting_after", Some("")).unwrap(),
            None
        );
        for bad in [" ", "  ", "seg_x"] {
            match cursor::<SegmentId>("starting_after", Some(bad)) {
                Err(DomainError::Invalid { field, .. }) => assert_eq!(field, "starting_after"),
                other => panic!("{bad:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn a_limit_is_between_one_and_a_hundred_and_names_its_field() {
        assert_eq!(Limit::parse(None).unwrap().get(), 50);
        assert_eq!(Limit::parse(Some(" ")).unwrap().get(), 50);
        assert_eq!(Limit::parse(Some("100")).unwrap().get(), 100);
        for bad in ["0", "101", "-1", "ten"] {
            match Limit::parse(Some(bad)) {
                Err(DomainError::Invalid { field, .. }) => assert_eq!(field, "limit"),
                other => panic!("{bad}: {other:?}"),
            }
        }
    }

    #[test]
    fn a_page_knows_whether_more_follow() {
        let limit = Limit::new(Some(2)).unwrap();
        let mut rows = vec![1, 2, 3];
        assert!(split(&mut rows, limit));
        assert_eq!(rows, [1, 2]);
        let mut rows = vec![1, 2];
        assert!(!split(&mut rows, limit));
        assert_eq!(rows, [1, 2]);
    }
}
