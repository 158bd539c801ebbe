//! Dashboard users of a test workspace.

use app::domain::accounts::{self, NewUser};
use app::domain::{Actor, Caller, Services};
use app::types::{Role, UserId, WorkspaceId};

/// A member of `workspace` with `role`, signing in with `password`: their id and the caller
/// they act as.
pub async fn member(
    svc: &Services,
    workspace: &WorkspaceId,
    email: &str,
    role: Role,
    password: &str,
) -> (UserId, Caller) {
    let id = accounts::create_user(
        svc,
        NewUser {
            workspace_id: workspace.clone(),
            email: email.into(),
            role,
            password: password.into(),
        },
    )
    .await
    .unwrap();
    let caller = Caller {
        actor: Actor::User {
            id: id.clone(),
            role,
        },
        ..Caller::system(workspace.clone())
    };
    (id, caller)
}
