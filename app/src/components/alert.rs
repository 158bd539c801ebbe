//! Messages that interrupt: an error or a warning, announced to screen readers as an alert.

use leptos::prelude::*;

/// How serious an alert is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Tone {
    /// Something failed (red).
    #[default]
    Error,
    /// Something needs attention (amber).
    Warning,
}

/// A boxed message with `role="alert"`: a failed load or action, or a warning.
#[component]
pub fn Alert(
    /// Red for an error (the default), amber for a warning.
    #[prop(optional)]
    tone: Tone,
    /// Roomier padding, for a message that stands in for a whole page or tab.
    #[prop(optional)]
    large: bool,
    /// The message.
    children: Children,
) -> impl IntoView {
    let colours = match tone {
        Tone::Error => "bg-red-50 text-red-700",
        Tone::Warning => "bg-amber-50 text-amber-800",
    };
    let padding = if large { "px-4 py-3" } else { "px-3 py-2" };
    view! {
        <div role="alert" class=format!("rounded-md text-sm {padding} {colours}")>
            {children()}
        </div>
    }
}

/// Shown when a save lost a race with someone else's: says so, and reloads on request.
#[component]
pub fn StaleVersionBanner(
    /// What was being edited, such as "customer".
    what: &'static str,
    /// Reloads the object (and closes the form, if it was one).
    on_reload: Callback<()>,
) -> impl IntoView {
    view! {
        <Alert tone=Tone::Warning>
            {format!(
                "Someone else changed this {what} while you were editing. Reload to see their version, then make your change again."
            )}
            <button type="button" class="ml-2 font-medium underline" on:click=move |_| on_reload.run(())>
                "Reload"
            </button>
        </Alert>
    }
}
