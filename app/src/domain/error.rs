//! `DomainError`: what a domain operation can fail with, and its one conversion to `AppError`.

use sea_orm::DbErr;

use crate::types::{AppError, ErrorCode, Scope};

/// A domain failure. Database and internal errors keep their detail for the log only.
#[derive(Debug, thiserror::Error)]
pub enum DomainError {
    /// The object does not exist in this workspace (or at all: the caller cannot tell).
    #[error("{what} not found")]
    NotFound {
        /// What was looked for, such as "customer".
        what: &'static str,
    },
    /// No valid credentials.
    #[error("authentication required")]
    Unauthenticated,
    /// The caller lacks a permission.
    #[error("missing permission {scope}")]
    Forbidden {
        /// The scope (or the role granting it) that is needed.
        scope: Scope,
    },
    /// One field of the input is invalid.
    #[error("{field}: {message}")]
    Invalid {
        /// The field, as named in the API (`email`, `metadata[plan]`).
        field: String,
        /// What is wrong and what is expected.
        message: String,
    },
    /// The input has the published form, but breaks a rule the form cannot state: a time
    /// that must lie ahead, fields that exclude or need each other, a file's content.
    #[error("{field}: {message}")]
    Unprocessable {
        /// The field, as named in the API.
        field: String,
        /// What is wrong and what is expected.
        message: String,
    },
    /// The change conflicts with the current state.
    #[error("{message}")]
    Conflict {
        /// Stable code, such as `external_id_taken` or `version_conflict`.
        code: ErrorCode,
        /// What conflicts, for the user.
        message: String,
    },
    /// The payment was refused: declined by the provider, or a blocked detail.
    #[error("{message}")]
    PaymentRefused {
        /// Stable code, such as `card_declined` or `payment_detail_blocked`.
        code: ErrorCode,
        /// Why, for the user.
        message: String,
    },
    /// The purchase matches an active ban.
    #[error("the purchase matches ban {ban_id}")]
    Banned {
        /// The ban that refuses it.
        ban_id: crate::types::BanId,
    },
    /// Too many attempts under one key of a rate limit.
    #[error("rate limited for {retry_after}")]
    RateLimited {
        /// How long until the next attempt may pass.
        retry_after: chrono::Duration,
    },
    /// An invariant broke inside Patron.
    #[error("internal error: {0}")]
    Internal(String),
    /// The database failed.
    #[error("database error: {0}")]
    Db(#[from] DbErr),
}

impl DomainError {
    /// An invalid-field error.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        DomainError::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }

    /// Input of the published form that breaks a rule the form cannot state (see
    /// [`DomainError::Unprocessable`]).
    pub fn unprocessable(field: impl Into<String>, message: impl Into<String>) -> Self {
        DomainError::Unprocessable {
            field: field.into(),
            message: message.into(),
        }
    }

    /// The same error with its field named inside `parent` (`email` becomes `customer.email`).
    pub fn within(self, parent: &str) -> Self {
        match self {
            DomainError::Invalid { field, message } => DomainError::Invalid {
                field: format!("{parent}.{field}"),
                message,
            },
            other => other,
        }
    }

    /// An internal error, logged by the conversion to `AppError`.
    pub fn internal(detail: impl Into<String>) -> Self {
        DomainError::Internal(detail.into())
    }
}

impl From<DomainError> for AppError {
    fn from(e: DomainError) -> Self {
        match e {
            DomainError::NotFound { what } => AppError::NotFound {
                what: what.to_owned(),
            },
            DomainError::Unauthenticated => AppError::Unauthenticated,
            DomainError::Forbidden { scope } => AppError::Forbidden { scope },
            DomainError::Invalid { field, message } => AppError::Invalid { field, message },
            DomainError::Unprocessable { field, message } => {
                AppError::Unprocessable { field, message }
            }
            DomainError::Conflict { code, message } => AppError::Conflict { code, message },
            DomainError::PaymentRefused { code, message } => {
                AppError::PaymentRefused { code, message }
            }
            DomainError::Banned { ban_id } => AppError::Banned { ban_id },
            DomainError::RateLimited { retry_after } => AppError::RateLimited {
                // Rounded up: a retry at the announced second passes.
                retry_after_seconds: u64::try_from(retry_after.num_milliseconds().max(1))
                    .unwrap_or(1)
                    .div_ceil(1000),
            },
            DomainError::Internal(detail) => {
                tracing::error!(%detail, "internal error");
                AppError::Internal
            }
            DomainError::Db(err) => {
                tracing::error!(error = %err, "database error");
                match err {
                    DbErr::Conn(_) | DbErr::ConnectionAcquire(_) => AppError::Unavailable,
                    _ => AppError::Internal,
                }
            }
        }
    }
}
