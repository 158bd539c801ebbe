//! A segment as a link to the customer list: its filters in the list's URL query.

use leptos_router::params::ParamsMap;

use crate::types::segment::Segment;

/// The list's URL for a segment: its filters, and its id (`seg`) to mark it open.
pub fn segment_href(s: &Segment) -> String {
    let mut map = ParamsMap::new();
    for (key, v) in s.filters.to_params().filter_pairs(|f| f.url_key) {
        map.insert(key, v.to_owned());
    }
    map.insert("seg", s.id.to_string());
    format!("/dashboard/customers{}", map.to_query_string())
}
