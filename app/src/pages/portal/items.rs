//! What the customer owns, in the portal: licence keys (masked until revealed), files (a
//! signed link made on each click), Discord roles (with the Discord user they are for), and the
//! rest as the shop describes it.

use leptos::prelude::*;

use super::accent::PORTAL_BTN_LINK;
use crate::components::badge::StatusBadge;
use crate::components::card::CARD_LIST;
use crate::components::dialog::{SendButton, Submission};
use crate::components::form::{InlineError, TextField};
use crate::components::time::LocalTime;
use crate::server_fns::portal::{LinkMyDiscord, MyDownloadLink, RevealMyLicenseKey};
use crate::types::entitlement::EntitlementStatus;
use crate::types::portal::PortalItem;
use crate::types::product::BenefitKind;

/// The list of items, or a line saying there are none.
#[component]
pub(super) fn Items(
    items: Vec<PortalItem>,
    read_only: bool,
    refresh: RwSignal<u32>,
) -> impl IntoView {
    if items.is_empty() {
        return view! { <p class="text-sm text-slate-500">"Nothing here yet: keys, files and perks you buy show here."</p> }.into_any();
    }
    view! {
        <ul class=CARD_LIST>
            {items.into_iter().map(|item| view! { <Item item read_only refresh /> }).collect_view()}
        </ul>
    }
    .into_any()
}

#[component]
fn Item(item: PortalItem, read_only: bool, refresh: RwSignal<u32>) -> impl IntoView {
    let active = item.status == EntitlementStatus::Active;
    let id = item.id.to_string();
    let detail = match item.kind {
        BenefitKind::LicenseKey => item
            .license_key
            .clone()
            .map(|masked| view! { <LicenseKey id=id.clone() masked active /> }.into_any()),
        BenefitKind::FileDownload => active.then(|| view! { <Download id=id.clone() /> }.into_any()),
        BenefitKind::DiscordRole => Some(
            view! { <Discord id=id.clone() linked=item.discord_user_id.clone() editable=active && !read_only refresh /> }
                .into_any(),
        ),
        _ => None,
    };
    view! {
        <li class="p-4" data-item-id=item.id.to_string()>
            <div class="flex flex-wrap items-center gap-2">
                <span class="min-w-0 font-medium break-words text-slate-900">{item.label.clone()}</span>
                <span class="min-w-0 text-sm break-words text-slate-500">{format!("· {}", item.product_name)}</span>
                <StatusBadge status=item.status />
                {item.expires_at.filter(|_| active).map(|t| view! {
                    <span class="ml-auto text-xs text-slate-500">"Until " <LocalTime at=t /></span>
                })}
            </div>
            {detail.map(|d| view! { <div class="mt-2">{d}</div> })}
        </li>
    }
}

#[component]
fn LicenseKey(id: String, masked: String, active: bool) -> impl IntoView {
    let revealed = RwSignal::new(None::<String>);
    let revealing =
        Submission::<RevealMyLicenseKey>::new(move |key: &String| revealed.set(Some(key.clone())));
    view! {
        <div class="flex flex-wrap items-center gap-2">
            <code class="rounded bg-slate-100 px-2 py-1 font-mono text-sm break-all text-slate-900" data-testid="license-key">
                {move || revealed.get().unwrap_or_else(|| masked.clone())}
            </code>
            <Show when=move || active && revealed.get().is_none()>
                <SendButton
                    submission=revealing
                    send={
                        let id = id.clone();
                        move || RevealMyLicenseKey { id: id.clone() }
                    }
                    class=PORTAL_BTN_LINK
                >
                    "Show key"
                </SendButton>
            </Show>
        </div>
        <InlineError error=revealing.error() class="mt-1 text-sm text-red-700" />
    }
}

#[component]
fn Download(id: String) -> impl IntoView {
    let fetching = Submission::<MyDownloadLink>::new(move |url: &String| {
        #[cfg(feature = "hydrate")]
        if let Some(w) = leptos::web_sys::window() {
            let _ = w.location().set_href(url);
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = url;
    });
    view! {
        <SendButton submission=fetching send=move || MyDownloadLink { id: id.clone() } class=PORTAL_BTN_LINK>
            {move || if fetching.busy().get() { "Preparing…" } else { "Download" }}
        </SendButton>
        <InlineError error=fetching.error() class="mt-1 text-sm text-red-700" />
    }
}

#[component]
fn Discord(
    id: String,
    linked: Option<String>,
    editable: bool,
    refresh: RwSignal<u32>,
) -> impl IntoView {
    let value = RwSignal::new(linked.clone().unwrap_or_default());
    let linking = Submission::<LinkMyDiscord>::new(move |_| refresh.update(|n| *n += 1));
    let field = format!("discord-{id}");
    let status = match &linked {
        Some(user) => format!("For Discord user {user}."),
        None => "Not linked yet: give your Discord user id to get the role.".to_owned(),
    };
    view! {
        <p class="text-sm text-slate-600" data-testid="discord-status">{status}</p>
        {editable.then(|| view! {
            <form
                class="mt-2 flex flex-wrap items-end gap-2"
                novalidate
                on:submit=move |ev| {
                    ev.prevent_default();
                    linking.submit(LinkMyDiscord { id: id.clone(), discord_user_id: value.get_untracked() });
                }
            >
                <TextField
                    id=field
                    label="Discord user id"
                    value
                    inputmode="numeric"
                    input_class="w-56 max-w-full font-mono"
                />
                <button type="submit" class=PORTAL_BTN_LINK disabled=linking.busy()>"Save"</button>
            </form>
            <InlineError error=linking.error() class="mt-1 text-sm text-red-700" />
        })}
    }
}
