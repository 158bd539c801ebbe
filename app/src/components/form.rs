//! Form fields: a label over one control, with its hint and its own error under it, in the look
//! every form shares (the `LABEL` and `INPUT` classes of [`super::dialog`]).

use leptos::prelude::*;

use super::dialog::{INPUT, LABEL};
use crate::types::{AppError, Product};

/// The help line under a control.
const HINT: &str = "mt-1 text-xs text-slate-500";
/// A field's own error, under the control.
const FIELD_ERROR: &str = "mt-1 text-xs text-red-700";

/// `INPUT` with the caller's extra classes (`font-mono`, `w-56`, `max-w-xs`), if any.
fn control_class(extra: &str) -> String {
    if extra.is_empty() {
        INPUT.to_owned()
    } else {
        format!("{INPUT} {extra}")
    }
}

/// The id of a field's help line.
fn help_id(id: &str) -> String {
    format!("{id}-help")
}

/// The id of a field's error line.
fn error_id(id: &str) -> String {
    format!("{id}-error")
}

/// What a control's `aria-describedby` names: its help line while it has one, and its error line
/// when the field reports errors.
fn described_by(
    id: &str,
    hint: MaybeProp<String>,
    has_error: bool,
) -> impl Fn() -> Option<String> + Send + Sync + 'static {
    let (help, error) = (help_id(id), error_id(id));
    move || {
        let mut ids = Vec::with_capacity(2);
        if hint.get().is_some_and(|h| !h.is_empty()) {
            ids.push(help.clone());
        }
        if has_error {
            ids.push(error.clone());
        }
        (!ids.is_empty()).then(|| ids.join(" "))
    }
}

/// A one-line error in red, announced as an alert: a field's own message, or the failure of a
/// small action beside its button.
///
/// With an `id` the line is always there (empty until there is an error), so that a control's
/// `aria-describedby` can name it; without one it appears only with an error.
#[component]
pub fn InlineError(
    /// The message, if any.
    #[prop(into)]
    error: Signal<Option<String>>,
    /// The line's id, for `aria-describedby`.
    #[prop(optional, into)]
    id: Option<String>,
    /// Its classes: `mt-1 text-xs text-red-700` unless given (the portal's are `text-sm`).
    #[prop(optional)]
    class: Option<&'static str>,
) -> impl IntoView {
    let class = class.unwrap_or(FIELD_ERROR);
    match id {
        Some(id) => view! {
            <p id=id class=class role="alert">{move || error.get()}</p>
        }
        .into_any(),
        None => (move || {
            error
                .get()
                .map(|e| view! { <p class=class role="alert">{e}</p> })
        })
        .into_any(),
    }
}

/// The frame every field shares: the label, the control (the children), the help line and the
/// field's own error. Use it directly for a control no other field fits (a file input, a
/// one-time-code box); give that control `id` and `aria-describedby="{id}-help"` if it has help.
#[component]
pub fn Field(
    /// The control's id: the label points at it; the help line is `{id}-help` and the error
    /// line `{id}-error`.
    #[prop(into)]
    id: String,
    /// The label.
    #[prop(into)]
    label: Signal<String>,
    /// A line of help under the control; none when absent or empty.
    #[prop(optional, into)]
    hint: MaybeProp<String>,
    /// The field's own error, shown under the help line: `Some(signal)`, so that the fields
    /// below can pass theirs on as they got it.
    #[prop(optional_no_strip, into)]
    error: Option<Signal<Option<String>>>,
    /// Classes for the wrapping `<div>` (`flex-1`, `sm:col-span-2`).
    #[prop(optional)]
    class: &'static str,
    /// The control.
    children: Children,
) -> impl IntoView {
    let help = help_id(&id);
    let own_error = error.map(|e| view! { <InlineError error=e id=error_id(&id) /> });
    let wrapper = (!class.is_empty()).then_some(class);
    view! {
        <div class=wrapper>
            <label for=id class=LABEL>{move || label.get()}</label>
            {children()}
            {move || {
                hint.get()
                    .filter(|h| !h.is_empty())
                    .map(|h| view! { <p id=help.clone() class=HINT>{h}</p> })
            }}
            {own_error}
        </div>
    }
}

/// A labelled one-line text input bound to `value`: text, email, URL, date, search…
#[component]
pub fn TextField(
    /// The input's id (see [`Field`]).
    #[prop(into)]
    id: String,
    /// The label.
    #[prop(into)]
    label: Signal<String>,
    /// The text, kept in step with what is typed.
    value: RwSignal<String>,
    /// The input's `type` (`email`, `url`, `date`, `datetime-local`, `search`, `tel`); none
    /// for plain text.
    #[prop(optional)]
    kind: Option<&'static str>,
    /// The input's `name`.
    #[prop(optional)]
    name: Option<&'static str>,
    /// Example text shown while empty.
    #[prop(optional)]
    placeholder: Option<&'static str>,
    /// The `autocomplete` hint (`email`, `off`, `cc-number`).
    #[prop(optional)]
    autocomplete: Option<&'static str>,
    /// The on-screen keyboard (`numeric`, `decimal`, `email`).
    #[prop(optional)]
    inputmode: Option<&'static str>,
    /// The longest text accepted, in characters.
    #[prop(optional)]
    maxlength: Option<u32>,
    /// Whether the field must be filled.
    #[prop(optional)]
    required: bool,
    /// Greys the input out (a role that may only read).
    #[prop(optional, into)]
    disabled: Signal<bool>,
    /// Classes added to the input's own (`font-mono`, `w-56 font-mono`).
    #[prop(optional)]
    input_class: &'static str,
    /// Classes for the wrapping `<div>` (`flex-1`).
    #[prop(optional)]
    class: &'static str,
    /// A line of help under the input.
    #[prop(optional, into)]
    hint: MaybeProp<String>,
    /// The field's own error; the input is marked invalid while there is one.
    #[prop(optional, into)]
    error: Option<Signal<Option<String>>>,
    /// Runs after each keystroke with the new text, once `value` holds it.
    #[prop(optional)]
    on_input: Option<Callback<String>>,
) -> impl IntoView {
    let describe = described_by(&id, hint, error.is_some());
    let input_id = id.clone();
    view! {
        <Field id label hint error class>
            <input
                id=input_id
                type=kind
                name=name
                class=control_class(input_class)
                placeholder=placeholder
                autocomplete=autocomplete
                inputmode=inputmode
                maxlength=maxlength.map(|m| m.to_string())
                required=required
                disabled=move || disabled.get()
                aria-invalid=move || error.and_then(|e| e.get()).map(|_| "true")
                aria-describedby=describe
                prop:value=move || value.get()
                on:input=move |ev| {
                    let text = event_target_value(&ev);
                    value.set(text.clone());
                    if let Some(then) = on_input {
                        then.run(text);
                    }
                }
            />
        </Field>
    }
}

/// A labelled multi-line text box bound to `value`.
#[component]
pub fn TextArea(
    /// The textarea's id (see [`Field`]).
    #[prop(into)]
    id: String,
    /// The label.
    #[prop(into)]
    label: Signal<String>,
    /// The text, kept in step with what is typed.
    value: RwSignal<String>,
    /// Visible lines.
    rows: u32,
    /// The longest text accepted, in characters.
    #[prop(optional)]
    maxlength: Option<u32>,
    /// Example text shown while empty.
    #[prop(optional)]
    placeholder: Option<&'static str>,
    /// Turns the browser's spelling check off (lists of addresses).
    #[prop(optional)]
    no_spellcheck: bool,
    /// Greys the box out.
    #[prop(optional, into)]
    disabled: Signal<bool>,
    /// Classes for the wrapping `<div>` (`sm:col-span-2`).
    #[prop(optional)]
    class: &'static str,
    /// A line of help under the box.
    #[prop(optional, into)]
    hint: MaybeProp<String>,
) -> impl IntoView {
    let describe = described_by(&id, hint, false);
    let area_id = id.clone();
    view! {
        <Field id label hint class>
            <textarea
                id=area_id
                class=INPUT
                rows=rows.to_string()
                maxlength=maxlength.map(|m| m.to_string())
                placeholder=placeholder
                spellcheck=no_spellcheck.then_some("false")
                disabled=move || disabled.get()
                aria-describedby=describe
                prop:value=move || value.get()
                on:input=move |ev| value.set(event_target_value(&ev))
            ></textarea>
        </Field>
    }
}

/// A labelled drop-down; the options are the children. The chosen option's value goes to
/// `value` (the options mark themselves `selected` where the choice must show on re-render).
#[component]
pub fn SelectField(
    /// The select's id (see [`Field`]).
    #[prop(into)]
    id: String,
    /// The label.
    #[prop(into)]
    label: Signal<String>,
    /// Receives the chosen option's value.
    value: RwSignal<String>,
    /// Runs with the chosen value once `value` holds it (to reset a pager, say).
    #[prop(optional)]
    on_change: Option<Callback<String>>,
    /// Whether a choice must be made.
    #[prop(optional)]
    required: bool,
    /// Classes added to the select's own (`max-w-xs`).
    #[prop(optional)]
    select_class: &'static str,
    /// Classes for the wrapping `<div>`.
    #[prop(optional)]
    class: &'static str,
    /// A line of help under the select.
    #[prop(optional, into)]
    hint: MaybeProp<String>,
    /// The `<option>`s.
    children: Children,
) -> impl IntoView {
    let describe = described_by(&id, hint, false);
    let select_id = id.clone();
    view! {
        <Field id label hint class>
            <select
                id=select_id
                class=control_class(select_class)
                required=required
                aria-describedby=describe
                on:change=move |ev| {
                    let chosen = event_target_value(&ev);
                    value.set(chosen.clone());
                    if let Some(then) = on_change {
                        then.run(chosen);
                    }
                }
            >
                {children()}
            </select>
        </Field>
    }
}

/// One choice among a few, as radio buttons under a legend.
#[component]
pub fn RadioGroup<T>(
    /// The radios' shared `name`.
    name: &'static str,
    /// What is chosen.
    legend: &'static str,
    /// Keeps the legend for screen readers only, where the dialog's title already says it.
    #[prop(optional)]
    hide_legend: bool,
    /// The chosen value.
    value: RwSignal<T>,
    /// Each value with its label, in order.
    options: Vec<(T, &'static str)>,
    /// Side by side, wrapping (`flex flex-wrap gap-4`), rather than one under another.
    #[prop(optional)]
    inline: bool,
    /// Labels long enough to wrap: each radio stays level with its label's first line.
    #[prop(optional)]
    multiline: bool,
) -> impl IntoView
where
    T: Copy + PartialEq + Send + Sync + 'static,
{
    let legend_class = if hide_legend { "sr-only" } else { LABEL };
    let row = if multiline {
        "flex items-start gap-2"
    } else {
        "flex items-center gap-2"
    };
    let radios = options
        .into_iter()
        .map(|(choice, text)| {
            let text = if multiline {
                view! { <span>{text}</span> }.into_any()
            } else {
                text.into_any()
            };
            view! {
                <label class=row>
                    <input
                        type="radio"
                        name=name
                        prop:checked=move || value.get() == choice
                        on:change=move |_| value.set(choice)
                    />
                    {text}
                </label>
            }
        })
        .collect_view();
    if inline {
        view! {
            <fieldset>
                <legend class=legend_class>{legend}</legend>
                <div class="flex flex-wrap gap-4 text-sm">{radios}</div>
            </fieldset>
        }
        .into_any()
    } else {
        view! {
            <fieldset class="space-y-2 text-sm">
                <legend class=legend_class>{legend}</legend>
                {radios}
            </fieldset>
        }
        .into_any()
    }
}

/// A checkbox with its label; with a hint, the label is bold over the hint and the box sits
/// level with the label's first line.
#[component]
pub fn Checkbox(
    /// Whether it is ticked.
    checked: RwSignal<bool>,
    /// What ticking it does.
    label: &'static str,
    /// One line more about it, in small grey type.
    #[prop(optional)]
    hint: Option<&'static str>,
    /// Leaves a box without a hint at the browser's own size (the import and webhook forms).
    #[prop(optional)]
    plain: bool,
) -> impl IntoView {
    let on_change = move |ev: leptos::ev::Event| checked.set(event_target_checked(&ev));
    match hint {
        Some(hint) => view! {
            <label class="flex items-start gap-2 text-sm">
                <input
                    type="checkbox"
                    class="mt-0.5 size-4 rounded border-slate-300"
                    prop:checked=move || checked.get()
                    on:change=on_change
                />
                <span>
                    <span class="font-medium text-slate-900">{label}</span>
                    <span class="block text-xs text-slate-500">{hint}</span>
                </span>
            </label>
        }
        .into_any(),
        None => view! {
            <label class="flex items-center gap-2 text-sm">
                <input
                    type="checkbox"
                    class=(!plain).then_some("size-4 rounded border-slate-300")
                    prop:checked=move || checked.get()
                    on:change=on_change
                />
                {label}
            </label>
        }
        .into_any(),
    }
}

/// One checkbox of a group where several may be ticked: ticking it puts `value` in `set`,
/// unticking takes it out. The label is the children.
#[component]
pub fn SetCheckbox<T>(
    /// The ticked values.
    set: RwSignal<Vec<T>>,
    /// This box's value.
    value: T,
    /// Greys the box out (another choice covers it).
    #[prop(optional, into)]
    disabled: Signal<bool>,
    /// The label.
    children: Children,
) -> impl IntoView
where
    T: Clone + PartialEq + Send + Sync + 'static,
{
    let this = value.clone();
    view! {
        <label class="flex items-center gap-2 text-sm">
            <input
                type="checkbox"
                disabled=move || disabled.get()
                prop:checked=move || set.with(|l| l.contains(&this))
                on:change=move |ev| {
                    let on = event_target_checked(&ev);
                    set.update(|l| {
                        l.retain(|x| *x != value);
                        if on {
                            l.push(value.clone());
                        }
                    });
                }
            />
            {children()}
        </label>
    }
}

/// The workspace's products as `<option>`s, loaded by the caller's resource; the one whose id
/// is `selected` is marked so. Nothing while loading or when the load fails.
#[component]
pub fn ProductOptions(
    /// The products (`list_products`).
    products: Resource<Result<Vec<Product>, AppError>>,
    /// The chosen product's id.
    #[prop(optional, into)]
    selected: Signal<String>,
    /// Leaves archived products out (they cannot be granted).
    #[prop(optional)]
    active_only: bool,
) -> impl IntoView {
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                products
                    .await
                    .unwrap_or_default()
                    .into_iter()
                    .filter(|p| !active_only || p.archived_at.is_none())
                    .map(|p| {
                        let id = p.id.to_string();
                        let this = id.clone();
                        view! { <option value=id selected=move || selected.get() == this>{p.name}</option> }
                    })
                    .collect_view()
            })}
        </Transition>
    }
}
