//! The team as the dashboard's Settings show it: members, invitations, API keys, the signed-in
//! user's sessions, and the workspaces they can switch between.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{ApiKeyId, InvitationId, Role, SessionId, UserId, WorkspaceId};

/// A member of the workspace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    /// The user.
    pub user_id: UserId,
    /// Their login email.
    pub email: String,
    /// Their role here.
    pub role: Role,
    /// When they joined.
    pub joined_at: DateTime<Utc>,
    /// Whether this is the signed-in user.
    pub is_you: bool,
}

/// An invitation not yet accepted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invitation {
    /// Its id.
    pub id: InvitationId,
    /// Who is invited.
    pub email: String,
    /// The role they will have.
    pub role: Role,
    /// The email of who sent it, if they are still a user.
    pub invited_by: Option<String>,
    /// When it was sent.
    pub created_at: DateTime<Utc>,
    /// When its link stops working.
    pub expires_at: DateTime<Utc>,
}

/// The Team section: members, pending invitations, and whether the viewer may change them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Team {
    /// Everyone in the workspace, owners first.
    pub members: Vec<Member>,
    /// Invitations still open (owners see them; empty for others).
    pub invitations: Vec<Invitation>,
    /// Whether the signed-in user is an owner (invites, roles, removals).
    pub can_manage: bool,
}

/// An API key as listed (never its secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKeySummary {
    /// Its id.
    pub id: ApiKeyId,
    /// Its name.
    pub name: String,
    /// The secret's first characters, to recognise it (`pat_sk_ab12cd`).
    pub prefix: String,
    /// What it may do.
    pub scopes: Vec<String>,
    /// The email of the member who created it (none: the command line).
    pub created_by: Option<String>,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When it last authenticated a request (to the minute).
    pub last_used_at: Option<DateTime<Utc>>,
}

/// A key just created: its summary and its secret, shown this once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKeyCreated {
    /// The key.
    pub key: ApiKeySummary,
    /// `pat_sk_…`: never shown again.
    pub secret: String,
}

/// One of the signed-in user's dashboard sessions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionSummary {
    /// Its id.
    pub id: SessionId,
    /// The browser and system, from its User-Agent ("Firefox on Linux").
    pub device: String,
    /// The address it signed in from.
    pub ip: Option<String>,
    /// When it signed in.
    pub created_at: DateTime<Utc>,
    /// When it was last used (to the minute).
    pub last_seen_at: DateTime<Utc>,
    /// Whether it is the session making this request.
    pub current: bool,
}

/// A workspace the signed-in user belongs to, for the top bar's switcher.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkspaceChoice {
    /// The workspace.
    pub id: WorkspaceId,
    /// Its name.
    pub name: String,
    /// The user's role there.
    pub role: Role,
}

/// What an invitation link opens, shown before it is accepted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitationPreview {
    /// The workspace's name.
    pub workspace_name: String,
    /// Who is invited.
    pub email: String,
    /// The role they will have.
    pub role: Role,
    /// Whether a user with this email exists (they confirm with their password), or one is
    /// made (they choose a password).
    pub has_account: bool,
}
