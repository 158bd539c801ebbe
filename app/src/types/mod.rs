//! Types shared by the server and the browser: serde only, database derives behind `ssr`.

pub mod error;
pub mod ids;
pub mod workspace;

pub use error::AppError;
pub use ids::WorkspaceId;
pub use workspace::ShellContext;
