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

use std::fmt::Debug;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::{Duration, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Set};
use serde::{Deserialize, Serialize};

use crate::db::entities::sim_ledger as ledger;
use crate::types::ErrorCode;

use crate::types::PaymentMethod;
use crate::types::money::{Currency, RATE_SCALE};
use crate::types::order::{PaymentMethodInput, PaymentMethodType, ProviderEventKind};

use super::secrets::sha256_hex;

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
    pub currency: Currency,
    /// The merchant's currency, for the exchange rate.
    pub settlement_currency: Currency,
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
    pub currency: &'a str,
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

crate::string_enum!(
    /// What a movement did.
    MovementKind {
        /// Money taken from a payer.
        Charge = "charge",
        /// Money given back.
        Refund = "refund",
        /// A refused charge: no money moved, but the answer is kept for its key.
        Decline = "decline",
    }
);

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
    pub currency: String,
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
    fn supports(&self, currency: Currency) -> bool;

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

/// Where the simulated provider can be told to misbehave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultPoint {
    /// Before a charge moves money.
    BeforeCharge,
    /// After a charge moved money, before the caller hears of it.
    AfterCharge,
    /// Before a refund moves money.
    BeforeRefund,
    /// After a refund moved money, before the caller hears of it.
    AfterRefund,
}

/// How the simulated provider misbehaves at a [`FaultPoint`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// The call fails as if the provider were unreachable.
    Fail,
    /// The call waits this long, then goes on.
    Hang(std::time::Duration),
}

/// Faults to inject, each for a number of calls: set by tests, or by an operator rehearsing an
/// outage with `PATRON_SIM_FAULTS` (see [`Faults::parse`]).
#[derive(Debug, Default)]
pub struct Faults {
    plan: Mutex<Vec<(FaultPoint, Fault, u32)>>,
}

impl FaultPoint {
    /// Every point, with the name `PATRON_SIM_FAULTS` gives it.
    pub const NAMED: [(&'static str, FaultPoint); 4] = [
        ("charge.before", FaultPoint::BeforeCharge),
        ("charge.after", FaultPoint::AfterCharge),
        ("refund.before", FaultPoint::BeforeRefund),
        ("refund.after", FaultPoint::AfterRefund),
    ];
}

/// A duration such as `500ms`, `30s` or `2m`.
pub fn parse_duration(text: &str) -> Option<std::time::Duration> {
    let split = text.find(|c: char| !c.is_ascii_digit())?;
    let (n, unit) = text.split_at(split);
    let n: u64 = n.parse().ok()?;
    match unit {
        "ms" => Some(std::time::Duration::from_millis(n)),
        "s" => Some(std::time::Duration::from_secs(n)),
        "m" => n.checked_mul(60).map(std::time::Duration::from_secs),
        _ => None,
    }
}

impl Faults {
    /// Reads a plan such as `charge.after:hang:30s:1,refund.before:fail:3`: comma-separated
    /// faults, each a point (`charge.before`, `charge.after`, `refund.before`,
    /// `refund.after`), what happens there (`fail`, or `hang:<duration>` with a duration in
    /// `ms`, `s` or `m`), and how many calls it hits. The error names the part that is wrong.
    pub fn parse(spec: &str) -> Result<Vec<(FaultPoint, Fault, u32)>, String> {
        let mut plan = Vec::new();
        for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let fields: Vec<&str> = part.split(':').collect();
            let point = fields
                .first()
                .and_then(|name| FaultPoint::NAMED.iter().find(|(n, _)| n == name))
                .map(|(_, p)| *p)
                .ok_or_else(|| {
                    format!(
                        "\"{part}\": the point must be one of charge.before, charge.after, refund.before, refund.after"
                    )
                })?;
            let (fault, times) = match fields.as_slice() {
                [_, "fail", times] => (Fault::Fail, *times),
                [_, "hang", duration, times] => (
                    Fault::Hang(parse_duration(duration).ok_or_else(|| {
                        format!("\"{part}\": a hang lasts a duration such as 500ms, 30s or 2m")
                    })?),
                    *times,
                ),
                _ => {
                    return Err(format!(
                        "\"{part}\": write point:fail:calls or point:hang:duration:calls"
                    ));
                }
            };
            let times = times
                .parse::<u32>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| format!("\"{part}\": the number of calls must be 1 or more"))?;
            plan.push((point, fault, times));
        }
        Ok(plan)
    }

    /// Adds every fault of `plan` (from [`Faults::parse`]).
    pub fn load(&self, plan: Vec<(FaultPoint, Fault, u32)>) {
        for (at, fault, times) in plan {
            self.inject(at, fault, times);
        }
    }

    /// The next `times` calls that reach `at` misbehave as `fault`.
    pub fn inject(&self, at: FaultPoint, fault: Fault, times: u32) {
        if let Ok(mut plan) = self.plan.lock() {
            plan.push((at, fault, times));
        }
    }

    /// Forgets every fault not yet used.
    pub fn clear(&self) {
        if let Ok(mut plan) = self.plan.lock() {
            plan.clear();
        }
    }

    fn take(&self, at: FaultPoint) -> Option<Fault> {
        let mut plan = self.plan.lock().ok()?;
        let i = plan.iter().position(|(p, _, n)| *p == at && *n > 0)?;
        let fault = plan[i].1;
        plan[i].2 -= 1;
        if plan[i].2 == 0 {
            plan.remove(i);
        }
        Some(fault)
    }

    async fn hit(&self, at: FaultPoint) -> Result<(), ProviderError> {
        match self.take(at) {
            None => Ok(()),
            Some(Fault::Fail) => Err(ProviderError::Unavailable(format!(
                "injected failure at {at:?}"
            ))),
            Some(Fault::Hang(d)) => {
                tokio::time::sleep(d).await;
                Ok(())
            }
        }
    }
}

/// The deterministic offline provider, keeping its ledger in `db`.
#[derive(Debug, Clone)]
pub struct SimulatedProvider {
    db: DatabaseConnection,
    faults: Arc<Faults>,
}

/// Units of each currency per euro, in micros: fixed so every run converts alike.
const PER_EUR_MICROS: [(&str, i64); 13] = [
    ("EUR", 1_000_000),
    ("USD", 1_080_000),
    ("GBP", 860_000),
    ("JPY", 163_900_000),
    ("CHF", 950_000),
    ("SEK", 11_500_000),
    ("NOK", 11_700_000),
    ("DKK", 7_460_000),
    ("PLN", 4_320_000),
    ("CAD", 1_470_000),
    ("AUD", 1_650_000),
    ("BRL", 5_400_000),
    ("CZK", 25_200_000),
];

fn per_eur(c: Currency) -> Option<i64> {
    PER_EUR_MICROS
        .iter()
        .find(|(code, _)| *code == c.code)
        .map(|(_, r)| *r)
}

/// How a simulated card behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Behaviour {
    Succeeds,
    Declined(ErrorCode),
    SavedDeclined,
    DisputedLater,
}

impl Behaviour {
    fn code(self) -> &'static str {
        match self {
            Behaviour::Succeeds => "ok",
            Behaviour::Declined(_) => "dc",
            Behaviour::SavedDeclined => "sd",
            Behaviour::DisputedLater => "dl",
        }
    }
}

fn digits(number: &str) -> Result<String, ProviderError> {
    let d: String = number.chars().filter(|c| !c.is_whitespace()).collect();
    if !(12..=19).contains(&d.len()) || !d.bytes().all(|b| b.is_ascii_digit()) || !luhn(&d) {
        return Err(ProviderError::InvalidMethod {
            field: "number",
            message: "is not a valid card number".into(),
        });
    }
    Ok(d)
}

fn luhn(d: &str) -> bool {
    let sum: u32 = d
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let n = u32::from(b - b'0');
            if i % 2 == 1 {
                let x = n * 2;
                if x > 9 { x - 9 } else { x }
            } else {
                n
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

fn brand(d: &str) -> &'static str {
    let two: u32 = d[..2].parse().unwrap_or(0);
    let four: u32 = d[..4].parse().unwrap_or(0);
    match () {
        _ if d.starts_with('4') => "visa",
        _ if (51..=55).contains(&two) || (2221..=2720).contains(&four) => "mastercard",
        _ if two == 34 || two == 37 => "amex",
        _ => "card",
    }
}

fn card_behaviour(d: &str) -> Behaviour {
    match d {
        "4000000000000002" => Behaviour::Declined(ErrorCode::CardDeclined),
        "4000000000009995" => Behaviour::Declined(ErrorCode::InsufficientFunds),
        "4000000000000341" => Behaviour::SavedDeclined,
        "4000000000000259" => Behaviour::DisputedLater,
        _ => Behaviour::Succeeds,
    }
}

fn card_country(d: &str) -> Option<String> {
    if let Some(numeric) = d.strip_prefix("400000").and_then(|r| r.get(..3))
        && let Ok(n) = numeric.parse::<u32>()
        && let Ok(c) = isocountry::CountryCode::for_id(n)
    {
        return Some(c.alpha2().to_owned());
    }
    // The classic test cards are US-issued.
    Some("US".to_owned())
}

/// A compact IBAN (no spaces, upper case) if it passes the ISO 13616 mod-97 check.
fn iban(raw: &str) -> Result<String, ProviderError> {
    let iban: String = raw
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_uppercase();
    let shaped = (15..=34).contains(&iban.len())
        && iban.bytes().take(2).all(|b| b.is_ascii_uppercase())
        && iban.bytes().skip(2).take(2).all(|b| b.is_ascii_digit())
        && iban.bytes().all(|b| b.is_ascii_alphanumeric());
    let rearranged = iban.chars().skip(4).chain(iban.chars().take(4));
    let remainder = rearranged.fold(0u32, |acc, c| {
        let v = c.to_digit(36).unwrap_or(0);
        if v >= 10 {
            (acc * 100 + v) % 97
        } else {
            (acc * 10 + v) % 97
        }
    });
    if !shaped || remainder != 1 {
        return Err(ProviderError::InvalidMethod {
            field: "iban",
            message: "is not a valid IBAN".into(),
        });
    }
    Ok(iban)
}

fn fingerprint(kind: &str, value: &str) -> String {
    sha256_hex(&format!("simulated:{kind}:{value}"))[..16].to_owned()
}

impl SimulatedProvider {
    /// A provider whose ledger lives in `db` (table `sim_provider_ledger`).
    pub fn new(db: DatabaseConnection) -> Self {
        Self {
            db,
            faults: Arc::default(),
        }
    }

    /// Where tests inject faults.
    pub fn faults(&self) -> Arc<Faults> {
        self.faults.clone()
    }

    fn describe_with_behaviour(
        &self,
        method: &PaymentMethodInput,
    ) -> Result<(PaymentMethod, Behaviour), ProviderError> {
        Ok(match method {
            PaymentMethodInput::Card { number } => {
                let d = digits(number)?;
                (
                    PaymentMethod {
                        kind: PaymentMethodType::Card,
                        brand: Some(brand(&d).to_owned()),
                        last4: Some(d[d.len() - 4..].to_owned()),
                        account: None,
                        fingerprint: Some(fingerprint("card", &d)),
                        country: card_country(&d),
                    },
                    card_behaviour(&d),
                )
            }
            PaymentMethodInput::SepaDebit { iban: raw }
            | PaymentMethodInput::BankTransfer { iban: raw } => {
                let i = iban(raw)?;
                let kind = match method {
                    PaymentMethodInput::SepaDebit { .. } => PaymentMethodType::SepaDebit,
                    _ => PaymentMethodType::BankTransfer,
                };
                (
                    PaymentMethod {
                        kind,
                        brand: None,
                        last4: Some(i[i.len() - 4..].to_owned()),
                        account: Some(format!("{} •••• {}", &i[..4], &i[i.len() - 4..])),
                        fingerprint: Some(fingerprint("iban", &i)),
                        country: Some(i[..2].to_owned()),
                    },
                    Behaviour::Succeeds,
                )
            }
            PaymentMethodInput::Wallet { email } => {
                let e = email.trim().to_lowercase();
                if !email_address::EmailAddress::is_valid(&e) {
                    return Err(ProviderError::InvalidMethod {
                        field: "email",
                        message: "must be an email address".into(),
                    });
                }
                (
                    PaymentMethod {
                        kind: PaymentMethodType::Wallet,
                        brand: None,
                        last4: None,
                        account: Some(e.clone()),
                        fingerprint: Some(fingerprint("wallet", &e)),
                        country: None,
                    },
                    Behaviour::Succeeds,
                )
            }
        })
    }

    /// What a charge would answer, without the ledger: the cards' documented behaviour.
    pub fn decide_charge(&self, req: &ChargeRequest<'_>) -> Result<Charge, ProviderError> {
        if req.amount <= 0 {
            return Err(ProviderError::InvalidMethod {
                field: "amount",
                message: "must be above zero".into(),
            });
        }
        let rate = self.rate(req.currency, req.settlement_currency)?;
        let (method, behaviour, saved) = match &req.source {
            PaymentSource::New(m) => {
                let (method, b) = self.describe_with_behaviour(m)?;
                (method, b, false)
            }
            PaymentSource::Saved(token) => {
                let saved: SavedToken =
                    serde_json::from_str(token.strip_prefix("sim_pm:").unwrap_or_default())
                        .map_err(|_| ProviderError::Declined {
                            code: ErrorCode::PaymentMethodUnusable,
                            message: "the saved payment method cannot be charged".into(),
                        })?;
                let b = match saved.behaviour.as_str() {
                    "sd" => Behaviour::SavedDeclined,
                    "dl" => Behaviour::DisputedLater,
                    _ => Behaviour::Succeeds,
                };
                (saved.method, b, true)
            }
        };
        let declined = match behaviour {
            Behaviour::Declined(code) => Some(code),
            Behaviour::SavedDeclined if saved => Some(ErrorCode::CardDeclined),
            _ => None,
        };
        if let Some(code) = declined {
            return Err(ProviderError::Declined {
                code,
                message: match code {
                    ErrorCode::InsufficientFunds => "the card has insufficient funds".into(),
                    _ => format!("the payment with {} was declined", method.label()),
                },
            });
        }
        let notices = match behaviour {
            Behaviour::DisputedLater => vec![Notice::DisputeOpened {
                after: Duration::days(3),
                reason: "fraudulent".into(),
            }],
            _ => Vec::new(),
        };
        let token = saved_token(behaviour, &method);
        Ok(Charge {
            payment_id: payment_id("py"),
            method,
            token,
            exchange_rate_micros: rate,
            notices,
        })
    }

    fn rate(&self, from: Currency, to: Currency) -> Result<i64, ProviderError> {
        match (per_eur(from), per_eur(to)) {
            (Some(f), Some(t)) => Ok(i64::try_from(
                i128::from(t) * i128::from(RATE_SCALE) / i128::from(f),
            )
            .unwrap_or(i64::MAX)),
            _ => Err(ProviderError::Unavailable(format!(
                "no rate between {} and {}",
                from.code, to.code
            ))),
        }
    }
}

/// The simulated provider's reusable token: the method and how it behaves, in the clear.
fn saved_token(behaviour: Behaviour, method: &PaymentMethod) -> String {
    format!(
        "sim_pm:{}",
        serde_json::to_string(&SavedToken {
            behaviour: behaviour.code().to_owned(),
            method: method.clone(),
        })
        .unwrap_or_default()
    )
}

fn payment_id(kind: &str) -> String {
    format!("sim_{kind}_{}", ulid::Ulid::new())
}

#[async_trait]
impl PaymentProvider for SimulatedProvider {
    fn name(&self) -> &'static str {
        "simulated"
    }

    fn supports(&self, currency: Currency) -> bool {
        per_eur(currency).is_some()
    }

    fn notification(&self, about: &NotificationAbout<'_>, at: chrono::DateTime<Utc>) -> String {
        let object = match about.kind {
            ProviderEventKind::ChargeRefunded | ProviderEventKind::RefundFailed => "refund",
            ProviderEventKind::DisputeOpened | ProviderEventKind::DisputeClosed => "dispute",
            ProviderEventKind::RenewalFailed => "invoice",
            ProviderEventKind::ChargeSucceeded | ProviderEventKind::ChargeFailed => "charge",
        };
        let detail_key = match about.kind {
            ProviderEventKind::ChargeFailed | ProviderEventKind::RenewalFailed => "failure_code",
            ProviderEventKind::RefundFailed => "failure_reason",
            ProviderEventKind::DisputeOpened => "reason",
            ProviderEventKind::DisputeClosed => "outcome",
            _ => "description",
        };
        let mut data = serde_json::json!({
            "object": object,
            "payment": about.payment_id,
            "idempotency_key": about.idempotency_key,
            "amount": about.amount,
            "currency": about.currency.to_ascii_lowercase(),
        });
        if let Some(m) = about.method {
            data["payment_method_details"] = serde_json::json!({
                "type": m.kind,
                "brand": m.brand,
                "last4": m.last4,
                "country": m.country,
                "fingerprint": m.fingerprint,
            });
        }
        if let Some(d) = about.detail {
            data[detail_key] = d.into();
        }
        serde_json::json!({
            "id": payment_id("evt"),
            "object": "event",
            "api_version": "2026-01-01",
            "created": at.timestamp(),
            "livemode": false,
            "type": about.kind.as_str(),
            "data": {"object": data},
        })
        .to_string()
    }

    fn describe(&self, method: &PaymentMethodInput) -> Result<PaymentMethod, ProviderError> {
        self.describe_with_behaviour(method).map(|(m, _)| m)
    }

    async fn save_method(
        &self,
        method: &PaymentMethodInput,
    ) -> Result<(PaymentMethod, String), ProviderError> {
        let (described, behaviour) = self.describe_with_behaviour(method)?;
        if let Behaviour::Declined(code) = behaviour {
            return Err(ProviderError::Declined {
                code,
                message: match code {
                    ErrorCode::InsufficientFunds => "the card has insufficient funds".into(),
                    _ => format!("the card {} was declined", described.label()),
                },
            });
        }
        let token = saved_token(behaviour, &described);
        Ok((described, token))
    }

    async fn charge(&self, req: ChargeRequest<'_>) -> Result<Charge, ProviderError> {
        self.faults.hit(FaultPoint::BeforeCharge).await?;
        if let Some(row) = self.entry(req.idempotency_key).await? {
            return answer(&row);
        }
        let (id, kind, result) = match self.decide_charge(&req) {
            Ok(c) => (
                c.payment_id.clone(),
                MovementKind::Charge,
                Answer::Charged(c.into()),
            ),
            Err(ProviderError::Declined { code, message }) => (
                payment_id("dc"),
                MovementKind::Decline,
                Answer::Declined {
                    code: code.to_string(),
                    message,
                },
            ),
            // A malformed request moves nothing and is not remembered.
            Err(e) => return Err(e),
        };
        let stored = self
            .record(
                &id,
                req.idempotency_key,
                kind,
                &id,
                req.amount,
                req.currency.code,
                &result,
            )
            .await?;
        let out = answer(&stored);
        self.faults.hit(FaultPoint::AfterCharge).await?;
        out
    }

    async fn refund(&self, req: RefundRequest<'_>) -> Result<String, ProviderError> {
        self.faults.hit(FaultPoint::BeforeRefund).await?;
        if let Some(row) = self.entry(req.idempotency_key).await? {
            return Ok(row.id);
        }
        if req.amount <= 0 {
            return Err(ProviderError::InvalidMethod {
                field: "amount",
                message: "must be above zero".into(),
            });
        }
        let rows = ledger::Entity::find()
            .filter(ledger::Column::PaymentId.eq(req.payment_id))
            .all(&self.db)
            .await
            .map_err(unavailable)?;
        let Some(charge) = rows.iter().find(|r| r.kind == MovementKind::Charge) else {
            return Err(ProviderError::Declined {
                code: ErrorCode::NoSuchPayment,
                message: format!("no payment {} to refund", req.payment_id),
            });
        };
        let refunded: i64 = rows
            .iter()
            .filter(|r| r.kind == MovementKind::Refund)
            .map(|r| r.amount)
            .sum();
        if refunded + req.amount > charge.amount {
            return Err(ProviderError::Declined {
                code: ErrorCode::RefundExceedsPayment,
                message: "the refund exceeds what remains of the payment".into(),
            });
        }
        let id = payment_id("re");
        let stored = self
            .record(
                &id,
                req.idempotency_key,
                MovementKind::Refund,
                req.payment_id,
                req.amount,
                &charge.currency,
                &Answer::Refunded,
            )
            .await?;
        self.faults.hit(FaultPoint::AfterRefund).await?;
        Ok(stored.id)
    }

    async fn find_charge(&self, idempotency_key: &str) -> Result<Option<Charge>, ProviderError> {
        match self.entry(idempotency_key).await? {
            Some(row) if row.kind == MovementKind::Charge => answer(&row).map(Some),
            _ => Ok(None),
        }
    }

    async fn movements(&self) -> Result<Vec<Movement>, ProviderError> {
        let rows = ledger::Entity::find()
            .filter(ledger::Column::Kind.is_in([MovementKind::Charge, MovementKind::Refund]))
            .order_by_asc(ledger::Column::CreatedAt)
            .order_by_asc(ledger::Column::Id)
            .all(&self.db)
            .await
            .map_err(unavailable)?;
        Ok(rows
            .into_iter()
            .map(|r| Movement {
                kind: r.kind,
                id: r.id,
                payment_id: r.payment_id,
                idempotency_key: r.idempotency_key,
                amount: r.amount,
                currency: r.currency,
            })
            .collect())
    }
}

fn unavailable(e: sea_orm::DbErr) -> ProviderError {
    ProviderError::Unavailable(format!("ledger: {e}"))
}

impl SimulatedProvider {
    async fn entry(&self, key: &str) -> Result<Option<ledger::Model>, ProviderError> {
        ledger::Entity::find()
            .filter(ledger::Column::IdempotencyKey.eq(key))
            .one(&self.db)
            .await
            .map_err(unavailable)
    }

    /// Writes a movement unless one exists under `key` (a concurrent call with the same key),
    /// and returns whichever is stored: one key, one movement.
    #[allow(clippy::too_many_arguments)]
    async fn record(
        &self,
        id: &str,
        key: &str,
        kind: MovementKind,
        payment_id: &str,
        amount: i64,
        currency: &str,
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
enum Answer {
    Charged(StoredCharge),
    Declined { code: String, message: String },
    Refunded,
}

#[derive(Debug, Serialize, Deserialize)]
struct StoredCharge {
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

fn answer(row: &ledger::Model) -> Result<Charge, ProviderError> {
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

/// What the simulated provider keeps in a saved method's token.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct SavedToken {
    behaviour: String,
    method: PaymentMethod,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn card(number: &str) -> PaymentMethodInput {
        PaymentMethodInput::Card {
            number: number.into(),
        }
    }

    fn eur() -> Currency {
        Currency::parse("EUR").unwrap()
    }

    /// The cards' behaviour needs no ledger: an unused in-memory database stands in.
    async fn sim() -> SimulatedProvider {
        SimulatedProvider::new(sea_orm::Database::connect("sqlite::memory:").await.unwrap())
    }

    async fn charge(source: PaymentSource<'_>) -> Result<Charge, ProviderError> {
        sim().await.decide_charge(&ChargeRequest {
            amount: 1000,
            currency: Currency::parse("USD").unwrap(),
            settlement_currency: eur(),
            source,
            idempotency_key: "k",
        })
    }

    #[tokio::test]
    async fn test_cards_behave_as_documented() {
        let ok = charge(PaymentSource::New(&card("4242 4242 4242 4242")))
            .await
            .unwrap();
        assert_eq!(ok.method.label(), "Visa •••• 4242");
        assert_eq!(ok.method.country.as_deref(), Some("US"));
        // 1.08 USD per EUR: one USD is 0.925925 EUR.
        assert_eq!(ok.exchange_rate_micros, 925_925);
        assert!(ok.notices.is_empty());

        let declined = charge(PaymentSource::New(&card("4000000000000002"))).await;
        assert!(matches!(
            declined,
            Err(ProviderError::Declined {
                code: ErrorCode::CardDeclined,
                ..
            })
        ));

        let later = charge(PaymentSource::New(&card("4000000000000341")))
            .await
            .unwrap();
        let renewal = charge(PaymentSource::Saved(&later.token)).await;
        assert!(matches!(renewal, Err(ProviderError::Declined { .. })));
        let again = charge(PaymentSource::Saved(&ok.token)).await.unwrap();
        assert_eq!(again.method.fingerprint, ok.method.fingerprint);

        let disputed = charge(PaymentSource::New(&card("4000000000000259")))
            .await
            .unwrap();
        assert_eq!(disputed.notices.len(), 1);

        let sim = sim().await;
        let german = sim.describe(&card("4000002760000016")).unwrap();
        assert_eq!(german.country.as_deref(), Some("DE"));
        assert!(matches!(
            sim.describe(&card("4242 4242 4242 4241")),
            Err(ProviderError::InvalidMethod {
                field: "number",
                ..
            })
        ));
    }

    #[tokio::test]
    async fn ibans_are_checked_and_give_their_country() {
        let sim = sim().await;
        let sepa = sim
            .describe(&PaymentMethodInput::SepaDebit {
                iban: "DE89 3704 0044 0532 0130 00".into(),
            })
            .unwrap();
        assert_eq!(sepa.country.as_deref(), Some("DE"));
        assert_eq!(sepa.label(), "SEPA •••• 3000");
        assert!(
            sim.describe(&PaymentMethodInput::SepaDebit {
                iban: "DE89 3704 0044 0532 0130 01".into(),
            })
            .is_err()
        );
    }

    #[test]
    fn a_fault_plan_reads_points_kinds_durations_and_counts() {
        let plan = Faults::parse(
            "charge.after:hang:30s:1, refund.before:fail:3,charge.before:hang:250ms:2",
        )
        .unwrap();
        assert_eq!(
            plan,
            vec![
                (
                    FaultPoint::AfterCharge,
                    Fault::Hang(std::time::Duration::from_secs(30)),
                    1
                ),
                (FaultPoint::BeforeRefund, Fault::Fail, 3),
                (
                    FaultPoint::BeforeCharge,
                    Fault::Hang(std::time::Duration::from_millis(250)),
                    2
                ),
            ]
        );
        assert_eq!(Faults::parse("").unwrap(), vec![]);
    }

    #[test]
    fn a_wrong_fault_plan_names_the_part_that_is_wrong() {
        for (spec, says) in [
            ("charge.during:fail:1", "the point must be one of"),
            ("charge.after:hang:soon:1", "a duration such as"),
            ("refund.after:fail:0", "must be 1 or more"),
            ("refund.after:explode:1", "point:fail:calls"),
            ("charge.after:hang:5s", "point:fail:calls"),
        ] {
            let err = Faults::parse(spec).unwrap_err();
            assert!(err.contains(says) && err.contains(spec), "{spec}: {err}");
        }
    }
}
