//! The list's optional columns: which there are, which show (remembered in this browser), and
//! the picker that chooses them.

use leptos::prelude::*;

/// A column of the list a merchant may show or hide; the customer (name and email) always shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Column {
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

    pub(super) fn label(self) -> &'static str {
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

    pub(super) fn numeric(self) -> bool {
        matches!(self, Column::LifetimeValue | Column::Orders)
    }
}

/// Where the browser remembers the merchant's choice of columns.
const COLUMNS_KEY: &str = "patron.customer-list.columns";

/// The columns shown: the defaults on the server and at first paint, then the merchant's own
/// choice from this browser's storage once the page is interactive.
pub(super) fn use_columns() -> RwSignal<Vec<Column>> {
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
pub(super) fn ColumnPicker(columns: RwSignal<Vec<Column>>) -> impl IntoView {
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
