//! The page of customers as table rows and phone cards, and the pager's links.

use std::collections::HashSet;

use leptos::prelude::*;
use leptos_router::NavigateOptions;
use leptos_router::hooks::use_navigate;

use super::columns::Column;
use crate::components::card::CARD_LIST;
use crate::components::table::{
    ROW_HOVER, SCROLL, TABLE, TBODY, TD, TD_NUM, TH, TH_NUM, THEAD, plus,
};
use crate::components::time::LocalTime;
use crate::types::customer::CustomerListItem;
use crate::types::money;
use crate::types::subscription::SubscriptionStatus;

#[component]
pub(super) fn PagerLink(href: String, label: &'static str) -> impl IntoView {
    view! {
        <a href=href class="rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm font-medium hover:bg-slate-50">
            {label}
        </a>
    }
}

/// Initials for the avatar: of the name, else of the email, else `?`.
fn initials(c: &CustomerListItem) -> String {
    let c = &c.customer;
    let source = c.name.as_deref().or(c.email.as_deref()).unwrap_or("?");
    source
        .split(|ch: char| ch.is_whitespace() || ch == '.' || ch == '@')
        .filter_map(|w| w.chars().next())
        .take(2)
        .flat_map(char::to_uppercase)
        .collect()
}

fn status_badge(s: Option<SubscriptionStatus>) -> impl IntoView {
    let (label, class) = match s {
        Some(SubscriptionStatus::Active) => (
            "Active",
            "bg-emerald-50 text-emerald-700 ring-emerald-600/20",
        ),
        Some(SubscriptionStatus::PastDue) => {
            ("Past due", "bg-amber-50 text-amber-800 ring-amber-600/20")
        }
        Some(SubscriptionStatus::Canceled) => {
            ("Canceled", "bg-slate-100 text-slate-700 ring-slate-500/20")
        }
        Some(SubscriptionStatus::Expired) => {
            ("Expired", "bg-slate-100 text-slate-600 ring-slate-500/20")
        }
        Some(SubscriptionStatus::Created) => ("Created", "bg-sky-50 text-sky-700 ring-sky-600/20"),
        None => ("—", ""),
    };
    if class.is_empty() {
        return view! { <span class="text-slate-400">"—"</span> }.into_any();
    }
    view! {
        <span class=format!("inline-flex rounded-full px-2 py-0.5 text-xs font-medium ring-1 ring-inset {class}")>
            {label}
        </span>
    }
    .into_any()
}

/// One cell of `column` for `row`.
fn cell_of(column: Column, row: &CustomerListItem) -> AnyView {
    let c = &row.customer;
    let dash = || "—".to_owned();
    match column {
        Column::ExternalId => view! {
            <span class="font-mono text-xs text-slate-600">{c.external_id.clone().unwrap_or_else(dash)}</span>
        }
        .into_any(),
        Column::Country => view! { <span class="text-slate-700">{c.country.clone().unwrap_or_else(dash)}</span> }.into_any(),
        Column::LifetimeValue => view! {
            <span class="whitespace-nowrap tabular-nums">{money::format(row.lifetime_value, row.currency)}</span>
        }
        .into_any(),
        Column::Orders => view! { <span class="tabular-nums">{row.order_count}</span> }.into_any(),
        Column::LastOrder => match row.last_order_at {
            Some(at) => view! {
                <LocalTime at date_only=true class="whitespace-nowrap text-slate-600" />
            }
            .into_any(),
            None => view! { <span class="text-slate-600">"—"</span> }.into_any(),
        },
        Column::Subscription => status_badge(row.subscription_status).into_any(),
        Column::Created => view! {
            <LocalTime at=c.created_at date_only=true class="whitespace-nowrap text-slate-600" />
        }
        .into_any(),
    }
}

/// The page of customers: a table from a tablet's width up (with the chosen columns), cards on
/// a phone.
#[component]
pub(super) fn CustomerTable(
    customers: Vec<CustomerListItem>,
    columns: RwSignal<Vec<Column>>,
    /// The ticked rows' customer ids, for a bulk action.
    selected: RwSignal<HashSet<String>>,
    /// Whether rows can be ticked (the viewer may change customers).
    selectable: bool,
) -> impl IntoView {
    let page_ids: Vec<String> = customers
        .iter()
        .map(|c| c.customer.id.to_string())
        .collect();
    let page_ids = StoredValue::new(page_ids);
    let whole_page = move || {
        page_ids.with_value(|ids| {
            !ids.is_empty() && selected.with(|s| ids.iter().all(|i| s.contains(i)))
        })
    };
    let rows = StoredValue::new(customers);
    let header = move || {
        columns
            .get()
            .into_iter()
            .map(|c| {
                let class = if c.numeric() { TH_NUM } else { TH };
                view! { <th scope="col" class=class>{c.label()}</th> }
            })
            .collect_view()
    };
    let body = move || {
        rows.with_value(|rows| {
            rows.iter()
                .map(|row| {
                    let initials = initials(row);
                    let c = &row.customer;
                    let link = format!("/dashboard/customers/{}", c.id);
                    // A customer without a name goes by their email (its own line then says
                    // nothing more), never by an id.
                    let name = c.display_name().to_owned();
                    let email = c.name.as_ref().and(c.email.clone());
                    let navigate = use_navigate();
                    let to = link.clone();
                    let id = c.id.to_string();
                    let ticked = {
                        let id = id.clone();
                        move || selected.with(|s| s.contains(&id))
                    };
                    let tick_label = format!("Select {}", c.email.clone().unwrap_or_else(|| name.clone()));
                    let cells = columns
                        .get()
                        .into_iter()
                        .map(|col| {
                            let class = if col.numeric() { TD_NUM } else { TD };
                            view! { <td class=class>{cell_of(col, row)}</td> }
                        })
                        .collect_view();
                    view! {
                        <tr
                            class=format!("cursor-pointer {ROW_HOVER}")
                            data-customer-id=c.id.to_string()
                            on:click=move |_| navigate(&to, NavigateOptions::default())
                        >
                            {selectable.then(|| view! {
                                <td class="w-8 pl-3" on:click=|ev| ev.stop_propagation()>
                                    <input
                                        type="checkbox"
                                        class="size-4 rounded border-slate-300"
                                        aria-label=tick_label.clone()
                                        prop:checked=ticked.clone()
                                        on:change={
                                            let id = id.clone();
                                            move |ev| {
                                                let on = event_target_checked(&ev);
                                                selected.update(|s| {
                                                    if on {
                                                        s.insert(id.clone());
                                                    } else {
                                                        s.remove(&id);
                                                    }
                                                });
                                            }
                                        }
                                    />
                                </td>
                            })}
                            <td class=TD>
                                <div class="flex min-w-0 items-center gap-3">
                                    <span class="grid size-8 shrink-0 place-items-center rounded-full bg-indigo-100 text-xs font-semibold text-indigo-700" aria-hidden="true">
                                        {initials}
                                    </span>
                                    <div class="min-w-0">
                                        <a href=link class="block max-w-[14rem] truncate font-medium text-slate-900 hover:text-indigo-600 focus:outline-none focus-visible:underline">
                                            {name}
                                        </a>
                                        {email.map(|email| view! {
                                            <span class="block max-w-[14rem] truncate text-xs text-slate-500" data-testid="customer-email">
                                                {email}
                                            </span>
                                        })}
                                    </div>
                                </div>
                            </td>
                            {cells}
                        </tr>
                    }
                })
                .collect_view()
        })
    };
    let cards = rows.with_value(|rows| {
        rows.iter()
            .map(|row| {
                let c = &row.customer;
                let link = format!("/dashboard/customers/{}", c.id);
                let name = c.display_name().to_owned();
                let email = c.name.as_ref().and(c.email.clone());
                view! {
                    <li data-customer-card=c.id.to_string()>
                        <a href=link class="block px-4 py-3 hover:bg-slate-50">
                            <div class="flex items-center justify-between gap-3">
                                <span class="min-w-0 truncate font-medium text-slate-900">{name}</span>
                                {status_badge(row.subscription_status)}
                            </div>
                            <div class="mt-0.5 flex items-center justify-between gap-3 text-xs text-slate-600">
                                <span class="min-w-0 truncate">{email.unwrap_or_default()}</span>
                                <span class="whitespace-nowrap tabular-nums">
                                    {format!(
                                        "{} · {} order{}",
                                        money::format(row.lifetime_value, row.currency),
                                        row.order_count,
                                        if row.order_count == 1 { "" } else { "s" },
                                    )}
                                </span>
                            </div>
                        </a>
                    </li>
                }
            })
            .collect_view()
    });
    view! {
        <div class=plus(SCROLL, "hidden md:block") data-testid="customer-table">
            <table class=TABLE>
                <thead class=THEAD>
                    <tr>
                        {selectable.then(|| view! {
                            <th scope="col" class="w-8 pl-3">
                                <input
                                    type="checkbox"
                                    class="size-4 rounded border-slate-300"
                                    aria-label="Select every customer on this page"
                                    prop:checked=whole_page
                                    on:change=move |ev| {
                                        let on = event_target_checked(&ev);
                                        page_ids.with_value(|ids| {
                                            selected.update(|s| {
                                                for id in ids {
                                                    if on {
                                                        s.insert(id.clone());
                                                    } else {
                                                        s.remove(id);
                                                    }
                                                }
                                            })
                                        });
                                    }
                                />
                            </th>
                        })}
                        <th scope="col" class=TH>"Customer"</th>
                        {header}
                    </tr>
                </thead>
                <tbody class=TBODY>{body}</tbody>
            </table>
        </div>
        <ul class=format!("{CARD_LIST} md:hidden") aria-label="Customers" data-testid="customer-cards">
            {cards}
        </ul>
    }
}
