//! A row of `workspaces`.

use sea_orm::entity::prelude::*;

use crate::types::money::CurrencyCode;

use crate::types::WorkspaceId;

/// One merchant store.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "workspaces")]
pub struct Model {
    /// `ws_` + ULID.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: WorkspaceId,
    /// Display name.
    pub name: String,
    /// ISO 4217 code.
    pub default_currency: CurrencyCode,
    /// When the workspace was created.
    pub created_at: DateTimeUtc,
    /// Last change.
    pub updated_at: DateTimeUtc,
    /// HMAC key for signed links (downloads), made on first use.
    pub signing_secret: Option<String>,
    /// The portal's address: `/portal/<slug>`. Unique.
    pub slug: Option<String>,
    /// The portal's logo (an https:// image address).
    pub portal_logo_url: Option<String>,
    /// The portal's accent colour, `#rrggbb`.
    pub portal_accent_color: Option<String>,
    /// Origins allowed to frame the portal (`/embed/...`): a JSON array of strings.
    pub embed_origins: String,
    /// The registered company name receipts print; the shop's name when unset.
    pub legal_name: Option<String>,
    /// The postal address receipts print, one line per line.
    pub legal_address: Option<String>,
    /// The VAT number or other tax id receipts print.
    pub tax_id: Option<String>,
    /// Where customers write about a purchase: printed on receipts and in receipt emails.
    pub support_email: Option<String>,
    /// The last receipt number given in this workspace; 0 before the first.
    pub receipt_seq: i64,
}

/// Workspaces own every other table; relations are declared from the owned side.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
