//! "Merge into another customer": find the customer to keep, read exactly what would move,
//! what the kept customer ends with and what blocks it, then merge; and the banners that offer
//! the undo for 30 days, on both customers' pages.

use leptos::prelude::*;
use leptos_router::NavigateOptions;
use leptos_router::hooks::use_navigate;

use super::use_customer;
use crate::components::alert::Alert;
use crate::components::dialog::{BTN, BTN_DANGER, Dialog, SendButton, Submission};
use crate::components::form::TextField;
use crate::components::table::{Column, DataTable, TD, plus};
use crate::components::time::LocalTime;
use crate::server_fns::customer::{MergeCustomer, UndoMerge, preview_merge};
use crate::server_fns::dashboard::list_customers;
use crate::types::Customer;
use crate::types::customer::CustomerListParams;
use crate::types::merge::{CustomerMerge, MergePreview};
use crate::types::money;

/// "3 orders, 1 refund, …" for what moves.
fn moves_text(p: &MergePreview) -> String {
    let m = &p.moves;
    let parts: Vec<String> = [
        (m.orders, "order", "orders"),
        (m.refunds, "refund", "refunds"),
        (m.disputes, "dispute", "disputes"),
        (m.subscriptions, "subscription", "subscriptions"),
        (m.invoices, "invoice", "invoices"),
        (m.entitlements, "item", "items"),
        (m.payment_details, "payment detail", "payment details"),
        (m.ban_identities, "ban", "bans"),
    ]
    .into_iter()
    .filter(|(n, ..)| *n > 0)
    .map(|(n, one, many)| format!("{n} {}", if n == 1 { one } else { many }))
    .collect();
    if parts.is_empty() {
        "Nothing but the customer's own details".to_owned()
    } else {
        parts.join(", ")
    }
}

#[component]
fn PreviewBody(preview: MergePreview) -> impl IntoView {
    let ltv = money::format(preview.lifetime_value_after, preview.currency);
    let shared = preview.moves.payment_details_shared;
    let moves = moves_text(&preview);
    let blockers = preview.blockers.clone();
    view! {
        <div class="space-y-3 text-sm" data-testid="merge-preview">
            {(!blockers.is_empty()).then(|| view! {
                <Alert>
                    <p class="font-medium">"This merge cannot be done:"</p>
                    <ul class="mt-1 list-disc pl-5">
                        {blockers.iter().map(|b| view! { <li>{b.message.clone()}</li> }).collect_view()}
                    </ul>
                </Alert>
            })}
            <p><span class="font-medium">"Moves: "</span>{moves}</p>
            {(shared > 0).then(|| view! {
                <p class="text-slate-600">{format!("{shared} payment detail(s) both have are kept once (blocked if either was).")}</p>
            })}
            {(!preview.fields.is_empty()).then(|| view! {
                <DataTable
                    caption="Details the kept customer ends with"
                    columns=vec![
                        Column::new("Field"),
                        Column::new("This customer"),
                        Column::new("Kept customer"),
                        Column::new("Result"),
                    ]
                >
                    {preview.fields.iter().map(|f| view! {
                        <tr>
                            <td class=plus(TD, "font-mono text-xs")>{f.field.clone()}</td>
                            <td class=plus(TD, "break-all")>{f.merged.clone().unwrap_or_else(|| "—".into())}</td>
                            <td class=plus(TD, "break-all")>{f.survivor.clone().unwrap_or_else(|| "—".into())}</td>
                            <td class=plus(TD, if f.conflict { "break-all font-medium text-amber-800" } else { "break-all" })>
                                {f.result.clone().unwrap_or_else(|| "—".into())}
                                {f.conflict.then_some(" (kept customer's wins)")}
                            </td>
                        </tr>
                    }).collect_view()}
                </DataTable>
            })}
            <p><span class="font-medium">"Lifetime value afterwards: "</span>{ltv}</p>
            <p class="text-slate-600">"This customer then stays as a record pointing at the kept one. You can undo the merge for 30 days, as long as neither changes."</p>
        </div>
    }
}

/// The dialog.
#[component]
pub fn MergeDialog(open: RwSignal<bool>, customer: Customer) -> impl IntoView {
    let ctx = use_customer();
    let query = RwSignal::new(String::new());
    let chosen = RwSignal::new(None::<(String, String)>);
    let me = StoredValue::new(customer.id.to_string());
    let found = Resource::new(
        move || query.get(),
        |q| async move {
            if q.trim().chars().count() < 2 {
                return Ok(Vec::new());
            }
            let params = CustomerListParams {
                q: Some(q),
                limit: Some("8".into()),
                ..Default::default()
            };
            list_customers(params).await.map(|p| p.data)
        },
    );
    let preview = Resource::new(
        move || chosen.get().map(|(id, _)| id),
        move |into| async move {
            match into {
                Some(into) => Some(preview_merge(ctx.id.get_untracked(), into).await),
                None => None,
            }
        },
    );
    let error = RwSignal::new(None::<String>);
    let navigate = use_navigate();
    let merging = Submission::<MergeCustomer>::reporting_to(error, move |m: &CustomerMerge| {
        open.set(false);
        navigate(
            &format!("/dashboard/customers/{}", m.into),
            NavigateOptions::default(),
        );
    });
    let results = move || {
        let me = me.get_value();
        Suspend::new(async move {
            match found.await {
                Ok(list) => {
                    let list: Vec<_> = list
                        .into_iter()
                        .filter(|c| c.customer.id.as_str() != me)
                        .collect();
                    if list.is_empty() && query.get_untracked().trim().chars().count() >= 2 {
                        return view! { <p class="text-xs text-slate-600">"No other customer matches."</p> }.into_any();
                    }
                    view! {
                        <ul class="max-h-48 space-y-1 overflow-y-auto" aria-label="Matching customers">
                            {list.into_iter().map(|c| {
                                let id = c.customer.id.to_string();
                                let label = c.customer.display_name().to_owned();
                                let detail = c.customer.email.clone().unwrap_or_else(|| id.clone());
                                let pick = (id.clone(), label.clone());
                                let picked = id.clone();
                                view! {
                                    <li>
                                        <button
                                            type="button"
                                            class="w-full rounded-md border border-slate-200 px-2 py-1.5 text-left text-sm hover:bg-slate-50 aria-pressed:border-indigo-500 aria-pressed:bg-indigo-50"
                                            aria-pressed=move || chosen.get().is_some_and(|(c, _)| c == picked).to_string()
                                            on:click=move |_| chosen.set(Some(pick.clone()))
                                        >
                                            <span class="font-medium">{label}</span>
                                            <span class="ml-2 text-xs text-slate-600">{detail}</span>
                                        </button>
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    }
                    .into_any()
                }
                Err(e) => view! { <Alert>{e.sentence()}</Alert> }.into_any(),
            }
        })
    };
    let body = move || {
        Suspend::new(async move {
            match preview.await {
                None => ().into_any(),
                Some(Ok(p)) => {
                    let blocked = !p.blockers.is_empty();
                    let label = chosen.get_untracked().map(|(_, l)| l).unwrap_or_default();
                    let into = p.into.to_string();
                    view! {
                        <PreviewBody preview=p />
                        <div class="mt-4 flex justify-end gap-2">
                            <button type="button" class=BTN on:click=move |_| open.set(false)>"Cancel"</button>
                            <button
                                type="button"
                                class=BTN_DANGER
                                disabled=move || blocked || merging.busy().get()
                                on:click=move |_| merging.submit(MergeCustomer {
                                    id: ctx.id.get_untracked(),
                                    into: into.clone(),
                                })
                            >
                                {format!("Merge into {label}")}
                            </button>
                        </div>
                    }
                    .into_any()
                }
                Some(Err(e)) => view! { <Alert>{e.sentence()}</Alert> }.into_any(),
            }
        })
    };
    let name = customer.display_name().to_owned();
    view! {
        <Dialog open title=format!("Merge {name} into another customer")>
            <div class="space-y-3">
                <TextField
                    id="merge-search"
                    label="Find the customer to keep"
                    value=query
                    kind="search"
                    placeholder="Name, email, external id or id"
                    autocomplete="off"
                    on_input=Callback::new(move |_| chosen.set(None))
                />
                <Transition fallback=|| view! { <p class="text-xs text-slate-600">"Searching…"</p> }>{results}</Transition>
                <Transition fallback=|| view! { <p class="text-xs text-slate-600">"Reading what would move…"</p> }>{body}</Transition>
                {move || error.get().map(|e| view! { <Alert>{e}</Alert> })}
            </div>
        </Dialog>
    }
}

/// The banner on both customers' pages while a merge can be undone.
#[component]
pub fn MergeBanner(merge: CustomerMerge, me: Customer, can_undo: bool) -> impl IntoView {
    let ctx = use_customer();
    let error = RwSignal::new(None::<String>);
    let navigate = use_navigate();
    let undoing = Submission::<UndoMerge>::reporting_to(error, move |m: &CustomerMerge| {
        // Back on the customer that was merged away, now itself again.
        if m.customer_id.as_str() == ctx.id.get_untracked() {
            ctx.changed();
        } else {
            navigate(
                &format!("/dashboard/customers/{}", m.customer_id),
                NavigateOptions::default(),
            );
        }
    });
    let is_source = merge.customer_id == me.id;
    let text = if is_source {
        "This customer was merged into another on ".to_owned()
    } else {
        format!(
            "Customer {} was merged into this one on ",
            merge.customer_id
        )
    };
    let merged_on = merge.created_at;
    let id = merge.id.to_string();
    let until = merge.undo_until;
    let into = merge.into.to_string();
    view! {
        <div class="flex flex-wrap items-center gap-3 rounded-xl border border-indigo-200 bg-indigo-50 px-4 py-3 text-sm text-indigo-900" role="status" data-testid="merge-banner">
            <p class="min-w-0 flex-1">
                {text}
                <LocalTime at=merged_on date_only=true />
                ". "
                {is_source.then(|| view! {
                    <a class="font-medium underline" href=format!("/dashboard/customers/{into}")>"Open the kept customer"</a>
                    ". "
                })}
                "The merge can be undone until "
                <LocalTime at=until />
                "."
            </p>
            {can_undo.then(|| view! {
                <SendButton submission=undoing send=move || UndoMerge { id: id.clone() } class=BTN>
                    "Undo merge"
                </SendButton>
            })}
            {move || error.get().map(|e| view! { <div class="w-full"><Alert>{e}</Alert></div> })}
        </div>
    }
}
