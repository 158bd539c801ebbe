//! The embedded portal's side of its conversation with the merchant's page, by
//! `postMessage` (documented in README.md, "Embedding the portal"):
//!
//! | from the frame | when |
//! |---|---|
//! | `{"type":"patron:ready"}` | the portal is shown |
//! | `{"type":"patron:resize","height":N}` | the content's height changed (CSS pixels) |
//! | `{"type":"patron:action","kind":K,"id":ID}` | the customer changed something |
//! | `{"type":"patron:token-expired"}` | the frame needs a new one-time token |
//! | `{"type":"patron:dialog","top":T,"height":H}` | a dialog opened there: scroll it into view |
//!
//! and from the page, `{"type":"patron:token","token":T}`. The frame posts only to the origin
//! its session is bound to and, once bound, accepts messages only from it.
//!
//! The session lives in this module's memory (never a cookie: the page's site may block them
//! for the frame) and [`PortalClient`] sends it with every portal server function call.

use crate::types::portal::EmbedSession;

/// The header an embedded portal sends its session in.
pub const SESSION_HEADER: &str = "patron-portal-session";

/// What the frame tells its page after the customer changed something: `kind` is
/// `subscription.canceled`, `subscription.recovered` or `subscription.payment_method_updated`.
pub fn notify_action(kind: crate::types::EventType, id: &str) {
    #[cfg(feature = "hydrate")]
    browser::post(serde_json::json!({"type": "patron:action", "kind": kind.as_str(), "id": id}));
    #[cfg(not(feature = "hydrate"))]
    let _ = (kind, id);
}

/// Whether this page is the embedded portal with a live session.
pub fn session() -> Option<EmbedSession> {
    #[cfg(feature = "hydrate")]
    return browser::SESSION.with(|s| s.borrow().clone());
    #[cfg(not(feature = "hydrate"))]
    None
}

/// The server functions' client: the browser's `fetch`, plus the embedded portal's session
/// header when there is one. On the server it is never used to send.
#[cfg(not(feature = "hydrate"))]
pub type PortalClient = leptos::server_fn::client::browser::BrowserClient;

#[cfg(feature = "hydrate")]
pub use browser::PortalClient;

#[cfg(feature = "hydrate")]
pub use browser::{
    announce_ready, ask_for_token, download, listen, observe_height, page_origin, set_session,
    take_fragment_token,
};

#[cfg(feature = "hydrate")]
mod browser {
    use std::cell::{Cell, RefCell};
    use std::future::Future;

    use leptos::server_fn::Bytes;
    use leptos::server_fn::client::Client;
    use leptos::server_fn::client::browser::BrowserClient;
    use leptos::server_fn::error::FromServerFnError;
    use leptos::server_fn::request::browser::BrowserRequest;
    use leptos::server_fn::response::browser::BrowserResponse;
    use leptos::wasm_bindgen::prelude::*;
    use leptos::wasm_bindgen::{JsCast, JsValue};
    use leptos::web_sys;

    use super::SESSION_HEADER;
    use crate::types::portal::EmbedSession;

    thread_local! {
        pub(super) static SESSION: RefCell<Option<EmbedSession>> = const { RefCell::new(None) };
        static READY_SENT: Cell<bool> = const { Cell::new(false) };
    }

    /// Keeps (or forgets) the frame's session.
    pub fn set_session(session: Option<EmbedSession>) {
        if session.is_none() {
            READY_SENT.with(|r| r.set(false));
        }
        SESSION.with(|s| *s.borrow_mut() = session);
    }

    /// `fetch`, with the session header when the frame has a session.
    #[derive(Debug)]
    pub struct PortalClient;

    impl<E, I, O> Client<E, I, O> for PortalClient
    where
        E: FromServerFnError,
        I: FromServerFnError,
        O: FromServerFnError,
    {
        type Request = BrowserRequest;
        type Response = BrowserResponse;

        fn send(req: Self::Request) -> impl Future<Output = Result<Self::Response, E>> + Send {
            if let Some(session) = super::session() {
                req.headers().set(SESSION_HEADER, &session.session);
            }
            <BrowserClient as Client<E, I, O>>::send(req)
        }

        #[allow(clippy::type_complexity)]
        fn open_websocket(
            path: &str,
        ) -> impl Future<
            Output = Result<
                (
                    impl futures::Stream<Item = Result<Bytes, Bytes>> + Send + 'static,
                    impl futures::Sink<Bytes> + Send + 'static,
                ),
                E,
            >,
        > + Send {
            <BrowserClient as Client<E, I, O>>::open_websocket(path)
        }

        fn spawn(future: impl Future<Output = ()> + Send + 'static) {
            <BrowserClient as Client<E, I, O>>::spawn(future)
        }
    }

    fn post_to(origin: &str, message: &serde_json::Value) {
        let Some(parent) = web_sys::window().and_then(|w| w.parent().ok().flatten()) else {
            return;
        };
        if let Ok(data) = js_sys::JSON::parse(&message.to_string()) {
            let _ = parent.post_message(&data, origin);
        }
    }

    /// Posts to the page the session is bound to (nothing without a session).
    pub(super) fn post(message: serde_json::Value) {
        if let Some(session) = super::session() {
            post_to(&session.origin, &message);
        }
    }

    /// `patron:ready`, once per session.
    pub fn announce_ready() {
        if !READY_SENT.with(|r| r.replace(true)) {
            post(serde_json::json!({"type": "patron:ready"}));
        }
    }

    /// `patron:token-expired`: asks the page for a new token. Before a session is bound the
    /// frame only has a guess of its page's origin; the message carries nothing secret, and a
    /// token that comes back is checked against the origin the browser names for it.
    pub fn ask_for_token(origin_hint: Option<&str>) {
        post_to(
            origin_hint.unwrap_or("*"),
            &serde_json::json!({"type": "patron:token-expired"}),
        );
    }

    /// The origin of the page the frame sits in, as far as the browser tells: the first of
    /// `location.ancestorOrigins` where it exists, else the Referer's origin.
    pub fn page_origin() -> Option<String> {
        let window = web_sys::window()?;
        let location = window.location();
        let ancestors = js_sys::Reflect::get(&location, &JsValue::from_str("ancestorOrigins"))
            .ok()
            .filter(|v| !v.is_undefined());
        if let Some(list) = ancestors {
            let first = js_sys::Reflect::get(&list, &JsValue::from_f64(0.0))
                .ok()
                .and_then(|v| v.as_string());
            if first.is_some() {
                return first;
            }
        }
        let referrer = window.document()?.referrer();
        web_sys::Url::new(&referrer).ok().map(|u| u.origin())
    }

    /// The one-time token in the address's fragment (`#token=...`), taken out of the address
    /// so that a reload or the history never shows it again.
    pub fn take_fragment_token() -> Option<String> {
        let window = web_sys::window()?;
        let hash = window.location().hash().ok()?;
        let token = hash.strip_prefix("#token=")?.to_owned();
        let path = window.location().pathname().ok()?;
        if let Ok(history) = window.history() {
            let _ = history.replace_state_with_url(&JsValue::NULL, "", Some(&path));
        }
        (!token.is_empty()).then_some(token)
    }

    /// Calls `on_token(token, origin)` for each `patron:token` message from the bound origin
    /// (or, before a session is bound, from any origin: the server checks it). Every other
    /// message, and every message from another origin once bound, is ignored.
    pub fn listen(on_token: impl Fn(String, String) + 'static) {
        let Some(window) = web_sys::window() else {
            return;
        };
        let handler =
            Closure::<dyn Fn(web_sys::MessageEvent)>::new(move |event: web_sys::MessageEvent| {
                let origin = event.origin();
                if let Some(session) = super::session()
                    && session.origin != origin
                {
                    return;
                }
                let data = event.data();
                let field = |name: &str| {
                    js_sys::Reflect::get(&data, &JsValue::from_str(name))
                        .ok()
                        .and_then(|v| v.as_string())
                };
                if field("type").as_deref() == Some("patron:token")
                    && let Some(token) = field("token").filter(|t| !t.is_empty())
                {
                    on_token(token, origin);
                }
            });
        let _ =
            window.add_event_listener_with_callback("message", handler.as_ref().unchecked_ref());
        handler.forget();
    }

    /// Posts `patron:resize` with `element`'s height whenever it changes.
    pub fn observe_height(element: &web_sys::Element) {
        let target = element.clone();
        let last = Cell::new(0_i32);
        let callback = Closure::<dyn Fn()>::new(move || {
            // Before a session there is nobody to tell; the first size after it is always sent.
            if super::session().is_none() {
                last.set(0);
                return;
            }
            let height = target.get_bounding_client_rect().height().ceil() as i32;
            if height != last.replace(height) {
                post(serde_json::json!({"type": "patron:resize", "height": height}));
            }
        });
        if let Ok(observer) = web_sys::ResizeObserver::new(callback.as_ref().unchecked_ref()) {
            observer.observe(element);
        }
        callback.forget();
    }

    /// Downloads `href` (a portal file: a receipt's PDF, the customer's data) with the
    /// session header and saves it as `filename`: a frame's plain link would carry no session.
    pub async fn download(href: String, filename: String) -> Result<(), String> {
        let session = super::session().ok_or("Your session has ended: reload the page.")?;
        let failed = || "The download failed: try again.".to_owned();
        let res = gloo_net::http::Request::get(&href)
            .header(SESSION_HEADER, &session.session)
            .send()
            .await
            .map_err(|_| failed())?;
        if !res.ok() {
            return Err(format!(
                "The download failed ({}): try again.",
                res.status()
            ));
        }
        let bytes = res.binary().await.map_err(|_| failed())?;
        let parts = js_sys::Array::of1(&js_sys::Uint8Array::from(bytes.as_slice()));
        let blob = web_sys::Blob::new_with_u8_array_sequence(&parts).map_err(|_| failed())?;
        let url = web_sys::Url::create_object_url_with_blob(&blob).map_err(|_| failed())?;
        let document = web_sys::window()
            .and_then(|w| w.document())
            .ok_or_else(failed)?;
        let link: web_sys::HtmlAnchorElement = document
            .create_element("a")
            .map_err(|_| failed())?
            .unchecked_into();
        link.set_href(&url);
        link.set_download(&filename);
        link.click();
        let _ = web_sys::Url::revoke_object_url(&url);
        Ok(())
    }
}
