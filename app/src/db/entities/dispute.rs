//! A row of `disputes`.

use sea_orm::entity::prelude::*;

use crate::types::money::CurrencyCode;

use crate::types::{CustomerId, DisputeId, OrderId, WorkspaceId};

use crate::types::order::{DisputeStatus, RepaymentMethod};

/// A dispute (chargeback) on an order.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "disputes")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: DisputeId,
    pub workspace_id: WorkspaceId,
    pub order_id: OrderId,
    pub customer_id: CustomerId,
    pub amount: i64,
    pub currency: CurrencyCode,
    pub workspace_amount: i64,
    pub status: DisputeStatus,
    pub reason: Option<String>,
    pub opened_at: DateTimeUtc,
    pub closed_at: Option<DateTimeUtc>,
    pub repayment_method: Option<RepaymentMethod>,
    pub repayment_order_id: Option<OrderId>,
    pub repayment_requested_at: Option<DateTimeUtc>,
}

/// Declared from the owned side.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
