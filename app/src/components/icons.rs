//! Inline SVG icons (outline, 24px grid), so no icon font or extra request is needed.

use leptos::prelude::*;

/// The frame every outline icon shares: hidden from screen readers, 24px grid, drawn with the
/// text colour.
fn outline(class: String, shapes: impl IntoView) -> impl IntoView {
    view! {
        <svg
            class=class
            aria-hidden="true"
            viewBox="0 0 24 24"
            fill="none"
            stroke="currentColor"
            stroke-width="1.5"
        >
            {shapes}
        </svg>
    }
}

/// A rounded outline stroke along `d`.
fn stroke(d: &'static str) -> impl IntoView {
    view! { <path stroke-linecap="round" stroke-linejoin="round" d=d /> }
}

/// People: the Customers section.
#[component]
pub fn UsersIcon(#[prop(into, optional)] class: String) -> impl IntoView {
    outline(
        class,
        stroke(
            "M15 19.128a9.38 9.38 0 0 0 2.625.372 9.337 9.337 0 0 0 4.121-.952 4.125 4.125 0 0 0-7.533-2.493M15 19.128v-.003c0-1.113-.285-2.16-.786-3.07M15 19.128v.106A12.318 12.318 0 0 1 8.624 21c-2.331 0-4.512-.645-6.374-1.766l-.001-.109a6.375 6.375 0 0 1 11.964-3.07M12 6.375a3.375 3.375 0 1 1-6.75 0 3.375 3.375 0 0 1 6.75 0Zm8.25 2.25a2.625 2.625 0 1 1-5.25 0 2.625 2.625 0 0 1 5.25 0Z",
        ),
    )
}

/// Two panes with an arrow: collapse or expand the sidebar.
#[component]
pub fn SidebarIcon(#[prop(into, optional)] class: String) -> impl IntoView {
    outline(
        class,
        view! {
            <rect x="3" y="4" width="18" height="16" rx="2" />
            <path stroke-linecap="round" d="M9 4v16" />
        },
    )
}

/// A cog: settings.
#[component]
pub fn SettingsIcon(#[prop(into, optional)] class: String) -> impl IntoView {
    outline(
        class,
        (
            stroke(
                "M9.594 3.94c.09-.542.56-.94 1.11-.94h2.593c.55 0 1.02.398 1.11.94l.213 1.281c.063.374.313.686.645.87.074.04.147.083.22.127.325.196.72.257 1.075.124l1.217-.456a1.125 1.125 0 0 1 1.37.49l1.296 2.247a1.125 1.125 0 0 1-.26 1.431l-1.003.827c-.293.241-.438.613-.43.992a7.723 7.723 0 0 1 0 .255c-.008.378.137.75.43.991l1.004.827c.424.35.534.955.26 1.43l-1.298 2.247a1.125 1.125 0 0 1-1.369.491l-1.217-.456c-.355-.133-.75-.072-1.076.124a6.47 6.47 0 0 1-.22.128c-.331.183-.581.495-.644.869l-.213 1.281c-.09.543-.56.94-1.11.94h-2.594c-.55 0-1.019-.398-1.11-.94l-.213-1.281c-.062-.374-.312-.686-.644-.87a6.52 6.52 0 0 1-.22-.127c-.325-.196-.72-.257-1.076-.124l-1.217.456a1.125 1.125 0 0 1-1.369-.49l-1.297-2.247a1.125 1.125 0 0 1 .26-1.431l1.004-.827c.292-.24.437-.613.43-.991a6.932 6.932 0 0 1 0-.255c.007-.38-.138-.751-.43-.992l-1.004-.827a1.125 1.125 0 0 1-.26-1.43l1.297-2.247a1.125 1.125 0 0 1 1.37-.491l1.216.456c.356.133.751.072 1.076-.124.072-.044.146-.086.22-.128.332-.183.582-.495.644-.869l.214-1.28Z",
            ),
            stroke("M15 12a3 3 0 1 1-6 0 3 3 0 0 1 6 0Z"),
        ),
    )
}

/// A tray with an arrow going up: the Imports section.
#[component]
pub fn ImportsIcon(#[prop(into, optional)] class: String) -> impl IntoView {
    outline(
        class,
        stroke(
            "M3 16.5v2.25A2.25 2.25 0 0 0 5.25 21h13.5A2.25 2.25 0 0 0 21 18.75V16.5m-13.5-9L12 3m0 0 4.5 4.5M12 3v13.5",
        ),
    )
}

/// A person with a minus sign: the Erasure requests section.
#[component]
pub fn ErasureIcon(#[prop(into, optional)] class: String) -> impl IntoView {
    outline(
        class,
        stroke(
            "M22 10.5h-6m-2.25-4.125a3.375 3.375 0 1 1-6.75 0 3.375 3.375 0 0 1 6.75 0ZM4 19.235v-.11a6.375 6.375 0 0 1 12.75 0v.109A12.318 12.318 0 0 1 10.374 21c-2.331 0-4.512-.645-6.374-1.766Z",
        ),
    )
}
