//! Finding a workspace's own rows: every entity that belongs to one workspace says what a
//! person calls it, and [`in_workspace`] finds a row by id only inside the caller's workspace,
//! answering "not found" (never "forbidden") for another workspace's row, so that ids cannot
//! be probed across tenants.

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PrimaryKeyTrait, QueryFilter};

use super::DomainError;
use super::actor::Caller;
use crate::db::entities;

/// An entity whose rows belong to one workspace.
pub(crate) trait Owned: EntityTrait {
    /// What a "not found" answer calls it: "webhook endpoint".
    const WHAT: &'static str;
    /// Its `workspace_id` column.
    fn workspace_column() -> Self::Column;
}

macro_rules! owned {
    ($($module:ident => $what:literal),+ $(,)?) => {
        $(
            impl Owned for entities::$module::Entity {
                const WHAT: &'static str = $what;
                fn workspace_column() -> entities::$module::Column {
                    entities::$module::Column::WorkspaceId
                }
            }
        )+
    };
}

owned!(
    api_key => "API key",
    ban => "ban",
    bulk_action => "bulk action",
    entitlement_command => "command",
    customer => "customer",
    customer_import => "customer import",
    customer_merge => "merge",
    dispute => "dispute",
    entitlement => "entitlement",
    order => "order",
    payment_detail => "payment detail",
    product => "product",
    segment => "segment",
    subscription => "subscription",
    webhook_delivery => "webhook delivery",
    webhook_endpoint => "webhook endpoint",
);

/// The row `id` of `E` in `workspace`, or [`DomainError::NotFound`] naming what it is.
pub(crate) async fn in_workspace<E, C, W, I>(
    conn: &C,
    workspace: W,
    id: I,
) -> Result<E::Model, DomainError>
where
    E: Owned,
    C: ConnectionTrait,
    W: Into<sea_orm::Value>,
    I: Into<<E::PrimaryKey as PrimaryKeyTrait>::ValueType>,
{
    E::find_by_id(id)
        .filter(E::workspace_column().eq(workspace))
        .one(conn)
        .await?
        .ok_or(DomainError::NotFound { what: E::WHAT })
}

/// The row `id` of `E` in the caller's workspace: [`in_workspace`] for the caller.
pub(crate) async fn own<E, C, I>(conn: &C, caller: &Caller, id: &I) -> Result<E::Model, DomainError>
where
    E: Owned,
    C: ConnectionTrait,
    I: Clone + Into<<E::PrimaryKey as PrimaryKeyTrait>::ValueType>,
{
    in_workspace::<E, C, &str, I>(conn, caller.workspace_id.as_str(), id.clone()).await
}
