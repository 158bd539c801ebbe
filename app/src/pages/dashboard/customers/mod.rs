//! `/dashboard/customers`: the customer list. Search, filters, sort and page all live in the URL
//! query, so reload, back/forward and bookmarks resume exactly; the list is one form that works
//! as a plain GET before the page is interactive.

mod columns;
mod count;
mod country;
mod labels;
mod query;
mod table;

use std::collections::HashSet;
use std::time::Duration;

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::NavigateOptions;
use leptos_router::hooks::{use_navigate, use_query_map};

use columns::{ColumnPicker, use_columns};
use count::CountLine;
use country::{COUNTRY_OPTIONS, CountryOptions, NO_SUCH_COUNTRY, chosen, picked, shown};
use labels::{sort_label, status_label};
use query::{export_href, filter_keys, href, params_of};
use table::{CustomerTable, PagerLink};

use crate::components::alert::Alert;
use crate::components::card::CARD;
use crate::components::empty_state::EmptyState;
use crate::components::form::ProductOptions;
use crate::components::icons::UsersIcon;
use crate::pages::dashboard::layout::Shell;
use crate::pages::dashboard::segments::{BulkActivity, BulkBar, SegmentBar};
use crate::server_fns::dashboard::{CustomerCount, count_customers, list_customers, list_products};
use crate::types::customer::{CustomerListParams, CustomerSort, SearchMatch, SubscriptionFilter};
use crate::types::segment::SegmentFilters;
use crate::types::{AppError, Scope};

/// How long typing must pause before the search runs.
const DEBOUNCE: Duration = Duration::from_millis(300);

/// The Customers page.
#[component]
pub fn CustomersPage() -> impl IntoView {
    let query = use_query_map();
    let navigate = use_navigate();
    let page = Resource::new(move || params_of(&query.read()), list_customers);
    // The total is counted apart, in the browser: neither the rows nor the server's first
    // answer wait for it. It follows the filters alone, so turning a page counts nothing anew.
    let counted = Memo::new(move |_| CustomerListParams {
        starting_after: None,
        ending_before: None,
        sort: None,
        ..params_of(&query.read())
    });
    let total = RwSignal::new(None::<Result<CustomerCount, AppError>>);
    // Effects run in the browser only. The latest question wins: an answer to filters that
    // have changed since is dropped.
    let asked = StoredValue::new(0_u64);
    Effect::new(move |_| {
        let params = counted.get();
        total.set(None);
        asked.update_value(|n| *n += 1);
        let this = asked.get_value();
        leptos::task::spawn_local(async move {
            let answer = count_customers(params).await;
            if asked.try_get_value() == Some(this) {
                total.try_set(Some(answer));
            }
        });
    });
    let columns = use_columns();
    let products = Resource::new(|| (), |()| list_products());
    let (pending, set_pending) = signal(false);

    // Every control navigates: the URL is the list's only state.
    let go = {
        let navigate = navigate.clone();
        move |changes: &[(&str, &str)], replace: bool| {
            let (to, unchanged) = {
                let map = query.read_untracked();
                let paged = map.get("after").is_some() || map.get("before").is_some();
                let to = href(&map, changes, None);
                let unchanged = !paged && to == href(&map, &[], None);
                (to, unchanged)
            };
            // A field committed as it stands (a picked country, then the field left) is no
            // new list, and no new entry in the history.
            if unchanged {
                return;
            }
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
    // The country applies once its text is committed (Enter, leaving the field), or at once
    // when a suggestion is picked; a text that names no country is refused in place.
    let country_error = RwSignal::new(false);
    // Another address (Clear, a segment, back): what was refused is no longer in the field.
    Effect::new(move |_| {
        query.track();
        country_error.set(false);
    });
    let on_country = {
        let go = go.clone();
        move |ev: leptos::ev::Event| match chosen(&event_target_value(&ev)) {
            Some(code) => {
                country_error.set(false);
                go(&[("country", code)], false);
            }
            None => country_error.set(true),
        }
    };
    let on_country_input = {
        let go = go.clone();
        move |ev: leptos::ev::Event| {
            country_error.set(false);
            if let Some(code) = picked(&event_target_value(&ev)) {
                go(&[("country", code)], false);
            }
        }
    };
    let on_submit = {
        let go = go.clone();
        move |ev: leptos::ev::SubmitEvent| {
            // With the page interactive, Enter applies the text fields at once; before that
            // the form is a GET.
            ev.prevent_default();
            if let Some(h) = typing.get_value() {
                h.clear();
            }
            let form = event_target::<leptos::web_sys::HtmlFormElement>(&ev);
            let field = |name: &str| {
                form.elements()
                    .named_item(name)
                    .and_then(|e| {
                        use leptos::wasm_bindgen::JsCast;
                        e.dyn_into::<leptos::web_sys::HtmlInputElement>().ok()
                    })
                    .map(|i| i.value())
                    .unwrap_or_default()
            };
            let q = field("q");
            match chosen(&field("country")) {
                Some(code) => {
                    country_error.set(false);
                    go(&[("q", q.as_str()), ("country", code)], false);
                }
                None => {
                    country_error.set(true);
                    go(&[("q", q.as_str())], false);
                }
            }
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
        filter_keys()
            .filter(|k| *k != "sort")
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
                Err(e) => view! { <Alert large=true>{e.sentence()}</Alert> }
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
                    // "Did you mean" rows match nothing: no count of matches for them. Coming
                    // back to where nothing precedes is the list's start again.
                    let at_start = (!came_back && !came_forward) || (came_back && !p.has_more);
                    let whole = !came_back && !came_forward && !p.has_more;
                    let on_page = p.data.len();
                    let count = did_you_mean.is_none().then(|| view! {
                        <div class="mb-2">
                            <CountLine shown=on_page first_page=at_start whole total />
                        </div>
                    });
                    view! {
                        {did_you_mean.map(|q| view! {
                            <p role="status" class="mb-3 rounded-md border border-amber-200 bg-amber-50 px-4 py-2.5 text-sm text-amber-900">
                                "No customer matches “" {q} "”. Did you mean one of these? The closest come first."
                            </p>
                        })}
                        {count}
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
                class=format!("grid gap-3 {CARD} p-4 sm:grid-cols-2 lg:grid-cols-6")
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
                        <ProductOptions products selected=Signal::derive(move || value("product")) />
                    </select>
                </label>
                <div>
                    <label>
                        <span class="mb-1 block text-xs font-medium text-slate-600">"Country"</span>
                        <input
                            name="country"
                            class=input
                            placeholder="Germany or DE"
                            list=COUNTRY_OPTIONS
                            autocomplete="off"
                            aria-invalid=move || country_error.get().then_some("true")
                            aria-describedby=move || country_error.get().then_some("country-error")
                            prop:value=move || shown(&value("country"))
                            on:input=on_country_input
                            on:change=on_country
                        />
                    </label>
                    <CountryOptions />
                    {move || country_error.get().then(|| view! {
                        <p id="country-error" class="mt-1 text-xs text-red-700">{NO_SUCH_COUNTRY}</p>
                    })}
                </div>
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
                <div class="flex items-end gap-3 lg:col-span-2 lg:justify-end">
                    <span class="text-xs text-slate-500" aria-live="polite">
                        {move || pending.get().then_some("Updating…")}
                    </span>
                    <a href="/dashboard/customers" class="text-sm font-medium text-slate-600 hover:text-slate-900">
                        "Clear"
                    </a>
                    // Every field applies by itself; this unseen button only lets Enter send the
                    // form as a GET before the page is interactive (a form of several text
                    // fields sends on Enter only through a submit button).
                    <button type="submit" hidden=true>"Apply"</button>
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
