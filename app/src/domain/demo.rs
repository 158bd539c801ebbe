//! The deterministic demo workspace that a new installation opens on: a store, a login, and
//! customers to look at.

use crate::types::customer::{CustomerCreate, Metadata};
use crate::types::workspace::WorkspaceSummary;
use crate::types::{Role, WorkspaceId};

use super::accounts::{NewUser, create_user};
use super::actor::Caller;
use super::customers::create_customer;
use super::workspaces::{NewWorkspace, create_workspace_with_id, get_workspace};
use super::{DomainError, Services};

/// The demo workspace's fixed id, so that links into it stay valid across re-seeds.
pub const DEMO_WORKSPACE_ID: &str = "ws_01KAKX6D00DEM0WS0000000000";
/// The demo store's name.
pub const DEMO_WORKSPACE_NAME: &str = "Northwind Games";
/// The demo login.
pub const DEMO_EMAIL: &str = "demo@northwind.example";
/// The demo password.
pub const DEMO_PASSWORD: &str = "northwind-demo";

/// What seeding did.
#[derive(Debug, Clone)]
pub struct DemoSeed {
    /// The demo workspace.
    pub workspace: WorkspaceSummary,
    /// False when the demo workspace was already there and nothing was written.
    pub created: bool,
}

const FIRST: [&str; 12] = [
    "Ada", "Björn", "Chloé", "Dmitri", "Emeka", "Fatima", "Giulia", "Hiro", "Ines", "Jonas",
    "Kaito", "Lena",
];
const LAST: [&str; 8] = [
    "Lovelace",
    "Andersson",
    "Martin",
    "Volkov",
    "Okafor",
    "Haddad",
    "Rossi",
    "Tanaka",
];
const COUNTRIES: [&str; 8] = ["GB", "SE", "FR", "DE", "NG", "MA", "IT", "JP"];
const PLANS: [&str; 3] = ["starter", "pro", "guild"];

/// The demo customers: the same every time.
fn demo_customers() -> Vec<CustomerCreate> {
    (0..48)
        .map(|i| {
            let first = FIRST[i % FIRST.len()];
            let last = LAST[(i * 5 + i / 12) % LAST.len()];
            let mut metadata = Metadata::new();
            metadata.insert("plan".into(), PLANS[i % PLANS.len()].into());
            if i % 4 == 0 {
                metadata.insert(
                    "discord".into(),
                    format!("{}#{:04}", first.to_lowercase(), 1000 + i * 37),
                );
            }
            CustomerCreate {
                // Every fifth customer came through a guest checkout and left no name.
                name: (i % 5 != 4).then(|| format!("{first} {last}")),
                email: (i % 7 != 6).then(|| {
                    format!(
                        "{}.{}{}@example.com",
                        first.to_lowercase(),
                        last.to_lowercase(),
                        i
                    )
                }),
                external_id: (i % 3 != 2)
                    .then(|| format!("{}", 76_561_198_000_000_000u64 + i as u64 * 7_919)),
                country: Some(COUNTRIES[i % COUNTRIES.len()].into()),
                username: (i % 2 == 0).then(|| format!("{}{}", first.to_lowercase(), i)),
                metadata: Some(metadata),
                ..Default::default()
            }
        })
        .collect()
}

/// Creates the demo workspace, its login and its customers unless the workspace exists.
/// Running it twice changes nothing.
pub async fn seed_demo(svc: &Services) -> Result<DemoSeed, DomainError> {
    let id = WorkspaceId::parse(DEMO_WORKSPACE_ID)
        .map_err(|e| DomainError::internal(format!("demo workspace id: {e}")))?;
    match get_workspace(&svc.db, &id).await {
        Ok(workspace) => {
            return Ok(DemoSeed {
                workspace,
                created: false,
            });
        }
        Err(DomainError::NotFound { .. }) => {}
        Err(e) => return Err(e),
    }
    let workspace = create_workspace_with_id(
        svc,
        id.clone(),
        NewWorkspace {
            name: DEMO_WORKSPACE_NAME.to_owned(),
            default_currency: "EUR".to_owned(),
        },
    )
    .await?;
    create_user(
        svc,
        NewUser {
            workspace_id: id.clone(),
            email: DEMO_EMAIL.to_owned(),
            role: Role::Owner,
            password: DEMO_PASSWORD.to_owned(),
        },
    )
    .await?;
    let system = Caller::system(id);
    for customer in demo_customers() {
        create_customer(svc, &system, customer).await?;
    }
    Ok(DemoSeed {
        workspace,
        created: true,
    })
}
