//! Server functions behind the merchant dashboard. Each needs a live session.

use leptos::prelude::*;

use crate::types::{AppError, Customer, Page, ShellContext};

/// What the dashboard frame shows: the workspace and who is signed in. Without a session it
/// sends the browser to the login page.
#[server(prefix = "/rpc", endpoint = "dashboard/shell")]
pub async fn load_shell() -> Result<ShellContext, AppError> {
    super::ctx::with_status(load_shell_inner().await)
}

#[cfg(feature = "ssr")]
async fn load_shell_inner() -> Result<ShellContext, AppError> {
    use super::ctx;
    use crate::domain::accounts;

    let (svc, user) = match ctx::signed_in().await {
        Ok(found) => found,
        Err(AppError::Unauthenticated) => {
            leptos_axum::redirect("/login");
            return Err(AppError::Unauthenticated);
        }
        Err(e) => return Err(e),
    };
    Ok(accounts::shell_context(&svc, &user).await?)
}

/// The newest customers of the signed-in user's workspace.
#[server(prefix = "/rpc", endpoint = "dashboard/customers")]
pub async fn list_customers(starting_after: Option<String>) -> Result<Page<Customer>, AppError> {
    use super::ctx;
    use crate::domain::customers::{self, CustomerQuery};
    use crate::types::CustomerId;

    let (svc, user) = ctx::signed_in().await?;
    let starting_after = starting_after
        .filter(|s| !s.is_empty())
        .map(|s| {
            CustomerId::parse(&s).map_err(|e| AppError::Invalid {
                field: "after".to_owned(),
                message: e.to_string(),
            })
        })
        .transpose()?;
    let query = CustomerQuery {
        starting_after,
        ..CustomerQuery::default()
    };
    Ok(customers::list_customers(&svc, &user.caller, query).await?)
}
