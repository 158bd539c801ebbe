//! Inline SVG icons (outline, 24px grid), so no icon font or extra request is needed.

use leptos::prelude::*;

/// People: the Customers section.
#[component]
pub fn UsersIcon(#[prop(into, optional)] class: String) -> impl IntoView {
    view! {
        <svg
            class=class
            aria-hidden="true"
            viewBox="0 0 24 24"
            fill="none"
            stroke="currentColor"
            stroke-width="1.5"
        >
            <path
                stroke-linecap="round"
                stroke-linejoin="round"
                d="M15 19.128a9.38 9.38 0 0 0 2.625.372 9.337 9.337 0 0 0 4.121-.952 4.125 4.125 0 0 0-7.533-2.493M15 19.128v-.003c0-1.113-.285-2.16-.786-3.07M15 19.128v.106A12.318 12.318 0 0 1 8.624 21c-2.331 0-4.512-.645-6.374-1.766l-.001-.109a6.375 6.375 0 0 1 11.964-3.07M12 6.375a3.375 3.375 0 1 1-6.75 0 3.375 3.375 0 0 1 6.75 0Zm8.25 2.25a2.625 2.625 0 1 1-5.25 0 2.625 2.625 0 0 1 5.25 0Z"
            />
        </svg>
    }
}

/// Two panes with an arrow: collapse or expand the sidebar.
#[component]
pub fn SidebarIcon(#[prop(into, optional)] class: String) -> impl IntoView {
    view! {
        <svg
            class=class
            aria-hidden="true"
            viewBox="0 0 24 24"
            fill="none"
            stroke="currentColor"
            stroke-width="1.5"
        >
            <rect x="3" y="4" width="18" height="16" rx="2" />
            <path stroke-linecap="round" d="M9 4v16" />
        </svg>
    }
}
