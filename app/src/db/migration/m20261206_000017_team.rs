//! The team: invitations to a workspace (a one-time link, valid 7 days), who created each API
//! key, and the device behind each dashboard session.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::kit::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        workspace_table("invitations")
            .col(text("email"))
            .col(text("role"))
            .col(text("token_hash").unique_key())
            .col(text_null("invited_by"))
            .col(timestamp_with_time_zone("created_at"))
            .col(timestamp_with_time_zone("expires_at"))
            .col(timestamp_with_time_zone_null("accepted_at"))
            .foreign_key(&mut cascade_fk("invitations", "workspace_id", "workspaces"))
            .create(m)
            .await?;
        index(
            m,
            "ix_invitations_workspace_email",
            "invitations",
            &["workspace_id", "email"],
        )
        .await?;
        add_column(m, "api_keys", text_null("created_by")).await?;
        add_column(m, "sessions", text_null("user_agent")).await?;
        index(m, "ix_sessions_user", "sessions", &["user_id"]).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        drop_index(m, "ix_sessions_user", "sessions").await?;
        drop_column(m, "sessions", "user_agent").await?;
        drop_column(m, "api_keys", "created_by").await?;
        drop_table(m, "invitations").await
    }
}
