//! The bulk action dialog: which customers, which change, a preview of how many it touches,
//! and starting it.

use leptos::prelude::*;

use super::counts::thousands;
use crate::components::dialog::{FormDialog, INPUT, Submission};
use crate::components::form::{Field, ProductOptions, SelectField, TextField};
use crate::components::time::end_of_day;
use crate::server_fns::dashboard::list_products;
use crate::server_fns::segments::{StartBulkAction, preview_bulk_action};
use crate::types::CustomerId;
use crate::types::segment::{BulkActionCreate, BulkActionKind, SegmentFilters};

/// Which customers a bulk action is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    /// These, ticked on the page.
    Ids(Vec<CustomerId>),
    /// All those the open segment holds.
    Segment(String),
    /// All those the filters match.
    Filters(SegmentFilters),
}

/// Chooses the change, previews how many customers it touches, and starts it.
#[component]
pub(super) fn BulkDialog(
    open: RwSignal<bool>,
    selection: Signal<Selection>,
    started: RwSignal<u32>,
) -> impl IntoView {
    let kind = RwSignal::new(BulkActionKind::GrantProduct);
    let key = RwSignal::new(String::new());
    let value = RwSignal::new(String::new());
    let product = RwSignal::new(String::new());
    let expires = RwSignal::new(String::new());
    let products = Resource::new(|| (), |()| list_products());
    // The request, as the fields now say; `Err` names what is missing.
    let request = Signal::derive(move || -> Result<BulkActionCreate, String> {
        let kind = kind.get();
        let mut input = BulkActionCreate {
            action: kind,
            customer_ids: None,
            segment_id: None,
            filters: None,
            metadata_key: None,
            metadata_value: None,
            product_id: None,
            expires_at: None,
        };
        match selection.get() {
            Selection::Ids(ids) => input.customer_ids = Some(ids),
            Selection::Segment(id) => {
                input.segment_id = Some(
                    id.parse()
                        .map_err(|_| "The segment is not valid.".to_owned())?,
                )
            }
            Selection::Filters(f) => input.filters = Some(f),
        }
        match kind {
            BulkActionKind::SetMetadata | BulkActionKind::RemoveMetadata => {
                let k = key.get().trim().to_owned();
                if k.is_empty() {
                    return Err("Key: enter the metadata key.".into());
                }
                input.metadata_key = Some(k);
                if kind == BulkActionKind::SetMetadata {
                    input.metadata_value = Some(value.get());
                }
            }
            BulkActionKind::GrantProduct => {
                let p = product.get();
                if p.is_empty() {
                    return Err("Product: choose the product to grant.".into());
                }
                input.product_id = Some(p.parse().map_err(|_| "Product: not valid.".to_owned())?);
                let day = expires.get();
                if !day.is_empty() {
                    // The end of the picked day in the reader's own time zone.
                    let day = chrono::NaiveDate::parse_from_str(&day, "%Y-%m-%d")
                        .map_err(|_| "Expires: enter a day.".to_owned())?;
                    input.expires_at = end_of_day(day);
                }
            }
            BulkActionKind::Archive => {}
        }
        Ok(input)
    });
    let preview = Resource::new(
        move || open.get().then(|| request.get()),
        |r| async move {
            match r {
                Some(Ok(input)) => Some(preview_bulk_action(input).await),
                _ => None,
            }
        },
    );
    let start = Submission::<StartBulkAction>::new(move |_| {
        open.set(false);
        started.update(|n| *n += 1);
    });
    let on_submit = Callback::new(move |()| match request.get_untracked() {
        Ok(input) => start.submit(StartBulkAction { input }),
        Err(why) => start.refuse(why),
    });
    let option = move |k: BulkActionKind, label: &'static str| {
        view! { <option value=k.as_str() selected=move || kind.get() == k>{label}</option> }
    };
    view! {
        <FormDialog
            open
            title="Bulk action".to_owned()
            on_submit
            busy=start.busy()
            error=start.error()
            submit_label="Start"
            busy_label="Starting…"
        >
            <Field id="bulk-kind" label="Action">
                <select
                    id="bulk-kind"
                    class=INPUT
                    on:change=move |ev| {
                        if let Ok(k) = event_target_value(&ev).parse() {
                            kind.set(k);
                        }
                    }
                >
                    {option(BulkActionKind::GrantProduct, "Grant a product")}
                    {option(BulkActionKind::SetMetadata, "Set a metadata key")}
                    {option(BulkActionKind::RemoveMetadata, "Remove a metadata key")}
                    {option(BulkActionKind::Archive, "Archive")}
                </select>
            </Field>
            <Show when=move || kind.get() == BulkActionKind::GrantProduct>
                <SelectField id="bulk-product" label="Product" value=product>
                    <option value="" selected=move || product.get().is_empty()>"Choose a product"</option>
                    <ProductOptions products selected=product />
                </SelectField>
                <Field id="bulk-expires" label="Expires (optional)">
                    <input
                        id="bulk-expires"
                        type="date"
                        class=INPUT
                        prop:value=move || expires.get()
                        on:change=move |ev| expires.set(event_target_value(&ev))
                    />
                </Field>
            </Show>
            <Show when=move || matches!(kind.get(), BulkActionKind::SetMetadata | BulkActionKind::RemoveMetadata)>
                <TextField id="bulk-key" label="Key" value=key maxlength=40 />
            </Show>
            <Show when=move || kind.get() == BulkActionKind::SetMetadata>
                <TextField id="bulk-value" label="Value" value maxlength=500 />
            </Show>
            <p class="rounded-md bg-slate-50 px-3 py-2 text-sm text-slate-700" aria-live="polite" data-testid="bulk-preview">
                <Transition fallback=|| "Counting the customers…">
                    {move || Suspend::new(async move {
                        match preview.await {
                            None => match request.get_untracked() {
                                Err(why) => why,
                                Ok(_) => "Counting the customers…".into(),
                            },
                            Some(Ok(p)) if p.customers > p.limit => format!(
                                "More than {} customers match: one action takes at most {}. Narrow the filters.",
                                thousands(p.limit),
                                thousands(p.limit)
                            ),
                            Some(Ok(p)) => format!(
                                "This changes {} customer{}, one at a time, with each change in their activity.",
                                thousands(p.customers),
                                if p.customers == 1 { "" } else { "s" }
                            ),
                            Some(Err(e)) => crate::components::dialog::error_text(&e),
                        }
                    })}
                </Transition>
            </p>
        </FormDialog>
    }
}
