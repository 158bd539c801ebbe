//! `/dashboard/customers`: the customer list. Search, filters, sort and page all live in the URL
//! query, so reload, back/forward and bookmarks resume exactly; the list is one form that works
//! as a plain GET before the page is interactive.

use std::collections::HashSet;
use std::time::Duration;

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::NavigateOptions;
use leptos_router::hooks::{use_navigate, use_query_map};
use leptos_router::params::ParamsMap;

use crate::components::alert::Alert;
use crate::components::empty_state::EmptyState;
use crate::components::icons::UsersIcon;
use crate::pages::dashboard::layout::Shell;
use crate::pages::dashboard::segments::{BulkActivity, BulkBar, SegmentBar};
use crate::server_fns::dashboard::{list_customers, list_products};
use crate::types::customer::{
    CustomerListItem, CustomerListParams, CustomerSort, SearchMatch, SubscriptionFilter,
};
use crate::types::segment::SegmentFilters;
use crate::types::subscription::SubscriptionStatus;
use crate::types::{Scope, money};

/// How long typing must pause before the search runs.
const DEBOUNCE: Duration = Duration::from_millis(300);

/// The URL's keys for the list's state (short, for readable bookmarks).
const FILTER_KEYS: [&str; 9] = [
    "q", "product", "status", "country", "from", "to", "archived", "banned", "sort",
];

fn params_of(map: &ParamsMap) -> CustomerListParams {
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
fn href(map: &ParamsMap, changes: &[(&str, &str)], cursor: Option<(&'static str, &str)>) -> String {
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
fn export_href(map: &ParamsMap) -> String {
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

fn sort_label(s: CustomerSort) -> &'static str {
    match s {
        CustomerSort::CreatedDesc => "Newest first",
        CustomerSort::CreatedAsc => "Oldest first",
        CustomerSort::LtvDesc => "Lifetime value: high to low",
        CustomerSort::LtvAsc => "Lifetime value: low to high",
        CustomerSort::LastOrderDesc => "Last order: recent first",
        CustomerSort::LastOrderAsc => "Last order: oldest first",
    }
}

fn status_label(s: SubscriptionFilter) -> &'static str {
    match s {
        SubscriptionFilter::Active => "Active",
        SubscriptionFilter::PastDue => "Past due",
        SubscriptionFilter::Canceled => "Canceled",
        SubscriptionFilter::Expired => "Expired",
        SubscriptionFilter::None => "Never subscribed",
    }
}

/// The Customers page.
#[component]
pub fn CustomersPage() -> impl IntoView {
    let query = use_query_map();
    let navigate = use_navigate();
    let page = Resource::new(move || params_of(&query.read()), list_customers);
    let columns = use_columns();
    let products = Resource::new(|| (), |()| list_products());
    let (pending, set_pending) = signal(false);

    // Every control navigates: the URL is the list's only state.
    let go = {
        let navigate = navigate.clone();
        move |changes: &[(&str, &str)], replace: bool| {
            let to = href(&query.read_untracked(), changes, None);
            navigate(
                &to,
                NavigateOptions {
                    replace,
                    scroll: false,
                    ..Default::default()
                },
            );
        }
    };
    let typing = StoredValue::new(None::<TimeoutHandle>);
    let on_search = {
        let go = go.clone();
        move |ev: leptos::ev::Event| {
            let value = event_target_value(&ev);
            if let Some(h) = typing.get_value() {
                h.clear();
            }
            let go = go.clone();
            let handle =
                set_timeout_with_handle(move || go(&[("q", value.as_str())], true), DEBOUNCE).ok();
            typing.set_value(handle);
        }
    };
    let on_select = {
        let go = go.clone();
        move |key: &'static str| {
            let go = go.clone();
            move |ev: leptos::ev::Event| go(&[(key, event_target_value(&ev).as_str())], false)
        }
    };
    let on_archived = {
        let go = go.clone();
        move |ev: leptos::ev::Event| {
            let v = if event_target_checked(&ev) {
                "true"
            } else {
                ""
            };
            go(&[("archived", v)], false);
        }
    };
    let on_submit = {
        let go = go.clone();
        move |ev: leptos::ev::SubmitEvent| {
            // With the page interactive, Enter searches at once; before that the form is a GET.
            ev.prevent_default();
            if let Some(h) = typing.get_value() {
                h.clear();
            }
            let form = event_target::<leptos::web_sys::HtmlFormElement>(&ev);
            let q = form
                .elements()
                .named_item("q")
                .and_then(|e| {
                    use leptos::wasm_bindgen::JsCast;
                    e.dyn_into::<leptos::web_sys::HtmlInputElement>().ok()
                })
                .map(|i| i.value())
                .unwrap_or_default();
            go(&[("q", q.as_str())], false);
        }
    };

    // Segments, selection and bulk actions.
    let filters = Signal::derive(move || SegmentFilters::of_params(&params_of(&query.read())));
    let open_segment = Signal::derive(move || query.read().get("seg"));
    let selected = RwSignal::new(HashSet::<String>::new());
    let all_matching = RwSignal::new(false);
    let started = RwSignal::new(0u32);
    // Other filters, other customers: the selection starts again.
    Effect::new(move |_| {
        filters.track();
        selected.set(HashSet::new());
        all_matching.set(false);
    });
    let shell = use_context::<Shell>();
    let page_selected = Signal::derive(move || {
        page.get().and_then(Result::ok).is_some_and(|p| {
            !p.data.is_empty()
                && selected.with(|s| p.data.iter().all(|c| s.contains(c.customer.id.as_str())))
        })
    });

    // The selection as a CSV download: all matching, or the ticked ones (up to 100).
    let selection_csv = Signal::derive(move || {
        let base = export_href(&query.read());
        if all_matching.get() {
            return Some(base);
        }
        let mut ids: Vec<String> = selected.read().iter().cloned().collect();
        if ids.is_empty() || ids.len() > crate::types::customer::MOST_SELECTED_IDS {
            return None;
        }
        ids.sort();
        let join = if base.contains('?') { '&' } else { '?' };
        Some(format!("{base}{join}ids={}", ids.join(",")))
    });

    let value = move |k: &str| query.read().get(k).unwrap_or_default();
    let filtered = move || {
        FILTER_KEYS
            .iter()
            .filter(|k| **k != "sort")
            .any(|k| query.read().get(k).is_some_and(|v| !v.is_empty()))
    };

    let rows = move || {
        Suspend::new(async move {
            // Awaited here, so the server renders the checkboxes the browser hydrates.
            let selectable = match shell {
                Some(s) => s.allows(Scope::CustomersWrite).await,
                None => false,
            };
            match page.await {
                Err(e) => view! { <Alert large=true>{e.to_string()}</Alert> }
                .into_any(),
                Ok(p) if p.data.is_empty() && !filtered() && query.read().get("after").is_none() => {
                    view! {
                        <EmptyState title="No customers yet" icon=view! { <UsersIcon class="size-6" /> }.into_any()>
                            <p>
                                "A customer appears here with their first purchase, or when your back end creates one through the REST API."
                            </p>
                        </EmptyState>
                    }
                    .into_any()
                }
                Ok(p) if p.data.is_empty() => view! {
                    <EmptyState title="No customers match" icon=view! { <UsersIcon class="size-6" /> }.into_any()>
                        <p>"Nothing matches this search and these filters."</p>
                        <a href="/dashboard/customers" class="mt-3 inline-block font-medium text-indigo-600 hover:text-indigo-500">
                            "Clear search and filters"
                        </a>
                    </EmptyState>
                }
                .into_any(),
                Ok(p) => {
                    let map = query.read_untracked();
                    let came_back = map.get("before").is_some();
                    let came_forward = map.get("after").is_some();
                    let first = p.data.first().map(|c| c.customer.id.to_string());
                    let last = p.data.last().map(|c| c.customer.id.to_string());
                    // Going forward, more rows mean a next page; coming back, there is always one.
                    let next = (p.has_more || came_back)
                        .then(|| last.map(|id| href(&map, &[], Some(("after", &id)))))
                        .flatten();
                    let prev = ((p.has_more && came_back) || came_forward)
                        .then(|| first.map(|id| href(&map, &[], Some(("before", &id)))))
                        .flatten();
                    let first_page = (came_back || came_forward).then(|| href(&map, &[], None));
                    // Nothing matched exactly: these are "did you mean" rows, closest first.
                    let did_you_mean = p
                        .data
                        .first()
                        .is_some_and(|c| c.found_by == Some(SearchMatch::Fuzzy))
                        .then(|| map.get("q").unwrap_or_default());
                    view! {
                        {did_you_mean.map(|q| view! {
                            <p role="status" class="mb-3 rounded-md border border-amber-200 bg-amber-50 px-4 py-2.5 text-sm text-amber-900">
                                "No customer matches “" {q} "”. Did you mean one of these? The closest come first."
                            </p>
                        })}
                        <CustomerTable customers=p.data columns selected selectable />
                        <nav class="mt-4 flex justify-end gap-2" aria-label="Pages">
                            {first_page.map(|h| view! { <PagerLink href=h label="First page" /> })}
                            {prev.map(|h| view! { <PagerLink href=h label="Previous" /> })}
                            {next.map(|h| view! { <PagerLink href=h label="Next" /> })}
                        </nav>
                    }
                    .into_any()
                }
            }
        })
    };

    let input = "block w-full rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm shadow-sm focus:border-indigo-500 focus:outline-none focus:ring-2 focus:ring-indigo-500/30";
    view! {
        <Title text="Customers" />
        <div class="mx-auto max-w-7xl space-y-5">
            <header class="flex flex-wrap items-end justify-between gap-4">
                <div>
                    <h1 class="text-2xl font-semibold tracking-tight">"Customers"</h1>
                    <p class="mt-1 text-sm text-slate-600">
                        "Everyone who pays you: what they bought, their subscriptions and their benefits."
                    </p>
                </div>
                <div class="flex gap-2">
                    <div class="hidden md:block"><ColumnPicker columns /></div>
                    <a
                        href="/dashboard/imports"
                        class="rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm font-medium shadow-sm hover:bg-slate-50"
                    >
                        "Import CSV"
                    </a>
                    <a
                        href=move || export_href(&query.read())
                        download="customers.csv"
                        rel="external"
                        class="rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm font-medium shadow-sm hover:bg-slate-50"
                    >
                        "Export CSV"
                    </a>
                </div>
            </header>
            <crate::pages::dashboard::erasure::ErasureNotice />
            <SegmentBar filters open_segment />
            <BulkActivity started />
            <form
                method="get"
                action="/dashboard/customers"
                role="search"
                class="grid gap-3 rounded-xl border border-slate-200 bg-white p-4 sm:grid-cols-2 lg:grid-cols-6"
                on:submit=on_submit
            >
                <label class="lg:col-span-2">
                    <span class="mb-1 block text-xs font-medium text-slate-600">"Search"</span>
                    <input
                        type="search"
                        name="q"
                        class=input
                        placeholder="Email, name, id, order id, licence key or IP"
                        prop:value=move || value("q")
                        on:input=on_search
                    />
                </label>
                <label>
                    <span class="mb-1 block text-xs font-medium text-slate-600">"Subscription"</span>
                    <select name="status" class=input on:change=on_select("status")>
                        <option value="" selected=move || value("status").is_empty()>"Any status"</option>
                        {SubscriptionFilter::ALL
                            .iter()
                            .map(|s| {
                                let s = *s;
                                view! {
                                    <option value=s.as_str() selected=move || value("status") == s.as_str()>
                                        {status_label(s)}
                                    </option>
                                }
                            })
                            .collect_view()}
                    </select>
                </label>
                <label>
                    <span class="mb-1 block text-xs font-medium text-slate-600">"Product purchased"</span>
                    <select name="product" class=input on:change=on_select("product")>
                        <option value="" selected=move || value("product").is_empty()>"Any product"</option>
                        <Transition fallback=|| ()>
                            {move || Suspend::new(async move {
                                products
                                    .await
                                    .unwrap_or_default()
                                    .into_iter()
                                    .map(|p| {
                                        let id = p.id.to_string();
                                        let selected = id.clone();
                                        view! {
                                            <option value=id selected=move || value("product") == selected>
                                                {p.name}
                                            </option>
                                        }
                                    })
                                    .collect_view()
                            })}
                        </Transition>
                    </select>
                </label>
                <label>
                    <span class="mb-1 block text-xs font-medium text-slate-600">"Country"</span>
                    <input
                        name="country"
                        class=input
                        placeholder="DE"
                        maxlength="2"
                        autocomplete="off"
                        prop:value=move || value("country")
                        on:change=on_select("country")
                    />
                </label>
                <label>
                    <span class="mb-1 block text-xs font-medium text-slate-600">"Banned"</span>
                    <select name="banned" class=input on:change=on_select("banned")>
                        <option value="" selected=move || value("banned").is_empty()>"Banned or not"</option>
                        <option value="true" selected=move || value("banned") == "true">"Banned"</option>
                        <option value="false" selected=move || value("banned") == "false">"Not banned"</option>
                    </select>
                </label>
                <label>
                    <span class="mb-1 block text-xs font-medium text-slate-600">"Sort"</span>
                    <select name="sort" class=input on:change=on_select("sort")>
                        {CustomerSort::ALL
                            .iter()
                            .map(|s| {
                                let s = *s;
                                let current = move || {
                                    value("sort").parse::<CustomerSort>().unwrap_or_default() == s
                                };
                                view! { <option value=s.as_str() selected=current>{sort_label(s)}</option> }
                            })
                            .collect_view()}
                    </select>
                </label>
                <label>
                    <span class="mb-1 block text-xs font-medium text-slate-600">"Created from"</span>
                    <input type="date" name="from" class=input prop:value=move || value("from") on:change=on_select("from") />
                </label>
                <label>
                    <span class="mb-1 block text-xs font-medium text-slate-600">"Created to"</span>
                    <input type="date" name="to" class=input prop:value=move || value("to") on:change=on_select("to") />
                </label>
                <label class="flex items-end gap-2 pb-1.5 text-sm text-slate-700">
                    <input
                        type="checkbox"
                        name="archived"
                        value="true"
                        class="size-4 rounded border-slate-300"
                        prop:checked=move || value("archived") == "true"
                        on:change=on_archived
                    />
                    "Archived only"
                </label>
                <div class="flex items-end gap-3 lg:col-span-3 lg:justify-end">
                    <span class="text-xs text-slate-500" aria-live="polite">
                        {move || pending.get().then_some("Updating…")}
                    </span>
                    <a href="/dashboard/customers" class="text-sm font-medium text-slate-600 hover:text-slate-900">
                        "Clear"
                    </a>
                    <button type="submit" class="rounded-md bg-indigo-600 px-3 py-1.5 text-sm font-semibold text-white shadow-sm hover:bg-indigo-500">
                        "Apply"
                    </button>
                </div>
            </form>
            <BulkBar selected all_matching page_selected filters open_segment started selection_csv />
            <div class=move || if pending.get() { "opacity-60 transition-opacity" } else { "transition-opacity" }>
                <Transition
                    fallback=|| view! { <p class="text-sm text-slate-500">"Loading customers…"</p> }
                    set_pending
                >
                    {rows}
                </Transition>
            </div>
        </div>
    }
}

#[component]
fn PagerLink(href: String, label: &'static str) -> impl IntoView {
    view! {
        <a href=href class="rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm font-medium hover:bg-slate-50">
            {label}
        </a>
    }
}

/// Initials for the avatar: of the name, else of the email, else `?`.
fn initials(c: &CustomerListItem) -> String {
    let c = &c.customer;
    let source = c.name.as_deref().or(c.email.as_deref()).unwrap_or("?");
    source
        .split(|ch: char| ch.is_whitespace() || ch == '.' || ch == '@')
        .filter_map(|w| w.chars().next())
        .take(2)
        .flat_map(char::to_uppercase)
        .collect()
}

fn status_badge(s: Option<SubscriptionStatus>) -> impl IntoView {
    let (label, class) = match s {
        Some(SubscriptionStatus::Active) => (
            "Active",
            "bg-emerald-50 text-emerald-700 ring-emerald-600/20",
        ),
        Some(SubscriptionStatus::PastDue) => {
            ("Past due", "bg-amber-50 text-amber-800 ring-amber-600/20")
        }
        Some(SubscriptionStatus::Canceled) => {
            ("Canceled", "bg-slate-100 text-slate-700 ring-slate-500/20")
        }
        Some(SubscriptionStatus::Expired) => {
            ("Expired", "bg-slate-100 text-slate-600 ring-slate-500/20")
        }
        Some(SubscriptionStatus::Created) => ("Created", "bg-sky-50 text-sky-700 ring-sky-600/20"),
        None => ("—", ""),
    };
    if class.is_empty() {
        return view! { <span class="text-slate-400">"—"</span> }.into_any();
    }
    view! {
        <span class=format!("inline-flex rounded-full px-2 py-0.5 text-xs font-medium ring-1 ring-inset {class}")>
            {label}
        </span>
    }
    .into_any()
}

/// A column of the list a merchant may show or hide; the customer (name and email) always shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Column {
    ExternalId,
    Country,
    LifetimeValue,
    Orders,
    LastOrder,
    Subscription,
    Created,
}

impl Column {
    /// Every optional column, in the list's order.
    const ALL: [Column; 7] = [
        Column::ExternalId,
        Column::Country,
        Column::LifetimeValue,
        Column::Orders,
        Column::LastOrder,
        Column::Subscription,
        Column::Created,
    ];

    fn key(self) -> &'static str {
        match self {
            Column::ExternalId => "external_id",
            Column::Country => "country",
            Column::LifetimeValue => "lifetime_value",
            Column::Orders => "orders",
            Column::LastOrder => "last_order",
            Column::Subscription => "subscription",
            Column::Created => "created",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Column::ExternalId => "External id",
            Column::Country => "Country",
            Column::LifetimeValue => "Lifetime value",
            Column::Orders => "Orders",
            Column::LastOrder => "Last order",
            Column::Subscription => "Subscription",
            Column::Created => "Created",
        }
    }

    /// Shown until the merchant chooses otherwise: all but the external id, which fits 1,280 px.
    fn shown_by_default(self) -> bool {
        self != Column::ExternalId
    }

    fn numeric(self) -> bool {
        matches!(self, Column::LifetimeValue | Column::Orders)
    }
}

/// Where the browser remembers the merchant's choice of columns.
const COLUMNS_KEY: &str = "patron.customer-list.columns";

/// The columns shown: the defaults on the server and at first paint, then the merchant's own
/// choice from this browser's storage once the page is interactive.
fn use_columns() -> RwSignal<Vec<Column>> {
    let columns = RwSignal::new(
        Column::ALL
            .into_iter()
            .filter(|c| c.shown_by_default())
            .collect::<Vec<_>>(),
    );
    Effect::new(move |_| {
        if let Some(saved) = stored_columns() {
            columns.set(
                Column::ALL
                    .into_iter()
                    .filter(|c| saved.split(',').any(|k| k == c.key()))
                    .collect(),
            );
        }
    });
    columns
}

#[cfg(feature = "hydrate")]
fn storage() -> Option<leptos::web_sys::Storage> {
    leptos::web_sys::window()?.local_storage().ok()?
}

#[cfg(feature = "hydrate")]
fn stored_columns() -> Option<String> {
    storage()?.get_item(COLUMNS_KEY).ok()?
}

#[cfg(not(feature = "hydrate"))]
fn stored_columns() -> Option<String> {
    None
}

fn remember_columns(columns: &[Column]) {
    let value = columns
        .iter()
        .map(|c| c.key())
        .collect::<Vec<_>>()
        .join(",");
    #[cfg(feature = "hydrate")]
    if let Some(s) = storage() {
        let _ = s.set_item(COLUMNS_KEY, &value);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (value, COLUMNS_KEY);
}

/// "Columns": a button opening a panel of checkboxes that choose the list's optional columns
/// (rendered only while open, so its labels never stand beside the filters' own).
#[component]
fn ColumnPicker(columns: RwSignal<Vec<Column>>) -> impl IntoView {
    let open = RwSignal::new(false);
    view! {
        <div
            class="relative"
            on:keydown=move |ev: leptos::ev::KeyboardEvent| {
                if ev.key() == "Escape" {
                    open.set(false);
                }
            }
        >
            <button
                type="button"
                class="rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm font-medium shadow-sm hover:bg-slate-50"
                aria-expanded=move || if open.get() { "true" } else { "false" }
                aria-controls="column-picker"
                on:click=move |_| open.update(|o| *o = !*o)
            >
                "Columns"
            </button>
            <Show when=move || open.get()>
                <fieldset
                    id="column-picker"
                    class="absolute right-0 z-20 mt-1 w-52 space-y-1 rounded-lg border border-slate-200 bg-white p-3 shadow-lg"
                >
                    <legend class="sr-only">"Columns to show"</legend>
                    {Column::ALL.into_iter().map(|c| view! {
                        <label class="flex items-center gap-2 text-sm text-slate-700">
                            <input
                                type="checkbox"
                                class="size-4 rounded border-slate-300"
                                prop:checked=move || columns.with(|l| l.contains(&c))
                                on:change=move |ev| {
                                    let on = event_target_checked(&ev);
                                    columns.update(|l| {
                                        l.retain(|x| *x != c);
                                        if on {
                                            l.push(c);
                                            l.sort_by_key(|x| Column::ALL.iter().position(|y| y == x));
                                        }
                                    });
                                    columns.with_untracked(|l| remember_columns(l));
                                }
                            />
                            {c.label()}
                        </label>
                    }).collect_view()}
                </fieldset>
            </Show>
        </div>
    }
}

/// One cell of `column` for `row`.
fn cell_of(column: Column, row: &CustomerListItem) -> AnyView {
    let c = &row.customer;
    let dash = || "—".to_owned();
    match column {
        Column::ExternalId => view! {
            <span class="font-mono text-xs text-slate-600">{c.external_id.clone().unwrap_or_else(dash)}</span>
        }
        .into_any(),
        Column::Country => view! { <span class="text-slate-700">{c.country.clone().unwrap_or_else(dash)}</span> }.into_any(),
        Column::LifetimeValue => view! {
            <span class="whitespace-nowrap tabular-nums">{money::format(row.lifetime_value, &row.currency)}</span>
        }
        .into_any(),
        Column::Orders => view! { <span class="tabular-nums">{row.order_count}</span> }.into_any(),
        Column::LastOrder => view! {
            <span class="whitespace-nowrap text-slate-600">
                {row.last_order_at.map(|t| t.format("%Y-%m-%d").to_string()).unwrap_or_else(dash)}
            </span>
        }
        .into_any(),
        Column::Subscription => status_badge(row.subscription_status).into_any(),
        Column::Created => view! {
            <time class="whitespace-nowrap text-slate-600" datetime=c.created_at.to_rfc3339()>
                {c.created_at.format("%Y-%m-%d").to_string()}
            </time>
        }
        .into_any(),
    }
}

/// The page of customers: a table from a tablet's width up (with the chosen columns), cards on
/// a phone.
#[component]
fn CustomerTable(
    customers: Vec<CustomerListItem>,
    columns: RwSignal<Vec<Column>>,
    /// The ticked rows' customer ids, for a bulk action.
    selected: RwSignal<HashSet<String>>,
    /// Whether rows can be ticked (the viewer may change customers).
    selectable: bool,
) -> impl IntoView {
    let cell = "px-3 py-2.5";
    let page_ids: Vec<String> = customers
        .iter()
        .map(|c| c.customer.id.to_string())
        .collect();
    let page_ids = StoredValue::new(page_ids);
    let whole_page = move || {
        page_ids.with_value(|ids| {
            !ids.is_empty() && selected.with(|s| ids.iter().all(|i| s.contains(i)))
        })
    };
    let rows = StoredValue::new(customers);
    let header = move || {
        columns
            .get()
            .into_iter()
            .map(|c| {
                let class = if c.numeric() {
                    format!("{cell} text-right")
                } else {
                    cell.to_owned()
                };
                view! { <th scope="col" class=class>{c.label()}</th> }
            })
            .collect_view()
    };
    let body = move || {
        rows.with_value(|rows| {
            rows.iter()
                .map(|row| {
                    let initials = initials(row);
                    let c = &row.customer;
                    let link = format!("/dashboard/customers/{}", c.id);
                    let name = c.name.clone().unwrap_or_else(|| c.id.to_string());
                    let navigate = use_navigate();
                    let to = link.clone();
                    let id = c.id.to_string();
                    let ticked = {
                        let id = id.clone();
                        move || selected.with(|s| s.contains(&id))
                    };
                    let tick_label = format!("Select {}", c.email.clone().unwrap_or_else(|| name.clone()));
                    let cells = columns
                        .get()
                        .into_iter()
                        .map(|col| {
                            let class = if col.numeric() {
                                format!("{cell} text-right")
                            } else {
                                cell.to_owned()
                            };
                            view! { <td class=class>{cell_of(col, row)}</td> }
                        })
                        .collect_view();
                    view! {
                        <tr
                            class="cursor-pointer hover:bg-slate-50"
                            data-customer-id=c.id.to_string()
                            on:click=move |_| navigate(&to, NavigateOptions::default())
                        >
                            {selectable.then(|| view! {
                                <td class="w-8 pl-3" on:click=|ev| ev.stop_propagation()>
                                    <input
                                        type="checkbox"
                                        class="size-4 rounded border-slate-300"
                                        aria-label=tick_label.clone()
                                        prop:checked=ticked.clone()
                                        on:change={
                                            let id = id.clone();
                                            move |ev| {
                                                let on = event_target_checked(&ev);
                                                selected.update(|s| {
                                                    if on {
                                                        s.insert(id.clone());
                                                    } else {
                                                        s.remove(&id);
                                                    }
                                                });
                                            }
                                        }
                                    />
                                </td>
                            })}
                            <td class=cell>
                                <div class="flex min-w-0 items-center gap-3">
                                    <span class="grid size-8 shrink-0 place-items-center rounded-full bg-indigo-100 text-xs font-semibold text-indigo-700" aria-hidden="true">
                                        {initials}
                                    </span>
                                    <div class="min-w-0">
                                        <a href=link class="block max-w-[16rem] truncate font-medium text-slate-900 hover:text-indigo-600 focus:outline-none focus-visible:underline">
                                            {name}
                                        </a>
                                        <span class="block max-w-[16rem] truncate text-xs text-slate-500" data-testid="customer-email">
                                            {c.email.clone().unwrap_or_else(|| "—".to_owned())}
                                        </span>
                                    </div>
                                </div>
                            </td>
                            {cells}
                        </tr>
                    }
                })
                .collect_view()
        })
    };
    let cards = rows.with_value(|rows| {
        rows.iter()
            .map(|row| {
                let c = &row.customer;
                let link = format!("/dashboard/customers/{}", c.id);
                let name = c.name.clone().unwrap_or_else(|| c.id.to_string());
                view! {
                    <li data-customer-card=c.id.to_string()>
                        <a href=link class="block px-4 py-3 hover:bg-slate-50">
                            <div class="flex items-center justify-between gap-3">
                                <span class="min-w-0 truncate font-medium text-slate-900">{name}</span>
                                {status_badge(row.subscription_status)}
                            </div>
                            <div class="mt-0.5 flex items-center justify-between gap-3 text-xs text-slate-600">
                                <span class="min-w-0 truncate">{c.email.clone().unwrap_or_else(|| "—".to_owned())}</span>
                                <span class="whitespace-nowrap tabular-nums">
                                    {format!(
                                        "{} · {} order{}",
                                        money::format(row.lifetime_value, &row.currency),
                                        row.order_count,
                                        if row.order_count == 1 { "" } else { "s" },
                                    )}
                                </span>
                            </div>
                        </a>
                    </li>
                }
            })
            .collect_view()
    });
    view! {
        <div class="hidden overflow-x-auto rounded-xl border border-slate-200 bg-white md:block" data-testid="customer-table">
            <table class="w-full divide-y divide-slate-200 text-sm">
                <thead class="bg-slate-50 text-left text-xs font-semibold uppercase tracking-wide text-slate-500">
                    <tr>
                        {selectable.then(|| view! {
                            <th scope="col" class="w-8 pl-3">
                                <input
                                    type="checkbox"
                                    class="size-4 rounded border-slate-300"
                                    aria-label="Select every customer on this page"
                                    prop:checked=whole_page
                                    on:change=move |ev| {
                                        let on = event_target_checked(&ev);
                                        page_ids.with_value(|ids| {
                                            selected.update(|s| {
                                                for id in ids {
                                                    if on {
                                                        s.insert(id.clone());
                                                    } else {
                                                        s.remove(id);
                                                    }
                                                }
                                            })
                                        });
                                    }
                                />
                            </th>
                        })}
                        <th scope="col" class=cell>"Customer"</th>
                        {header}
                    </tr>
                </thead>
                <tbody class="divide-y divide-slate-100">{body}</tbody>
            </table>
        </div>
        <ul class="divide-y divide-slate-100 rounded-xl border border-slate-200 bg-white md:hidden" aria-label="Customers" data-testid="customer-cards">
            {cards}
        </ul>
    }
}
