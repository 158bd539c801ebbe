//! The portal inside a merchant's own site: each workspace's list of origins allowed to frame
//! `/embed/...`, and the origin a portal link or session minted for an embed is bound to. The
//! scope that changes a workspace's settings is renamed `workspace:write` (it was
//! `settings:write` for one release); keys holding the old name keep their power.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // A JSON array of origins: a handful per shop, always read and written whole.
        m.alter_table(
            Table::alter()
                .table("workspaces")
                .add_column(text("embed_origins").default("[]"))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table("customer_sessions")
                .add_column(text_null("embed_origin"))
                .to_owned(),
        )
        .await?;
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
        m.alter_table(
            Table::alter()
                .table("customer_sessions")
                .drop_column("embed_origin")
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table("workspaces")
                .drop_column("embed_origins")
                .to_owned(),
        )
        .await
    }
}
