//! The Metadata tab: the merchant's own key-value pairs, edited in place. Click a key or value
//! to edit, Add field for a new pair (its key takes the focus), clear both key and value to
//! remove one; Save (or Enter in a field) sends the whole map with the version it was read at,
//! so a concurrent edit is caught, not overwritten.

use leptos::ev::KeyboardEvent;
use leptos::prelude::*;

use super::{load_error, loading, use_customer};
use crate::components::alert::{Alert, StaleVersionBanner};
use crate::components::dialog::{BTN, BTN_PRIMARY, Submission, error_text};
use crate::components::table::{Column, DataTable, SCROLL};
use crate::server_fns::customer::UpdateCustomer;
use crate::types::customer::{
    CustomerUpdate, METADATA_KEY_MAX, METADATA_MAX_PAIRS, METADATA_VALUE_MAX,
};
use crate::types::{AppError, Customer, ErrorCode, Metadata, Scope};

/// A cell's text box: plain text to look at until editing starts.
const CELL_INPUT: &str = "block w-full rounded-md border px-2 py-1 text-sm read-only:cursor-pointer read-only:border-transparent read-only:bg-transparent read-only:hover:bg-slate-50 focus:border-indigo-500 focus:outline-none focus:ring-1 focus:ring-indigo-500";

#[derive(Debug, Clone, Copy)]
struct Row {
    /// Unique within the editor's life: the list's key, so a reset row is a new row.
    id: u64,
    key: RwSignal<String>,
    value: RwSignal<String>,
    /// Added by the merchant just now: its key takes the focus.
    added: bool,
}

impl Row {
    fn new(next: &StoredValue<u64>, key: &str, value: &str) -> Self {
        let id = next.get_value();
        next.set_value(id + 1);
        Self {
            id,
            key: RwSignal::new(key.to_owned()),
            value: RwSignal::new(value.to_owned()),
            added: false,
        }
    }

    fn is_removal(&self) -> bool {
        self.key.with(|k| k.trim().is_empty()) && self.value.with(String::is_empty)
    }
}

/// One cell of the editor: a key or a value, read-only until editing starts (a click on it
/// starts it, where the role allows).
#[component]
fn EditCell(
    /// The box's accessible name.
    #[prop(into)]
    label: Signal<String>,
    /// The text.
    text: RwSignal<String>,
    /// The longest text accepted, in characters.
    max: usize,
    /// Whether the editor is editing.
    editing: RwSignal<bool>,
    /// Starts editing.
    on_click: Callback<()>,
    /// Whether the box takes the focus when it appears.
    #[prop(optional)]
    focus: bool,
) -> impl IntoView {
    let input = NodeRef::<leptos::html::Input>::new();
    // In an effect: once the box is on the page, in the browser only.
    Effect::new(move |_| {
        if focus && let Some(el) = input.get() {
            let _ = el.focus();
        }
    });
    view! {
        <td class="px-2 py-1">
            <input
                node_ref=input
                class=CELL_INPUT
                aria-label=move || label.get()
                maxlength=max.to_string()
                readonly=move || !editing.get()
                prop:value=move || text.get()
                on:input=move |ev| text.set(event_target_value(&ev))
                on:click=move |_| on_click.run(())
            />
        </td>
    }
}

/// The metadata editor.
#[component]
pub fn MetadataTab() -> impl IntoView {
    let ctx = use_customer();
    let body = move || {
        Suspend::new(async move {
            match ctx.page.await {
                Ok(data) => {
                    let can = data.role.allows(Scope::CustomersWrite);
                    view! { <Editor customer=data.customer can /> }.into_any()
                }
                Err(e) => load_error(&e),
            }
        })
    };
    view! {
        <section class="space-y-3" aria-label="Metadata">
            <Transition fallback=|| loading("metadata")>{body}</Transition>
        </section>
    }
}

/// Checks the edited pairs against the limits; the error names the offending key.
fn collect(rows: &[Row]) -> Result<Metadata, String> {
    let mut map = Metadata::new();
    for r in rows.iter().filter(|r| !r.is_removal()) {
        let key = r.key.get_untracked().trim().to_owned();
        let value = r.value.get_untracked();
        if key.is_empty() {
            return Err(format!(
                "The value {value:?} needs a key (clear the value too to remove the field)."
            ));
        }
        if key.chars().count() > METADATA_KEY_MAX {
            return Err(format!(
                "Key {key:?} is longer than {METADATA_KEY_MAX} characters."
            ));
        }
        if key.contains(['[', ']']) {
            return Err(format!("Key {key:?} may not contain [ or ]."));
        }
        if value.chars().count() > METADATA_VALUE_MAX {
            return Err(format!(
                "The value of {key:?} is longer than {METADATA_VALUE_MAX} characters."
            ));
        }
        if map.insert(key.clone(), value).is_some() {
            return Err(format!("Key {key:?} appears twice."));
        }
    }
    if map.len() > METADATA_MAX_PAIRS {
        return Err(format!(
            "A customer holds at most {METADATA_MAX_PAIRS} metadata fields."
        ));
    }
    Ok(map)
}

#[component]
fn Editor(customer: Customer, can: bool) -> impl IntoView {
    let ctx = use_customer();
    let original = StoredValue::new(customer.metadata.clone());
    let version = customer.version;
    let rows = RwSignal::new(Vec::<Row>::new());
    let next = StoredValue::new(0_u64);
    let reset = move || {
        rows.set(original.with_value(|m| m.iter().map(|(k, v)| Row::new(&next, k, v)).collect()));
    };
    reset();
    let editing = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let stale = RwSignal::new(false);
    let saving = Submission::<UpdateCustomer>::explaining(
        error,
        move |_| {
            editing.set(false);
            ctx.changed();
        },
        move |e| match e {
            AppError::Conflict {
                code: ErrorCode::VersionConflict,
                ..
            } => {
                stale.set(true);
                None
            }
            other => Some(error_text(other)),
        },
    );
    let busy = saving.busy();

    let start = Callback::new(move |()| {
        if can {
            editing.set(true);
        }
    });
    let add = move |_| {
        let kept = rows.with(|rs| rs.iter().filter(|r| !r.is_removal()).count());
        if kept >= METADATA_MAX_PAIRS {
            error.set(Some(format!(
                "A customer holds at most {METADATA_MAX_PAIRS} metadata fields: remove one before adding another."
            )));
            return;
        }
        error.set(None);
        editing.set(true);
        let row = Row {
            added: true,
            ..Row::new(&next, "", "")
        };
        rows.update(|rs| rs.push(row));
    };
    let cancel = move |_| {
        reset();
        error.set(None);
        editing.set(false);
    };
    let save = move || {
        if busy.get_untracked() {
            return;
        }
        let map = match rows.with_untracked(|rs| collect(rs)) {
            Ok(m) => m,
            Err(e) => {
                error.set(Some(e));
                return;
            }
        };
        let patch = CustomerUpdate {
            metadata: Some(Some(map)),
            version: Some(version),
            ..CustomerUpdate::default()
        };
        saving.submit(UpdateCustomer {
            id: ctx.id.get_untracked(),
            patch,
        });
    };
    let on_key = move |ev: KeyboardEvent| match ev.key().as_str() {
        // Enter mid-composition (an input method's) picks a character, not the edit.
        _ if ev.is_composing() => {}
        "Enter" if !editing.get_untracked() => start.run(()),
        "Enter" => {
            ev.prevent_default();
            save();
        }
        "Escape" if editing.get_untracked() => {
            reset();
            editing.set(false);
        }
        _ => {}
    };
    view! {
        // The editor draws the table's frame itself: it takes the keys and holds the empty note.
        <div class=SCROLL on:keydown=on_key>
            <DataTable
                bare=true
                columns=vec![Column::new("Key").with_class("w-1/3"), Column::new("Value")]
            >
                <For
                    each=move || rows.get()
                    key=|row| row.id
                    let:row
                >
                    <tr>
                        <EditCell
                            label="Key"
                            text=row.key
                            max=METADATA_KEY_MAX
                            editing
                            on_click=start
                            focus=row.added
                        />
                        <EditCell
                            label=Signal::derive(move || format!("Value of {}", row.key.get()))
                            text=row.value
                            max=METADATA_VALUE_MAX
                            editing
                            on_click=start
                        />
                    </tr>
                </For>
            </DataTable>
            {move || rows.with(Vec::is_empty).then(|| view! {
                <p class="px-4 py-6 text-center text-sm text-slate-500">
                    "No metadata. Merchants keep their own ids, plans and notes here (up to 50 fields)."
                </p>
            })}
        </div>
        {move || stale.get().then(|| view! {
            <StaleVersionBanner what="customer" on_reload=Callback::new(move |()| ctx.changed()) />
        })}
        {move || error.get().map(|e| view! { <Alert>{e}</Alert> })}
        {can.then(|| view! {
            <div class="flex flex-wrap items-center gap-2">
                <button type="button" class=BTN on:click=add>"Add field"</button>
                <Show when=move || editing.get()>
                    <button type="button" class=BTN on:click=cancel>"Cancel"</button>
                    <button type="button" class=BTN_PRIMARY disabled=move || busy.get() on:click=move |_| save()>
                        {move || if busy.get() { "Saving…" } else { "Save" }}
                    </button>
                </Show>
                <p class="text-xs text-slate-500">
                    {move || format!(
                        "{} of {METADATA_MAX_PAIRS} fields. Click a key or value to edit; clear both to remove a field.",
                        rows.with(|rs| rs.iter().filter(|r| !r.is_removal()).count()),
                    )}
                </p>
            </div>
        })}
    }
}
