//! Products, orders, refunds, disputes, subscriptions with invoices and payment attempts,
//! entitlements and their game-server commands, payment details, inbound provider events, and
//! the customer stats columns the list sorts by.

use sea_orm_migration::{prelude::*, schema::*};

use super::kit::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The stats kept on each customer, in the workspace currency where they are amounts.
const CUSTOMER_STATS: [&str; 8] = [
    "ltv_amount",
    "order_count",
    "total_payments",
    "mrr_amount",
    "active_subscriptions",
    "refunds_count",
    "refunded_amount",
    "disputes_count",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // SQLite alters one column per statement.
        add_column(m, "workspaces", text_null("signing_secret")).await?;
        for col in CUSTOMER_STATS {
            add_column(m, "customers", big_integer(col).default(0)).await?;
        }
        add_column(
            m,
            "customers",
            timestamp_with_time_zone_null("last_order_at"),
        )
        .await?;
        index(
            m,
            "ix_customers_ltv",
            "customers",
            &["workspace_id", "ltv_amount", "id"],
        )
        .await?;
        index(
            m,
            "ix_customers_last_order",
            "customers",
            &["workspace_id", "last_order_at", "id"],
        )
        .await?;

        table("customer_currency_totals")
            .col(text("customer_id"))
            .col(text("currency"))
            .col(text("workspace_id"))
            .col(big_integer("paid_amount"))
            .col(big_integer("refunded_amount"))
            .col(big_integer("charged_back_amount"))
            .primary_key(Index::create().col("customer_id").col("currency"))
            .foreign_key(&mut cascade_fk(
                "customer_currency_totals",
                "customer_id",
                "customers",
            ))
            .create(m)
            .await?;

        workspace_table("products")
            .col(text("name"))
            .col(text("kind"))
            .col(big_integer("amount"))
            .col(text("currency"))
            .col(text_null("interval"))
            .col(integer_null("interval_count"))
            .col(text("benefits"))
            .col(timestamp_with_time_zone("created_at"))
            .col(timestamp_with_time_zone_null("archived_at"))
            .foreign_key(&mut cascade_fk("products", "workspace_id", "workspaces"))
            .create(m)
            .await?;
        index(
            m,
            "ix_products_workspace",
            "products",
            &["workspace_id", "id"],
        )
        .await?;

        customer_table("subscriptions")
            .col(text("product_id"))
            .col(text("status"))
            .col(big_integer("amount"))
            .col(text("currency"))
            .col(big_integer("workspace_amount"))
            .col(text("interval"))
            .col(integer("interval_count"))
            .col(text("payment_method"))
            .col(text("payment_token"))
            .col(timestamp_with_time_zone("current_period_start"))
            .col(timestamp_with_time_zone("current_period_end"))
            .col(boolean("cancel_at_period_end"))
            .col(timestamp_with_time_zone_null("canceled_at"))
            .col(timestamp_with_time_zone_null("ended_at"))
            .col(text_null("cancel_reason"))
            .col(integer("retry_count"))
            .col(timestamp_with_time_zone_null("next_retry_at"))
            .col(timestamp_with_time_zone("created_at"))
            .col(timestamp_with_time_zone("updated_at"))
            .col(big_integer("version"))
            .foreign_key(&mut cascade_fk(
                "subscriptions",
                "workspace_id",
                "workspaces",
            ))
            .foreign_key(&mut cascade_fk("subscriptions", "customer_id", "customers"))
            .foreign_key(&mut cascade_fk("subscriptions", "product_id", "products"))
            .create(m)
            .await?;
        index(
            m,
            "ix_subscriptions_customer",
            "subscriptions",
            &["workspace_id", "customer_id", "id"],
        )
        .await?;
        // The billing clock's two questions: whose period ended, whose retry is due.
        index(
            m,
            "ix_subscriptions_period_end",
            "subscriptions",
            &["status", "current_period_end"],
        )
        .await?;
        index(
            m,
            "ix_subscriptions_retry",
            "subscriptions",
            &["status", "next_retry_at"],
        )
        .await?;

        customer_table("orders")
            .col(text("product_id"))
            .col(text_null("subscription_id"))
            .col(text("kind"))
            .col(text("status"))
            .col(text_null("status_before_dispute"))
            .col(big_integer("amount"))
            .col(text("currency"))
            .col(big_integer("refunded_amount"))
            .col(big_integer("charged_back_amount"))
            .col(big_integer("workspace_amount"))
            .col(text("workspace_currency"))
            .col(big_integer("exchange_rate_micros"))
            .col(text("payment_method"))
            .col(text_null("card_fingerprint"))
            .col(text("provider"))
            .col(text_null("provider_payment_id"))
            .col(text_null("ip"))
            .col(text_null("customer_note"))
            .col(text_null("failure_code"))
            .col(text_null("failure_message"))
            .col(timestamp_with_time_zone("created_at"))
            .col(timestamp_with_time_zone_null("paid_at"))
            .foreign_key(&mut cascade_fk("orders", "workspace_id", "workspaces"))
            .foreign_key(&mut cascade_fk("orders", "customer_id", "customers"))
            .foreign_key(&mut cascade_fk("orders", "product_id", "products"))
            .foreign_key(&mut cascade_fk(
                "orders",
                "subscription_id",
                "subscriptions",
            ))
            .create(m)
            .await?;
        index(
            m,
            "ix_orders_customer",
            "orders",
            &["workspace_id", "customer_id", "id"],
        )
        .await?;
        index(
            m,
            "ix_orders_subscription",
            "orders",
            &["subscription_id", "id"],
        )
        .await?;
        index(
            m,
            "ix_orders_product",
            "orders",
            &["workspace_id", "product_id", "customer_id"],
        )
        .await?;

        workspace_table("refunds")
            .col(text("order_id"))
            .col(text("customer_id"))
            .col(big_integer("amount"))
            .col(text("currency"))
            .col(big_integer("workspace_amount"))
            .col(text_null("reason"))
            .col(boolean("risk_acknowledged"))
            .col(boolean("blocked_payment_details"))
            .col(boolean("revoked_benefits"))
            .col(text_null("provider_refund_id"))
            .col(timestamp_with_time_zone("created_at"))
            .foreign_key(&mut cascade_fk("refunds", "workspace_id", "workspaces"))
            .foreign_key(&mut cascade_fk("refunds", "order_id", "orders"))
            .create(m)
            .await?;
        index(m, "ix_refunds_order", "refunds", &["order_id", "id"]).await?;

        workspace_table("disputes")
            .col(text("order_id"))
            .col(text("customer_id"))
            .col(big_integer("amount"))
            .col(text("currency"))
            .col(big_integer("workspace_amount"))
            .col(text("status"))
            .col(text_null("reason"))
            .col(timestamp_with_time_zone("opened_at"))
            .col(timestamp_with_time_zone_null("closed_at"))
            .col(text_null("repayment_method"))
            .col(text_null("repayment_order_id"))
            .col(timestamp_with_time_zone_null("repayment_requested_at"))
            .foreign_key(&mut cascade_fk("disputes", "workspace_id", "workspaces"))
            .foreign_key(&mut cascade_fk("disputes", "order_id", "orders"))
            .create(m)
            .await?;
        index(m, "ix_disputes_order", "disputes", &["order_id", "id"]).await?;

        workspace_table("invoices")
            .col(text("subscription_id"))
            .col(text("customer_id"))
            .col(text_null("order_id"))
            .col(big_integer("amount"))
            .col(text("currency"))
            .col(text("status"))
            .col(timestamp_with_time_zone("period_start"))
            .col(timestamp_with_time_zone("period_end"))
            .col(timestamp_with_time_zone("created_at"))
            .col(timestamp_with_time_zone_null("paid_at"))
            .foreign_key(&mut cascade_fk("invoices", "workspace_id", "workspaces"))
            .foreign_key(&mut cascade_fk(
                "invoices",
                "subscription_id",
                "subscriptions",
            ))
            .create(m)
            .await?;
        index(
            m,
            "ix_invoices_subscription",
            "invoices",
            &["subscription_id", "id"],
        )
        .await?;
        workspace_table("payment_attempts")
            .col(text("invoice_id"))
            .col(text("status"))
            .col(text_null("failure_code"))
            .col(text_null("failure_message"))
            .col(text_null("provider_payment_id"))
            .col(timestamp_with_time_zone("attempted_at"))
            .foreign_key(&mut cascade_fk(
                "payment_attempts",
                "invoice_id",
                "invoices",
            ))
            .create(m)
            .await?;
        index(
            m,
            "ix_payment_attempts_invoice",
            "payment_attempts",
            &["invoice_id", "id"],
        )
        .await?;

        customer_table("entitlements")
            .col(text("product_id"))
            .col(text_null("order_id"))
            .col(text_null("subscription_id"))
            .col(text("source"))
            .col(text("kind"))
            .col(text("benefit"))
            .col(text("status"))
            .col(text_null("license_key"))
            .col(text_null("discord_user_id"))
            .col(timestamp_with_time_zone("granted_at"))
            .col(timestamp_with_time_zone_null("expires_at"))
            .col(timestamp_with_time_zone_null("ended_at"))
            .col(text_null("end_reason"))
            .foreign_key(&mut cascade_fk(
                "entitlements",
                "workspace_id",
                "workspaces",
            ))
            .foreign_key(&mut cascade_fk("entitlements", "customer_id", "customers"))
            .create(m)
            .await?;
        index(
            m,
            "ix_entitlements_customer",
            "entitlements",
            &["workspace_id", "customer_id", "id"],
        )
        .await?;
        index(
            m,
            "ix_entitlements_subscription",
            "entitlements",
            &["subscription_id"],
        )
        .await?;
        index(m, "ix_entitlements_order", "entitlements", &["order_id"]).await?;
        index(
            m,
            "ix_entitlements_expiry",
            "entitlements",
            &["status", "expires_at"],
        )
        .await?;
        unique_index(
            m,
            "ux_entitlements_license_key",
            "entitlements",
            &["workspace_id", "license_key"],
        )
        .await?;

        workspace_table("entitlement_commands")
            .col(text("entitlement_id"))
            .col(text("server"))
            .col(text("command"))
            .col(text("phase"))
            .col(text("status"))
            .col(timestamp_with_time_zone("created_at"))
            .col(timestamp_with_time_zone_null("executed_at"))
            .foreign_key(&mut cascade_fk(
                "entitlement_commands",
                "entitlement_id",
                "entitlements",
            ))
            .create(m)
            .await?;
        index(
            m,
            "ix_entitlement_commands_entitlement",
            "entitlement_commands",
            &["entitlement_id", "id"],
        )
        .await?;
        index(
            m,
            "ix_entitlement_commands_queue",
            "entitlement_commands",
            &["workspace_id", "server", "status", "id"],
        )
        .await?;

        customer_table("payment_details")
            .col(text("kind"))
            .col(text("value"))
            .col(text("label"))
            .col(text("status"))
            .col(timestamp_with_time_zone("first_seen_at"))
            .col(timestamp_with_time_zone("last_seen_at"))
            .col(timestamp_with_time_zone_null("blocked_at"))
            .foreign_key(&mut cascade_fk(
                "payment_details",
                "workspace_id",
                "workspaces",
            ))
            .foreign_key(&mut cascade_fk(
                "payment_details",
                "customer_id",
                "customers",
            ))
            .create(m)
            .await?;
        unique_index(
            m,
            "ux_payment_details_customer",
            "payment_details",
            &["workspace_id", "customer_id", "kind", "value"],
        )
        .await?;
        // Checkout asks: is this card/account/email/IP blocked anywhere in the workspace?
        index(
            m,
            "ix_payment_details_value",
            "payment_details",
            &["workspace_id", "kind", "value", "status"],
        )
        .await?;

        workspace_table("provider_events")
            .col(text("order_id"))
            .col(text("kind"))
            .col(text("payload"))
            .col(timestamp_with_time_zone("due_at"))
            .col(timestamp_with_time_zone_null("processed_at"))
            .foreign_key(&mut cascade_fk("provider_events", "order_id", "orders"))
            .create(m)
            .await?;
        index(
            m,
            "ix_provider_events_due",
            "provider_events",
            &["processed_at", "due_at"],
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(
            m,
            [
                "provider_events",
                "payment_details",
                "entitlement_commands",
                "entitlements",
                "payment_attempts",
                "invoices",
                "disputes",
                "refunds",
                "orders",
                "subscriptions",
                "products",
                "customer_currency_totals",
            ],
        )
        .await?;
        for ix in ["ix_customers_ltv", "ix_customers_last_order"] {
            drop_index(m, ix, "customers").await?;
        }
        for col in CUSTOMER_STATS.into_iter().chain(["last_order_at"]) {
            drop_column(m, "customers", col).await?;
        }
        drop_column(m, "workspaces", "signing_secret").await
    }
}
