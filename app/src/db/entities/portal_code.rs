//! A row of `portal_codes`: a one-time sign-in code emailed to an end customer, stored hashed.

use sea_orm::entity::prelude::*;

use crate::types::{PortalCodeId, WorkspaceId};

/// One code.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "portal_codes")]
pub struct Model {
    /// `pc_` + ULID.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: PortalCodeId,
    /// The shop whose portal it opens.
    pub workspace_id: WorkspaceId,
    /// The address it was sent to (lower case): the code proves this address.
    pub email: String,
    /// SHA-256 of the id and the code, hex.
    pub code_hash: String,
    /// Wrong tries it may still take.
    pub tries_left: i32,
    /// When it was made.
    pub created_at: DateTimeUtc,
    /// After this it is void.
    pub expires_at: DateTimeUtc,
    /// When it signed someone in (a code works once).
    pub used_at: Option<DateTimeUtc>,
}

/// Declared from the owned side.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
