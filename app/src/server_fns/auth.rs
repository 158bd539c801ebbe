//! Logging in and out of the dashboard.

use leptos::prelude::*;

use crate::types::AppError;

/// Checks the email and password, sets the session cookie and goes to the dashboard.
#[server(prefix = "/rpc", endpoint = "auth/log_in")]
pub async fn log_in(email: String, password: String) -> Result<(), AppError> {
    super::ctx::with_status(log_in_inner(email, password).await)
}

#[cfg(feature = "ssr")]
async fn log_in_inner(email: String, password: String) -> Result<(), AppError> {
    use super::ctx;
    use crate::domain::{DomainError, accounts};

    ctx::require_same_origin().await?;
    let svc = ctx::services()?;
    let previous = ctx::session_token().await?;
    // A browser that holds a live session of this user is not locked out by strangers'
    // failed guesses from its address.
    let held = previous.as_deref();
    match accounts::log_in_holding(&svc, &email, &password, ctx::device().await, held).await {
        Ok((token, _)) => {
            // A new login never reuses a session: whatever this browser held before ends.
            if let Some(previous) = previous {
                accounts::log_out(&svc, &previous).await?;
            }
            ctx::set_session_cookie(&token).await;
            leptos_axum::redirect("/dashboard/customers");
            Ok(())
        }
        Err(DomainError::Unauthenticated) => Err(AppError::Invalid {
            field: "password".to_owned(),
            message: "wrong email or password".to_owned(),
        }),
        Err(e) => Err(e.into()),
    }
}

/// Ends the session, clears the cookie and goes to the login page.
#[server(prefix = "/rpc", endpoint = "auth/log_out")]
pub async fn log_out() -> Result<(), AppError> {
    super::ctx::with_status(log_out_inner().await)
}

#[cfg(feature = "ssr")]
async fn log_out_inner() -> Result<(), AppError> {
    use super::ctx;
    use crate::domain::accounts;

    ctx::require_same_origin().await?;
    let svc = ctx::services()?;
    if let Some(token) = ctx::session_token().await? {
        accounts::log_out(&svc, &token).await?;
    }
    ctx::clear_session_cookie();
    leptos_axum::redirect("/login");
    Ok(())
}
