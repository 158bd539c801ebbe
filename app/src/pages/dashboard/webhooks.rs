//! Webhooks in the dashboard: the Settings page's list of endpoints (add one and see its
//! secret once), and `/dashboard/settings/webhooks/<id>`: an endpoint's deliveries (all or
//! failed), each delivery's attempts, "Resend", "Resend all failed since...", enabling,
//! disabling, rotating the secret and deleting.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_params_map};

use crate::components::alert::Alert;
use crate::components::badge::{Badge, BadgeTone, StatusBadge};
use crate::components::card::{CARD, CARD_LIST, SettingsSection, section_failure};
use crate::components::dialog::{
    BTN, BTN_DANGER, BTN_LINK, BTN_PRIMARY, Confirm, DialogButton, ErrorNote, FormDialog, LABEL,
    SendButton, Submission,
};
use crate::components::empty_state::Loading;
use crate::components::form::{Checkbox, SetCheckbox, TextField};
use crate::components::table::{Column, DataTable, MINI};
use crate::components::time::LocalTime;
use crate::server_fns::webhooks::{
    CreateWebhookEndpoint, DeleteWebhookEndpoint, ResendFailedWebhooks, ResendWebhookDelivery,
    RotateWebhookSecret, UpdateWebhookEndpoint, load_webhook_deliveries, load_webhook_delivery,
    load_webhook_endpoints,
};
use crate::types::webhook::{
    WebhookDelivery, WebhookEndpoint, WebhookEndpointCreate, WebhookEndpointUpdate,
};
use crate::types::{EventFamily, EventPattern};

fn events_label(types: &[EventPattern]) -> String {
    if types.contains(&EventPattern::All) {
        "All events".to_owned()
    } else if types.is_empty() {
        "No events".to_owned()
    } else {
        types
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// An endpoint's state as a pill: green while it gets deliveries, grey once disabled.
fn endpoint_badge(enabled: bool) -> impl IntoView {
    let (tone, label) = if enabled {
        (BadgeTone::Good, "active")
    } else {
        (BadgeTone::Neutral, "disabled")
    };
    view! { <Badge tone label /> }
}

/// A secret shown once, with a copy button.
#[component]
pub fn SecretOnce(
    secret: String,
    /// What the secret is ("Signing secret" unless given).
    #[prop(optional)]
    what: Option<&'static str>,
    /// The box's `data-testid` ("webhook-secret" unless given).
    #[prop(optional)]
    testid: Option<&'static str>,
) -> impl IntoView {
    let copied = RwSignal::new(false);
    let value = secret.clone();
    let copy = move |_| {
        #[cfg(feature = "hydrate")]
        if let Some(w) = leptos::web_sys::window() {
            let _ = w.navigator().clipboard().write_text(&value);
            copied.set(true);
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = &value;
    };
    view! {
        <div class="rounded-lg border border-amber-300 bg-amber-50 p-3" role="status" data-testid=testid.unwrap_or("webhook-secret")>
            <p class="text-sm font-medium text-amber-900">{what.unwrap_or("Signing secret")}": copy it now, it is not shown again."</p>
            <div class="mt-2 flex flex-wrap items-center gap-2">
                <code class="break-all rounded bg-white px-2 py-1 font-mono text-xs text-slate-900">{secret}</code>
                <button type="button" class=BTN on:click=copy>
                    {move || if copied.get() { "Copied" } else { "Copy" }}
                </button>
            </div>
        </div>
    }
}

/// The Settings page's Webhooks section.
#[component]
pub fn WebhooksSection() -> impl IntoView {
    let refresh = RwSignal::new(0_u32);
    let endpoints = Resource::new(move || refresh.get(), |_| load_webhook_endpoints());
    let open = RwSignal::new(false);
    let secret = RwSignal::new(None::<String>);
    let url = RwSignal::new(String::new());
    let description = RwSignal::new(String::new());
    let all = RwSignal::new(true);
    let families = RwSignal::new(Vec::<String>::new());
    let creating = Submission::<CreateWebhookEndpoint>::new(move |e: &WebhookEndpoint| {
        open.set(false);
        secret.set(e.secret.clone());
        refresh.update(|n| *n += 1);
    });
    let submit = Callback::new(move |()| {
        let types = if all.get_untracked() {
            vec![EventPattern::All.to_string()]
        } else {
            families.get_untracked()
        };
        if types.is_empty() {
            creating.refuse("Events: choose at least one kind, or all events.");
            return;
        }
        creating.submit(CreateWebhookEndpoint {
            input: WebhookEndpointCreate {
                url: url.get_untracked(),
                description: Some(description.get_untracked()),
                event_types: Some(types),
                enabled: Some(true),
            },
        });
    });
    let list = move || {
        Suspend::new(async move {
            match endpoints.await {
                Ok(page) if page.data.is_empty() => view! {
                    <p class="mt-3 text-sm text-slate-500">"No endpoints yet: add one to hear about orders, subscriptions and more as they happen."</p>
                }
                .into_any(),
                Ok(page) => view! {
                    <ul class="mt-3 divide-y divide-slate-100 rounded-lg border border-slate-200">
                        {page.data.into_iter().map(|e| view! {
                            <li class="flex flex-wrap items-center gap-3 px-3 py-2" data-endpoint-id=e.id.to_string()>
                                <div class="min-w-0 flex-1">
                                    <a
                                        href=format!("/dashboard/settings/webhooks/{}", e.id)
                                        class="block truncate font-medium text-indigo-600 hover:text-indigo-500"
                                    >
                                        {e.url.clone()}
                                    </a>
                                    <p class="text-xs text-slate-500">
                                        {events_label(&e.event_types)}
                                        {e.description.clone().map(|d| format!(" · {d}"))}
                                    </p>
                                </div>
                                {endpoint_badge(e.enabled)}
                            </li>
                        }).collect_view()}
                    </ul>
                }
                .into_any(),
                Err(e) => section_failure(e, Some("Only admins and owners manage webhooks.")),
            }
        })
    };
    view! {
        <SettingsSection
            id="webhooks"
            title="Webhooks"
            description=|| "Patron POSTs each change (customers, orders, refunds, disputes, subscriptions, entitlements, bans) to your endpoints, signed per Standard Webhooks."
            action=move || view! {
                <DialogButton open submission=creating class=BTN_PRIMARY clear=move || secret.set(None)>
                    "Add endpoint"
                </DialogButton>
            }
        >
            {move || secret.get().map(|s| view! { <div class="mt-3"><SecretOnce secret=s /></div> })}
            <Suspense fallback=|| view! { <Loading class="mt-3" /> }>
                {list}
            </Suspense>
            <FormDialog
                open
                title="Add a webhook endpoint"
                on_submit=submit
                busy=creating.busy()
                error=creating.error()
                submit_label="Add endpoint"
                busy_label="Adding…"
            >
                <TextField
                    id="webhook-url"
                    label="URL"
                    value=url
                    kind="url"
                    placeholder="https://shop.example/patron-hooks"
                />
                <TextField id="webhook-description" label="Description (optional)" value=description kind="text" />
                <fieldset>
                    <legend class=LABEL>"Events"</legend>
                    <Checkbox checked=all label="All events" plain=true />
                    <div class="mt-2 grid grid-cols-2 gap-1">
                        {EventFamily::WEBHOOK.into_iter().map(|family| view! {
                            <SetCheckbox set=families value=EventPattern::Family(family).to_string() disabled=all>
                                {family.label()}
                            </SetCheckbox>
                        }).collect_view()}
                    </div>
                </fieldset>
            </FormDialog>
        </SettingsSection>
    }
}

/// `/dashboard/settings/webhooks/<id>`: one endpoint and its deliveries.
#[component]
pub fn WebhookEndpointPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let failed_only = RwSignal::new(false);
    let after = RwSignal::new(None::<String>);
    let refresh = RwSignal::new(0_u32);
    let data = Resource::new(
        move || (id(), failed_only.get(), after.get(), refresh.get()),
        |(id, failed, after, _)| load_webhook_deliveries(id, failed, after),
    );
    let body = move || {
        Suspend::new(async move {
            match data.await {
                Ok((endpoint, page)) => view! {
                    <EndpointHeader endpoint refresh />
                    <Deliveries page failed_only after refresh endpoint_id=id() />
                }
                .into_any(),
                Err(e) => view! { <Alert large=true>{e.sentence()}</Alert> }.into_any(),
            }
        })
    };
    view! {
        <Title text="Webhook endpoint" />
        <div class="mx-auto max-w-4xl space-y-6">
            <a href="/dashboard/settings" class=BTN_LINK>"← Settings"</a>
            <Suspense fallback=|| view! { <Loading /> }>
                {body}
            </Suspense>
        </div>
    }
}

#[component]
fn EndpointHeader(endpoint: WebhookEndpoint, refresh: RwSignal<u32>) -> impl IntoView {
    let id = StoredValue::new(endpoint.id.to_string());
    let secret = RwSignal::new(None::<String>);
    let toggling = Submission::<UpdateWebhookEndpoint>::new(move |_| refresh.update(|n| *n += 1));
    let rotate_open = RwSignal::new(false);
    let rotating = Submission::<RotateWebhookSecret>::new(move |e: &WebhookEndpoint| {
        rotate_open.set(false);
        secret.set(e.secret.clone());
    });
    let delete_open = RwSignal::new(false);
    let navigate = use_navigate();
    let deleting = Submission::<DeleteWebhookEndpoint>::new(move |_| {
        navigate("/dashboard/settings", Default::default());
    });
    let enabled = endpoint.enabled;
    view! {
        <header class=format!("{CARD} p-5")>
            <div class="flex flex-wrap items-center gap-3">
                <div class="min-w-0 flex-1">
                    <h1 class="truncate text-xl font-semibold text-slate-900" data-testid="webhook-url">{endpoint.url.clone()}</h1>
                    <p class="text-sm text-slate-600">
                        {events_label(&endpoint.event_types)}
                        {endpoint.description.clone().map(|d| format!(" · {d}"))}
                    </p>
                </div>
                {endpoint_badge(enabled)}
            </div>
            {endpoint.disabled_reason.clone().map(|r| view! {
                <p class="mt-3 rounded-md bg-red-50 px-3 py-2 text-sm text-red-800" role="status" data-testid="webhook-disabled-reason">{r}</p>
            })}
            <div class="mt-4 flex flex-wrap gap-2">
                <SendButton
                    submission=toggling
                    send=move || UpdateWebhookEndpoint {
                        id: id.get_value(),
                        input: WebhookEndpointUpdate { enabled: Some(!enabled), ..Default::default() },
                    }
                    class=BTN
                >
                    {if enabled { "Disable" } else { "Enable" }}
                </SendButton>
                <button type="button" class=BTN on:click=move |_| rotate_open.set(true)>"Rotate secret"</button>
                <button type="button" class=BTN_DANGER on:click=move |_| delete_open.set(true)>"Delete"</button>
            </div>
            <ErrorNote error=toggling.error() />
            {move || secret.get().map(|s| view! { <div class="mt-3"><SecretOnce secret=s /></div> })}
            <Confirm
                open=rotate_open
                title="Rotate the signing secret?"
                message="Patron makes a new secret. For 24 hours every delivery is signed with both, so your back end can switch without missing one."
                confirm_label="Rotate secret"
                busy=rotating.busy()
                error=rotating.error()
                on_confirm=Callback::new(move |()| rotating.submit(RotateWebhookSecret { id: id.get_value() }))
            />
            <Confirm
                open=delete_open
                title="Delete this endpoint?"
                message="It gets no more deliveries, and its delivery log is deleted with it."
                confirm_label="Delete endpoint"
                busy=deleting.busy()
                error=deleting.error()
                on_confirm=Callback::new(move |()| deleting.submit(DeleteWebhookEndpoint { id: id.get_value() }))
            />
        </header>
    }
}

#[component]
fn Deliveries(
    page: crate::types::Page<WebhookDelivery>,
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
    let last = page.data.last().map(|d| d.id.to_string());
    let has_more = page.has_more;
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
                view! { <p class="text-sm text-slate-500">"No deliveries yet."</p> }.into_any()
            } else {
                view! {
                    <ul class=CARD_LIST>
                        {page.data.into_iter().map(|d| view! { <DeliveryRow delivery=d /> }).collect_view()}
                    </ul>
                }.into_any()
            }}
            {has_more.then(|| view! {
                <button type="button" class=BTN on:click=move |_| after.set(last.clone())>"Older deliveries"</button>
            })}
        </section>
    }
}

#[component]
fn DeliveryRow(delivery: WebhookDelivery) -> impl IntoView {
    let id = delivery.id.to_string();
    let open = RwSignal::new(false);
    let version = RwSignal::new(0_u32);
    let status = RwSignal::new(delivery.status);
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
        status.set(d.status);
        version.update(|v| *v += 1);
    });
    let rid = StoredValue::new(id.clone());
    view! {
        <li class="px-3 py-2" data-delivery-id=id.clone()>
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
                {move || view! { <StatusBadge status=status.get() /> }}
                <span class="text-slate-600">
                    {format!("{} attempt{}", delivery.attempt_count, if delivery.attempt_count == 1 { "" } else { "s" })}
                    {delivery.last_status.map(|s| format!(" · last answer {s}"))}
                </span>
                <span class="ml-auto text-slate-500"><LocalTime at=delivery.created_at /></span>
                <SendButton submission=resending send=move || ResendWebhookDelivery { id: rid.get_value() } class=BTN_LINK>
                    "Resend"
                </SendButton>
            </div>
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
        </li>
    }
}

#[component]
fn Attempts(delivery: WebhookDelivery) -> impl IntoView {
    let attempts = delivery.attempts.unwrap_or_default();
    view! {
        <div class="mt-2 overflow-x-auto">
            {delivery.next_attempt_at.map(|t| view! {
                <p class="mb-1 text-xs text-slate-600">"Next attempt: " <LocalTime at=t /></p>
            })}
            {if attempts.is_empty() {
                view! { <p class="text-xs text-slate-500">"Not attempted yet."</p> }.into_any()
            } else {
                view! {
                    <DataTable
                        style=MINI
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
                                <td class="py-1 pr-3 whitespace-nowrap"><LocalTime at=a.at /></td>
                                <td class="py-1 pr-3">
                                    {a.status_code.map(|s| s.to_string()).or(a.error.clone()).unwrap_or_default()}
                                </td>
                                <td class="py-1 pr-3 text-right tabular-nums">{format!("{} ms", a.latency_ms)}</td>
                                <td class="py-1"><code class="break-all text-slate-600">{a.response_excerpt.clone().unwrap_or_default()}</code></td>
                            </tr>
                        }).collect_view()}
                    </DataTable>
                }.into_any()
            }}
        </div>
    }
}
