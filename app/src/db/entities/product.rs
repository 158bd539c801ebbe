//! A row of `products`.

use sea_orm::entity::prelude::*;

use crate::types::money::CurrencyCode;

use crate::types::{ProductId, WorkspaceId};

use crate::types::product::{BillingInterval, ProductKind};

/// A product the workspace sells; `benefits` is a JSON array.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "products")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: ProductId,
    pub workspace_id: WorkspaceId,
    pub name: String,
    pub kind: ProductKind,
    pub amount: i64,
    pub currency: CurrencyCode,
    pub interval: Option<BillingInterval>,
    pub interval_count: Option<i32>,
    pub benefits: String,
    pub created_at: DateTimeUtc,
    pub archived_at: Option<DateTimeUtc>,
}

/// Declared from the owned side.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
