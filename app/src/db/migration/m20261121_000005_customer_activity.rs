//! The customer page's Activity tab: every event names the customer it concerns, so one
//! indexed range read gives a customer's trail across orders, subscriptions, items and details.

use sea_orm_migration::{prelude::*, schema::*};

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
        m.alter_table(
            Table::alter()
                .table("events")
                .add_column(text_null("customer_id"))
                .to_owned(),
        )
        .await?;
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
        m.create_index(
            Index::create()
                .name("ix_events_customer")
                .table("events")
                .col("workspace_id")
                .col("customer_id")
                .col("id")
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name("ix_events_customer")
                .table("events")
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table("events")
                .drop_column("customer_id")
                .to_owned(),
        )
        .await
    }
}
