//! Reads what the server provided to a server function: the domain services.

use leptos::prelude::use_context;

use crate::domain::Services;
use crate::types::AppError;

/// The services the server registered for this request.
pub fn services() -> Result<Services, AppError> {
    use_context::<Services>().ok_or_else(|| {
        tracing::error!("server function called without Services in context");
        AppError::Internal
    })
}
