//! The hosted customer portal, as the end customer sees it: the shop's name, who is signed
//! in, their subscriptions and their orders. Reached through a one-time link from the shop.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::components::alert::Alert;
use crate::components::dialog::{BTN, StatusBadge, Submission};
use crate::components::hydration::use_hydrated;
use crate::components::time::LocalTime;
use crate::server_fns::portal::{PortalSignOut, load_portal};
use crate::types::money;
use crate::types::portal::{PortalOrder, PortalOverview, PortalSubscription};

/// `/portal`: the signed-in customer's overview, or how to get in.
#[component]
pub fn PortalPage() -> impl IntoView {
    let hydrated = use_hydrated();
    let refresh = RwSignal::new(0_u32);
    let overview = Resource::new(move || refresh.get(), |_| load_portal());
    let body = move || {
        Suspend::new(async move {
            match overview.await {
                Ok(Some(o)) => view! { <Overview overview=o refresh /> }.into_any(),
                Ok(None) => view! { <SignedOut /> }.into_any(),
                Err(e) => view! { <Alert large=true>{e.to_string()}</Alert> }.into_any(),
            }
        })
    };
    view! {
        <Title text="Your purchases" />
        <main
            class="min-h-screen bg-slate-50 px-4 py-8 sm:px-6"
            data-hydrated=move || hydrated.get().then_some("true")
        >
            <div class="mx-auto max-w-3xl space-y-6">
                <Suspense fallback=|| view! { <p class="text-sm text-slate-500">"Loading…"</p> }>
                    {body}
                </Suspense>
            </div>
        </main>
    }
}

/// No session: the link was used, expired, or never opened.
#[component]
fn SignedOut() -> impl IntoView {
    let query = use_query_map();
    let expired = move || query.read().get("link").as_deref() == Some("expired");
    view! {
        <section class="rounded-xl border border-slate-200 bg-white p-6" data-testid="portal-signed-out">
            <h1 class="text-xl font-semibold text-slate-900">"Your purchases"</h1>
            <Show when=expired>
                <p class="mt-3 rounded-md bg-amber-50 px-3 py-2 text-sm text-amber-800" role="status">
                    "This sign-in link has expired or was already used."
                </p>
            </Show>
            <p class="mt-3 text-sm text-slate-600">
                "To see your orders and subscriptions, open the link the shop gave you. A link works once and for an hour: ask the shop for a new one if yours has run out."
            </p>
        </section>
    }
}

#[component]
fn Overview(overview: PortalOverview, refresh: RwSignal<u32>) -> impl IntoView {
    let signing_out = Submission::<PortalSignOut>::new(move |_| refresh.update(|n| *n += 1));
    let who = overview
        .name
        .clone()
        .or_else(|| overview.email.clone())
        .unwrap_or_default();
    let subscriptions = overview.subscriptions;
    let orders = overview.orders;
    view! {
        <header class="flex flex-wrap items-center gap-3">
            <div class="min-w-0 flex-1">
                <p class="text-sm font-medium text-indigo-600" data-testid="portal-shop">{overview.shop.clone()}</p>
                <h1 class="text-2xl font-semibold tracking-tight text-slate-900">"Your purchases"</h1>
                <p class="text-sm text-slate-600" data-testid="portal-customer">
                    {format!("Signed in as {who}")}
                    {overview.email.clone().filter(|e| Some(e) != overview.name.as_ref() && overview.name.is_some()).map(|e| format!(" ({e})"))}
                </p>
            </div>
            {overview.return_url.clone().map(|url| view! {
                <a href=url class=BTN>{format!("Back to {}", overview.shop)}</a>
            })}
            <a href="/portal/data_export.json" download class=BTN rel="external">"Download my data"</a>
            <button
                type="button"
                class=BTN
                disabled=signing_out.busy()
                on:click=move |_| signing_out.submit(PortalSignOut {})
            >
                "Sign out"
            </button>
        </header>
        {move || signing_out.error().get().map(|e| view! { <Alert>{e}</Alert> })}
        <section aria-labelledby="portal-subscriptions" class="space-y-3">
            <h2 id="portal-subscriptions" class="text-lg font-semibold text-slate-900">"Subscriptions"</h2>
            {if subscriptions.is_empty() {
                view! { <p class="text-sm text-slate-500">"No subscriptions."</p> }.into_any()
            } else {
                view! {
                    <ul class="space-y-3">
                        {subscriptions.into_iter().map(|s| view! { <SubscriptionCard sub=s /> }).collect_view()}
                    </ul>
                }
                .into_any()
            }}
        </section>
        <section aria-labelledby="portal-orders" class="space-y-3">
            <h2 id="portal-orders" class="text-lg font-semibold text-slate-900">"Orders"</h2>
            {if orders.is_empty() {
                view! { <p class="text-sm text-slate-500">"No orders yet."</p> }.into_any()
            } else {
                view! { <OrderTable orders /> }.into_any()
            }}
        </section>
    }
}

fn every(s: &PortalSubscription) -> String {
    let unit = s.interval.as_str();
    if s.interval_count == 1 {
        format!("per {unit}")
    } else {
        format!("every {} {unit}s", s.interval_count)
    }
}

#[component]
fn SubscriptionCard(sub: PortalSubscription) -> impl IntoView {
    use crate::types::subscription::SubscriptionStatus;
    let live = matches!(
        sub.status,
        SubscriptionStatus::Active | SubscriptionStatus::PastDue
    );
    let next = if !live {
        None
    } else if sub.cancel_at_period_end {
        Some(view! { "Ends on " <LocalTime at=sub.current_period_end /> }.into_any())
    } else {
        Some(view! { "Renews on " <LocalTime at=sub.current_period_end /> }.into_any())
    };
    view! {
        <li class="rounded-xl border border-slate-200 bg-white p-4" data-subscription-id=sub.id.to_string()>
            <div class="flex flex-wrap items-center gap-3">
                <h3 class="font-semibold text-slate-900">{sub.product_name.clone()}</h3>
                <StatusBadge status=sub.status.as_str() />
                <span class="ml-auto font-semibold tabular-nums">
                    {format!("{} {}", money::format(sub.amount, &sub.currency), every(&sub))}
                </span>
            </div>
            {next.map(|n| view! { <p class="mt-2 text-sm text-slate-600">{n}</p> })}
        </li>
    }
}

#[component]
fn OrderTable(orders: Vec<PortalOrder>) -> impl IntoView {
    view! {
        <div class="overflow-x-auto rounded-xl border border-slate-200 bg-white">
            <table class="min-w-full divide-y divide-slate-200 text-sm">
                <thead class="bg-slate-50 text-left text-xs font-semibold uppercase tracking-wide text-slate-500">
                    <tr>
                        <th scope="col" class="px-4 py-2">"Product"</th>
                        <th scope="col" class="px-4 py-2 text-right">"Amount"</th>
                        <th scope="col" class="px-4 py-2">"Status"</th>
                        <th scope="col" class="px-4 py-2">"Date"</th>
                    </tr>
                </thead>
                <tbody class="divide-y divide-slate-100">
                    {orders.into_iter().map(|o| view! {
                        <tr data-order-id=o.id.to_string()>
                            <td class="px-4 py-2 font-medium text-slate-900">{o.product_name.clone()}</td>
                            <td class="px-4 py-2 text-right tabular-nums">
                                {money::format(o.amount, &o.currency)}
                                {(o.refunded_amount > 0).then(|| view! {
                                    <span class="block text-xs text-slate-500">
                                        {format!("{} refunded", money::format(o.refunded_amount, &o.currency))}
                                    </span>
                                })}
                            </td>
                            <td class="px-4 py-2"><StatusBadge status=o.status.as_str() /></td>
                            <td class="px-4 py-2 whitespace-nowrap text-slate-600"><LocalTime at=o.at /></td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}
