//! Money safety: every provider charge is recorded as an intent (`charge_attempts`) before the
//! provider is called, refunds carry a status while the provider works, background rows are
//! claimed with a lease (`subscriptions.claimed_until`, `provider_events.attempts`), and
//! idempotency records are per caller with a lease on the in-flight claim.
//!
//! `sim_provider_ledger` belongs to the simulated payment provider, not to Patron: it is the
//! provider's own record of every movement of money, keyed by the idempotency key it was given,
//! as a real provider's records are. Reconciliation compares it with Patron's orders and refunds.

use sea_orm_migration::{prelude::*, schema::*};

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
        m.create_table(
            Table::create()
                .table("charge_attempts")
                .col(text("id").primary_key())
                .col(text("workspace_id"))
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
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_charge_attempts_workspace_id")
                        .from("charge_attempts", "workspace_id")
                        .to("workspaces", "id"),
                )
                .to_owned(),
        )
        .await?;
        // The reconciliation job's queue: unfinished attempts whose lease ran out.
        m.create_index(
            Index::create()
                .name("ix_charge_attempts_open")
                .table("charge_attempts")
                .col("status")
                .col("lease_until")
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_charge_attempts_subscription")
                .table("charge_attempts")
                .col("subscription_id")
                .col("period_start")
                .col("retry_count")
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_charge_attempts_order")
                .table("charge_attempts")
                .col("order_id")
                .to_owned(),
        )
        .await?;

        m.alter_table(
            Table::alter()
                .table("refunds")
                .add_column(text("status").default("succeeded"))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table("refunds")
                .add_column(timestamp_with_time_zone_null("lease_until"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_refunds_open")
                .table("refunds")
                .col("status")
                .col("lease_until")
                .to_owned(),
        )
        .await?;

        m.alter_table(
            Table::alter()
                .table("subscriptions")
                .add_column(timestamp_with_time_zone_null("claimed_until"))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table("subscriptions")
                .add_column(integer("claim_failures").default(0))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table("provider_events")
                .add_column(integer("attempts").default(0))
                .to_owned(),
        )
        .await?;

        // In-flight and stored answers are per caller now; records are a 24-hour cache, so the
        // table is made anew rather than migrated.
        m.drop_index(
            Index::drop()
                .name("ix_idempotency_keys_created")
                .table("idempotency_keys")
                .if_exists()
                .to_owned(),
        )
        .await?;
        m.drop_table(Table::drop().table("idempotency_keys").to_owned())
            .await?;
        m.create_table(
            Table::create()
                .table("idempotency_keys")
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
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_idempotency_keys_workspace_id")
                        .from("idempotency_keys", "workspace_id")
                        .to("workspaces", "id")
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_idempotency_keys_created")
                .table("idempotency_keys")
                .col("created_at")
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table("sim_provider_ledger")
                .col(text("id").primary_key())
                .col(text("idempotency_key").unique_key())
                .col(text("kind"))
                .col(text("payment_id"))
                .col(big_integer("amount"))
                .col(text("currency"))
                .col(text("result"))
                .col(timestamp_with_time_zone("created_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_sim_provider_ledger_payment")
                .table("sim_provider_ledger")
                .col("payment_id")
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("sim_provider_ledger").to_owned())
            .await?;
        m.drop_index(
            Index::drop()
                .name("ix_idempotency_keys_created")
                .table("idempotency_keys")
                .if_exists()
                .to_owned(),
        )
        .await?;
        m.drop_table(Table::drop().table("idempotency_keys").to_owned())
            .await?;
        m.create_table(
            Table::create()
                .table("idempotency_keys")
                .col(text("workspace_id"))
                .col(text("key"))
                .col(text("fingerprint"))
                .col(small_integer_null("response_status"))
                .col(text_null("response_body"))
                .col(timestamp_with_time_zone("created_at"))
                .primary_key(Index::create().col("workspace_id").col("key"))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_idempotency_keys_workspace_id")
                        .from("idempotency_keys", "workspace_id")
                        .to("workspaces", "id")
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_idempotency_keys_created")
                .table("idempotency_keys")
                .col("created_at")
                .to_owned(),
        )
        .await?;
        m.drop_index(
            Index::drop()
                .name("ix_refunds_open")
                .table("refunds")
                .to_owned(),
        )
        .await?;
        for (table, col) in [
            ("provider_events", "attempts"),
            ("subscriptions", "claim_failures"),
            ("subscriptions", "claimed_until"),
            ("refunds", "lease_until"),
            ("refunds", "status"),
        ] {
            m.alter_table(Table::alter().table(table).drop_column(col).to_owned())
                .await?;
        }
        m.drop_table(Table::drop().table("charge_attempts").to_owned())
            .await
    }
}
