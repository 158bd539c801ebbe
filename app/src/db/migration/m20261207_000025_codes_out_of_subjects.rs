//! Sign-in code emails sent before codes left the subject line: their subjects named the code,
//! kept long after it was spent. They now read as the new ones do, without it.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::ConnectionTrait;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.get_connection()
            .execute_unprepared(
                "UPDATE emails SET subject = 'Your sign-in code' WHERE kind = 'login_code'",
            )
            .await?;
        Ok(())
    }

    // The codes are gone for good: nothing to put back.
    async fn down(&self, _m: &SchemaManager) -> Result<(), DbErr> {
        Ok(())
    }
}
