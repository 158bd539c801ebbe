//! `/dashboard/customers`: the customer list, newest first, 50 a page.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::components::empty_state::EmptyState;
use crate::components::icons::UsersIcon;
use crate::server_fns::dashboard::list_customers;
use crate::types::Customer;

/// The Customers page: a table of the workspace's customers, or its empty state.
#[component]
pub fn CustomersPage() -> impl IntoView {
    let query = use_query_map();
    let after = move || query.read().get("after");
    let page = Resource::new(after, list_customers);

    let rows = move || {
        Suspend::new(async move {
            match page.await {
                Err(e) => view! {
                    <p role="alert" class="rounded-md bg-red-50 px-4 py-3 text-sm text-red-700">
                        {e.to_string()}
                    </p>
                }
                .into_any(),
                Ok(p) if p.data.is_empty() && after().is_none() => view! {
                    <EmptyState title="No customers yet" icon=view! { <UsersIcon class="size-6" /> }.into_any()>
                        <p>
                            "A customer appears here with their first purchase, or when your back end creates one through the REST API."
                        </p>
                    </EmptyState>
                }
                .into_any(),
                Ok(p) => {
                    let next = p.has_more.then(|| p.data.last().map(|c| c.id.to_string())).flatten();
                    view! {
                        <CustomerTable customers=p.data />
                        <nav class="mt-4 flex justify-end gap-2" aria-label="Pages">
                            {after().map(|_| view! {
                                <a href="/dashboard/customers" class="rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm font-medium hover:bg-slate-50">
                                    "First page"
                                </a>
                            })}
                            {next.map(|id| view! {
                                <a href=format!("/dashboard/customers?after={id}") class="rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm font-medium hover:bg-slate-50">
                                    "Next"
                                </a>
                            })}
                        </nav>
                    }
                    .into_any()
                }
            }
        })
    };

    view! {
        <Title text="Customers" />
        <div class="mx-auto max-w-6xl space-y-6">
            <header>
                <h1 class="text-2xl font-semibold tracking-tight">"Customers"</h1>
                <p class="mt-1 text-sm text-slate-600">
                    "Everyone who pays you: what they bought, their subscriptions and their benefits."
                </p>
            </header>
            <Transition fallback=|| view! { <p class="text-sm text-slate-500">"Loading customers…"</p> }>
                {rows}
            </Transition>
        </div>
    }
}

/// Initials for the avatar: of the name, else of the email, else `?`.
fn initials(c: &Customer) -> String {
    let source = c.name.as_deref().or(c.email.as_deref()).unwrap_or("?");
    source
        .split(|ch: char| ch.is_whitespace() || ch == '.' || ch == '@')
        .filter_map(|w| w.chars().next())
        .take(2)
        .flat_map(char::to_uppercase)
        .collect()
}

#[component]
fn CustomerTable(customers: Vec<Customer>) -> impl IntoView {
    view! {
        <div class="overflow-x-auto rounded-xl border border-slate-200 bg-white">
            <table class="min-w-full divide-y divide-slate-200 text-sm">
                <thead class="bg-slate-50 text-left text-xs font-semibold uppercase tracking-wide text-slate-500">
                    <tr>
                        <th scope="col" class="px-4 py-3">"Customer"</th>
                        <th scope="col" class="px-4 py-3">"Email"</th>
                        <th scope="col" class="px-4 py-3">"External id"</th>
                        <th scope="col" class="px-4 py-3">"Country"</th>
                        <th scope="col" class="px-4 py-3">"Created"</th>
                    </tr>
                </thead>
                <tbody class="divide-y divide-slate-100">
                    {customers
                        .into_iter()
                        .map(|c| {
                            let initials = initials(&c);
                            let name = c.name.clone().unwrap_or_else(|| c.id.to_string());
                            view! {
                                <tr class="hover:bg-slate-50">
                                    <td class="px-4 py-2.5">
                                        <div class="flex items-center gap-3">
                                            <span class="grid size-8 shrink-0 place-items-center rounded-full bg-indigo-100 text-xs font-semibold text-indigo-700" aria-hidden="true">
                                                {initials}
                                            </span>
                                            <span class="font-medium text-slate-900">{name}</span>
                                        </div>
                                    </td>
                                    <td class="px-4 py-2.5 text-slate-700">{c.email.unwrap_or_else(|| "—".to_owned())}</td>
                                    <td class="px-4 py-2.5 font-mono text-xs text-slate-600">{c.external_id.unwrap_or_else(|| "—".to_owned())}</td>
                                    <td class="px-4 py-2.5 text-slate-700">{c.country.unwrap_or_else(|| "—".to_owned())}</td>
                                    <td class="whitespace-nowrap px-4 py-2.5 text-slate-600">
                                        <time datetime=c.created_at.to_rfc3339()>{c.created_at.format("%Y-%m-%d").to_string()}</time>
                                    </td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
}
