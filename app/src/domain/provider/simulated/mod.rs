//! The built-in deterministic `simulated` provider: its exchange rates, the test cards'
//! behaviour, its charges and refunds.

mod methods;
mod records;

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{Duration, Utc};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};

use crate::db::entities::sim_ledger as ledger;
use crate::types::ErrorCode;

use crate::types::PaymentMethod;
use crate::types::money::{CurrencyCode, RATE_SCALE};
use crate::types::order::{PaymentMethodInput, ProviderEventKind};

use super::{
    Charge, ChargeRequest, FaultPoint, Faults, Movement, MovementKind, Notice, NotificationAbout,
    PaymentProvider, PaymentSource, ProviderError, RefundRequest,
};
use records::{Answer, answer, unavailable};

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

fn per_eur(c: CurrencyCode) -> Option<i64> {
    PER_EUR_MICROS
        .iter()
        .find(|(code, _)| *code == c.as_str())
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

    fn rate(&self, from: CurrencyCode, to: CurrencyCode) -> Result<i64, ProviderError> {
        match (per_eur(from), per_eur(to)) {
            (Some(f), Some(t)) => Ok(i64::try_from(
                i128::from(t) * i128::from(RATE_SCALE) / i128::from(f),
            )
            .unwrap_or(i64::MAX)),
            _ => Err(ProviderError::Unavailable(format!(
                "no rate between {} and {}",
                from.as_str(),
                to.as_str()
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

    fn supports(&self, currency: CurrencyCode) -> bool {
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
            "currency": about.currency.as_str().to_ascii_lowercase(),
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
                req.currency,
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
                charge.currency,
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

/// What the simulated provider keeps in a saved method's token.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct SavedToken {
    behaviour: String,
    method: PaymentMethod,
}
