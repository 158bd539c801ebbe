//! An endpoint's deliveries: all, or the failed and failing ones; where each stands (failing
//! with its last answer or error, waiting behind a failing one), its attempts, its payload,
//! "Resend", and "Resend all failed since...".

use leptos::prelude::*;

use crate::components::alert::Alert;
use crate::components::badge::{Badge, BadgeTone};
use crate::components::card::CARD_LIST;
use crate::components::dialog::{BTN, BTN_LINK, Dialog, SendButton, Submission};
use crate::components::empty_state::Loading;
use crate::components::form::TextField;
use crate::components::table::{Column, DataTable, TD, TD_NUM, plus};
use crate::components::time::LocalTime;
use crate::server_fns::webhooks::{
    ResendFailedWebhooks, ResendWebhookDelivery, load_webhook_delivery, load_webhook_payload,
};
use crate::types::Page;
use crate::types::webhook::{DeliveryLine, DeliveryPayload, DeliveryState, WebhookDelivery};

#[component]
pub(super) fn Deliveries(
    page: Page<DeliveryLine>,
    failed_only: RwSignal<bool>,
    after: RwSignal<Option<String>>,
    refresh: RwSignal<u32>,
    endpoint_id: String,
) -> impl IntoView {
    let since = RwSignal::new(String::new());
    let resent = RwSignal::new(None::<u64>);
    let resending = Submission::<ResendFailedWebhooks>::new(move |n: &u64| {
        resent.set(Some(*n));
        refresh.update(|r| *r += 1);
    });
    let endpoint_id = StoredValue::new(endpoint_id);
    let resend_all = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let local = since.get_untracked();
        if local.is_empty() {
            resending.refuse("Since: choose a date and time.");
        } else {
            // The field is in the reader's time zone; the server wants an instant.
            #[cfg(feature = "hydrate")]
            let since: String = js_sys::Date::new(&leptos::wasm_bindgen::JsValue::from_str(&local))
                .to_iso_string()
                .into();
            #[cfg(not(feature = "hydrate"))]
            let since = local;
            resending.submit(ResendFailedWebhooks {
                id: endpoint_id.get_value(),
                since,
            });
        }
    };
    let last = page.data.last().map(|d| d.delivery.id.to_string());
    let has_more = page.has_more;
    let empty = if failed_only.get_untracked() {
        "No failed or failing deliveries."
    } else {
        "No deliveries yet."
    };
    view! {
        <section aria-labelledby="webhook-deliveries" class="space-y-3">
            <div class="flex flex-wrap items-end gap-3">
                <h2 id="webhook-deliveries" class="flex-1 text-lg font-semibold text-slate-900">"Deliveries"</h2>
                <div role="group" aria-label="Show" class="inline-flex rounded-md shadow-sm">
                    <button
                        type="button"
                        class=move || format!("{BTN} rounded-r-none {}", if failed_only.get() { "" } else { "bg-slate-100" })
                        aria-pressed=move || (!failed_only.get()).to_string()
                        on:click=move |_| { after.set(None); failed_only.set(false); }
                    >
                        "All"
                    </button>
                    <button
                        type="button"
                        class=move || format!("{BTN} rounded-l-none {}", if failed_only.get() { "bg-slate-100" } else { "" })
                        aria-pressed=move || failed_only.get().to_string()
                        title="Given up on, or failing and tried again later"
                        on:click=move |_| { after.set(None); failed_only.set(true); }
                    >
                        "Failed"
                    </button>
                </div>
            </div>
            <form class="flex flex-wrap items-end gap-2" novalidate on:submit=resend_all>
                <TextField id="resend-since" label="Resend all failed since" value=since kind="datetime-local" />
                <button type="submit" class=BTN disabled=resending.busy()>"Resend failed"</button>
                {move || resent.get().map(|n| view! {
                    <p class="text-sm text-emerald-700" role="status">
                        {format!("{n} deliver{} queued again.", if n == 1 { "y" } else { "ies" })}
                    </p>
                })}
            </form>
            {move || resending.error().get().map(|e| view! { <Alert>{e}</Alert> })}
            {if page.data.is_empty() {
                view! { <p class="text-sm text-slate-500">{empty}</p> }.into_any()
            } else {
                view! {
                    <ul class=CARD_LIST>
                        {page.data.into_iter().map(|line| view! { <DeliveryRow line /> }).collect_view()}
                    </ul>
                }.into_any()
            }}
            {has_more.then(|| view! {
                <button type="button" class=BTN on:click=move |_| after.set(last.clone())>"Older deliveries"</button>
            })}
        </section>
    }
}

/// Where a delivery stands, in a word: its pill's label.
fn state_word(state: DeliveryState) -> &'static str {
    match state {
        DeliveryState::Queued => "pending",
        DeliveryState::Failing => "failing",
        DeliveryState::WaitingBehind => "waiting",
        DeliveryState::Succeeded => "succeeded",
        DeliveryState::Failed => "failed",
    }
}

/// Where a delivery stands, as a pill.
fn state_badge(state: DeliveryState) -> impl IntoView {
    let tone = match state {
        DeliveryState::Queued | DeliveryState::WaitingBehind => BadgeTone::Attention,
        DeliveryState::Failing | DeliveryState::Failed => BadgeTone::Bad,
        DeliveryState::Succeeded => BadgeTone::Neutral,
    };
    view! { <Badge tone label=state_word(state) /> }
}

/// "3 attempts · last answer 503", or "· last error: timed out after 15 s".
fn attempts_words(d: &WebhookDelivery) -> String {
    let n = d.attempt_count;
    let mut words = format!("{n} attempt{}", if n == 1 { "" } else { "s" });
    match (d.last_status, &d.last_error) {
        (Some(status), _) => words.push_str(&format!(" · last answer {status}")),
        (None, Some(error)) => words.push_str(&format!(" · last error: {error}")),
        (None, None) => {}
    }
    words
}

/// What a failing or waiting delivery waits for, under its row.
fn state_note(state: DeliveryState, d: &WebhookDelivery) -> Option<AnyView> {
    match state {
        DeliveryState::Failing => Some(
            view! {
                <p class="mt-1 text-xs text-red-700">
                    "Its last attempt failed."
                    {d.next_attempt_at.map(|t| view! { " Next attempt: " <LocalTime at=t /> "." })}
                </p>
            }
            .into_any(),
        ),
        DeliveryState::WaitingBehind => Some(
            view! {
                <p class="mt-1 text-xs text-amber-800">
                    "Waiting behind a failing delivery: this endpoint gets its events in order, so this one goes out once the older one succeeds or is given up on."
                </p>
            }
            .into_any(),
        ),
        DeliveryState::Queued | DeliveryState::Succeeded | DeliveryState::Failed => None,
    }
}

#[component]
fn DeliveryRow(line: DeliveryLine) -> impl IntoView {
    let id = line.delivery.id.to_string();
    let open = RwSignal::new(false);
    let version = RwSignal::new(0_u32);
    let state = RwSignal::new(line.state);
    let current = RwSignal::new(line.delivery.clone());
    let detail = Resource::new(move || (open.get(), version.get()), {
        let id = id.clone();
        move |(open, _)| {
            let id = id.clone();
            async move {
                if open {
                    Some(load_webhook_delivery(id).await)
                } else {
                    None
                }
            }
        }
    });
    let resending = Submission::<ResendWebhookDelivery>::new(move |d: &WebhookDelivery| {
        state.set(DeliveryState::of(d, false));
        current.set(d.clone());
        version.update(|v| *v += 1);
    });
    let payload_open = RwSignal::new(false);
    let payload_id = id.clone();
    let rid = StoredValue::new(id.clone());
    let delivery = line.delivery;
    view! {
        <li class="px-3 py-2" data-delivery-id=id.clone() data-state=move || state_word(state.get())>
            <div class="flex flex-wrap items-center gap-3 text-sm">
                <button
                    type="button"
                    class="font-medium text-slate-900 hover:text-indigo-600"
                    aria-expanded=move || open.get().to_string()
                    on:click=move |_| open.update(|o| *o = !*o)
                >
                    {delivery.event_type.as_str()}
                </button>
                <span class="font-mono text-xs text-slate-500">{delivery.event_id.to_string()}</span>
                {move || state_badge(state.get())}
                <span class="text-slate-600">{move || current.with(attempts_words)}</span>
                <span class="ml-auto text-slate-500"><LocalTime at=delivery.created_at /></span>
                <button type="button" class=BTN_LINK on:click=move |_| payload_open.set(true)>
                    "View payload"
                </button>
                <SendButton submission=resending send=move || ResendWebhookDelivery { id: rid.get_value() } class=BTN_LINK>
                    "Resend"
                </SendButton>
            </div>
            {move || current.with(|d| state_note(state.get(), d))}
            {move || resending.error().get().map(|e| view! { <Alert>{e}</Alert> })}
            <Show when=move || open.get()>
                <Suspense fallback=|| view! { <Loading /> }>
                    {move || Suspend::new(async move {
                        match detail.await {
                            Some(Ok(d)) => view! { <Attempts delivery=d /> }.into_any(),
                            Some(Err(e)) => view! { <Alert>{e.sentence()}</Alert> }.into_any(),
                            None => ().into_any(),
                        }
                    })}
                </Suspense>
            </Show>
            <PayloadDialog open=payload_open id=payload_id />
        </li>
    }
}

/// A delivery's body, pretty-printed, in a dialog: loaded when it opens.
#[component]
fn PayloadDialog(open: RwSignal<bool>, id: String) -> impl IntoView {
    let payload = Resource::new(
        move || open.get(),
        move |open| {
            let id = id.clone();
            async move {
                if open {
                    Some(load_webhook_payload(id).await)
                } else {
                    None
                }
            }
        },
    );
    view! {
        <Dialog open title="Delivery payload">
            <Suspense fallback=|| view! { <Loading /> }>
                {move || Suspend::new(async move {
                    match payload.await {
                        Some(Ok(p)) => view! { <PayloadBody payload=p /> }.into_any(),
                        Some(Err(e)) => view! { <Alert>{e.sentence()}</Alert> }.into_any(),
                        None => ().into_any(),
                    }
                })}
            </Suspense>
            <div class="mt-5 flex justify-end">
                <button type="button" class=BTN on:click=move |_| open.set(false)>"Close"</button>
            </div>
        </Dialog>
    }
}

#[component]
fn PayloadBody(payload: DeliveryPayload) -> impl IntoView {
    let DeliveryPayload { body, sent } = payload;
    // Indented for reading; as it is when it is not JSON.
    let pretty = serde_json::from_str::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| serde_json::to_string_pretty(&v).ok())
        .unwrap_or(body);
    view! {
        {(!sent).then(|| view! {
            <p class="mb-2 text-sm text-slate-600">
                "Not sent yet: this is the body as it would be built now. It is fixed at the first attempt, and every retry sends the same bytes."
            </p>
        })}
        <pre
            class="max-h-96 overflow-auto rounded-md bg-slate-900 p-3 text-xs text-slate-100 focus-visible:outline-2 focus-visible:outline-indigo-600"
            tabindex="0"
            role="region"
            aria-label="Payload"
            data-testid="webhook-payload"
        >
            {pretty}
        </pre>
    }
}

#[component]
fn Attempts(delivery: WebhookDelivery) -> impl IntoView {
    let attempts = delivery.attempts.unwrap_or_default();
    view! {
        <div class="mt-2">
            {delivery.next_attempt_at.map(|t| view! {
                <p class="mb-1 text-xs text-slate-600">"Next attempt: " <LocalTime at=t /></p>
            })}
            {if attempts.is_empty() {
                view! { <p class="text-xs text-slate-500">"Not attempted yet."</p> }.into_any()
            } else {
                view! {
                    <DataTable
                        columns=vec![
                            Column::new("Time"),
                            Column::new("Answer"),
                            Column::numeric("Latency"),
                            Column::new("Response"),
                        ]
                        testid="webhook-attempts"
                    >
                        {attempts.into_iter().map(|a| view! {
                            <tr>
                                <td class=plus(TD, "whitespace-nowrap")><LocalTime at=a.at /></td>
                                <td class=TD>
                                    {a.status_code.map(|s| s.to_string()).or(a.error.clone()).unwrap_or_default()}
                                </td>
                                <td class=plus(TD_NUM, "whitespace-nowrap")>{format!("{} ms", a.latency_ms)}</td>
                                <td class=TD><code class="break-all text-xs text-slate-600">{a.response_excerpt.clone().unwrap_or_default()}</code></td>
                            </tr>
                        }).collect_view()}
                    </DataTable>
                }.into_any()
            }}
        </div>
    }
}
