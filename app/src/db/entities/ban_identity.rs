//! A row of `ban_identities`.

use sea_orm::entity::prelude::*;

use crate::types::{BanId, WorkspaceId};

use crate::types::ban::BanIdentityKind;

/// One identity a ban matches, normalised.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "ban_identities")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub ban_id: BanId,
    pub workspace_id: WorkspaceId,
    #[sea_orm(primary_key, auto_increment = false)]
    pub kind: BanIdentityKind,
    #[sea_orm(primary_key, auto_increment = false)]
    pub value: String,
}

/// Declared from the owned side.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
