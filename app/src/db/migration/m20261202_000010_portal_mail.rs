//! Email and the portal's other doors: the outbox every email is written to (in the same
//! transaction as what caused it) and sent from by a job; one-time sign-in codes; each
//! workspace's portal address (`/portal/<slug>`) and branding; and each customer's portal link
//! version, which the merchant bumps to void every receipt link sent before.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, Statement, Value};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("emails")
                .col(text("id").primary_key())
                .col(text("workspace_id"))
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
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_emails_workspace_id")
                        .from("emails", "workspace_id")
                        .to("workspaces", "id"),
                )
                .to_owned(),
        )
        .await?;
        // The sender claims pending rows that are due (`next_attempt_at` is also its lease).
        m.create_index(
            Index::create()
                .name("ix_emails_due")
                .table("emails")
                .col("status")
                .col("next_attempt_at")
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_emails_customer")
                .table("emails")
                .col("customer_id")
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table("portal_codes")
                .col(text("id").primary_key())
                .col(text("workspace_id"))
                .col(text("email"))
                .col(text("code_hash"))
                .col(integer("tries_left"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("expires_at"))
                .col(timestamp_with_time_zone_null("used_at"))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_portal_codes_workspace_id")
                        .from("portal_codes", "workspace_id")
                        .to("workspaces", "id"),
                )
                .to_owned(),
        )
        .await?;
        // A sign-in finds the newest code of one address in one shop.
        m.create_index(
            Index::create()
                .name("ix_portal_codes_email")
                .table("portal_codes")
                .col("workspace_id")
                .col("email")
                .col("created_at")
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_portal_codes_expires_at")
                .table("portal_codes")
                .col("expires_at")
                .to_owned(),
        )
        .await?;

        for column in [
            text_null("slug"),
            text_null("portal_logo_url"),
            text_null("portal_accent_color"),
        ] {
            m.alter_table(
                Table::alter()
                    .table("workspaces")
                    .add_column(column)
                    .to_owned(),
            )
            .await?;
        }
        m.alter_table(
            Table::alter()
                .table("customers")
                .add_column(integer("portal_link_version").default(0))
                .to_owned(),
        )
        .await?;

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
        m.create_index(
            Index::create()
                .name("ux_workspaces_slug")
                .table("workspaces")
                .col("slug")
                .unique()
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name("ux_workspaces_slug")
                .table("workspaces")
                .to_owned(),
        )
        .await?;
        for column in ["slug", "portal_logo_url", "portal_accent_color"] {
            m.alter_table(
                Table::alter()
                    .table("workspaces")
                    .drop_column(column)
                    .to_owned(),
            )
            .await?;
        }
        m.alter_table(
            Table::alter()
                .table("customers")
                .drop_column("portal_link_version")
                .to_owned(),
        )
        .await?;
        m.drop_table(Table::drop().table("portal_codes").to_owned())
            .await?;
        m.drop_table(Table::drop().table("emails").to_owned()).await
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
