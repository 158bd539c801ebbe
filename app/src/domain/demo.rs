//! The deterministic demo workspace that a new installation opens on.

use crate::types::WorkspaceId;
use crate::types::workspace::WorkspaceSummary;

use super::workspaces::{NewWorkspace, create_workspace_with_id, get_workspace};
use super::{DomainError, Services};

/// The demo workspace's fixed id, so that links into it stay valid across re-seeds.
pub const DEMO_WORKSPACE_ID: &str = "ws_01KAKX6D00DEM0WS0000000000";

/// The demo store's name.
pub const DEMO_WORKSPACE_NAME: &str = "Northwind Games";

/// What seeding did.
#[derive(Debug, Clone)]
pub struct DemoSeed {
    /// The demo workspace.
    pub workspace: WorkspaceSummary,
    /// False when the demo workspace was already there and nothing was written.
    pub created: bool,
}

/// Creates the demo workspace unless it exists. Running it twice changes nothing.
pub async fn seed_demo(svc: &Services) -> Result<DemoSeed, DomainError> {
    let id = WorkspaceId::parse(DEMO_WORKSPACE_ID)
        .map_err(|e| DomainError::invalid("demo workspace id", e.to_string()))?;
    match get_workspace(&svc.db, &id).await {
        Ok(workspace) => Ok(DemoSeed {
            workspace,
            created: false,
        }),
        Err(DomainError::NotFound { .. }) => {
            let workspace = create_workspace_with_id(
                svc,
                id,
                NewWorkspace {
                    name: DEMO_WORKSPACE_NAME.to_owned(),
                    default_currency: "EUR".to_owned(),
                },
            )
            .await?;
            Ok(DemoSeed {
                workspace,
                created: true,
            })
        }
        Err(e) => Err(e),
    }
}
