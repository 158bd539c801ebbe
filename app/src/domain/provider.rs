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

use std::fmt::Debug;

use async_trait::async_trait;
use chrono::Duration;

use crate::types::PaymentMethod;
use crate::types::money::{Currency, RATE_SCALE};
use crate::types::order::{PaymentMethodInput, PaymentMethodType};

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

/// Why a provider call did not take money.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProviderError {
    /// The payment was declined.
    #[error("{message}")]
    Declined {
        /// Stable code (`card_declined`, `insufficient_funds`).
        code: &'static str,
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
    /// The provider cannot be reached or failed.
    #[error("payment provider unavailable: {0}")]
    Unavailable(String),
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

    /// Takes money.
    async fn charge(&self, request: ChargeRequest<'_>) -> Result<Charge, ProviderError>;

    /// Gives `amount` of a payment back; returns the provider's refund id.
    async fn refund(&self, payment_id: &str, amount: i64) -> Result<String, ProviderError>;
}

/// The deterministic offline provider.
#[derive(Debug, Clone, Copy, Default)]
pub struct SimulatedProvider;

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
    Declined(&'static str),
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
        "4000000000000002" => Behaviour::Declined("card_declined"),
        "4000000000009995" => Behaviour::Declined("insufficient_funds"),
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

    fn describe(&self, method: &PaymentMethodInput) -> Result<PaymentMethod, ProviderError> {
        self.describe_with_behaviour(method).map(|(m, _)| m)
    }

    async fn charge(&self, req: ChargeRequest<'_>) -> Result<Charge, ProviderError> {
        if req.amount <= 0 {
            return Err(ProviderError::InvalidMethod {
                field: "amount",
                message: "must be above zero".into(),
            });
        }
        let rate = self.rate(req.currency, req.settlement_currency)?;
        let (method, behaviour, saved) = match req.source {
            PaymentSource::New(m) => {
                let (method, b) = self.describe_with_behaviour(m)?;
                (method, b, false)
            }
            PaymentSource::Saved(token) => {
                let saved: SavedToken =
                    serde_json::from_str(token.strip_prefix("sim_pm:").unwrap_or_default())
                        .map_err(|_| ProviderError::Declined {
                            code: "payment_method_unusable",
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
            Behaviour::SavedDeclined if saved => Some("card_declined"),
            _ => None,
        };
        if let Some(code) = declined {
            return Err(ProviderError::Declined {
                code,
                message: match code {
                    "insufficient_funds" => "the card has insufficient funds".into(),
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
        let token = format!(
            "sim_pm:{}",
            serde_json::to_string(&SavedToken {
                behaviour: behaviour.code().to_owned(),
                method: method.clone(),
            })
            .unwrap_or_default()
        );
        Ok(Charge {
            payment_id: payment_id("py"),
            method,
            token,
            exchange_rate_micros: rate,
            notices,
        })
    }

    async fn refund(&self, payment_id: &str, amount: i64) -> Result<String, ProviderError> {
        if !payment_id.starts_with("sim_") || amount <= 0 {
            return Err(ProviderError::Unavailable(format!(
                "cannot refund {payment_id}"
            )));
        }
        Ok(self::payment_id("re"))
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

    async fn charge(source: PaymentSource<'_>) -> Result<Charge, ProviderError> {
        SimulatedProvider
            .charge(ChargeRequest {
                amount: 1000,
                currency: Currency::parse("USD").unwrap(),
                settlement_currency: eur(),
                source,
                idempotency_key: "k",
            })
            .await
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
                code: "card_declined",
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

        let german = SimulatedProvider
            .describe(&card("4000002760000016"))
            .unwrap();
        assert_eq!(german.country.as_deref(), Some("DE"));
        assert!(matches!(
            SimulatedProvider.describe(&card("4242 4242 4242 4241")),
            Err(ProviderError::InvalidMethod {
                field: "number",
                ..
            })
        ));
    }

    #[test]
    fn ibans_are_checked_and_give_their_country() {
        let sepa = SimulatedProvider
            .describe(&PaymentMethodInput::SepaDebit {
                iban: "DE89 3704 0044 0532 0130 00".into(),
            })
            .unwrap();
        assert_eq!(sepa.country.as_deref(), Some("DE"));
        assert_eq!(sepa.label(), "SEPA •••• 3000");
        assert!(
            SimulatedProvider
                .describe(&PaymentMethodInput::SepaDebit {
                    iban: "DE89 3704 0044 0532 0130 01".into(),
                })
                .is_err()
        );
    }
}
