//! Field rules shared by every door: each failure names its field and what is expected.

use crate::types::contact::{Country, Email, HttpUrl, Phone};
use crate::types::customer::{METADATA_KEY_MAX, METADATA_MAX_PAIRS, METADATA_VALUE_MAX, Metadata};

use super::DomainError;

/// Trims `value`; empty after trimming is an error naming `field`; so is more than `max` chars
/// or a control character.
pub fn text(field: &str, value: &str, max: usize) -> Result<String, DomainError> {
    let v = value.trim();
    if v.is_empty() {
        return Err(DomainError::invalid(
            field,
            "must not be empty (send null to clear it)",
        ));
    }
    if v.chars().count() > max {
        return Err(DomainError::invalid(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    if v.chars().any(char::is_control) {
        return Err(DomainError::invalid(
            field,
            "must not contain control characters",
        ));
    }
    Ok(v.to_owned())
}

/// A syntactically valid email, trimmed and lower-cased (the form it is stored and matched in).
pub fn normalise_email(value: &str) -> Result<String, DomainError> {
    Email::parse(value)
        .map(Email::into_inner)
        .map_err(|m| DomainError::invalid("email", m))
}

/// An ISO 3166-1 alpha-2 country code in any case, returned upper-case.
pub fn country(value: &str) -> Result<String, DomainError> {
    Country::parse(value)
        .map(Country::into_inner)
        .map_err(|m| DomainError::invalid("country", m))
}

/// An IPv4 or IPv6 address, returned in its canonical form (an IPv4-mapped IPv6 address is
/// the IPv4 one it maps).
pub fn ip(field: &str, value: &str) -> Result<String, DomainError> {
    value
        .trim()
        .parse::<std::net::IpAddr>()
        .map(|a| a.to_canonical().to_string())
        .map_err(|_| DomainError::invalid(field, "must be an IPv4 or IPv6 address"))
}

/// An absolute http(s) URL.
pub fn http_url(field: &str, value: &str) -> Result<String, DomainError> {
    let v = text(field, value, HttpUrl::MAX)?;
    HttpUrl::parse(&v)
        .map(HttpUrl::into_inner)
        .map_err(|m| DomainError::invalid(field, m))
}

/// A phone number: digits with optional `+`, spaces, dots, dashes and parentheses.
pub fn phone(value: &str) -> Result<String, DomainError> {
    let v = text("phone", value, Phone::MAX)?;
    Phone::parse(&v)
        .map(Phone::into_inner)
        .map_err(|m| DomainError::invalid("phone", m))
}

/// Checks the metadata limits: at most 50 pairs, keys 1..=40 characters without `[` or `]`,
/// values at most 500 characters.
pub fn metadata(map: &Metadata) -> Result<(), DomainError> {
    if map.len() > METADATA_MAX_PAIRS {
        return Err(DomainError::invalid(
            "metadata",
            format!(
                "holds at most {METADATA_MAX_PAIRS} pairs; this has {}",
                map.len()
            ),
        ));
    }
    for (key, value) in map {
        let field = format!("metadata[{key}]");
        let len = key.chars().count();
        if len == 0 || len > METADATA_KEY_MAX {
            return Err(DomainError::invalid(
                field,
                format!("keys must be 1 to {METADATA_KEY_MAX} characters"),
            ));
        }
        if key.contains('[') || key.contains(']') {
            return Err(DomainError::invalid(field, "keys must not contain [ or ]"));
        }
        if value.chars().count() > METADATA_VALUE_MAX {
            return Err(DomainError::invalid(
                field,
                format!("values must be at most {METADATA_VALUE_MAX} characters"),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field_of(e: DomainError) -> String {
        match e {
            DomainError::Invalid { field, .. } => field,
            other => panic!("expected Invalid, got {other:?}"),
        }
    }

    #[test]
    fn emails_are_trimmed_lower_cased_and_checked() {
        assert_eq!(
            normalise_email("  Ada@Example.COM ").unwrap(),
            "ada@example.com"
        );
        assert_eq!(field_of(normalise_email("ada@").unwrap_err()), "email");
        assert_eq!(
            field_of(normalise_email("no-at-sign").unwrap_err()),
            "email"
        );
    }

    #[test]
    fn countries_must_exist() {
        assert_eq!(country("de").unwrap(), "DE");
        assert_eq!(field_of(country("XX").unwrap_err()), "country");
        assert_eq!(field_of(country("DEU").unwrap_err()), "country");
    }

    #[test]
    fn an_address_is_stored_canonical() {
        assert_eq!(ip("ip", " ::ffff:203.0.113.7 ").unwrap(), "203.0.113.7");
        assert_eq!(ip("ip", "2001:DB8::1").unwrap(), "2001:db8::1");
        assert_eq!(field_of(ip("ip", "203.0.113").unwrap_err()), "ip");
    }

    #[test]
    fn metadata_limits_name_the_offending_key() {
        let mut m = Metadata::new();
        m.insert("plan".into(), "pro".into());
        assert!(metadata(&m).is_ok());
        m.insert("bad[key]".into(), "x".into());
        assert_eq!(field_of(metadata(&m).unwrap_err()), "metadata[bad[key]]");
        m.remove("bad[key]");
        m.insert("k".repeat(41), "x".into());
        assert!(metadata(&m).is_err());
        m.remove(&"k".repeat(41));
        m.insert("long".into(), "v".repeat(501));
        assert_eq!(field_of(metadata(&m).unwrap_err()), "metadata[long]");
        let fifty_one: Metadata = (0..51).map(|i| (format!("k{i}"), "v".into())).collect();
        assert_eq!(field_of(metadata(&fifty_one).unwrap_err()), "metadata");
        let fifty: Metadata = (0..50).map(|i| (format!("k{i}"), "v".into())).collect();
        assert!(metadata(&fifty).is_ok());
    }

    #[test]
    fn other_fields_reject_what_they_cannot_store() {
        assert_eq!(field_of(text("name", "   ", 10).unwrap_err()), "name");
        assert_eq!(field_of(text("name", "x\u{7}y", 10).unwrap_err()), "name");
        assert_eq!(
            field_of(http_url("profile_url", "ftp://x.io").unwrap_err()),
            "profile_url"
        );
        assert_eq!(field_of(phone("call me").unwrap_err()), "phone");
        assert_eq!(phone("+49 (30) 123-45").unwrap(), "+49 (30) 123-45");
    }
}
