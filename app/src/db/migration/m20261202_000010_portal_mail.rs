//! Email and the portal's other doors: the outbox every email is written to (in the same
//! transaction as what caused it) and sent from by a job; one-time sign-in codes; each
//! workspace's portal address (`/portal/<slug>`) and branding; and each customer's portal link
//! version, which the merchant bumps to void every receipt link sent before.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, Statement, Value};

use super::kit::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        workspace_table("emails")
            .col(text_null("customer_id"))
            .col(text("kind"))
            .col(text("to_address"))
            .col(text("subject"))
            .col(text("text_body"))
            .col(text_null("html_body"))
            .col(text("status"))
            .col(integer("attempts").default(0))
            .col(timestamp_with_time_zone("next_attempt_at"))
            .col(timestamp_with_time_zone_null("sent_at"))
            .col(text_null("delivered_as"))
            .col(text_null("last_error"))
            .col(timestamp_with_time_zone("created_at"))
            .foreign_key(&mut fk("emails", "workspace_id", "workspaces"))
            .create(m)
            .await?;
        // The sender claims pending rows that are due (`next_attempt_at` is also its lease).
        index(m, "ix_emails_due", "emails", &["status", "next_attempt_at"]).await?;
        index(m, "ix_emails_customer", "emails", &["customer_id"]).await?;

        workspace_table("portal_codes")
            .col(text("email"))
            .col(text("code_hash"))
            .col(integer("tries_left"))
            .col(timestamp_with_time_zone("created_at"))
            .col(timestamp_with_time_zone("expires_at"))
            .col(timestamp_with_time_zone_null("used_at"))
            .foreign_key(&mut fk("portal_codes", "workspace_id", "workspaces"))
            .create(m)
            .await?;
        // A sign-in finds the newest code of one address in one shop.
        index(
            m,
            "ix_portal_codes_email",
            "portal_codes",
            &["workspace_id", "email", "created_at"],
        )
        .await?;
        index(
            m,
            "ix_portal_codes_expires_at",
            "portal_codes",
            &["expires_at"],
        )
        .await?;

        add_columns(
            m,
            "workspaces",
            [
                text_null("slug"),
                text_null("portal_logo_url"),
                text_null("portal_accent_color"),
            ],
        )
        .await?;
        add_column(m, "customers", integer("portal_link_version").default(0)).await?;

        // Every workspace gets its portal address from its name, made unique with its id.
        let db = m.get_connection();
        let backend = db.get_database_backend();
        let rows = db
            .query_all_raw(Statement::from_string(
                backend,
                "SELECT id, name FROM workspaces ORDER BY created_at, id",
            ))
            .await?;
        let mut taken = std::collections::HashSet::new();
        for row in rows {
            let id: String = row.try_get("", "id")?;
            let name: String = row.try_get("", "name")?;
            let mut slug = slug_of(&name);
            if !taken.insert(slug.clone()) {
                slug = slug_with_id(&slug, &id);
                taken.insert(slug.clone());
            }
            let sql = match backend {
                sea_orm_migration::sea_orm::DbBackend::Postgres => {
                    "UPDATE workspaces SET slug = $1 WHERE id = $2"
                }
                _ => "UPDATE workspaces SET slug = ? WHERE id = ?",
            };
            db.execute_raw(Statement::from_sql_and_values(
                backend,
                sql,
                [Value::from(slug), Value::from(id)],
            ))
            .await?;
        }
        unique_index(m, "ux_workspaces_slug", "workspaces", &["slug"]).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        drop_index(m, "ux_workspaces_slug", "workspaces").await?;
        drop_columns(
            m,
            "workspaces",
            ["slug", "portal_logo_url", "portal_accent_color"],
        )
        .await?;
        drop_column(m, "customers", "portal_link_version").await?;
        drop_tables(m, ["portal_codes", "emails"]).await
    }
}

// Frozen copies of the rules this migration applied (domain::workspaces, 2026-12-02): a later
// change to the live rules must not change what this migration did.

/// A URL-safe slug of a workspace's name, at most 48 characters; "shop" when nothing is left.
fn slug_of(name: &str) -> String {
    let full = slug::slugify(name);
    let cut = match full.char_indices().nth(48) {
        Some((i, _)) => full[..i].trim_end_matches('-').to_owned(),
        None => full,
    };
    if cut.is_empty() { "shop".into() } else { cut }
}

/// `slug` made unique by the tail of the workspace's id.
fn slug_with_id(slug: &str, id: &str) -> String {
    let tail: String = id
        .chars()
        .rev()
        .take(10)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    format!("{slug}-{}", tail.to_ascii_lowercase())
}
