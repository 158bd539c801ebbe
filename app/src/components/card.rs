//! Cards: the white, bordered panels pages are built of, and the one shape every section of
//! the Settings page has (heading, a line under it, its main action, then its body).

use leptos::prelude::*;

use super::dialog::ErrorNote;
use crate::types::AppError;

/// A white card with a light border. The caller adds its padding (`p-4`, `p-5`, `p-6`) and
/// keeps its own element (`section`, `li`, `article`).
pub const CARD: &str = "rounded-xl border border-slate-200 bg-white";

/// A card holding a list, its rows divided by lines (`<ul>` or `<ol>`).
pub const CARD_LIST: &str = "divide-y divide-slate-100 rounded-xl border border-slate-200 bg-white";

/// A Settings section's card: [`CARD`] with the sections' padding.
const SECTION: &str = "rounded-xl border border-slate-200 bg-white p-5";

/// One section of the Settings page: a card with the heading, the line that says what the
/// section is for, the section's main action on the right ("Invite member", "Add endpoint"),
/// then the body (lists, dialogs, notices).
#[component]
pub fn SettingsSection(
    /// The section's anchor, which the page's own nav links to (`team`, `api-keys`); the
    /// heading's id is `settings-{id}`.
    id: &'static str,
    /// The heading.
    title: &'static str,
    /// What the section is for: text, or text with markup (`|| "…"` or `|| view! { … }`).
    #[prop(into)]
    description: ViewFn,
    /// The section's main action, beside the heading.
    #[prop(optional, into)]
    action: Option<ViewFn>,
    /// Whether the reader's role may only read the section's settings: it says so above the
    /// body (whose fields the section disables itself).
    #[prop(optional)]
    read_only: bool,
    /// The body.
    children: Children,
) -> impl IntoView {
    let heading = format!("settings-{id}");
    let labelled_by = heading.clone();
    let description = description.run();
    view! {
        <section id=id aria-labelledby=labelled_by class=SECTION>
            <div class="flex flex-wrap items-center gap-3">
                <div class="min-w-0 flex-1">
                    <h2 id=heading class="text-lg font-semibold text-slate-900">{title}</h2>
                    <p class="mt-1 text-sm text-slate-600">{description}</p>
                </div>
                {action.map(|a| a.run())}
            </div>
            {read_only.then(|| view! {
                <p class="mt-3 text-sm text-slate-600" role="status">"Only admins and owners can change these settings."</p>
            })}
            {children()}
        </section>
    }
}

/// What a Settings section shows when its load fails: the failure, or, for a role that may not
/// see the section's contents, the `forbidden` sentence where the section has one.
pub fn section_failure(e: AppError, forbidden: Option<&'static str>) -> AnyView {
    match (e, forbidden) {
        (AppError::Forbidden { .. }, Some(text)) => {
            view! { <p class="mt-3 text-sm text-slate-600">{text}</p> }.into_any()
        }
        (e, _) => view! { <ErrorNote error=Signal::stored(Some(e.sentence())) /> }.into_any(),
    }
}
