//! The customer list's segments (saved filters, with live counts) and bulk actions (a change
//! over the selected customers, or all those matching, run as a job whose progress survives a
//! reload).

use std::collections::HashSet;
use std::time::Duration;

use leptos::prelude::*;
use leptos_router::NavigateOptions;
use leptos_router::hooks::use_navigate;
use leptos_router::params::ParamsMap;

use crate::components::dialog::{
    BTN, BTN_LINK, BTN_PRIMARY, Confirm, FormDialog, INPUT, LABEL, StatusBadge, Submission,
};
use crate::pages::dashboard::layout::Shell;
use crate::server_fns::dashboard::list_products;
use crate::server_fns::segments::{
    CancelBulkAction, DeleteSegment, SaveSegment, StartBulkAction, bulk_action_report,
    count_matching, load_segments, preview_bulk_action, recent_bulk_actions,
};
use crate::types::segment::{
    BulkAction, BulkActionCreate, BulkActionKind, BulkActionStatus, Segment, SegmentCreate,
    SegmentFilters,
};
use crate::types::{CustomerId, Scope};

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

/// A segment's count as shown: exact, or "100,000+" past the cap.
fn count_text(s: &Segment) -> String {
    match s.customer_count {
        None => "…".into(),
        Some(n) if s.count_capped => format!("{}+", thousands(n)),
        Some(n) => thousands(n),
    }
}

/// `12,345`: a count as people read it.
fn thousands(n: i64) -> String {
    let digits = n.abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

/// The segment bar above the list: every segment with its count, the open one marked, and
/// "Save as segment" for the filters now applied.
#[component]
pub fn SegmentBar(
    /// The filters now applied.
    #[prop(into)]
    filters: Signal<SegmentFilters>,
    /// The open segment's id, if the URL names one.
    #[prop(into)]
    open_segment: Signal<Option<String>>,
) -> impl IntoView {
    let shell = use_context::<Shell>();
    let may_edit = move || async move {
        match shell {
            Some(s) => s.allows(Scope::CustomersWrite).await,
            None => false,
        }
    };
    let version = RwSignal::new(0u32);
    let segments = Resource::new(move || version.get(), |_| load_segments());
    let saving = RwSignal::new(false);
    let name = RwSignal::new(String::new());
    let navigate = use_navigate();
    let save = Submission::<SaveSegment>::new(move |s: &Segment| {
        saving.set(false);
        version.update(|v| *v += 1);
        navigate(&segment_href(s), NavigateOptions::default());
    });
    let on_save = Callback::new(move |()| {
        save.submit(SaveSegment {
            input: SegmentCreate {
                name: name.get_untracked(),
                filters: filters.get_untracked(),
            },
        });
    });
    let deleting = RwSignal::new(None::<Segment>);
    let confirm_open = RwSignal::new(false);
    let delete = Submission::<DeleteSegment>::new(move |_| {
        confirm_open.set(false);
        version.update(|v| *v += 1);
    });
    let list = move || {
        Suspend::new(async move {
            let can_edit = may_edit().await;
            let items = segments.await.unwrap_or_default();
            items
                .into_iter()
                .map(|s| {
                    let id = s.id.to_string();
                    let current = {
                        let id = id.clone();
                        move || open_segment.get().as_deref() == Some(id.as_str())
                    };
                    let count = count_text(&s);
                    let label = s.name.clone();
                    let doomed = s.clone();
                    view! {
                        <li class="flex items-center" data-segment-id=id>
                            <a
                                href=segment_href(&s)
                                aria-current=move || current().then_some("page")
                                class="flex items-center gap-2 rounded-l-md border border-slate-300 bg-white px-2.5 py-1 text-sm font-medium text-slate-700 hover:bg-slate-50 aria-[current=page]:border-indigo-600 aria-[current=page]:bg-indigo-50 aria-[current=page]:text-indigo-800"
                            >
                                <span data-testid="segment-name">{label.clone()}</span>
                                <span class="rounded-full bg-slate-100 px-1.5 text-xs tabular-nums text-slate-700" data-testid="segment-count">
                                    {count}
                                </span>
                            </a>
                            {can_edit.then(|| {
                                view! {
                                <button
                                    type="button"
                                    class="rounded-r-md border border-l-0 border-slate-300 bg-white px-1.5 py-1 text-sm text-slate-500 hover:bg-red-50 hover:text-red-700"
                                    aria-label=format!("Delete segment {label}")
                                    on:click=move |_| {
                                        delete.reset();
                                        deleting.set(Some(doomed.clone()));
                                        confirm_open.set(true);
                                    }
                                >
                                    "×"
                                </button>
                                }
                            })}
                        </li>
                    }
                })
                .collect_view()
        })
    };
    view! {
        <nav aria-label="Segments" class="flex flex-wrap items-center gap-2">
            <span class="text-xs font-semibold uppercase tracking-wide text-slate-500">"Segments"</span>
            <ul class="flex flex-wrap items-center gap-2">
                <li>
                    <a
                        href="/dashboard/customers"
                        class="block rounded-md border border-slate-300 bg-white px-2.5 py-1 text-sm font-medium text-slate-700 hover:bg-slate-50"
                    >
                        "All customers"
                    </a>
                </li>
                <Transition fallback=|| view! { <li class="text-xs text-slate-500">"Counting…"</li> }>{list}</Transition>
            </ul>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    may_edit().await.then(|| view! {
                        <button
                            type="button"
                            class=BTN_LINK
                            on:click=move |_| {
                                save.reset();
                                name.set(String::new());
                                saving.set(true);
                            }
                        >
                            "Save as segment"
                        </button>
                    })
                })}
            </Transition>
        </nav>
        <FormDialog
            open=saving
            title="Save as segment".to_owned()
            on_submit=on_save
            busy=save.busy()
            error=save.error()
            submit_label="Save segment"
            busy_label="Saving…"
        >
            <p class="text-sm text-slate-600">
                "The search, filters and sort now applied, under a name your whole team sees."
            </p>
            <div>
                <label for="segment-name" class=LABEL>"Name"</label>
                <input
                    id="segment-name"
                    class=INPUT
                    maxlength="80"
                    required
                    prop:value=move || name.get()
                    on:input=move |ev| name.set(event_target_value(&ev))
                />
            </div>
        </FormDialog>
        <Confirm
            open=confirm_open
            title=Signal::derive(move || {
                deleting.get().map(|s| format!("Delete segment {}?", s.name)).unwrap_or_default()
            })
            message="The segment goes for your whole team; its customers are not changed.".to_owned()
            confirm_label="Delete segment".to_owned()
            busy=delete.busy()
            error=delete.error()
            on_confirm=Callback::new(move |()| {
                if let Some(s) = deleting.get_untracked() {
                    delete.submit(DeleteSegment { id: s.id.to_string() });
                }
            })
        />
    }
}

/// Which customers a bulk action is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    /// These, ticked on the page.
    Ids(Vec<CustomerId>),
    /// All those the open segment holds.
    Segment(String),
    /// All those the filters match.
    Filters(SegmentFilters),
}

/// The bar above the rows while some are selected: how many, "select all matching", and
/// Bulk action.
#[component]
pub fn BulkBar(
    /// The ticked customers.
    selected: RwSignal<HashSet<String>>,
    /// Everything matching is selected, not just the ticked rows.
    all_matching: RwSignal<bool>,
    /// Whether every row of the page is ticked: then all matching can be chosen instead.
    page_selected: Signal<bool>,
    /// The filters now applied.
    #[prop(into)]
    filters: Signal<SegmentFilters>,
    /// The open segment's id.
    #[prop(into)]
    open_segment: Signal<Option<String>>,
    /// Tells the activity panel an action started.
    started: RwSignal<u32>,
    /// The selection as a CSV download (none past 100 ticked customers).
    selection_csv: Signal<Option<String>>,
) -> impl IntoView {
    let matching = Resource::new(
        move || (all_matching.get() || !selected.read().is_empty()).then(|| filters.get()),
        |f| async move {
            match f {
                Some(f) => count_matching(f).await.map(Some),
                None => Ok(None),
            }
        },
    );
    let dialog = RwSignal::new(false);
    let selection = Signal::derive(move || {
        if all_matching.get() {
            match open_segment.get() {
                Some(id) => Selection::Segment(id),
                None => Selection::Filters(filters.get()),
            }
        } else {
            let mut ids: Vec<CustomerId> = selected
                .read()
                .iter()
                .filter_map(|s| s.parse().ok())
                .collect();
            ids.sort();
            Selection::Ids(ids)
        }
    });
    let count_words = move || {
        let n = matching
            .get()
            .and_then(Result::ok)
            .flatten()
            .map(thousands)
            .unwrap_or_else(|| "…".into());
        if all_matching.get() {
            format!("All {n} matching customers are selected.")
        } else {
            let k = selected.read().len();
            format!("{k} selected.")
        }
    };
    view! {
        <Show when=move || all_matching.get() || !selected.read().is_empty()>
            <div
                class="flex flex-wrap items-center gap-3 rounded-xl border border-indigo-200 bg-indigo-50 px-4 py-2 text-sm text-indigo-900"
                role="region"
                aria-label="Selection"
                data-testid="bulk-bar"
            >
                <span data-testid="selection-count">{count_words}</span>
                <Show when=move || !all_matching.get() && page_selected.get()>
                    <button type="button" class=BTN_LINK on:click=move |_| all_matching.set(true)>
                        {move || {
                            let n = matching
                                .get()
                                .and_then(Result::ok)
                                .flatten()
                                .map(thousands)
                                .unwrap_or_else(|| "…".into());
                            format!("Select all {n} matching")
                        }}
                    </button>
                </Show>
                <button
                    type="button"
                    class=BTN_LINK
                    on:click=move |_| {
                        all_matching.set(false);
                        selected.set(HashSet::new());
                    }
                >
                    "Clear selection"
                </button>
                {move || selection_csv.get().map(|href| view! {
                    <a href=href download="customers.csv" rel="external" class=format!("{BTN} ml-auto")>
                        "Export CSV"
                    </a>
                })}
                <button type="button" class=BTN_PRIMARY on:click=move |_| dialog.set(true)>
                    "Bulk action…"
                </button>
            </div>
        </Show>
        <BulkDialog open=dialog selection started />
    }
}

/// Chooses the change, previews how many customers it touches, and starts it.
#[component]
fn BulkDialog(
    open: RwSignal<bool>,
    selection: Signal<Selection>,
    started: RwSignal<u32>,
) -> impl IntoView {
    let kind = RwSignal::new(BulkActionKind::GrantProduct);
    let key = RwSignal::new(String::new());
    let value = RwSignal::new(String::new());
    let product = RwSignal::new(String::new());
    let expires = RwSignal::new(String::new());
    let products = Resource::new(|| (), |()| list_products());
    // The request, as the fields now say; `Err` names what is missing.
    let request = Signal::derive(move || -> Result<BulkActionCreate, String> {
        let kind = kind.get();
        let mut input = BulkActionCreate {
            action: kind,
            customer_ids: None,
            segment_id: None,
            filters: None,
            metadata_key: None,
            metadata_value: None,
            product_id: None,
            expires_at: None,
        };
        match selection.get() {
            Selection::Ids(ids) => input.customer_ids = Some(ids),
            Selection::Segment(id) => {
                input.segment_id = Some(
                    id.parse()
                        .map_err(|_| "The segment is not valid.".to_owned())?,
                )
            }
            Selection::Filters(f) => input.filters = Some(f),
        }
        match kind {
            BulkActionKind::SetMetadata | BulkActionKind::RemoveMetadata => {
                let k = key.get().trim().to_owned();
                if k.is_empty() {
                    return Err("Key: enter the metadata key.".into());
                }
                input.metadata_key = Some(k);
                if kind == BulkActionKind::SetMetadata {
                    input.metadata_value = Some(value.get());
                }
            }
            BulkActionKind::GrantProduct => {
                let p = product.get();
                if p.is_empty() {
                    return Err("Product: choose the product to grant.".into());
                }
                input.product_id = Some(p.parse().map_err(|_| "Product: not valid.".to_owned())?);
                let day = expires.get();
                if !day.is_empty() {
                    let at = chrono::NaiveDate::parse_from_str(&day, "%Y-%m-%d")
                        .map_err(|_| "Expires: enter a day.".to_owned())?
                        .and_hms_opt(23, 59, 59)
                        .map(|t| t.and_utc());
                    input.expires_at = at;
                }
            }
            BulkActionKind::Archive => {}
        }
        Ok(input)
    });
    let preview = Resource::new(
        move || open.get().then(|| request.get()),
        |r| async move {
            match r {
                Some(Ok(input)) => Some(preview_bulk_action(input).await),
                _ => None,
            }
        },
    );
    let start = Submission::<StartBulkAction>::new(move |_| {
        open.set(false);
        started.update(|n| *n += 1);
    });
    let on_submit = Callback::new(move |()| match request.get_untracked() {
        Ok(input) => start.submit(StartBulkAction { input }),
        Err(why) => start.refuse(why),
    });
    let option = move |k: BulkActionKind, label: &'static str| {
        view! { <option value=k.as_str() selected=move || kind.get() == k>{label}</option> }
    };
    view! {
        <FormDialog
            open
            title="Bulk action".to_owned()
            on_submit
            busy=start.busy()
            error=start.error()
            submit_label="Start"
            busy_label="Starting…"
        >
            <div>
                <label for="bulk-kind" class=LABEL>"Action"</label>
                <select
                    id="bulk-kind"
                    class=INPUT
                    on:change=move |ev| {
                        if let Ok(k) = event_target_value(&ev).parse() {
                            kind.set(k);
                        }
                    }
                >
                    {option(BulkActionKind::GrantProduct, "Grant a product")}
                    {option(BulkActionKind::SetMetadata, "Set a metadata key")}
                    {option(BulkActionKind::RemoveMetadata, "Remove a metadata key")}
                    {option(BulkActionKind::Archive, "Archive")}
                </select>
            </div>
            <Show when=move || kind.get() == BulkActionKind::GrantProduct>
                <div>
                    <label for="bulk-product" class=LABEL>"Product"</label>
                    <select id="bulk-product" class=INPUT on:change=move |ev| product.set(event_target_value(&ev))>
                        <option value="" selected=move || product.get().is_empty()>"Choose a product"</option>
                        <Transition fallback=|| ()>
                            {move || Suspend::new(async move {
                                products
                                    .await
                                    .unwrap_or_default()
                                    .into_iter()
                                    .map(|p| {
                                        let id = p.id.to_string();
                                        let chosen = id.clone();
                                        view! { <option value=id selected=move || product.get() == chosen>{p.name}</option> }
                                    })
                                    .collect_view()
                            })}
                        </Transition>
                    </select>
                </div>
                <div>
                    <label for="bulk-expires" class=LABEL>"Expires (optional)"</label>
                    <input
                        id="bulk-expires"
                        type="date"
                        class=INPUT
                        prop:value=move || expires.get()
                        on:change=move |ev| expires.set(event_target_value(&ev))
                    />
                </div>
            </Show>
            <Show when=move || matches!(kind.get(), BulkActionKind::SetMetadata | BulkActionKind::RemoveMetadata)>
                {text_field("bulk-key", "Key", 40, key)}
            </Show>
            <Show when=move || kind.get() == BulkActionKind::SetMetadata>
                {text_field("bulk-value", "Value", 500, value)}
            </Show>
            <p class="rounded-md bg-slate-50 px-3 py-2 text-sm text-slate-700" aria-live="polite" data-testid="bulk-preview">
                <Transition fallback=|| "Counting the customers…">
                    {move || Suspend::new(async move {
                        match preview.await {
                            None => match request.get_untracked() {
                                Err(why) => why,
                                Ok(_) => "Counting the customers…".into(),
                            },
                            Some(Ok(p)) if p.customers > p.limit => format!(
                                "More than {} customers match: one action takes at most {}. Narrow the filters.",
                                thousands(p.limit),
                                thousands(p.limit)
                            ),
                            Some(Ok(p)) => format!(
                                "This changes {} customer{}, one at a time, with each change in their activity.",
                                thousands(p.customers),
                                if p.customers == 1 { "" } else { "s" }
                            ),
                            Some(Err(e)) => crate::components::dialog::error_text(&e),
                        }
                    })}
                </Transition>
            </p>
        </FormDialog>
    }
}

/// A labelled one-line text field bound to `signal`.
fn text_field(
    id: &'static str,
    label: &'static str,
    max: usize,
    signal: RwSignal<String>,
) -> impl IntoView {
    view! {
        <div>
            <label for=id class=LABEL>{label}</label>
            <input
                id=id
                class=INPUT
                maxlength=max.to_string()
                prop:value=move || signal.get()
                on:input=move |ev| signal.set(event_target_value(&ev))
            />
        </div>
    }
}

/// The latest bulk actions: progress while they run (polled, so it survives a reload), then
/// what they did, with a report of the customers that failed.
#[component]
pub fn BulkActivity(started: RwSignal<u32>) -> impl IntoView {
    let tick = RwSignal::new(0u32);
    let actions = Resource::new(
        move || (started.get(), tick.get()),
        |_| recent_bulk_actions(),
    );
    // While one runs, ask again shortly.
    Effect::new(move |_| {
        let running = actions
            .get()
            .and_then(Result::ok)
            .is_some_and(|list| list.iter().any(BulkAction::running));
        if running {
            set_timeout(move || tick.update(|t| *t += 1), Duration::from_millis(600));
        }
    });
    let body = move || {
        Suspend::new(async move {
            let list = actions.await.unwrap_or_default();
            (!list.is_empty()).then(|| {
                view! {
                    <section aria-labelledby="bulk-activity" class="rounded-xl border border-slate-200 bg-white p-4">
                        <h2 id="bulk-activity" class="text-sm font-semibold text-slate-900">"Bulk actions"</h2>
                        <ul class="mt-2 divide-y divide-slate-100">
                            {list.into_iter().map(|a| view! { <BulkLine action=a started /> }).collect_view()}
                        </ul>
                    </section>
                }
            })
        })
    };
    view! { <Transition fallback=|| ()>{body}</Transition> }
}

fn describe(a: &BulkAction) -> String {
    match a.action {
        BulkActionKind::SetMetadata => format!(
            "Set {} = {}",
            a.metadata_key.clone().unwrap_or_default(),
            a.metadata_value.clone().unwrap_or_default()
        ),
        BulkActionKind::RemoveMetadata => {
            format!("Remove {}", a.metadata_key.clone().unwrap_or_default())
        }
        BulkActionKind::GrantProduct => "Grant a product".into(),
        BulkActionKind::Archive => "Archive".into(),
    }
}

#[component]
fn BulkLine(action: BulkAction, started: RwSignal<u32>) -> impl IntoView {
    let id = action.id.to_string();
    let report_open = RwSignal::new(false);
    let cancel = Submission::<CancelBulkAction>::new(move |_| started.update(|n| *n += 1));
    let failures = {
        let id = id.clone();
        Resource::new(
            move || report_open.get().then(|| id.clone()),
            |id| async move {
                match id {
                    Some(id) => Some(bulk_action_report(id).await),
                    None => None,
                }
            },
        )
    };
    let done = action.processed();
    let total = action.total.max(1);
    let percent = done * 100 / total;
    let running = action.running();
    let status = match action.status {
        BulkActionStatus::Running if action.cancel_requested => "canceling".to_owned(),
        s => s.as_str().to_owned(),
    };
    let cancel_id = id.clone();
    let bar = if running {
        "h-full bg-indigo-600 transition-all"
    } else if action.failed > 0 {
        "h-full bg-amber-500"
    } else {
        "h-full bg-emerald-600"
    };
    view! {
        <li class="space-y-2 py-2 text-sm" data-bulk-action-id=id.clone()>
            <div class="flex flex-wrap items-center gap-x-3 gap-y-1">
                <span class="font-medium text-slate-900">{describe(&action)}</span>
                <span data-testid="bulk-status"><StatusBadge status /></span>
                <span class="tabular-nums text-slate-600" data-testid="bulk-counts">
                    {format!(
                        "{done} of {} · {} succeeded · {} failed",
                        action.total, action.succeeded, action.failed
                    )}
                </span>
                {(running && !action.cancel_requested).then(|| view! {
                    <button
                        type="button"
                        class=BTN
                        disabled=move || cancel.busy().get()
                        on:click=move |_| cancel.submit(CancelBulkAction { id: cancel_id.clone() })
                    >
                        "Cancel"
                    </button>
                })}
                {(action.processed() > 0).then(|| view! {
                    <button
                        type="button"
                        class=BTN_LINK
                        aria-expanded=move || if report_open.get() { "true" } else { "false" }
                        on:click=move |_| report_open.update(|o| *o = !*o)
                    >
                        {move || if report_open.get() { "Hide report" } else { "Report" }}
                    </button>
                })}
            </div>
            <div
                class="h-2 w-full overflow-hidden rounded-full bg-slate-100"
                role="progressbar"
                aria-label=format!("{} progress", describe(&action))
                aria-valuemin="0"
                aria-valuemax=action.total.to_string()
                aria-valuenow=done.to_string()
            >
                <div class=bar style=format!("width: {percent}%")></div>
            </div>
            <crate::components::dialog::ErrorNote error=cancel.error() />
            <Show when=move || report_open.get()>
                <Transition fallback=|| view! { <p class="text-slate-500">"Loading the report…"</p> }>
                    {move || Suspend::new(async move {
                        match failures.await {
                            Some(Ok(page)) => view! {
                                <ul class="max-h-64 space-y-1 overflow-y-auto" aria-label="Report" data-testid="bulk-report">
                                    {page.data.into_iter().map(|f| view! {
                                        <li class="flex flex-wrap items-center gap-x-2" data-testid="bulk-report-line">
                                            <StatusBadge status=f.status.as_str() />
                                            <a
                                                href=format!("/dashboard/customers/{}", f.customer_id)
                                                class="font-medium text-indigo-600 hover:text-indigo-500"
                                            >
                                                {f.customer_label.clone().unwrap_or_else(|| f.customer_id.to_string())}
                                            </a>
                                            <span class="text-slate-700">{f.message.clone().unwrap_or_default()}</span>
                                        </li>
                                    }).collect_view()}
                                </ul>
                                {page.has_more.then(|| view! {
                                    <p class="text-xs text-slate-500">"The first 100 customers, failures first. The full report is on GET /api/v1/bulk_actions/{id}/items."</p>
                                })}
                            }
                            .into_any(),
                            Some(Err(e)) => view! { <p class="text-red-700">{e.to_string()}</p> }.into_any(),
                            None => ().into_any(),
                        }
                    })}
                </Transition>
            </Show>
        </li>
    }
}
