//! How a server error reads on a screen: one table of sentences keyed by error code and field,
//! and a fallback for the rest that names fields as a person reads them and leaves out advice
//! meant for API clients. `AppError`'s `Display` keeps the API's wording: the REST door sends it.

use self::Words::{Built, Say};
use super::{AppError, ErrorCode};

/// The sentence a person reads for `e`: never a field path, a snake_case word or API advice.
pub fn sentence(e: &AppError) -> String {
    match e {
        AppError::Invalid { field, message } | AppError::Unprocessable { field, message } => {
            about_field(e.code(), field, message)
        }
        AppError::Conflict { code, message } | AppError::PaymentRefused { code, message } => {
            refusal(*code, message)
        }
        AppError::NotFound { what } => polished(&format!("this {what} was not found")),
        AppError::Unauthenticated => "Please sign in.".to_owned(),
        AppError::Forbidden { .. } => "Your role does not allow this.".to_owned(),
        AppError::Unavailable => {
            "The service is unavailable right now: try again in a moment.".to_owned()
        }
        // The transport's own words are for developers (a fetch error, a decoding error).
        AppError::Transport { .. } => {
            "Could not reach the server: check the connection and try again.".to_owned()
        }
        AppError::CrossOrigin
        | AppError::Banned { .. }
        | AppError::RateLimited { .. }
        | AppError::Internal => polished(&e.to_string()),
    }
}

/// A request field as a person reads it: `payment_method.number` is "Card number",
/// `expires_at` "Expiry", `embed_origins[2]` "Embed origin 3", `identities[3].value`
/// "Identity 4", `customer.tax_id` "Tax ID", `metadata[plan]` "Metadata “plan”".
pub fn field_words(field: &str) -> String {
    if let Some(label) = labelled(field) {
        return label.to_owned();
    }
    let parts = path_parts(field);
    let mut words: Vec<String> = Vec::new();
    let mut after_item = false;
    for (i, part) in parts.iter().enumerate() {
        let last = i + 1 == parts.len();
        let (name, key) = match part.split_once('[') {
            Some((name, key)) => (name, Some(key.trim_end_matches(']'))),
            None => (*part, None),
        };
        match key {
            // Lists count from one for people, and read as one item of the list.
            Some(n) if is_number(n) => {
                let n = n.parse::<usize>().map_or(1, |k| k.saturating_add(1));
                words.push(format!("{} {n}", one_of(name)));
                after_item = true;
            }
            Some(key) => {
                words.push(format!("{} “{key}”", label(name)));
                after_item = false;
            }
            // A plain parent only groups (`customer.email` is the email), and an item's
            // `value` is the item itself.
            None if last && !(after_item && name == "value") => words.push(label(name)),
            None => {}
        }
    }
    let joined: Vec<String> = words
        .iter()
        .enumerate()
        .map(|(i, w)| if i == 0 { w.clone() } else { in_sentence(w) })
        .collect();
    capitalised(&joined.join(" "))
}

/// How one known failure reads.
enum Words {
    /// This sentence, whatever the server's message says.
    Say(&'static str),
    /// A sentence made from the server's message (it holds what varies: an address, a count).
    Built(fn(&str) -> String),
}

const INVALID: ErrorCode = ErrorCode::ParameterInvalid;
const UNPROCESSABLE: ErrorCode = ErrorCode::ParameterUnprocessable;
const CARD: ErrorCode = ErrorCode::PaymentMethodInvalid;

/// The failures a person can meet in the dashboard and the portal, as sentences: the code,
/// the field (list positions as `[]`; a field inside an object may be named without it; empty
/// for any), how the server's message starts (empty for any), and the words. First match wins.
const KNOWN: &[(ErrorCode, &str, &str, Words)] = &[
    (
        INVALID,
        "request",
        "",
        Say("The page sent something the server could not read: reload it and try again."),
    ),
    (
        INVALID,
        "reason",
        "must not be empty",
        Say("Write a reason for the ban."),
    ),
    (
        INVALID,
        "reason",
        "choose a reason",
        Say("Choose a reason from the list."),
    ),
    (
        INVALID,
        "description",
        "must not be empty",
        Say("The description cannot be blank: write one, or leave the field empty."),
    ),
    (
        INVALID,
        "email",
        "must be an email address",
        Say("Enter an email address such as ada@example.com."),
    ),
    (
        INVALID,
        "support_email",
        "must be an email address",
        Say("Enter the support email as an address such as help@shop.example."),
    ),
    (
        INVALID,
        "country",
        "",
        Say("Enter the country as its two-letter code, such as DE or US."),
    ),
    (
        INVALID,
        "amount",
        "must be above zero",
        Say("Enter an amount above zero."),
    ),
    (
        INVALID,
        "password",
        "is not the password of",
        Built(that_is),
    ),
    (
        INVALID,
        "password",
        "wrong email or password",
        Say("Wrong email or password."),
    ),
    (
        INVALID,
        "slug",
        "another shop has this address",
        Say("Another shop has this portal address: choose another."),
    ),
    (
        INVALID,
        "confirm",
        "",
        Say("Confirm the erasure: it cannot be undone."),
    ),
    (
        INVALID,
        "identities",
        "name at least one",
        Say("Tick at least one identity to ban."),
    ),
    (
        INVALID,
        "event_types",
        "name at least one",
        Say("Choose at least one kind of event, or all events."),
    ),
    (
        INVALID,
        "scopes",
        "name at least one",
        Say("Choose at least one permission for the key."),
    ),
    (
        INVALID,
        "comment",
        "tell the shop",
        Say("Tell the shop the reason in a few words."),
    ),
    (
        INVALID,
        "since",
        "",
        Say("Choose the date and time to resend from."),
    ),
    (
        INVALID,
        "discord_user_id",
        "must be a Discord id",
        Say("A Discord user ID is 17 to 20 digits."),
    ),
    // A CSV file's column names are shown as the file must spell them.
    (INVALID, "header", "", Built(polished)),
    (UNPROCESSABLE, "header", "", Built(polished)),
    (
        UNPROCESSABLE,
        "expires_at",
        "must be in the future",
        Say("The ban must end in the future: pick a later day, or choose Permanent."),
    ),
    (
        UNPROCESSABLE,
        "expires_at",
        "give an expiry or permanent",
        Say("Choose an end date or Permanent, not both."),
    ),
    (
        UNPROCESSABLE,
        "identities[].value",
        "",
        Say(
            "Tick “Ban the whole range” to confirm so wide a range: it can shut out every customer of an internet provider.",
        ),
    ),
    (
        UNPROCESSABLE,
        "acknowledge_risk",
        "",
        Say(
            "Tick the box to accept the risk: the payer's bank may still reverse this payment after the refund.",
        ),
    ),
    (
        UNPROCESSABLE,
        "into",
        "is the customer itself",
        Say("Choose another customer: a customer cannot be merged into itself."),
    ),
    (
        UNPROCESSABLE,
        "created_to",
        "",
        Say("The end of the date range must not be before its start."),
    ),
    (
        UNPROCESSABLE,
        "portal_accent_color",
        "is too light",
        Built(too_light_from),
    ),
    (
        CARD,
        "payment_method.number",
        "",
        Say("That card number is not valid: check the digits and try again."),
    ),
    (
        CARD,
        "payment_method.iban",
        "",
        Say("That IBAN is not valid: check it and try again."),
    ),
    (
        CARD,
        "payment_method.email",
        "",
        Say("That wallet's email address is not valid: check it and try again."),
    ),
    (
        CARD,
        "",
        "",
        Say("That payment method is not valid: check it and try again."),
    ),
    (
        ErrorCode::VersionConflict,
        "",
        "",
        Say("Someone else changed this meanwhile: close and reopen it to see their version."),
    ),
    (
        ErrorCode::PaymentSuperseded,
        "",
        "",
        Say("Something else changed this at the same moment: reload the page and try again."),
    ),
    (
        ErrorCode::IdempotencyKeyReused,
        "",
        "",
        Say("This was sent twice: reload the page to see what happened, then try again."),
    ),
    (
        ErrorCode::IdempotencyKeyInFlight,
        "",
        "",
        Say("This is still being done: wait a moment, then reload the page."),
    ),
    (
        ErrorCode::IdempotencyKeySpent,
        "",
        "",
        Say("This was sent twice: reload the page to see what happened, then try again."),
    ),
];

/// Fields as people name them, by their path or their last part.
const LABELS: &[(&str, &str)] = &[
    ("payment_method.number", "Card number"),
    ("payment_method.iban", "IBAN"),
    ("payment_method.email", "Wallet email address"),
    ("payment_method", "Payment method"),
    ("expires_at", "Expiry"),
    ("external_id", "External ID"),
    ("tax_id", "Tax ID"),
    ("profile_url", "Profile URL"),
    ("url", "URL"),
    ("ip", "IP address"),
    ("slug", "Portal address"),
    ("portal_logo_url", "Logo address"),
    ("portal_accent_color", "Accent colour"),
    ("legal_name", "Legal name"),
    ("legal_address", "Business address"),
    ("support_email", "Support email"),
    ("embed_origins", "Sites that may embed the portal"),
    ("embed_origin", "Embedding site"),
    ("return_url", "Return address"),
    ("acknowledge_risk", "Risk confirmation"),
    ("confirm_wide_ranges", "Wide range confirmation"),
    ("event_types", "Events"),
    ("discord_user_id", "Discord user ID"),
    ("customer_note", "Customer note"),
    ("interval_count", "Billing interval count"),
    ("player_id_pattern", "Player ID pattern"),
    ("starting_after", "Next page"),
    ("ending_before", "Previous page"),
    ("customer_id", "Customer"),
    ("product_id", "Product"),
    ("request", "The request"),
    ("header", "Header row"),
];

/// One item of a list field, by the list's name.
const ITEMS: &[(&str, &str)] = &[
    ("identities", "Identity"),
    ("embed_origins", "Embed origin"),
    ("event_types", "Event type"),
    ("benefits", "Benefit"),
    ("commands", "Command"),
    ("ids", "Customer"),
];

/// A message that goes on from the field's name: "Reason must be at most 1000 characters".
const PREDICATES: &[&str] = &[
    "must", "is", "are", "was", "were", "has", "have", "holds", "cannot", "can", "covers", "needs",
    "only", "should", "does", "exceeds", "points", "contains", "may", "matches",
];

/// A message with its own subject: "The code has 6 letters and digits".
const SUBJECTS: &[&str] = &["the", "that", "this", "these", "another", "there"];

fn about_field(code: ErrorCode, field: &str, message: &str) -> String {
    let message = without_api_advice(message);
    match known(code, field, &message) {
        Some(Say(words)) => (*words).to_owned(),
        Some(Built(words)) => words(message.as_str()),
        None => fallback(field, &message),
    }
}

fn refusal(code: ErrorCode, message: &str) -> String {
    // Some refusals are written for the person already (the portal's card refusal).
    if reads_as_sentence(message) {
        return message.to_owned();
    }
    // A payment method's own field may lead the message: `payment_method.number: ...`.
    let (field, rest) = match message.split_once(": ") {
        Some((path, rest)) if is_field_path(path) => (path, rest),
        _ => ("", message),
    };
    let rest = without_api_advice(rest);
    match known(code, field, &rest) {
        Some(Say(words)) => (*words).to_owned(),
        Some(Built(words)) => words(rest.as_str()),
        None if field.is_empty() => polished(&plain_words(&rest)),
        None => fallback(field, &rest),
    }
}

fn known(code: ErrorCode, field: &str, message: &str) -> Option<&'static Words> {
    let shape = shape_of(field);
    let tail = shape
        .rsplit_once('.')
        .map_or(shape.as_str(), |(_, tail)| tail);
    KNOWN
        .iter()
        .find(|(c, f, starts, _)| {
            *c == code
                && (f.is_empty() || *f == shape || *f == tail)
                && message.starts_with(*starts)
        })
        .map(|(_, _, _, words)| words)
}

/// What no table entry names: the field's words and the message, as one sentence.
fn fallback(field: &str, message: &str) -> String {
    let message = plain_words(message);
    let first = message.split_whitespace().next().unwrap_or("");
    if field.is_empty() || SUBJECTS.contains(&first) {
        polished(&message)
    } else if PREDICATES.contains(&first) {
        polished(&format!("{} {message}", field_words(field)))
    } else {
        polished(&format!("{}: {message}", field_words(field)))
    }
}

fn that_is(message: &str) -> String {
    polished(&format!("that {message}"))
}

/// The sentence for an accent colour too light for white, with its contrast `ratio` as
/// [`super::colour::ratio_words`] writes it: the server's refusal and the settings page's
/// warning before saving read the same.
pub fn accent_too_light(ratio: &str) -> String {
    format!(
        "That accent colour is too light to read on white (contrast {ratio} to 1; it needs at least {} to 1). Choose a darker colour.",
        super::colour::MIN_CONTRAST_WITH_WHITE,
    )
}

/// [`accent_too_light`] from the server's message, whose first number is the ratio.
fn too_light_from(message: &str) -> String {
    let ratio = message
        .split_whitespace()
        .find(|word| word.starts_with(|c: char| c.is_ascii_digit()))
        .map_or("below 4.5", |word| word.trim_end_matches([',', ';', ':']));
    accent_too_light(ratio)
}

/// The message without parenthesised advice for API clients: "(send null to clear it)",
/// "(omit it for a permanent ban)". Other parentheses ("(17 to 20 digits)") stay.
fn without_api_advice(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(open) = rest.find('(') {
        let Some(len) = rest[open..].find(')') else {
            break;
        };
        let close = open + len;
        if is_api_advice(&rest[open + 1..close]) {
            out.push_str(rest[..open].trim_end());
        } else {
            out.push_str(&rest[..=close]);
        }
        rest = &rest[close + 1..];
    }
    out.push_str(rest);
    out
}

fn is_api_advice(text: &str) -> bool {
    const HINTS: [&str; 6] = [
        "null",
        "omit",
        "send ",
        "parameter",
        "minor unit",
        "idempotency",
    ];
    let lower = text.to_lowercase();
    HINTS.iter().any(|h| lower.contains(*h))
        || text.contains('`')
        || text
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .any(is_snake_word)
}

/// The message with the field names it mentions (`confirm_wide_ranges`, `customer.email`) in
/// words. Quoted values (a merchant's own external id, a file's column) stay as written.
fn plain_words(message: &str) -> String {
    let mut quoted = false;
    message
        .split(' ')
        .map(|token| {
            let in_quotes = quoted || token.contains('"');
            if token.matches('"').count() % 2 == 1 {
                quoted = !quoted;
            }
            let core =
                token.trim_matches(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ']'));
            if in_quotes || !is_field_path(core) {
                token.to_owned()
            } else {
                token.replacen(core, &in_sentence(&field_words(core)), 1)
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Whether `text` is a request field's path: `tax_id`, `payment_method.number`,
/// `identities[3].value`; not `shop.example`, nor an id such as `cus_01J`.
fn is_field_path(text: &str) -> bool {
    text.starts_with(|c: char| c.is_ascii_lowercase())
        && (text.contains('_') || text.contains('['))
        && text
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"_.[]".contains(&b))
        && path_parts(text).iter().all(|part| {
            let name = part.split('[').next().unwrap_or("");
            !name.is_empty() && name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
        })
}

fn is_snake_word(word: &str) -> bool {
    word.contains('_')
        && word
            .split('_')
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
}

fn is_number(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit())
}

/// The path's parts, split at dots outside brackets (a metadata key may hold a dot).
fn path_parts(field: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut depth = 0_u32;
    let mut start = 0;
    for (i, c) in field.char_indices() {
        match c {
            '[' => depth += 1,
            ']' => depth = depth.saturating_sub(1),
            '.' if depth == 0 => {
                parts.push(&field[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&field[start..]);
    parts
}

/// The field with list positions as `[]` and other keys as `[*]`: `identities[].value`.
fn shape_of(field: &str) -> String {
    let mut out = String::with_capacity(field.len());
    let mut rest = field;
    while let Some((before, after)) = rest.split_once('[') {
        out.push_str(before);
        let (key, after) = after.split_once(']').unwrap_or((after, ""));
        out.push_str(if is_number(key) { "[]" } else { "[*]" });
        rest = after;
    }
    out.push_str(rest);
    out
}

fn labelled(name: &str) -> Option<&'static str> {
    LABELS
        .iter()
        .find(|(field, _)| *field == name)
        .map(|(_, label)| *label)
}

/// One part's words: from [`LABELS`], or its snake_case in words (`id`, `url` as acronyms).
fn label(name: &str) -> String {
    if let Some(label) = labelled(name) {
        return label.to_owned();
    }
    let words: Vec<String> = name
        .split('_')
        .filter(|w| !w.is_empty())
        .map(|w| match w {
            "id" | "url" | "ip" | "iban" => w.to_uppercase(),
            other => other.to_owned(),
        })
        .collect();
    capitalised(&words.join(" "))
}

fn one_of(list: &str) -> String {
    match ITEMS.iter().find(|(name, _)| *name == list) {
        Some((_, item)) => (*item).to_owned(),
        None => label(list.strip_suffix('s').unwrap_or(list)),
    }
}

/// Words as they read inside a sentence: "External ID" becomes "external ID", "URL" stays.
fn in_sentence(words: &str) -> String {
    let mut chars = words.chars();
    match (chars.next(), chars.next()) {
        (Some(first), Some(second)) if !second.is_uppercase() => first
            .to_lowercase()
            .chain(words[first.len_utf8()..].chars())
            .collect(),
        _ => words.to_owned(),
    }
}

/// Whether a message was written for a person: a capital first, a full stop last.
fn reads_as_sentence(message: &str) -> bool {
    message.starts_with(char::is_uppercase) && message.ends_with(['.', '!', '?'])
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Capitalised (unless it opens with a value such as an email address or an id), with a full
/// stop (and no dangling colon) at the end.
fn polished(text: &str) -> String {
    let text = text.trim().trim_end_matches([':', ';', ',']).trim_end();
    let first = text.split_whitespace().next().unwrap_or("");
    let value = first.contains(|c: char| "@/_\"".contains(c) || c.is_ascii_digit());
    let mut out = if value {
        text.to_owned()
    } else {
        capitalised(text)
    };
    if !out.is_empty() && !out.ends_with(['.', '!', '?', '…']) {
        out.push('.');
    }
    out
}

#[cfg(test)]
mod tests;
