//! A row of `invoices`.

use sea_orm::entity::prelude::*;

use crate::types::money::CurrencyCode;

use crate::types::{CustomerId, InvoiceId, OrderId, SubscriptionId, WorkspaceId};

use crate::types::subscription::InvoiceStatus;

/// What a subscription owes for one period.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "invoices")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: InvoiceId,
    pub workspace_id: WorkspaceId,
    pub subscription_id: SubscriptionId,
    pub customer_id: CustomerId,
    pub order_id: Option<OrderId>,
    pub amount: i64,
    pub currency: CurrencyCode,
    pub status: InvoiceStatus,
    pub period_start: DateTimeUtc,
    pub period_end: DateTimeUtc,
    pub created_at: DateTimeUtc,
    pub paid_at: Option<DateTimeUtc>,
}

/// Declared from the owned side.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
