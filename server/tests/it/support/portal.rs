//! What the portal's emails carry.

use app::domain::portal;

/// The code in a code email's body: the line that is nothing but the code (the subject never
/// holds it).
pub fn code_in(text: &str) -> String {
    text.lines()
        .map(str::trim)
        .find(|line| {
            line.len() == portal::CODE_LEN
                && line
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        })
        .unwrap_or_else(|| panic!("no code in {text}"))
        .to_owned()
}
