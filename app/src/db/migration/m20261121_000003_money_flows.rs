//! Products, orders, refunds, disputes, subscriptions with invoices and payment attempts,
//! entitlements and their game-server commands, payment details, inbound provider events, and
//! the customer stats columns the list sorts by.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

fn fk(table: &'static str, col: &'static str, to: &'static str) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_{table}_{col}"))
        .from(table, col)
        .to(to, "id")
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

fn index(name: &str, table: &'static str, cols: &[&'static str]) -> IndexCreateStatement {
    let mut i = Index::create();
    i.name(name).table(table);
    for c in cols {
        i.col(*c);
    }
    i.to_owned()
}

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
        m.alter_table(
            Table::alter()
                .table("workspaces")
                .add_column(text_null("signing_secret"))
                .to_owned(),
        )
        .await?;
        for col in CUSTOMER_STATS {
            m.alter_table(
                Table::alter()
                    .table("customers")
                    .add_column(big_integer(col).default(0))
                    .to_owned(),
            )
            .await?;
        }
        m.alter_table(
            Table::alter()
                .table("customers")
                .add_column(timestamp_with_time_zone_null("last_order_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "ix_customers_ltv",
            "customers",
            &["workspace_id", "ltv_amount", "id"],
        ))
        .await?;
        m.create_index(index(
            "ix_customers_last_order",
            "customers",
            &["workspace_id", "last_order_at", "id"],
        ))
        .await?;

        m.create_table(
            Table::create()
                .table("customer_currency_totals")
                .col(text("customer_id"))
                .col(text("currency"))
                .col(text("workspace_id"))
                .col(big_integer("paid_amount"))
                .col(big_integer("refunded_amount"))
                .col(big_integer("charged_back_amount"))
                .primary_key(Index::create().col("customer_id").col("currency"))
                .foreign_key(&mut fk(
                    "customer_currency_totals",
                    "customer_id",
                    "customers",
                ))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table("products")
                .col(text("id").primary_key())
                .col(text("workspace_id"))
                .col(text("name"))
                .col(text("kind"))
                .col(big_integer("amount"))
                .col(text("currency"))
                .col(text_null("interval"))
                .col(integer_null("interval_count"))
                .col(text("benefits"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone_null("archived_at"))
                .foreign_key(&mut fk("products", "workspace_id", "workspaces"))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "ix_products_workspace",
            "products",
            &["workspace_id", "id"],
        ))
        .await?;

        m.create_table(
            Table::create()
                .table("subscriptions")
                .col(text("id").primary_key())
                .col(text("workspace_id"))
                .col(text("customer_id"))
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
                .foreign_key(&mut fk("subscriptions", "workspace_id", "workspaces"))
                .foreign_key(&mut fk("subscriptions", "customer_id", "customers"))
                .foreign_key(&mut fk("subscriptions", "product_id", "products"))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "ix_subscriptions_customer",
            "subscriptions",
            &["workspace_id", "customer_id", "id"],
        ))
        .await?;
        // The billing clock's two questions: whose period ended, whose retry is due.
        m.create_index(index(
            "ix_subscriptions_period_end",
            "subscriptions",
            &["status", "current_period_end"],
        ))
        .await?;
        m.create_index(index(
            "ix_subscriptions_retry",
            "subscriptions",
            &["status", "next_retry_at"],
        ))
        .await?;

        m.create_table(
            Table::create()
                .table("orders")
                .col(text("id").primary_key())
                .col(text("workspace_id"))
                .col(text("customer_id"))
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
                .foreign_key(&mut fk("orders", "workspace_id", "workspaces"))
                .foreign_key(&mut fk("orders", "customer_id", "customers"))
                .foreign_key(&mut fk("orders", "product_id", "products"))
                .foreign_key(&mut fk("orders", "subscription_id", "subscriptions"))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "ix_orders_customer",
            "orders",
            &["workspace_id", "customer_id", "id"],
        ))
        .await?;
        m.create_index(index(
            "ix_orders_subscription",
            "orders",
            &["subscription_id", "id"],
        ))
        .await?;
        m.create_index(index(
            "ix_orders_product",
            "orders",
            &["workspace_id", "product_id", "customer_id"],
        ))
        .await?;

        m.create_table(
            Table::create()
                .table("refunds")
                .col(text("id").primary_key())
                .col(text("workspace_id"))
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
                .foreign_key(&mut fk("refunds", "workspace_id", "workspaces"))
                .foreign_key(&mut fk("refunds", "order_id", "orders"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("ix_refunds_order", "refunds", &["order_id", "id"]))
            .await?;

        m.create_table(
            Table::create()
                .table("disputes")
                .col(text("id").primary_key())
                .col(text("workspace_id"))
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
                .foreign_key(&mut fk("disputes", "workspace_id", "workspaces"))
                .foreign_key(&mut fk("disputes", "order_id", "orders"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("ix_disputes_order", "disputes", &["order_id", "id"]))
            .await?;

        m.create_table(
            Table::create()
                .table("invoices")
                .col(text("id").primary_key())
                .col(text("workspace_id"))
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
                .foreign_key(&mut fk("invoices", "workspace_id", "workspaces"))
                .foreign_key(&mut fk("invoices", "subscription_id", "subscriptions"))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "ix_invoices_subscription",
            "invoices",
            &["subscription_id", "id"],
        ))
        .await?;
        m.create_table(
            Table::create()
                .table("payment_attempts")
                .col(text("id").primary_key())
                .col(text("workspace_id"))
                .col(text("invoice_id"))
                .col(text("status"))
                .col(text_null("failure_code"))
                .col(text_null("failure_message"))
                .col(text_null("provider_payment_id"))
                .col(timestamp_with_time_zone("attempted_at"))
                .foreign_key(&mut fk("payment_attempts", "invoice_id", "invoices"))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "ix_payment_attempts_invoice",
            "payment_attempts",
            &["invoice_id", "id"],
        ))
        .await?;

        m.create_table(
            Table::create()
                .table("entitlements")
                .col(text("id").primary_key())
                .col(text("workspace_id"))
                .col(text("customer_id"))
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
                .foreign_key(&mut fk("entitlements", "workspace_id", "workspaces"))
                .foreign_key(&mut fk("entitlements", "customer_id", "customers"))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "ix_entitlements_customer",
            "entitlements",
            &["workspace_id", "customer_id", "id"],
        ))
        .await?;
        m.create_index(index(
            "ix_entitlements_subscription",
            "entitlements",
            &["subscription_id"],
        ))
        .await?;
        m.create_index(index(
            "ix_entitlements_order",
            "entitlements",
            &["order_id"],
        ))
        .await?;
        m.create_index(index(
            "ix_entitlements_expiry",
            "entitlements",
            &["status", "expires_at"],
        ))
        .await?;
        m.create_index(
            index(
                "ux_entitlements_license_key",
                "entitlements",
                &["workspace_id", "license_key"],
            )
            .unique()
            .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table("entitlement_commands")
                .col(text("id").primary_key())
                .col(text("workspace_id"))
                .col(text("entitlement_id"))
                .col(text("server"))
                .col(text("command"))
                .col(text("phase"))
                .col(text("status"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone_null("executed_at"))
                .foreign_key(&mut fk(
                    "entitlement_commands",
                    "entitlement_id",
                    "entitlements",
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "ix_entitlement_commands_entitlement",
            "entitlement_commands",
            &["entitlement_id", "id"],
        ))
        .await?;
        m.create_index(index(
            "ix_entitlement_commands_queue",
            "entitlement_commands",
            &["workspace_id", "server", "status", "id"],
        ))
        .await?;

        m.create_table(
            Table::create()
                .table("payment_details")
                .col(text("id").primary_key())
                .col(text("workspace_id"))
                .col(text("customer_id"))
                .col(text("kind"))
                .col(text("value"))
                .col(text("label"))
                .col(text("status"))
                .col(timestamp_with_time_zone("first_seen_at"))
                .col(timestamp_with_time_zone("last_seen_at"))
                .col(timestamp_with_time_zone_null("blocked_at"))
                .foreign_key(&mut fk("payment_details", "workspace_id", "workspaces"))
                .foreign_key(&mut fk("payment_details", "customer_id", "customers"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            index(
                "ux_payment_details_customer",
                "payment_details",
                &["workspace_id", "customer_id", "kind", "value"],
            )
            .unique()
            .to_owned(),
        )
        .await?;
        // Checkout asks: is this card/account/email/IP blocked anywhere in the workspace?
        m.create_index(index(
            "ix_payment_details_value",
            "payment_details",
            &["workspace_id", "kind", "value", "status"],
        ))
        .await?;

        m.create_table(
            Table::create()
                .table("provider_events")
                .col(text("id").primary_key())
                .col(text("workspace_id"))
                .col(text("order_id"))
                .col(text("kind"))
                .col(text("payload"))
                .col(timestamp_with_time_zone("due_at"))
                .col(timestamp_with_time_zone_null("processed_at"))
                .foreign_key(&mut fk("provider_events", "order_id", "orders"))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "ix_provider_events_due",
            "provider_events",
            &["processed_at", "due_at"],
        ))
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for table in [
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
        ] {
            m.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        for ix in ["ix_customers_ltv", "ix_customers_last_order"] {
            m.drop_index(Index::drop().name(ix).table("customers").to_owned())
                .await?;
        }
        for col in CUSTOMER_STATS.into_iter().chain(["last_order_at"]) {
            m.alter_table(
                Table::alter()
                    .table("customers")
                    .drop_column(col)
                    .to_owned(),
            )
            .await?;
        }
        m.alter_table(
            Table::alter()
                .table("workspaces")
                .drop_column("signing_secret")
                .to_owned(),
        )
        .await
    }
}
