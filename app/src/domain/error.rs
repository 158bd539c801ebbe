//! `DomainError`: what a domain operation can fail with, and its one conversion to `AppError`.

use sea_orm::DbErr;

use crate::types::AppError;

/// A domain failure. Database errors keep their detail for the log; users see `AppError`.
#[derive(Debug, thiserror::Error)]
pub enum DomainError {
    /// The object does not exist in this workspace (or at all: the caller cannot tell).
    #[error("{what} not found")]
    NotFound {
        /// What was looked for, such as "customer".
        what: &'static str,
    },
    /// One field of the input is invalid.
    #[error("{field}: {message}")]
    Invalid {
        /// The field, as named in the API (`default_currency`, `metadata.plan`).
        field: String,
        /// What is wrong and what is expected.
        message: String,
    },
    /// The change conflicts with the current state.
    #[error("{message}")]
    Conflict {
        /// What conflicts, for the user.
        message: String,
    },
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
}

impl From<DomainError> for AppError {
    fn from(e: DomainError) -> Self {
        match e {
            DomainError::NotFound { what } => AppError::NotFound {
                what: what.to_owned(),
            },
            DomainError::Invalid { field, message } => AppError::Invalid { field, message },
            DomainError::Conflict { message } => AppError::Conflict { message },
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
