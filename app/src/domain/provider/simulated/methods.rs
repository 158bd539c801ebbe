//! How the simulated provider reads a payment method: card numbers (Luhn check, brand, test
//! behaviour, issuing country), IBANs (mod-97 check), wallets' emails, and their fingerprints.

use crate::domain::provider::ProviderError;
use crate::domain::secrets::sha256_hex;
use crate::types::ErrorCode;
use crate::types::PaymentMethod;
use crate::types::order::{PaymentMethodInput, PaymentMethodType};

use super::{Behaviour, SimulatedProvider};

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
    pub(super) fn describe_with_behaviour(
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
}
