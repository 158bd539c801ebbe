//! What an API key may do, in words: the key form's grid of resources (None / Read / Write,
//! each level with a sentence) and the keys list's summary of a key's scopes.

use leptos::prelude::*;

use crate::components::dialog::LABEL;
use crate::types::Scope;
use crate::types::access::{Access, ScopeResource};

/// "Payment details" for [`ScopeResource::PaymentDetails`].
fn resource_label(resource: ScopeResource) -> &'static str {
    match resource {
        ScopeResource::Customers => "Customers",
        ScopeResource::Products => "Products",
        ScopeResource::Checkouts => "Checkouts",
        ScopeResource::Refunds => "Refunds and disputes",
        ScopeResource::Subscriptions => "Subscriptions",
        ScopeResource::Entitlements => "Entitlements",
        ScopeResource::PaymentDetails => "Payment details",
        ScopeResource::Commands => "Game-server commands",
        ScopeResource::Bans => "Bans",
        ScopeResource::Portal => "Customer portal",
        ScopeResource::Workspace => "Workspace settings",
        ScopeResource::Webhooks => "Webhooks",
        ScopeResource::Erasure => "Erasure",
        ScopeResource::Merges => "Merges",
    }
}

fn level_label(level: Option<Access>) -> &'static str {
    match level {
        None => "None",
        Some(Access::Read) => "Read",
        Some(Access::Write) => "Write",
    }
}

/// What `level` lets a key do with `resource`, in one sentence.
fn level_sentence(resource: ScopeResource, level: Option<Access>) -> &'static str {
    let Some(access) = level else {
        return "No access.";
    };
    match (resource, access) {
        (ScopeResource::Customers, Access::Read) => {
            "See customers and everything recorded about them: orders, subscriptions, entitlements, payment details, bans and activity."
        }
        (ScopeResource::Customers, Access::Write) => {
            "Everything Read allows, and create, edit, archive and import customers."
        }
        (ScopeResource::Products, Access::Read) => "See the product catalogue.",
        (ScopeResource::Products, Access::Write) => {
            "Everything Read allows, and create and archive products."
        }
        (ScopeResource::Checkouts, _) => "Record purchases and pay orders awaiting payment.",
        (ScopeResource::Refunds, _) => "Refund orders, and record disputes and repayments.",
        (ScopeResource::Subscriptions, _) => "Cancel, revoke and recover subscriptions.",
        (ScopeResource::Entitlements, _) => "Grant, revoke and link entitlements.",
        (ScopeResource::PaymentDetails, _) => "Block and unblock payment details.",
        (ScopeResource::Commands, _) => {
            "Fetch a game server's commands and report them carried out."
        }
        (ScopeResource::Bans, _) => "Create, edit and lift bans.",
        (ScopeResource::Portal, _) => "Open the customer portal for a customer.",
        (ScopeResource::Workspace, _) => {
            "Change the workspace's name, its portal's address and look, and the sites that may embed the portal."
        }
        (ScopeResource::Webhooks, _) => {
            "Manage webhook endpoints, and read and resend their deliveries."
        }
        (ScopeResource::Erasure, _) => "Erase a customer's personal data, which cannot be undone.",
        (ScopeResource::Merges, _) => "Merge duplicate customers, and undo a merge.",
    }
}

/// A key's scopes as a person reads them, one line per resource ("Customers: Write").
pub fn scope_summary(names: &[String]) -> Vec<String> {
    let held: Vec<Scope> = names.iter().filter_map(|n| n.parse().ok()).collect();
    let mut lines: Vec<String> = ScopeResource::all()
        .into_iter()
        .filter_map(|r| match r.level_in(&held) {
            Some(level) => Some(format!(
                "{}: {}",
                resource_label(r),
                level_label(Some(level))
            )),
            // Only a key made from the command line can hold a write scope without its read one.
            None if r.touched_by(&held) => {
                Some(format!("{}: Write without Read", resource_label(r)))
            }
            None => None,
        })
        .collect();
    // A scope this build does not know (none today) is still shown, as it is named.
    lines.extend(
        names
            .iter()
            .filter(|n| n.parse::<Scope>().is_err())
            .cloned(),
    );
    lines
}

/// The key form's grid: one row per resource, a radio per level it has, and the chosen
/// level's sentence. `scopes` holds exactly the scopes the chosen levels need.
#[component]
pub fn ScopeGrid(scopes: RwSignal<Vec<Scope>>) -> impl IntoView {
    view! {
        <div>
            <p class=LABEL id="scope-grid-title">"What the key may do"</p>
            <p class="mb-2 text-xs text-slate-500">
                "Reading a customer's orders, subscriptions, bans and the rest comes with Customers: Read; the other rows add what the key may change."
            </p>
            <div
                class="divide-y divide-slate-100 rounded-lg border border-slate-200"
                role="group"
                aria-labelledby="scope-grid-title"
            >
                {ScopeResource::all()
                    .into_iter()
                    .enumerate()
                    .map(|(index, resource)| view! { <ScopeRow index resource scopes /> })
                    .collect_view()}
            </div>
        </div>
    }
}

#[component]
fn ScopeRow(index: usize, resource: ScopeResource, scopes: RwSignal<Vec<Scope>>) -> impl IntoView {
    let name = resource_label(resource);
    let group = format!("scope-row-{index}");
    let name_id = format!("{group}-name");
    let hint_id = format!("{group}-hint");
    let (labelled_by, described_by) = (name_id.clone(), hint_id.clone());
    let level = Memo::new(move |_| scopes.with(|held| resource.level_in(held)));
    let choose = move |to: Option<Access>| {
        scopes.update(|held| {
            held.retain(|s| !s.opens().is_some_and(|(r, _)| r == resource));
            if let Some(access) = to {
                held.extend(resource.scopes_for(access));
            }
        });
    };
    let radios = std::iter::once(None)
        .chain(resource.levels().into_iter().map(Some))
        .map(|choice| {
            view! {
                <label class="inline-flex items-center gap-1.5 text-sm text-slate-700">
                    <input
                        type="radio"
                        class="accent-indigo-600"
                        name=group.clone()
                        value=level_label(choice)
                        prop:checked=move || level.get() == choice
                        on:change=move |_| choose(choice)
                    />
                    <span class="sr-only">{format!("{name}: ")}</span>
                    {level_label(choice)}
                </label>
            }
        })
        .collect_view();
    view! {
        <div
            class="flex flex-wrap items-start justify-between gap-x-4 gap-y-1 px-3 py-2"
            role="radiogroup"
            aria-labelledby=labelled_by
            aria-describedby=described_by
            data-scope-row=name
        >
            <div class="min-w-0 flex-1">
                <p id=name_id class="text-sm font-medium text-slate-900">{name}</p>
                <p id=hint_id class="text-xs text-slate-500">
                    {move || level_sentence(resource, level.get())}
                </p>
            </div>
            <div class="flex shrink-0 gap-3 pt-0.5">{radios}</div>
        </div>
    }
}
