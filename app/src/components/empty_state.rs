//! The panel a list shows when it has nothing to show, saying why and what comes next, and the
//! line a section shows while it loads.

use leptos::prelude::*;

/// A centred message with an icon, a title and an explanation.
#[component]
pub fn EmptyState(
    /// One short line: what is empty.
    #[prop(into)]
    title: String,
    /// Why, and how it fills up.
    children: Children,
    /// The icon above the title.
    icon: AnyView,
) -> impl IntoView {
    view! {
        <section
            class="mx-auto flex max-w-md flex-col items-center gap-3 rounded-xl border border-dashed border-slate-300 bg-white px-8 py-14 text-center"
            aria-labelledby="empty-state-title"
        >
            <div class="rounded-full bg-indigo-50 p-3 text-indigo-600">{icon}</div>
            <h2 id="empty-state-title" class="text-base font-semibold text-slate-900">
                {title}
            </h2>
            <div class="text-sm leading-6 text-slate-600">{children()}</div>
        </section>
    }
}

/// What a "Loading…" line looks like, below its caller's margin.
const LOADING: &str = "text-sm text-slate-500";

/// The grey line a section or page shows until its data comes: "Loading…", or with `what`
/// "Loading the log…".
#[component]
pub fn Loading(
    /// What is loading, if the line says.
    #[prop(optional)]
    what: Option<&'static str>,
    /// Classes before the line's own (its margin: `mt-3`, `py-6`).
    #[prop(optional)]
    class: &'static str,
) -> impl IntoView {
    let class = if class.is_empty() {
        LOADING.to_owned()
    } else {
        format!("{class} {LOADING}")
    };
    let text = match what {
        Some(what) => format!("Loading {what}…"),
        None => "Loading…".to_owned(),
    };
    view! { <p class=class>{text}</p> }
}
