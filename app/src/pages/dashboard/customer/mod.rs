//! `/dashboard/customers/:id/...`: one customer. The header (who, what they are worth, the
//! actions) stays while the tabs below switch by URL without a reload; every action refreshes
//! the header and the open tab through one shared counter.

mod activity;
mod ban;
mod chart;
mod details;
mod edit;
mod inventory;
mod merge;
mod metadata;
mod orders;
mod overview;
mod portal;
mod products;
mod subscriptions;

use chrono::{DateTime, Utc};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::{A, Outlet};
use leptos_router::hooks::use_params_map;

pub use activity::ActivityTab;
pub use details::PaymentDetailsTab;
pub use inventory::InventoryTab;
pub use metadata::MetadataTab;
pub use orders::OrdersTab;
pub use overview::OverviewTab;
pub use products::ProductsTab;
pub use subscriptions::SubscriptionsTab;

use crate::components::alert::{Alert, Tone};
use crate::components::card::CARD;
use crate::components::dialog::{BTN, BTN_DANGER, Confirm, Submission};
use crate::components::empty_state::Loading;
use crate::components::table::{Column, DataTable, MINI, TableStyle};
use crate::server_fns::customer::{
    ArchiveCustomer, EraseCustomer, UnarchiveCustomer, load_customer_page,
};
use crate::types::activity::CustomerPageData;
use crate::types::{AppError, Customer, CustomerStats, Role, Scope, money};

/// What every tab shares: which customer, the header's data, and the refresh counter.
#[derive(Debug, Clone, Copy)]
pub struct CustomerCtx {
    /// The customer's id, from the URL.
    pub id: Memo<String>,
    /// Bumped after every change: the header and the open tab read it and reload.
    pub refresh: RwSignal<u64>,
    /// The header's data (also the viewer's role).
    pub page: Resource<Result<CustomerPageData, AppError>>,
}

impl CustomerCtx {
    /// Reloads the header and the open tab.
    pub fn changed(&self) {
        self.refresh.update(|n| *n += 1);
    }

    /// The viewer's role once the header has loaded (viewer until then: nothing to click).
    pub async fn role(&self) -> Role {
        self.page.await.map(|p| p.role).unwrap_or(Role::Viewer)
    }
}

/// The lifetime value's breakdown per currency: [`MINI`] full width in tabular figures, its
/// heads medium and unpadded, its rows undivided.
const PER_CURRENCY_TABLE: TableStyle = TableStyle {
    table: "mt-2 w-full tabular-nums",
    cell: "font-medium",
    body: "",
    ..MINI
};

/// The customer context the page provides.
pub fn use_customer() -> CustomerCtx {
    expect_context::<CustomerCtx>()
}

/// `2026-11-21`.
pub fn day(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d").to_string()
}

/// `2026-11-21 14:05 UTC`, for times inside a sentence; a time standing alone is a
/// [`LocalTime`](crate::components::time::LocalTime).
pub fn minute(t: DateTime<Utc>) -> String {
    crate::components::time::utc_minute(t)
}

/// The customer page: header, stats, chart, tabs.
#[component]
pub fn CustomerPage() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| params.read().get("id").unwrap_or_default());
    let refresh = RwSignal::new(0_u64);
    let page = Resource::new(
        move || (id.get(), refresh.get()),
        |(id, _)| load_customer_page(id),
    );
    let ctx = CustomerCtx { id, refresh, page };
    provide_context(ctx);

    let body = move || {
        Suspend::new(async move {
            match page.await {
                Ok(data) => view! { <Header data /> }.into_any(),
                Err(AppError::NotFound { .. }) => view! {
                    <Title text="Customer not found" />
                    <Alert tone=Tone::Warning large=true>
                        "No customer with this id in your workspace."
                    </Alert>
                }
                .into_any(),
                Err(e) => view! { <Alert large=true>{e.to_string()}</Alert> }.into_any(),
            }
        })
    };
    view! {
        <div class="mx-auto max-w-6xl space-y-6">
            <a href="/dashboard/customers" class="text-sm font-medium text-indigo-600 hover:text-indigo-500">
                "← Customers"
            </a>
            <Transition fallback=|| {
                view! { <p class="text-sm text-slate-500">"Loading the customer…"</p> }
            }>{body}</Transition>
            // Outside the header's transition: a change reloads the header, not the open tab's
            // state (its filter, its expanded rows).
            <Tabs />
            <Outlet />
        </div>
    }
}

fn initials(c: &Customer) -> String {
    let source = c.name.as_deref().or(c.email.as_deref()).unwrap_or("?");
    let letters: String = source
        .split(|ch: char| ch.is_whitespace() || ch == '.' || ch == '@')
        .filter_map(|w| w.chars().next())
        .take(2)
        .collect();
    letters.to_uppercase()
}

#[component]
fn Header(data: CustomerPageData) -> impl IntoView {
    let ctx = use_customer();
    let CustomerPageData {
        customer,
        stats,
        revenue,
        role,
        ban,
        erasure_request,
        merge,
        ..
    } = data;
    let merged = customer.merged_into.is_some();
    let can_merge = role.allows(Scope::CustomersMerge) && customer.erased_at.is_none() && !merged;
    let merge_open = RwSignal::new(false);
    let merge_banner = merge.map(|m| {
        view! {
            <merge::MergeBanner merge=m me=customer.clone() can_undo=role.allows(Scope::CustomersMerge) />
        }
        .into_any()
    });
    // Made when opened: its searches and preview belong to the browser, not to the page's
    // server rendering.
    let merge_dialog = can_merge.then(|| {
        let c = customer.clone();
        view! {
            {move || {
                merge_open
                    .get()
                    .then(|| view! { <merge::MergeDialog open=merge_open customer=c.clone() /> })
            }}
        }
        .into_any()
    });
    // A merged customer is a tombstone: like an erased one, it takes no action.
    let erased = customer.erased_at.is_some() || merged;
    let can_ban = role.allows(Scope::BansWrite) && !erased;
    let can_share_portal = role.allows(Scope::PortalWrite) && !erased;
    let can_erase = role.allows(Scope::CustomersErase) && !erased;
    let ban_open = RwSignal::new(false);
    let banned = ban.is_some();
    let banner = ban.map(|b| {
        view! { <ban::BanBanner ban=b customer=customer.clone() can_edit=can_ban /> }.into_any()
    });
    let name = if customer.erased_at.is_some() {
        "Erased customer".to_owned()
    } else {
        customer.display_name().to_owned()
    };
    let archived = customer.archived_at.is_some();
    let can_edit = role.allows(Scope::CustomersWrite) && !erased;
    let erase_open = RwSignal::new(false);
    let erase_error = RwSignal::new(None::<String>);
    let erasing = Submission::<EraseCustomer>::reporting_to(erase_error, move |_| {
        erase_open.set(false);
        ctx.changed();
    });
    let erase = Callback::new(move |()| {
        erasing.submit(EraseCustomer {
            id: ctx.id.get_untracked(),
        })
    });
    let live = stats.active_subscriptions;
    let erase_message = format!(
        "This cannot be undone. Their email, name, phone, tax id, username, profile link, external id, metadata, IP addresses and notes are cleared everywhere Patron keeps them, the activity and webhook logs included, and their portal links stop working.{} What remains is an anonymised record with its orders, refunds and amounts for your accounts; bans that match them keep working.",
        match live {
            0 => String::new(),
            1 => " Their active subscription is canceled first.".to_owned(),
            n => format!(" Their {n} active subscriptions are canceled first."),
        }
    );
    let erasure_banner = erasure_request.filter(|_| !erased).map(|r| {
        view! {
            <div class="flex flex-wrap items-center gap-3 rounded-xl border border-amber-300 bg-amber-50 px-4 py-3" role="status" data-testid="erasure-request">
                <p class="min-w-0 flex-1 text-sm text-amber-900">
                    <strong>"Erasure requested. "</strong>
                    {format!(
                        "The customer asked on {} to have their personal data erased; the law gives you until {}.",
                        day(r.requested_at),
                        day(r.due_at)
                    )}
                </p>
                {can_erase.then(|| view! {
                    <button type="button" class=BTN_DANGER on:click=move |_| {
                        erase_error.set(None);
                        erase_open.set(true);
                    }>
                        "Erase now"
                    </button>
                })}
            </div>
        }
        .into_any()
    });
    let edit_open = RwSignal::new(false);
    let archive_open = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let done = move |_: &Customer| {
        archive_open.set(false);
        ctx.changed();
    };
    let archiving = Submission::<ArchiveCustomer>::reporting_to(error, done);
    let unarchiving = Submission::<UnarchiveCustomer>::reporting_to(error, done);
    let archive = Callback::new(move |()| {
        let id = ctx.id.get_untracked();
        if archived {
            unarchiving.submit(UnarchiveCustomer { id });
        } else {
            archiving.submit(ArchiveCustomer { id });
        }
    });
    let fact = |label: &'static str, value: Option<String>| {
        view! {
            <div>
                <dt class="text-xs font-medium uppercase tracking-wide text-slate-500">{label}</dt>
                <dd class="mt-0.5 break-all text-sm text-slate-900">
                    {value.unwrap_or_else(|| "—".to_owned())}
                </dd>
            </div>
        }
    };
    let currency = stats.currency;
    let name_for_dialog = name.clone();
    // Each part is erased to `AnyView`: nested as one type, the header is too deep for rustc.
    let header = view! {
        <Title text=name.clone() />
        <header class=format!("{CARD} p-5") data-testid="customer-header">
            <div class="flex flex-wrap items-start gap-4">
                <div
                    class="grid size-14 shrink-0 place-items-center rounded-full bg-indigo-100 text-lg font-semibold text-indigo-700"
                    aria-hidden="true"
                >
                    {initials(&customer)}
                </div>
                <div class="min-w-0 flex-1">
                    <div class="flex flex-wrap items-center gap-2">
                        <h1 class="text-2xl font-semibold tracking-tight">{name}</h1>
                        {(archived && !erased).then(|| view! {
                            <span class="rounded-full bg-slate-200 px-2 py-0.5 text-xs font-medium text-slate-700">
                                "Archived"
                            </span>
                        })}
                        {merged.then(|| view! {
                            <span class="rounded-full bg-indigo-100 px-2 py-0.5 text-xs font-medium text-indigo-800" data-testid="merged-badge">
                                "Merged"
                            </span>
                        })}
                        {customer.erased_at.map(|at| view! {
                            <span class="rounded-full bg-slate-800 px-2 py-0.5 text-xs font-medium text-white" data-testid="erased-badge">
                                {format!("Erased on {}", day(at))}
                            </span>
                        })}
                    </div>
                    <p class="mt-1 font-mono text-xs text-slate-500">{customer.id.to_string()}</p>
                </div>
                <div class="flex flex-wrap gap-2">
                    {(!erased).then(|| view! { <portal::PortalButtons can_share=can_share_portal /> })}
                    <a
                        href=format!("/dashboard/customers/{}/data_export.json", customer.id)
                        download
                        rel="external"
                        class=BTN
                    >
                        "Download data"
                    </a>
                </div>
                {can_edit.then(|| view! {
                    <div class="flex flex-wrap gap-2">
                        <button type="button" class=BTN on:click=move |_| edit_open.set(true)>
                            "Edit customer"
                        </button>
                        <button
                            type="button"
                            class=BTN
                            on:click=move |_| {
                                error.set(None);
                                archive_open.set(true);
                            }
                        >
                            {if archived { "Unarchive" } else { "Archive" }}
                        </button>
                        {(can_ban && !banned).then(|| view! {
                            <button type="button" class=BTN_DANGER on:click=move |_| ban_open.set(true)>
                                "Ban"
                            </button>
                        })}
                    </div>
                })}
                {can_merge.then(|| view! {
                    <button type="button" class=BTN on:click=move |_| merge_open.set(true)>
                        "Merge into another customer"
                    </button>
                })}
                {can_erase.then(|| view! {
                    <button
                        type="button"
                        class=BTN_DANGER
                        on:click=move |_| {
                            erase_error.set(None);
                            erase_open.set(true);
                        }
                    >
                        "Erase personal data"
                    </button>
                })}
            </div>
            <dl class="mt-5 grid gap-4 sm:grid-cols-3 lg:grid-cols-6">
                {fact("Email", customer.email.clone())}
                {fact("External id", customer.external_id.clone())}
                {fact("Country", customer.country.clone())}
                {fact("Customer since", Some(day(customer.created_at)))}
                {fact("First seen", Some(day(customer.first_seen_at)))}
                {fact("Last order", stats.last_order_at.map(day))}
            </dl>
        </header>
    }
    .into_any();
    let ban_dialog = (can_ban && !banned)
        .then(|| view! { <ban::BanDialog open=ban_open customer=customer.clone() /> }.into_any());
    let dialogs = view! {
        <edit::EditCustomer open=edit_open customer=customer.clone() />
        <Confirm
            open=archive_open
            title=if archived { "Unarchive this customer?" } else { "Archive this customer?" }.to_owned()
            message=if archived {
                "The customer shows in the customer list again."
            } else {
                "The customer is hidden from the customer list by default. Orders, subscriptions and items stay as they are, and you can unarchive at any time."
            }
                .to_owned()
            confirm_label=if archived { "Unarchive" } else { "Archive" }.to_owned()
            busy=Signal::derive(move || archiving.busy().get() || unarchiving.busy().get())
            error
            on_confirm=archive
        />
        <Confirm
            open=erase_open
            title=format!("Erase {name_for_dialog}'s personal data?")
            message=erase_message
            confirm_label="Erase permanently".to_owned()
            busy=erasing.busy()
            error=erase_error
            on_confirm=erase
        />
    }
    .into_any();
    let stats = view! { <Stats stats /> }.into_any();
    let chart = view! { <chart::RevenueChart points=revenue currency /> }.into_any();
    view! {
        {banner}
        {merge_banner}
        {merge_dialog}
        {erasure_banner}
        {header}
        {ban_dialog}
        {dialogs}
        {stats}
        {chart}
    }
}

#[component]
fn Stats(stats: CustomerStats) -> impl IntoView {
    let cur = stats.currency;
    let card = |label: &'static str, value: String, testid: &'static str| {
        view! {
            <div class=format!("{CARD} p-4")>
                <dt class="text-xs font-medium text-slate-500">{label}</dt>
                <dd class="mt-1 text-xl font-semibold tabular-nums text-slate-900" data-testid=testid>
                    {value}
                </dd>
            </div>
        }
    };
    let several = stats.lifetime_value_by_currency.len();
    view! {
        <section aria-labelledby="stats-title" class="space-y-3">
            <h2 id="stats-title" class="sr-only">"Stats"</h2>
            <dl class="grid gap-3 sm:grid-cols-2 lg:grid-cols-5">
                <div class=format!("{CARD} p-4")>
                    <dt class="text-xs font-medium text-slate-500">"Lifetime value (net)"</dt>
                    // The breakdown belongs to the value: a `<dl>` group holds only `<dt>` and `<dd>`.
                    <dd class="mt-1">
                        <span class="text-xl font-semibold tabular-nums text-slate-900" data-testid="stat-ltv">
                            {money::format(stats.lifetime_value, cur)}
                        </span>
                    {(several > 0).then(|| view! {
                        <details class="mt-2 text-xs text-slate-600">
                            <summary class="cursor-pointer select-none text-indigo-600 hover:text-indigo-500">
                                {format!("Per currency ({several})")}
                            </summary>
                            <DataTable
                                style=PER_CURRENCY_TABLE
                                caption="Lifetime value per currency"
                                columns=vec![
                                    Column::new("Currency"),
                                    Column::numeric("Paid"),
                                    Column::numeric("Back"),
                                    Column::numeric("Net"),
                                ]
                            >
                                {stats.lifetime_value_by_currency.iter().map(|t| view! {
                                    <tr>
                                        <td>{t.currency.as_str()}</td>
                                        <td class="text-right">{money::format(t.paid, t.currency)}</td>
                                        <td class="text-right">
                                            {money::format(t.refunded + t.charged_back, t.currency)}
                                        </td>
                                        <td class="text-right font-medium">{money::format(t.net, t.currency)}</td>
                                    </tr>
                                }).collect_view()}
                            </DataTable>
                        </details>
                    })}
                    </dd>
                </div>
                {card("MRR", money::format(stats.mrr, cur), "stat-mrr")}
                {card("Total payments", stats.total_payments.to_string(), "stat-payments")}
                {card("Active subscriptions", stats.active_subscriptions.to_string(), "stat-active-subscriptions")}
                {card(
                    "Refunds",
                    format!("{} · {}", stats.refunds_count, money::format(stats.refunded_amount, cur)),
                    "stat-refunds",
                )}
            </dl>
        </section>
    }
}

#[component]
fn Tabs() -> impl IntoView {
    let ctx = use_customer();
    let tab = move |path: &'static str, label: &'static str| {
        let href = move || {
            let base = format!("/dashboard/customers/{}", ctx.id.get());
            if path.is_empty() {
                base
            } else {
                format!("{base}/{path}")
            }
        };
        view! {
            <A
                href=href
                exact=true
                attr:class="whitespace-nowrap border-b-2 border-transparent px-3 py-2 text-sm font-medium text-slate-600 hover:border-slate-300 hover:text-slate-900 aria-[current=page]:border-indigo-600 aria-[current=page]:text-indigo-700"
            >
                {label}
            </A>
        }
    };
    view! {
        <nav aria-label="Customer" class="flex gap-1 overflow-x-auto border-b border-slate-200">
            {tab("", "Overview")}
            {tab("products", "Products")}
            {tab("orders", "Orders")}
            {tab("subscriptions", "Subscriptions")}
            {tab("inventory", "Inventory")}
            {tab("payment-details", "Payment details")}
            {tab("metadata", "Metadata")}
            {tab("activity", "Activity")}
        </nav>
    }
}

/// The "loading" line a tab shows the first time.
pub fn loading(what: &'static str) -> impl IntoView {
    view! { <Loading what class="py-6" /> }
}

/// A tab's load failure.
pub fn load_error(e: &AppError) -> AnyView {
    let text = e.to_string();
    view! { <Alert large=true>{text}</Alert> }.into_any()
}

/// A tab's empty state.
pub fn nothing(text: &'static str) -> AnyView {
    view! {
        <p class="rounded-xl border border-dashed border-slate-300 bg-white px-6 py-10 text-center text-sm text-slate-500">
            {text}
        </p>
    }
    .into_any()
}
