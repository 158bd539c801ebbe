//! Payment providers behind one trait, and the built-in deterministic `simulated` provider that
//! lets every flow run offline.
//!
//! Simulated test cards (any other Luhn-valid number succeeds):
//! - `4242 4242 4242 4242` (Visa), `5555 5555 5555 4444` (Mastercard): succeed.
//! - `4000 0000 0000 0002`: declined (`card_declined`).
//! - `4000 0000 0000 9995`: declined (`insufficient_funds`).
//! - `4000 0000 0000 0341`: the first charge succeeds; later charges of the saved card
//!   (renewals) are declined.
//! - `4000 0000 0000 0259`: succeeds, then the payer disputes it three days later.
//! - `4000 00CC C000 0000`-style numbers whose digits 7-9 are an ISO 3166 numeric code
//!   (`4000002760000016` is Germany) succeed and carry that issuing country.
//!
//! SEPA debits and bank transfers take any valid IBAN (its first two letters are the country);
//! wallets take any email.
//!
//! Like a real provider, the simulated one honours idempotency keys (the same key gives the same
//! answer and moves money at most once), keeps its own ledger of every movement in its own table
//! (`sim_provider_ledger`), and refuses to refund more than a payment took. Tests can tell it to
//! fail or hang before or after it moves money ([`Faults`]).

mod faults;
mod simulated;

pub use faults::{Fault, FaultPoint, Faults, parse_duration};
pub use simulated::SimulatedProvider;

use std::fmt::Debug;

use async_trait::async_trait;
use chrono::{Duration, Utc};

use crate::types::ErrorCode;

use crate::types::PaymentMethod;
use crate::types::money::CurrencyCode;
#[cfg(doc)]
use crate::types::money::RATE_SCALE;
use crate::types::order::{PaymentMethodInput, ProviderEventKind};

/// How a charge is paid: a method given now, or one saved by an earlier charge.
#[derive(Debug, Clone)]
pub enum PaymentSource<'a> {
    /// A method given at checkout.
    New(&'a PaymentMethodInput),
    /// The reusable token an earlier [`Charge`] returned (renewals).
    Saved(&'a str),
}

/// A request to take money.
#[derive(Debug, Clone)]
pub struct ChargeRequest<'a> {
    /// Minor units of `currency`.
    pub amount: i64,
    /// The charge's currency.
    pub currency: CurrencyCode,
    /// The merchant's currency, for the exchange rate.
    pub settlement_currency: CurrencyCode,
    /// How to pay.
    pub source: PaymentSource<'a>,
    /// The same key never charges twice.
    pub idempotency_key: &'a str,
}

/// Something the provider will report about a payment later (a webhook, for real providers).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// The payer disputes the payment.
    DisputeOpened {
        /// After how long.
        after: Duration,
        /// The payer's stated reason.
        reason: String,
    },
}

/// What a notification from the provider is about: the facts its body carries.
#[derive(Debug, Clone, Copy)]
pub struct NotificationAbout<'a> {
    /// What it reports.
    pub kind: ProviderEventKind,
    /// The provider's payment id, where the payment got one (a declined one may not).
    pub payment_id: Option<&'a str>,
    /// The key the payment or refund was asked under.
    pub idempotency_key: Option<&'a str>,
    /// Minor units of `currency`: the payment's, the refund's or the dispute's amount.
    pub amount: i64,
    /// ISO 4217 code.
    pub currency: CurrencyCode,
    /// The method, where the notification describes one.
    pub method: Option<&'a PaymentMethod>,
    /// A decline code, a dispute's reason or its outcome.
    pub detail: Option<&'a str>,
}

/// A successful charge.
#[derive(Debug, Clone)]
pub struct Charge {
    /// The provider's payment id.
    pub payment_id: String,
    /// What the method looks like (never a full number).
    pub method: PaymentMethod,
    /// Charges the same method again (renewals).
    pub token: String,
    /// Units of the settlement currency per unit of the charge's, scaled by [`RATE_SCALE`].
    pub exchange_rate_micros: i64,
    /// What the provider will report later.
    pub notices: Vec<Notice>,
}

/// A request to give money back.
#[derive(Debug, Clone)]
pub struct RefundRequest<'a> {
    /// The provider's payment id.
    pub payment_id: &'a str,
    /// Minor units of the payment's currency.
    pub amount: i64,
    /// The same key never refunds twice.
    pub idempotency_key: &'a str,
}

pub use crate::types::payment::MovementKind;

/// One movement of money in the provider's own records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Movement {
    /// Charge or refund.
    pub kind: MovementKind,
    /// The provider's id of the movement (a payment id or a refund id).
    pub id: String,
    /// The payment: itself for a charge, the refunded one for a refund.
    pub payment_id: String,
    /// The idempotency key it was made under.
    pub idempotency_key: String,
    /// Minor units of `currency`.
    pub amount: i64,
    /// ISO 4217 code.
    pub currency: CurrencyCode,
}

/// Why a provider call did not take money.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProviderError {
    /// The payment was declined.
    #[error("{message}")]
    Declined {
        /// Stable code (`card_declined`, `insufficient_funds`).
        code: ErrorCode,
        /// For people.
        message: String,
    },
    /// The method is malformed; `field` is inside `payment_method`.
    #[error("{field}: {message}")]
    InvalidMethod {
        /// The field, such as `number`.
        field: &'static str,
        /// What is expected.
        message: String,
    },
    /// The provider cannot be reached or failed: whether money moved is unknown until the
    /// same idempotency key is asked again.
    #[error("payment provider unavailable: {0}")]
    Unavailable(String),
}

impl ProviderError {
    /// Whether the answer is final: the provider refused, and will refuse the same key again.
    /// `Unavailable` is not: the call may have moved money.
    pub fn is_final(&self) -> bool {
        !matches!(self, ProviderError::Unavailable(_))
    }
}

/// A payment provider: charges, refunds and describes payment methods.
#[async_trait]
pub trait PaymentProvider: Send + Sync + Debug {
    /// Stored on every order (`simulated`).
    fn name(&self) -> &'static str;

    /// Whether it can charge in `currency`.
    fn supports(&self, currency: CurrencyCode) -> bool;

    /// What a method looks like (brand, last4, fingerprint, country) without charging it:
    /// blocked details are refused before any money moves.
    fn describe(&self, method: &PaymentMethodInput) -> Result<PaymentMethod, ProviderError>;

    /// Takes money, at most once per idempotency key: the same key answers as the first call did.
    async fn charge(&self, request: ChargeRequest<'_>) -> Result<Charge, ProviderError>;

    /// Gives `amount` of a payment back, at most once per idempotency key; returns the
    /// provider's refund id.
    async fn refund(&self, request: RefundRequest<'_>) -> Result<String, ProviderError>;

    /// The charge made under `idempotency_key`, if money moved under it (a decline or an unknown
    /// key is `None`). Moves no money: this is how a crashed call is looked up.
    async fn find_charge(&self, idempotency_key: &str) -> Result<Option<Charge>, ProviderError>;

    /// The notification the provider sends about a payment (its webhook, or IPN) at `at`: its
    /// body exactly as sent. Patron keeps it, as received, on the order. The simulated provider
    /// sends it at the moment of the movement it reports; a real provider's adapter gets the same
    /// body from its webhook endpoint.
    fn notification(&self, about: &NotificationAbout<'_>, at: chrono::DateTime<Utc>) -> String;

    /// Every charge and refund in the provider's records, oldest first.
    async fn movements(&self) -> Result<Vec<Movement>, ProviderError>;

    /// Checks a payment method with its issuer and saves it for later charges, moving no money
    /// (a card check): answers what it looks like and the token [`PaymentSource::Saved`] takes.
    /// A method the issuer refuses fails as a charge with it would.
    async fn save_method(
        &self,
        method: &PaymentMethodInput,
    ) -> Result<(PaymentMethod, String), ProviderError>;
}

#[cfg(test)]
mod tests;
