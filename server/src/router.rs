//! Assembles the HTTP router: health, REST API, the plain routes ([`crate::web`]), server
//! functions, pages and static files.

use std::time::Duration;

use app::{App, shell};
use axum::Router;
use axum::extract::{MatchedPath, Request};
use axum::middleware;
use axum::response::Redirect;
use axum::routing::get;
use leptos::prelude::provide_context;
use leptos_axum::{LeptosRoutes, generate_route_list_with_exclusions};
use tower_http::compression::CompressionLayer;
use tower_http::services::ServeDir;
use tower_http::trace::TraceLayer;

use crate::api;
use crate::state::AppState;
use crate::web::request_id::{self, RequestId};
use crate::web::{
    api_docs, dashboard_guard, downloads, export, health, imports, portal, receipt_pdf,
    security_headers,
};

/// The whole application as one router.
pub fn router(state: AppState) -> Router {
    // The app's index routes only redirect: answer them here with a real HTTP redirect.
    let routes = generate_route_list_with_exclusions(
        App,
        Some(vec!["/".to_owned(), "/dashboard".to_owned()]),
    );
    let services = state.services.clone();
    let sender = state.webhook_sender.clone();
    let fallback_services = state.services.clone();
    let options = state.leptos_options.clone();
    // The built wasm, JS and CSS: the precompressed copy the browser accepts (`.br`, `.gz`),
    // and a 304 when the browser's copy is current.
    let pkg = format!("/{}", options.site_pkg_dir);
    let built = Router::new()
        .fallback_service(
            ServeDir::new(format!("{}{pkg}", options.site_root))
                .precompressed_br()
                .precompressed_gzip(),
        )
        .layer(middleware::map_response(asset_headers));

    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(crate::metrics::scrape))
        .nest_service(&pkg, built)
        .route("/", get(to_customers))
        .route("/dashboard", get(to_customers))
        .nest("/api/v1", api::router(&state))
        .route("/api/docs", get(api_docs::reference))
        .route("/downloads/{token}", get(downloads::download))
        .route("/portal/session/{token}", get(portal::open_link))
        .route(
            "/portal/link/{token}",
            get(portal::open_signed_link).post(portal::confirm_signed_link),
        )
        // It mints a session and writes the audit log: a POST from Patron's own page only.
        .route(
            "/dashboard/customers/{id}/portal",
            axum::routing::post(portal::impersonate),
        )
        .route(
            "/dashboard/customers/export.csv",
            get(export::dashboard_customers_csv),
        )
        .route(
            "/dashboard/customers/{id}/data_export.json",
            get(export::dashboard_customer_data),
        )
        .route(
            "/dashboard/customer_imports",
            axum::routing::post(imports::dashboard_import),
        )
        .route(
            "/dashboard/customer_imports/{id}/report.csv",
            get(imports::dashboard_report),
        )
        .route("/portal/data_export.json", get(portal::data_export))
        .route(
            "/portal/orders/{id}/receipt.pdf",
            get(receipt_pdf::download),
        )
        // Pages and the server functions (under /rpc) get the domain services in context.
        .leptos_routes_with_context(
            &state,
            routes,
            move || {
                provide_context(services.clone());
                provide_context(sender.clone());
            },
            move || shell(options.clone()),
        )
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            dashboard_guard::require_session,
        ))
        // Static files from the site root; anything else renders the app's "not found" page.
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            AppState,
            _,
        >(
            move || provide_context(fallback_services.clone()), shell
        ))
        .layer(CompressionLayer::new())
        .layer(middleware::from_fn(crate::metrics::track_http))
        .layer(
            // Log the route and status, never the query string: it may carry emails.
            TraceLayer::new_for_http()
                .make_span_with(|req: &Request| {
                    let route = req
                        .extensions()
                        .get::<MatchedPath>()
                        .map_or(req.uri().path(), MatchedPath::as_str);
                    let id = req
                        .extensions()
                        .get::<RequestId>()
                        .map_or("", |r| r.0.as_str());
                    tracing::info_span!("request", method = %req.method(), route, request_id = id)
                })
                .on_response(
                    |res: &axum::response::Response, latency: Duration, _: &tracing::Span| {
                        tracing::info!(
                            status = res.status().as_u16(),
                            ms = latency.as_secs_f64() * 1000.0,
                            "response"
                        );
                    },
                ),
        )
        .layer(middleware::from_fn(request_id::assign))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            security_headers::apply,
        ))
        .with_state(state)
}

async fn to_customers() -> Redirect {
    Redirect::to("/dashboard/customers")
}

/// The built site's files keep their names from one build to the next, so a browser may keep
/// them but asks each time whether they changed (a 304 when they did not). Each is sent raw,
/// gzipped or brotli-compressed by what the request accepts: a shared cache must keep them
/// apart (the file service does not say so itself).
async fn asset_headers(mut res: axum::response::Response) -> axum::response::Response {
    use axum::http::{HeaderValue, header};
    let h = res.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    res
}
