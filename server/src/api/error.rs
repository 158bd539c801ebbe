//! `ApiError`: the REST error envelope `{"error":{"type","code","message","param","request_id"}}`.
//!
//! Codes are API: once published, never renamed.

use app::domain::DomainError;
use app::types::AppError;
use axum::Json;
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::request_id;

/// The broad class of an error, as in the envelope's `type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorType {
    /// The request is wrong: fix it before retrying.
    InvalidRequestError,
    /// No or bad credentials.
    AuthenticationError,
    /// The credentials may not do this.
    PermissionError,
    /// The payment was refused: declined, or a blocked detail.
    PaymentError,
    /// The `Idempotency-Key` was misused.
    IdempotencyError,
    /// Patron failed; retrying may help.
    ApiError,
}

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
    pub code: String,
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
    status: StatusCode,
    kind: ErrorType,
    code: String,
    message: String,
    param: Option<String>,
    ban_id: Option<String>,
}

impl ApiError {
    /// An error with every part given.
    pub fn new(
        status: StatusCode,
        kind: ErrorType,
        code: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            status,
            kind,
            code: code.into(),
            message: message.into(),
            param: None,
            ban_id: None,
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

    /// The request carries no API key.
    pub fn missing_api_key() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            ErrorType::AuthenticationError,
            "api_key_missing",
            "Send your API key as `Authorization: Bearer <key>`.",
        )
    }

    /// The key is unknown or revoked.
    pub fn invalid_api_key() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            ErrorType::AuthenticationError,
            "api_key_invalid",
            "The API key is unknown or has been revoked.",
        )
    }

    /// The body cannot be read as the expected JSON.
    pub fn body_invalid(message: &str, param: Option<String>) -> Self {
        let mut e = Self::new(
            StatusCode::BAD_REQUEST,
            ErrorType::InvalidRequestError,
            "parameter_invalid",
            format!("The request body is invalid: {message}"),
        );
        e.param = param;
        e
    }

    /// The query string cannot be read (a repeated parameter, say).
    pub fn query_invalid(message: &str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            ErrorType::InvalidRequestError,
            "parameter_invalid",
            format!("The query string is invalid: {message}"),
        )
    }

    /// A header is malformed.
    pub fn header_invalid(header: &str, message: &str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            ErrorType::InvalidRequestError,
            "header_invalid",
            format!("{header}: {message}"),
        )
        .with_param(header)
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The stable code.
    pub fn code(&self) -> &str {
        &self.code
    }
}

impl From<DomainError> for ApiError {
    fn from(e: DomainError) -> Self {
        AppError::from(e).into()
    }
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        use ErrorType::*;
        let message = e.to_string();
        match e {
            AppError::NotFound { what } => Self::new(
                StatusCode::NOT_FOUND,
                InvalidRequestError,
                "resource_missing",
                format!("No such {what}."),
            ),
            AppError::Unauthenticated => Self::invalid_api_key(),
            AppError::Forbidden { scope } => Self::new(
                StatusCode::FORBIDDEN,
                PermissionError,
                "insufficient_scope",
                format!("This needs the {scope} scope, which the API key lacks."),
            ),
            AppError::Invalid { field, message } => Self::new(
                StatusCode::BAD_REQUEST,
                InvalidRequestError,
                "parameter_invalid",
                format!("{field}: {message}"),
            )
            .with_param(field),
            AppError::Conflict { code, message } => match code.as_str() {
                "idempotency_key_reused" => Self::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    IdempotencyError,
                    code,
                    message,
                ),
                "idempotency_key_in_flight" => {
                    Self::new(StatusCode::CONFLICT, IdempotencyError, code, message)
                }
                _ => Self::new(StatusCode::CONFLICT, InvalidRequestError, code, message),
            },
            AppError::PaymentRefused { code, message } => {
                Self::new(StatusCode::PAYMENT_REQUIRED, PaymentError, code, message)
                    .with_param("payment_method")
            }
            AppError::Banned { ban_id } => {
                let mut e = Self::new(
                    StatusCode::FORBIDDEN,
                    PermissionError,
                    "customer_banned",
                    format!("The purchase matches ban {ban_id}: this customer may not buy."),
                );
                e.ban_id = Some(ban_id);
                e
            }
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
        let body = ErrorEnvelope {
            error: ErrorBody {
                kind: self.kind,
                code: self.code,
                message: self.message,
                param: self.param,
                request_id: request_id::current(),
                ban_id: self.ban_id,
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

    #[test]
    fn idempotency_misuse_has_its_own_statuses() {
        let reused = ApiError::from(AppError::Conflict {
            code: "idempotency_key_reused".into(),
            message: "x".into(),
        });
        assert_eq!(reused.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let in_flight = ApiError::from(AppError::Conflict {
            code: "idempotency_key_in_flight".into(),
            message: "x".into(),
        });
        assert_eq!(in_flight.status(), StatusCode::CONFLICT);
    }
}
