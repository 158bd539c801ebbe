//! A row of `refunds`.

use sea_orm::entity::prelude::*;

use crate::types::money::CurrencyCode;

use crate::types::{CustomerId, OrderId, RefundId, WorkspaceId};

use crate::types::order::RefundStatus;

/// Money given back on an order.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "refunds")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: RefundId,
    pub workspace_id: WorkspaceId,
    pub order_id: OrderId,
    pub customer_id: CustomerId,
    pub amount: i64,
    pub currency: CurrencyCode,
    pub workspace_amount: i64,
    pub reason: Option<String>,
    pub risk_acknowledged: bool,
    pub blocked_payment_details: bool,
    pub revoked_benefits: bool,
    pub provider_refund_id: Option<String>,
    /// `pending` while the provider is asked, then `succeeded` or `failed`.
    pub status: RefundStatus,
    /// Until when the process asking the provider owns a pending refund.
    pub lease_until: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
}

/// Declared from the owned side.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
