//! `bulk_action_items`: one customer of a bulk action: what happened to them, and the marker
//! that they are done exactly once.

use sea_orm::entity::prelude::*;

use crate::types::segment::BulkItemStatus;
use crate::types::{BulkActionId, CustomerId};

/// A customer of a bulk action.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "bulk_action_items")]
pub struct Model {
    /// The action.
    #[sea_orm(primary_key, auto_increment = false)]
    pub bulk_action_id: BulkActionId,
    /// The customer.
    #[sea_orm(primary_key, auto_increment = false)]
    pub customer_id: CustomerId,
    /// What happened.
    pub status: BulkItemStatus,
    /// Why it failed.
    pub error_code: Option<String>,
    /// Why it failed, in words.
    pub message: Option<String>,
    /// When.
    pub done_at: Option<DateTimeUtc>,
}

/// No relations are navigated.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
