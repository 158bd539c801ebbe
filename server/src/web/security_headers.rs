//! Headers every answer carries: no framing (no page may be put in another site's frame,
//! except a shop's embedded portal in the pages the shop lists), no content sniffing, no
//! Referer to other sites, no caching of what is private (the dashboard, the portal, its
//! server functions, the REST API and exports), and HTTPS only once served over HTTPS. Pages
//! bring their own Content-Security-Policy (`app::shell`); this adds who may frame them.

use app::cookies::served_over_https;
use app::domain::portal::embed;
use axum::extract::{Request, State};
use axum::http::HeaderValue;
use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, REFERRER_POLICY, STRICT_TRANSPORT_SECURITY,
    X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use axum::middleware::Next;
use axum::response::Response;

use crate::state::AppState;

/// Paths whose answers are private to the caller and must never be stored by a cache.
const PRIVATE: [&str; 8] = [
    "/api/",
    "/dashboard",
    "/invite/",
    "/login",
    "/rpc/",
    "/downloads/",
    "/portal",
    "/embed/",
];

/// The shop whose embedded portal `path` is (`/embed/<slug>/...`), if it is one.
fn embed_slug(path: &str) -> Option<&str> {
    let slug = path.strip_prefix("/embed/")?.split('/').next()?;
    let plausible = !slug.is_empty()
        && slug.len() <= 64
        && slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
    plausible.then_some(slug)
}

/// The `frame-ancestors` policy of an embedded portal page: the shop's listed origins.
async fn embed_policy(state: &AppState, slug: &str) -> HeaderValue {
    let origins = match embed::origins_for_slug(&state.services.db, slug).await {
        Ok(origins) => origins,
        Err(e) => {
            // Unknown means nobody may frame it.
            tracing::error!(error = %e, "cannot read a shop's embed origins");
            Vec::new()
        }
    };
    HeaderValue::from_str(&embed::frame_ancestors(&origins))
        .unwrap_or_else(|_| HeaderValue::from_static("frame-ancestors 'none'"))
}

/// Middleware: sets the headers on every response (keeping a `Cache-Control` a handler chose).
pub async fn apply(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let path = req.uri().path();
    let private = PRIVATE.iter().any(|p| path.starts_with(p));
    let slug = embed_slug(path).map(str::to_owned);
    let mut res = next.run(req).await;
    let framing = match &slug {
        Some(slug) => embed_policy(&state, slug).await,
        None => HeaderValue::from_static("frame-ancestors 'none'"),
    };
    let h = res.headers_mut();
    h.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    if slug.is_some() {
        // X-Frame-Options cannot name origins; the CSP alone decides for an embed page.
        h.remove(X_FRAME_OPTIONS);
    } else {
        h.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    }
    // A page's own policy (scripts, styles...) gains who may frame it.
    let policy = match h.get(CONTENT_SECURITY_POLICY).and_then(|v| v.to_str().ok()) {
        Some(page) if !page.contains("frame-ancestors") => {
            HeaderValue::from_str(&format!("{page}; {}", framing.to_str().unwrap_or_default()))
                .unwrap_or(framing)
        }
        Some(_) => h.get(CONTENT_SECURITY_POLICY).cloned().unwrap_or(framing),
        None => framing,
    };
    h.insert(CONTENT_SECURITY_POLICY, policy);
    if private && !h.contains_key(CACHE_CONTROL) {
        h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    // Over HTTPS (as the public address says, the rule every cookie follows too), browsers
    // keep to it for a year.
    if served_over_https(&state.services.public_url) {
        h.insert(
            STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    res
}

#[cfg(test)]
mod tests {
    use super::embed_slug;

    #[test]
    fn only_embed_pages_name_a_shop() {
        assert_eq!(
            embed_slug("/embed/northwind-games"),
            Some("northwind-games")
        );
        assert_eq!(
            embed_slug("/embed/northwind/orders/ord_1"),
            Some("northwind")
        );
        assert_eq!(embed_slug("/embed.js"), None);
        assert_eq!(embed_slug("/embed/"), None);
        assert_eq!(embed_slug("/embed/Bad%20Slug"), None);
        assert_eq!(embed_slug("/portal/northwind"), None);
    }
}
