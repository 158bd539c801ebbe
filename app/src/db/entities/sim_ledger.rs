//! A row of `sim_provider_ledger`: the simulated provider's own record of a movement of money.
//! Patron's domain never writes it; only [`crate::domain::provider::SimulatedProvider`] does.

use sea_orm::entity::prelude::*;

use crate::types::money::CurrencyCode;

use crate::types::payment::MovementKind;

/// One charge, refund or decline the simulated provider answered, under its idempotency key.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sim_provider_ledger")]
pub struct Model {
    /// The provider's id: a payment id (`sim_py_…`), a refund id (`sim_re_…`) or a decline.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    #[sea_orm(unique)]
    pub idempotency_key: String,
    /// `charge`, `refund` or `decline`.
    pub kind: MovementKind,
    /// The payment: itself for a charge, the refunded one for a refund.
    pub payment_id: String,
    pub amount: i64,
    pub currency: CurrencyCode,
    /// The answer given, replayed for the same key (JSON).
    pub result: String,
    pub created_at: DateTimeUtc,
}

/// Declared from the owned side.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
