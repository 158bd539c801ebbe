//! What the dashboard shell needs to know about the current workspace.

use serde::{Deserialize, Serialize};

use super::{Role, WorkspaceId};

/// The workspace shown in the dashboard's top bar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkspaceSummary {
    /// Stable id.
    pub id: WorkspaceId,
    /// Display name of the store.
    pub name: String,
    /// The portal's address: `/portal/<slug>`.
    pub slug: String,
    /// ISO 4217 code that lifetime values are converted to.
    pub default_currency: crate::types::money::CurrencyCode,
}

/// Everything the dashboard frame renders before any page loads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShellContext {
    /// The workspace being worked in.
    pub workspace: Option<WorkspaceSummary>,
    /// Who is signed in.
    pub user_email: Option<String>,
    /// Their role in the workspace: the UI hides what it does not allow.
    pub role: Option<Role>,
    /// Every workspace they belong to, for the top bar's switcher.
    pub workspaces: Vec<super::team::WorkspaceChoice>,
}

/// The workspace's settings: its name, its portal's address and look, and the sites allowed
/// to embed its portal (the dashboard's Settings page and `GET /api/v1/workspace`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct WorkspaceSettings {
    /// Always `workspace`.
    pub object: String,
    /// `ws_...`.
    #[cfg_attr(feature = "ssr", schema(value_type = String))]
    pub id: WorkspaceId,
    /// The shop's name, shown in the portal and as the sender of its emails.
    pub name: String,
    /// ISO 4217 code of the currency its totals are shown in.
    #[cfg_attr(feature = "ssr", schema(value_type = String))]
    pub default_currency: crate::types::money::CurrencyCode,
    /// The portal's address: `/portal/<slug>`.
    pub slug: String,
    /// The portal's full address, where customers sign in with a code.
    pub portal_url: String,
    /// The portal's logo: an `https://` image address.
    pub portal_logo_url: Option<String>,
    /// The portal's accent colour, `#rrggbb`.
    pub portal_accent_color: Option<String>,
    /// The origins of the merchant's pages that may show the portal in a frame
    /// (`/embed/...`): `https://shop.example`, `https://*.shop.example`, or `http://` on
    /// localhost and loopback addresses.
    pub embed_origins: Vec<String>,
    /// The registered company name every receipt prints; receipts print `name` when it is
    /// not set.
    pub legal_name: Option<String>,
    /// The postal address every receipt prints, up to 6 lines separated by `\n`.
    pub legal_address: Option<String>,
    /// The VAT number or other tax id every receipt prints.
    pub tax_id: Option<String>,
    /// Where customers write about a purchase: shown on receipts and in receipt emails.
    pub support_email: Option<String>,
    /// Whether the caller may change them (`workspace:write`).
    pub can_edit: bool,
}

/// The longest legal name, in characters.
pub const LEGAL_NAME_MAX: usize = 200;
/// The longest legal address, in characters (its line breaks included).
pub const LEGAL_ADDRESS_MAX: usize = 500;
/// The most lines a legal address may have.
pub const LEGAL_ADDRESS_LINES: usize = 6;
/// The longest tax id, in characters.
pub const TAX_ID_MAX: usize = 50;

/// A change of settings: only the fields given are written; an empty logo, colour or receipt
/// detail clears it, an empty `embed_origins` list stops every embed. Every field is checked
/// before anything is written.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct WorkspaceSettingsUpdate {
    /// 1 to 100 characters.
    #[cfg_attr(feature = "ssr", schema(min_length = 1, max_length = 100))]
    pub name: Option<String>,
    /// Lower-case letters, digits and dashes, 2 to 48 characters.
    #[cfg_attr(
        feature = "ssr",
        schema(pattern = r"^[a-z0-9][a-z0-9-]{0,46}[a-z0-9]$")
    )]
    pub slug: Option<String>,
    /// An `https://` address, or empty.
    #[cfg_attr(feature = "ssr", schema(value_type = Option<crate::types::schema::HttpsUrlOrEmpty>))]
    pub portal_logo_url: Option<String>,
    /// `#rrggbb`, or empty. The portal's buttons carry white text on it and its links are
    /// this colour on white, so its contrast with white must be at least 4.5 to 1 (WCAG 2.1
    /// AA): a lighter colour is refused with 422 `parameter_unprocessable`.
    #[cfg_attr(feature = "ssr", schema(pattern = r"^ *(#?[0-9a-fA-F]{6})? *$"))]
    pub portal_accent_color: Option<String>,
    /// At most 20 origins (see [`WorkspaceSettings::embed_origins`]).
    #[cfg_attr(feature = "ssr", schema(value_type = Option<Vec<crate::types::schema::Origin>>, max_items = 20))]
    pub embed_origins: Option<Vec<String>>,
    /// The registered company name receipts print, up to 200 characters; empty for none (the
    /// shop's name is printed then).
    #[cfg_attr(feature = "ssr", schema(max_length = 200))]
    pub legal_name: Option<String>,
    /// The postal address receipts print: up to 6 lines separated by `\n` (or `\r\n`), 500
    /// characters in all; empty for none.
    #[cfg_attr(
        feature = "ssr",
        schema(
            max_length = 500,
            pattern = r"^[^\u0000-\u001F\u007F-\u009F]*(\r?\n[^\u0000-\u001F\u007F-\u009F]*){0,5}$"
        )
    )]
    pub legal_address: Option<String>,
    /// The VAT number or other tax id receipts print: up to 50 letters, digits, spaces,
    /// dashes, dots and slashes; empty for none.
    #[cfg_attr(feature = "ssr", schema(pattern = r"^[A-Za-z0-9 ./-]{0,50}$"))]
    pub tax_id: Option<String>,
    /// Where customers write about a purchase, shown on receipts and in receipt emails; empty
    /// for none.
    #[cfg_attr(feature = "ssr", schema(value_type = Option<crate::types::schema::EmailOrEmpty>))]
    pub support_email: Option<String>,
}
