//! `ApiError`: the REST error envelope `{"error":{"type","code","message","param","request_id"}}`.
//!
//! Codes are API: once published, never renamed.

use app::types::AppError;
use axum::Json;
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::request_id;

/// The broad class of an error, as in the envelope's `type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorType {
    /// The request is wrong: fix it before retrying.
    InvalidRequestError,
    /// No or bad credentials.
    AuthenticationError,
    /// The credentials may not do this.
    PermissionError,
    /// The `Idempotency-Key` was misused.
    IdempotencyError,
    /// Patron failed; retrying may help.
    ApiError,
}

/// A REST error, ready to be sent.
#[derive(Debug, Clone)]
pub struct ApiError {
    status: StatusCode,
    kind: ErrorType,
    code: &'static str,
    message: String,
    param: Option<String>,
}

#[derive(Serialize)]
struct Envelope<'a> {
    error: Body<'a>,
}

#[derive(Serialize)]
struct Body<'a> {
    #[serde(rename = "type")]
    kind: ErrorType,
    code: &'a str,
    message: &'a str,
    param: Option<&'a str>,
    request_id: Option<String>,
}

impl ApiError {
    /// An error with every part given.
    pub fn new(
        status: StatusCode,
        kind: ErrorType,
        code: &'static str,
        message: impl Into<String>,
    ) -> Self {
        Self {
            status,
            kind,
            code,
            message: message.into(),
            param: None,
        }
    }

    /// Names the offending request field.
    pub fn with_param(mut self, param: impl Into<String>) -> Self {
        self.param = Some(param.into());
        self
    }

    /// No route matches the method and path.
    pub fn route_not_found(method: &Method, path: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            ErrorType::InvalidRequestError,
            "route_not_found",
            format!("No API route matches {method} {path}."),
        )
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The stable code.
    pub fn code(&self) -> &'static str {
        self.code
    }
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        use ErrorType::*;
        let message = e.to_string();
        match e {
            AppError::NotFound { .. } => Self::new(
                StatusCode::NOT_FOUND,
                InvalidRequestError,
                "resource_missing",
                message,
            ),
            AppError::Unauthenticated => Self::new(
                StatusCode::UNAUTHORIZED,
                AuthenticationError,
                "unauthenticated",
                message,
            ),
            AppError::Forbidden => {
                Self::new(StatusCode::FORBIDDEN, PermissionError, "forbidden", message)
            }
            AppError::Invalid { field, message } => Self::new(
                StatusCode::BAD_REQUEST,
                InvalidRequestError,
                "parameter_invalid",
                format!("{field}: {message}"),
            )
            .with_param(field),
            AppError::Conflict { .. } => Self::new(
                StatusCode::CONFLICT,
                InvalidRequestError,
                "conflict",
                message,
            ),
            AppError::Unavailable => Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                ApiError,
                "service_unavailable",
                message,
            ),
            AppError::Internal | AppError::Transport { .. } => Self::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                ApiError,
                "internal_error",
                "Something went wrong on our side; quote the request id to support.",
            ),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = Envelope {
            error: Body {
                kind: self.kind,
                code: self.code,
                message: &self.message,
                param: self.param.as_deref(),
                request_id: request_id::current(),
            },
        };
        (self.status, Json(body)).into_response()
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
        assert_eq!(e.code(), "parameter_invalid");
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
}
