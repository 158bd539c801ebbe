//! Gives every request an id (`req_` + ULID): in the `x-request-id` header, in the log span and
//! in every REST error body, so a merchant's support ticket leads straight to the log lines.

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

/// Middleware: mints the id, runs the rest of the stack with it, and sets the header.
pub async fn assign(mut request: Request, next: Next) -> Response {
    let id = format!("req_{}", ulid::Ulid::new());
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
