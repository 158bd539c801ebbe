//! The shop's accent colour in the portal: the CSS custom properties `--accent` and
//! `--accent-hover` (set on the portal's frame, and on each page once the shop is known), and
//! the classes of the portal's primary buttons and links, which read them. The dashboard's own
//! buttons keep Patron's indigo.

use leptos::prelude::*;

use crate::types::colour::{Colour, DEFAULT_ACCENT};

/// The portal's primary button: the dashboard's `BTN_PRIMARY` in the shop's accent, a shade
/// darker on hover.
pub(crate) const PORTAL_BTN_PRIMARY: &str = "inline-flex items-center justify-center gap-1.5 rounded-md bg-[color:var(--accent)] px-3 py-1.5 text-sm font-semibold text-white shadow-sm hover:bg-[color:var(--accent-hover)] disabled:cursor-not-allowed disabled:opacity-60 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-[color:var(--accent)]";

/// A link that reads as a word ("Receipt") in a row, in the shop's accent.
pub(crate) const PORTAL_LINK: &str =
    "font-medium text-[color:var(--accent)] hover:text-[color:var(--accent-hover)] hover:underline";

/// A small text button ("Show key", "Cancel subscription"): the dashboard's `BTN_LINK` in the
/// shop's accent. It underlines on hover instead of taking a tinted background, which would
/// lower the contrast the accent was checked for.
pub(crate) const PORTAL_BTN_LINK: &str = "rounded px-1.5 py-0.5 text-sm font-medium text-[color:var(--accent)] hover:text-[color:var(--accent-hover)] hover:underline disabled:cursor-not-allowed disabled:opacity-60 focus-visible:outline-2 focus-visible:outline-[color:var(--accent)]";

/// The `style` that gives everything inside `colour` as the accent, and its hover shade.
pub(crate) fn accent_vars(colour: Colour) -> String {
    format!(
        "--accent:{};--accent-hover:{}",
        colour.hex(),
        colour.darker().hex()
    )
}

/// The `style` for a shop's `accent` (`#rrggbb`): the default indigo when it has none, or
/// one too light to read on white (saved before Patron checked), so a customer never meets a
/// button they cannot read.
pub(crate) fn accent_style(accent: Option<&str>) -> String {
    let colour = accent
        .and_then(Colour::parse)
        .filter(|c| c.reads_on_white())
        .unwrap_or(DEFAULT_ACCENT);
    accent_vars(colour)
}

/// Its children in the shop's accent: a `<div>` with [`accent_style`], spaced as the portal's
/// column (`space-y-6`), so that a page's parts keep their spacing inside it. It renders with
/// the page's data, so the first paint from the server already has the shop's colour.
#[component]
pub(crate) fn Accented(
    /// The shop's accent colour, `#rrggbb`, if it set one.
    accent: Option<String>,
    /// The page.
    children: Children,
) -> impl IntoView {
    view! {
        <div class="space-y-6 print:space-y-4" style=accent_style(accent.as_deref())>
            {children()}
        </div>
    }
}
