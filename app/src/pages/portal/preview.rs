//! The portal as a customer sees it, with a sample order, for the dashboard's settings: the
//! shop's heading, an order with its receipt link and a primary button, in the look being
//! chosen. Made of the portal's own pieces and classes, so it cannot drift from the portal.

use chrono::{DateTime, Utc};
use leptos::prelude::*;

use super::accent::{PORTAL_BTN_PRIMARY, accent_style, accent_vars};
use super::{OrderTable, ShopHeading};
use crate::types::OrderId;
use crate::types::colour::Colour;
use crate::types::money::CurrencyCode;
use crate::types::order::OrderStatus;
use crate::types::portal::{PortalBranding, PortalOrder};

/// The sample order: paid, with a receipt. Fixed to the last byte (its id, its date), so the
/// server's page and the browser's agree.
fn sample_order() -> Option<PortalOrder> {
    Some(PortalOrder {
        id: OrderId::parse("ord_00000000000000000000000000").ok()?,
        product_name: "Starter Kit".to_owned(),
        amount: 1499,
        currency: CurrencyCode::EUR,
        refunded_amount: 0,
        status: OrderStatus::Paid,
        // 2026-01-01 00:00 UTC.
        at: DateTime::<Utc>::from_timestamp(1_767_225_600, 0)?,
        paid: true,
        subscription_id: None,
    })
}

/// The preview, following `branding` as it is typed or picked. The accent is shown as typed,
/// even one too light to be saved, so the merchant sees why it is refused. It is a picture:
/// hidden from screen readers and out of reach of the keyboard and the mouse (`inert`), so its
/// sample button and link are never taken for the page's own.
#[component]
pub fn PortalPreview(
    /// The shop as the settings stand, saved or not.
    #[prop(into)]
    branding: Signal<PortalBranding>,
) -> impl IntoView {
    let style = move || {
        branding.with(|b| {
            b.accent_color
                .as_deref()
                .and_then(Colour::parse)
                .map_or_else(|| accent_style(None), accent_vars)
        })
    };
    let order = sample_order();
    view! {
        <div
            class="space-y-4 rounded-md bg-slate-50 p-4"
            style=style
            aria-hidden="true"
            inert
            data-testid="portal-preview"
        >
            {move || view! { <ShopHeading branding=branding.get() /> }}
            <p class="text-lg font-semibold text-slate-900">"Your purchases"</p>
            {order.map(|o| view! { <OrderTable orders=vec![o] /> })}
            <button type="button" class=PORTAL_BTN_PRIMARY tabindex="-1">
                "Email me a code"
            </button>
        </div>
    }
}
