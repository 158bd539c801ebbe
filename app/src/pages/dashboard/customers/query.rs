//! The list's state in the URL query: its keys, reading it, and links that change it.

use leptos_router::params::ParamsMap;

use crate::types::customer::CustomerListParams;

/// The URL's keys for the list's state (short, for readable bookmarks).
pub(super) const FILTER_KEYS: [&str; 9] = [
    "q", "product", "status", "country", "from", "to", "archived", "banned", "sort",
];

pub(super) fn params_of(map: &ParamsMap) -> CustomerListParams {
    let get = |k: &str| map.get(k).filter(|v| !v.trim().is_empty());
    CustomerListParams {
        q: get("q"),
        product_id: get("product"),
        subscription_status: get("status"),
        country: get("country"),
        created_from: get("from"),
        created_to: get("to"),
        archived: get("archived"),
        banned: get("banned"),
        sort: get("sort"),
        starting_after: get("after"),
        ending_before: get("before"),
        ..Default::default()
    }
}

/// The current filters with `changes` applied, as a link to the list's first page (or to the
/// page after / before a customer, with `cursor`).
pub(super) fn href(
    map: &ParamsMap,
    changes: &[(&str, &str)],
    cursor: Option<(&'static str, &str)>,
) -> String {
    let mut next = ParamsMap::new();
    for key in FILTER_KEYS {
        let value = changes
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| (*v).to_owned())
            .or_else(|| map.get(key));
        if let Some(v) = value.filter(|v| !v.trim().is_empty()) {
            next.insert(key, v);
        }
    }
    if let Some((k, v)) = cursor {
        next.insert(k, v.to_owned());
    }
    format!("/dashboard/customers{}", next.to_query_string())
}

/// The same filters as a CSV download.
pub(super) fn export_href(map: &ParamsMap) -> String {
    let p = params_of(map);
    let mut q = ParamsMap::new();
    for (k, v) in [
        ("q", p.q),
        ("product_id", p.product_id),
        ("subscription_status", p.subscription_status),
        ("country", p.country),
        ("created_from", p.created_from),
        ("created_to", p.created_to),
        ("archived", p.archived),
        ("banned", p.banned),
        ("sort", p.sort),
    ] {
        if let Some(v) = v {
            q.insert(k, v);
        }
    }
    format!("/dashboard/customers/export.csv{}", q.to_query_string())
}
