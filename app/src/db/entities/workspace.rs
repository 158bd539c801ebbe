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
}

/// Workspaces own every other table; relations are declared from the owned side.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
