//! The simulated provider's own records (`sim_provider_ledger`): one movement per idempotency
//! key, with the answer given under it, replayed for the same key.

use crate::types::money::CurrencyCode;
use chrono::{Duration, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, Set};
use serde::{Deserialize, Serialize};

use crate::db::entities::sim_ledger as ledger;
use crate::domain::provider::{Charge, MovementKind, Notice, ProviderError};
use crate::types::ErrorCode;
use crate::types::PaymentMethod;

use super::SimulatedProvider;

pub(super) fn unavailable(e: sea_orm::DbErr) -> ProviderError {
    ProviderError::Unavailable(format!("ledger: {e}"))
}

impl SimulatedProvider {
    pub(super) async fn entry(&self, key: &str) -> Result<Option<ledger::Model>, ProviderError> {
        ledger::Entity::find()
            .filter(ledger::Column::IdempotencyKey.eq(key))
            .one(&self.db)
            .await
            .map_err(unavailable)
    }

    /// Writes a movement unless one exists under `key` (a concurrent call with the same key),
    /// and returns whichever is stored: one key, one movement.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn record(
        &self,
        id: &str,
        key: &str,
        kind: MovementKind,
        payment_id: &str,
        amount: i64,
        currency: CurrencyCode,
        result: &Answer,
    ) -> Result<ledger::Model, ProviderError> {
        let row = ledger::ActiveModel {
            id: Set(id.to_owned()),
            idempotency_key: Set(key.to_owned()),
            kind: Set(kind),
            payment_id: Set(payment_id.to_owned()),
            amount: Set(amount),
            currency: Set(currency.to_owned()),
            result: Set(serde_json::to_string(result)
                .map_err(|e| ProviderError::Unavailable(e.to_string()))?),
            created_at: Set(Utc::now()),
        };
        ledger::Entity::insert(row)
            .on_conflict(
                OnConflict::column(ledger::Column::IdempotencyKey)
                    .do_nothing()
                    .to_owned(),
            )
            .try_insert()
            .exec_without_returning(&self.db)
            .await
            .map_err(unavailable)?;
        self.entry(key)
            .await?
            .ok_or_else(|| ProviderError::Unavailable("ledger entry vanished".into()))
    }
}

/// What the provider answered under a key, replayed for the same key.
#[derive(Debug, Serialize, Deserialize)]
pub(super) enum Answer {
    Charged(StoredCharge),
    Declined { code: String, message: String },
    Refunded,
}

#[derive(Debug, Serialize, Deserialize)]
pub(super) struct StoredCharge {
    payment_id: String,
    method: PaymentMethod,
    token: String,
    exchange_rate_micros: i64,
    /// A dispute the payer will open: after how many seconds, and why.
    dispute: Option<(i64, String)>,
}

impl From<Charge> for StoredCharge {
    fn from(c: Charge) -> Self {
        let dispute = c.notices.into_iter().next().map(|n| match n {
            Notice::DisputeOpened { after, reason } => (after.num_seconds(), reason),
        });
        Self {
            payment_id: c.payment_id,
            method: c.method,
            token: c.token,
            exchange_rate_micros: c.exchange_rate_micros,
            dispute,
        }
    }
}

/// A decline's code as the ledger kept it; a word Patron does not know reads as a plain decline.
fn declined_code(code: &str) -> ErrorCode {
    match code.parse() {
        Ok(c @ (ErrorCode::InsufficientFunds | ErrorCode::PaymentMethodUnusable)) => c,
        _ => ErrorCode::CardDeclined,
    }
}

pub(super) fn answer(row: &ledger::Model) -> Result<Charge, ProviderError> {
    let stored: Answer = serde_json::from_str(&row.result)
        .map_err(|e| ProviderError::Unavailable(format!("ledger entry {}: {e}", row.id)))?;
    match stored {
        Answer::Charged(c) => Ok(Charge {
            payment_id: c.payment_id,
            method: c.method,
            token: c.token,
            exchange_rate_micros: c.exchange_rate_micros,
            notices: c
                .dispute
                .map(|(secs, reason)| Notice::DisputeOpened {
                    after: Duration::seconds(secs),
                    reason,
                })
                .into_iter()
                .collect(),
        }),
        Answer::Declined { code, message } => Err(ProviderError::Declined {
            code: declined_code(&code),
            message,
        }),
        Answer::Refunded => Err(ProviderError::Unavailable(format!(
            "the key of refund {} was reused for a charge",
            row.id
        ))),
    }
}
