//! The customer page's Activity tab: every event names the customer it concerns, so one
//! indexed range read gives a customer's trail across orders, subscriptions, items and details.

use sea_orm_migration::{prelude::*, schema::*};

use super::kit::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Which table holds the customer of each kind of event target.
const OWNERS: [(&str, &str); 4] = [
    ("order", "orders"),
    ("subscription", "subscriptions"),
    ("entitlement", "entitlements"),
    ("payment_detail", "payment_details"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        add_column(m, "events", text_null("customer_id")).await?;
        let db = m.get_connection();
        db.execute_unprepared(
            "UPDATE events SET customer_id = target_id WHERE target_type = 'customer'",
        )
        .await?;
        for (target, table) in OWNERS {
            db.execute_unprepared(&format!(
                "UPDATE events SET customer_id = \
                 (SELECT t.customer_id FROM {table} t WHERE t.id = events.target_id) \
                 WHERE target_type = '{target}'"
            ))
            .await?;
        }
        index(
            m,
            "ix_events_customer",
            "events",
            &["workspace_id", "customer_id", "id"],
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        drop_index(m, "ix_events_customer", "events").await?;
        drop_column(m, "events", "customer_id").await
    }
}
