//! Server functions behind the merchant dashboard.

use leptos::prelude::*;

use crate::types::{AppError, ShellContext};

/// What the dashboard frame shows: the current workspace.
#[server(prefix = "/rpc", endpoint = "dashboard/shell")]
pub async fn load_shell() -> Result<ShellContext, AppError> {
    use crate::domain::workspaces;

    let svc = super::ctx::services()?;
    let workspace = workspaces::first_workspace(&svc.db).await?;
    Ok(ShellContext { workspace })
}
