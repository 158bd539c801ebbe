//! A payment detail of kind email is kept as the mailbox it reaches (as ban identities are):
//! `Ann.Lee+shop@gmail.com` and `annlee@gmail.com` are one detail, so blocking either blocks
//! both. Rows written before keep their address as typed; this rewrites those whose mailbox
//! differs (only addresses at providers that ignore dots or plus-tags, or with a `+`). Where a
//! customer already has the mailbox's row, the two become one, blocked if either was.
//! Erased people's details are keyed hashes (no `@`) and stay as they are.

use sea_orm_migration::prelude::*;

use super::kit::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const CANDIDATES: &str = "SELECT id, workspace_id, customer_id, value, status, blocked_at \
    FROM payment_details WHERE kind = 'email' AND value LIKE '%@%' AND (value LIKE '%+%' \
    OR value LIKE '%@gmail.com' OR value LIKE '%@googlemail.com')";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let rows = query_all(m, CANDIDATES, vec![]).await?;
        for row in rows {
            let id: String = row.try_get("", "id")?;
            let workspace_id: String = row.try_get("", "workspace_id")?;
            let customer_id: String = row.try_get("", "customer_id")?;
            let value: String = row.try_get("", "value")?;
            let status: String = row.try_get("", "status")?;
            let mailbox = canonical_email(&value);
            if mailbox == value {
                continue;
            }
            let existing = query_one(
                m,
                "SELECT id FROM payment_details WHERE workspace_id = $1 AND customer_id = $2 \
                 AND kind = 'email' AND value = $3",
                vec![
                    workspace_id.into(),
                    customer_id.into(),
                    mailbox.clone().into(),
                ],
            )
            .await?;
            match existing {
                Some(kept) => {
                    let kept: String = kept.try_get("", "id")?;
                    if status == "blocked" {
                        execute(
                            m,
                            "UPDATE payment_details SET status = 'blocked', \
                             blocked_at = COALESCE(blocked_at, (SELECT blocked_at FROM payment_details WHERE id = $1)) \
                             WHERE id = $2",
                            vec![id.clone().into(), kept.into()],
                        )
                        .await?;
                    }
                    execute(
                        m,
                        "DELETE FROM payment_details WHERE id = $1",
                        vec![id.into()],
                    )
                    .await?;
                }
                None => {
                    execute(
                        m,
                        "UPDATE payment_details SET value = $1 WHERE id = $2",
                        vec![mailbox.into(), id.into()],
                    )
                    .await?;
                }
            }
        }
        Ok(())
    }

    /// The addresses as typed are gone; their labels still show them.
    async fn down(&self, _m: &SchemaManager) -> Result<(), DbErr> {
        Ok(())
    }
}

/// A frozen copy of the rule this migration applied (domain::bans, 2026-12-06): the mailbox an
/// address reaches, lower-cased; without dots and plus-tags for Gmail, without plus-tags for
/// the providers that drop them.
fn canonical_email(email: &str) -> String {
    const DOTS_AND_TAGS: [&str; 2] = ["gmail.com", "googlemail.com"];
    const TAGS: [&str; 8] = [
        "outlook.com",
        "hotmail.com",
        "live.com",
        "icloud.com",
        "me.com",
        "fastmail.com",
        "proton.me",
        "protonmail.com",
    ];
    let e = email.trim().to_lowercase();
    let Some((local, domain)) = e.rsplit_once('@') else {
        return e;
    };
    if DOTS_AND_TAGS.contains(&domain) {
        let local = local.split('+').next().unwrap_or(local).replace('.', "");
        format!("{local}@gmail.com")
    } else if TAGS.contains(&domain) {
        let local = local.split('+').next().unwrap_or(local);
        format!("{local}@{domain}")
    } else {
        e
    }
}
