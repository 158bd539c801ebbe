//! The Products view: what the customer bought, product by product, subscriptions and one-time
//! purchases apart. Each product shows its last action; "Details" shows the payment details of
//! its last successful transaction, and the arrow opens its transactions, with the same rows,
//! details and actions as the Orders tab.

use std::collections::HashSet;

use leptos::prelude::*;

use super::orders::{OrdersPage, fact};
use super::{load_error, loading, nothing, use_customer};
use crate::components::badge::StatusBadge;
use crate::components::card::CARD;
use crate::components::dialog::BTN_LINK;
use crate::components::time::LocalTime;
use crate::server_fns::customer::{list_orders, purchases_by_product};
use crate::types::money;
use crate::types::order::ProductPurchases;
use crate::types::product::ProductKind;
use crate::types::{Order, Role};

/// The customer's purchases grouped by product.
#[component]
pub fn ProductsTab() -> impl IntoView {
    let ctx = use_customer();
    let products = Resource::new(
        move || (ctx.id.get(), ctx.refresh.get()),
        |(id, _)| purchases_by_product(id),
    );
    // What is open lives here: an action refreshes the products, and they stay as they were.
    let open = Opened {
        transactions: RwSignal::new(HashSet::new()),
        details: RwSignal::new(HashSet::new()),
        orders: RwSignal::new(HashSet::new()),
    };
    let body = move || {
        Suspend::new(async move {
            let role = ctx.role().await;
            match products.await {
                Ok(list) if list.is_empty() => nothing("No purchases yet."),
                Ok(list) => {
                    let (subs, once): (Vec<_>, Vec<_>) = list
                        .into_iter()
                        .partition(|p| p.kind == ProductKind::Subscription);
                    view! {
                        <ProductGroup title="Subscriptions" id="products-subscriptions" products=subs role open />
                        <ProductGroup title="One-time purchases" id="products-one-time" products=once role open />
                    }
                    .into_any()
                }
                Err(e) => load_error(&e),
            }
        })
    };
    view! {
        <section class="space-y-6" aria-label="Products">
            <Transition fallback=|| loading("products")>{body}</Transition>
        </section>
    }
}

/// Which products show their transactions or details, and which orders are open.
#[derive(Clone, Copy)]
struct Opened {
    transactions: RwSignal<HashSet<String>>,
    details: RwSignal<HashSet<String>>,
    orders: RwSignal<HashSet<String>>,
}

fn toggle(set: RwSignal<HashSet<String>>, key: &str) {
    set.update(|s| {
        if !s.remove(key) {
            s.insert(key.to_owned());
        }
    });
}

#[component]
fn ProductGroup(
    title: &'static str,
    id: &'static str,
    products: Vec<ProductPurchases>,
    role: Role,
    open: Opened,
) -> impl IntoView {
    let count = products.len();
    view! {
        <section aria-labelledby=id data-testid=id>
            <h3 id=id class="mb-2 text-sm font-semibold text-slate-900">
                {title}
                <span class="ml-1 font-normal text-slate-500">{format!("({count})")}</span>
            </h3>
            {if products.is_empty() {
                view! { <p class="text-sm text-slate-500">"None."</p> }.into_any()
            } else {
                view! {
                    <ul class="space-y-2">
                        {products.into_iter().map(|p| view! { <ProductItem purchases=p role open /> }).collect_view()}
                    </ul>
                }
                .into_any()
            }}
        </section>
    }
}

#[component]
fn ProductItem(purchases: ProductPurchases, role: Role, open: Opened) -> impl IntoView {
    let pid = purchases.product_id.to_string();
    let shown = {
        let pid = pid.clone();
        Memo::new(move |_| open.transactions.with(|s| s.contains(&pid)))
    };
    let details_shown = {
        let pid = pid.clone();
        Memo::new(move |_| open.details.with(|s| s.contains(&pid)))
    };
    let orders_id = format!("product-{pid}-orders");
    let details_id = format!("product-{pid}-details");
    let last = purchases.last_order.clone();
    let n = purchases.orders_count;
    let paid = StoredValue::new(purchases.last_paid_order.clone());
    let product_id = StoredValue::new(pid.clone());
    view! {
        <li class=CARD data-testid="product" data-product-id=pid.clone()>
            <div class="flex flex-wrap items-center gap-x-4 gap-y-2 px-4 py-3">
                <button
                    type="button"
                    class="flex items-center gap-2 rounded text-left font-medium text-slate-900 hover:text-indigo-700 focus-visible:outline-2 focus-visible:outline-indigo-600"
                    aria-expanded=move || if shown.get() { "true" } else { "false" }
                    aria-controls=orders_id.clone()
                    aria-label=format!("Transactions of {}", purchases.product_name)
                    on:click=move |_| product_id.with_value(|p| toggle(open.transactions, p))
                >
                    <svg
                        aria-hidden="true"
                        viewBox="0 0 20 20"
                        class=move || if shown.get() { "size-4 rotate-90 transition-transform" } else { "size-4 transition-transform" }
                        fill="currentColor"
                    >
                        <path d="M7.2 4.2a.75.75 0 0 1 1.06 0l5.25 5.25a.75.75 0 0 1 0 1.06L8.26 15.8a.75.75 0 1 1-1.06-1.06L11.92 10 7.2 5.27a.75.75 0 0 1 0-1.06Z" />
                    </svg>
                    <span data-testid="product-name">{purchases.product_name.clone()}</span>
                </button>
                <span class="text-xs text-slate-500">
                    {format!("{n} order{}", if n == 1 { "" } else { "s" })}
                </span>
                <div class="flex flex-wrap items-center gap-x-3 gap-y-1 text-sm sm:ml-auto" data-testid="last-action">
                    <span class="text-xs text-slate-500">"Last action"</span>
                    <LocalTime at=last.paid_at.unwrap_or(last.created_at) class="text-slate-600" />
                    <span class="text-slate-700">
                        {last.payment_method.as_ref().map(|p| p.label()).unwrap_or_else(|| "No payment method".into())}
                    </span>
                    <StatusBadge status=last.status />
                    <span class="font-medium tabular-nums text-slate-900">{money::format(last.amount, last.currency)}</span>
                </div>
                <button
                    type="button"
                    class=BTN_LINK
                    aria-expanded=move || if details_shown.get() { "true" } else { "false" }
                    aria-controls=details_id.clone()
                    on:click=move |_| product_id.with_value(|p| toggle(open.details, p))
                >
                    {move || if details_shown.get() { "Hide details" } else { "Details" }}
                </button>
            </div>
            <Show when=move || details_shown.get()>
                <div id=format!("product-{}-details", product_id.get_value()) class="border-t border-slate-100 bg-slate-50 px-4 py-3">
                    {paid.get_value().map(|o| view! { <LastPayment order=o /> }.into_any()).unwrap_or_else(|| view! {
                        <p class="text-sm text-slate-600">"No successful payment for this product yet."</p>
                    }.into_any())}
                </div>
            </Show>
            <Show when=move || shown.get()>
                <div id=format!("product-{}-orders", product_id.get_value()) class="border-t border-slate-100 p-3">
                    <ProductOrders product_id=product_id.get_value() role expanded=open.orders />
                </div>
            </Show>
        </li>
    }
}

/// The payment details of a product's last successful transaction.
#[component]
fn LastPayment(order: Order) -> impl IntoView {
    view! {
        <div data-testid="last-payment">
            <h4 class="mb-2 text-xs font-semibold uppercase tracking-wide text-slate-500">"Last successful payment"</h4>
            <dl class="grid gap-3 text-sm sm:grid-cols-3 lg:grid-cols-4">
                {fact("Order", Some(order.id.to_string()))}
                {fact("Amount", Some(money::format(order.amount, order.currency)))}
                {fact("Payment method", order.payment_method.as_ref().map(|p| p.label()))}
                {fact("Country", order.payment_method.as_ref().and_then(|p| p.country.clone()))}
                {fact("Provider payment id", order.provider_payment_id.clone())}
                {fact("IP address", order.ip.clone())}
                {fact("Customer note", order.customer_note.clone())}
                <div>
                    <dt class="text-xs text-slate-500">"Paid"</dt>
                    <dd class="text-slate-900">{order.paid_at.map(|at| view! { <LocalTime at /> })}</dd>
                </div>
            </dl>
        </div>
    }
}

/// One product's transactions, newest first, paged.
#[component]
fn ProductOrders(
    product_id: String,
    role: Role,
    /// Which orders are open, kept above the refreshes.
    expanded: RwSignal<HashSet<String>>,
) -> impl IntoView {
    let ctx = use_customer();
    let cursors = RwSignal::new(Vec::<String>::new());
    let orders = Resource::new(
        move || {
            // Not keyed on the refresh counter: a refresh rebuilds the products, and with them
            // this resource; refetching one about to be disposed answers into a dropped scope.
            (
                ctx.id.get_untracked(),
                product_id.clone(),
                cursors.get().last().cloned(),
            )
        },
        |(id, product, after)| list_orders(id, None, Some(product), after),
    );
    let body = move || {
        Suspend::new(async move {
            match orders.await {
                Ok(page) => view! { <OrdersPage page role expanded cursors /> }.into_any(),
                Err(e) => load_error(&e),
            }
        })
    };
    view! { <Transition fallback=|| loading("transactions")>{body}</Transition> }
}
