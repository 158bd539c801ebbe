//! A segment as a link to the customer list: its filters in the list's URL query.

use leptos_router::params::ParamsMap;

use crate::types::segment::{Segment, SegmentFilters};

/// Reads one filter of a segment.
type Filter = fn(&SegmentFilters) -> Option<String>;

/// The URL's keys for a segment's filters, as the list reads them.
const KEYS: [(&str, Filter); 9] = [
    ("q", |f| f.q.clone()),
    ("product", |f| f.product_id.clone()),
    ("status", |f| f.subscription_status.clone()),
    ("country", |f| f.country.clone()),
    ("from", |f| f.created_from.clone()),
    ("to", |f| f.created_to.clone()),
    ("archived", |f| f.archived.map(|b| b.to_string())),
    ("banned", |f| f.banned.map(|b| b.to_string())),
    ("sort", |f| f.sort.clone()),
];

/// The list's URL for a segment: its filters, and its id (`seg`) to mark it open.
pub fn segment_href(s: &Segment) -> String {
    let mut map = ParamsMap::new();
    for (key, get) in KEYS {
        if let Some(v) = get(&s.filters) {
            map.insert(key, v);
        }
    }
    map.insert("seg", s.id.to_string());
    format!("/dashboard/customers{}", map.to_query_string())
}
