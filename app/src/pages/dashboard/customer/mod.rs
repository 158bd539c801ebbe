//! `/dashboard/customers/:id/...`: one customer. The header (who, the common actions and an
//! Actions menu, what they are worth) stays while the tabs right under it switch by URL without
//! a reload; every action refreshes the header and the open tab through one shared counter.

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
use leptos::ev::KeyboardEvent;
use leptos::html;
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
use crate::components::time::LocalTime;
use crate::server_fns::customer::{
    ArchiveCustomer, EraseCustomer, UnarchiveCustomer, load_customer_page,
};
use crate::types::activity::CustomerPageData;
use crate::types::{AppError, Customer, Role, Scope};

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

/// The customer context the page provides.
pub fn use_customer() -> CustomerCtx {
    expect_context::<CustomerCtx>()
}

/// The customer page: header and stats, then the tabs.
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
                Err(e) => view! { <Alert large=true>{e.sentence()}</Alert> }.into_any(),
            }
        })
    };
    view! {
        <div class="mx-auto max-w-6xl space-y-4">
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

/// A field someone filled in, unless blank.
fn given(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

/// The name the page shows for a customer (its title, its heading, its dialogs): their name,
/// else their email, else their id; "Erased customer" once erased.
fn shown_name(c: &Customer) -> String {
    if c.erased_at.is_some() {
        return "Erased customer".to_owned();
    }
    given(&c.name)
        .or_else(|| given(&c.email))
        .unwrap_or(c.id.as_str())
        .to_owned()
}

fn initials(c: &Customer) -> String {
    let source = given(&c.name).or_else(|| given(&c.email)).unwrap_or("?");
    let letters: String = source
        .split(|ch: char| ch.is_whitespace() || ch == '.' || ch == '@')
        .filter_map(|w| w.chars().next())
        .take(2)
        .collect();
    letters.to_uppercase()
}

/// A small pill beside the name.
const BADGE: &str = "shrink-0 whitespace-nowrap rounded-full px-2 py-0.5 text-xs font-medium";

#[component]
fn Header(data: CustomerPageData) -> impl IntoView {
    let ctx = use_customer();
    let CustomerPageData {
        customer,
        stats,
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
    let name = shown_name(&customer);
    // The email goes under the name; without a name, it is the name.
    let email_line = given(&customer.name)
        .and(given(&customer.email))
        .map(str::to_owned);
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
                    "The customer asked on " <LocalTime at=r.requested_at date_only=true />
                    " to have their personal data erased; the law gives you until "
                    <LocalTime at=r.due_at date_only=true /> "."
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

    // The Actions menu: the rarer actions, the two that destroy last.
    let mut entries = Vec::new();
    if can_edit {
        entries.push(MenuEntry::run(
            if archived { "Unarchive" } else { "Archive" },
            move || {
                error.set(None);
                archive_open.set(true);
            },
        ));
    }
    if can_merge {
        entries.push(MenuEntry::run("Merge into another customer", move || {
            merge_open.set(true)
        }));
    }
    let export = format!("/dashboard/customers/{}/data_export.json", customer.id);
    entries.push(MenuEntry {
        label: "Download data",
        act: MenuAct::Download(export),
    });
    let mut destructive = Vec::new();
    if can_ban && !banned {
        destructive.push(MenuEntry::run("Ban", move || ban_open.set(true)));
    }
    if can_erase {
        destructive.push(MenuEntry::run("Erase personal data", move || {
            erase_error.set(None);
            erase_open.set(true);
        }));
    }

    let fact = |label: &'static str, value: Option<String>| {
        let value = value.unwrap_or_else(|| "—".to_owned());
        let whole = value.clone();
        view! {
            <div class="flex min-w-0 items-baseline gap-1.5">
                <dt class="shrink-0 text-slate-500">{label}</dt>
                <dd class="max-w-72 truncate font-medium text-slate-900" title=whole>{value}</dd>
            </div>
        }
    };
    let day_fact = |label: &'static str, at: Option<DateTime<Utc>>| {
        view! {
            <div class="flex min-w-0 items-baseline gap-1.5">
                <dt class="shrink-0 text-slate-500">{label}</dt>
                <dd class="font-medium text-slate-900">
                    {match at {
                        Some(at) => view! { <LocalTime at date_only=true /> }.into_any(),
                        None => "—".into_any(),
                    }}
                </dd>
            </div>
        }
    };
    let last_order_at = stats.last_order_at;
    let name_for_dialog = name.clone();
    // Each part is erased to `AnyView`: nested as one type, the header is too deep for rustc.
    let who = view! {
        <div class="flex min-w-0 flex-1 basis-72 items-center gap-3">
            <div
                class="grid size-10 shrink-0 place-items-center rounded-full bg-indigo-100 text-sm font-semibold text-indigo-700"
                aria-hidden="true"
            >
                {initials(&customer)}
            </div>
            <div class="min-w-0 flex-1">
                <div class="flex min-w-0 items-center gap-2">
                    // One line, cut with an ellipsis (the whole name in the tooltip): never
                    // broken inside a word.
                    <h1 class="min-w-0 truncate text-lg font-semibold tracking-tight sm:text-xl" title=name.clone()>
                        {name.clone()}
                    </h1>
                    {(archived && !erased).then(|| view! {
                        <span class=format!("{BADGE} bg-slate-200 text-slate-700")>"Archived"</span>
                    })}
                    {merged.then(|| view! {
                        <span class=format!("{BADGE} bg-indigo-100 text-indigo-800") data-testid="merged-badge">
                            "Merged"
                        </span>
                    })}
                    {customer.erased_at.map(|at| view! {
                        <span class=format!("{BADGE} bg-slate-800 text-white") data-testid="erased-badge">
                            "Erased on " <LocalTime at date_only=true />
                        </span>
                    })}
                </div>
                <p class="flex min-w-0 items-baseline gap-x-2 text-sm text-slate-600">
                    {email_line.map(|e| {
                        let whole = e.clone();
                        view! { <span class="min-w-0 truncate" title=whole data-testid="customer-email">{e}</span> }
                    })}
                    <span class="min-w-0 font-mono text-xs break-all text-slate-500 sm:shrink-0">{customer.id.to_string()}</span>
                </p>
            </div>
        </div>
    }
    .into_any();
    let actions = view! {
        <div class="flex min-w-0 flex-wrap items-center gap-2 sm:shrink-0">
            {(!erased).then(|| view! { <portal::PortalButtons can_share=can_share_portal /> })}
            {can_edit.then(|| view! {
                <button type="button" class=BTN on:click=move |_| edit_open.set(true)>
                    "Edit customer"
                </button>
            })}
            <ActionsMenu entries destructive />
        </div>
    }
    .into_any();
    let header = view! {
        <Title text=name.clone() />
        <header class=format!("{CARD} px-4 py-3") data-testid="customer-header">
            <div class="flex flex-wrap items-center gap-x-4 gap-y-3">{who} {actions}</div>
            <dl class="mt-3 flex flex-wrap gap-x-6 gap-y-1 border-t border-slate-100 pt-2.5 text-sm">
                {fact("External id", customer.external_id.clone())}
                {fact("Country", customer.country.clone())}
                {day_fact("Customer since", Some(customer.created_at))}
                {day_fact("First seen", Some(customer.first_seen_at))}
                {day_fact("Last order", last_order_at)}
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
    let stats = view! { <chart::Stats stats /> }.into_any();
    view! {
        {banner}
        {merge_banner}
        {merge_dialog}
        {erasure_banner}
        {header}
        {ban_dialog}
        {dialogs}
        {stats}
    }
}

/// What choosing an entry of the Actions menu does.
enum MenuAct {
    /// Runs the callback (which opens the action's dialog).
    Run(Callback<()>),
    /// Downloads what the link points at.
    Download(String),
}

/// One entry of the Actions menu.
struct MenuEntry {
    label: &'static str,
    act: MenuAct,
}

impl MenuEntry {
    fn run(label: &'static str, f: impl Fn() + Send + Sync + 'static) -> Self {
        Self {
            label,
            act: MenuAct::Run(Callback::new(move |()| f())),
        }
    }
}

/// Where the focus goes inside the open menu.
#[derive(Debug, Clone, Copy)]
enum Step {
    First,
    Last,
    Next,
    Previous,
}

/// Focuses the entry of `menu` that `step` names, counted from the focused one (wrapping
/// around at either end).
fn focus_item(menu: NodeRef<html::Div>, step: Step) {
    use leptos::wasm_bindgen::JsCast;
    let Some(menu) = menu.get_untracked() else {
        return;
    };
    let children = menu.children();
    let items: Vec<leptos::web_sys::HtmlElement> = (0..children.length())
        .filter_map(|i| children.item(i))
        .filter(|e| e.get_attribute("role").as_deref() == Some("menuitem"))
        .filter_map(|e| e.dyn_into::<leptos::web_sys::HtmlElement>().ok())
        .collect();
    let Some(last) = items.len().checked_sub(1) else {
        return;
    };
    let active = document().active_element();
    let current = items.iter().position(|item| {
        let element: &leptos::web_sys::Element = item;
        Some(element) == active.as_ref()
    });
    let index = match (step, current) {
        (Step::First, _) | (Step::Next, None) => 0,
        (Step::Last, _) | (Step::Previous, None) => last,
        (Step::Next, Some(i)) if i < last => i + 1,
        (Step::Next, Some(_)) => 0,
        (Step::Previous, Some(i)) => i.checked_sub(1).unwrap_or(last),
    };
    if let Some(item) = items.get(index) {
        let _ = item.focus();
    }
}

/// One entry of the menu, as the keyboard reaches it (from the menu, not by Tab).
const MENU_ITEM: &str = "block w-full px-3 py-1.5 text-left text-sm text-slate-700 hover:bg-slate-50 focus:bg-slate-100 focus:outline-none";
/// An entry that destroys.
const MENU_ITEM_DANGER: &str = "block w-full px-3 py-1.5 text-left text-sm font-medium text-red-700 hover:bg-red-50 focus:bg-red-50 focus:outline-none";

/// The header's "Actions" menu button, as the WAI-ARIA menu button pattern has it: Enter,
/// Space or the down arrow open it on the first entry (the up arrow on the last); the arrows,
/// Home and End move through it; Escape closes it back onto the button; Tab or a press
/// anywhere else closes it. The `destructive` entries come last, after a separator.
#[component]
fn ActionsMenu(entries: Vec<MenuEntry>, destructive: Vec<MenuEntry>) -> impl IntoView {
    let open = RwSignal::new(false);
    let frame = NodeRef::<html::Div>::new();
    let button = NodeRef::<html::Button>::new();
    let menu = NodeRef::<html::Div>::new();
    let show = move |step: Step| {
        open.set(true);
        // The menu is shown once this handler has returned and the page has updated.
        request_animation_frame(move || focus_item(menu, step));
    };
    let close = move |refocus: bool| {
        open.set(false);
        if refocus && let Some(b) = button.get_untracked() {
            let _ = b.focus();
        }
    };
    // A press anywhere else closes the menu. In an effect: in the browser only.
    Effect::new(move |_| {
        let outside = window_event_listener(leptos::ev::pointerdown, move |ev| {
            use leptos::wasm_bindgen::JsCast;
            if open.try_get_untracked() != Some(true) {
                return;
            }
            let inside = ev
                .target()
                .and_then(|t| t.dyn_into::<leptos::web_sys::Node>().ok())
                .zip(frame.get_untracked())
                .is_some_and(|(node, frame)| frame.contains(Some(&node)));
            if !inside {
                open.set(false);
            }
        });
        on_cleanup(move || outside.remove());
    });
    let on_button_key = move |ev: KeyboardEvent| {
        let step = match ev.key().as_str() {
            "ArrowDown" => Step::First,
            "ArrowUp" => Step::Last,
            "Escape" => {
                close(false);
                return;
            }
            _ => return,
        };
        ev.prevent_default();
        show(step);
    };
    let on_menu_key = move |ev: KeyboardEvent| {
        let step = match ev.key().as_str() {
            "ArrowDown" => Step::Next,
            "ArrowUp" => Step::Previous,
            "Home" => Step::First,
            "End" => Step::Last,
            "Escape" => {
                ev.prevent_default();
                close(true);
                return;
            }
            // The focus moves on as Tab moves it; the menu closes behind it.
            "Tab" => {
                close(false);
                return;
            }
            _ => return,
        };
        ev.prevent_default();
        focus_item(menu, step);
    };
    let item = move |entry: MenuEntry, class: &'static str| {
        let label = entry.label;
        match entry.act {
            MenuAct::Run(run) => view! {
                <button type="button" role="menuitem" tabindex="-1" class=class on:click=move |_| {
                    close(true);
                    run.run(());
                }>
                    {label}
                </button>
            }
            .into_any(),
            MenuAct::Download(href) => view! {
                <a role="menuitem" tabindex="-1" class=class href=href download rel="external" on:click=move |_| close(true)>
                    {label}
                </a>
            }
            .into_any(),
        }
    };
    let separated = !entries.is_empty() && !destructive.is_empty();
    let common = entries
        .into_iter()
        .map(|e| item(e, MENU_ITEM))
        .collect_view();
    let dangerous = destructive
        .into_iter()
        .map(|e| item(e, MENU_ITEM_DANGER))
        .collect_view();
    view! {
        <div class="relative" node_ref=frame>
            <button
                type="button"
                id="customer-actions-button"
                class=BTN
                node_ref=button
                aria-haspopup="menu"
                aria-expanded=move || if open.get() { "true" } else { "false" }
                aria-controls="customer-actions-menu"
                on:click=move |_| {
                    if open.get_untracked() { close(false) } else { show(Step::First) }
                }
                on:keydown=on_button_key
            >
                "Actions"
                <svg class="size-4 text-slate-500" aria-hidden="true" viewBox="0 0 20 20" fill="currentColor">
                    <path fill-rule="evenodd" clip-rule="evenodd" d="M5.22 8.22a.75.75 0 0 1 1.06 0L10 11.94l3.72-3.72a.75.75 0 1 1 1.06 1.06l-4.25 4.25a.75.75 0 0 1-1.06 0L5.22 9.28a.75.75 0 0 1 0-1.06Z" />
                </svg>
            </button>
            <div
                id="customer-actions-menu"
                role="menu"
                aria-labelledby="customer-actions-button"
                node_ref=menu
                hidden=move || !open.get()
                class="absolute right-0 z-30 mt-1 w-64 rounded-lg border border-slate-200 bg-white py-1 shadow-lg"
                on:keydown=on_menu_key
            >
                {common}
                {separated.then(|| view! { <div role="separator" class="my-1 border-t border-slate-200"></div> })}
                {dangerous}
            </div>
        </div>
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
        <nav aria-label="Customer" class="flex gap-1 border-b border-slate-200 max-sm:flex-wrap sm:overflow-x-auto">
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
    let text = e.sentence();
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
