//! A row of `customer_currency_totals`.

use sea_orm::entity::prelude::*;

use crate::types::money::CurrencyCode;

use crate::types::{CustomerId, WorkspaceId};

/// A customer's money in one currency, in its minor units.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "customer_currency_totals")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub customer_id: CustomerId,
    #[sea_orm(primary_key, auto_increment = false)]
    pub currency: CurrencyCode,
    pub workspace_id: WorkspaceId,
    pub paid_amount: i64,
    pub refunded_amount: i64,
    pub charged_back_amount: i64,
}

/// Declared from the owned side.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
