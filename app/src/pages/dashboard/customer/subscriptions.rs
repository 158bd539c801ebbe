//! The Subscriptions tab: a status filter, each subscription with its period and renewal, the
//! actions Cancel (now or at period end), Cancel now, Recover and Revoke now, and the billing
//! history (invoices and every payment attempt).

use leptos::prelude::*;

use super::{load_error, loading, nothing, use_customer};
use crate::components::badge::StatusBadge;
use crate::components::card::CARD;
use crate::components::dialog::{
    BTN, BTN_DANGER, BTN_LINK, Confirm, ErrorNote, FormDialog, Submission,
};
use crate::components::form::{Checkbox, SelectField, TextField};
use crate::components::table::{Column, DataTable, TD, TD_NUM, TableExtra, plus};
use crate::components::time::LocalTime;
use crate::server_fns::customer::{
    CancelSubscription, RecoverSubscription, RevokeSubscription, list_invoices, list_subscriptions,
};
use crate::types::money;
use crate::types::subscription::{SubscriptionCancel, SubscriptionRevoke, SubscriptionStatus};
use crate::types::{Role, Scope, Subscription};

/// The customer's subscriptions.
#[component]
pub fn SubscriptionsTab() -> impl IntoView {
    let ctx = use_customer();
    let status = RwSignal::new(String::new());
    let subs = Resource::new(
        move || (ctx.id.get(), ctx.refresh.get(), status.get()),
        |(id, _, status)| list_subscriptions(id, (!status.is_empty()).then_some(status)),
    );
    let body = move || {
        Suspend::new(async move {
            let role = ctx.role().await;
            match subs.await {
                Ok(list) if list.is_empty() => nothing(if status.get_untracked().is_empty() {
                    "No subscriptions."
                } else {
                    "No subscriptions in this status."
                }),
                Ok(list) => view! {
                    <ul class="space-y-3">
                        {list.into_iter().map(|s| view! { <SubscriptionCard sub=s role /> }).collect_view()}
                    </ul>
                }
                .into_any(),
                Err(e) => load_error(&e),
            }
        })
    };
    view! {
        <section class="space-y-3" aria-label="Subscriptions">
            <SelectField id="subscription-status" label="Status" value=status select_class="max-w-xs">
                <option value="">"All statuses"</option>
                {SubscriptionStatus::ALL.iter().map(|s| view! {
                    <option value=s.as_str()>{s.as_str().replace('_', " ")}</option>
                }).collect_view()}
            </SelectField>
            <Transition fallback=|| loading("subscriptions")>{body}</Transition>
        </section>
    }
}

fn period(s: &Subscription) -> String {
    let unit = s.interval.as_str();
    if s.interval_count == 1 {
        format!("every {unit}")
    } else {
        format!("every {} {unit}s", s.interval_count)
    }
}

#[component]
fn SubscriptionCard(sub: Subscription, role: Role) -> impl IntoView {
    let ctx = use_customer();
    let live = sub.status.is_live();
    let scheduled = live && sub.cancel_at_period_end;
    let can = role.allows(Scope::SubscriptionsWrite);
    let id = sub.id.to_string();
    let cancel_open = RwSignal::new(false);
    let revoke_open = RwSignal::new(false);
    let cancel_now_open = RwSignal::new(false);
    let history_open = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let revoking = Submission::<RevokeSubscription>::reporting_to(error, move |_| {
        revoke_open.set(false);
        ctx.changed();
    });
    let canceling = Submission::<CancelSubscription>::reporting_to(error, move |_| {
        cancel_now_open.set(false);
        ctx.changed();
    });
    let recovering = Submission::<RecoverSubscription>::reporting_to(error, move |_| ctx.changed());

    let end = sub.current_period_end;
    let next_renewal = if !live {
        "—".into_any()
    } else if scheduled {
        view! { "none: cancels on " <LocalTime at=end date_only=true /> }.into_any()
    } else if let Some(retry) = sub.next_retry_at {
        let attempt = format!(" (attempt {})", sub.retry_count + 1);
        view! { "retry " <LocalTime at=retry /> {attempt} }.into_any()
    } else {
        view! { <LocalTime at=end date_only=true /> }.into_any()
    };
    let revoke = {
        let id = id.clone();
        Callback::new(move |()| {
            revoking.submit(RevokeSubscription {
                subscription_id: id.clone(),
                revoke: SubscriptionRevoke { reason: None },
            })
        })
    };
    let cancel_now = {
        let id = id.clone();
        Callback::new(move |()| {
            canceling.submit(CancelSubscription {
                subscription_id: id.clone(),
                cancel: SubscriptionCancel {
                    at_period_end: false,
                    reason: None,
                },
            })
        })
    };
    let recover = {
        let id = id.clone();
        move |_| {
            recovering.submit(RecoverSubscription {
                subscription_id: id.clone(),
            })
        }
    };
    let fact = |label: &'static str, value: AnyView| {
        view! {
            <div>
                <dt class="text-xs text-slate-500">{label}</dt>
                <dd class="text-sm text-slate-900">{value}</dd>
            </div>
        }
    };
    let history_id = id.clone();
    let cancel_id = id.clone();
    view! {
        <li class=format!("{CARD} p-4") data-subscription-id=id.clone()>
            <div class="flex flex-wrap items-center gap-3">
                <h3 class="font-semibold text-slate-900">{sub.product_name.clone()}</h3>
                <span data-testid="subscription-status"><StatusBadge status=sub.status /></span>
                // The attention badge's pill, with the day in the reader's own calendar.
                {scheduled.then(|| view! {
                    <span
                        class="inline-flex items-center rounded-full bg-amber-50 px-2 py-0.5 text-xs font-medium text-amber-800 ring-1 ring-inset ring-amber-600/20"
                        data-testid="cancels-at-period-end"
                    >
                        "Cancels on "
                        <LocalTime at=end date_only=true />
                    </span>
                })}
                <span class="ml-auto font-semibold tabular-nums">
                    {format!("{} {}", money::format(sub.amount, sub.currency), period(&sub))}
                </span>
            </div>
            <dl class="mt-3 grid gap-3 sm:grid-cols-2 lg:grid-cols-4">
                {fact(
                    "Current period",
                    view! {
                        <LocalTime at=sub.current_period_start date_only=true />
                        " – "
                        <LocalTime at=end date_only=true />
                    }
                    .into_any(),
                )}
                {fact("Next renewal", next_renewal)}
                {fact("Created", view! { <LocalTime at=sub.created_at date_only=true /> }.into_any())}
                {fact("Payment method", sub.payment_method.label().into_any())}
                {sub.ended_at.map(|t| fact("Ended", view! { <LocalTime at=t /> }.into_any()))}
                {sub.cancel_reason.clone().map(|r| fact("Reason", r.into_any()))}
            </dl>
            <div class="mt-3 flex flex-wrap items-center gap-2">
                {(can && live && !scheduled).then(|| view! {
                    <button type="button" class=BTN on:click=move |_| { error.set(None); cancel_open.set(true) }>"Cancel"</button>
                })}
                {(can && scheduled).then(|| view! {
                    <button type="button" class=BTN disabled=recovering.busy() on:click=recover.clone()>"Recover"</button>
                    <button type="button" class=BTN on:click=move |_| { error.set(None); cancel_now_open.set(true) }>"Cancel now"</button>
                })}
                {(can && live).then(|| view! {
                    <button type="button" class=BTN_DANGER on:click=move |_| { error.set(None); revoke_open.set(true) }>"Revoke now"</button>
                })}
                <button
                    type="button"
                    class=BTN_LINK
                    aria-expanded=move || if history_open.get() { "true" } else { "false" }
                    on:click=move |_| history_open.update(|o| *o = !*o)
                >
                    {move || if history_open.get() { "Hide billing history" } else { "Billing history" }}
                </button>
            </div>
            {move || (!cancel_open.get() && !revoke_open.get() && !cancel_now_open.get()).then(|| view! { <ErrorNote error=error.into() /> })}
            <Show when=move || history_open.get()>
                <BillingHistory subscription_id=history_id.clone() />
            </Show>
            <CancelDialog open=cancel_open subscription_id=cancel_id.clone() />
            <Confirm
                open=cancel_now_open
                title="Cancel now?".to_owned()
                message="The scheduled cancellation happens now: the subscription ends today and its benefits end with it.".to_owned()
                confirm_label="Cancel now".to_owned()
                busy=canceling.busy()
                error
                on_confirm=cancel_now
            />
            <Confirm
                open=revoke_open
                title="Revoke now?".to_owned()
                message="The subscription is canceled and every item it granted is revoked at once. Use this for fraud or abuse.".to_owned()
                confirm_label="Revoke now".to_owned()
                busy=revoking.busy()
                error
                on_confirm=revoke
            />
        </li>
    }
}

#[component]
fn CancelDialog(open: RwSignal<bool>, subscription_id: String) -> impl IntoView {
    let ctx = use_customer();
    let keep = RwSignal::new(true);
    let reason = RwSignal::new(String::new());
    let canceling = Submission::<CancelSubscription>::new(move |_| {
        open.set(false);
        ctx.changed();
    });
    let on_submit = Callback::new(move |()| {
        let reason = reason.get_untracked().trim().to_owned();
        let cancel = SubscriptionCancel {
            at_period_end: keep.get_untracked(),
            reason: (!reason.is_empty()).then_some(reason),
        };
        canceling.submit(CancelSubscription {
            subscription_id: subscription_id.clone(),
            cancel,
        });
    });
    view! {
        <FormDialog
            open
            title="Cancel subscription".to_owned()
            on_submit
            busy=canceling.busy()
            error=canceling.error()
            submit_label="Cancel subscription"
            busy_label="Canceling…"
            dismiss_label="Keep subscription"
        >
            <Checkbox
                checked=keep
                label="Keep active until the end of the period"
                hint="The customer keeps their benefits until then and is not charged again. Untick to end it now."
            />
            <TextField id="cancel-reason" label="Reason (internal)" value=reason maxlength=500 />
        </FormDialog>
    }
}

/// The billing history's table: the shared look, set apart from the card's lines above it.
const HISTORY_TABLE: TableExtra = TableExtra {
    frame: "mt-3",
    ..TableExtra::NONE
};

#[component]
fn BillingHistory(subscription_id: String) -> impl IntoView {
    // Not keyed on the refresh counter: a refresh rebuilds the cards, and this with them.
    let invoices = Resource::new(move || subscription_id.clone(), list_invoices);
    let body = move || {
        Suspend::new(async move {
            match invoices.await {
                Ok(list) if list.is_empty() => nothing("No invoices yet."),
                Ok(list) => view! {
                    <DataTable
                        extra=HISTORY_TABLE
                        columns=vec![
                            Column::new("Invoice"),
                            Column::new("Period"),
                            Column::numeric("Amount"),
                            Column::new("Status"),
                            Column::new("Attempts"),
                        ]
                    >
                        {list.into_iter().map(|inv| view! {
                            <tr class="align-top">
                                <td class=plus(TD, "font-mono text-xs")>{inv.id.to_string()}</td>
                                <td class=plus(TD, "whitespace-nowrap")>
                                    <LocalTime at=inv.period_start date_only=true />
                                    " – "
                                    <LocalTime at=inv.period_end date_only=true />
                                </td>
                                <td class=TD_NUM>{money::format(inv.amount, inv.currency)}</td>
                                <td class=TD><StatusBadge status=inv.status /></td>
                                <td class=TD>
                                    <ul class="space-y-0.5">
                                        {inv.attempts.into_iter().map(|a| view! {
                                            <li class="text-xs">
                                                <span class=if a.failure_code.is_some() { "text-red-700" } else { "text-emerald-700" }>
                                                    {a.status.as_str()}
                                                </span>
                                                " "
                                                <LocalTime at=a.attempted_at />
                                                {a.failure_message.map(|m| format!(" · {m}"))}
                                            </li>
                                        }).collect_view()}
                                    </ul>
                                </td>
                            </tr>
                        }).collect_view()}
                    </DataTable>
                }
                .into_any(),
                Err(e) => load_error(&e),
            }
        })
    };
    view! { <Transition fallback=|| loading("the billing history")>{body}</Transition> }
}
