//! The page for an address that leads nowhere (answered with HTTP 404).

use leptos::prelude::*;
use leptos_meta::Title;

/// "Page not found", with a way back.
#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    {
        if let Some(resp) = use_context::<leptos_axum::ResponseOptions>() {
            resp.set_status(axum::http::StatusCode::NOT_FOUND);
        }
    }
    view! {
        <Title text="Page not found" />
        <main class="grid min-h-screen place-items-center px-6">
            <div class="text-center">
                <p class="text-sm font-semibold text-indigo-600">"404"</p>
                <h1 class="mt-2 text-2xl font-semibold tracking-tight">"Page not found"</h1>
                <p class="mt-2 text-sm text-slate-600">"Nothing lives at this address."</p>
                <a
                    href="/dashboard/customers"
                    class="mt-6 inline-block rounded-md bg-indigo-600 px-3.5 py-2 text-sm font-semibold text-white hover:bg-indigo-500"
                >
                    "Back to the dashboard"
                </a>
            </div>
        </main>
    }
}
