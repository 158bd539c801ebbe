//! Patron's shared core: the app's UI, the types both halves share, the server functions and
//! (with `ssr`) the domain and the database.

// Leptos views are deeply nested types; the customer page nests deeper than rustc's default
// query depth when it lays them out.
#![recursion_limit = "256"]

pub mod components;
pub mod embed;
pub mod pages;
mod routes;
pub mod server_fns;
pub mod types;

#[cfg(feature = "ssr")]
pub mod cookies;
#[cfg(feature = "ssr")]
pub mod db;
#[cfg(feature = "ssr")]
pub mod domain;
#[cfg(feature = "ssr")]
pub mod random;

use leptos::prelude::*;
use leptos_meta::{MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::components::{ParentRoute, Redirect, Route, Router, Routes};
use leptos_router::{Lazy, path};

use pages::dashboard::customers::CustomersPage;
use pages::dashboard::layout::DashboardLayout;
use pages::login::LoginPage;
use pages::not_found::NotFound;

/// The HTML document the server renders around the app.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    page_policy();
    view! {
        <!DOCTYPE html>
        <html lang="en" class="h-full bg-slate-50">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <link rel="icon" type="image/svg+xml" href="/favicon.svg" />
                <AutoReload options=options.clone() />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body class="h-full text-slate-900 antialiased">
                <App />
            </body>
        </html>
    }
}

/// The Content-Security-Policy of every page: scripts only from Patron, and its inline ones
/// (hydration, streamed resources) only with this response's nonce; WebAssembly compiled from
/// Patron's own module; no plugins, no `<base>`, forms posting only to Patron. Images may come
/// from any https:// address (shops' logos). Who may frame the page is added by the server's
/// header layer (`frame-ancestors`).
#[cfg(feature = "ssr")]
fn page_policy() {
    use axum::http::HeaderValue;
    use axum::http::header::CONTENT_SECURITY_POLICY;

    let (Some(nonce), Some(response)) = (
        leptos::nonce::use_nonce(),
        use_context::<leptos_axum::ResponseOptions>(),
    ) else {
        return;
    };
    let policy = format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self' 'unsafe-inline'; img-src 'self' https: data:; connect-src 'self'; \
         font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'"
    );
    if let Ok(value) = HeaderValue::from_str(&policy) {
        response.insert_header(CONTENT_SECURITY_POLICY, value);
    }
}

/// The root component: stylesheet, title and routes.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();

    view! {
        <Stylesheet id="leptos" href="/pkg/patron.css" />
        <Title formatter=|page: String| {
            if page.is_empty() { "Patron".to_owned() } else { format!("{page} · Patron") }
        } />
        <Router>
            <Routes fallback=|| view! { <NotFound /> }>
                <Route path=path!("/") view=|| view! { <Redirect path="/dashboard/customers" /> } />
                <Route path=path!("/login") view=LoginPage />
                <Route path=path!("/invite/:token") view={Lazy::<routes::Invite>::new()} />
                <Route path=path!("/portal") view={Lazy::<routes::Portal>::new()} />
                <Route path=path!("/portal/:slug") view={Lazy::<routes::PortalSignIn>::new()} />
                <Route path=path!("/portal/orders/:id") view={Lazy::<routes::PortalReceipt>::new()} />
                <ParentRoute path=path!("/embed/:slug") view={Lazy::<routes::Embed>::new()}>
                    <Route path=path!("") view={Lazy::<routes::EmbedOverview>::new()} />
                    <Route path=path!("orders/:id") view={Lazy::<routes::EmbedReceipt>::new()} />
                </ParentRoute>
                <ParentRoute path=path!("/dashboard") view=DashboardLayout>
                    <Route
                        path=path!("")
                        view=|| view! { <Redirect path="/dashboard/customers" /> }
                    />
                    <Route path=path!("customers") view=CustomersPage />
                    <Route path=path!("imports") view={Lazy::<routes::Imports>::new()} />
                    <Route path=path!("erasure-requests") view={Lazy::<routes::ErasureRequests>::new()} />
                    <Route path=path!("settings") view={Lazy::<routes::Settings>::new()} />
                    <Route
                        path=path!("settings/webhooks/:id")
                        view={Lazy::<routes::WebhookEndpoint>::new()}
                    />
                    <ParentRoute path=path!("customers/:id") view={Lazy::<routes::Customer>::new()}>
                        <Route path=path!("") view={Lazy::<routes::Overview>::new()} />
                        <Route path=path!("products") view={Lazy::<routes::Products>::new()} />
                        <Route path=path!("orders") view={Lazy::<routes::Orders>::new()} />
                        <Route path=path!("subscriptions") view={Lazy::<routes::Subscriptions>::new()} />
                        <Route path=path!("inventory") view={Lazy::<routes::Inventory>::new()} />
                        <Route path=path!("payment-details") view={Lazy::<routes::PaymentDetails>::new()} />
                        <Route path=path!("metadata") view={Lazy::<routes::Metadata>::new()} />
                        <Route path=path!("activity") view={Lazy::<routes::Activity>::new()} />
                    </ParentRoute>
                </ParentRoute>
            </Routes>
        </Router>
    }
}
