//! `/portal/orders/<id>`: one order's receipt, to print or to download as a PDF.

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use super::accent::Accented;
use super::{PortalFrame, ShopHeading};
use crate::components::alert::Alert;
use crate::components::badge::StatusBadge;
use crate::components::card::CARD;
use crate::components::dialog::BTN;
use crate::components::hydration::use_hydrated;
use crate::components::time::{LocalTime, reader_offset, zone_query};
use crate::server_fns::portal::load_my_receipt;
use crate::types::AppError;
use crate::types::money;
use crate::types::order::OrderKind;
use crate::types::portal::PortalReceipt;

/// The receipt page.
#[component]
pub fn PortalReceiptPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let receipt = Resource::new(id, load_my_receipt);
    let body = move || {
        Suspend::new(async move {
            match receipt.await {
                Ok(r) => view! { <Receipt receipt=r /> }.into_any(),
                Err(AppError::NotFound { .. }) => view! {
                    <Alert large=true>"There is no such receipt among your purchases."</Alert>
                    <a href="/portal" class=BTN>"Back to your purchases"</a>
                }.into_any(),
                Err(AppError::Unauthenticated) => view! {
                    <Alert large=true>"Sign in to see your receipts: open the link in your latest receipt email."</Alert>
                }.into_any(),
                Err(e) => view! { <Alert large=true>{e.sentence()}</Alert> }.into_any(),
            }
        })
    };
    view! { <PortalFrame title="Receipt" width="max-w-2xl">{body}</PortalFrame> }
}

/// A receipt, with its print and PDF buttons.
#[component]
pub(crate) fn Receipt(receipt: PortalReceipt) -> impl IntoView {
    let r = receipt;
    let base = super::embed::portal_base();
    // Once the page is live, the PDF is asked for in the reader's zone at the payment, so it
    // prints the very time this page shows (the server's render, like the server, knows none).
    let hydrated = use_hydrated();
    let paid_at = r.paid_at;
    let pdf = format!("/portal/orders/{}/receipt.pdf", r.order_id);
    let pdf_href =
        Memo::new(
            move |_| match hydrated.get().then(|| reader_offset(paid_at)).flatten() {
                Some((offset, zone)) => format!("{pdf}?{}", zone_query(offset, &zone)),
                None => pdf.clone(),
            },
        );
    let heading = match &r.receipt_number {
        Some(n) => format!("Receipt {n}"),
        None => "Receipt".to_owned(),
    };
    let seller = r.seller.clone();
    let from = view! {
        <div data-testid="receipt-seller">
            <span class="block font-medium">{seller.legal_name}</span>
            {seller
                .address_lines
                .into_iter()
                .map(|line| view! { <span class="block">{line}</span> })
                .collect_view()}
            {seller.tax_id.map(|t| view! { <span class="block">{format!("Tax ID: {t}")}</span> })}
        </div>
    };
    let item = match r.kind {
        OrderKind::Renewal => format!("{} (renewal)", r.product_name),
        _ => r.product_name.clone(),
    };
    let billed: Vec<String> = [r.name.clone(), r.email.clone(), r.country.clone()]
        .into_iter()
        .flatten()
        .collect();
    // On a phone the label sits over its value, which has the card's whole width.
    let row = |label: &'static str, value: AnyView| {
        view! {
            <div class="grid gap-1 py-2 sm:grid-cols-3 sm:gap-4">
                <dt class="text-sm font-medium text-slate-600">{label}</dt>
                <dd class="min-w-0 text-sm break-words text-slate-900 sm:col-span-2">{value}</dd>
            </div>
        }
    };
    let print = move |_| {
        #[cfg(feature = "hydrate")]
        if let Some(w) = leptos::web_sys::window() {
            let _ = w.print();
        }
    };
    let accent = r.branding.accent_color.clone();
    view! {
        <Accented accent>
            <div class="flex flex-wrap gap-2 print:hidden">
                <a href=base class=BTN>"Back to your purchases"</a>
                <button type="button" class=BTN on:click=print>"Print"</button>
                <super::embed::FileLink
                    href=pdf_href
                    filename=format!("receipt-{}.pdf", r.order_id)
                    label="Download PDF"
                />
            </div>
            <article class=format!("{CARD} p-4 sm:p-6 print:border-0") data-testid="receipt">
                <ShopHeading branding=r.branding.clone() />
                <div class="mt-4 flex flex-wrap items-center gap-3">
                    <h1 class="text-2xl font-semibold tracking-tight text-slate-900" data-testid="receipt-heading">
                        {heading}
                    </h1>
                    <StatusBadge status=r.status />
                </div>
                <dl class="mt-4 divide-y divide-slate-100">
                    {row("From", from.into_any())}
                    {row("Order", view! { <span class="font-mono break-all">{r.order_id.to_string()}</span> }.into_any())}
                    {row("Date", view! { <span data-testid="receipt-date"><LocalTime at=r.paid_at with_zone=true /></span> }.into_any())}
                    {row("Item", view! { {item} }.into_any())}
                    {row("Amount paid", view! { <span class="font-semibold tabular-nums" data-testid="receipt-amount">{money::format(r.amount, r.currency)}</span> }.into_any())}
                    {r.payment_method.clone().map(|m| row("Paid with", view! { {m} }.into_any()))}
                    {(r.refunded_amount > 0).then(|| row("Refunded", view! { <span class="tabular-nums">{money::format(r.refunded_amount, r.currency)}</span> }.into_any()))}
                    {(!billed.is_empty()).then(|| row("Billed to", view! { {billed.join(", ")} }.into_any()))}
                </dl>
                <p class="mt-6 text-xs text-slate-500">{format!("Thank you for your purchase from {}.", r.branding.shop)}</p>
                {r.seller.support_email.clone().map(|email| view! {
                    <p class="mt-1 text-xs break-words text-slate-500" data-testid="receipt-support">
                        {format!("Questions about this purchase? Write to {email}.")}
                    </p>
                })}
            </article>
        </Accented>
    }
}
