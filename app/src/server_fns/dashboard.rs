//! Server functions behind the merchant dashboard. Each needs a live session.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use serde::{Deserialize, Serialize};

use crate::types::customer::{CustomerListItem, CustomerListParams};
use crate::types::{AppError, Page, Product, ShellContext};

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

/// A page of the signed-in user's customers: the list's filters, sort and cursor as they stand
/// in the page's URL.
// JSON, not a form: a list with no filter at all has no form fields to send.
#[server(prefix = "/rpc", endpoint = "dashboard/customers", input = Json)]
pub async fn list_customers(
    params: CustomerListParams,
) -> Result<Page<CustomerListItem>, AppError> {
    super::ctx::with_status(list_customers_inner(params).await)
}

#[cfg(feature = "ssr")]
async fn list_customers_inner(
    params: CustomerListParams,
) -> Result<Page<CustomerListItem>, AppError> {
    use super::ctx;
    use crate::domain::customer_list::{self, CustomerQuery};

    let (svc, user) = ctx::signed_in().await?;
    let query = CustomerQuery::parse(&params)?;
    Ok(customer_list::list_customers(&svc, &user.caller, query).await?)
}

/// How many customers the list's filters and search match, as the line above its rows says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CustomerCount {
    /// Exactly this many.
    Exact(u64),
    /// More than this many (the cap): counting on would read the whole workspace.
    MoreThan(u64),
}

impl CustomerCount {
    /// The most customers the list counts exactly.
    pub const CAP: u64 = 10_000;
}

/// How many customers the list's filters and search match (its sort and cursor aside), exact
/// up to [`CustomerCount::CAP`]. Asked apart from the rows, so a page never waits for it.
#[server(prefix = "/rpc", endpoint = "dashboard/customers/total", input = Json)]
pub async fn count_customers(params: CustomerListParams) -> Result<CustomerCount, AppError> {
    super::ctx::as_caller(|svc, caller| async move {
        use crate::domain::customer_list::{self, CustomerQuery};
        let query = CustomerQuery::parse(&params)?;
        let cap = CustomerCount::CAP;
        let n = customer_list::count_customers(&svc, &caller, &query, cap).await?;
        Ok(if n > cap {
            CustomerCount::MoreThan(cap)
        } else {
            CustomerCount::Exact(n)
        })
    })
    .await
}

/// The workspace's products, for the list's "product purchased" filter.
#[server(prefix = "/rpc", endpoint = "dashboard/products")]
pub async fn list_products() -> Result<Vec<Product>, AppError> {
    super::ctx::with_status(list_products_inner().await)
}

#[cfg(feature = "ssr")]
async fn list_products_inner() -> Result<Vec<Product>, AppError> {
    let (svc, user) = super::ctx::signed_in().await?;
    Ok(crate::domain::products::list_products(&svc, &user.caller).await?)
}

/// The workspace's settings page.
#[server(prefix = "/rpc", endpoint = "dashboard/settings")]
pub async fn load_settings() -> Result<crate::types::workspace::WorkspaceSettings, AppError> {
    super::ctx::as_caller(|svc, caller| async move {
        Ok(crate::domain::workspaces::settings(&svc, &caller).await?)
    })
    .await
}

/// Settings → System, for an owner: `None` for anyone else.
#[server(prefix = "/rpc", endpoint = "dashboard/settings/system")]
pub async fn load_system_status() -> Result<Option<crate::types::system::SystemStatus>, AppError> {
    super::ctx::as_caller(|svc, caller| async move {
        Ok(crate::domain::system::status(&svc, &caller).await?)
    })
    .await
}

/// Saves the workspace's name and its portal's address and look.
#[server(prefix = "/rpc", endpoint = "dashboard/settings/save", input = Json)]
pub async fn save_settings(
    settings: crate::types::workspace::WorkspaceSettingsUpdate,
) -> Result<crate::types::workspace::WorkspaceSettings, AppError> {
    super::ctx::as_caller(|svc, caller| async move {
        Ok(crate::domain::workspaces::update_settings(&svc, &caller, settings).await?)
    })
    .await
}
