//! `AppError`: the one error that crosses the wire between server functions and the browser.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

/// An error a user can act on, with a stable machine-readable code.
///
/// Internal details never travel in it: the server logs them and sends `Internal`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AppError {
    /// The object does not exist in the caller's workspace.
    #[error("{what} not found")]
    NotFound { what: String },
    /// The request carries no valid session.
    #[error("please sign in")]
    Unauthenticated,
    /// The caller's role or key does not allow this action.
    #[error("this needs the {scope} permission, which your role or key lacks")]
    Forbidden { scope: String },
    /// One field of the input is invalid.
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    /// The change conflicts with the current state (duplicate, stale version...).
    #[error("{message}")]
    Conflict { code: String, message: String },
    /// The payment was refused (declined, or a blocked card, account, email or IP).
    #[error("{message}")]
    PaymentRefused { code: String, message: String },
    /// The customer is banned: an active ban matches the purchase.
    #[error("this customer is banned ({ban_id}) and may not buy")]
    Banned { ban_id: String },
    /// A dependency (the database) cannot be reached right now.
    #[error("the service is unavailable, please retry")]
    Unavailable,
    /// Something went wrong on the server; details are in its log under `request_id`.
    #[error("something went wrong on our side")]
    Internal,
    /// The request did not reach the server function, or its answer could not be read.
    #[error("could not reach the server: {message}")]
    Transport { message: String },
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        AppError::Transport {
            message: value.to_string(),
        }
    }
}
