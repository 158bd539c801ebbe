//! `/dashboard/settings`: the workspace's name, its customer portal's address and look (with
//! a preview of the portal's heading as it will be), the sites that may embed the portal, and
//! what its receipts say about the seller; for owners, the server's own state (System).

mod receipts;
mod system;

use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::alert::Alert;
use crate::components::card::SettingsSection;
use crate::components::dialog::{BTN, BTN_PRIMARY, INPUT, Submission};
use crate::components::empty_state::Loading;
use crate::components::form::{Field, TextArea, TextField};
use crate::pages::portal::PortalPreview;
use crate::server_fns::dashboard::{SaveSettings, load_settings, load_system_status};
use crate::types::colour::{
    Colour, DEFAULT_ACCENT, MIN_CONTRAST_WITH_WHITE, contrast_with_white, ratio_words,
};
use crate::types::portal::PortalBranding;
use crate::types::words::accent_too_light;
use crate::types::workspace::{WorkspaceSettings, WorkspaceSettingsUpdate};

/// The settings page.
#[component]
pub fn SettingsPage() -> impl IntoView {
    let settings = Resource::new(|| (), |_| load_settings());
    let system = Resource::new(|| (), |_| load_system_status());
    view! {
        <Title text="Settings" />
        <div class="mx-auto max-w-3xl space-y-6">
            <h1 class="text-2xl font-semibold tracking-tight">"Settings"</h1>
            <nav aria-label="Settings sections" class="flex flex-wrap gap-x-4 gap-y-1 text-sm">
                {[("#portal", "Workspace & portal"), ("#receipts", "Receipts"), ("#team", "Team"), ("#api-keys", "API keys"), ("#webhooks", "Webhooks"), ("#sessions", "Your sessions")]
                    .into_iter()
                    .map(|(href, label)| view! { <a href=href class="font-medium text-indigo-600 hover:text-indigo-500">{label}</a> })
                    .collect_view()}
                <Suspense fallback=|| ()>
                    {move || Suspend::new(async move {
                        system.await.ok().flatten().map(|_| view! {
                            <a href="#system" class="font-medium text-indigo-600 hover:text-indigo-500">"System"</a>
                        })
                    })}
                </Suspense>
            </nav>
            <Suspense fallback=|| view! { <Loading /> }>
                {move || Suspend::new(async move {
                    match settings.await {
                        Ok(s) => view! {
                            <PortalSection settings=s.clone() />
                            <receipts::ReceiptSection settings=s />
                            <super::team::TeamSection />
                            <super::team::ApiKeysSection />
                            <super::webhooks::WebhooksSection />
                            <super::team::SessionsSection />
                        }
                        .into_any(),
                        Err(e) => view! { <Alert large=true>{e.sentence()}</Alert> }.into_any(),
                    }
                })}
            </Suspense>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    match system.await {
                        Ok(Some(status)) => Some(view! { <system::SystemSection status /> }.into_any()),
                        Ok(None) => None,
                        Err(e) => Some(view! { <Alert>{e.sentence()}</Alert> }.into_any()),
                    }
                })}
            </Suspense>
        </div>
    }
}

/// The shop's name and its portal's address, look and embedding sites, with a preview of a
/// portal page in the look being chosen, and a warning, as it is typed, for an accent colour
/// too light for white text.
#[component]
fn PortalSection(settings: WorkspaceSettings) -> impl IntoView {
    let can_edit = settings.can_edit;
    let name = RwSignal::new(settings.name.clone());
    let slug = RwSignal::new(settings.slug.clone());
    let logo = RwSignal::new(settings.portal_logo_url.clone().unwrap_or_default());
    let colour = RwSignal::new(settings.portal_accent_color.clone().unwrap_or_default());
    let origins = RwSignal::new(settings.embed_origins.join("\n"));
    let saved = RwSignal::new(false);
    let saving = Submission::<SaveSettings>::new(move |s: &WorkspaceSettings| {
        slug.set(s.slug.clone());
        colour.set(s.portal_accent_color.clone().unwrap_or_default());
        origins.set(s.embed_origins.join("\n"));
        saved.set(true);
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        saved.set(false);
        saving.submit(SaveSettings {
            settings: WorkspaceSettingsUpdate {
                name: Some(name.get_untracked()),
                slug: Some(slug.get_untracked()),
                portal_logo_url: Some(logo.get_untracked()),
                portal_accent_color: Some(colour.get_untracked()),
                embed_origins: Some(
                    origins
                        .get_untracked()
                        .lines()
                        .map(str::trim)
                        .filter(|l| !l.is_empty())
                        .map(str::to_owned)
                        .collect(),
                ),
                ..Default::default()
            },
        });
    };
    let branding = Signal::derive(move || PortalBranding {
        shop: name.get(),
        slug: slug.get(),
        logo_url: Some(logo.get()).filter(|l| l.starts_with("https://")),
        accent_color: Colour::parse(&colour.get()).map(Colour::hex),
    });
    // The server's own check, run as the colour is typed or picked: the same sentence, before
    // saving.
    let too_light = move || {
        contrast_with_white(&colour.get())
            .filter(|ratio| *ratio < MIN_CONTRAST_WITH_WHITE)
            .map(|ratio| accent_too_light(&ratio_words(ratio)))
    };
    view! {
        <SettingsSection
            id="portal"
            title="Portal"
            description=|| "How your customers see your shop in the customer portal and in the emails Patron sends them."
            read_only=!can_edit
        >
            <form class="mt-4 grid gap-4 sm:grid-cols-2" novalidate on:submit=submit>
                <TextField
                    id="settings-name"
                    label="Shop name"
                    value=name
                    kind="text"
                    disabled=!can_edit
                    hint="Shown in the portal and as the sender of receipts."
                />
                <TextField
                    id="settings-slug"
                    label="Portal address"
                    value=slug
                    kind="text"
                    disabled=!can_edit
                    hint="Your customers sign in at /portal/ followed by this."
                />
                <TextField
                    id="settings-logo"
                    label="Logo address"
                    value=logo
                    kind="url"
                    disabled=!can_edit
                    hint="An https:// image, square works best. Leave empty for none."
                />
                <div>
                    <Field
                        id="settings-colour"
                        label="Accent colour"
                        hint="Such as #4f46e5, typed or picked. Buttons carry white text on it, so it must be dark enough to read. Leave empty for the default."
                    >
                        <div class="flex items-center gap-2">
                            <input
                                id="settings-colour"
                                type="text"
                                class=format!("{INPUT} min-w-0")
                                autocomplete="off"
                                spellcheck="false"
                                disabled=!can_edit
                                aria-describedby="settings-colour-help settings-colour-warning"
                                aria-invalid=move || too_light().map(|_| "true")
                                prop:value=move || colour.get()
                                on:input=move |ev| colour.set(event_target_value(&ev))
                            />
                            <input
                                type="color"
                                aria-label="Pick a colour"
                                title="Pick a colour"
                                class="h-9 w-12 shrink-0 cursor-pointer rounded-md border border-slate-300 bg-white p-1 disabled:cursor-not-allowed disabled:opacity-60"
                                disabled=!can_edit
                                prop:value=move || Colour::parse(&colour.get()).unwrap_or(DEFAULT_ACCENT).hex()
                                on:input=move |ev| colour.set(event_target_value(&ev))
                            />
                        </div>
                    </Field>
                    <p
                        id="settings-colour-warning"
                        class="mt-1 text-xs text-amber-800"
                        role="status"
                        data-testid="accent-warning"
                    >
                        {too_light}
                    </p>
                </div>
                <TextArea
                    id="settings-embed-origins"
                    label="Sites that may embed the portal"
                    value=origins
                    rows=3
                    placeholder="https://shop.example"
                    no_spellcheck=true
                    disabled=!can_edit
                    class="sm:col-span-2"
                    hint="One origin per line, such as https://shop.example or https://*.shop.example (http:// only for localhost). Only these pages may show the portal inside a frame with embed.js; leave empty to allow none."
                />
                <div class="sm:col-span-2 rounded-lg border border-dashed border-slate-300 p-4">
                    <p class="mb-2 text-xs font-medium uppercase tracking-wide text-slate-500">"Preview"</p>
                    <PortalPreview branding />
                </div>
                <div class="sm:col-span-2 flex flex-wrap items-center gap-3">
                    {can_edit.then(|| view! {
                        <button type="submit" class=BTN_PRIMARY disabled=saving.busy()>
                            {move || if saving.busy().get() { "Saving…" } else { "Save" }}
                        </button>
                    })}
                    <a
                        class=BTN
                        href=move || format!("/portal/{}", slug.get())
                        target="_blank"
                        rel="external noopener"
                    >
                        "Open the sign-in page"
                    </a>
                    <Show when=move || saved.get()>
                        <p class="text-sm text-emerald-700" role="status">"Saved."</p>
                    </Show>
                </div>
                <div class="sm:col-span-2">
                    {move || saving.error().get().map(|e| view! { <Alert>{e}</Alert> })}
                </div>
            </form>
        </SettingsSection>
    }
}
