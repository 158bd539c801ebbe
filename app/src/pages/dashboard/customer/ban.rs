//! Banning from the customer page: the Ban dialog (reason, expiry, the identities the customer
//! is known by, ticked only where no other customer shares them, a live count of whom the ban
//! matches on its button, a second step before banning more than one customer, and what else
//! to end), the red banner of a banned customer, and the ban window that edits or lifts the ban.

use chrono::{DateTime, NaiveDate, Utc};
use leptos::prelude::*;

use super::use_customer;
use crate::components::alert::Alert;
use crate::components::dialog::{
    BTN, BTN_DANGER, Confirm, Dialog, ErrorNote, FormDialog, INPUT, LABEL, Submission, error_text,
};
use crate::components::form::{Checkbox, TextArea, TextField};
use crate::components::time::LocalTime;
use crate::server_fns::customer::{
    CreateBan, LiftBan, UpdateBan, list_payment_details, preview_ban, preview_ban_identities,
};
use crate::types::Customer;
use crate::types::ban::{Ban, BanCreate, BanIdentity, BanIdentityKind, BanPreview, BanUpdate};
use crate::types::payment_detail::{PaymentDetail, PaymentDetailKind};

/// One identity offered in the dialog, with whether it is ticked.
#[derive(Debug, Clone, Copy)]
struct Choice {
    kind: BanIdentityKind,
    value: StoredValue<String>,
    label: StoredValue<String>,
    on: RwSignal<bool>,
    /// How many other customers share it, once asked.
    others: RwSignal<Option<u64>>,
}

impl Choice {
    fn new(kind: BanIdentityKind, value: &str, label: &str, on: bool) -> Self {
        Self {
            kind,
            value: StoredValue::new(value.to_owned()),
            label: StoredValue::new(label.to_owned()),
            on: RwSignal::new(on),
            others: RwSignal::new(None),
        }
    }

    fn identity(&self) -> BanIdentity {
        BanIdentity {
            kind: self.kind,
            value: self.value.get_value(),
        }
    }
}

/// The expiry picked: none for a permanent ban, else the end of the day (UTC) picked, so a ban
/// "until the 30th" holds through the 30th.
fn expiry(permanent: RwSignal<bool>, until: RwSignal<String>) -> Result<Option<DateTime<Utc>>, ()> {
    if permanent.get_untracked() {
        return Ok(None);
    }
    NaiveDate::parse_from_str(&until.get_untracked(), "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(23, 59, 59))
        .map(|t| Some(t.and_utc()))
        .ok_or(())
}

const PICK_A_DAY: &str = "Expiry: pick a day, or choose Permanent.";

/// `1 customer`, `29 customers`.
fn count_of(n: u64, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

/// The ban button's words for a ban matching `n` customers.
fn ban_label(n: u64) -> String {
    match n {
        0 => "Ban".to_owned(),
        n => format!("Ban {}", count_of(n, "customer")),
    }
}

/// The live preview's latest answer, with the identities it was asked about.
#[derive(Debug, Clone)]
struct Answer {
    asked: Vec<BanIdentity>,
    preview: Result<BanPreview, String>,
}

/// The identities offered, the ticked ones, and the latest answer to whom they match.
#[derive(Debug, Clone, Copy)]
struct Picks {
    choices: RwSignal<Vec<Choice>>,
    chosen: Memo<Vec<BanIdentity>>,
    answer: RwSignal<Option<Answer>>,
}

impl Picks {
    /// Offers `initial`; while `open`, every change of the ticks asks whom they match, and an
    /// answer is kept only if they are still the ticked ones when it comes.
    fn new(open: RwSignal<bool>, initial: Vec<Choice>) -> Self {
        let choices = RwSignal::new(initial);
        let chosen: Memo<Vec<BanIdentity>> = Memo::new(move |_| {
            choices.with(|cs| {
                cs.iter()
                    .filter(|c| c.on.get())
                    .map(Choice::identity)
                    .collect()
            })
        });
        let answer = RwSignal::new(None::<Answer>);
        Effect::new(move |_| {
            let asked = chosen.get();
            if !open.get() || asked.is_empty() {
                return;
            }
            leptos::task::spawn_local(async move {
                let preview = preview_ban(asked.clone()).await.map_err(|e| error_text(&e));
                if chosen.try_get_untracked().as_ref() == Some(&asked) {
                    let _ = answer.try_set(Some(Answer { asked, preview }));
                }
            });
        });
        Self {
            choices,
            chosen,
            answer,
        }
    }

    /// The latest answer, and whether it is about the identities ticked now.
    fn latest(&self) -> Option<(Result<BanPreview, String>, bool)> {
        self.answer.get().map(|a| {
            let current = self.chosen.with(|c| *c == a.asked);
            (a.preview, current)
        })
    }

    /// How many customers the ticked identities match; none while the answer is coming.
    fn count(&self) -> Option<u64> {
        let (preview, current) = self.latest()?;
        preview.ok().filter(|_| current).map(|p| p.count)
    }
}

/// Whether the dialog has learnt which identities other customers share, and what failed.
#[derive(Debug, Clone, Copy)]
struct Shares {
    checked: RwSignal<bool>,
    error: RwSignal<Option<String>>,
}

/// The form both the Ban dialog and the ban window show.
#[component]
fn BanForm(
    /// What the customer is known by (and, when editing, the ban's identities), ticked or not,
    /// and whom the ticked ones match.
    picks: Picks,
    reason: RwSignal<String>,
    /// `YYYY-MM-DD`, or empty for permanent.
    until: RwSignal<String>,
    permanent: RwSignal<bool>,
    /// Ticked to confirm a range wider than /16 (IPv4) or /32 (IPv6).
    confirm_wide: RwSignal<bool>,
    /// In the Ban dialog: whether the shared identities are known yet.
    #[prop(optional)]
    shares: Option<Shares>,
) -> impl IntoView {
    let extra = RwSignal::new(String::new());
    let extra_error = RwSignal::new(None::<String>);
    let add_ip = move |_| {
        let v = extra.get_untracked().trim().to_owned();
        if v.is_empty() {
            extra_error.set(Some(
                "Type an IP address or a range such as 203.0.113.0/24.".into(),
            ));
            return;
        }
        extra_error.set(None);
        picks
            .choices
            .update(|cs| cs.push(Choice::new(BanIdentityKind::Ip, &v, &v, true)));
        extra.set(String::new());
    };
    let preview_view = move || {
        if picks.chosen.with(Vec::is_empty) {
            return view! { <p class="text-sm text-amber-800">"Tick at least one identity to ban."</p> }.into_any();
        }
        match picks.latest() {
            Some((Ok(p), _)) => view! {
                <div>
                    <p class="text-sm font-medium text-slate-900" data-testid="ban-preview">
                        {match p.count {
                            0 => "Matches no customer yet: it will refuse new purchases that match.".to_owned(),
                            n => format!("Matches {}:", count_of(n, "customer")),
                        }}
                    </p>
                    <ul class="mt-1 max-h-32 space-y-0.5 overflow-y-auto text-xs text-slate-600">
                        {p.customers.into_iter().map(|m| view! {
                            <li>
                                <a class="text-indigo-600 underline hover:text-indigo-500" href=format!("/dashboard/customers/{}", m.customer_id)>
                                    {m.display_name}
                                </a>
                                {format!(
                                    " · by {}",
                                    m.matched_by.iter().map(|k| k.label().to_lowercase()).collect::<Vec<_>>().join(", "),
                                )}
                            </li>
                        }).collect_view()}
                    </ul>
                </div>
            }
            .into_any(),
            Some((Err(e), true)) => view! { <Alert>{e}</Alert> }.into_any(),
            _ => view! { <p class="text-sm text-slate-500">"Checking whom this matches…"</p> }.into_any(),
        }
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
                <input type="radio" name="ban-expiry" prop:checked=move || permanent.get() on:change=move |_| permanent.set(true) />
                "Permanent"
            </label>
            <label class="flex items-center gap-2 text-sm">
                <input type="radio" name="ban-expiry" prop:checked=move || !permanent.get() on:change=move |_| permanent.set(false) />
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
            {shares.map(|s| view! {
                <p class="mb-2 text-xs text-slate-600" aria-live="polite" data-testid="ban-shares">
                    {move || if s.checked.get() {
                        "Ticked: what only this customer uses. What other customers share stays unticked: ticking it bans them too."
                    } else {
                        "Checking which identities other customers share…"
                    }}
                </p>
                <ErrorNote error=s.error.into() />
            })}
            <ul class="space-y-1">
                <For each=move || picks.choices.get() key=|c| (c.kind, c.value.get_value()) let:c>
                    <li>
                        <label class="flex items-start gap-2 text-sm">
                            <input
                                type="checkbox"
                                class="mt-0.5 size-4 rounded border-slate-300"
                                prop:checked=move || c.on.get()
                                on:change=move |ev| c.on.set(event_target_checked(&ev))
                            />
                            <span>
                                <span class="text-slate-500">{format!("{}: ", c.kind.label())}</span>
                                <span class="break-all font-medium text-slate-900">{c.label.get_value()}</span>
                                {move || c.others.get().filter(|n| *n > 0).map(|n| view! {
                                    <span class="block text-xs text-amber-800" data-testid="shared-with">
                                        {format!("Shared with {}", count_of(n, "other customer"))}
                                    </span>
                                })}
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
            let wide: Vec<String> = picks.chosen.with(|ids| {
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
        <div class="rounded-md bg-slate-50 px-3 py-2" aria-live="polite">{preview_view}</div>
    }
}

/// What a customer is known by, as choices: only the customer themself ticked until the dialog
/// knows which of the others nobody else shares.
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
        out.push(Choice::new(BanIdentityKind::Email, e, e, false));
    }
    if let Some(x) = &customer.external_id {
        out.push(Choice::new(BanIdentityKind::ExternalId, x, x, false));
    }
    out
}

/// Adds the cards and IPs a customer paid with to the choices, unticked.
fn add_details(cs: &mut Vec<Choice>, details: &[PaymentDetail]) {
    for d in details {
        let kind = match d.kind {
            PaymentDetailKind::Card => BanIdentityKind::Card,
            PaymentDetailKind::Ip => BanIdentityKind::Ip,
            PaymentDetailKind::Account | PaymentDetailKind::Email => continue,
        };
        if !cs
            .iter()
            .any(|c| c.kind == kind && c.value.get_value() == d.value)
        {
            cs.push(Choice::new(kind, &d.value, &d.label, false));
        }
    }
}

/// What banning `n` customers does, asked before it is done.
fn consequences(n: u64, revoke_items: bool, cancel_subscriptions: bool) -> String {
    let mut text = format!("This ban matches {n} customers, not only this one: each of them will ");
    text.push_str(match (revoke_items, cancel_subscriptions) {
        (false, false) => "be refused new purchases.",
        (true, false) => "be refused new purchases and lose their active items.",
        (false, true) => "be refused new purchases and have their subscriptions canceled now.",
        (true, true) => "be refused new purchases, lose their active items and have their subscriptions canceled now.",
    });
    text + " Untick what other customers share to ban this customer alone."
}

/// The Ban dialog of a customer who is not banned. Its body scrolls; the footer with Cancel and
/// the ban button, which counts whom the ban matches, stays in view.
#[component]
pub fn BanDialog(open: RwSignal<bool>, customer: Customer) -> impl IntoView {
    let ctx = use_customer();
    let picks = Picks::new(open, choices_for(&customer));
    let shares = Shares {
        checked: RwSignal::new(false),
        error: RwSignal::new(None),
    };
    let reason = RwSignal::new(String::new());
    let until = RwSignal::new(String::new());
    let permanent = RwSignal::new(true);
    let revoke_items = RwSignal::new(false);
    let cancel_subscriptions = RwSignal::new(false);
    let confirm_wide = RwSignal::new(false);
    // The second step: set by the first press on a ban of more than one customer, and gone
    // as soon as the ticks change.
    let confirming = RwSignal::new(false);
    Effect::new(move |_| {
        picks.chosen.track();
        confirming.set(false);
    });
    let banning = Submission::<CreateBan>::new(move |_| {
        open.set(false);
        ctx.changed();
    });
    let busy = banning.busy();
    // Each time the dialog opens: the cards and IPs the customer paid with join the choices,
    // then one question counts, for every choice, the other customers who share it, and only
    // the unshared ones are ticked. Fetched from an effect, not a resource: the dialog renders
    // inside the header's suspense, and a resource made there would upset the order in which
    // the browser picks up the server's resources.
    Effect::new(move |_| {
        if !open.get() {
            return;
        }
        shares.checked.set(false);
        shares.error.set(None);
        let id = ctx.id.get_untracked();
        leptos::task::spawn_local(async move {
            let details = list_payment_details(id.clone()).await;
            let Some(asked) = picks.choices.try_update(|cs| {
                if let Ok(details) = &details {
                    add_details(cs, details);
                }
                cs.iter().map(Choice::identity).collect::<Vec<_>>()
            }) else {
                return;
            };
            let reach = preview_ban_identities(id, asked).await;
            let counts = reach.as_ref().ok();
            let _ = picks.choices.try_with_untracked(|cs| {
                for c in cs {
                    let others = counts
                        .and_then(|list| list.iter().find(|r| r.identity == c.identity()))
                        .map(|r| r.others);
                    c.others.set(others);
                    // A name is never ticked for you; without the counts, only the customer is.
                    c.on.set(match others {
                        Some(n) => n == 0 && c.kind != BanIdentityKind::Name,
                        None => c.kind == BanIdentityKind::Customer,
                    });
                }
            });
            let problem = match (details, reach) {
                (_, Err(e)) => Some(format!(
                    "Which identities other customers share could not be checked, so only the customer is ticked: {}",
                    error_text(&e),
                )),
                (Err(e), _) => Some(format!(
                    "The cards and IP addresses this customer paid with could not be loaded: {}",
                    error_text(&e),
                )),
                _ => None,
            };
            let _ = shares.error.try_set(problem);
            let _ = shares.checked.try_set(true);
        });
    });
    let customer_id = customer.id.clone();
    let on_submit = Callback::new(move |()| {
        let Some(n) = untrack(|| picks.count()) else {
            return;
        };
        if !shares.checked.get_untracked() {
            return;
        }
        if n > 1 && !confirming.get_untracked() {
            confirming.set(true);
            return;
        }
        let Ok(expires_at) = expiry(permanent, until) else {
            banning.refuse(PICK_A_DAY);
            return;
        };
        let ban = BanCreate {
            reason: reason.get_untracked(),
            expires_at,
            identities: picks.chosen.get_untracked(),
            customer_id: Some(customer_id.clone()),
            revoke_items: revoke_items.get_untracked(),
            cancel_subscriptions: cancel_subscriptions.get_untracked(),
            confirm_wide_ranges: confirm_wide.get_untracked(),
        };
        banning.submit(CreateBan { ban });
    });
    let label = move || {
        if busy.get() {
            return "Banning…".to_owned();
        }
        match picks.count() {
            Some(n) if confirming.get() => format!("Yes, {}", ban_label(n).to_lowercase()),
            Some(n) => ban_label(n),
            None => "Ban".to_owned(),
        }
    };
    let disabled = move || busy.get() || !shares.checked.get() || picks.count().is_none();
    view! {
        <Dialog open title="Ban customer".to_owned()>
            <form
                class="flex flex-col"
                novalidate
                on:submit=move |ev| {
                    ev.prevent_default();
                    on_submit.run(());
                }
            >
                <div
                    class="-mx-6 max-h-[calc(100dvh_-_20rem)] min-h-32 space-y-4 overflow-y-auto px-6 pt-1 pb-4"
                    data-testid="ban-dialog-body"
                >
                    <BanForm picks reason until permanent confirm_wide shares />
                    <fieldset class="space-y-1">
                        <legend class=LABEL>"Existing purchases stay unless you also"</legend>
                        <Checkbox checked=revoke_items label="Revoke active items" />
                        <Checkbox checked=cancel_subscriptions label="Cancel subscriptions now" />
                    </fieldset>
                </div>
                <div
                    class="-mx-6 -mb-6 rounded-b-xl border-t border-slate-200 bg-white px-6 pb-4"
                    data-testid="ban-dialog-footer"
                >
                    {move || confirming.get().then(|| view! {
                        <p
                            role="alert"
                            class="mt-4 rounded-md bg-red-50 px-3 py-2 text-sm text-red-800"
                            data-testid="ban-confirm"
                        >
                            {consequences(
                                picks.count().unwrap_or_default(),
                                revoke_items.get(),
                                cancel_subscriptions.get(),
                            )}
                        </p>
                    })}
                    <ErrorNote error=banning.error() />
                    <div class="mt-4 flex justify-end gap-2">
                        <button type="button" class=BTN on:click=move |_| open.set(false)>
                            "Cancel"
                        </button>
                        <button type="submit" class=BTN_DANGER disabled=disabled data-testid="ban-submit">
                            {label}
                        </button>
                    </div>
                </div>
            </form>
        </Dialog>
    }
}

/// The red banner of a banned customer, with the ban window behind "View ban".
#[component]
pub fn BanBanner(ban: Ban, customer: Customer, can_edit: bool) -> impl IntoView {
    let open = RwSignal::new(false);
    let until = match ban.expires_at {
        Some(t) => view! { "until " <LocalTime at=t date_only=true /> }.into_any(),
        None => "permanently".into_any(),
    };
    view! {
        <div
            role="alert"
            class="flex flex-wrap items-center gap-3 rounded-xl border border-red-300 bg-red-600 px-5 py-4 text-white shadow-sm"
            data-testid="ban-banner"
        >
            <div class="min-w-0 flex-1">
                <p class="text-lg font-semibold">"Banned " {until}</p>
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
    let picks = Picks::new(open, initial);
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
            let Ok(expires_at) = expiry(permanent, until) else {
                saving.refuse(PICK_A_DAY);
                return;
            };
            let patch = BanUpdate {
                reason: Some(reason.get_untracked()),
                expires_at,
                permanent: expires_at.is_none(),
                identities: Some(picks.chosen.get_untracked()),
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
    let created = ban.created_at;
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
                    <p class="text-xs text-slate-500">"Created " <LocalTime at=created date_only=true /></p>
                    <BanForm picks reason until permanent confirm_wide />
                </FormDialog>
            }
            .into_any()
        } else {
            view! {
                <Dialog open title>
                    <p class="text-sm text-slate-600">"Created " <LocalTime at=created date_only=true />
                        {format!(". Reason: {}", reason.get_untracked())}</p>
                    <ul class="mt-3 space-y-1 text-sm">
                        {identities.get_value().into_iter().map(|i| view! {
                            <li><span class="text-slate-500">{format!("{}: ", i.kind.label())}</span>{i.value}</li>
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
