//! A row of `orders`.

use sea_orm::entity::prelude::*;

use crate::types::money::CurrencyCode;

use crate::types::{CustomerId, OrderId, ProductId, SubscriptionId, WorkspaceId};

use crate::types::order::{OrderKind, OrderStatus};

/// A payment (or its attempt); `payment_method` is a JSON snapshot.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "orders")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: OrderId,
    pub workspace_id: WorkspaceId,
    pub customer_id: CustomerId,
    pub product_id: ProductId,
    pub subscription_id: Option<SubscriptionId>,
    pub kind: OrderKind,
    pub status: OrderStatus,
    pub status_before_dispute: Option<OrderStatus>,
    pub amount: i64,
    pub currency: CurrencyCode,
    pub refunded_amount: i64,
    pub charged_back_amount: i64,
    pub workspace_amount: i64,
    pub workspace_currency: CurrencyCode,
    pub exchange_rate_micros: i64,
    pub payment_method: String,
    pub card_fingerprint: Option<String>,
    pub provider: String,
    pub provider_payment_id: Option<String>,
    pub ip: Option<String>,
    pub customer_note: Option<String>,
    pub failure_code: Option<String>,
    pub failure_message: Option<String>,
    pub created_at: DateTimeUtc,
    pub paid_at: Option<DateTimeUtc>,
    /// The receipt's number in its workspace (1, 2, 3...), given when the order is paid.
    pub receipt_number: Option<i64>,
    /// Who sold, as the receipt prints it, when it was numbered: a JSON
    /// [`ReceiptSeller`](crate::types::portal::ReceiptSeller). `None` for orders numbered by
    /// the upgrade, whose receipts print the shop's current details.
    pub receipt_seller: Option<String>,
}

/// Declared from the owned side.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
