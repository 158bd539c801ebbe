//! One charge attempt per subscription, period and retry; one pending payment per order.
//!
//! Two billing clocks that both found no attempt for a renewal each recorded one and charged
//! under its own key: two charges, one of them given back. Two unique partial indexes make a
//! second live attempt impossible, so whoever records second gets the first one (and its key):
//! a renewal's attempts that may still take the money or have taken it (`pending`, `abandoned`,
//! `voiding`, `succeeded`), and an order payment's unsettled ones (`pending`, `abandoned`).
//! Attempts that ended without money (`declined`, `voided`, `failed`) stay outside, as the next
//! try is a new charge.
//!
//! Rows the old code already doubled are kept as history: each older one of a group is marked
//! `duplicate_of` the newest, and the indexes leave marked rows out.
//!
//! `subscriptions.claim_token` names the claim that holds a subscription, so a billing clock can
//! check right before each charge that no other clock took the subscription over.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::kit::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// A renewal's attempts that may still take the money, or took it.
const LIVE_RENEWAL: [&str; 4] = ["pending", "abandoned", "voiding", "succeeded"];

/// An attempt the provider may still be asked about under its key.
const UNSETTLED: [&str; 2] = ["pending", "abandoned"];

const RENEWAL_INDEX: &str = "ux_charge_attempts_renewal";
const ORDER_PAYMENT_INDEX: &str = "ux_charge_attempts_order_payment";

/// Marks every older attempt of a group the new index would hold to one (same `purpose`, one of
/// `statuses`, equal `same` columns) as a duplicate of the group's newest; ids sort by time.
fn mark_older_duplicates(purpose: &str, statuses: &[&str], same: &[&str]) -> String {
    let statuses = statuses
        .iter()
        .map(|s| format!("'{s}'"))
        .collect::<Vec<_>>()
        .join(", ");
    let same: String = same
        .iter()
        .map(|c| format!(" AND n.{c} = charge_attempts.{c}"))
        .collect();
    let newer = format!(
        "FROM charge_attempts n WHERE n.purpose = '{purpose}' AND n.status IN ({statuses}){same} \
         AND n.id > charge_attempts.id"
    );
    format!(
        "UPDATE charge_attempts SET duplicate_of = (SELECT MAX(n.id) {newer}) \
         WHERE purpose = '{purpose}' AND status IN ({statuses}) AND EXISTS (SELECT 1 {newer})"
    )
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// One transaction on one connection, on SQLite too: the rows are marked and the indexes
    /// built together, or nothing changes.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        add_column(m, "charge_attempts", text_null("duplicate_of")).await?;
        add_column(m, "subscriptions", text_null("claim_token")).await?;

        let db = m.get_connection();
        db.execute_unprepared(&mark_older_duplicates(
            "renewal",
            &LIVE_RENEWAL,
            &["subscription_id", "period_start", "retry_count"],
        ))
        .await?;
        db.execute_unprepared(&mark_older_duplicates(
            "order_payment",
            &UNSETTLED,
            &["order_id"],
        ))
        .await?;

        m.create_index(
            Index::create()
                .name(RENEWAL_INDEX)
                .table("charge_attempts")
                .col("subscription_id")
                .col("period_start")
                .col("retry_count")
                .unique()
                .and_where(Expr::col("purpose").eq("renewal"))
                .and_where(Expr::col("status").is_in(LIVE_RENEWAL))
                .and_where(Expr::col("duplicate_of").is_null())
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name(ORDER_PAYMENT_INDEX)
                .table("charge_attempts")
                .col("order_id")
                .unique()
                .and_where(Expr::col("purpose").eq("order_payment"))
                .and_where(Expr::col("status").is_in(UNSETTLED))
                .and_where(Expr::col("duplicate_of").is_null())
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for name in [ORDER_PAYMENT_INDEX, RENEWAL_INDEX] {
            drop_index(m, name, "charge_attempts").await?;
        }
        drop_column(m, "subscriptions", "claim_token").await?;
        drop_column(m, "charge_attempts", "duplicate_of").await
    }
}
