//! The sentences of [`super`]: the failures people met, and what the fallback never shows.

use super::*;

fn invalid(field: &str, message: &str) -> AppError {
    AppError::Invalid {
        field: field.into(),
        message: message.into(),
    }
}

fn unprocessable(field: &str, message: &str) -> AppError {
    AppError::Unprocessable {
        field: field.into(),
        message: message.into(),
    }
}

/// The four failures issue 36 names, as the server sends them today.
#[test]
fn the_failures_people_met_read_as_sentences() {
    let card = AppError::PaymentRefused {
        code: ErrorCode::PaymentMethodInvalid,
        message: "payment_method.number: is not a valid card number".into(),
    };
    assert_eq!(
        sentence(&card),
        "That card number is not valid: check the digits and try again."
    );
    assert_eq!(
        sentence(&invalid(
            "reason",
            "must not be empty (send null to clear it)"
        )),
        "Write a reason for the ban."
    );
    assert_eq!(
        sentence(&unprocessable(
            "expires_at",
            "must be in the future (omit it for a permanent ban)"
        )),
        "The ban must end in the future: pick a later day, or choose Permanent."
    );
    assert_eq!(
        sentence(&invalid(
            "description",
            "must not be empty (send null to clear it)"
        )),
        "The description cannot be blank: write one, or leave the field empty."
    );
}

#[test]
fn fields_read_as_people_name_them() {
    assert_eq!(field_words("payment_method.number"), "Card number");
    assert_eq!(field_words("expires_at"), "Expiry");
    assert_eq!(field_words("embed_origins[2]"), "Embed origin 3");
    assert_eq!(field_words("identities[3].value"), "Identity 4");
    assert_eq!(field_words("customer.tax_id"), "Tax ID");
    assert_eq!(field_words("metadata[plan]"), "Metadata “plan”");
    assert_eq!(
        field_words("filters.subscription_status"),
        "Subscription status"
    );
    assert_eq!(field_words("benefits[0].player_id"), "Benefit 1 player ID");
}

/// A field path left in the words: dot-separated lower-case names (`customer.email`).
fn has_dot_path(text: &str) -> bool {
    text.split_whitespace().any(|token| {
        let core = token.trim_matches(|c: char| !(c.is_ascii_alphanumeric() || c == '_'));
        core.contains('.')
            && core.split('.').all(|part| {
                !part.is_empty()
                    && part.bytes().all(|b| {
                        b.is_ascii_lowercase() || b.is_ascii_digit() || b"_[]".contains(&b)
                    })
            })
    })
}

#[test]
fn the_fallback_never_shows_paths_snake_case_or_api_advice() {
    let cases = [
        invalid(
            "profile_url",
            "must be an http:// or https:// address (send null to clear it)",
        ),
        invalid(
            "customer.tax_id",
            "must not be empty (send null to clear it)",
        ),
        invalid(
            "embed_origins[2]",
            "must be https:// (http:// only for localhost or a loopback address): \"http://shop\"",
        ),
        unprocessable("ending_before", "cannot be combined with starting_after"),
        invalid(
            "foo_bar.baz_qux[3]",
            "must be short (leave the parameter out instead)",
        ),
        invalid(
            "identities[0].value",
            "must be an email address such as ada@example.com",
        ),
        invalid("metadata[plan]", "values must be at most 500 characters"),
        unprocessable(
            "customer",
            "give customer_id, or customer with an external_id or email",
        ),
        AppError::Conflict {
            code: ErrorCode::SubscriptionChanged,
            message: "the subscription changed meanwhile; reload it and try again".into(),
        },
        AppError::PaymentRefused {
            code: ErrorCode::PaymentMethodInvalid,
            message: "payment_method.cvc_code: is missing".into(),
        },
    ];
    for e in &cases {
        let s = sentence(e);
        assert!(!s.contains('_'), "{s}");
        assert!(!has_dot_path(&s), "{s}");
        for hint in ["null", "omit", "parameter", "(send", "(leave"] {
            assert!(!s.contains(hint), "{s}");
        }
        assert!(s.starts_with(char::is_uppercase), "{s}");
        assert!(s.ends_with('.'), "{s}");
    }
    assert_eq!(
        sentence(&cases[0]),
        "Profile URL must be an http:// or https:// address."
    );
    assert_eq!(sentence(&cases[1]), "Tax ID must not be empty.");
    assert_eq!(
        sentence(&cases[2]),
        "Embed origin 3 must be https:// (http:// only for localhost or a loopback address): \"http://shop\"."
    );
    assert_eq!(
        sentence(&cases[3]),
        "Previous page cannot be combined with next page."
    );
    assert_eq!(sentence(&cases[4]), "Baz qux 4 must be short.");
    assert_eq!(
        sentence(&cases[6]),
        "Metadata “plan”: values must be at most 500 characters."
    );
    assert_eq!(
        sentence(&cases[7]),
        "Customer: give customer, or customer with an external ID or email."
    );
}

#[test]
fn quoted_values_and_ids_stay_as_written() {
    let taken = AppError::Conflict {
        code: ErrorCode::ExternalIdTaken,
        message: "external_id \"steam_76561\" already belongs to customer cus_01HZX".into(),
    };
    assert_eq!(
        sentence(&taken),
        "External ID \"steam_76561\" already belongs to customer cus_01HZX."
    );
    let member = AppError::Conflict {
        code: ErrorCode::AlreadyMember,
        message: "ada@example.com is already a member of this workspace".into(),
    };
    assert_eq!(
        sentence(&member),
        "ada@example.com is already a member of this workspace."
    );
    let header = unprocessable(
        "header",
        "column 2 (\"emial\") is not a customer field: use email, external_id",
    );
    assert_eq!(
        sentence(&header),
        "Column 2 (\"emial\") is not a customer field: use email, external_id."
    );
}

#[test]
fn sentences_written_for_people_pass_unchanged() {
    let refused = AppError::PaymentRefused {
        code: ErrorCode::CardDeclined,
        message: "This card was not accepted: check its number or use another card (your bank can say why).".into(),
    };
    assert_eq!(
        sentence(&refused),
        "This card was not accepted: check its number or use another card (your bank can say why)."
    );
    assert_eq!(
        sentence(&AppError::RateLimited {
            retry_after_seconds: 40
        }),
        "Too many attempts; try again in 40 seconds."
    );
    assert_eq!(
        sentence(&invalid(
            "password",
            "is not the password of ada@example.com"
        )),
        "That is not the password of ada@example.com."
    );
    assert_eq!(
        sentence(&invalid("code", "the code has 6 letters and digits")),
        "The code has 6 letters and digits."
    );
}

#[test]
fn a_too_light_accent_colour_reads_as_the_warning_does() {
    let refused = unprocessable(
        "portal_accent_color",
        "is too light to read on white: its contrast with white is 1.1 to 1, and text needs at least 4.5 to 1",
    );
    let said = "That accent colour is too light to read on white (contrast 1.1 to 1; it needs at least 4.5 to 1). Choose a darker colour.";
    assert_eq!(sentence(&refused), said);
    assert_eq!(accent_too_light("1.1"), said);
    // A malformed colour keeps its own sentence.
    assert_eq!(
        sentence(&invalid(
            "portal_accent_color",
            "must be a colour such as #4f46e5"
        )),
        "Accent colour must be a colour such as #4f46e5."
    );
}

#[test]
fn the_receipt_details_are_named_as_the_settings_page_names_them() {
    assert_eq!(
        sentence(&invalid(
            "support_email",
            "must be an email address such as ada@example.com"
        )),
        "Enter the support email as an address such as help@shop.example."
    );
    assert_eq!(
        sentence(&invalid("tax_id", "must be at most 50 characters")),
        "Tax ID must be at most 50 characters."
    );
    assert_eq!(
        sentence(&invalid(
            "tax_id",
            "may hold only letters, digits, spaces, dashes, dots and slashes"
        )),
        "Tax ID may hold only letters, digits, spaces, dashes, dots and slashes."
    );
    assert_eq!(
        sentence(&invalid("legal_address", "must be at most 6 lines")),
        "Business address must be at most 6 lines."
    );
    assert_eq!(
        sentence(&invalid("legal_name", "must be at most 200 characters")),
        "Legal name must be at most 200 characters."
    );
}
