//! Money safety: every provider charge is recorded as an intent (`charge_attempts`) before the
//! provider is called, refunds carry a status while the provider works, background rows are
//! claimed with a lease (`subscriptions.claimed_until`, `provider_events.attempts`), and
//! idempotency records are per caller with a lease on the in-flight claim.
//!
//! `sim_provider_ledger` belongs to the simulated payment provider, not to Patron: it is the
//! provider's own record of every movement of money, keyed by the idempotency key it was given,
//! as a real provider's records are. Reconciliation compares it with Patron's orders and refunds.

use sea_orm_migration::{prelude::*, schema::*};

use super::kit::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// One transaction on one connection, on SQLite too: the idempotency table is dropped and
    /// made anew, and another pooled connection with a stale schema would still see the old one.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        workspace_table("charge_attempts")
            .col(text("purpose"))
            .col(text("status"))
            .col(big_integer("amount"))
            .col(text("currency"))
            .col(text_null("customer_id"))
            .col(text_null("subscription_id"))
            .col(timestamp_with_time_zone_null("period_start"))
            .col(integer_null("retry_count"))
            .col(text_null("order_id"))
            .col(text_null("provider_payment_id"))
            .col(text_null("failure_code"))
            .col(timestamp_with_time_zone("lease_until"))
            .col(integer("tries").default(0))
            .col(timestamp_with_time_zone("created_at"))
            .col(timestamp_with_time_zone("updated_at"))
            .foreign_key(&mut fk("charge_attempts", "workspace_id", "workspaces"))
            .create(m)
            .await?;
        // The reconciliation job's queue: unfinished attempts whose lease ran out.
        index(
            m,
            "ix_charge_attempts_open",
            "charge_attempts",
            &["status", "lease_until"],
        )
        .await?;
        index(
            m,
            "ix_charge_attempts_subscription",
            "charge_attempts",
            &["subscription_id", "period_start", "retry_count"],
        )
        .await?;
        index(
            m,
            "ix_charge_attempts_order",
            "charge_attempts",
            &["order_id"],
        )
        .await?;

        add_column(m, "refunds", text("status").default("succeeded")).await?;
        add_column(m, "refunds", timestamp_with_time_zone_null("lease_until")).await?;
        index(m, "ix_refunds_open", "refunds", &["status", "lease_until"]).await?;

        add_column(
            m,
            "subscriptions",
            timestamp_with_time_zone_null("claimed_until"),
        )
        .await?;
        add_column(m, "subscriptions", integer("claim_failures").default(0)).await?;
        add_column(m, "provider_events", integer("attempts").default(0)).await?;

        // In-flight and stored answers are per caller now; records are a 24-hour cache, so the
        // table is made anew rather than migrated.
        make_idempotency_keys_anew(
            m,
            table("idempotency_keys")
                .col(text("workspace_id"))
                .col(text("principal"))
                .col(text("key"))
                .col(text("fingerprint"))
                .col(text("scopes"))
                .col(small_integer_null("response_status"))
                .col(text_null("response_body"))
                .col(timestamp_with_time_zone_null("locked_until"))
                .col(timestamp_with_time_zone("created_at"))
                .primary_key(
                    Index::create()
                        .col("workspace_id")
                        .col("principal")
                        .col("key"),
                )
                .foreign_key(&mut cascade_fk(
                    "idempotency_keys",
                    "workspace_id",
                    "workspaces",
                )),
        )
        .await?;

        table_with_id("sim_provider_ledger")
            .col(text("idempotency_key").unique_key())
            .col(text("kind"))
            .col(text("payment_id"))
            .col(big_integer("amount"))
            .col(text("currency"))
            .col(text("result"))
            .col(timestamp_with_time_zone("created_at"))
            .create(m)
            .await?;
        index(
            m,
            "ix_sim_provider_ledger_payment",
            "sim_provider_ledger",
            &["payment_id"],
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        drop_table(m, "sim_provider_ledger").await?;
        make_idempotency_keys_anew(m, &mut idempotency_keys_per_workspace()).await?;
        drop_index(m, "ix_refunds_open", "refunds").await?;
        for (table, col) in [
            ("provider_events", "attempts"),
            ("subscriptions", "claim_failures"),
            ("subscriptions", "claimed_until"),
            ("refunds", "lease_until"),
            ("refunds", "status"),
        ] {
            drop_column(m, table, col).await?;
        }
        drop_table(m, "charge_attempts").await
    }
}

/// Drops `idempotency_keys` (its index first) and creates it again as `keys` describes, with its
/// index on `created_at`: each way of this migration makes the table anew.
async fn make_idempotency_keys_anew(
    m: &SchemaManager<'_>,
    keys: &mut TableCreateStatement,
) -> Result<(), DbErr> {
    m.drop_index(
        Index::drop()
            .name("ix_idempotency_keys_created")
            .table("idempotency_keys")
            .if_exists()
            .to_owned(),
    )
    .await?;
    drop_table(m, "idempotency_keys").await?;
    keys.create(m).await?;
    index(
        m,
        "ix_idempotency_keys_created",
        "idempotency_keys",
        &["created_at"],
    )
    .await
}
