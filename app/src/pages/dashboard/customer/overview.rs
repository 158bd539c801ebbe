//! The Overview tab: net revenue per month, the last transaction in detail, and the rest of
//! the profile.

use leptos::prelude::*;

use super::chart::RevenueChart;
use super::{load_error, loading, use_customer};
use crate::components::badge::StatusBadge;
use crate::components::card::CARD;
use crate::components::time::LocalTime;
use crate::types::money;

/// A year of net revenue, the last transaction (payment method, provider payment id, IP,
/// amount, status) and the profile fields the header leaves out.
#[component]
pub fn OverviewTab() -> impl IntoView {
    let ctx = use_customer();
    let body = move || {
        Suspend::new(async move {
            let data = match ctx.page.await {
                Ok(d) => d,
                Err(e) => return load_error(&e),
            };
            let row = |label: &'static str, value: Option<String>| {
                view! {
                    <div class="grid grid-cols-3 gap-4 px-4 py-2.5">
                        <dt class="text-sm text-slate-500">{label}</dt>
                        <dd class="col-span-2 break-all text-sm text-slate-900">
                            {value.unwrap_or_else(|| "—".to_owned())}
                        </dd>
                    </div>
                }
            };
            let time_row = |label: &'static str, at: chrono::DateTime<chrono::Utc>| {
                view! {
                    <div class="grid grid-cols-3 gap-4 px-4 py-2.5">
                        <dt class="text-sm text-slate-500">{label}</dt>
                        <dd class="col-span-2 text-sm text-slate-900">
                            <LocalTime at />
                        </dd>
                    </div>
                }
            };
            // A name or an email is cut with an ellipsis (whole in the tooltip), never broken
            // inside a word.
            let one_line = |label: &'static str, value: Option<String>| {
                let value = value.unwrap_or_else(|| "—".to_owned());
                let whole = value.clone();
                view! {
                    <div class="grid grid-cols-3 gap-4 px-4 py-2.5">
                        <dt class="text-sm text-slate-500">{label}</dt>
                        <dd class="col-span-2 truncate text-sm text-slate-900" title=whole>{value}</dd>
                    </div>
                }
            };
            let c = data.customer;
            let currency = data.stats.currency;
            let chart = view! { <RevenueChart points=data.revenue currency /> };
            let last = match data.last_order {
                Some(o) => view! {
                    <dl class="divide-y divide-slate-100" data-testid="last-transaction">
                        <div class="grid grid-cols-3 gap-4 px-4 py-2.5">
                            <dt class="text-sm text-slate-500">"Status"</dt>
                            <dd class="col-span-2"><StatusBadge status=o.status /></dd>
                        </div>
                        {row("Amount", Some(money::format(o.amount, o.currency)))}
                        {row("Product", Some(o.product_name.clone()))}
                        {row("Payment method", o.payment_method.as_ref().map(|p| p.label()))}
                        {row("Provider", Some(o.provider.clone()))}
                        {row("Provider payment id", o.provider_payment_id.clone())}
                        {row("IP address", o.ip.clone())}
                        {row("Order", Some(o.id.to_string()))}
                        {time_row("Date", o.paid_at.unwrap_or(o.created_at))}
                        {o.failure_message.clone().map(|m| row("Failure", Some(m)))}
                    </dl>
                }
                .into_any(),
                None => view! {
                    <p class="px-4 py-6 text-sm text-slate-500">"No transactions yet."</p>
                }
                .into_any(),
            };
            view! {
                {chart}
                <div class="mt-6 grid gap-6 lg:grid-cols-2">
                    <section class=CARD>
                        <h2 class="border-b border-slate-100 px-4 py-3 text-sm font-semibold">"Last transaction"</h2>
                        {last}
                    </section>
                    <section class=CARD>
                        <h2 class="border-b border-slate-100 px-4 py-3 text-sm font-semibold">"Profile"</h2>
                        <dl class="divide-y divide-slate-100">
                            {one_line("Name", c.name.clone())}
                            {one_line("Email", c.email.clone())}
                            {row("Phone", c.phone.clone())}
                            {row("Tax id", c.tax_id.clone())}
                            {row("Username", c.username.clone())}
                            {row("Profile URL", c.profile_url.clone())}
                            {time_row("Updated", c.updated_at)}
                        </dl>
                    </section>
                </div>
            }
            .into_any()
        })
    };
    view! { <Transition fallback=|| loading("the overview")>{body}</Transition> }
}
