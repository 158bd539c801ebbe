//! Billing fixtures driven through the domain on the shared [`TestApp`]: products, purchases by
//! card, the billing clock moved forward, and the stats recomputed from the tables.

use std::collections::BTreeMap;

use app::db::Engine;
use app::db::entities::{dispute, order, refund, subscription};
use app::domain::billing::{BillingReport, run_billing};
use app::domain::stats::monthly;
use app::domain::{checkouts, products};
use app::types::customer::CustomerStats;
use app::types::order::{Checkout, CheckoutCreate, CheckoutCustomer, PaymentMethodInput};
use app::types::product::{Benefit, BillingInterval, ProductCreate, ProductKind};
use app::types::{CustomerId, Product};
use chrono::{Duration, TimeZone, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use super::TestApp;

/// Billing tests run on the shared fixture, from 31 January (a month with no 31st follows).
pub type World = TestApp;

/// A [`World`]: the shared fixture with its clock standing at 31 January 2026, 09:00 UTC.
pub async fn world(engine: Engine) -> World {
    TestApp::on(engine)
        .at(Utc.with_ymd_and_hms(2026, 1, 31, 9, 0, 0).unwrap())
        .build()
        .await
}

impl TestApp {
    /// A product of `kind` at `amount` minor units of `currency` (monthly if a subscription),
    /// granting one custom benefit.
    pub async fn product(&self, kind: ProductKind, amount: i64, currency: &str) -> Product {
        products::create_product(
            &self.svc,
            &self.caller,
            ProductCreate {
                name: format!("{kind} {currency}"),
                kind,
                amount,
                currency: currency.parse().unwrap(),
                interval: (kind == ProductKind::Subscription).then_some(BillingInterval::Month),
                interval_count: None,
                benefits: vec![Benefit::Custom {
                    description: "access".into(),
                }],
            },
        )
        .await
        .unwrap()
    }

    /// `email` buys `product` with the card `number`.
    pub async fn buy(
        &self,
        product: &Product,
        email: &str,
        number: &str,
    ) -> Result<Checkout, app::domain::DomainError> {
        checkouts::create_checkout(
            &self.svc,
            &self.caller,
            CheckoutCreate {
                customer_id: None,
                customer: Some(CheckoutCustomer {
                    email: Some(email.into()),
                    ..Default::default()
                }),
                product_id: product.id.clone(),
                payment_method: PaymentMethodInput::Card {
                    number: number.into(),
                },
                ip: None,
                customer_note: None,
            },
        )
        .await
    }

    /// Moves the clock on by `by`, then runs the billing clock once: what it did.
    pub async fn tick(&self, by: Duration) -> BillingReport {
        self.clock.advance(by);
        run_billing(&self.svc).await.unwrap()
    }
}

/// The stats recomputed from the orders, refunds, disputes and subscriptions tables.
pub async fn recomputed(w: &World, id: &CustomerId) -> CustomerStats {
    let db = &w.t.db;
    let os = order::Entity::find()
        .filter(order::Column::CustomerId.eq(id.as_str()))
        .all(db)
        .await
        .unwrap();
    let rs = refund::Entity::find()
        .filter(refund::Column::CustomerId.eq(id.as_str()))
        .filter(refund::Column::Status.eq("succeeded"))
        .all(db)
        .await
        .unwrap();
    let ds = dispute::Entity::find()
        .filter(dispute::Column::CustomerId.eq(id.as_str()))
        .all(db)
        .await
        .unwrap();
    let subs = subscription::Entity::find()
        .filter(subscription::Column::CustomerId.eq(id.as_str()))
        .filter(subscription::Column::Status.eq("active"))
        .all(db)
        .await
        .unwrap();
    let mut by: BTreeMap<app::types::money::CurrencyCode, [i64; 3]> = BTreeMap::new();
    let paid: Vec<&order::Model> = os.iter().filter(|o| o.paid_at.is_some()).collect();
    for o in &paid {
        by.entry(o.currency).or_default()[0] += o.amount;
    }
    for r in &rs {
        by.entry(r.currency).or_default()[1] += r.amount;
    }
    let lost: Vec<&dispute::Model> = ds
        .iter()
        .filter(|d| d.status == app::types::order::DisputeStatus::Lost)
        .collect();
    for d in &lost {
        by.entry(d.currency).or_default()[2] += d.amount;
    }
    let ltv = paid.iter().map(|o| o.workspace_amount).sum::<i64>()
        - rs.iter().map(|r| r.workspace_amount).sum::<i64>()
        - lost.iter().map(|d| d.workspace_amount).sum::<i64>();
    CustomerStats {
        object: "customer_stats".into(),
        customer_id: id.clone(),
        currency: app::types::money::CurrencyCode::EUR,
        lifetime_value: ltv,
        lifetime_value_by_currency: by
            .into_iter()
            .map(
                |(currency, [p, r, cb])| app::types::customer::CurrencyTotals {
                    currency,
                    paid: p,
                    refunded: r,
                    charged_back: cb,
                    net: p - r - cb,
                },
            )
            .collect(),
        total_payments: paid.len() as i64,
        order_count: os.len() as i64,
        last_order_at: os.iter().map(|o| o.created_at).max(),
        mrr: subs
            .iter()
            .map(|s| monthly(s.workspace_amount, s.interval, s.interval_count))
            .sum(),
        active_subscriptions: subs.len() as i64,
        refunds_count: rs.len() as i64,
        refunded_amount: rs.iter().map(|r| r.workspace_amount).sum(),
        disputes_count: ds.len() as i64,
    }
}
