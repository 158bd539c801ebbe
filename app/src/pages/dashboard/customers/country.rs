//! The country filter's words: a country as the field shows and suggests it ("Germany (DE)"),
//! the code a typed or picked text names, and the suggestions themselves. The address holds
//! the ISO code alone (`country=DE`).

use leptos::prelude::*;

use crate::types::contact::{COUNTRY_NAMES, country_name};

/// The id of the list the country field suggests from.
pub(super) const COUNTRY_OPTIONS: &str = "country-options";

/// What the field says when its text names no country.
pub(super) const NO_SUCH_COUNTRY: &str =
    "No country goes by that name: pick one of the suggestions, or type a code such as DE.";

/// A country as the field shows and suggests it: "Germany (DE)".
fn label(code: &str, name: &str) -> String {
    format!("{name} ({code})")
}

/// The code a typed or picked text names, in any case: "Germany (DE)", "germany" and "de" all
/// name `DE`. `None`: the text names no country.
pub(super) fn code_of(text: &str) -> Option<&'static str> {
    let text = text.trim();
    // "Name (XX)", as a suggestion puts it: the code in the brackets decides.
    let code = text
        .strip_suffix(')')
        .and_then(|t| t.rsplit_once('('))
        .map_or(text, |(_, code)| code.trim());
    let name = text.to_lowercase();
    COUNTRY_NAMES
        .iter()
        .find(|(c, n)| c.eq_ignore_ascii_case(code) || n.to_lowercase() == name)
        .map(|(c, _)| *c)
}

/// The address's `country` for the field's text: `""` (any country) when it is blank, `None`
/// when it names no country.
pub(super) fn chosen(text: &str) -> Option<&'static str> {
    if text.trim().is_empty() {
        Some("")
    } else {
        code_of(text)
    }
}

/// The field's text for the address's `country`: "Germany (DE)", or the text itself when it
/// names no country.
pub(super) fn shown(text: &str) -> String {
    match code_of(text).and_then(|c| country_name(c).map(|n| (c, n))) {
        Some((code, name)) => label(code, name),
        None => text.to_owned(),
    }
}

/// The code of a suggestion the field now holds word for word: picking one applies at once,
/// while typing "De" on the way to "Denmark" applies nothing.
pub(super) fn picked(text: &str) -> Option<&'static str> {
    code_of(text).filter(|c| shown(c) == text.trim())
}

/// The suggestions: every country by name, each as "Name (XX)".
#[component]
pub(super) fn CountryOptions() -> impl IntoView {
    let mut countries = COUNTRY_NAMES.to_vec();
    // "Åland Islands" among the A's.
    countries.sort_by_key(|(_, name)| name.replace('Å', "A").to_lowercase());
    view! {
        <datalist id=COUNTRY_OPTIONS>
            {countries
                .into_iter()
                .map(|(code, name)| view! { <option value=label(code, name)></option> })
                .collect_view()}
        </datalist>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_a_code_or_a_suggestion_names_the_country() {
        for text in ["Germany (DE)", " germany ", "de", "DE"] {
            assert_eq!(code_of(text), Some("DE"), "{text}");
        }
        assert_eq!(code_of("Atlantis"), None);
        assert_eq!(chosen("  "), Some(""));
        assert_eq!(shown("de"), "Germany (DE)");
        assert_eq!(shown("XX"), "XX");
        // Only a suggestion word for word applies while typing: "De" may become "Denmark".
        assert_eq!(picked("Germany (DE)"), Some("DE"));
        assert_eq!(picked("De"), None);
    }
}
