//! `ApiError`: the REST error envelope `{"error":{"type","code","message","param","request_id"}}`.
//!
//! Codes are API: once published, never renamed.

use app::domain::DomainError;
pub use app::types::ErrorType;
use app::types::{AppError, ErrorCode};
use axum::Json;
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::web::request_id;

/// The body of every REST error.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ErrorEnvelope {
    /// What went wrong.
    pub error: ErrorBody,
}

/// What went wrong, for people (`message`) and programs (`type`, `code`, `param`).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ErrorBody {
    /// The broad class.
    #[serde(rename = "type")]
    pub kind: ErrorType,
    /// Stable machine-readable code, such as `parameter_invalid` or `external_id_taken`.
    pub code: ErrorCode,
    /// A sentence for the developer reading the log.
    pub message: String,
    /// The request field at fault, when one is.
    pub param: Option<String>,
    /// Quote it to support: it finds this request in the server's log.
    pub request_id: Option<String>,
    /// With `customer_banned`: the ban that refused the purchase.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ban_id: Option<String>,
}

/// A REST error, ready to be sent.
#[derive(Debug, Clone)]
pub struct ApiError {
    code: ErrorCode,
    message: String,
    param: Option<String>,
    ban_id: Option<String>,
    /// With `rate_limited`: seconds until a retry may pass (the `Retry-After` header).
    retry_after: Option<u64>,
}

impl ApiError {
    /// An error with its code and message; the status and type come from the code.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            param: None,
            ban_id: None,
            retry_after: None,
        }
    }

    /// The same error under another code (and so its status and type).
    pub fn with_code(mut self, code: ErrorCode) -> Self {
        self.code = code;
        self
    }

    /// Names the offending request field.
    pub fn with_param(mut self, param: impl Into<String>) -> Self {
        self.param = Some(param.into());
        self
    }

    /// No route matches the method and path.
    pub fn route_not_found(method: &Method, path: &str) -> Self {
        Self::new(
            ErrorCode::RouteNotFound,
            format!("No API route matches {method} {path}."),
        )
    }

    /// The route exists, with other methods (`allow` lists them).
    pub fn method_not_allowed(method: &Method, path: &str, allow: &str) -> Self {
        Self::new(
            ErrorCode::MethodNotAllowed,
            format!("{path} does not take {method}; it takes {allow}."),
        )
    }

    /// The request carries no API key.
    pub fn missing_api_key() -> Self {
        Self::new(
            ErrorCode::ApiKeyMissing,
            "Send your API key as `Authorization: Bearer <key>`.",
        )
    }

    /// The key is unknown or revoked.
    pub fn invalid_api_key() -> Self {
        Self::new(
            ErrorCode::ApiKeyInvalid,
            "The API key is unknown or has been revoked.",
        )
    }

    /// The body cannot be read as the expected JSON.
    pub fn body_invalid(message: &str, param: Option<String>) -> Self {
        let mut e = Self::new(
            ErrorCode::ParameterInvalid,
            format!("The request body is invalid: {message}"),
        );
        e.param = param;
        e
    }

    /// The query string cannot be read (a repeated parameter, say).
    pub fn query_invalid(message: &str) -> Self {
        Self::new(
            ErrorCode::ParameterInvalid,
            format!("The query string is invalid: {message}"),
        )
    }

    /// A header is malformed.
    pub fn header_invalid(header: &str, message: &str) -> Self {
        Self::new(ErrorCode::HeaderInvalid, format!("{header}: {message}")).with_param(header)
    }

    /// The HTTP status, from the code.
    pub fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.code.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    /// The stable code.
    pub fn code(&self) -> ErrorCode {
        self.code
    }
}

impl From<DomainError> for ApiError {
    fn from(e: DomainError) -> Self {
        AppError::from(e).into()
    }
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        let code = e.code();
        // The REST wording for the developer reading the answer; the code, and with it the
        // status and type, is the same in every door.
        let message = match &e {
            AppError::NotFound { what } => format!("No such {what}."),
            AppError::Forbidden { scope } => {
                format!("This needs the {scope} scope, which the API key lacks.")
            }
            AppError::Banned { ban_id } => {
                format!("The purchase matches ban {ban_id}: this customer may not buy.")
            }
            AppError::Internal | AppError::Transport { .. } => {
                "Something went wrong on our side; quote the request id to support.".to_owned()
            }
            other => other.to_string(),
        };
        let mut out = Self::new(code, message);
        match e {
            AppError::Invalid { field, .. } | AppError::Unprocessable { field, .. } => {
                out.param = Some(field)
            }
            AppError::PaymentRefused { .. } => out.param = Some("payment_method".to_owned()),
            AppError::Banned { ban_id } => out.ban_id = Some(ban_id.to_string()),
            AppError::RateLimited {
                retry_after_seconds,
            } => out.retry_after = Some(retry_after_seconds),
            _ => {}
        }
        out
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let body = ErrorEnvelope {
            error: ErrorBody {
                kind: self.code.kind(),
                code: self.code,
                message: self.message,
                param: self.param,
                request_id: request_id::current(),
                ban_id: self.ban_id,
            },
        };
        let mut res = (status, Json(body)).into_response();
        if let Some(seconds) = self.retry_after {
            res.headers_mut()
                .insert(axum::http::header::RETRY_AFTER, seconds.into());
        }
        res
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_input_names_the_field_and_is_a_400() {
        let e = ApiError::from(AppError::Invalid {
            field: "email".into(),
            message: "is not an email address".into(),
        });
        assert_eq!(e.status(), StatusCode::BAD_REQUEST);
        assert_eq!(e.code(), ErrorCode::ParameterInvalid);
        assert_eq!(e.param.as_deref(), Some("email"));
    }

    #[test]
    fn internal_errors_never_carry_details() {
        let e = ApiError::from(AppError::Transport {
            message: "secret detail".into(),
        });
        assert_eq!(e.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(!e.message.contains("secret"));
    }

    #[test]
    fn idempotency_misuse_has_its_own_statuses() {
        let reused = ApiError::from(AppError::Conflict {
            code: ErrorCode::IdempotencyKeyReused,
            message: "x".into(),
        });
        assert_eq!(reused.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let in_flight = ApiError::from(AppError::Conflict {
            code: ErrorCode::IdempotencyKeyInFlight,
            message: "x".into(),
        });
        assert_eq!(in_flight.status(), StatusCode::CONFLICT);
    }
}
