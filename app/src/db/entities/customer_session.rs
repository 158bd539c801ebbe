//! A row of `customer_sessions`: a one-time portal link, or the portal session it became,
//! found by the hash of its token.

use sea_orm::entity::prelude::*;

use crate::types::{CustomerId, UserId, WorkspaceId};

crate::string_enum!(
    /// What a token is.
    CustomerSessionKind {
        /// A one-time link, exchanged for a session on first use.
        Link = "link",
        /// A signed-in portal session (the cookie).
        Session = "session",
        /// A sign-in by code whose address several customers share: the person picks which
        /// of them to be before it becomes a session. `customer_id` is one of them.
        Pick = "pick",
        /// A merchant's read-only view of the portal as this customer.
        Impersonation = "impersonation",
        /// A portal session inside a merchant's page (`/embed/...`), bound to that page's
        /// origin: kept in the frame's memory and sent as a header, never a cookie.
        Embed = "embed",
    }
);

/// A portal link or session.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "customer_sessions")]
pub struct Model {
    /// SHA-256 of the token, hex; the token itself is never stored.
    #[sea_orm(primary_key, auto_increment = false)]
    pub token_hash: String,
    /// Link or session.
    pub kind: CustomerSessionKind,
    /// The shop.
    pub workspace_id: WorkspaceId,
    /// Whose portal.
    pub customer_id: CustomerId,
    /// The merchant's "Back to the shop" address.
    pub return_url: Option<String>,
    /// When it was made.
    pub created_at: DateTimeUtc,
    /// After this it is void.
    pub expires_at: DateTimeUtc,
    /// When a link was exchanged (a link works once).
    pub used_at: Option<DateTimeUtc>,
    /// For a link minted for an embed, and the session it became: the merchant page's origin
    /// (`https://shop.example`) that alone may open it.
    pub embed_origin: Option<String>,
    /// For a merchant's read-only view (`impersonation`): the merchant user who opened it,
    /// whose role in the shop decides what the view may see.
    pub opened_by: Option<UserId>,
}

/// Declared from the owned side.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
