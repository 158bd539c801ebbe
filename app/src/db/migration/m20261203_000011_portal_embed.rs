//! The portal inside a merchant's own site: each workspace's list of origins allowed to frame
//! `/embed/...`, and the origin a portal link or session minted for an embed is bound to. The
//! scope that changes a workspace's settings is renamed `workspace:write` (it was
//! `settings:write` for one release); keys holding the old name keep their power.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::kit::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // A JSON array of origins: a handful per shop, always read and written whole.
        add_column(m, "workspaces", text("embed_origins").default("[]")).await?;
        add_column(m, "customer_sessions", text_null("embed_origin")).await?;
        m.get_connection()
            .execute_unprepared(
                "UPDATE api_keys SET scopes = REPLACE(scopes, 'settings:write', 'workspace:write') \
                 WHERE scopes LIKE '%settings:write%'",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.get_connection()
            .execute_unprepared(
                "UPDATE api_keys SET scopes = REPLACE(scopes, 'workspace:write', 'settings:write') \
                 WHERE scopes LIKE '%workspace:write%'",
            )
            .await?;
        drop_column(m, "customer_sessions", "embed_origin").await?;
        drop_column(m, "workspaces", "embed_origins").await
    }
}
