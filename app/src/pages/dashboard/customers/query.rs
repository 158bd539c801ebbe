//! The list's state in the URL query: reading it, and links that change it. The keys are
//! [`LIST_FILTERS`]'s.

use leptos_router::params::ParamsMap;

use super::country::code_of;
use crate::types::customer::{CustomerListParams, LIST_FILTERS, ListFilter};

/// The URL's keys for the list's filters and sort.
pub(super) fn filter_keys() -> impl Iterator<Item = &'static str> {
    LIST_FILTERS.iter().map(|f| f.url_key)
}

pub(super) fn params_of(map: &ParamsMap) -> CustomerListParams {
    let get = |k: &str| map.get(k).filter(|v| !v.trim().is_empty());
    let mut params = CustomerListParams {
        starting_after: get("after"),
        ending_before: get("before"),
        ..Default::default()
    }
    .with_filters(|f| f.url_key, |k| map.get(k));
    // The country field shows "Germany (DE)": a form sent before the page is interactive puts
    // that in the address, which names the code as well as `DE` does.
    if let Some(code) = params.country.as_deref().and_then(code_of) {
        params.country = Some(code.to_owned());
    }
    params
}

/// The current filters with `changes` applied, as a link to the list's first page (or to the
/// page after / before a customer, with `cursor`).
pub(super) fn href(
    map: &ParamsMap,
    changes: &[(&str, &str)],
    cursor: Option<(&'static str, &str)>,
) -> String {
    let mut next = ParamsMap::new();
    for key in filter_keys() {
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

/// The same filters as a CSV download (named as the REST query names them).
pub(super) fn export_href(map: &ParamsMap) -> String {
    let mut q = ParamsMap::new();
    for (k, v) in params_of(map).filter_pairs(|f: &ListFilter| f.query_key) {
        q.insert(k, v.to_owned());
    }
    format!("/dashboard/customers/export.csv{}", q.to_query_string())
}
