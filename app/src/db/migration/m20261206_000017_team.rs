//! The team: invitations to a workspace (a one-time link, valid 7 days), who created each API
//! key, and the device behind each dashboard session.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("invitations")
                .col(text("id").primary_key())
                .col(text("workspace_id"))
                .col(text("email"))
                .col(text("role"))
                .col(text("token_hash").unique_key())
                .col(text_null("invited_by"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("expires_at"))
                .col(timestamp_with_time_zone_null("accepted_at"))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_invitations_workspace_id")
                        .from("invitations", "workspace_id")
                        .to("workspaces", "id")
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_invitations_workspace_email")
                .table("invitations")
                .col("workspace_id")
                .col("email")
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table("api_keys")
                .add_column(text_null("created_by"))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table("sessions")
                .add_column(text_null("user_agent"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_sessions_user")
                .table("sessions")
                .col("user_id")
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name("ix_sessions_user")
                .table("sessions")
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table("sessions")
                .drop_column("user_agent")
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table("api_keys")
                .drop_column("created_by")
                .to_owned(),
        )
        .await?;
        m.drop_table(Table::drop().table("invitations").to_owned())
            .await
    }
}
