//! Headers every answer carries: no framing (no page may be put in another site's frame), no
//! content sniffing, no Referer to other sites, and no caching of what is private (the dashboard,
//! its server functions, the REST API and exports).

use axum::extract::Request;
use axum::http::HeaderValue;
use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS,
    X_FRAME_OPTIONS,
};
use axum::middleware::Next;
use axum::response::Response;

/// Paths whose answers are private to the caller and must never be stored by a cache.
const PRIVATE: [&str; 4] = ["/api/", "/dashboard", "/rpc/", "/downloads/"];

/// Middleware: sets the headers on every response (keeping a `Cache-Control` a handler chose).
pub async fn apply(req: Request, next: Next) -> Response {
    let private = PRIVATE.iter().any(|p| req.uri().path().starts_with(p));
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    if !h.contains_key(CONTENT_SECURITY_POLICY) {
        h.insert(
            CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("frame-ancestors 'none'"),
        );
    }
    if private && !h.contains_key(CACHE_CONTROL) {
        h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}
