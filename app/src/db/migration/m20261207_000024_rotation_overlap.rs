//! Every secret a rotation replaced keeps signing for its own day: `webhook_endpoints` trades
//! its one `previous_secret` (and `previous_secret_until`), which a second rotation within a day
//! overwrote, for `retired_secrets`, a JSON array of `{"secret", "until"}`, newest first. A
//! previous secret still in its day moves into the array.

use chrono::{DateTime, Utc};
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::Value;
use serde_json::json;

use super::kit::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        add_column(
            m,
            "webhook_endpoints",
            text("retired_secrets").default("[]"),
        )
        .await?;
        let rows = query_all(
            m,
            "SELECT id, previous_secret, previous_secret_until FROM webhook_endpoints \
             WHERE previous_secret IS NOT NULL AND previous_secret_until IS NOT NULL",
            vec![],
        )
        .await?;
        for row in rows {
            let id: String = row.try_get("", "id")?;
            let secret: String = row.try_get("", "previous_secret")?;
            let until: DateTime<Utc> = row.try_get("", "previous_secret_until")?;
            let retired = json!([{"secret": secret, "until": until}]).to_string();
            execute(
                m,
                "UPDATE webhook_endpoints SET retired_secrets = $1 WHERE id = $2",
                vec![retired.into(), id.into()],
            )
            .await?;
        }
        // SQLite drops one column per statement.
        drop_columns(
            m,
            "webhook_endpoints",
            ["previous_secret_until", "previous_secret"],
        )
        .await
    }

    /// The newest retired secret becomes the previous one again; older ones stop signing.
    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        add_columns(
            m,
            "webhook_endpoints",
            [
                text_null("previous_secret"),
                timestamp_with_time_zone_null("previous_secret_until"),
            ],
        )
        .await?;
        let rows = query_all(
            m,
            "SELECT id, retired_secrets FROM webhook_endpoints WHERE retired_secrets <> '[]'",
            vec![],
        )
        .await?;
        for row in rows {
            let id: String = row.try_get("", "id")?;
            let raw: String = row.try_get("", "retired_secrets")?;
            let newest = serde_json::from_str::<serde_json::Value>(&raw)
                .ok()
                .and_then(|list| {
                    let first = list.get(0)?;
                    let secret = first.get("secret")?.as_str()?.to_owned();
                    let until = DateTime::parse_from_rfc3339(first.get("until")?.as_str()?)
                        .ok()?
                        .with_timezone(&Utc);
                    Some((secret, until))
                });
            let Some((secret, until)) = newest else {
                continue;
            };
            execute(
                m,
                "UPDATE webhook_endpoints SET previous_secret = $1, previous_secret_until = $2 \
                 WHERE id = $3",
                vec![secret.into(), Value::from(until), id.into()],
            )
            .await?;
        }
        drop_column(m, "webhook_endpoints", "retired_secrets").await
    }
}
