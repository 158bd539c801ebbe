//! A page of a cursor-paginated list.

use serde::{Deserialize, Serialize};

/// One page of results, newest first, with whether more follow in the paging direction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Page<T> {
    /// Always `list`.
    pub object: String,
    /// The rows of this page.
    pub data: Vec<T>,
    /// Whether more rows exist beyond this page in the direction paged.
    pub has_more: bool,
}

impl<T> Page<T> {
    /// A page of `data`.
    pub fn new(data: Vec<T>, has_more: bool) -> Self {
        Self {
            object: "list".to_owned(),
            data,
            has_more,
        }
    }
}
