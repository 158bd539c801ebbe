//! The hosted customer portal, as the end customer sees it: the shop's name and look, who is
//! signed in, their subscriptions (cancel at period end, keep) and their orders. Reached
//! through a one-time link from the shop, the link in a receipt, or a code by email
//! ([`sign_in`]).

mod accent;
mod embed;
mod items;
mod preview;
mod receipt;
mod sign_in;
mod subscriptions;

pub use embed::{EmbedFrame, EmbedOverviewPage, EmbedReceiptPage};
pub use preview::PortalPreview;
pub use receipt::PortalReceiptPage;
pub use sign_in::PortalSignInPage;

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::components::alert::Alert;
use crate::components::badge::StatusBadge;
use crate::components::card::CARD;
use crate::components::dialog::{BTN, Confirm, SendButton, Submission};
use crate::components::empty_state::Loading;
use crate::components::hydration::use_hydrated;
use crate::components::table::{Column, DataTable, TableExtra};
use crate::components::time::LocalTime;
use crate::server_fns::portal::{
    ChoosePortalCustomer, PortalSignOut, RequestMyErasure, load_portal,
};
use crate::types::money;
use crate::types::portal::{
    PortalBranding, PortalChoices, PortalOrder, PortalOverview, PortalState,
};
use accent::{Accented, PORTAL_LINK, accent_style};
use embed::{FileLink, embedded, portal_base};
use subscriptions::SubscriptionCard;

pub(crate) use crate::components::TOUCH;

/// `/portal`: the signed-in customer's overview, or how to get in.
#[component]
pub fn PortalPage() -> impl IntoView {
    let refresh = RwSignal::new(0_u32);
    let overview = Resource::new(move || refresh.get(), |_| load_portal());
    let body = move || {
        Suspend::new(async move {
            match overview.await {
                Ok(PortalState::SignedIn(o)) => {
                    view! { <Overview overview=*o refresh /> }.into_any()
                }
                Ok(PortalState::Choosing(c)) => view! { <Choose choices=c refresh /> }.into_any(),
                Ok(PortalState::SignedOut) => view! { <SignedOut /> }.into_any(),
                Err(e) => view! { <Alert large=true>{e.sentence()}</Alert> }.into_any(),
            }
        })
    };
    view! { <PortalFrame title="Your purchases" width="max-w-3xl">{body}</PortalFrame> }
}

/// Every portal page's frame: its title, the page, a column `width` wide, and "Loading…"
/// until the page's data arrives. The page is marked `data-hydrated` once interactive. The
/// frame holds the default accent (`--accent`); a page that knows the shop sets the shop's
/// own inside it ([`Accented`]).
#[component]
pub(crate) fn PortalFrame(
    /// The document title.
    #[prop(into)]
    title: String,
    /// A Tailwind max-width class for the column.
    width: &'static str,
    /// The page's body.
    children: Children,
) -> impl IntoView {
    let hydrated = use_hydrated();
    view! {
        <Title text=title />
        <main
            class=format!("min-h-screen bg-slate-50 px-4 py-8 sm:px-6 print:bg-white print:p-0 {TOUCH}")
            style=accent_style(None)
            data-hydrated=move || hydrated.get().then_some("true")
        >
            <div class=format!("mx-auto {width} space-y-6 print:space-y-4")>
                <Suspense fallback=|| view! { <Loading /> }>
                    {children()}
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
        <section class=format!("{CARD} p-6") data-testid="portal-signed-out">
            <h1 class="text-xl font-semibold text-slate-900">"Your purchases"</h1>
            <Show when=expired>
                <p class="mt-3 rounded-md bg-amber-50 px-3 py-2 text-sm text-amber-800" role="status">
                    "This sign-in link has expired or was already used."
                </p>
            </Show>
            <p class="mt-3 text-sm text-slate-600">
                "To see your orders and subscriptions, open the link in your latest receipt from the shop, or sign in with a code on the shop's portal page."
            </p>
        </section>
    }
}

/// The shop's name, logo and accent colour above every portal page.
#[component]
pub(crate) fn ShopHeading(branding: PortalBranding) -> impl IntoView {
    // The same colour as the page's buttons: the default for none, or one too light to read.
    view! {
        <div class="h-1 w-16 rounded-full bg-[color:var(--accent)]" style=accent::accent_style(branding.accent_color.as_deref()) aria-hidden="true" data-testid="portal-accent"></div>
        <div class="mt-3 flex items-center gap-3">
            {branding.logo_url.clone().map(|src| view! {
                <img src=src alt="" class="size-10 rounded-md object-contain" referrerpolicy="no-referrer" />
            })}
            <p class="text-sm font-semibold text-slate-700" data-testid="portal-shop">{branding.shop.clone()}</p>
        </div>
    }
}

/// After a code sign-in as an address several customer records share: which one to be.
#[component]
fn Choose(choices: PortalChoices, refresh: RwSignal<u32>) -> impl IntoView {
    let choosing = Submission::<ChoosePortalCustomer>::new(move |_| refresh.update(|n| *n += 1));
    view! {
        <section
            class=format!("{CARD} p-6")
            style=accent_style(choices.branding.accent_color.as_deref())
            data-testid="portal-choose"
        >
            <ShopHeading branding=choices.branding.clone() />
            <h1 class="mt-4 text-xl font-semibold text-slate-900">"Which account?"</h1>
            <p class="mt-2 text-sm text-slate-600">
                {format!("{} has bought as more than one customer. Choose whose purchases to see.", choices.email)}
            </p>
            <ul class="mt-4 space-y-2">
                {choices.customers.into_iter().map(|c| {
                    let id = c.id.to_string();
                    let name = c.name.clone().unwrap_or_else(|| "Unnamed customer".into());
                    view! {
                        <li>
                            <SendButton
                                submission=choosing
                                send=move || ChoosePortalCustomer { customer_id: id.clone() }
                                class="w-full rounded-lg border border-slate-200 px-4 py-3 text-left hover:border-[color:var(--accent)] hover:bg-slate-50 focus-visible:outline-2 focus-visible:outline-[color:var(--accent)] disabled:opacity-60"
                            >
                                <span class="block font-medium text-slate-900">{name}</span>
                                <span class="block text-sm text-slate-600">
                                    {format!("{} order{} · customer since ", c.order_count, if c.order_count == 1 { "" } else { "s" })}
                                    <LocalTime at=c.since />
                                </span>
                            </SendButton>
                        </li>
                    }
                }).collect_view()}
            </ul>
            {move || choosing.error().get().map(|e| view! { <div class="mt-3"><Alert>{e}</Alert></div> })}
        </section>
    }
}

/// The signed-in customer's purchases. Inside a merchant's page there is no "Back to the
/// shop" and no "Sign out": the page around it is the shop, and it ends the session.
#[component]
pub(crate) fn Overview(overview: PortalOverview, refresh: RwSignal<u32>) -> impl IntoView {
    let embedded = embedded().is_some();
    let signing_out = Submission::<PortalSignOut>::new(move |_| refresh.update(|n| *n += 1));
    let who = overview
        .name
        .clone()
        .or_else(|| overview.email.clone())
        .unwrap_or_default();
    // The address too, when the line names the customer by name.
    let signed_in = match overview
        .email
        .clone()
        .filter(|e| overview.name.is_some() && Some(e) != overview.name.as_ref())
    {
        Some(email) => format!("Signed in as {who} ({email})"),
        None => format!("Signed in as {who}"),
    };
    let signed_in_title = signed_in.clone();
    let subscriptions = overview.subscriptions;
    let orders = overview.orders;
    let items = overview.items;
    let read_only = overview.read_only;
    let banned = overview.banned;
    let shop = overview.shop.clone();
    let erasure_due = overview.erasure_due_at;
    let accent = overview.branding.accent_color.clone();
    let erase_open = RwSignal::new(false);
    let erase_error = RwSignal::new(None::<String>);
    let asking = Submission::<RequestMyErasure>::reporting_to(erase_error, move |_| {
        erase_open.set(false);
        refresh.update(|n| *n += 1);
    });
    view! {
        <Accented accent>
            {read_only.then(|| view! {
                <p class="rounded-md border border-amber-300 bg-amber-50 px-3 py-2 text-sm text-amber-900" role="status" data-testid="portal-read-only">
                    <strong>"Read-only view. "</strong>
                    {format!("You are seeing {}'s portal as the shop. Nothing here can be changed from this view.", who)}
                </p>
            })}
            {(banned && !read_only).then(|| view! {
                <p class="rounded-md border border-slate-200 bg-white px-3 py-2 text-sm text-slate-700" role="status">
                    "This account can no longer buy from the shop or renew subscriptions. You keep what you have already paid for until it ends."
                </p>
            })}
            // On a phone: the shop, the heading, who is signed in (one line, cut short with an
            // ellipsis), then the actions in a row under them. From `sm` up the actions sit beside
            // the heading, and go under it only when there is no room.
            <header class="flex flex-col gap-4 sm:flex-row sm:flex-wrap sm:items-center sm:gap-3">
                <div class="min-w-0 sm:grow sm:basis-64">
                    <ShopHeading branding=overview.branding.clone() />
                    <h1 class="text-2xl font-semibold tracking-tight text-slate-900">"Your purchases"</h1>
                    <p class="truncate text-sm text-slate-600" title=signed_in_title data-testid="portal-customer">
                        {signed_in}
                    </p>
                </div>
                <div class="flex flex-wrap items-center gap-2 sm:gap-3">
                    {overview.return_url.clone().filter(|_| !embedded).map(|url| view! {
                        <a href=url class=BTN>{format!("Back to {}", overview.shop)}</a>
                    })}
                    <FileLink href="/portal/data_export.json" filename="my-data.json" label="Download my data" />
                    {(!read_only && erasure_due.is_none()).then(|| view! {
                        <button
                            type="button"
                            class=BTN
                            on:click=move |_| {
                                erase_error.set(None);
                                erase_open.set(true);
                            }
                        >
                            "Erase my data"
                        </button>
                    })}
                    {(!embedded).then(|| view! {
                        <SendButton submission=signing_out send=|| PortalSignOut {} class=BTN>
                            "Sign out"
                        </SendButton>
                    })}
                </div>
            </header>
            {move || signing_out.error().get().map(|e| view! { <Alert>{e}</Alert> })}
            {erasure_due.map(|due| view! {
                <p class="rounded-md border border-slate-200 bg-white px-3 py-2 text-sm text-slate-700" role="status" data-testid="portal-erasure">
                    {format!("You asked {shop} to erase your personal data. The law gives them until ")}
                    <LocalTime at=due />
                    "."
                </p>
            })}
            <Confirm
                open=erase_open
                title=format!("Ask {} to erase your data?", overview.shop)
                message="The shop will erase your name, email and other personal details, everywhere it keeps them, within a month as the law requires. Your subscriptions will be canceled and you will no longer be able to sign in here. Records of your payments stay, without your name, for the shop's accounts.".to_owned()
                confirm_label="Ask to erase my data".to_owned()
                busy=asking.busy()
                error=erase_error
                on_confirm=Callback::new(move |()| asking.submit(RequestMyErasure {}))
            />
            <section aria-labelledby="portal-subscriptions" class="space-y-3">
                <h2 id="portal-subscriptions" class="text-lg font-semibold text-slate-900">"Subscriptions"</h2>
                {if subscriptions.is_empty() {
                    view! { <p class="text-sm text-slate-500">"No subscriptions."</p> }.into_any()
                } else {
                    view! {
                        <ul class="space-y-3">
                            {subscriptions.into_iter().map(|s| {
                                let history: Vec<PortalOrder> = orders
                                    .iter()
                                    .filter(|o| o.subscription_id.as_ref() == Some(&s.id))
                                    .cloned()
                                    .collect();
                                view! { <SubscriptionCard sub=s history read_only banned refresh /> }
                            }).collect_view()}
                        </ul>
                    }
                    .into_any()
                }}
            </section>
            <section aria-labelledby="portal-items" class="space-y-3">
                <h2 id="portal-items" class="text-lg font-semibold text-slate-900">"Keys, files and perks"</h2>
                <items::Items items read_only refresh />
            </section>
            <section aria-labelledby="portal-orders" class="space-y-3">
                <h2 id="portal-orders" class="text-lg font-semibold text-slate-900">"Orders"</h2>
                {if orders.is_empty() {
                    view! { <p class="text-sm text-slate-500">"No orders yet."</p> }.into_any()
                } else {
                    view! { <OrderTable orders /> }.into_any()
                }}
            </section>
        </Accented>
    }
}

/// The orders: the shared table from `sm` up. Below it each order is a card of two lines (the
/// product and its amount, then its status, date and receipt) and the column heads are for
/// screen readers.
const ORDERS: TableExtra = TableExtra {
    table: "max-sm:block",
    head: "max-sm:sr-only",
    body: "max-sm:block",
    ..TableExtra::NONE
};

/// A cell's padding in the table (the shared `TD`'s, from `sm` up); a card's row has its own.
const CELL: &str = "sm:px-3 sm:py-2.5";

#[component]
fn OrderTable(orders: Vec<PortalOrder>) -> impl IntoView {
    let base = portal_base();
    view! {
        <DataTable
            extra=ORDERS
            columns=vec![
                Column::new("Product"),
                Column::numeric("Amount"),
                Column::new("Status"),
                Column::new("Date"),
                Column::hidden("Receipt"),
            ]
        >
            {orders.into_iter().map(|o| view! {
                <tr
                    class="grid grid-cols-[auto_1fr_auto] items-center gap-x-3 gap-y-1 px-4 py-3 sm:table-row"
                    data-order-id=o.id.to_string()
                >
                    <td class=format!("col-span-2 min-w-0 break-words font-medium text-slate-900 {CELL}")>
                        {o.product_name.clone()}
                    </td>
                    <td class=format!("text-right tabular-nums {CELL}")>
                        {money::format(o.amount, o.currency)}
                        {(o.refunded_amount > 0).then(|| view! {
                            <span class="block text-xs text-slate-500">
                                {format!("{} refunded", money::format(o.refunded_amount, o.currency))}
                            </span>
                        })}
                    </td>
                    <td class=CELL><StatusBadge status=o.status /></td>
                    <td class=format!("min-w-0 text-slate-600 sm:whitespace-nowrap {CELL}")><LocalTime at=o.at /></td>
                    <td class=format!("text-right {CELL}")>
                        {o.paid.then(|| view! {
                            <a href=format!("{base}/orders/{}", o.id) class=PORTAL_LINK>"Receipt"</a>
                        })}
                    </td>
                </tr>
            }).collect_view()}
        </DataTable>
    }
}
