//! The Settings page's Receipts section: what every receipt prints about the seller (legal
//! name, business address, tax ID) and the address customers write to about a purchase.

use leptos::prelude::*;

use crate::components::alert::Alert;
use crate::components::card::SettingsSection;
use crate::components::dialog::{BTN_PRIMARY, Submission};
use crate::components::form::{TextArea, TextField};
use crate::server_fns::dashboard::SaveSettings;
use crate::types::workspace::{
    LEGAL_ADDRESS_MAX, LEGAL_NAME_MAX, TAX_ID_MAX, WorkspaceSettings, WorkspaceSettingsUpdate,
};

/// A stored detail as its field shows it: empty for none.
fn shown(value: &Option<String>) -> String {
    value.clone().unwrap_or_default()
}

/// A field's longest text, for the input's `maxlength`.
fn longest(max: usize) -> u32 {
    u32::try_from(max).unwrap_or(u32::MAX)
}

/// The seller's details on receipts; saves these four fields and nothing else.
#[component]
pub(super) fn ReceiptSection(settings: WorkspaceSettings) -> impl IntoView {
    let can_edit = settings.can_edit;
    let legal_name = RwSignal::new(shown(&settings.legal_name));
    let address = RwSignal::new(shown(&settings.legal_address));
    let tax_id = RwSignal::new(shown(&settings.tax_id));
    let support_email = RwSignal::new(shown(&settings.support_email));
    let saved = RwSignal::new(false);
    let saving = Submission::<SaveSettings>::new(move |s: &WorkspaceSettings| {
        // As stored: trimmed, blank address lines left out, the support email lower-cased.
        legal_name.set(shown(&s.legal_name));
        address.set(shown(&s.legal_address));
        tax_id.set(shown(&s.tax_id));
        support_email.set(shown(&s.support_email));
        saved.set(true);
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        saved.set(false);
        saving.submit(SaveSettings {
            settings: WorkspaceSettingsUpdate {
                legal_name: Some(legal_name.get_untracked()),
                legal_address: Some(address.get_untracked()),
                tax_id: Some(tax_id.get_untracked()),
                support_email: Some(support_email.get_untracked()),
                ..Default::default()
            },
        });
    };
    view! {
        <SettingsSection
            id="receipts"
            title="Receipts"
            description=|| "What every receipt says about your business, for your customers and their accountants: in the portal, in its PDF and in the receipt email."
            read_only=!can_edit
        >
            <form class="mt-4 grid gap-4 sm:grid-cols-2" novalidate on:submit=submit>
                <TextField
                    id="settings-legal-name"
                    label="Legal name"
                    value=legal_name
                    kind="text"
                    maxlength=longest(LEGAL_NAME_MAX)
                    disabled=!can_edit
                    hint="Printed on every receipt. Your registered company name, if different from the shop name."
                />
                <TextField
                    id="settings-tax-id"
                    label="Tax ID"
                    value=tax_id
                    kind="text"
                    maxlength=longest(TAX_ID_MAX)
                    disabled=!can_edit
                    hint="Your VAT number or other tax ID, printed on every receipt. Leave empty for none."
                />
                <TextArea
                    id="settings-legal-address"
                    label="Business address"
                    value=address
                    rows=4
                    maxlength=longest(LEGAL_ADDRESS_MAX)
                    disabled=!can_edit
                    hint="Printed on every receipt under the legal name, as you write it here: up to 6 lines."
                />
                <TextField
                    id="settings-support-email"
                    label="Support email"
                    value=support_email
                    kind="email"
                    disabled=!can_edit
                    hint="Where customers can write about a purchase; shown on receipts and in receipt emails."
                />
                <div class="sm:col-span-2 flex flex-wrap items-center gap-3">
                    {can_edit.then(|| view! {
                        <button type="submit" class=BTN_PRIMARY disabled=saving.busy()>
                            {move || if saving.busy().get() { "Updating…" } else { "Update receipt details" }}
                        </button>
                    })}
                    <Show when=move || saved.get()>
                        <p class="text-sm text-emerald-700" role="status">"Receipt details saved."</p>
                    </Show>
                </div>
                <div class="sm:col-span-2">
                    {move || saving.error().get().map(|e| view! { <Alert>{e}</Alert> })}
                </div>
            </form>
        </SettingsSection>
    }
}
