//! The Orders tab: a status filter, the orders newest first, and per order its details,
//! refunds and disputes with the Refund and Add repayment actions.

use std::collections::HashSet;

use leptos::prelude::*;

use super::{load_error, loading, nothing, use_customer};
use crate::components::badge::StatusBadge;
use crate::components::dialog::{BTN, BTN_LINK, FormDialog, Submission};
use crate::components::form::{Checkbox, RadioGroup, SelectField, TextField};
use crate::components::pager::KeysetPager;
use crate::components::table::{Column, DataTable, ROW_HOVER, TBODY, TD, TD_NUM, plus};
use crate::components::time::LocalTime;
use crate::server_fns::customer::{RefundOrder, RequestRepayment, list_orders, order_history};
use crate::types::money::{self, parse_major};
use crate::types::order::{
    OrderStatus, ProviderNotification, RefundCreate, RefundStatus, RefundsAndDisputes,
    RepaymentCreate, RepaymentMethod,
};
use crate::types::{Dispute, Order, Page, Role, Scope};

/// The customer's orders.
#[component]
pub fn OrdersTab() -> impl IntoView {
    let ctx = use_customer();
    let status = RwSignal::new(String::new());
    // The cursor stack: the last order id of each page before the shown one.
    let cursors = RwSignal::new(Vec::<String>::new());
    // Which orders are open: kept here so a refresh after an action leaves them open.
    let expanded = RwSignal::new(HashSet::<String>::new());
    let orders = Resource::new(
        move || {
            (
                ctx.id.get(),
                ctx.refresh.get(),
                status.get(),
                cursors.get().last().cloned(),
            )
        },
        |(id, _, status, after)| {
            list_orders(id, (!status.is_empty()).then_some(status), None, after)
        },
    );
    let body = move || {
        Suspend::new(async move {
            let role = ctx.role().await;
            match orders.await {
                Ok(page) if page.data.is_empty() => nothing(if status.get_untracked().is_empty() {
                    "No orders yet."
                } else {
                    "No orders in this status."
                }),
                Ok(page) => view! { <OrdersPage page role expanded cursors /> }.into_any(),
                Err(e) => load_error(&e),
            }
        })
    };
    view! {
        <section class="space-y-3" aria-label="Orders">
            <div class="flex items-end gap-3">
                <SelectField
                    id="order-status"
                    label="Status"
                    value=status
                    on_change=Callback::new(move |_| cursors.set(Vec::new()))
                >
                    <option value="">"All statuses"</option>
                    {OrderStatus::ALL.iter().map(|s| view! {
                        <option value=s.as_str()>{s.as_str().replace('_', " ")}</option>
                    }).collect_view()}
                </SelectField>
            </div>
            <Transition fallback=|| loading("orders")>{body}</Transition>
        </section>
    }
}

/// A page of orders as rows, each opening on its details and actions, with the pager: the
/// Orders tab's table, and each product's transactions in the Products view.
#[component]
pub(super) fn OrdersPage(
    page: Page<Order>,
    role: Role,
    /// Which orders are open; kept by the caller so a refresh leaves them open.
    expanded: RwSignal<HashSet<String>>,
    /// The cursor stack the caller's resource pages with.
    cursors: RwSignal<Vec<String>>,
) -> impl IntoView {
    let last = page.data.last().map(|o| o.id.to_string());
    let has_more = page.has_more;
    let orders = page.data;
    view! {
        <DataTable
            columns=vec![
                Column::new("Order"),
                Column::new("Product"),
                Column::numeric("Amount"),
                Column::new("Status"),
                Column::new("Payment method"),
                Column::new("Date"),
                Column::hidden("Details"),
            ]
            bodies=true
        >
            {orders.into_iter().map(|o| view! { <OrderRow order=o role expanded /> }).collect_view()}
        </DataTable>
        <KeysetPager cursors last has_more />
    }
}

#[component]
fn OrderRow(order: Order, role: Role, expanded: RwSignal<HashSet<String>>) -> impl IntoView {
    let order = StoredValue::new(order);
    let o = order.get_value();
    let key = o.id.to_string();
    let is_open = {
        let key = key.clone();
        Memo::new(move |_| expanded.with(|e| e.contains(&key)))
    };
    let details_id = format!("order-{}-details", o.id);
    view! {
        <tbody class=TBODY data-order-id=o.id.to_string()>
            <tr class=ROW_HOVER>
                <td class=plus(TD, "font-mono text-xs")>{o.id.to_string()}</td>
                <td class=TD>{o.product_name.clone()}</td>
                <td class=TD_NUM>{money::format(o.amount, o.currency)}</td>
                <td class=TD data-testid="order-status"><StatusBadge status=o.status /></td>
                <td class=TD>{o.payment_method.as_ref().map(|p| p.label()).unwrap_or_default()}</td>
                <td class=plus(TD, "whitespace-nowrap text-slate-600")><LocalTime at=o.paid_at.unwrap_or(o.created_at) /></td>
                <td class=plus(TD, "text-right")>
                    <button
                        type="button"
                        class=BTN_LINK
                        aria-expanded=move || if is_open.get() { "true" } else { "false" }
                        aria-controls=details_id.clone()
                        on:click=move |_| {
                            expanded.update(|e| {
                                if !e.remove(&key) {
                                    e.insert(key.clone());
                                }
                            })
                        }
                    >
                        {move || if is_open.get() { "Hide" } else { "Details" }}
                    </button>
                </td>
            </tr>
            <Show when=move || is_open.get()>
                <tr id=format!("order-{}-details", order.with_value(|o| o.id.to_string()))>
                    <td colspan="7" class="bg-slate-50 px-3 py-4">
                        <OrderDetails order=order.get_value() role />
                    </td>
                </tr>
            </Show>
        </tbody>
    }
}

#[component]
fn OrderDetails(order: Order, role: Role) -> impl IntoView {
    let order_id = order.id.to_string();
    // Not keyed on the refresh counter: a refresh rebuilds the order rows, and with them this
    // resource. Refetching one about to be disposed would answer into a dropped scope.
    let history = Resource::new(move || order_id.clone(), order_history);
    let refund_open = RwSignal::new(false);
    let can_refund = role.allows(Scope::RefundsWrite) && order.can_refund();
    let cur = order.currency;
    let history_view = move || {
        Suspend::new(async move {
            match history.await {
                Ok(RefundsAndDisputes { refunds, disputes, webhooks, provider_events }) => {
                    view! {
                        {(!refunds.is_empty()).then(|| view! {
                            <div>
                                <h4 class="text-xs font-semibold uppercase tracking-wide text-slate-500">"Refunds"</h4>
                                <ul class="mt-1 space-y-1">
                                    {refunds.into_iter().map(|r| view! {
                                        <li class="flex flex-wrap gap-x-3 text-sm" data-testid="refund">
                                            <span class="font-medium tabular-nums">{money::format(r.amount, r.currency)}</span>
                                            {match r.status {
                                                RefundStatus::Pending => Some(view! { <span class="text-amber-800">"pending with the payment provider"</span> }.into_any()),
                                                RefundStatus::Failed => Some(view! { <span class="text-red-700">"refused by the payment provider"</span> }.into_any()),
                                                RefundStatus::Succeeded => None,
                                            }}
                                            <LocalTime at=r.created_at class="text-slate-600" />
                                            <span class="text-slate-600">{r.reason.unwrap_or_default()}</span>
                                            {r.blocked_payment_details.then_some(view! { <span class="text-red-700">"payment details blocked"</span> })}
                                            {r.revoked_benefits.then_some(view! { <span class="text-red-700">"benefits revoked"</span> })}
                                        </li>
                                    }).collect_view()}
                                </ul>
                            </div>
                        })}
                        {(!disputes.is_empty()).then(|| view! {
                            <div>
                                <h4 class="text-xs font-semibold uppercase tracking-wide text-slate-500">"Disputes"</h4>
                                <ul class="mt-1 space-y-2">
                                    {disputes.into_iter().map(|d| view! { <DisputeLine dispute=d role /> }).collect_view()}
                                </ul>
                            </div>
                        })}
                        {(!provider_events.is_empty()).then(|| view! {
                            <ProviderNotifications events=provider_events />
                        })}
                        {(!webhooks.is_empty()).then(|| view! {
                            <div>
                                <h4 class="text-xs font-semibold uppercase tracking-wide text-slate-500">"Webhooks"</h4>
                                <ul class="mt-1 space-y-1">
                                    {webhooks.into_iter().map(|w| view! {
                                        <li class="flex flex-wrap items-center gap-x-3 text-sm" data-testid="order-webhook">
                                            <span class="font-medium">{w.event_type.as_str()}</span>
                                            <StatusBadge status=w.status />
                                            <a
                                                href=format!("/dashboard/settings/webhooks/{}", w.endpoint_id)
                                                class="truncate text-indigo-600 hover:text-indigo-500"
                                            >
                                                {w.endpoint_url.clone()}
                                            </a>
                                            <span class="text-slate-600">
                                                {format!("{} attempt{}", w.attempt_count, if w.attempt_count == 1 { "" } else { "s" })}
                                                {w.last_status.map(|s| format!(" · last answer {s}"))}
                                            </span>
                                        </li>
                                    }).collect_view()}
                                </ul>
                            </div>
                        })}
                    }
                    .into_any()
                }
                Err(e) => load_error(&e),
            }
        })
    };
    view! {
        <div class="space-y-4">
            <dl class="grid gap-3 text-sm sm:grid-cols-3 lg:grid-cols-4">
                {fact("Payment method", order.payment_method.as_ref().map(|p| p.label()))}
                {fact("Provider payment id", order.provider_payment_id.clone())}
                {fact("IP address", order.ip.clone())}
                {fact("Customer note", order.customer_note.clone())}
                {fact("Refunded", Some(money::format(order.refunded_amount, cur)))}
                {fact("Charged back", Some(money::format(order.charged_back_amount, cur)))}
                {fact("Remaining", Some(money::format(order.refundable_amount, cur)))}
                {fact(
                    "In workspace currency",
                    Some(format!(
                        "{} at {}",
                        money::format(order.workspace_amount, order.workspace_currency),
                        order.exchange_rate,
                    )),
                )}
                {order.failure_message.clone().map(|m| fact("Failure", Some(m)))}
            </dl>
            <Transition fallback=|| loading("the order's history")>{history_view}</Transition>
            {can_refund.then(|| view! {
                <button type="button" class=BTN on:click=move |_| refund_open.set(true)>"Refund"</button>
            })}
            {can_refund.then(|| view! { <RefundDialog open=refund_open order=order.clone() role /> })}
        </div>
    }
}

/// One labelled value of a payment's details; a dash when there is none.
pub(super) fn fact(label: &'static str, value: Option<String>) -> impl IntoView {
    view! {
        <div>
            <dt class="text-xs text-slate-500">{label}</dt>
            <dd class="break-all text-slate-900">{value.unwrap_or_else(|| "—".to_owned())}</dd>
        </div>
    }
}

/// What the payment provider sent about the order, newest first; each opens on its body.
#[component]
fn ProviderNotifications(events: Vec<ProviderNotification>) -> impl IntoView {
    view! {
        <div>
            <h4 class="text-xs font-semibold uppercase tracking-wide text-slate-500">"Provider notifications"</h4>
            <ul class="mt-1 space-y-1" aria-label="Provider notifications">
                {events.into_iter().map(|n| {
                    // The body as received, indented for reading when it is JSON.
                    let body = serde_json::from_str::<serde_json::Value>(&n.payload)
                        .ok()
                        .and_then(|v| serde_json::to_string_pretty(&v).ok())
                        .unwrap_or_else(|| n.payload.clone());
                    view! {
                        <li class="text-sm" data-testid="provider-event">
                            <details>
                                <summary class="flex cursor-pointer flex-wrap gap-x-3 rounded focus-visible:outline-2 focus-visible:outline-indigo-600">
                                    <span class="font-mono text-xs font-medium text-slate-900" data-testid="provider-event-type">{n.kind.as_str()}</span>
                                    <LocalTime at=n.received_at class="text-slate-600" />
                                </summary>
                                <pre
                                    class="mt-1 max-h-64 overflow-auto rounded-md bg-slate-900 p-3 text-xs text-slate-100 focus-visible:outline-2 focus-visible:outline-indigo-600"
                                    tabindex="0"
                                    role="region"
                                    aria-label=format!("Body of {}", n.kind.as_str())
                                >
                                    {body}
                                </pre>
                            </details>
                        </li>
                    }
                }).collect_view()}
            </ul>
        </div>
    }
}

#[component]
fn DisputeLine(dispute: Dispute, role: Role) -> impl IntoView {
    use crate::types::order::DisputeStatus;
    let ctx = use_customer();
    let open = RwSignal::new(false);
    let method = RwSignal::new(RepaymentMethod::Link);
    let repaying = Submission::<RequestRepayment>::new(move |_| {
        open.set(false);
        ctx.changed();
    });
    let id = dispute.id.to_string();
    let can_repay = role.allows(Scope::RefundsWrite)
        && dispute.status == DisputeStatus::Lost
        && dispute.repayment_method.is_none();
    let on_submit = Callback::new(move |()| {
        repaying.submit(RequestRepayment {
            dispute_id: id.clone(),
            repayment: RepaymentCreate {
                method: method.get_untracked(),
            },
        });
    });
    view! {
        <li class="flex flex-wrap items-center gap-x-3 gap-y-1 text-sm">
            <StatusBadge status=dispute.status />
            <span class="font-medium tabular-nums">{money::format(dispute.amount, dispute.currency)}</span>
            <span class="text-slate-600">"opened " <LocalTime at=dispute.opened_at /></span>
            {dispute.reason.clone().map(|r| view! { <span class="text-slate-600">{r}</span> })}
            {dispute.repayment_method.map(|m| view! {
                <span class="text-slate-600">
                    {match m {
                        RepaymentMethod::Link => "repayment requested by link".to_owned(),
                        RepaymentMethod::Manual => "repaid (recorded by hand)".to_owned(),
                    }}
                </span>
            })}
            {can_repay.then(|| view! {
                <button type="button" class=BTN_LINK on:click=move |_| open.set(true)>"Add repayment"</button>
            })}
            <FormDialog
                open
                title="Add repayment".to_owned()
                on_submit
                busy=repaying.busy()
                error=repaying.error()
                submit_label="Add repayment"
                busy_label="Saving…"
            >
                <RadioGroup
                    name="repayment"
                    legend="How the customer repays"
                    hide_legend=true
                    multiline=true
                    value=method
                    options=vec![
                        (
                            RepaymentMethod::Link,
                            "Request by payment link: an order awaiting the customer's payment.",
                        ),
                        (RepaymentMethod::Manual, "Record a repayment received outside Patron."),
                    ]
                />
            </FormDialog>
        </li>
    }
}

#[component]
fn RefundDialog(open: RwSignal<bool>, order: Order, role: Role) -> impl IntoView {
    let ctx = use_customer();
    let remaining = order.refundable_amount;
    let currency = StoredValue::new(order.currency);
    // SEPA debits and bank transfers cannot be partly refunded, and need the risk accepted.
    let full_only = order.refunds_in_full_only();
    let full = RwSignal::new(true);
    let amount = RwSignal::new(String::new());
    let reason = RwSignal::new(String::new());
    let acknowledge = RwSignal::new(false);
    let block = RwSignal::new(false);
    let revoke = RwSignal::new(false);
    let refunding = Submission::<RefundOrder>::new(move |_| {
        open.set(false);
        ctx.changed();
    });
    let can_block = role.allows(Scope::PaymentDetailsWrite);
    let order_id = order.id.to_string();
    let on_submit = Callback::new(move |()| {
        let amount = if full.get_untracked() {
            None
        } else {
            match parse_major(&amount.get_untracked(), currency.get_value()) {
                Ok(a) if a > 0 => Some(a),
                Ok(_) => {
                    refunding.refuse("Amount: must be more than zero.");
                    return;
                }
                Err(e) => {
                    refunding.refuse(format!("Amount: {e}."));
                    return;
                }
            }
        };
        let reason = reason.get_untracked().trim().to_owned();
        let refund = RefundCreate {
            amount,
            reason: (!reason.is_empty()).then_some(reason),
            acknowledge_risk: acknowledge.get_untracked(),
            block_payment_details: block.get_untracked(),
            revoke_benefits: revoke.get_untracked(),
        };
        refunding.submit(RefundOrder {
            order_id: order_id.clone(),
            refund,
        });
    });
    view! {
        <FormDialog
            open
            title="Refund order".to_owned()
            on_submit
            busy=refunding.busy()
            error=refunding.error()
            submit_label="Refund"
            busy_label="Refunding…"
        >
            <p class="text-sm text-slate-600">
                "Remaining to refund: "
                <span class="font-semibold tabular-nums text-slate-900" data-testid="refund-remaining">
                    {money::format(remaining, currency.get_value())}
                </span>
            </p>
            {if full_only {
                view! {
                    <p class="rounded-md bg-amber-50 px-3 py-2 text-sm text-amber-800">
                        "This order was paid by SEPA debit or bank transfer: it can only be refunded in full, and the payer's bank may still reverse the original debit."
                    </p>
                    <Checkbox
                        checked=acknowledge
                        label="I understand the risk"
                        hint="Required for SEPA and bank-transfer refunds."
                    />
                }
                .into_any()
            } else {
                view! {
                    <RadioGroup
                        name="refund-kind"
                        legend="How much"
                        hide_legend=true
                        value=full
                        options=vec![(true, "Full refund of the remaining amount"), (false, "Partial refund")]
                    />
                    <Show when=move || !full.get()>
                        <TextField
                            id="refund-amount"
                            label=format!("Amount ({})", currency.get_value())
                            value=amount
                            inputmode="decimal"
                            placeholder="0.00"
                        />
                    </Show>
                }
                .into_any()
            }}
            <TextField id="refund-reason" label="Reason (internal)" value=reason maxlength=500 />
            {can_block.then(|| view! {
                <Checkbox
                    checked=block
                    label="Block all payment details"
                    hint="The customer's cards, accounts, emails and IPs can no longer pay."
                />
            })}
            <Checkbox checked=revoke label="Revoke benefits" hint="End the items this order granted." />
        </FormDialog>
    }
}
