//! The seller's details a workspace prints on every receipt (legal name, postal address, tax
//! id, support address): each checked and put in the form it is stored in; an empty value
//! clears it.

use crate::domain::DomainError;
use crate::types::contact::Email;
use crate::types::workspace::{LEGAL_ADDRESS_LINES, LEGAL_ADDRESS_MAX, LEGAL_NAME_MAX, TAX_ID_MAX};

/// The legal name, trimmed, at most [`LEGAL_NAME_MAX`] characters on one line; `None` clears it.
pub(super) fn checked_legal_name(raw: &str) -> Result<Option<String>, DomainError> {
    let name = raw.trim();
    if name.is_empty() {
        return Ok(None);
    }
    if name.chars().count() > LEGAL_NAME_MAX {
        return Err(DomainError::invalid(
            "legal_name",
            format!("must be at most {LEGAL_NAME_MAX} characters"),
        ));
    }
    if name.chars().any(char::is_control) {
        return Err(DomainError::invalid(
            "legal_name",
            "must be one line without control characters",
        ));
    }
    Ok(Some(name.to_owned()))
}

/// The postal address with each line trimmed and blank lines left out: at most
/// [`LEGAL_ADDRESS_LINES`] lines and [`LEGAL_ADDRESS_MAX`] characters, stored with `\n`
/// between lines; `None` clears it.
pub(super) fn checked_legal_address(raw: &str) -> Result<Option<String>, DomainError> {
    let lines: Vec<&str> = raw
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    if lines.is_empty() {
        return Ok(None);
    }
    if lines.iter().any(|l| l.chars().any(char::is_control)) {
        return Err(DomainError::invalid(
            "legal_address",
            "must not contain control characters other than line breaks",
        ));
    }
    if lines.len() > LEGAL_ADDRESS_LINES {
        return Err(DomainError::invalid(
            "legal_address",
            format!("must be at most {LEGAL_ADDRESS_LINES} lines"),
        ));
    }
    let address = lines.join("\n");
    if address.chars().count() > LEGAL_ADDRESS_MAX {
        return Err(DomainError::invalid(
            "legal_address",
            format!("must be at most {LEGAL_ADDRESS_MAX} characters"),
        ));
    }
    Ok(Some(address))
}

/// The tax id (a VAT number such as `GB 123 4567 89`, `DE123456789`), trimmed: at most
/// [`TAX_ID_MAX`] letters, digits, spaces, dashes, dots and slashes; `None` clears it.
pub(super) fn checked_tax_id(raw: &str) -> Result<Option<String>, DomainError> {
    let id = raw.trim();
    if id.is_empty() {
        return Ok(None);
    }
    if id.chars().count() > TAX_ID_MAX {
        return Err(DomainError::invalid(
            "tax_id",
            format!("must be at most {TAX_ID_MAX} characters"),
        ));
    }
    if !id
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || " -./".contains(c))
    {
        return Err(DomainError::invalid(
            "tax_id",
            "may hold only letters, digits, spaces, dashes, dots and slashes",
        ));
    }
    Ok(Some(id.to_owned()))
}

/// The support address, trimmed and lower-cased as every email address is; `None` clears it.
pub(super) fn checked_support_email(raw: &str) -> Result<Option<String>, DomainError> {
    if raw.trim().is_empty() {
        return Ok(None);
    }
    Email::parse(raw)
        .map(|e| Some(e.into_inner()))
        .map_err(|m| DomainError::invalid("support_email", m))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field_of(e: DomainError) -> String {
        match e {
            DomainError::Invalid { field, .. } => field,
            other => panic!("expected an invalid field, got {other:?}"),
        }
    }

    #[test]
    fn empty_details_clear_and_others_are_stored_tidied() {
        for clear in ["", "   "] {
            assert_eq!(checked_legal_name(clear).unwrap(), None);
            assert_eq!(checked_tax_id(clear).unwrap(), None);
            assert_eq!(checked_support_email(clear).unwrap(), None);
        }
        assert_eq!(checked_legal_address(" \n \r\n ").unwrap(), None);
        assert_eq!(
            checked_legal_name("  Northwind Games Ltd ")
                .unwrap()
                .as_deref(),
            Some("Northwind Games Ltd")
        );
        assert_eq!(
            checked_legal_address(" 1 Harbour Street \r\n\r\n Bristol BS1 4AA\nUnited Kingdom ")
                .unwrap()
                .as_deref(),
            Some("1 Harbour Street\nBristol BS1 4AA\nUnited Kingdom")
        );
        assert_eq!(
            checked_tax_id(" GB 123/456-78.9 ").unwrap().as_deref(),
            Some("GB 123/456-78.9")
        );
        assert_eq!(
            checked_support_email(" Help@Shop.Example ")
                .unwrap()
                .as_deref(),
            Some("help@shop.example")
        );
    }

    #[test]
    fn details_past_their_limits_name_their_field() {
        let name = |raw: &str| field_of(checked_legal_name(raw).unwrap_err());
        assert_eq!(name(&"n".repeat(LEGAL_NAME_MAX + 1)), "legal_name");
        assert!(checked_legal_name(&"n".repeat(LEGAL_NAME_MAX)).is_ok());
        assert_eq!(name("Two\nlines"), "legal_name");

        let address = |raw: &str| field_of(checked_legal_address(raw).unwrap_err());
        let seven = (1..=7).map(|i| format!("Line {i}")).collect::<Vec<_>>();
        assert_eq!(address(&seven.join("\n")), "legal_address");
        assert!(checked_legal_address(&seven[..6].join("\n")).is_ok());
        assert_eq!(address(&"a".repeat(LEGAL_ADDRESS_MAX + 1)), "legal_address");
        assert_eq!(address("A tab\there"), "legal_address");

        let tax = |raw: &str| field_of(checked_tax_id(raw).unwrap_err());
        assert_eq!(tax(&"1".repeat(60)), "tax_id");
        assert!(checked_tax_id(&"1".repeat(TAX_ID_MAX)).is_ok());
        for bad in ["GB#123", "DE_123", "ÄB123"] {
            assert_eq!(tax(bad), "tax_id", "{bad}");
        }

        assert_eq!(
            field_of(checked_support_email("not-an-email").unwrap_err()),
            "support_email"
        );
    }
}
