//! The head of an endpoint's page: its URL, events and state, and what can be done to it
//! (edit, send a test event, enable or disable, rotate its secret, delete).

use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

use super::{EventsFieldset, NO_EVENTS, SecretOnce, chosen_types, endpoint_badge, events_label};
use crate::components::card::CARD;
use crate::components::dialog::{
    BTN, BTN_DANGER, Confirm, DialogButton, ErrorNote, FormDialog, SendButton, Submission,
};
use crate::components::form::TextField;
use crate::server_fns::webhooks::{
    DeleteWebhookEndpoint, EditWebhookEndpoint, RotateWebhookSecret, SendWebhookTestEvent,
    UpdateWebhookEndpoint,
};
use crate::types::webhook::{
    TestEventAnswer, WebhookEndpoint, WebhookEndpointEdit, WebhookEndpointUpdate,
};
use crate::types::{EventPattern, EventType};

#[component]
pub(super) fn EndpointHeader(endpoint: WebhookEndpoint, refresh: RwSignal<u32>) -> impl IntoView {
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
    let answer = RwSignal::new(None::<TestEventAnswer>);
    let testing = Submission::<SendWebhookTestEvent>::new(move |a: &TestEventAnswer| {
        answer.set(Some(a.clone()));
    });
    let enabled = endpoint.enabled;
    view! {
        <header class=format!("{CARD} p-5")>
            <div class="flex flex-wrap items-center gap-3">
                <div class="min-w-0 flex-1">
                    <h1 class="truncate text-xl font-semibold text-slate-900" data-testid="webhook-url">{endpoint.url.clone()}</h1>
                    <p class="text-sm text-slate-600" data-testid="webhook-summary">
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
                <EditEndpoint endpoint=endpoint.clone() refresh />
                <SendButton
                    submission=testing
                    send=move || {
                        answer.set(None);
                        SendWebhookTestEvent { id: id.get_value() }
                    }
                    class=BTN
                    title="POSTs a signed ping event to this URL now and shows the answer"
                >
                    {move || if testing.busy().get() { "Sending…" } else { "Send test event" }}
                </SendButton>
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
            <ErrorNote error=testing.error() />
            {move || answer.get().map(|a| view! { <TestAnswer answer=a /> })}
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

/// "Edit" and its dialog: the endpoint's URL, description and events, as they are when it opens.
#[component]
fn EditEndpoint(endpoint: WebhookEndpoint, refresh: RwSignal<u32>) -> impl IntoView {
    let open = RwSignal::new(false);
    let url = RwSignal::new(String::new());
    let description = RwSignal::new(String::new());
    let all = RwSignal::new(false);
    let chosen = RwSignal::new(Vec::<String>::new());
    // Exact types (set through the API) are offered beside the families, to keep or drop.
    let exact: Vec<EventType> = endpoint
        .event_types
        .iter()
        .filter_map(|p| match p {
            EventPattern::One(t) => Some(*t),
            _ => None,
        })
        .collect();
    let id = endpoint.id.to_string();
    let saved = StoredValue::new(endpoint);
    let reset = move || {
        saved.with_value(|e| {
            url.set(e.url.clone());
            description.set(e.description.clone().unwrap_or_default());
            all.set(e.event_types.contains(&EventPattern::All));
            chosen.set(
                e.event_types
                    .iter()
                    .filter(|p| **p != EventPattern::All)
                    .map(ToString::to_string)
                    .collect(),
            );
        });
    };
    reset();
    let editing = Submission::<EditWebhookEndpoint>::new(move |_| {
        open.set(false);
        refresh.update(|n| *n += 1);
    });
    let submit = Callback::new(move |()| {
        let event_types = chosen_types(all, chosen);
        if event_types.is_empty() {
            editing.refuse(NO_EVENTS);
            return;
        }
        editing.submit(EditWebhookEndpoint {
            id: id.clone(),
            edit: WebhookEndpointEdit {
                url: url.get_untracked(),
                description: description.get_untracked(),
                event_types,
            },
        });
    });
    view! {
        <DialogButton open submission=editing class=BTN clear=reset>
            "Edit"
        </DialogButton>
        <FormDialog
            open
            title="Edit endpoint"
            on_submit=submit
            busy=editing.busy()
            error=editing.error()
            submit_label="Save changes"
            busy_label="Saving…"
        >
            <TextField id="edit-webhook-url" label="URL" value=url kind="url" />
            <TextField
                id="edit-webhook-description"
                label="Description (optional)"
                value=description
                kind="text"
                hint="Leave it empty to remove the description."
            />
            <EventsFieldset all chosen exact=exact.clone() />
        </FormDialog>
    }
}

/// What the endpoint answered the test event: its status and the start of its body, or why no
/// answer came (in words, the sender's own report under them).
#[component]
fn TestAnswer(answer: TestEventAnswer) -> impl IntoView {
    let ms = answer.latency_ms;
    let (colours, headline, detail, detail_label) = match (answer.status, answer.error.clone()) {
        (Some(status), _) if answer.accepted() => (
            "border-emerald-200 bg-emerald-50 text-emerald-900",
            format!("Your endpoint accepted the test event: it answered {status} in {ms} ms."),
            answer.body,
            "The endpoint's answer",
        ),
        (Some(status), _) => (
            "border-amber-300 bg-amber-50 text-amber-900",
            format!(
                "Your endpoint answered {status} in {ms} ms. Patron counts a delivery as delivered only when the answer is 2xx."
            ),
            answer.body,
            "The endpoint's answer",
        ),
        (None, error) => {
            let error = error.unwrap_or_default();
            let headline = if error.starts_with("timed out") {
                "Your endpoint did not answer in time.".to_owned()
            } else if error.contains("private, loopback or link-local") {
                "Patron did not send it: the address is private, loopback or link-local, and webhooks go to public addresses only.".to_owned()
            } else if error.starts_with("could not connect") {
                "Patron could not connect to your endpoint.".to_owned()
            } else {
                "Your endpoint sent no answer.".to_owned()
            };
            (
                "border-red-200 bg-red-50 text-red-800",
                headline,
                error,
                "What went wrong",
            )
        }
    };
    view! {
        <div
            class=format!("mt-3 rounded-lg border p-3 text-sm {colours}")
            role="status"
            data-testid="webhook-test-answer"
        >
            <p>{headline}</p>
            {(!detail.is_empty()).then(|| view! {
                <pre
                    class="mt-2 max-h-40 overflow-auto whitespace-pre-wrap break-all rounded bg-white p-2 font-mono text-xs text-slate-800 focus-visible:outline-2 focus-visible:outline-indigo-600"
                    tabindex="0"
                    role="region"
                    aria-label=detail_label
                >
                    {detail}
                </pre>
            })}
        </div>
    }
}
