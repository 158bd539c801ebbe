//! Receipts a merchant can hand to an accountant: `workspaces` gains the seller's details every
//! receipt prints (`legal_name`, `legal_address`, `tax_id`, `support_email`, all optional) and
//! `receipt_seq`, the last receipt number it gave; `orders` gains `receipt_number`, unique per
//! workspace, and `receipt_seller`, the seller's details as they stood when the order was
//! numbered (JSON), so that a receipt printed later still names who sold then. Orders numbered
//! here have none: their receipts print the shop's current details.
//!
//! Every order paid before gets its number now: 1, 2, 3... per workspace, in the order the
//! payments were made (then by id, for two at one instant), and each workspace's counter stands
//! at its last number. Each step is one set-based statement (window functions and
//! `UPDATE ... FROM` run on PostgreSQL and on SQLite since 3.33), so a large table is numbered
//! in one pass.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::kit::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// One receipt number per workspace.
const NUMBER_INDEX: &str = "ux_orders_receipt_number";

/// The seller's details on `workspaces`, in the order they are added.
const SELLER_COLUMNS: [&str; 4] = ["legal_name", "legal_address", "tax_id", "support_email"];

/// Numbers every paid order (one with a payment time) 1..n per workspace, by payment time,
/// then id.
const NUMBER_PAID_ORDERS: &str = "UPDATE orders SET receipt_number = numbered.n \
     FROM (SELECT id, ROW_NUMBER() OVER (PARTITION BY workspace_id ORDER BY paid_at, id) AS n \
           FROM orders WHERE paid_at IS NOT NULL) AS numbered \
     WHERE orders.id = numbered.id";

/// Moves each workspace's counter to the last number its orders were given.
const SET_COUNTERS: &str = "UPDATE workspaces SET receipt_seq = tally.n \
     FROM (SELECT workspace_id, MAX(receipt_number) AS n FROM orders \
           WHERE receipt_number IS NOT NULL GROUP BY workspace_id) AS tally \
     WHERE workspaces.id = tally.workspace_id";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// One transaction on one connection: the columns, the numbers and the counters come
    /// together, or nothing changes.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per statement.
        add_columns(m, "workspaces", SELLER_COLUMNS.map(text_null)).await?;
        add_column(m, "workspaces", big_integer("receipt_seq").default(0_i64)).await?;
        add_column(m, "orders", big_integer_null("receipt_number")).await?;
        add_column(m, "orders", text_null("receipt_seller")).await?;

        execute(m, NUMBER_PAID_ORDERS, vec![]).await?;
        // Built once over the numbered rows, rather than kept up to date row by row.
        unique_index(
            m,
            NUMBER_INDEX,
            "orders",
            &["workspace_id", "receipt_number"],
        )
        .await?;
        execute(m, SET_COUNTERS, vec![]).await
    }

    /// The numbers and the seller's details go; receipts print as they did before.
    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // SQLite drops no column an index names: the index goes first.
        drop_index(m, NUMBER_INDEX, "orders").await?;
        drop_column(m, "orders", "receipt_seller").await?;
        drop_column(m, "orders", "receipt_number").await?;
        drop_column(m, "workspaces", "receipt_seq").await?;
        drop_columns(m, "workspaces", SELLER_COLUMNS.into_iter().rev()).await
    }
}
