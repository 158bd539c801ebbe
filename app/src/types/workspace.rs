//! What the dashboard shell needs to know about the current workspace.

use serde::{Deserialize, Serialize};

use super::{Role, WorkspaceId};

/// The workspace shown in the dashboard's top bar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkspaceSummary {
    /// Stable id.
    pub id: WorkspaceId,
    /// Display name of the store.
    pub name: String,
    /// The portal's address: `/portal/<slug>`.
    pub slug: String,
    /// ISO 4217 code that lifetime values are converted to.
    pub default_currency: String,
}

/// Everything the dashboard frame renders before any page loads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShellContext {
    /// The workspace being worked in.
    pub workspace: Option<WorkspaceSummary>,
    /// Who is signed in.
    pub user_email: Option<String>,
    /// Their role in the workspace: the UI hides what it does not allow.
    pub role: Option<Role>,
}
