//! A row of `payment_details`.

use sea_orm::entity::prelude::*;

use crate::types::payment_detail::{PaymentDetailKind, PaymentDetailStatus};

/// A card, account, email or IP a customer paid with.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "payment_details")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub workspace_id: String,
    pub customer_id: String,
    pub kind: PaymentDetailKind,
    pub value: String,
    pub label: String,
    pub status: PaymentDetailStatus,
    pub first_seen_at: DateTimeUtc,
    pub last_seen_at: DateTimeUtc,
    pub blocked_at: Option<DateTimeUtc>,
}

/// Declared from the owned side.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
