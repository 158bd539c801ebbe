//! Contact values that carry their own rules: an email address, a phone number, a country and
//! a web address. One definition each: the check every door runs (`domain::validate` calls
//! these) and, with `ssr`, the schema the REST document publishes for the fields that hold one.

use serde::{Deserialize, Serialize};

/// An email address, trimmed and lower-cased: the form it is stored and matched in.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Email(String);

impl Email {
    /// The longest address, in characters.
    pub const MAX: usize = 254;

    /// Reads an address as typed; refuses what is not one.
    #[cfg(feature = "ssr")]
    pub fn parse(text: &str) -> Result<Self, &'static str> {
        let v = text.trim().to_lowercase();
        if v.chars().count() > Self::MAX || !email_address::EmailAddress::is_valid(&v) {
            return Err("must be an email address such as ada@example.com");
        }
        Ok(Self(v))
    }

    /// The address.
    pub fn into_inner(self) -> String {
        self.0
    }
}

/// A phone number: digits with optional `+`, spaces, dots, dashes and parentheses, at least
/// three digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Phone(String);

impl Phone {
    /// The longest number, in characters.
    pub const MAX: usize = 40;

    /// Reads a number (already trimmed, at most [`Phone::MAX`] characters).
    pub fn parse(text: &str) -> Result<Self, &'static str> {
        let ok = text
            .chars()
            .all(|c| c.is_ascii_digit() || " +-.()".contains(c))
            && text.chars().filter(char::is_ascii_digit).count() >= 3;
        if ok {
            Ok(Self(text.to_owned()))
        } else {
            Err("must be a phone number such as +49 30 1234567")
        }
    }

    /// The number.
    pub fn into_inner(self) -> String {
        self.0
    }
}

/// An ISO 3166-1 alpha-2 country code, upper case.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Country(String);

impl Country {
    /// Reads a code in any case.
    #[cfg(feature = "ssr")]
    pub fn parse(text: &str) -> Result<Self, &'static str> {
        let v = text.trim().to_ascii_uppercase();
        if isocountry::CountryCode::for_alpha2(&v).is_err() {
            return Err("must be an ISO 3166-1 alpha-2 country code such as DE or US");
        }
        Ok(Self(v))
    }

    /// The code.
    pub fn into_inner(self) -> String {
        self.0
    }
}

/// Every ISO 3166-1 alpha-2 code with the country's short English name, by code: what the
/// dashboard suggests and shows. The codes are those `Country::parse` accepts (a test keeps
/// them equal); a name never holds brackets, so "Germany (DE)" reads back unambiguously.
pub static COUNTRY_NAMES: [(&str, &str); 249] = [
    ("AD", "Andorra"),
    ("AE", "United Arab Emirates"),
    ("AF", "Afghanistan"),
    ("AG", "Antigua and Barbuda"),
    ("AI", "Anguilla"),
    ("AL", "Albania"),
    ("AM", "Armenia"),
    ("AO", "Angola"),
    ("AQ", "Antarctica"),
    ("AR", "Argentina"),
    ("AS", "American Samoa"),
    ("AT", "Austria"),
    ("AU", "Australia"),
    ("AW", "Aruba"),
    ("AX", "Åland Islands"),
    ("AZ", "Azerbaijan"),
    ("BA", "Bosnia and Herzegovina"),
    ("BB", "Barbados"),
    ("BD", "Bangladesh"),
    ("BE", "Belgium"),
    ("BF", "Burkina Faso"),
    ("BG", "Bulgaria"),
    ("BH", "Bahrain"),
    ("BI", "Burundi"),
    ("BJ", "Benin"),
    ("BL", "Saint Barthélemy"),
    ("BM", "Bermuda"),
    ("BN", "Brunei"),
    ("BO", "Bolivia"),
    ("BQ", "Caribbean Netherlands"),
    ("BR", "Brazil"),
    ("BS", "Bahamas"),
    ("BT", "Bhutan"),
    ("BV", "Bouvet Island"),
    ("BW", "Botswana"),
    ("BY", "Belarus"),
    ("BZ", "Belize"),
    ("CA", "Canada"),
    ("CC", "Cocos Islands"),
    ("CD", "DR Congo"),
    ("CF", "Central African Republic"),
    ("CG", "Congo"),
    ("CH", "Switzerland"),
    ("CI", "Côte d’Ivoire"),
    ("CK", "Cook Islands"),
    ("CL", "Chile"),
    ("CM", "Cameroon"),
    ("CN", "China"),
    ("CO", "Colombia"),
    ("CR", "Costa Rica"),
    ("CU", "Cuba"),
    ("CV", "Cabo Verde"),
    ("CW", "Curaçao"),
    ("CX", "Christmas Island"),
    ("CY", "Cyprus"),
    ("CZ", "Czechia"),
    ("DE", "Germany"),
    ("DJ", "Djibouti"),
    ("DK", "Denmark"),
    ("DM", "Dominica"),
    ("DO", "Dominican Republic"),
    ("DZ", "Algeria"),
    ("EC", "Ecuador"),
    ("EE", "Estonia"),
    ("EG", "Egypt"),
    ("EH", "Western Sahara"),
    ("ER", "Eritrea"),
    ("ES", "Spain"),
    ("ET", "Ethiopia"),
    ("FI", "Finland"),
    ("FJ", "Fiji"),
    ("FK", "Falkland Islands"),
    ("FM", "Micronesia"),
    ("FO", "Faroe Islands"),
    ("FR", "France"),
    ("GA", "Gabon"),
    ("GB", "United Kingdom"),
    ("GD", "Grenada"),
    ("GE", "Georgia"),
    ("GF", "French Guiana"),
    ("GG", "Guernsey"),
    ("GH", "Ghana"),
    ("GI", "Gibraltar"),
    ("GL", "Greenland"),
    ("GM", "Gambia"),
    ("GN", "Guinea"),
    ("GP", "Guadeloupe"),
    ("GQ", "Equatorial Guinea"),
    ("GR", "Greece"),
    ("GS", "South Georgia and the South Sandwich Islands"),
    ("GT", "Guatemala"),
    ("GU", "Guam"),
    ("GW", "Guinea-Bissau"),
    ("GY", "Guyana"),
    ("HK", "Hong Kong"),
    ("HM", "Heard and McDonald Islands"),
    ("HN", "Honduras"),
    ("HR", "Croatia"),
    ("HT", "Haiti"),
    ("HU", "Hungary"),
    ("ID", "Indonesia"),
    ("IE", "Ireland"),
    ("IL", "Israel"),
    ("IM", "Isle of Man"),
    ("IN", "India"),
    ("IO", "British Indian Ocean Territory"),
    ("IQ", "Iraq"),
    ("IR", "Iran"),
    ("IS", "Iceland"),
    ("IT", "Italy"),
    ("JE", "Jersey"),
    ("JM", "Jamaica"),
    ("JO", "Jordan"),
    ("JP", "Japan"),
    ("KE", "Kenya"),
    ("KG", "Kyrgyzstan"),
    ("KH", "Cambodia"),
    ("KI", "Kiribati"),
    ("KM", "Comoros"),
    ("KN", "Saint Kitts and Nevis"),
    ("KP", "North Korea"),
    ("KR", "South Korea"),
    ("KW", "Kuwait"),
    ("KY", "Cayman Islands"),
    ("KZ", "Kazakhstan"),
    ("LA", "Laos"),
    ("LB", "Lebanon"),
    ("LC", "Saint Lucia"),
    ("LI", "Liechtenstein"),
    ("LK", "Sri Lanka"),
    ("LR", "Liberia"),
    ("LS", "Lesotho"),
    ("LT", "Lithuania"),
    ("LU", "Luxembourg"),
    ("LV", "Latvia"),
    ("LY", "Libya"),
    ("MA", "Morocco"),
    ("MC", "Monaco"),
    ("MD", "Moldova"),
    ("ME", "Montenegro"),
    ("MF", "Saint Martin"),
    ("MG", "Madagascar"),
    ("MH", "Marshall Islands"),
    ("MK", "North Macedonia"),
    ("ML", "Mali"),
    ("MM", "Myanmar"),
    ("MN", "Mongolia"),
    ("MO", "Macao"),
    ("MP", "Northern Mariana Islands"),
    ("MQ", "Martinique"),
    ("MR", "Mauritania"),
    ("MS", "Montserrat"),
    ("MT", "Malta"),
    ("MU", "Mauritius"),
    ("MV", "Maldives"),
    ("MW", "Malawi"),
    ("MX", "Mexico"),
    ("MY", "Malaysia"),
    ("MZ", "Mozambique"),
    ("NA", "Namibia"),
    ("NC", "New Caledonia"),
    ("NE", "Niger"),
    ("NF", "Norfolk Island"),
    ("NG", "Nigeria"),
    ("NI", "Nicaragua"),
    ("NL", "Netherlands"),
    ("NO", "Norway"),
    ("NP", "Nepal"),
    ("NR", "Nauru"),
    ("NU", "Niue"),
    ("NZ", "New Zealand"),
    ("OM", "Oman"),
    ("PA", "Panama"),
    ("PE", "Peru"),
    ("PF", "French Polynesia"),
    ("PG", "Papua New Guinea"),
    ("PH", "Philippines"),
    ("PK", "Pakistan"),
    ("PL", "Poland"),
    ("PM", "Saint Pierre and Miquelon"),
    ("PN", "Pitcairn Islands"),
    ("PR", "Puerto Rico"),
    ("PS", "Palestine"),
    ("PT", "Portugal"),
    ("PW", "Palau"),
    ("PY", "Paraguay"),
    ("QA", "Qatar"),
    ("RE", "Réunion"),
    ("RO", "Romania"),
    ("RS", "Serbia"),
    ("RU", "Russia"),
    ("RW", "Rwanda"),
    ("SA", "Saudi Arabia"),
    ("SB", "Solomon Islands"),
    ("SC", "Seychelles"),
    ("SD", "Sudan"),
    ("SE", "Sweden"),
    ("SG", "Singapore"),
    ("SH", "Saint Helena"),
    ("SI", "Slovenia"),
    ("SJ", "Svalbard and Jan Mayen"),
    ("SK", "Slovakia"),
    ("SL", "Sierra Leone"),
    ("SM", "San Marino"),
    ("SN", "Senegal"),
    ("SO", "Somalia"),
    ("SR", "Suriname"),
    ("SS", "South Sudan"),
    ("ST", "Sao Tome and Principe"),
    ("SV", "El Salvador"),
    ("SX", "Sint Maarten"),
    ("SY", "Syria"),
    ("SZ", "Eswatini"),
    ("TC", "Turks and Caicos Islands"),
    ("TD", "Chad"),
    ("TF", "French Southern Territories"),
    ("TG", "Togo"),
    ("TH", "Thailand"),
    ("TJ", "Tajikistan"),
    ("TK", "Tokelau"),
    ("TL", "Timor-Leste"),
    ("TM", "Turkmenistan"),
    ("TN", "Tunisia"),
    ("TO", "Tonga"),
    ("TR", "Turkey"),
    ("TT", "Trinidad and Tobago"),
    ("TV", "Tuvalu"),
    ("TW", "Taiwan"),
    ("TZ", "Tanzania"),
    ("UA", "Ukraine"),
    ("UG", "Uganda"),
    ("UM", "U.S. Outlying Islands"),
    ("US", "United States"),
    ("UY", "Uruguay"),
    ("UZ", "Uzbekistan"),
    ("VA", "Vatican City"),
    ("VC", "Saint Vincent and the Grenadines"),
    ("VE", "Venezuela"),
    ("VG", "British Virgin Islands"),
    ("VI", "U.S. Virgin Islands"),
    ("VN", "Vietnam"),
    ("VU", "Vanuatu"),
    ("WF", "Wallis and Futuna"),
    ("WS", "Samoa"),
    ("YE", "Yemen"),
    ("YT", "Mayotte"),
    ("ZA", "South Africa"),
    ("ZM", "Zambia"),
    ("ZW", "Zimbabwe"),
];

/// The short English name of a country code, in any case: `Some("Germany")` for `de`.
pub fn country_name(code: &str) -> Option<&'static str> {
    let code = code.trim();
    COUNTRY_NAMES
        .iter()
        .find(|(c, _)| c.eq_ignore_ascii_case(code))
        .map(|(_, name)| *name)
}

/// An absolute `http://` or `https://` address with a host.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct HttpUrl(String);

impl HttpUrl {
    /// The longest address, in characters.
    pub const MAX: usize = 2048;

    /// Reads an address (already trimmed, at most [`HttpUrl::MAX`] characters).
    #[cfg(feature = "ssr")]
    pub fn parse(text: &str) -> Result<Self, &'static str> {
        match url::Url::parse(text) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.host_str().is_some() => {
                Ok(Self(text.to_owned()))
            }
            _ => Err("must be an http:// or https:// address"),
        }
    }

    /// The address.
    pub fn into_inner(self) -> String {
        self.0
    }
}

#[cfg(feature = "ssr")]
mod schemas {
    use utoipa::openapi::RefOr;
    use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, Schema, SchemaFormat, Type};
    use utoipa::{PartialSchema, ToSchema};

    use super::{Country, Email, HttpUrl, Phone};
    use crate::types::schema::HTTP_URL;

    fn string() -> ObjectBuilder {
        ObjectBuilder::new().schema_type(Type::String)
    }

    fn max(n: usize) -> Option<usize> {
        Some(n)
    }

    impl PartialSchema for Email {
        fn schema() -> RefOr<Schema> {
            string()
                .format(Some(SchemaFormat::KnownFormat(KnownFormat::Email)))
                .max_length(max(Email::MAX))
                .description(Some(
                    "An email address such as ada@example.com; stored lower-cased",
                ))
                .into()
        }
    }

    impl ToSchema for Email {}

    impl PartialSchema for Phone {
        fn schema() -> RefOr<Schema> {
            string()
                .pattern(Some(r"^[ +().-]*([0-9][ +().-]*){3,}$"))
                .max_length(max(Phone::MAX))
                .description(Some("A phone number such as +49 30 1234567"))
                .into()
        }
    }

    impl ToSchema for Phone {}

    impl PartialSchema for Country {
        fn schema() -> RefOr<Schema> {
            string()
                .enum_values(Some(isocountry::CountryCode::iter().map(|c| c.alpha2())))
                .description(Some("An ISO 3166-1 alpha-2 country code such as DE"))
                .into()
        }
    }

    impl ToSchema for Country {}

    impl PartialSchema for HttpUrl {
        fn schema() -> RefOr<Schema> {
            string()
                .pattern(Some(HTTP_URL))
                .max_length(max(HttpUrl::MAX))
                .description(Some("An http:// or https:// address"))
                .into()
        }
    }

    impl ToSchema for HttpUrl {}
}

/// Mail providers that deliver `a.b+tag@` to `ab@`: dots and plus-tags are dropped.
pub const DOTS_AND_TAGS: [&str; 2] = ["gmail.com", "googlemail.com"];
/// Providers that deliver `a+tag@` to `a@`.
pub const TAGS: [&str; 8] = [
    "outlook.com",
    "hotmail.com",
    "live.com",
    "icloud.com",
    "me.com",
    "fastmail.com",
    "proton.me",
    "protonmail.com",
];

/// The mailbox an address reaches: lower-cased; for providers that ignore them, without dots
/// (Gmail) and plus-tags, and `googlemail.com` as `gmail.com`.
pub fn canonical_email(email: &str) -> String {
    let e = email.trim().to_lowercase();
    let Some((local, domain)) = e.rsplit_once('@') else {
        return e;
    };
    if DOTS_AND_TAGS.contains(&domain) {
        let local = local.split('+').next().unwrap_or(local).replace('.', "");
        format!("{local}@gmail.com")
    } else if TAGS.contains(&domain) {
        let local = local.split('+').next().unwrap_or(local);
        format!("{local}@{domain}")
    } else {
        e
    }
}

/// A name as compared: trimmed, inner runs of spaces as one, lower-cased.
pub fn canonical_name(name: &str) -> String {
    name.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;

    #[test]
    fn each_value_reads_its_own_form() {
        assert_eq!(
            Email::parse(" Ada@Example.COM ").unwrap().into_inner(),
            "ada@example.com"
        );
        assert!(Email::parse("ada@").is_err());
        assert_eq!(Country::parse("de").unwrap().into_inner(), "DE");
        assert!(Country::parse("XX").is_err());
        assert!(Phone::parse("+49 (30) 123-45.67").is_ok());
        assert!(Phone::parse("12").is_err());
        assert!(Phone::parse("call me").is_err());
        assert!(HttpUrl::parse("https://shop.example/a").is_ok());
        assert!(HttpUrl::parse("ftp://shop.example").is_err());
    }

    #[test]
    fn every_country_code_has_a_name_and_no_name_is_made_up() {
        use std::collections::BTreeSet;
        let known: BTreeSet<&str> = isocountry::CountryCode::iter()
            .map(|c| c.alpha2())
            .collect();
        let named: BTreeSet<&str> = COUNTRY_NAMES.iter().map(|(code, _)| *code).collect();
        assert_eq!(named, known);
        assert_eq!(named.len(), COUNTRY_NAMES.len(), "a code is named twice");
        assert!(
            COUNTRY_NAMES
                .iter()
                .all(|(_, name)| !name.contains(['(', ')']))
        );
        assert_eq!(country_name(" de "), Some("Germany"));
        assert_eq!(country_name("XX"), None);
    }
}
