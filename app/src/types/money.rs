//! Money: integer amounts in a currency's minor unit, ISO 4217 codes, and conversion at a
//! recorded rate. Never a float; sums never mix currencies.

use serde::{Deserialize, Serialize};

/// An amount in one currency's minor unit (cents for EUR, yen for JPY).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Money {
    /// In the currency's minor unit.
    pub amount: i64,
    /// Its currency.
    pub currency: CurrencyCode,
}

/// Two amounts in different currencies cannot be added or compared: convert one first, at a
/// recorded rate.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot combine {0} with {1}: convert one of them first")]
pub struct CurrencyMismatch(pub CurrencyCode, pub CurrencyCode);

impl Money {
    /// `amount` minor units of `currency`.
    pub fn new(amount: i64, currency: CurrencyCode) -> Self {
        Self { amount, currency }
    }

    fn same_currency(&self, other: &Money) -> Result<(), CurrencyMismatch> {
        if self.currency == other.currency {
            Ok(())
        } else {
            Err(CurrencyMismatch(self.currency, other.currency))
        }
    }

    /// The sum; refuses another currency (and saturates rather than wrapping).
    pub fn checked_add(&self, other: &Money) -> Result<Money, CurrencyMismatch> {
        self.same_currency(other)?;
        Ok(Money::new(
            self.amount.saturating_add(other.amount),
            self.currency,
        ))
    }

    /// The difference; refuses another currency.
    pub fn checked_sub(&self, other: &Money) -> Result<Money, CurrencyMismatch> {
        self.same_currency(other)?;
        Ok(Money::new(
            self.amount.saturating_sub(other.amount),
            self.currency,
        ))
    }
}

/// `12.34 EUR`: see [`format`].
impl std::fmt::Display for Money {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&format(self.amount, self.currency))
    }
}

/// An ISO 4217 currency Patron can take payments in: its code and its minor unit, checked
/// whenever one is made (from a form, a request, a row). In JSON and in the database it is
/// the code, `EUR`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "ssr", derive(sea_orm::DeriveValueType))]
#[cfg_attr(feature = "ssr", sea_orm(value_type = "String"))]
pub struct CurrencyCode {
    code: &'static str,
    exponent: u32,
}

/// Why a text is not a [`CurrencyCode`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidCurrency(String);

impl CurrencyCode {
    /// Euro.
    pub const EUR: CurrencyCode = CurrencyCode::from_parts("EUR", 2);
    /// US dollar.
    pub const USD: CurrencyCode = CurrencyCode::from_parts("USD", 2);
    /// Pound sterling.
    pub const GBP: CurrencyCode = CurrencyCode::from_parts("GBP", 2);
    /// Yen: no minor unit.
    pub const JPY: CurrencyCode = CurrencyCode::from_parts("JPY", 0);

    // Only for a code and exponent already checked against ISO 4217: by `parse`, or by hand for
    // the constants above.
    const fn from_parts(code: &'static str, exponent: u32) -> Self {
        Self { code, exponent }
    }

    /// Looks up an upper-case ISO 4217 code; funds, metals and codes without a minor unit are
    /// refused because nobody pays in them.
    pub fn parse(code: &str) -> Result<Self, String> {
        let c = iso_currency::Currency::from_code(code)
            .filter(|c| !c.is_fund() && !c.is_special())
            .ok_or_else(|| format!("{code:?} is not an ISO 4217 currency code such as EUR"))?;
        let exponent = c
            .exponent()
            .ok_or_else(|| format!("{code} has no minor unit"))?;
        Ok(Self::from_parts(c.code(), u32::from(exponent)))
    }

    /// As typed by a person or a client: white space around it and lower case forgiven.
    pub fn parse_lenient(text: &str) -> Result<Self, String> {
        Self::parse(&text.trim().to_ascii_uppercase())
    }

    /// The three-letter code.
    pub fn as_str(self) -> &'static str {
        self.code
    }

    /// Digits after the decimal point (2 for EUR, 0 for JPY).
    pub fn exponent(self) -> u32 {
        self.exponent
    }
}

impl std::fmt::Display for CurrencyCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code)
    }
}

/// Leniently, as [`CurrencyCode::parse_lenient`]: a command line's `--currency eur` too.
impl std::str::FromStr for CurrencyCode {
    type Err = InvalidCurrency;
    fn from_str(s: &str) -> Result<Self, InvalidCurrency> {
        Self::parse_lenient(s).map_err(InvalidCurrency)
    }
}

impl PartialEq<str> for CurrencyCode {
    fn eq(&self, other: &str) -> bool {
        self.code == other
    }
}

impl PartialEq<&str> for CurrencyCode {
    fn eq(&self, other: &&str) -> bool {
        self.code == *other
    }
}

impl Serialize for CurrencyCode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code)
    }
}

impl<'de> Deserialize<'de> for CurrencyCode {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Self::parse_lenient(&text).map_err(serde::de::Error::custom)
    }
}

/// A currency is never a generated key (it is part of a composite one).
#[cfg(feature = "ssr")]
impl sea_orm::TryFromU64 for CurrencyCode {
    fn try_from_u64(_: u64) -> Result<Self, sea_orm::DbErr> {
        Err(sea_orm::DbErr::ConvertFromU64("CurrencyCode"))
    }
}

/// A column filter can take the currency by reference.
#[cfg(feature = "ssr")]
impl From<&CurrencyCode> for sea_orm::Value {
    fn from(c: &CurrencyCode) -> Self {
        c.code.into()
    }
}

/// Scale of exchange rates: a rate of 1.0 is stored as 1,000,000.
pub const RATE_SCALE: i64 = 1_000_000;

/// `amount` (minor units of `from`) in minor units of `to`, at `rate_micros` units of `to` per
/// unit of `from` (scaled by [`RATE_SCALE`]); rounded half away from zero.
pub fn convert(amount: i64, from: CurrencyCode, to: CurrencyCode, rate_micros: i64) -> i64 {
    let num = i128::from(amount) * i128::from(rate_micros) * 10i128.pow(to.exponent);
    let den = i128::from(RATE_SCALE) * 10i128.pow(from.exponent);
    let q = num / den;
    let r = num % den;
    let rounded = if 2 * r.abs() >= den {
        q + num.signum()
    } else {
        q
    };
    i64::try_from(rounded).unwrap_or(if rounded > 0 { i64::MAX } else { i64::MIN })
}

/// `12.34 EUR`, `1200 JPY`, `-5.00 USD`: the amount in major units with the code.
pub fn format(amount: i64, currency: CurrencyCode) -> String {
    format!("{} {currency}", format_major(amount, currency))
}

/// `12.34`, `1200`, `-5.00`: the amount in major units of `currency`, without the code (a CSV
/// cell).
pub fn format_major(amount: i64, currency: CurrencyCode) -> String {
    let exponent = currency.exponent();
    let sign = if amount < 0 { "-" } else { "" };
    let abs = amount.unsigned_abs();
    if exponent == 0 {
        return format!("{sign}{abs}");
    }
    let unit = 10u64.pow(exponent);
    format!(
        "{sign}{}.{:0width$}",
        abs / unit,
        abs % unit,
        width = exponent as usize
    )
}

/// An amount typed in major units (`12.5`, `12,50`, `1200`) as minor units of `currency`;
/// refuses more decimals than the currency has, signs, and anything that is not a number.
pub fn parse_major(text: &str, currency: CurrencyCode) -> Result<i64, String> {
    let exponent = currency.exponent() as usize;
    let t = text.trim().replace(',', ".");
    let (whole, frac) = t.split_once('.').unwrap_or((&t, ""));
    let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    if (whole.is_empty() && frac.is_empty()) || !digits(whole) || !digits(frac) {
        return Err(format!("{text:?} is not an amount such as 12.50"));
    }
    if frac.len() > exponent {
        return Err(format!(
            "{currency} has {exponent} decimal places, {text:?} has {}",
            frac.len()
        ));
    }
    let scaled = format!("{whole}{frac:0<exponent$}");
    scaled
        .parse::<i64>()
        .map_err(|_| format!("{text:?} is too large"))
}

/// A rate stored as micros, written as a decimal (`1085000` is `1.085`).
pub fn format_rate(rate_micros: i64) -> String {
    let whole = rate_micros / RATE_SCALE;
    let frac = (rate_micros % RATE_SCALE).abs();
    let digits = format!("{frac:06}");
    let digits = digits.trim_end_matches('0');
    if digits.is_empty() {
        format!("{whole}")
    } else {
        format!("{whole}.{digits}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_amounts_become_minor_units() {
        let (eur, usd, jpy) = (c("EUR"), c("USD"), c("JPY"));
        assert_eq!(parse_major("12.5", eur), Ok(1250));
        assert_eq!(parse_major("12,50", eur), Ok(1250));
        assert_eq!(parse_major("3", eur), Ok(300));
        assert_eq!(parse_major(".5", usd), Ok(50));
        assert_eq!(parse_major("1200", jpy), Ok(1200));
        assert!(parse_major("12.5", jpy).is_err());
        assert!(parse_major("1.234", eur).is_err());
        assert!(parse_major("-1", eur).is_err());
        assert!(parse_major("abc", eur).is_err());
        assert!(parse_major("", eur).is_err());
    }

    fn c(code: &str) -> CurrencyCode {
        CurrencyCode::parse(code).unwrap()
    }

    #[test]
    fn conversion_respects_minor_units_and_rounds_half_away_from_zero() {
        // 10.00 USD at 0.92 EUR per USD is 9.20 EUR.
        assert_eq!(convert(1000, c("USD"), c("EUR"), 920_000), 920);
        // 1500 JPY at 0.0061 EUR per JPY is 9.15 EUR.
        assert_eq!(convert(1500, c("JPY"), c("EUR"), 6_100), 915);
        // 9.99 EUR at 163.9 JPY per EUR is 1637.36 JPY, so 1637.
        assert_eq!(convert(999, c("EUR"), c("JPY"), 163_900_000), 1637);
        // 0.05 at 0.5 is 0.025: rounds to 0.03, and -0.03 for a negative amount.
        assert_eq!(convert(5, c("EUR"), c("EUR"), 500_000), 3);
        assert_eq!(convert(-5, c("EUR"), c("EUR"), 500_000), -3);
    }

    #[test]
    fn currencies_are_checked_against_iso_4217() {
        for named in [
            CurrencyCode::EUR,
            CurrencyCode::USD,
            CurrencyCode::GBP,
            CurrencyCode::JPY,
        ] {
            assert_eq!(c(named.as_str()), named);
        }
        assert_eq!(c("JPY").exponent(), 0);
        assert_eq!(c("EUR").exponent(), 2);
        assert!(CurrencyCode::parse("XAU").is_err());
        assert!(CurrencyCode::parse("EURO").is_err());
        assert!(CurrencyCode::parse("eur").is_err());
        assert_eq!(CurrencyCode::parse_lenient(" eur "), Ok(c("EUR")));
        let json: CurrencyCode = serde_json::from_str(r#""usd""#).unwrap();
        assert_eq!(serde_json::to_string(&json).unwrap(), r#""USD""#);
        assert!(serde_json::from_str::<CurrencyCode>(r#""XYZ""#).is_err());
    }

    #[test]
    fn money_never_mixes_currencies() {
        let (eur, usd) = (c("EUR"), c("USD"));
        let price = Money::new(1250, eur);
        assert_eq!(
            price.checked_add(&Money::new(50, eur)),
            Ok(Money::new(1300, eur))
        );
        assert_eq!(
            price.checked_sub(&Money::new(1300, eur)),
            Ok(Money::new(-50, eur))
        );
        assert!(price.checked_add(&Money::new(50, usd)).is_err());
        assert_eq!(price.to_string(), "12.50 EUR");
    }

    #[test]
    fn amounts_are_written_in_major_units() {
        let (eur, usd, jpy) = (c("EUR"), c("USD"), c("JPY"));
        assert_eq!(format(1234, eur), "12.34 EUR");
        assert_eq!(format(-5, usd), "-0.05 USD");
        assert_eq!(format(1200, jpy), "1200 JPY");
        assert_eq!(format_major(-5, usd), "-0.05");
        assert_eq!(format_major(-1234, eur), "-12.34");
        assert_eq!(format_major(1200, jpy), "1200");
        assert_eq!(format_rate(1_085_000), "1.085");
        assert_eq!(format_rate(1_000_000), "1");
    }
}
