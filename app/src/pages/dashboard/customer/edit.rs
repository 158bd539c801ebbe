//! The "Edit customer" dialog: every editable field, errors beside the field they name, and a
//! concurrent edit explained rather than overwritten.

use leptos::prelude::*;

use super::use_customer;
use crate::components::alert::StaleVersionBanner;
use crate::components::dialog::{FormDialog, Submission, error_text};
use crate::components::form::TextField;
use crate::server_fns::customer::UpdateCustomer;
use crate::types::customer::CustomerUpdate;
use crate::types::{AppError, Customer, ErrorCode};

/// One editable field: its wire name, label, input type and current text.
struct Field {
    name: &'static str,
    label: &'static str,
    kind: &'static str,
    hint: &'static str,
    value: RwSignal<String>,
}

fn text(v: &Option<String>) -> RwSignal<String> {
    RwSignal::new(v.clone().unwrap_or_default())
}

/// `Some(None)` clears a field, `Some(Some(v))` sets it.
fn patch_value(s: RwSignal<String>) -> Option<Option<String>> {
    let v = s.get_untracked().trim().to_owned();
    Some((!v.is_empty()).then_some(v))
}

/// Edit every field but the id (metadata has its own tab).
#[component]
pub fn EditCustomer(open: RwSignal<bool>, customer: Customer) -> impl IntoView {
    let ctx = use_customer();
    let fields = StoredValue::new(vec![
        Field {
            name: "email",
            label: "Email",
            kind: "email",
            hint: "",
            value: text(&customer.email),
        },
        Field {
            name: "name",
            label: "Name",
            kind: "text",
            hint: "",
            value: text(&customer.name),
        },
        Field {
            name: "external_id",
            label: "External id",
            kind: "text",
            hint: "Your own id for this customer (CRM id, SteamID64…); unique in the workspace.",
            value: text(&customer.external_id),
        },
        Field {
            name: "phone",
            label: "Phone",
            kind: "tel",
            hint: "",
            value: text(&customer.phone),
        },
        Field {
            name: "tax_id",
            label: "Tax id",
            kind: "text",
            hint: "",
            value: text(&customer.tax_id),
        },
        Field {
            name: "country",
            label: "Country",
            kind: "text",
            hint: "Two letters, ISO 3166-1 (DE, US…).",
            value: text(&customer.country),
        },
        Field {
            name: "username",
            label: "Username",
            kind: "text",
            hint: "",
            value: text(&customer.username),
        },
        Field {
            name: "profile_url",
            label: "Profile URL",
            kind: "url",
            hint: "",
            value: text(&customer.profile_url),
        },
    ]);
    let version = customer.version;
    let field_error = RwSignal::new(None::<(String, String)>);
    let form_error = RwSignal::new(None::<String>);
    let stale = RwSignal::new(false);
    let saving = Submission::<UpdateCustomer>::explaining(
        form_error,
        move |_| {
            open.set(false);
            ctx.changed();
        },
        move |e| {
            match e {
                AppError::Invalid { field, message } => {
                    field_error.set(Some((field.clone(), message.clone())));
                }
                AppError::Conflict {
                    code: ErrorCode::ExternalIdTaken,
                    message,
                } => field_error.set(Some(("external_id".into(), message.clone()))),
                AppError::Conflict {
                    code: ErrorCode::VersionConflict,
                    ..
                } => stale.set(true),
                other => return Some(error_text(other)),
            }
            None
        },
    );

    let value_of = move |name: &str| {
        fields.with_value(|fs| fs.iter().find(|f| f.name == name).map(|f| f.value))
    };
    let on_submit = Callback::new(move |()| {
        let get = |name| value_of(name).map(patch_value).unwrap_or(None);
        let patch = CustomerUpdate {
            external_id: get("external_id"),
            email: get("email"),
            name: get("name"),
            phone: get("phone"),
            tax_id: get("tax_id"),
            country: get("country").map(|c| c.map(|c| c.to_uppercase())),
            username: get("username"),
            profile_url: get("profile_url"),
            metadata: None,
            version: Some(version),
        };
        field_error.set(None);
        saving.submit(UpdateCustomer {
            id: ctx.id.get_untracked(),
            patch,
        });
    });

    let inputs = move || {
        fields.with_value(|fs| {
            fs.iter()
                .map(|f| {
                    let name = f.name;
                    let value = f.value;
                    let error = Signal::derive(move || {
                        field_error
                            .get()
                            .filter(|(field, _)| field == name)
                            .map(|(_, m)| m)
                    });
                    view! {
                        <TextField
                            id=format!("edit-{name}")
                            label=f.label
                            value
                            kind=f.kind
                            name
                            hint=f.hint
                            error
                        />
                    }
                })
                .collect_view()
        })
    };

    view! {
        <FormDialog
            open
            title="Edit customer".to_owned()
            on_submit
            busy=saving.busy()
            error=form_error
            submit_label="Save"
            busy_label="Saving…"
        >
            {inputs}
            {move || stale.get().then(|| view! {
                <StaleVersionBanner
                    what="customer"
                    on_reload=Callback::new(move |()| {
                        open.set(false);
                        ctx.changed();
                    })
                />
            })}

        </FormDialog>
    }
}
