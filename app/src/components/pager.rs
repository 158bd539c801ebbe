//! Paging through a keyset-paginated list kept in the page (a tab's orders, its activity).

use leptos::prelude::*;

use super::dialog::BTN;

/// A stack of cursors: the last id of each page before the one shown. Empty on the first page.
pub type Cursors = RwSignal<Vec<String>>;

/// First page, Previous and Next under a list paged by cursor.
#[component]
pub fn KeysetPager(
    /// The cursor stack the list's resource reads its `starting_after` from (its last entry).
    cursors: Cursors,
    /// The id of the shown page's last row.
    last: Option<String>,
    /// Whether rows follow the shown page.
    has_more: bool,
) -> impl IntoView {
    view! {
        <nav class="flex justify-end gap-2" aria-label="Pages">
            {move || (!cursors.get().is_empty()).then(|| view! {
                <button type="button" class=BTN on:click=move |_| cursors.set(Vec::new())>
                    "First page"
                </button>
                <button type="button" class=BTN on:click=move |_| cursors.update(|c| { c.pop(); })>
                    "Previous"
                </button>
            })}
            {(has_more && last.is_some()).then(|| view! {
                <button
                    type="button"
                    class=BTN
                    on:click=move |_| {
                        if let Some(l) = last.clone() {
                            cursors.update(|c| c.push(l));
                        }
                    }
                >
                    "Next"
                </button>
            })}
        </nav>
    }
}
