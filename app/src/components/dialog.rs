//! Modal dialogs and the small pieces every form on the customer page shares.

use leptos::ev::KeyboardEvent;
use leptos::prelude::*;

use leptos::server_fn::ServerFn;

use super::alert::Alert;
use crate::types::AppError;

/// A primary button.
pub const BTN_PRIMARY: &str = "inline-flex items-center justify-center gap-1.5 rounded-md bg-indigo-600 px-3 py-1.5 text-sm font-semibold text-white shadow-sm hover:bg-indigo-500 disabled:cursor-not-allowed disabled:opacity-60 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600";
/// A secondary button.
pub const BTN: &str = "inline-flex items-center justify-center gap-1.5 rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm font-medium text-slate-700 shadow-sm hover:bg-slate-50 disabled:cursor-not-allowed disabled:opacity-60 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600";
/// A button that destroys.
pub const BTN_DANGER: &str = "inline-flex items-center justify-center gap-1.5 rounded-md bg-red-600 px-3 py-1.5 text-sm font-semibold text-white shadow-sm hover:bg-red-700 disabled:cursor-not-allowed disabled:opacity-60 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-red-600";
/// A small text button inside tables.
pub const BTN_LINK: &str = "rounded px-1.5 py-0.5 text-sm font-medium text-indigo-600 hover:bg-indigo-50 hover:text-indigo-700 disabled:cursor-not-allowed disabled:opacity-60";
/// A text input.
pub const INPUT: &str = "block w-full rounded-md border border-slate-300 px-2.5 py-1.5 text-sm shadow-sm focus:border-indigo-500 focus:outline-none focus:ring-1 focus:ring-indigo-500 aria-[invalid=true]:border-red-500";
/// A form label.
pub const LABEL: &str = "mb-1 block text-xs font-medium text-slate-600";

/// Hears where each dialog's panel opens: its top and its height, in CSS pixels of the page's
/// viewport. A page that is itself shown inside another one provides it (the embedded portal,
/// whose frame is as tall as its content: a panel at the frame's top can be out of the outer
/// page's view, and only that page can scroll to it).
#[derive(Clone, Copy, Debug)]
pub struct DialogOpened(pub Callback<(f64, f64)>);

/// A centred modal over a dimmed page. Escape or the backdrop closes it; the page behind
/// stays as it was.
#[component]
pub fn Dialog(
    /// Whether it is shown.
    open: RwSignal<bool>,
    /// The heading.
    #[prop(into)]
    title: Signal<String>,
    /// The body (a form, usually).
    children: ChildrenFn,
) -> impl IntoView {
    let on_key = move |ev: KeyboardEvent| {
        if ev.key() == "Escape" {
            open.set(false);
        }
    };
    let children = StoredValue::new(children);
    // Focus moves into the dialog when it opens (its first field, else the dialog itself), so
    // the keyboard works inside it and Escape reaches it.
    let panel = NodeRef::<leptos::html::Div>::new();
    let opened = use_context::<DialogOpened>();
    Effect::new(move |_| {
        if !open.get() {
            return;
        }
        if let Some(el) = panel.get() {
            use leptos::wasm_bindgen::JsCast;
            let field = el
                .query_selector("input:not([type=hidden]), select, textarea")
                .ok()
                .flatten()
                .and_then(|f| f.dyn_into::<leptos::web_sys::HtmlElement>().ok());
            let _ = match field {
                Some(f) => f.focus(),
                None => el.focus(),
            };
            #[cfg(feature = "hydrate")]
            if let Some(DialogOpened(tell)) = opened {
                let rect = el.get_bounding_client_rect();
                tell.run((rect.top(), rect.height()));
            }
        }
    });
    #[cfg(not(feature = "hydrate"))]
    let _ = opened;
    view! {
        <Show when=move || open.get()>
            <div
                class="fixed inset-0 z-40 flex items-start justify-center overflow-y-auto bg-slate-900/40 px-4 py-16"
                on:keydown=on_key
                on:click=move |_| open.set(false)
            >
                <div
                    node_ref=panel
                    tabindex="-1"
                    role="dialog"
                    aria-modal="true"
                    aria-labelledby="dialog-title"
                    class="w-full max-w-lg rounded-xl bg-white p-6 shadow-xl"
                    on:click=|ev| ev.stop_propagation()
                >
                    <h2 id="dialog-title" class="mb-4 text-lg font-semibold text-slate-900">
                        {move || title.get()}
                    </h2>
                    {children.with_value(|c| c())}
                </div>
            </div>
        </Show>
    }
}

/// A dialog holding one form: its fields, the failure if any, Cancel, and a submit button
/// that shows progress and cannot be pressed twice.
#[component]
pub fn FormDialog(
    /// Whether it is shown.
    open: RwSignal<bool>,
    /// The heading.
    #[prop(into)]
    title: Signal<String>,
    /// Runs on submit (Enter or the button); the browser's own submission is prevented.
    on_submit: Callback<()>,
    /// Whether the submission is running: the button says `busy_label` and is disabled.
    #[prop(into)]
    busy: Signal<bool>,
    /// The submission's failure, shown above the buttons.
    #[prop(into)]
    error: Signal<Option<String>>,
    /// The submit button's label.
    submit_label: &'static str,
    /// The submit button's label while the submission runs.
    busy_label: &'static str,
    /// A red submit button, for what cannot be undone.
    #[prop(optional)]
    danger: bool,
    /// The label of the button that closes the dialog unchanged ("Cancel" unless given).
    #[prop(optional)]
    dismiss_label: Option<&'static str>,
    /// Another action, shown apart on the left of the buttons (such as Unban).
    #[prop(optional, into)]
    aside: Option<ViewFn>,
    /// The fields.
    children: ChildrenFn,
) -> impl IntoView {
    let children = StoredValue::new(children);
    let submit_class = if danger { BTN_DANGER } else { BTN_PRIMARY };
    view! {
        <Dialog open title>
            <form
                class="space-y-4"
                novalidate
                on:submit=move |ev| {
                    ev.prevent_default();
                    on_submit.run(());
                }
            >
                {children.with_value(|c| c())}
                <ErrorNote error />
                <div class="flex flex-wrap justify-between gap-2">
                    <div>{aside.as_ref().map(|a| a.run())}</div>
                    <div class="flex gap-2">
                        <button type="button" class=BTN on:click=move |_| open.set(false)>
                            {dismiss_label.unwrap_or("Cancel")}
                        </button>
                        <button type="submit" class=submit_class disabled=move || busy.get()>
                            {move || if busy.get() { busy_label } else { submit_label }}
                        </button>
                    </div>
                </div>
            </form>
        </Dialog>
    }
}

/// A button that opens a dialog (a form, a confirmation) afresh: the last failure of its
/// submission is forgotten, and `clear` takes away what the last success left on the page.
#[component]
pub fn DialogButton<S>(
    /// The dialog's open flag.
    open: RwSignal<bool>,
    /// The dialog's submission.
    submission: Submission<S>,
    /// The button's classes.
    class: &'static str,
    /// Runs before the dialog opens: clears a notice, a secret shown once, a typed field, or
    /// notes what the dialog is about.
    #[prop(optional, into)]
    clear: Option<Callback<()>>,
    /// The label.
    children: Children,
) -> impl IntoView
where
    S: ServerFn<Error = AppError> + Clone + Send + Sync + 'static,
    S::Output: Send + Sync + 'static,
{
    view! {
        <button
            type="button"
            class=class
            on:click=move |_| {
                submission.reset();
                if let Some(clear) = clear {
                    clear.run(());
                }
                open.set(true);
            }
        >
            {children()}
        </button>
    }
}

/// A button that sends one request when pressed, and cannot be pressed again while it runs.
#[component]
pub fn SendButton<S, F>(
    /// The request's submission.
    submission: Submission<S>,
    /// Makes the request.
    send: F,
    /// The button's classes.
    class: &'static str,
    /// A tooltip saying what pressing it does.
    #[prop(optional)]
    title: Option<&'static str>,
    /// The label.
    children: Children,
) -> impl IntoView
where
    S: ServerFn<Error = AppError> + Clone + Send + Sync + 'static,
    S::Output: Send + Sync + 'static,
    F: Fn() -> S + 'static,
{
    view! {
        <button
            type="button"
            class=class
            disabled=submission.busy()
            title=title
            on:click=move |_| submission.submit(send())
        >
            {children()}
        </button>
    }
}

/// A one-line error under a form or beside an action.
#[component]
pub fn ErrorNote(error: Signal<Option<String>>) -> impl IntoView {
    move || {
        error.get().map(|e| {
            view! {
                <div class="mt-3">
                    <Alert>{e}</Alert>
                </div>
            }
        })
    }
}

/// How an action's failure reads on the page: a sentence for a person (`types::words`).
pub fn error_text(e: &AppError) -> String {
    crate::types::words::sentence(e)
}

/// A coloured pill for a status word.
#[component]
pub fn StatusBadge(#[prop(into)] status: String) -> impl IntoView {
    let tone = match status.as_str() {
        "paid" | "active" | "won" | "executed" => {
            "bg-emerald-50 text-emerald-700 ring-emerald-600/20"
        }
        "partially_refunded" | "past_due" | "pending" | "created" | "open" => {
            "bg-amber-50 text-amber-800 ring-amber-600/20"
        }
        "failed" | "chargeback" | "disputed" | "blocked" | "revoked" | "lost" => {
            "bg-red-50 text-red-700 ring-red-600/20"
        }
        _ => "bg-slate-100 text-slate-700 ring-slate-500/20",
    };
    let label = status.replace('_', " ");
    view! {
        <span class=format!(
            "inline-flex items-center rounded-full px-2 py-0.5 text-xs font-medium ring-1 ring-inset {tone}",
        )>{label}</span>
    }
}

/// One form's call to the server: a Leptos [`ServerAction`] with the failure the form shows.
///
/// `busy` follows the action; `error` holds the server's refusal (in merchant words) or a check
/// that failed before sending ([`Submission::refuse`]); `done` runs once per success. Several
/// submissions of one form can share an `error` ([`Submission::reporting_to`]).
pub struct Submission<S>
where
    S: ServerFn + 'static,
    S::Output: 'static,
{
    action: ServerAction<S>,
    error: RwSignal<Option<String>>,
}

impl<S> Clone for Submission<S>
where
    S: ServerFn + 'static,
    S::Output: 'static,
{
    fn clone(&self) -> Self {
        *self
    }
}

impl<S> std::fmt::Debug for Submission<S>
where
    S: ServerFn + 'static,
    S::Output: 'static,
{
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Submission")
            .field("path", &S::PATH)
            .finish_non_exhaustive()
    }
}

impl<S> Copy for Submission<S>
where
    S: ServerFn + 'static,
    S::Output: 'static,
{
}

impl<S> Submission<S>
where
    S: ServerFn<Error = AppError> + Clone + Send + Sync + 'static,
    S::Output: Send + Sync + 'static,
{
    /// A submission with its own failure message.
    pub fn new(done: impl Fn(&S::Output) + 'static) -> Self {
        Self::reporting_to(RwSignal::new(None), done)
    }

    /// A submission whose failure is shown in `error`, shared with the form's other submissions.
    pub fn reporting_to(
        error: RwSignal<Option<String>>,
        done: impl Fn(&S::Output) + 'static,
    ) -> Self {
        Self::explaining(error, done, |e| Some(error_text(e)))
    }

    /// A submission whose failures go through `explain` first: it shows some in place (a
    /// field's own message, a stale-version banner) and answers `None`, or answers the text
    /// for `error`.
    pub fn explaining(
        error: RwSignal<Option<String>>,
        done: impl Fn(&S::Output) + 'static,
        explain: impl Fn(&AppError) -> Option<String> + 'static,
    ) -> Self {
        let action = ServerAction::<S>::new();
        let seen = action.version();
        // Runs once per finished call: the version moves on every dispatch.
        Effect::new(move |last: Option<usize>| {
            let version = seen.get();
            if last != Some(version) {
                action.value().with(|answer| match answer {
                    Some(Ok(v)) => untrack(|| done(v)),
                    Some(Err(e)) => error.set(untrack(|| explain(e))),
                    None => {}
                });
            }
            version
        });
        Self { action, error }
    }

    /// Sends `input`, clearing the last failure.
    pub fn submit(&self, input: S) {
        self.error.set(None);
        self.action.dispatch(input);
    }

    /// Shows why the form was not sent (a check made before sending).
    pub fn refuse(&self, message: impl Into<String>) {
        self.error.set(Some(message.into()));
    }

    /// Forgets the last failure (a dialog opened afresh).
    pub fn reset(&self) {
        self.error.set(None);
    }

    /// Whether the call is running.
    pub fn busy(&self) -> Signal<bool> {
        self.action.pending().into()
    }

    /// The failure to show, if any.
    pub fn error(&self) -> Signal<Option<String>> {
        self.error.into()
    }
}

/// Asks before a destructive action; shows progress and any failure in place.
#[component]
pub fn Confirm(
    /// Whether it is shown.
    open: RwSignal<bool>,
    /// The question.
    #[prop(into)]
    title: Signal<String>,
    /// What will happen, in a sentence.
    #[prop(into)]
    message: Signal<String>,
    /// The confirming button's label.
    #[prop(into)]
    confirm_label: Signal<String>,
    /// Whether the action is running.
    #[prop(into)]
    busy: Signal<bool>,
    /// The action's failure.
    #[prop(into)]
    error: Signal<Option<String>>,
    /// Runs the action.
    on_confirm: Callback<()>,
) -> impl IntoView {
    view! {
        <Dialog open title>
            <p class="text-sm text-slate-600">{move || message.get()}</p>
            <ErrorNote error />
            <div class="mt-6 flex justify-end gap-2">
                <button type="button" class=BTN on:click=move |_| open.set(false)>
                    "Cancel"
                </button>
                <button
                    type="button"
                    class=BTN_DANGER
                    disabled=move || busy.get()
                    on:click=move |_| on_confirm.run(())
                >
                    {move || if busy.get() { "Working…".to_owned() } else { confirm_label.get() }}
                </button>
            </div>
        </Dialog>
    }
}
