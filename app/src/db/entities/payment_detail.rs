//! A row of `payment_details`.

use sea_orm::entity::prelude::*;

use crate::types::{CustomerId, PaymentDetailId, WorkspaceId};

use crate::types::payment_detail::{PaymentDetailKind, PaymentDetailStatus};

/// A card, account, email or IP a customer paid with.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "payment_details")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: PaymentDetailId,
    pub workspace_id: WorkspaceId,
    pub customer_id: CustomerId,
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
