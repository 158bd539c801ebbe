//! Webhooks in the dashboard: the Settings page's list of endpoints (add one and see its
//! secret once), and `/dashboard/settings/webhooks/<id>`: an endpoint ([`endpoint`]: edit it,
//! send it a test event, enable, disable, rotate its secret, delete it) and its deliveries
//! ([`deliveries`]: all or the failed and failing ones, where each stands, its attempts and
//! payload, "Resend", "Resend all failed since...").

mod deliveries;
mod endpoint;

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::components::alert::Alert;
use crate::components::badge::{Badge, BadgeTone};
use crate::components::card::{SettingsSection, section_failure};
use crate::components::dialog::{
    BTN, BTN_LINK, BTN_PRIMARY, DialogButton, FormDialog, LABEL, Submission,
};
use crate::components::empty_state::Loading;
use crate::components::form::{Checkbox, SetCheckbox, TextField};
use crate::server_fns::webhooks::{
    CreateWebhookEndpoint, load_webhook_deliveries, load_webhook_endpoints,
};
use crate::types::webhook::{WebhookEndpoint, WebhookEndpointCreate};
use crate::types::{EventFamily, EventPattern, EventType};

/// Why a form with no event ticked is not sent.
const NO_EVENTS: &str = "Events: choose at least one kind, or all events.";

/// The event types a form sends: all, or the ones ticked.
fn chosen_types(all: RwSignal<bool>, chosen: RwSignal<Vec<String>>) -> Vec<String> {
    if all.get_untracked() {
        vec![EventPattern::All.to_string()]
    } else {
        chosen.get_untracked()
    }
}

/// The Events part of an endpoint's form: all events, or families, or (for an endpoint made
/// through the API with exact types) those types.
#[component]
fn EventsFieldset(
    /// "All events".
    all: RwSignal<bool>,
    /// The families (`order.*`) and exact types (`order.paid`) ticked.
    chosen: RwSignal<Vec<String>>,
    /// Exact types to offer beside the families: the ones the endpoint has.
    #[prop(optional)]
    exact: Vec<EventType>,
) -> impl IntoView {
    view! {
        <fieldset>
            <legend class=LABEL>"Events"</legend>
            <Checkbox checked=all label="All events" plain=true />
            <div class="mt-2 grid grid-cols-2 gap-1">
                {EventFamily::WEBHOOK.into_iter().map(|family| view! {
                    <SetCheckbox set=chosen value=EventPattern::Family(family).to_string() disabled=all>
                        {family.label()}
                    </SetCheckbox>
                }).collect_view()}
                {exact.into_iter().map(|t| view! {
                    <SetCheckbox set=chosen value=t.as_str().to_owned() disabled=all>
                        {t.label()}
                    </SetCheckbox>
                }).collect_view()}
            </div>
        </fieldset>
    }
}

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
        let types = chosen_types(all, families);
        if types.is_empty() {
            creating.refuse(NO_EVENTS);
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
                <EventsFieldset all chosen=families />
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
                    <endpoint::EndpointHeader endpoint refresh />
                    <deliveries::Deliveries page failed_only after refresh endpoint_id=id() />
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
