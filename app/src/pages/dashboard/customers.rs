//! `/dashboard/customers`: the customer list.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::empty_state::EmptyState;
use crate::components::icons::UsersIcon;

/// The Customers page. Until the first purchase or API call it shows its empty state.
#[component]
pub fn CustomersPage() -> impl IntoView {
    view! {
        <Title text="Customers" />
        <div class="mx-auto max-w-6xl space-y-6">
            <header>
                <h1 class="text-2xl font-semibold tracking-tight">"Customers"</h1>
                <p class="mt-1 text-sm text-slate-600">
                    "Everyone who pays you: what they bought, their subscriptions and their benefits."
                </p>
            </header>
            <EmptyState title="No customers yet" icon=view! { <UsersIcon class="size-6" /> }.into_any()>
                <p>
                    "A customer appears here with their first purchase, or when your back end creates one through the REST API."
                </p>
            </EmptyState>
        </div>
    }
}
