//! Types shared by the server and the browser: serde only, database derives behind `ssr`.

pub mod access;
pub mod customer;
pub mod error;
pub mod ids;
pub mod page;
pub mod workspace;

pub use access::{Role, Scope};
pub use customer::{Customer, Metadata};
pub use error::AppError;
pub use ids::{ApiKeyId, CustomerId, EventId, SessionId, UserId, WorkspaceId};
pub use page::Page;
pub use workspace::ShellContext;
