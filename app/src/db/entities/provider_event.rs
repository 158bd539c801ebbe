//! A row of `provider_events`.

use sea_orm::entity::prelude::*;

use crate::types::{OrderId, ProviderEventId, WorkspaceId};

use crate::types::order::ProviderEventKind;

/// A notification the payment provider sent about an order's payment, as received; a late one
/// (a dispute) is applied when due.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "provider_events")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: ProviderEventId,
    pub workspace_id: WorkspaceId,
    pub order_id: OrderId,
    pub kind: ProviderEventKind,
    pub payload: String,
    pub due_at: DateTimeUtc,
    pub processed_at: Option<DateTimeUtc>,
    /// Failed applications so far: backs the next one off.
    pub attempts: i32,
    /// When Patron received it; `None` for a notice not yet due (the simulated provider's late
    /// ones).
    pub received_at: Option<DateTimeUtc>,
}

/// Declared from the owned side.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
