//! Banning from the customer page: the Ban dialog (reason, expiry, identities pre-filled from
//! what the customer is known by, a live preview of whom they match, and what else to end),
//! the red banner of a banned customer, and the ban window that edits or lifts the ban.

use chrono::{DateTime, NaiveDate, Utc};
use leptos::prelude::*;

use super::{day, use_customer};
use crate::components::alert::Alert;
use crate::components::dialog::{
    BTN, BTN_DANGER, Confirm, Dialog, ErrorNote, FormDialog, INPUT, LABEL, Submission,
};
use crate::components::form::{Checkbox, TextArea, TextField};
use crate::server_fns::customer::{
    CreateBan, LiftBan, UpdateBan, list_payment_details, preview_ban,
};
use crate::types::Customer;
use crate::types::ban::{Ban, BanCreate, BanIdentity, BanIdentityKind, BanUpdate};
use crate::types::payment_detail::PaymentDetailKind;

/// One identity offered in the dialog, with whether it is ticked.
#[derive(Debug, Clone, Copy)]
struct Choice {
    kind: BanIdentityKind,
    value: StoredValue<String>,
    label: StoredValue<String>,
    on: RwSignal<bool>,
}

impl Choice {
    fn new(kind: BanIdentityKind, value: &str, label: &str, on: bool) -> Self {
        Self {
            kind,
            value: StoredValue::new(value.to_owned()),
            label: StoredValue::new(label.to_owned()),
            on: RwSignal::new(on),
        }
    }

    fn identity(&self) -> BanIdentity {
        BanIdentity {
            kind: self.kind,
            value: self.value.get_value(),
        }
    }
}

fn kind_label(k: BanIdentityKind) -> &'static str {
    match k {
        BanIdentityKind::Customer => "Customer",
        BanIdentityKind::Name => "Name",
        BanIdentityKind::Email => "Email",
        BanIdentityKind::ExternalId => "External id",
        BanIdentityKind::Ip => "IP address",
        BanIdentityKind::Card => "Card",
    }
}

/// The end of a picked day (UTC): a ban "until the 30th" holds through the 30th.
fn end_of(day: &str) -> Option<DateTime<Utc>> {
    NaiveDate::parse_from_str(day, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(23, 59, 59))
        .map(|t| t.and_utc())
}

/// The form both the Ban dialog and the ban window show.
#[component]
fn BanForm(
    /// What the customer is known by (and, when editing, the ban's identities), ticked or not.
    choices: RwSignal<Vec<Choice>>,
    reason: RwSignal<String>,
    /// `YYYY-MM-DD`, or empty for permanent.
    until: RwSignal<String>,
    permanent: RwSignal<bool>,
    /// Ticked to confirm a range wider than /16 (IPv4) or /32 (IPv6).
    confirm_wide: RwSignal<bool>,
) -> impl IntoView {
    let extra = RwSignal::new(String::new());
    let extra_error = RwSignal::new(None::<String>);
    let chosen = Memo::new(move |_| {
        choices.with(|cs| {
            cs.iter()
                .filter(|c| c.on.get())
                .map(Choice::identity)
                .collect::<Vec<_>>()
        })
    });
    let preview = Resource::new(
        move || chosen.get(),
        |ids| async move {
            if ids.is_empty() {
                Ok(None)
            } else {
                preview_ban(ids).await.map(Some)
            }
        },
    );
    let add_ip = move |_| {
        let v = extra.get_untracked().trim().to_owned();
        if v.is_empty() {
            extra_error.set(Some(
                "Type an IP address or a range such as 203.0.113.0/24.".into(),
            ));
            return;
        }
        extra_error.set(None);
        choices.update(|cs| cs.push(Choice::new(BanIdentityKind::Ip, &v, &v, true)));
        extra.set(String::new());
    };
    let preview_view = move || {
        Suspend::new(async move {
            match preview.await {
                Ok(None) => view! {
                    <p class="text-sm text-amber-800">"Tick at least one identity to ban."</p>
                }
                .into_any(),
                Ok(Some(p)) => view! {
                    <p class="text-sm font-medium text-slate-900" data-testid="ban-preview">
                        {match p.count {
                            0 => "Matches no customer yet: it will refuse new purchases that match.".to_owned(),
                            1 => "Matches 1 customer:".to_owned(),
                            n => format!("Matches {n} customers:"),
                        }}
                    </p>
                    <ul class="mt-1 max-h-32 space-y-0.5 overflow-y-auto text-xs text-slate-600">
                        {p.customers.into_iter().map(|m| view! {
                            <li>
                                <a class="text-indigo-600 hover:text-indigo-500" href=format!("/dashboard/customers/{}", m.customer_id)>
                                    {m.display_name}
                                </a>
                                {format!(
                                    " · by {}",
                                    m.matched_by.iter().map(|k| kind_label(*k).to_lowercase()).collect::<Vec<_>>().join(", "),
                                )}
                            </li>
                        }).collect_view()}
                    </ul>
                }
                .into_any(),
                Err(e) => view! { <Alert>{e.to_string()}</Alert> }
                .into_any(),
            }
        })
    };
    view! {
        <TextArea
            id="ban-reason"
            label="Reason (internal, never shown to the customer)"
            value=reason
            rows=2
            maxlength=1000
        />
        <fieldset class="space-y-2">
            <legend class=LABEL>"Expiry"</legend>
            <label class="flex items-center gap-2 text-sm">
                <input
                    type="radio"
                    name="ban-expiry"
                    prop:checked=move || permanent.get()
                    on:change=move |_| permanent.set(true)
                />
                "Permanent"
            </label>
            <label class="flex items-center gap-2 text-sm">
                <input
                    type="radio"
                    name="ban-expiry"
                    prop:checked=move || !permanent.get()
                    on:change=move |_| permanent.set(false)
                />
                "Until"
                <input
                    type="date"
                    aria-label="Banned until"
                    class=INPUT.to_owned() + " w-auto"
                    prop:value=move || until.get()
                    on:input=move |ev| {
                        until.set(event_target_value(&ev));
                        permanent.set(false);
                    }
                />
            </label>
        </fieldset>
        <fieldset>
            <legend class=LABEL>"Identities to ban"</legend>
            <ul class="space-y-1">
                <For each=move || choices.get() key=|c| (c.kind, c.value.get_value()) let:c>
                    <li>
                        <label class="flex items-start gap-2 text-sm">
                            <input
                                type="checkbox"
                                class="mt-0.5 size-4 rounded border-slate-300"
                                prop:checked=move || c.on.get()
                                on:change=move |ev| c.on.set(event_target_checked(&ev))
                            />
                            <span>
                                <span class="text-slate-500">{format!("{}: ", kind_label(c.kind))}</span>
                                <span class="break-all font-medium text-slate-900">{c.label.get_value()}</span>
                                {(c.kind == BanIdentityKind::Name).then(|| view! {
                                    <span class="block text-xs text-slate-500">
                                        "Not recommended: names are shared, and can be changed."
                                    </span>
                                })}
                            </span>
                        </label>
                    </li>
                </For>
            </ul>
            <div class="mt-2 flex items-end gap-2">
                <TextField
                    id="ban-extra-ip"
                    label="Add an IP address or CIDR range"
                    value=extra
                    placeholder="203.0.113.0/24"
                    class="flex-1"
                />
                <button type="button" class=BTN on:click=add_ip>"Add"</button>
            </div>
            <ErrorNote error=extra_error.into() />
        </fieldset>
        {move || {
            let wide: Vec<String> = chosen.with(|ids| {
                ids.iter()
                    .filter(|i| i.is_wide_range())
                    .map(|i| i.value.clone())
                    .collect()
            });
            (!wide.is_empty()).then(|| view! {
                <label class="flex items-start gap-2 rounded-md bg-amber-50 px-3 py-2 text-sm text-amber-900">
                    <input
                        type="checkbox"
                        class="mt-0.5 size-4 rounded border-amber-400"
                        prop:checked=move || confirm_wide.get()
                        on:change=move |ev| confirm_wide.set(event_target_checked(&ev))
                    />
                    <span>
                        {format!(
                            "Ban the whole range {}: it can shut out every customer of an internet provider.",
                            wide.join(", "),
                        )}
                    </span>
                </label>
            })
        }}
        <div class="rounded-md bg-slate-50 px-3 py-2" aria-live="polite">
            <Transition fallback=|| view! { <p class="text-sm text-slate-500">"Checking whom this matches…"</p> }>
                {preview_view}
            </Transition>
        </div>
    }
}

/// What a customer is known by, as choices: all ticked except the name (names are shared).
fn choices_for(customer: &Customer) -> Vec<Choice> {
    let mut out = vec![Choice::new(
        BanIdentityKind::Customer,
        customer.id.as_str(),
        &format!("{} ({})", customer.display_name(), customer.id),
        true,
    )];
    if let Some(n) = &customer.name {
        out.push(Choice::new(BanIdentityKind::Name, n, n, false));
    }
    if let Some(e) = &customer.email {
        out.push(Choice::new(BanIdentityKind::Email, e, e, true));
    }
    if let Some(x) = &customer.external_id {
        out.push(Choice::new(BanIdentityKind::ExternalId, x, x, true));
    }
    out
}

/// The Ban dialog of a customer who is not banned.
#[component]
pub fn BanDialog(open: RwSignal<bool>, customer: Customer) -> impl IntoView {
    let ctx = use_customer();
    let choices = RwSignal::new(choices_for(&customer));
    let reason = RwSignal::new(String::new());
    let until = RwSignal::new(String::new());
    let permanent = RwSignal::new(true);
    let revoke_items = RwSignal::new(false);
    let cancel_subscriptions = RwSignal::new(false);
    let confirm_wide = RwSignal::new(false);
    let banning = Submission::<CreateBan>::new(move |_| {
        open.set(false);
        ctx.changed();
    });
    // Cards and IPs the customer paid with join the choices when the dialog opens. Fetched from
    // an effect, not a resource: the dialog renders inside the header's suspense, and a resource
    // made there would upset the order in which the browser picks up the server's resources.
    Effect::new(move |_| {
        if !open.get() {
            return;
        }
        let id = ctx.id.get_untracked();
        leptos::task::spawn_local(async move {
            let Ok(list) = list_payment_details(id).await else {
                return;
            };
            choices.update(|cs| {
                for d in list {
                    let kind = match d.kind {
                        PaymentDetailKind::Card => BanIdentityKind::Card,
                        PaymentDetailKind::Ip => BanIdentityKind::Ip,
                        _ => continue,
                    };
                    if !cs
                        .iter()
                        .any(|c| c.kind == kind && c.value.get_value() == d.value)
                    {
                        cs.push(Choice::new(kind, &d.value, &d.label, true));
                    }
                }
            });
        });
    });
    let customer_id = customer.id.clone();
    let on_submit = Callback::new(move |()| {
        let expires_at = if permanent.get_untracked() {
            None
        } else {
            match end_of(&until.get_untracked()) {
                Some(t) => Some(t),
                None => {
                    banning.refuse("Expiry: pick a day, or choose Permanent.");
                    return;
                }
            }
        };
        let identities: Vec<BanIdentity> = choices.with_untracked(|cs| {
            cs.iter()
                .filter(|c| c.on.get_untracked())
                .map(Choice::identity)
                .collect()
        });
        let ban = BanCreate {
            reason: reason.get_untracked(),
            expires_at,
            identities,
            customer_id: Some(customer_id.clone()),
            revoke_items: revoke_items.get_untracked(),
            cancel_subscriptions: cancel_subscriptions.get_untracked(),
            confirm_wide_ranges: confirm_wide.get_untracked(),
        };
        banning.submit(CreateBan { ban });
    });
    view! {
        <FormDialog
            open
            title="Ban customer".to_owned()
            on_submit
            busy=banning.busy()
            error=banning.error()
            submit_label="Ban"
            busy_label="Banning…"
            danger=true
        >
            <BanForm choices reason until permanent confirm_wide />
            <fieldset class="space-y-1">
                <legend class=LABEL>"Existing purchases stay unless you also"</legend>
                <Checkbox checked=revoke_items label="Revoke active items" />
                <Checkbox checked=cancel_subscriptions label="Cancel subscriptions now" />
            </fieldset>
        </FormDialog>
    }
}

/// The red banner of a banned customer, with the ban window behind "View ban".
#[component]
pub fn BanBanner(ban: Ban, customer: Customer, can_edit: bool) -> impl IntoView {
    let open = RwSignal::new(false);
    let until = match ban.expires_at {
        Some(t) => format!("until {}", day(t)),
        None => "permanently".to_owned(),
    };
    view! {
        <div
            role="alert"
            class="flex flex-wrap items-center gap-3 rounded-xl border border-red-300 bg-red-600 px-5 py-4 text-white shadow-sm"
            data-testid="ban-banner"
        >
            <div class="min-w-0 flex-1">
                <p class="text-lg font-semibold">{format!("Banned {until}")}</p>
                <p class="text-sm text-red-100">
                    <span class="font-mono">{ban.id.to_string()}</span>
                    {format!(" · {}", ban.reason)}
                </p>
            </div>
            <button
                type="button"
                class="rounded-md bg-white px-3 py-1.5 text-sm font-semibold text-red-700 shadow-sm hover:bg-red-50"
                on:click=move |_| open.set(true)
            >
                "View ban"
            </button>
        </div>
        <BanWindow open ban customer can_edit />
    }
}

/// The ban window: the ban's details; for owners and admins, edit or Unban.
#[component]
fn BanWindow(open: RwSignal<bool>, ban: Ban, customer: Customer, can_edit: bool) -> impl IntoView {
    let ctx = use_customer();
    // The ban's own identities, ticked; then anything else the customer is known by.
    let mut initial: Vec<Choice> = ban
        .identities
        .iter()
        .map(|i| Choice::new(i.kind, &i.value, &i.value, true))
        .collect();
    for c in choices_for(&customer) {
        if !initial
            .iter()
            .any(|i| i.kind == c.kind && i.value.get_value() == c.value.get_value())
        {
            c.on.set(false);
            initial.push(c);
        }
    }
    let choices = RwSignal::new(initial);
    let reason = RwSignal::new(ban.reason.clone());
    let until = RwSignal::new(
        ban.expires_at
            .map(|t| t.format("%Y-%m-%d").to_string())
            .unwrap_or_default(),
    );
    let permanent = RwSignal::new(ban.expires_at.is_none());
    let confirm_wide = RwSignal::new(false);
    let unban_open = RwSignal::new(false);
    let saving = Submission::<UpdateBan>::new(move |_| {
        open.set(false);
        ctx.changed();
    });
    let lifting = Submission::<LiftBan>::new(move |_| {
        unban_open.set(false);
        open.set(false);
        ctx.changed();
    });
    let ban_id = ban.id.to_string();
    let version = ban.version;
    let on_submit = {
        let ban_id = ban_id.clone();
        Callback::new(move |()| {
            let (expires_at, make_permanent) = if permanent.get_untracked() {
                (None, true)
            } else {
                match end_of(&until.get_untracked()) {
                    Some(t) => (Some(t), false),
                    None => {
                        saving.refuse("Expiry: pick a day, or choose Permanent.");
                        return;
                    }
                }
            };
            let identities = choices.with_untracked(|cs| {
                cs.iter()
                    .filter(|c| c.on.get_untracked())
                    .map(Choice::identity)
                    .collect()
            });
            let patch = BanUpdate {
                reason: Some(reason.get_untracked()),
                expires_at,
                permanent: make_permanent,
                identities: Some(identities),
                version: Some(version),
                confirm_wide_ranges: confirm_wide.get_untracked(),
            };
            saving.submit(UpdateBan {
                ban_id: ban_id.clone(),
                patch,
            });
        })
    };
    let unban = Callback::new(move |()| {
        lifting.submit(LiftBan {
            ban_id: ban_id.clone(),
        })
    });
    let identities = StoredValue::new(ban.identities.clone());
    let created = day(ban.created_at);
    let title = format!("Ban {}", ban.id);
    view! {
        {if can_edit {
            view! {
                <FormDialog
                    open
                    title=title
                    on_submit
                    busy=saving.busy()
                    error=saving.error()
                    submit_label="Save ban"
                    busy_label="Saving…"
                    dismiss_label="Close"
                    aside=move || view! {
                        <button type="button" class=BTN_DANGER on:click=move |_| unban_open.set(true)>"Unban"</button>
                    }
                >
                    <p class="text-xs text-slate-500">{format!("Created {created}")}</p>
                    <BanForm choices reason until permanent confirm_wide />
                </FormDialog>
            }
            .into_any()
        } else {
            view! {
                <Dialog open title>
                    <p class="text-sm text-slate-600">{format!("Created {created}. Reason: {}", reason.get_untracked())}</p>
                    <ul class="mt-3 space-y-1 text-sm">
                        {identities.get_value().into_iter().map(|i| view! {
                            <li><span class="text-slate-500">{format!("{}: ", kind_label(i.kind))}</span>{i.value}</li>
                        }).collect_view()}
                    </ul>
                    <div class="mt-5 flex justify-end">
                        <button type="button" class=BTN on:click=move |_| open.set(false)>"Close"</button>
                    </div>
                </Dialog>
            }
            .into_any()
        }}
        <Confirm
            open=unban_open
            title="Lift this ban?".to_owned()
            message="Every identity of the ban may buy again at once.".to_owned()
            confirm_label="Unban".to_owned()
            busy=lifting.busy()
            error=lifting.error()
            on_confirm=unban
        />
    }
}
