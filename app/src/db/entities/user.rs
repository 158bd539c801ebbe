//! A row of `users`: a merchant staff member.

use sea_orm::entity::prelude::*;

use crate::types::UserId;

/// A merchant user.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    /// `usr_` + ULID.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: UserId,
    /// Login email, lower-cased; unique.
    pub email: String,
    /// Argon2id PHC string.
    pub password_hash: String,
    /// Display name.
    pub name: Option<String>,
    /// Creation time.
    pub created_at: DateTimeUtc,
    /// Last change.
    pub updated_at: DateTimeUtc,
}

/// Declared from the owned side.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
