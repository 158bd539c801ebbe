//! `GET /api/docs`: the REST API's reference, for a merchant's developer. Redoc (the npm package
//! the front-end tools install, copied next to the built wasm by the site build) renders
//! `/api/v1/openapi.json` in the browser, with the curl and SDK samples the document carries.
//! Nothing is loaded from another origin: the page's own policy allows scripts, styles,
//! fonts and requests from Patron alone (and the viewer's search worker, which Redoc starts from
//! a `blob:` address).

use axum::http::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY};
use axum::response::{Html, IntoResponse, Response};

/// Where the site build puts Redoc's standalone bundle, under the built assets (`/pkg`).
pub const VIEWER: &str = "/pkg/redoc.standalone.js";

/// The page's Content-Security-Policy (the header layer adds `frame-ancestors 'none'`).
const POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
     img-src 'self' data:; font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; \
     object-src 'none'; base-uri 'none'; form-action 'none'";

/// The reference page: `/api-docs.js` (in `public/`) starts Redoc on the `<main>` element with
/// the document's address and Patron's colours; `/api-docs.css` fixes what the theme cannot.
fn page() -> String {
    format!(
        r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Patron API reference</title>
<link rel="icon" href="/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/api-docs.css">
</head>
<body>
<main id="reference" data-spec="/api/v1/openapi.json"></main>
<script src="{VIEWER}"></script>
<script src="/api-docs.js"></script>
</body>
</html>
"#
    )
}

/// Serves the reference page.
pub async fn reference() -> Response {
    (
        [
            (CONTENT_SECURITY_POLICY, POLICY),
            // The document changes with each release: always ask again.
            (CACHE_CONTROL, "no-cache"),
        ],
        Html(page()),
    )
        .into_response()
}
