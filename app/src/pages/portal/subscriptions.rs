//! One subscription in the portal: what it costs, when it renews or ends, and the customer's
//! own actions on it: cancel at the end of the period (with a reason), or keep it after all.

use leptos::prelude::*;

use super::accent::{PORTAL_BTN_LINK, PORTAL_BTN_PRIMARY, PORTAL_LINK};
use crate::components::badge::StatusBadge;
use crate::components::card::CARD;
use crate::components::dialog::{BTN, DialogButton, FormDialog, SendButton, Submission};
use crate::components::form::{InlineError, SelectField, TextArea, TextField};
use crate::components::time::LocalTime;
use crate::server_fns::portal::{
    CancelMySubscription, RecoverMySubscription, UpdateMyPaymentMethod,
};
use crate::types::money;
use crate::types::portal::{CancelReason, PortalOrder, PortalSubscription};

fn every(s: &PortalSubscription) -> String {
    let unit = s.interval.as_str();
    if s.interval_count == 1 {
        format!("per {unit}")
    } else {
        format!("every {} {unit}s", s.interval_count)
    }
}

/// A subscription card, with Cancel or Keep when the customer may.
#[component]
pub(super) fn SubscriptionCard(
    sub: PortalSubscription,
    /// Its payments, newest first.
    history: Vec<PortalOrder>,
    read_only: bool,
    banned: bool,
    refresh: RwSignal<u32>,
) -> impl IntoView {
    let live = sub.status.is_live();
    let next = if !live {
        None
    } else if sub.cancel_at_period_end {
        Some(
            view! { "Ends on " <LocalTime at=sub.current_period_end /> ". It will not renew." }
                .into_any(),
        )
    } else {
        Some(view! { "Renews on " <LocalTime at=sub.current_period_end /> }.into_any())
    };
    let id = sub.id.to_string();
    let name = sub.product_name.clone();
    // The card it renews with, while it renews: a subscription that ends says so, once.
    let renews_with = sub
        .payment_method
        .clone()
        .filter(|_| live && !sub.cancel_at_period_end);
    let card = (live && !read_only && !banned)
        .then(|| view! { <CardButton id=id.clone() name=name.clone() refresh /> });
    let action = (live && !read_only).then(|| {
        if sub.cancel_at_period_end {
            (!banned).then(|| view! { <KeepButton id=id.clone() refresh /> }.into_any())
        } else {
            Some(view! { <CancelButton id=id.clone() name=name.clone() end=sub.current_period_end refresh /> }.into_any())
        }
    });
    view! {
        <li class=format!("{CARD} p-4") data-subscription-id=sub.id.to_string()>
            <div class="flex flex-wrap items-center gap-3">
                <h3 class="font-semibold text-slate-900">{sub.product_name.clone()}</h3>
                <StatusBadge status=sub.status />
                <span class="ml-auto font-semibold tabular-nums">
                    {format!("{} {}", money::format(sub.amount, sub.currency), every(&sub))}
                </span>
            </div>
            <div class="mt-2 flex flex-wrap items-center gap-3">
                {next.map(|n| view! { <p class="text-sm text-slate-600" data-testid="subscription-next">{n}</p> })}
                <div class="ml-auto">{action.flatten()}</div>
            </div>
            {renews_with.map(|method| view! {
                <div class="mt-2 flex flex-wrap items-center gap-3 text-sm text-slate-600">
                    <p data-testid="subscription-card">{format!("Renews with {method}")}</p>
                    {card}
                </div>
            })}
            {(!history.is_empty()).then(|| view! { <History orders=history /> })}
        </li>
    }
}

#[component]
fn KeepButton(id: String, refresh: RwSignal<u32>) -> impl IntoView {
    let sub = StoredValue::new(id.clone());
    let keeping = Submission::<RecoverMySubscription>::new(move |_| {
        crate::embed::notify_action(
            crate::types::EventType::SubscriptionRecovered,
            &sub.get_value(),
        );
        refresh.update(|n| *n += 1);
    });
    view! {
        <SendButton submission=keeping send=move || RecoverMySubscription { id: id.clone() } class=BTN>
            {move || if keeping.busy().get() { "Keeping…" } else { "Keep my subscription" }}
        </SendButton>
        <InlineError error=keeping.error() class="mt-1 text-sm text-red-700" />
    }
}

#[component]
fn CancelButton(
    id: String,
    name: String,
    end: chrono::DateTime<chrono::Utc>,
    refresh: RwSignal<u32>,
) -> impl IntoView {
    let open = RwSignal::new(false);
    let reason = RwSignal::new(String::new());
    let comment = RwSignal::new(String::new());
    let id = StoredValue::new(id);
    let canceling = Submission::<CancelMySubscription>::new(move |_| {
        open.set(false);
        crate::embed::notify_action(
            crate::types::EventType::SubscriptionCanceled,
            &id.get_value(),
        );
        refresh.update(|n| *n += 1);
    });
    let submit = Callback::new(move |()| {
        if reason.get_untracked().is_empty() {
            canceling.refuse("Reason: choose one from the list.");
            return;
        }
        canceling.submit(CancelMySubscription {
            id: id.get_value(),
            reason: reason.get_untracked(),
            comment: comment.get_untracked(),
        });
    });
    let title = format!("Cancel {name}?");
    view! {
        <DialogButton open submission=canceling class=PORTAL_BTN_LINK>
            "Cancel subscription"
        </DialogButton>
        <FormDialog
            open
            title=title
            on_submit=submit
            busy=canceling.busy()
            error=canceling.error()
            submit_label="Cancel at period end"
            busy_label="Canceling…"
            danger=true
            dismiss_label="Keep it"
        >
            <p class="text-sm text-slate-600">
                "You keep it until " <LocalTime at=end /> ". It will not renew after that, and you can change your mind until then."
            </p>
            <SelectField id="cancel-reason" label="Why are you canceling?" value=reason required=true>
                <option value="" selected=move || reason.get().is_empty()>"Choose a reason"</option>
                {CancelReason::ALL.into_iter().map(|r| view! {
                    <option value=r.as_str() selected=move || reason.get() == r.as_str()>{r.label()}</option>
                }).collect_view()}
            </SelectField>
            <TextArea
                id="cancel-comment"
                label="Anything else the shop should know? (optional)"
                value=comment
                rows=3
                maxlength=400
            />
        </FormDialog>
    }
}

#[component]
fn CardButton(id: String, name: String, refresh: RwSignal<u32>) -> impl IntoView {
    let open = RwSignal::new(false);
    let number = RwSignal::new(String::new());
    let id = StoredValue::new(id);
    let updating = Submission::<UpdateMyPaymentMethod>::new(move |_| {
        open.set(false);
        crate::embed::notify_action(
            crate::types::EventType::SubscriptionPaymentMethodUpdated,
            &id.get_value(),
        );
        refresh.update(|n| *n += 1);
    });
    let submit = Callback::new(move |()| {
        if number.get_untracked().trim().is_empty() {
            updating.refuse("Card number: type the number on the card.");
            return;
        }
        updating.submit(UpdateMyPaymentMethod {
            id: id.get_value(),
            card_number: number.get_untracked(),
        });
    });
    view! {
        <DialogButton open submission=updating class=PORTAL_BTN_LINK clear=move || number.set(String::new())>
            "Update payment method"
        </DialogButton>
        <FormDialog
            open
            title=format!("New card for {name}")
            on_submit=submit
            busy=updating.busy()
            error=updating.error()
            submit_label="Save card"
            busy_label="Checking the card…"
            primary_class=PORTAL_BTN_PRIMARY
        >
            <p class="text-sm text-slate-600">
                "The card is checked with the payment provider now; nothing is charged until the next renewal."
            </p>
            <TextField
                id="card-number"
                label="Card number"
                value=number
                inputmode="numeric"
                autocomplete="cc-number"
                required=true
                input_class="font-mono"
            />
        </FormDialog>
    }
}

/// A subscription's payments: each renewal or first purchase, with its receipt.
#[component]
fn History(orders: Vec<PortalOrder>) -> impl IntoView {
    let count = orders.len();
    let base = super::embed::portal_base();
    view! {
        <details class="mt-3 text-sm" data-testid="billing-history">
            <summary class=format!("cursor-pointer select-none max-sm:py-3 {PORTAL_LINK}")>
                {format!("Billing history ({count})")}
            </summary>
            <ul class="mt-2 divide-y divide-slate-100">
                {orders.into_iter().map(|o| view! {
                    <li class="flex flex-wrap items-center gap-3 py-1.5">
                        <span class="text-slate-600"><LocalTime at=o.at /></span>
                        <span class="tabular-nums">{money::format(o.amount, o.currency)}</span>
                        <StatusBadge status=o.status />
                        {o.paid.then(|| view! {
                            <a href=format!("{base}/orders/{}", o.id) class=format!("ml-auto {PORTAL_LINK}")>
                                "Receipt"
                            </a>
                        })}
                    </li>
                }).collect_view()}
            </ul>
        </details>
    }
}
