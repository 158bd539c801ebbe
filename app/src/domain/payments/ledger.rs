//! Setting the provider's ledger against Patron's orders, refunds and voided attempts (`server
//! reconcile`).

use crate::types::money::CurrencyCode;
use std::collections::{HashMap, HashSet};
use std::fmt;

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};

use crate::db::entities::{charge_attempt as attempt, order, refund};
use crate::types::money;
use crate::types::order::RefundStatus;

use crate::domain::provider::MovementKind;
use crate::domain::{DomainError, Services};

use super::AttemptStatus;

/// A disagreement between the provider's ledger and Patron's records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference(pub String);

impl fmt::Display for Difference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Sets every movement in the provider's ledger against Patron's orders, refunds and voided
/// attempts, and the other way round; empty when they agree to the cent. Money still in flight
/// (a pending refund the provider has not made) is not a difference.
pub async fn compare(svc: &Services) -> Result<Vec<Difference>, DomainError> {
    let movements = svc
        .provider
        .movements()
        .await
        .map_err(|e| DomainError::internal(e.to_string()))?;
    let orders: Vec<(String, Option<String>, i64, CurrencyCode)> = order::Entity::find()
        .select_only()
        .column(order::Column::Id)
        .column(order::Column::ProviderPaymentId)
        .column(order::Column::Amount)
        .column(order::Column::Currency)
        .filter(order::Column::ProviderPaymentId.is_not_null())
        .into_tuple()
        .all(&svc.db)
        .await?;
    let refunds = refund::Entity::find().all(&svc.db).await?;
    let voided: Vec<(String, String)> = attempt::Entity::find()
        .select_only()
        .column(attempt::Column::Id)
        .column(attempt::Column::Status)
        .filter(attempt::Column::Status.is_in([AttemptStatus::Voided, AttemptStatus::Voiding]))
        .into_tuple()
        .all(&svc.db)
        .await?;
    let voided: HashMap<&str, &str> = voided
        .iter()
        .map(|(id, s)| (id.as_str(), s.as_str()))
        .collect();

    let mut out = Vec::new();
    let mut diff = |s: String| out.push(Difference(s));
    let charges: HashMap<&str, _> = movements
        .iter()
        .filter(|m| m.kind == MovementKind::Charge)
        .map(|m| (m.id.as_str(), m))
        .collect();
    let provider_refunds: HashMap<&str, _> = movements
        .iter()
        .filter(|m| m.kind == MovementKind::Refund)
        .map(|m| (m.idempotency_key.as_str(), m))
        .collect();
    let by_payment: HashMap<&str, &(String, Option<String>, i64, CurrencyCode)> = orders
        .iter()
        .filter_map(|o| o.1.as_deref().map(|p| (p, o)))
        .collect();

    for c in charges.values() {
        let shown = money::format(c.amount, c.currency);
        match by_payment.get(c.id.as_str()) {
            Some((order_id, _, amount, currency)) => {
                if *amount != c.amount || *currency != c.currency {
                    diff(format!(
                        "charge {}: the provider took {shown}, order {order_id} records {}",
                        c.id,
                        money::format(*amount, *currency)
                    ));
                }
            }
            None => match voided.get(c.idempotency_key.as_str()) {
                Some(_) => {
                    let back = provider_refunds.get(format!("void_{}", c.idempotency_key).as_str());
                    if back.is_none_or(|r| r.amount != c.amount) {
                        diff(format!(
                            "charge {}: {shown} was voided in Patron (attempt {}) but the provider has not given it back",
                            c.id, c.idempotency_key
                        ));
                    }
                }
                None => diff(format!(
                    "charge {}: the provider took {shown} (key {}) and Patron has no order for it",
                    c.id, c.idempotency_key
                )),
            },
        }
    }
    for (order_id, payment, amount, currency) in &orders {
        if let Some(p) = payment
            && !charges.contains_key(p.as_str())
        {
            diff(format!(
                "order {order_id}: records {} paid by {p}, which the provider never charged",
                money::format(*amount, *currency)
            ));
        }
    }
    let patron_refunds: HashMap<&str, &refund::Model> =
        refunds.iter().map(|r| (r.id.as_str(), r)).collect();
    for (key, r) in &provider_refunds {
        let shown = money::format(r.amount, r.currency);
        if let Some(attempt) = key.strip_prefix("void_") {
            if !voided.contains_key(attempt) {
                diff(format!(
                    "refund {}: the provider gave back {shown} to void attempt {attempt}, which Patron does not record as voided",
                    r.id
                ));
            }
            continue;
        }
        match patron_refunds.get(key) {
            Some(p) if p.status == RefundStatus::Succeeded => {
                if p.amount != r.amount || p.provider_refund_id.as_deref() != Some(r.id.as_str()) {
                    diff(format!(
                        "refund {}: the provider gave back {shown}, Patron's refund {} records {} under {}",
                        r.id,
                        p.id,
                        money::format(p.amount, p.currency),
                        p.provider_refund_id.as_deref().unwrap_or("no provider id")
                    ));
                }
            }
            Some(p) => diff(format!(
                "refund {}: the provider gave back {shown}, Patron's refund {} is still {}",
                r.id, p.id, p.status
            )),
            None => diff(format!(
                "refund {}: the provider gave back {shown} (key {key}) and Patron has no refund for it",
                r.id
            )),
        }
    }
    let known: HashSet<&str> = provider_refunds.values().map(|r| r.id.as_str()).collect();
    for r in &refunds {
        if r.status == RefundStatus::Succeeded
            && let Some(p) = &r.provider_refund_id
            && !known.contains(p.as_str())
        {
            diff(format!(
                "refund {}: Patron records {} given back as {p}, which the provider never made",
                r.id,
                money::format(r.amount, r.currency)
            ));
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}
