//! The selection bar: how many customers are selected, selecting all matching, the selection's
//! CSV, and opening the bulk action dialog.

use std::collections::HashSet;

use leptos::prelude::*;

use super::bulk_dialog::{BulkDialog, Selection};
use super::counts::thousands;
use crate::components::dialog::{BTN, BTN_LINK, BTN_PRIMARY};
use crate::server_fns::segments::count_matching;
use crate::types::CustomerId;
use crate::types::segment::SegmentFilters;

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
    // How many customers match, as the bar writes it ("…" until counted).
    let matching_count = move || {
        matching
            .get()
            .and_then(Result::ok)
            .flatten()
            .map(thousands)
            .unwrap_or_else(|| "…".into())
    };
    let count_words = move || {
        let n = matching_count();
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
                        {move || format!("Select all {} matching", matching_count())}
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
