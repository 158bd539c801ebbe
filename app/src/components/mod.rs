//! Reusable UI pieces.

pub mod alert;
pub mod badge;
pub mod card;
pub mod dialog;
pub mod empty_state;
pub mod form;
pub mod hydration;
pub mod icons;
pub mod pager;
pub mod table;
pub mod time;

/// Below the `sm` breakpoint (phones) every control inside is at least 44 px square, the size a
/// fingertip needs: links become boxes so that their height counts, and buttons, fields and
/// disclosures grow to it. From `sm` up nothing changes. It goes on the root of the portal and
/// of the dashboard, so it reaches their dialogs too.
pub const TOUCH: &str = "max-sm:[&_a]:inline-flex max-sm:[&_a]:items-center max-sm:[&_a]:min-h-11 max-sm:[&_a]:min-w-11 max-sm:[&_button]:min-h-11 max-sm:[&_button]:min-w-11 max-sm:[&_input]:min-h-11 max-sm:[&_select]:min-h-11 max-sm:[&_textarea]:min-h-11 max-sm:[&_summary]:min-h-11";
