//! `/dashboard/customers/:id`: who the customer is and what they are worth.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::server_fns::dashboard::load_customer;
use crate::types::money;
use crate::types::{AppError, Customer, CustomerStats};

/// The customer page: profile and stats.
#[component]
pub fn CustomerPage() -> impl IntoView {
    let params = use_params_map();
    let data = Resource::new(
        move || params.read().get("id").unwrap_or_default(),
        load_customer,
    );
    let body = move || {
        Suspend::new(async move {
            match data.await {
                Ok((customer, stats)) => view! { <Profile customer stats /> }.into_any(),
                Err(AppError::NotFound { .. }) => view! {
                    <Title text="Customer not found" />
                    <p role="alert" class="rounded-md bg-amber-50 px-4 py-3 text-sm text-amber-800">
                        "No customer with this id in your workspace."
                    </p>
                }
                .into_any(),
                Err(e) => view! {
                    <p role="alert" class="rounded-md bg-red-50 px-4 py-3 text-sm text-red-700">{e.to_string()}</p>
                }
                .into_any(),
            }
        })
    };
    view! {
        <div class="mx-auto max-w-6xl space-y-6">
            <a href="/dashboard/customers" class="text-sm font-medium text-indigo-600 hover:text-indigo-500">
                "← Customers"
            </a>
            <Transition fallback=|| view! { <p class="text-sm text-slate-500">"Loading the customer…"</p> }>
                {body}
            </Transition>
        </div>
    }
}

#[component]
fn Profile(customer: Customer, stats: CustomerStats) -> impl IntoView {
    let name = customer.display_name().to_owned();
    let cur = stats.currency.clone();
    let fact = |label: &'static str, value: Option<String>| {
        view! {
            <div>
                <dt class="text-xs font-medium uppercase tracking-wide text-slate-500">{label}</dt>
                <dd class="mt-0.5 text-sm text-slate-900">{value.unwrap_or_else(|| "—".to_owned())}</dd>
            </div>
        }
    };
    let card = |label: &'static str, value: String| {
        view! {
            <div class="rounded-xl border border-slate-200 bg-white p-4">
                <dt class="text-xs font-medium text-slate-500">{label}</dt>
                <dd class="mt-1 text-xl font-semibold tabular-nums text-slate-900">{value}</dd>
            </div>
        }
    };
    view! {
        <Title text=name.clone() />
        <header class="rounded-xl border border-slate-200 bg-white p-5">
            <h1 class="text-2xl font-semibold tracking-tight">{name}</h1>
            <p class="mt-1 font-mono text-xs text-slate-500">{customer.id.to_string()}</p>
            <dl class="mt-4 grid gap-4 sm:grid-cols-3 lg:grid-cols-6">
                {fact("Email", customer.email.clone())}
                {fact("External id", customer.external_id.clone())}
                {fact("Country", customer.country.clone())}
                {fact("Username", customer.username.clone())}
                {fact("First seen", Some(customer.first_seen_at.format("%Y-%m-%d").to_string()))}
                {fact("Archived", customer.archived_at.map(|t| t.format("%Y-%m-%d").to_string()))}
            </dl>
        </header>
        <section aria-labelledby="stats-title" class="space-y-3">
            <h2 id="stats-title" class="text-base font-semibold">"Stats"</h2>
            <dl class="grid gap-3 sm:grid-cols-2 lg:grid-cols-4">
                {card("Lifetime value (net)", money::format(stats.lifetime_value, &cur))}
                {card("MRR", money::format(stats.mrr, &cur))}
                {card("Total payments", stats.total_payments.to_string())}
                {card("Active subscriptions", stats.active_subscriptions.to_string())}
                {card("Orders", stats.order_count.to_string())}
                {card("Refunded", money::format(stats.refunded_amount, &cur))}
                {card("Refunds", stats.refunds_count.to_string())}
                {card("Disputes", stats.disputes_count.to_string())}
            </dl>
            {(!stats.lifetime_value_by_currency.is_empty()).then(|| view! {
                <table class="min-w-full overflow-hidden rounded-xl border border-slate-200 bg-white text-sm">
                    <caption class="sr-only">"Lifetime value per currency"</caption>
                    <thead class="bg-slate-50 text-left text-xs font-semibold uppercase tracking-wide text-slate-500">
                        <tr>
                            <th scope="col" class="px-4 py-2">"Currency"</th>
                            <th scope="col" class="px-4 py-2 text-right">"Paid"</th>
                            <th scope="col" class="px-4 py-2 text-right">"Refunded"</th>
                            <th scope="col" class="px-4 py-2 text-right">"Charged back"</th>
                            <th scope="col" class="px-4 py-2 text-right">"Net"</th>
                        </tr>
                    </thead>
                    <tbody class="divide-y divide-slate-100">
                        {stats.lifetime_value_by_currency.iter().map(|t| view! {
                            <tr>
                                <td class="px-4 py-2 font-medium">{t.currency.clone()}</td>
                                <td class="px-4 py-2 text-right tabular-nums">{money::format(t.paid, &t.currency)}</td>
                                <td class="px-4 py-2 text-right tabular-nums">{money::format(t.refunded, &t.currency)}</td>
                                <td class="px-4 py-2 text-right tabular-nums">{money::format(t.charged_back, &t.currency)}</td>
                                <td class="px-4 py-2 text-right font-medium tabular-nums">{money::format(t.net, &t.currency)}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            })}
        </section>
    }
}
