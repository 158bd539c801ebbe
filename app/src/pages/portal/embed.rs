//! `/embed/<slug>`: the portal inside a merchant's own page, without its navigation chrome,
//! sized to its content. The server renders only the frame; once the page is interactive
//! it takes the one-time token from its fragment (or asks the merchant's page for one),
//! exchanges it for a session kept in memory ([`crate::embed`]), and shows the same overview
//! and receipts as the hosted portal.
//!
//! The frame is as tall as the portal, so its own viewport is the whole portal and a dialog
//! opens at its top, which the merchant's page may have scrolled out of view. Each time one
//! opens the frame posts `{"type":"patron:dialog","top":T,"height":H}` (the panel's place in
//! the frame, CSS pixels) to the page its session is bound to, and `embed.js` scrolls the page
//! just enough to show it.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Outlet;
use leptos_router::hooks::use_params_map;

use super::accent::accent_style;
use super::receipt::Receipt;
use super::{Overview, TOUCH};
use crate::components::alert::Alert;
use crate::components::dialog::{BTN, DialogOpened};
use crate::components::empty_state::Loading;
use crate::components::form::InlineError;
use crate::components::hydration::use_hydrated;
use crate::server_fns::portal::{load_my_receipt, load_portal};
use crate::types::AppError;
use crate::types::portal::PortalState;

/// Where the frame's session stands. Only the browser moves it on from `Connecting`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
pub(crate) enum EmbedLink {
    /// Waiting for a token, or exchanging one.
    Connecting,
    /// A session is live; the number grows with each new session.
    Live(u32),
    /// The tokens given were refused: expired, used, or minted for another site.
    Refused,
}

/// Present in the context of every page inside `/embed/<slug>`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Embedded {
    slug: StoredValue<String>,
    link: RwSignal<EmbedLink>,
}

/// The embed context, on pages inside a merchant's page.
pub(crate) fn embedded() -> Option<Embedded> {
    use_context::<Embedded>()
}

/// The portal's own address prefix: `/portal`, or `/embed/<slug>` inside a merchant's page.
pub(crate) fn portal_base() -> String {
    match embedded() {
        Some(e) => format!("/embed/{}", e.slug.get_value()),
        None => "/portal".to_owned(),
    }
}

/// A file of the customer's (a receipt's PDF, their data). On the hosted portal a link (the
/// cookie goes with it); inside a merchant's page a button that fetches the file with the
/// frame's session header.
#[component]
pub(crate) fn FileLink(
    /// The file's address; it may change once the page is live (a receipt's PDF learns the
    /// reader's time zone).
    #[prop(into)]
    href: Signal<String>,
    /// The name to save it as.
    #[prop(into)]
    filename: String,
    /// The button's words.
    label: &'static str,
) -> impl IntoView {
    if embedded().is_none() {
        return view! {
            <a href=move || href.get() download class=BTN rel="external">{label}</a>
        }
        .into_any();
    }
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let fetch = move |_| {
        #[cfg(feature = "hydrate")]
        {
            let (href, filename) = (href.get_untracked(), filename.clone());
            busy.set(true);
            leptos::task::spawn_local(async move {
                let done = crate::embed::download(href, filename).await;
                busy.set(false);
                error.set(done.err());
            });
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (&href, &filename);
    };
    view! {
        <button type="button" class=BTN disabled=move || busy.get() on:click=fetch>
            {move || if busy.get() { "Downloading…" } else { label }}
        </button>
        <InlineError error class="text-sm text-red-700" />
    }
    .into_any()
}

/// The frame around every embedded page: no chrome, no minimum height (its page sizes it),
/// the default accent (the overview sets the shop's own), and the conversation with the
/// merchant's page.
#[component]
pub fn EmbedFrame() -> impl IntoView {
    let params = use_params_map();
    let slug = StoredValue::new(params.read_untracked().get("slug").unwrap_or_default());
    let link = RwSignal::new(EmbedLink::Connecting);
    provide_context(Embedded { slug, link });
    let reveal = Callback::new(|(top, height): (f64, f64)| {
        #[cfg(feature = "hydrate")]
        reveal_dialog(top, height);
        #[cfg(not(feature = "hydrate"))]
        let _ = (top, height);
    });
    provide_context(DialogOpened(reveal));
    let hydrated = use_hydrated();
    let root = NodeRef::<leptos::html::Main>::new();
    #[cfg(feature = "hydrate")]
    {
        let started = StoredValue::new(false);
        Effect::new(move |_| {
            if let Some(main) = root.get()
                && !started.get_value()
            {
                started.set_value(true);
                connect(slug.get_value(), link, &main);
            }
        });
    }
    view! {
        <Title text="Your purchases" />
        <main
            node_ref=root
            id="patron-embed"
            class=format!("px-1 py-2 sm:px-2 {TOUCH}")
            style=accent_style(None)
            data-hydrated=move || hydrated.get().then_some("true")
        >
            <div class="space-y-6">
                <Outlet />
            </div>
        </main>
    }
}

/// Starts the frame's session: the fragment's token, or one asked of the page; each token
/// from the page later (after a reload or when the session ends) the same way.
#[cfg(feature = "hydrate")]
fn connect(slug: String, link: RwSignal<EmbedLink>, root: &leptos::web_sys::Element) {
    use crate::embed;
    use crate::server_fns::portal::open_embed_session;

    embed::observe_height(root);
    let hint = embed::page_origin();
    let refusals = StoredValue::new(0_u8);
    let exchange = move |token: String, origin: String| {
        let slug = slug.clone();
        leptos::task::spawn_local(async move {
            match open_embed_session(slug, token, origin.clone()).await {
                Ok(session) => {
                    refusals.set_value(0);
                    embed::set_session(Some(session));
                    link.update(|l| {
                        *l = match *l {
                            EmbedLink::Live(n) => EmbedLink::Live(n + 1),
                            _ => EmbedLink::Live(1),
                        }
                    });
                }
                Err(_) => {
                    // One more try with a fresh token; a second refusal in a row stops, so a
                    // page minting for the wrong origin cannot loop.
                    refusals.update_value(|n| *n += 1);
                    if refusals.get_value() < 2 {
                        embed::ask_for_token(Some(&origin));
                    } else {
                        link.set(EmbedLink::Refused);
                    }
                }
            }
        });
    };
    embed::listen(exchange.clone());
    match (embed::take_fragment_token(), hint) {
        (Some(token), Some(origin)) => exchange(token, origin),
        (Some(_), None) => link.set(EmbedLink::Refused),
        (None, hint) => embed::ask_for_token(hint.as_deref()),
    }
}

/// Asks the merchant's page to bring a dialog that opened `top` pixels below the frame's top,
/// `height` tall, into its view. Only the page the session is bound to hears it; `embed.js`
/// checks that it comes from this frame and from Patron's origin.
#[cfg(feature = "hydrate")]
fn reveal_dialog(top: f64, height: f64) {
    use leptos::wasm_bindgen::JsValue;

    let Some(origin) = crate::embed::session().map(|s| s.origin) else {
        return;
    };
    let Some(parent) = leptos::web_sys::window().and_then(|w| w.parent().ok().flatten()) else {
        return;
    };
    let message = js_sys::Object::new();
    for (key, value) in [
        ("type", JsValue::from_str("patron:dialog")),
        ("top", JsValue::from_f64(top)),
        ("height", JsValue::from_f64(height)),
    ] {
        let _ = js_sys::Reflect::set(&message, &JsValue::from_str(key), &value);
    }
    let _ = parent.post_message(&message, &origin);
}

/// The session ended (expired, or the merchant rotated the customer's link): forget it and
/// ask the page for a new token.
fn session_ended(link: RwSignal<EmbedLink>) {
    #[cfg(feature = "hydrate")]
    {
        let origin = crate::embed::session().map(|s| s.origin);
        crate::embed::set_session(None);
        link.set(EmbedLink::Connecting);
        crate::embed::ask_for_token(origin.as_deref());
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = link;
}

/// What the frame shows while it has no session.
fn waiting(link: EmbedLink) -> AnyView {
    match link {
        EmbedLink::Refused => view! {
            <div data-testid="embed-refused">
                <Alert large=true>
                    "Your purchases cannot be shown here: the sign-in link has expired or is not meant for this site. Reload the page to try again."
                </Alert>
            </div>
        }
        .into_any(),
        _ => view! { <Loading /> }.into_any(),
    }
}

/// `/embed/<slug>`: the customer's overview.
#[component]
pub fn EmbedOverviewPage() -> impl IntoView {
    let link = expect_context::<Embedded>().link;
    let refresh = RwSignal::new(0_u32);
    let state = LocalResource::new(move || {
        let live = matches!(link.get(), EmbedLink::Live(_));
        refresh.track();
        async move {
            if live {
                Some(load_portal().await)
            } else {
                None
            }
        }
    });
    let body = move || {
        Suspend::new(async move {
            match state.await {
                None => waiting(link.get_untracked()),
                Some(Ok(PortalState::SignedIn(o))) => {
                    #[cfg(feature = "hydrate")]
                    crate::embed::announce_ready();
                    view! { <Overview overview=*o refresh /> }.into_any()
                }
                Some(Ok(_)) | Some(Err(AppError::Unauthenticated)) => {
                    session_ended(link);
                    waiting(EmbedLink::Connecting)
                }
                Some(Err(e)) => view! { <Alert large=true>{e.sentence()}</Alert> }.into_any(),
            }
        })
    };
    view! {
        <Suspense fallback=|| view! { <Loading /> }>
            {body}
        </Suspense>
    }
}

/// `/embed/<slug>/orders/<id>`: one receipt.
#[component]
pub fn EmbedReceiptPage() -> impl IntoView {
    let link = expect_context::<Embedded>().link;
    let params = use_params_map();
    let receipt = LocalResource::new(move || {
        let live = matches!(link.get(), EmbedLink::Live(_));
        let id = params.read().get("id").unwrap_or_default();
        async move {
            if live {
                Some(load_my_receipt(id).await)
            } else {
                None
            }
        }
    });
    let body = move || {
        Suspend::new(async move {
            match receipt.await {
                None => waiting(link.get_untracked()),
                Some(Ok(r)) => view! { <Receipt receipt=r /> }.into_any(),
                Some(Err(AppError::Unauthenticated)) => {
                    session_ended(link);
                    waiting(EmbedLink::Connecting)
                }
                Some(Err(AppError::NotFound { .. })) => view! {
                    <Alert large=true>"There is no such receipt among your purchases."</Alert>
                    <a href=portal_base() class=BTN>"Back to your purchases"</a>
                }
                .into_any(),
                Some(Err(e)) => view! { <Alert large=true>{e.sentence()}</Alert> }.into_any(),
            }
        })
    };
    view! {
        <Suspense fallback=|| view! { <Loading /> }>
            {body}
        </Suspense>
    }
}
