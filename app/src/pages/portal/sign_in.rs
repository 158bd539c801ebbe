//! `/portal/<shop>`: the portal's sign-in by code. The customer types their email and always
//! hears the same answer; the code from the email signs them in. Also where an expired or
//! replaced receipt link lands.

use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_params_map, use_query_map};

use super::accent::{PORTAL_BTN_LINK, PORTAL_BTN_PRIMARY, accent_style};
use super::{PortalFrame, ShopHeading};
use crate::components::alert::Alert;
use crate::components::card::CARD;
use crate::components::dialog::{INPUT, Submission};
use crate::components::form::{Field, TextField};
use crate::server_fns::portal::{PortalSignIn, RequestPortalCode, load_portal_shop};
use crate::types::AppError;
use crate::types::portal::PortalBranding;

/// The sign-in page of one shop's portal.
#[component]
pub fn PortalSignInPage() -> impl IntoView {
    let params = use_params_map();
    let slug = move || params.read().get("slug").unwrap_or_default();
    let shop = Resource::new(slug, load_portal_shop);
    let body = move || {
        Suspend::new(async move {
            match shop.await {
                Ok(branding) => view! { <SignIn branding /> }.into_any(),
                Err(AppError::NotFound { .. }) => view! {
                    <section class=format!("{CARD} p-6")>
                        <h1 class="text-xl font-semibold text-slate-900">"No such shop"</h1>
                        <p class="mt-2 text-sm text-slate-600">"Check the address: it is the one in your receipt, such as /portal/your-shop."</p>
                    </section>
                }.into_any(),
                Err(e) => view! { <Alert large=true>{e.sentence()}</Alert> }.into_any(),
            }
        })
    };
    view! { <PortalFrame title="Sign in to your purchases" width="max-w-md">{body}</PortalFrame> }
}

#[component]
fn SignIn(branding: PortalBranding) -> impl IntoView {
    let query = use_query_map();
    let expired = move || query.read().get("link").as_deref() == Some("expired");
    let slug = StoredValue::new(branding.slug.clone());
    let shop = StoredValue::new(branding.shop.clone());
    let email = RwSignal::new(String::new());
    let code = RwSignal::new(String::new());
    // The address a code was asked for: the second step shows once it is set.
    let sent_to = RwSignal::new(None::<String>);
    let error = RwSignal::new(None::<String>);
    let requesting = Submission::<RequestPortalCode>::reporting_to(error, move |_| {
        sent_to.set(Some(email.get_untracked().trim().to_owned()));
        code.set(String::new());
    });
    let navigate = use_navigate();
    let signing_in = Submission::<PortalSignIn>::reporting_to(error, move |_| {
        navigate("/portal", Default::default());
    });
    let ask = move || {
        requesting.submit(RequestPortalCode {
            slug: slug.get_value(),
            email: email.get_untracked(),
        })
    };
    view! {
        <section class=format!("{CARD} p-6 shadow-sm") style=accent_style(branding.accent_color.as_deref())>
            <ShopHeading branding=branding.clone() />
            <h1 class="mt-4 text-xl font-semibold text-slate-900">"Sign in to your purchases"</h1>
            <Show when=expired>
                <p class="mt-3 rounded-md bg-amber-50 px-3 py-2 text-sm text-amber-800" role="status" data-testid="portal-link-expired">
                    "That link has expired or was replaced by a newer one. Sign in with a code instead."
                </p>
            </Show>
            <Show
                when=move || sent_to.get().is_some()
                fallback=move || view! {
                    <form
                        class="mt-4 space-y-4"
                        novalidate
                        on:submit=move |ev| {
                            ev.prevent_default();
                            ask();
                        }
                    >
                        <p class="text-sm text-slate-600">
                            {format!("Type the email address you bought with at {}. We'll email you a code.", shop.get_value())}
                        </p>
                        <TextField
                            id="portal-email"
                            label="Email address"
                            value=email
                            kind="email"
                            autocomplete="email"
                            inputmode="email"
                            required=true
                        />
                        {move || error.get().map(|e| view! { <Alert>{e}</Alert> })}
                        <button type="submit" class=format!("{PORTAL_BTN_PRIMARY} w-full") disabled=requesting.busy()>
                            {move || if requesting.busy().get() { "Sending…" } else { "Email me a code" }}
                        </button>
                    </form>
                }
            >
                <form
                    class="mt-4 space-y-4"
                    novalidate
                    on:submit=move |ev| {
                        ev.prevent_default();
                        signing_in.submit(PortalSignIn {
                            slug: slug.get_value(),
                            email: sent_to.get_untracked().unwrap_or_default(),
                            code: code.get_untracked(),
                        });
                    }
                >
                    <p class="text-sm text-slate-600" role="status" data-testid="portal-code-sent">
                        {move || format!(
                            "If {} has purchases at {}, a sign-in code is on its way. It works for 15 minutes.",
                            sent_to.get().unwrap_or_default(),
                            shop.get_value(),
                        )}
                    </p>
                    <Field id="portal-code" label="Code">
                        <input
                            id="portal-code"
                            type="text"
                            autocomplete="one-time-code"
                            autocapitalize="characters"
                            spellcheck="false"
                            maxlength="9"
                            required
                            class=format!("{INPUT} font-mono tracking-widest uppercase")
                            prop:value=move || code.get()
                            on:input=move |ev| code.set(event_target_value(&ev))
                        />
                    </Field>
                    {move || error.get().map(|e| view! { <Alert>{e}</Alert> })}
                    <button type="submit" class=format!("{PORTAL_BTN_PRIMARY} w-full") disabled=signing_in.busy()>
                        {move || if signing_in.busy().get() { "Signing in…" } else { "Sign in" }}
                    </button>
                    <div class="flex flex-wrap justify-between gap-2">
                        <button type="button" class=PORTAL_BTN_LINK on:click=move |_| {
                            error.set(None);
                            sent_to.set(None);
                        }>"Use another email"</button>
                        <button type="button" class=PORTAL_BTN_LINK disabled=requesting.busy() on:click=move |_| ask()>
                            "Send a new code"
                        </button>
                    </div>
                </form>
            </Show>
        </section>
    }
}
