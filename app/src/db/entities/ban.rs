//! A row of `bans`.

use sea_orm::entity::prelude::*;

use crate::types::{BanId, CustomerId, WorkspaceId};

/// A ban: who may not buy, why, and until when.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "bans")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: BanId,
    pub workspace_id: WorkspaceId,
    pub reason: String,
    pub expires_at: Option<DateTimeUtc>,
    pub lifted_at: Option<DateTimeUtc>,
    pub customer_id: Option<CustomerId>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i64,
}

/// Declared from the owned side.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
