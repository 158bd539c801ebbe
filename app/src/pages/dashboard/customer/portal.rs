//! The customer's portal, from the merchant's side: open it as the customer (a read-only view,
//! audited), and copy or rotate the signed link their receipts carry.

use leptos::prelude::*;

use super::use_customer;
use crate::components::alert::Alert;
use crate::components::dialog::{BTN, BTN_DANGER, Dialog, SendButton, Submission};
use crate::components::time::LocalTime;
use crate::server_fns::customer::{CopyPortalLink, RotatePortalLink};
use crate::types::portal::PortalLink;

/// "Open portal as customer" (a form that posts, in a new tab) and, for roles that may,
/// "Portal link".
#[component]
pub(super) fn PortalButtons(can_share: bool) -> impl IntoView {
    let ctx = use_customer();
    let open = RwSignal::new(false);
    let link = RwSignal::new(None::<PortalLink>);
    let copied = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let shown = move |l: &PortalLink| {
        copied.set(false);
        link.set(Some(l.clone()));
    };
    let minting = Submission::<CopyPortalLink>::reporting_to(error, shown);
    let rotating = Submission::<RotatePortalLink>::reporting_to(error, shown);
    let copy = move |_| {
        #[cfg(feature = "hydrate")]
        if let (Some(l), Some(w)) = (link.get_untracked(), leptos::web_sys::window()) {
            let _ = w.navigator().clipboard().write_text(&l.url);
            copied.set(true);
        }
    };
    view! {
        // Opening the view mints a session and is audited, so it is a POST (never a link a
        // crawler, a preview or another site could follow). `contents` leaves the button in
        // the row of buttons, as the link it replaces was.
        <form
            method="post"
            action=move || format!("/dashboard/customers/{}/portal", ctx.id.get())
            target="_blank"
            class="contents"
        >
            <button
                type="submit"
                class=BTN
                title="A read-only view of what this customer sees in the portal"
            >
                "Open portal as customer"
            </button>
        </form>
        {can_share.then(|| view! {
            <button
                type="button"
                class=BTN
                on:click=move |_| {
                    link.set(None);
                    error.set(None);
                    open.set(true);
                    minting.submit(CopyPortalLink { id: ctx.id.get_untracked() });
                }
            >
                "Portal link"
            </button>
        })}
        <Dialog open title="Portal link">
            <p class="text-sm text-slate-600">
                "The customer's own link into the portal, as their receipts carry. It works for 30 days. Send it only to the customer: anyone with it sees their purchases."
            </p>
            {move || match link.get() {
                Some(l) => view! {
                    <div class="mt-3 space-y-2">
                        <label for="portal-link-url" class="sr-only">"Portal link"</label>
                        <input
                            id="portal-link-url"
                            readonly
                            class="block w-full rounded-md border border-slate-300 bg-slate-50 px-2.5 py-1.5 font-mono text-xs"
                            prop:value=l.url.clone()
                            data-testid="portal-link-url"
                            on:focus=|ev| {
                                use leptos::wasm_bindgen::JsCast;
                                if let Some(i) = ev.target().and_then(|t| t.dyn_into::<leptos::web_sys::HtmlInputElement>().ok()) {
                                    i.select();
                                }
                            }
                        />
                        <p class="text-xs text-slate-500">"Works until " <LocalTime at=l.expires_at /></p>
                    </div>
                }.into_any(),
                None => view! { <p class="mt-3 text-sm text-slate-500">"Making the link…"</p> }.into_any(),
            }}
            {move || error.get().map(|e| view! { <div class="mt-3"><Alert>{e}</Alert></div> })}
            <div class="mt-4 flex flex-wrap justify-between gap-2">
                <SendButton
                    submission=rotating
                    send=move || RotatePortalLink { id: ctx.id.get_untracked() }
                    class=BTN_DANGER
                    title="Every portal link sent before stops working, and the customer is signed out of the portal"
                >
                    {move || if rotating.busy().get() { "Rotating…" } else { "Rotate link" }}
                </SendButton>
                <div class="flex gap-2">
                    <button type="button" class=BTN on:click=move |_| open.set(false)>"Close"</button>
                    <button type="button" class=BTN disabled=move || link.get().is_none() on:click=copy>
                        {move || if copied.get() { "Copied" } else { "Copy link" }}
                    </button>
                </div>
            </div>
            <p class="mt-3 text-xs text-slate-500">
                "Rotate link: every portal link sent before, in receipts or copied here, stops working, and the customer is signed out of the portal."
            </p>
        </Dialog>
    }
}
