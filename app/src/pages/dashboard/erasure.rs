//! `/dashboard/erasure-requests`: the end customers who asked, from the portal, to have their
//! personal data erased, soonest due first, each with the days the law's month leaves.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::alert::Alert;
use crate::components::card::CARD;
use crate::components::empty_state::Loading;
use crate::components::table::{Column, DataTable, TD, plus};
use crate::components::time::LocalTime;
use crate::server_fns::customer::load_erasure_requests;
use crate::types::portal::ErasureRequest;

/// "due in 12 days", "due today", "3 days overdue".
fn due_label(r: &ErasureRequest) -> (String, bool) {
    match r.days_left {
        d if d < 0 => (format!("{} days overdue", -d), true),
        0 => ("due today".to_owned(), true),
        1 => ("due tomorrow".to_owned(), false),
        d => (format!("due in {d} days"), false),
    }
}

/// The Customers page's notice of open requests, linking here; nothing when there are none.
#[component]
pub fn ErasureNotice() -> impl IntoView {
    let open = Resource::new(|| (), |_| load_erasure_requests());
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                match open.await {
                    Ok(list) if !list.is_empty() => {
                        let next = list[0].due_at;
                        view! {
                            <div class="flex flex-wrap items-center gap-3 rounded-xl border border-amber-300 bg-amber-50 px-4 py-3 text-sm text-amber-900" role="status" data-testid="erasure-notice">
                                <p class="min-w-0 flex-1">
                                    {match list.len() {
                                        1 => "1 customer asked to have their data erased; it is due on ".to_owned(),
                                        n => format!("{n} customers asked to have their data erased; the first is due on "),
                                    }}
                                    <LocalTime at=next date_only=true />
                                    "."
                                </p>
                                <a href="/dashboard/erasure-requests" class="font-medium text-amber-900 underline">
                                    "Review the requests"
                                </a>
                            </div>
                        }
                        .into_any()
                    }
                    _ => ().into_any(),
                }
            })}
        </Transition>
    }
}

/// The page.
#[component]
pub fn ErasureRequestsPage() -> impl IntoView {
    let open = Resource::new(|| (), |_| load_erasure_requests());
    view! {
        <Title text="Erasure requests" />
        <div class="mx-auto max-w-5xl space-y-5">
            <header>
                <a href="/dashboard/customers" class="text-sm font-medium text-indigo-600 hover:text-indigo-500">"← Customers"</a>
                <h1 class="mt-2 text-2xl font-semibold tracking-tight">"Erasure requests"</h1>
                <p class="mt-1 max-w-3xl text-sm text-slate-600">
                    "Customers who asked, from the portal, to have their personal data erased (GDPR Art. 17). The law gives you a month from each request. Open a customer to erase them; their orders stay, anonymised, for your accounts."
                </p>
            </header>
            <Transition fallback=|| view! { <Loading /> }>
                {move || Suspend::new(async move {
                    match open.await {
                        Ok(list) if list.is_empty() => view! {
                            <p class=format!("{CARD} p-6 text-sm text-slate-600")>
                                "No open requests."
                            </p>
                        }
                        .into_any(),
                        Ok(list) => view! {
                            <DataTable
                                columns=vec![Column::new("Customer"), Column::new("Asked"), Column::new("Due")]
                                testid="erasure-requests"
                            >
                                {list.into_iter().map(|r| {
                                    let (label, urgent) = due_label(&r);
                                    view! {
                                        <tr>
                                            <td class=TD>
                                                <a class="font-medium text-indigo-600 hover:text-indigo-500" href=format!("/dashboard/customers/{}", r.customer_id)>
                                                    {if r.customer_label.is_empty() { r.customer_id.to_string() } else { r.customer_label.clone() }}
                                                </a>
                                            </td>
                                            <td class=plus(TD, "whitespace-nowrap")><LocalTime at=r.requested_at /></td>
                                            <td class=plus(TD, "whitespace-nowrap")>
                                                <LocalTime at=r.due_at date_only=true />
                                                <span class=if urgent { "ml-2 text-xs font-medium text-red-700" } else { "ml-2 text-xs text-slate-500" }>
                                                    {label}
                                                </span>
                                            </td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </DataTable>
                        }
                        .into_any(),
                        Err(e) => view! { <Alert>{e.sentence()}</Alert> }.into_any(),
                    }
                })}
            </Transition>
        </div>
    }
}
