//! The Payment details tab: the cards, accounts, emails and IPs this customer paid with, a
//! block toggle for each, Block all / Unblock all, and the log of who blocked what and when.

use leptos::prelude::*;

use super::{load_error, loading, nothing, use_customer};
use crate::components::badge::StatusBadge;
use crate::components::card::CARD_LIST;
use crate::components::dialog::{BTN, BTN_DANGER, Confirm, ErrorNote, Submission};
use crate::components::form::InlineError;
use crate::components::table::{Column, DataTable, TD, plus};
use crate::components::time::LocalTime;
use crate::server_fns::customer::{
    BlockAllPaymentDetails, BlockPaymentDetail, UnblockAllPaymentDetails, UnblockPaymentDetail,
    customer_activity, list_payment_details,
};
use crate::types::payment_detail::{PaymentDetailKind, PaymentDetailStatus};
use crate::types::{EventType, PaymentDetail, Scope};

fn kind_label(k: PaymentDetailKind) -> &'static str {
    match k {
        PaymentDetailKind::Card => "Card",
        PaymentDetailKind::Account => "Account",
        PaymentDetailKind::Email => "Email",
        PaymentDetailKind::Ip => "IP address",
    }
}

/// The customer's payment details and their log.
#[component]
pub fn PaymentDetailsTab() -> impl IntoView {
    let ctx = use_customer();
    let details = Resource::new(
        move || (ctx.id.get(), ctx.refresh.get()),
        |(id, _)| list_payment_details(id),
    );
    let log = Resource::new(
        move || (ctx.id.get(), ctx.refresh.get()),
        |(id, _)| customer_activity(id, true, None),
    );
    let block_all_open = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let done = move |_: &Vec<PaymentDetail>| {
        block_all_open.set(false);
        ctx.changed();
    };
    let blocking = Submission::<BlockAllPaymentDetails>::reporting_to(error, done);
    let unblocking = Submission::<UnblockAllPaymentDetails>::reporting_to(error, done);
    let busy = Signal::derive(move || blocking.busy().get() || unblocking.busy().get());
    let set_all = move |blocked: bool| {
        let id = ctx.id.get_untracked();
        if blocked {
            blocking.submit(BlockAllPaymentDetails { id });
        } else {
            unblocking.submit(UnblockAllPaymentDetails { id });
        }
    };
    let block_all = Callback::new(move |()| set_all(true));

    let body = move || {
        Suspend::new(async move {
            let can = ctx.role().await.allows(Scope::PaymentDetailsWrite);
            let list = match details.await {
                Ok(list) => list,
                Err(e) => return load_error(&e),
            };
            if list.is_empty() {
                return nothing("No payment details yet: they are recorded with each payment.");
            }
            let any_active = list.iter().any(|d| d.status == PaymentDetailStatus::Active);
            let any_blocked = list
                .iter()
                .any(|d| d.status == PaymentDetailStatus::Blocked);
            view! {
                {can.then(|| view! {
                    <div class="flex justify-end gap-2">
                        <button
                            type="button"
                            class=BTN
                            disabled=move || busy.get() || !any_blocked
                            on:click=move |_| set_all(false)
                        >
                            "Unblock all"
                        </button>
                        <button
                            type="button"
                            class=BTN_DANGER
                            disabled=move || busy.get() || !any_active
                            on:click=move |_| { error.set(None); block_all_open.set(true) }
                        >
                            "Block all"
                        </button>
                    </div>
                })}
                <DataTable
                    columns=vec![
                        Column::new("Kind"),
                        Column::new("Detail"),
                        Column::new("First seen"),
                        Column::new("Last seen"),
                        Column::new("Status"),
                        Column::hidden("Block"),
                    ]
                >
                    {list.into_iter().map(|d| view! { <DetailRow detail=d can /> }).collect_view()}
                </DataTable>
            }
            .into_any()
        })
    };
    let log_view = move || {
        Suspend::new(async move {
            match log.await {
                Ok(page) if page.data.is_empty() => {
                    nothing("Nothing has been blocked or unblocked.")
                }
                Ok(page) => view! {
                    <ul class=format!("{CARD_LIST} text-sm") data-testid="details-log">
                        {page.data.into_iter().map(|e| {
                            let what = e.detail_label().unwrap_or(e.target_id.as_str()).to_owned();
                            let verb = match e.action {
                                EventType::PaymentDetailBlocked => "blocked",
                                EventType::PaymentDetailUnblocked => "unblocked",
                                other => other.label(),
                            };
                            let by = format!("by {}", e.actor_text());
                            view! {
                                <li class="flex flex-wrap gap-x-3 px-4 py-2">
                                    <span class="font-medium">{verb}</span>
                                    <span class="break-all">{what}</span>
                                    <span class="text-slate-500">{by}</span>
                                    <LocalTime at=e.created_at class="ml-auto text-slate-500" />
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }
                .into_any(),
                Err(e) => load_error(&e),
            }
        })
    };
    view! {
        <section class="space-y-3" aria-label="Payment details">
            <Transition fallback=|| loading("payment details")>{body}</Transition>
            <ErrorNote error=error.into() />
            <h3 class="pt-3 text-sm font-semibold text-slate-900">"Log"</h3>
            <Transition fallback=|| loading("the log")>{log_view}</Transition>
            <Confirm
                open=block_all_open
                title="Block all payment details?".to_owned()
                message="None of this customer's cards, accounts, emails or IP addresses can pay again, for this or any other customer, until unblocked.".to_owned()
                confirm_label="Block all".to_owned()
                busy
                error
                on_confirm=block_all
            />
        </section>
    }
}

#[component]
fn DetailRow(detail: PaymentDetail, can: bool) -> impl IntoView {
    let ctx = use_customer();
    let error = RwSignal::new(None::<String>);
    let blocking = Submission::<BlockPaymentDetail>::reporting_to(error, move |_| ctx.changed());
    let unblocking =
        Submission::<UnblockPaymentDetail>::reporting_to(error, move |_| ctx.changed());
    let busy = Signal::derive(move || blocking.busy().get() || unblocking.busy().get());
    let blocked = detail.status == PaymentDetailStatus::Blocked;
    let id = detail.id.to_string();
    let toggle = move |_| {
        let detail_id = id.clone();
        if blocked {
            unblocking.submit(UnblockPaymentDetail { detail_id });
        } else {
            blocking.submit(BlockPaymentDetail { detail_id });
        }
    };
    let label = format!(
        "{} {}",
        if blocked { "Unblock" } else { "Block" },
        detail.label
    );
    view! {
        <tr data-detail-kind=detail.kind.as_str() data-detail-label=detail.label.clone()>
            <td class=plus(TD, "text-slate-600")>{kind_label(detail.kind)}</td>
            <td class=plus(TD, "break-all font-medium")>{detail.label.clone()}</td>
            <td class=plus(TD, "whitespace-nowrap text-slate-600")><LocalTime at=detail.first_seen_at /></td>
            <td class=plus(TD, "whitespace-nowrap text-slate-600")><LocalTime at=detail.last_seen_at /></td>
            <td class=TD data-testid="detail-status"><StatusBadge status=detail.status /></td>
            <td class=plus(TD, "text-right")>
                {can.then(|| view! {
                    <button
                        type="button"
                        role="switch"
                        aria-checked=if blocked { "true" } else { "false" }
                        aria-label=label.clone()
                        title=label.clone()
                        disabled=move || busy.get()
                        on:click=toggle.clone()
                        class=if blocked {
                            "relative inline-flex h-5 w-9 shrink-0 rounded-full bg-red-600 transition-colors disabled:opacity-60"
                        } else {
                            "relative inline-flex h-5 w-9 shrink-0 rounded-full bg-slate-300 transition-colors disabled:opacity-60"
                        }
                    >
                        <span class=if blocked {
                            "pointer-events-none inline-block size-4 translate-x-4 translate-y-0.5 rounded-full bg-white shadow"
                        } else {
                            "pointer-events-none inline-block size-4 translate-x-0.5 translate-y-0.5 rounded-full bg-white shadow"
                        }></span>
                    </button>
                })}
                <InlineError error />
            </td>
        </tr>
    }
}
