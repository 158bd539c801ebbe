//! Gives every request an id: in the `x-request-id` header, in the log span and in every REST
//! error body, so a merchant's support ticket leads straight to the log lines. A proxy or a
//! client that sends its own `X-Request-Id` (up to 128 letters, digits, `-`, `_`, `.`, `:`) has
//! it kept, so one id follows a request through every service; otherwise Patron mints
//! `req_` + ULID.

use axum::extract::Request;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;

/// Name of the response header carrying the id.
pub const HEADER: &str = "x-request-id";

tokio::task_local! {
    static REQUEST_ID: String;
}

/// The current request's id, when called while handling a request.
pub fn current() -> Option<String> {
    REQUEST_ID.try_with(Clone::clone).ok()
}

/// The longest `X-Request-Id` taken from a request.
const MAX_LEN: usize = 128;

/// The caller's id when it is one Patron can echo safely in a header and a log line.
fn taken(request: &Request) -> Option<String> {
    let value = request.headers().get(HEADER)?.to_str().ok()?.trim();
    let sane = !value.is_empty()
        && value.len() <= MAX_LEN
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'));
    sane.then(|| value.to_owned())
}

/// Middleware: takes or mints the id, runs the rest of the stack with it, and sets the header.
pub async fn assign(mut request: Request, next: Next) -> Response {
    let id = taken(&request).unwrap_or_else(|| format!("req_{}", ulid::Ulid::new()));
    request.extensions_mut().insert(RequestId(id.clone()));
    let mut response = REQUEST_ID.scope(id.clone(), next.run(request)).await;
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(HEADER, value);
    }
    response
}

/// The id as a request extension, for the trace span.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);
