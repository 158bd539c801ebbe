//! Modal dialogs and the small pieces every form on the customer page shares.

use std::cell::RefCell;
use std::sync::atomic::{AtomicUsize, Ordering};

use leptos::ev::KeyboardEvent;
use leptos::prelude::*;
use leptos::web_sys::{Element, HtmlElement, HtmlInputElement};

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

/// A centred modal over the whole dimmed page. Escape or a press on the backdrop closes it
/// (not while its action runs); Tab and Shift+Tab go round its controls and never reach the
/// page behind, which does not scroll meanwhile; once closed, the focus is back on the control
/// that opened it.
#[component]
pub fn Dialog(
    /// Whether it is shown.
    open: RwSignal<bool>,
    /// The heading.
    #[prop(into)]
    title: Signal<String>,
    /// Whether its action is running: Escape and the backdrop leave it open meanwhile.
    #[prop(optional, into)]
    busy: Signal<bool>,
    /// The body (a form, usually).
    children: ChildrenFn,
) -> impl IntoView {
    let children = StoredValue::new(children);
    let id = NEXT_DIALOG.fetch_add(1, Ordering::Relaxed);
    // Unique: a dialog can open over another one (Unban over a ban's dialog).
    let title_id = format!("dialog-title-{id}");
    let panel = NodeRef::<leptos::html::Div>::new();
    let close = move || {
        if !busy.get_untracked() {
            open.set(false);
        }
    };
    // On the window, so the keys still work when the focused control went away (a button
    // disabled while its action runs). Only the dialog on top answers.
    let on_key = move |ev: KeyboardEvent| {
        if ev.default_prevented() || open.try_get_untracked() != Some(true) || !on_top(id) {
            return;
        }
        match ev.key().as_str() {
            "Escape" if busy.try_get_untracked() != Some(true) => {
                ev.prevent_default();
                open.set(false);
            }
            "Tab" => {
                if let Some(el) = panel.get_untracked() {
                    keep_tab_inside(&el, &ev);
                }
            }
            _ => {}
        }
    };
    // While it is open the keys are heard and the page behind stays still. In an effect: in
    // the browser only; the cleanup runs when it closes or leaves the page.
    Effect::new(move |_| {
        if !open.get() {
            return;
        }
        push_dialog(id);
        let keys = window_event_listener(leptos::ev::keydown, on_key);
        on_cleanup(move || {
            keys.remove();
            pop_dialog(id);
        });
    });
    // Focus moves into the dialog when it opens (its first field, else the dialog itself), so
    // the keyboard works inside it, and goes back to what had it once the dialog closes.
    let opened = use_context::<DialogOpened>();
    Effect::new(move |was: Option<Option<Opened>>| {
        let was = was.flatten();
        if !open.get() {
            if let Some(back) = was.and_then(|w| w.opener) {
                // Once the page has settled: the opener may be gone with what closed it.
                request_animation_frame(move || {
                    if back.is_connected() {
                        let _ = back.focus();
                    }
                });
            }
            return None;
        }
        let (opener, focused) = match was {
            Some(w) => (w.opener, w.focused),
            None => (focused_element(), false),
        };
        // The panel of an earlier opening stays in the reference until this one is shown.
        let el = match panel.get() {
            Some(el) if !focused && el.is_connected() => el,
            _ => return Some(Opened { opener, focused }),
        };
        use leptos::wasm_bindgen::JsCast;
        let field = el
            .query_selector("input:not([type=hidden]), select, textarea")
            .ok()
            .flatten()
            .and_then(|f| f.dyn_into::<HtmlElement>().ok());
        let _ = match field {
            Some(f) => f.focus(),
            None => el.focus(),
        };
        #[cfg(feature = "hydrate")]
        if let Some(DialogOpened(tell)) = opened {
            let rect = el.get_bounding_client_rect();
            tell.run((rect.top(), rect.height()));
        }
        Some(Opened {
            opener,
            focused: true,
        })
    });
    #[cfg(not(feature = "hydrate"))]
    let _ = opened;
    view! {
        <Show when=move || open.get()>
            // Fixed to the viewport and above the page's own layers: it dims the whole screen.
            // `m-0`: a parent's `space-y-*` margin would lift its bottom edge off the screen's.
            <div
                class="fixed inset-0 z-50 m-0 flex items-start justify-center overflow-y-auto overscroll-contain bg-slate-900/40 px-4 py-16"
                data-testid="dialog-backdrop"
                on:click=move |_| close()
            >
                <div
                    node_ref=panel
                    tabindex="-1"
                    role="dialog"
                    aria-modal="true"
                    aria-labelledby=title_id.clone()
                    class="w-full max-w-lg rounded-xl bg-white p-6 shadow-xl"
                    on:click=|ev| ev.stop_propagation()
                >
                    <h2 id=title_id.clone() class="mb-4 text-lg font-semibold text-slate-900">
                        {move || title.get()}
                    </h2>
                    {children.with_value(|c| c())}
                </div>
            </div>
        </Show>
    }
}

/// The next dialog's number, for its heading's id and its place among the open dialogs.
static NEXT_DIALOG: AtomicUsize = AtomicUsize::new(0);

/// Where an open dialog stands: the control to give the focus back to, and whether the focus
/// has moved into its panel yet.
struct Opened {
    opener: Option<HtmlElement>,
    focused: bool,
}

/// The dialogs open on the page, the last on top, and the page root's own `overflow` and
/// `padding-right` from before the first of them opened.
struct OpenDialogs {
    stack: Vec<usize>,
    overflow: String,
    padding: String,
}

thread_local! {
    static OPEN_DIALOGS: RefCell<OpenDialogs> = const {
        RefCell::new(OpenDialogs {
            stack: Vec::new(),
            overflow: String::new(),
            padding: String::new(),
        })
    };
}

/// The page's root element (`<html>`).
fn page_root() -> Option<HtmlElement> {
    use leptos::wasm_bindgen::JsCast;
    leptos::web_sys::window()?
        .document()?
        .document_element()?
        .dyn_into::<HtmlElement>()
        .ok()
}

/// Puts dialog `id` on top. The first one open stops the page behind from scrolling; a
/// padding as wide as the scrollbar it hides keeps the page from shifting sideways.
fn push_dialog(id: usize) {
    let root = page_root();
    OPEN_DIALOGS.with_borrow_mut(|open| {
        if open.stack.is_empty()
            && let Some(root) = &root
        {
            let style = root.style();
            open.overflow = style.get_property_value("overflow").unwrap_or_default();
            open.padding = style
                .get_property_value("padding-right")
                .unwrap_or_default();
            let bar = leptos::web_sys::window()
                .and_then(|w| w.inner_width().ok())
                .and_then(|w| w.as_f64())
                .map_or(0.0, |w| w - f64::from(root.client_width()));
            let _ = style.set_property("overflow", "hidden");
            if bar > 0.0 {
                let _ = style.set_property("padding-right", &format!("{bar}px"));
            }
        }
        open.stack.push(id);
    });
}

/// Takes dialog `id` away; the last one gives the page back its scrolling.
fn pop_dialog(id: usize) {
    let root = page_root();
    OPEN_DIALOGS.with_borrow_mut(|open| {
        let before = open.stack.len();
        open.stack.retain(|d| *d != id);
        if open.stack.len() < before
            && open.stack.is_empty()
            && let Some(root) = &root
        {
            let style = root.style();
            for (property, value) in [
                ("overflow", &open.overflow),
                ("padding-right", &open.padding),
            ] {
                let _ = if value.is_empty() {
                    style.remove_property(property).map(drop)
                } else {
                    style.set_property(property, value)
                };
            }
        }
    });
}

/// Whether dialog `id` is the open one on top.
fn on_top(id: usize) -> bool {
    OPEN_DIALOGS.with_borrow(|open| open.stack.last() == Some(&id))
}

/// The element that has the focus, unless it is the page's body.
fn focused_element() -> Option<HtmlElement> {
    use leptos::wasm_bindgen::JsCast;
    let document = leptos::web_sys::window()?.document()?;
    let active = document.active_element()?.dyn_into::<HtmlElement>().ok()?;
    (Some(&active) != document.body().as_ref()).then_some(active)
}

/// Tab from the last control goes round to the first, Shift+Tab from the first (or from the
/// panel itself) to the last, and either brings back a focus that left the panel.
fn keep_tab_inside(panel: &HtmlElement, ev: &KeyboardEvent) {
    let controls = tabbable(panel);
    let (Some(first), Some(last)) = (controls.first(), controls.last()) else {
        // Nothing to reach: the focus stays on the panel.
        ev.prevent_default();
        let _ = panel.focus();
        return;
    };
    let active = leptos::web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.active_element());
    let inside = panel.contains(active.as_deref());
    let has_focus = |el: &HtmlElement| active.as_ref().is_some_and(|a| a == &**el);
    let target = if ev.shift_key() {
        (!inside || has_focus(panel) || has_focus(first)).then_some(last)
    } else {
        (!inside || has_focus(last)).then_some(first)
    };
    if let Some(target) = target {
        ev.prevent_default();
        let _ = target.focus();
    }
}

/// What Tab reaches inside `panel`, in order: the shown, enabled controls, and of a group of
/// radio buttons only the checked one (else the first).
fn tabbable(panel: &HtmlElement) -> Vec<HtmlElement> {
    use leptos::wasm_bindgen::JsCast;
    const CONTROLS: &str = "a[href], button, input, select, textarea, summary, [tabindex]";
    let mut found = Vec::new();
    let mut next = panel.first_element_child();
    while let Some(el) = next {
        next = el.first_element_child().or_else(|| following(&el, panel));
        if !el.matches(CONTROLS).unwrap_or(false) || el.matches(":disabled").unwrap_or(false) {
            continue;
        }
        if let Ok(control) = el.dyn_into::<HtmlElement>()
            && control.tab_index() >= 0
            && (control.offset_width() > 0 || control.offset_height() > 0)
        {
            found.push(control);
        }
    }
    let radio = |c: &HtmlElement| {
        c.dyn_ref::<HtmlInputElement>()
            .filter(|i| i.type_() == "radio" && !i.name().is_empty())
            .map(|i| (i.name(), i.checked()))
    };
    let checked: Vec<String> = found
        .iter()
        .filter_map(radio)
        .filter_map(|(name, on)| on.then_some(name))
        .collect();
    let mut seen: Vec<String> = Vec::new();
    found.retain(|c| match radio(c) {
        None | Some((_, true)) => true,
        Some((name, false)) => {
            let first = !checked.contains(&name) && !seen.contains(&name);
            seen.push(name);
            first
        }
    });
    found
}

/// The element after `el`'s subtree in document order, within `root`.
fn following(el: &Element, root: &Element) -> Option<Element> {
    let mut at = el.clone();
    loop {
        if let Some(next) = at.next_element_sibling() {
            return Some(next);
        }
        let parent = at.parent_element()?;
        if &parent == root {
            return None;
        }
        at = parent;
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
    /// The submit button's classes when it is not `danger`: [`BTN_PRIMARY`] unless given (the
    /// portal's dialogs give theirs in the shop's accent).
    #[prop(optional)]
    primary_class: Option<&'static str>,
    /// The fields.
    children: ChildrenFn,
) -> impl IntoView {
    let children = StoredValue::new(children);
    let submit_class = if danger { BTN_DANGER } else { BTN_PRIMARY };
    view! {
        <Dialog open title busy>
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
                        <button
                            type="submit"
                            class=primary_class.filter(|_| !danger).unwrap_or(submit_class)
                            disabled=move || busy.get()
                        >
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
        <Dialog open title busy>
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
