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

/// The workspace's settings page: its name and its portal's address and look.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkspaceSettings {
    /// The shop's name, shown in the portal and as the sender of its emails.
    pub name: String,
    /// The portal's address: `/portal/<slug>`.
    pub slug: String,
    /// The portal's logo: an `https://` image address.
    pub portal_logo_url: Option<String>,
    /// The portal's accent colour, `#rrggbb`.
    pub portal_accent_color: Option<String>,
    /// Whether the signed-in user may change them.
    pub can_edit: bool,
}

/// A change of settings: every field is written as given (empty clears the optional ones).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkspaceSettingsUpdate {
    /// 1 to 100 characters.
    pub name: String,
    /// Lower-case letters, digits and dashes, 2 to 48 characters.
    pub slug: String,
    /// An `https://` address, or empty.
    pub portal_logo_url: String,
    /// `#rrggbb`, or empty.
    pub portal_accent_color: String,
}
