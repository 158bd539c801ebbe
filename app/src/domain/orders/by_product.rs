//! A customer's purchases grouped by product: each product's latest order (its last action)
//! and latest paid one (its payment details), in two queries over the customer's orders.

use std::collections::HashMap;

use super::*;
use crate::db::entities::product;
use crate::types::order::ProductPurchases;
use crate::types::product::ProductKind;

/// Every product the customer ordered, subscriptions first, then by latest order, newest first.
pub async fn purchases_by_product(
    svc: &Services,
    caller: &Caller,
    customer_id: &CustomerId,
) -> Result<Vec<ProductPurchases>, DomainError> {
    caller.require(Scope::CustomersRead)?;
    customers::get_customer(svc, caller, customer_id).await?;
    let of_customer = || {
        order::Entity::find()
            .select_only()
            .column(order::Column::ProductId)
            .filter(order::Column::WorkspaceId.eq(caller.workspace_id.as_str()))
            .filter(order::Column::CustomerId.eq(customer_id.as_str()))
            .group_by(order::Column::ProductId)
    };
    // Ids are ULIDs in creation order: the greatest is the latest.
    let latest: Vec<(ProductId, OrderId, i64)> = of_customer()
        .column_as(order::Column::Id.max(), "last_id")
        .column_as(order::Column::Id.count(), "n")
        .into_tuple()
        .all(&svc.db)
        .await?;
    let paid: Vec<(ProductId, OrderId)> = of_customer()
        .column_as(order::Column::Id.max(), "last_id")
        .filter(order::Column::PaidAt.is_not_null())
        .into_tuple()
        .all(&svc.db)
        .await?;
    let wanted: Vec<OrderId> = latest
        .iter()
        .map(|(_, id, _)| id.clone())
        .chain(paid.iter().map(|(_, id)| id.clone()))
        .collect();
    let rows = order::Entity::find()
        .filter(order::Column::WorkspaceId.eq(caller.workspace_id.as_str()))
        .filter(order::Column::Id.is_in(wanted))
        .all(&svc.db)
        .await?;
    let mut by_id: HashMap<OrderId, Order> = present(&svc.db, rows)
        .await?
        .into_iter()
        .map(|o| (o.id.clone(), o))
        .collect();
    let kinds: HashMap<ProductId, ProductKind> = product::Entity::find()
        .filter(product::Column::Id.is_in(latest.iter().map(|(p, ..)| p.clone())))
        .all(&svc.db)
        .await?
        .into_iter()
        .map(|p| (p.id, p.kind))
        .collect();
    let paid: HashMap<ProductId, OrderId> = paid.into_iter().collect();
    let mut out = Vec::with_capacity(latest.len());
    for (product_id, last_id, n) in latest {
        let last_paid_order = paid.get(&product_id).and_then(|id| by_id.get(id).cloned());
        let Some(last_order) = by_id.remove(&last_id) else {
            continue;
        };
        out.push(ProductPurchases {
            kind: kinds
                .get(&product_id)
                .copied()
                .unwrap_or(ProductKind::OneTime),
            product_name: last_order.product_name.clone(),
            product_id,
            orders_count: n,
            last_order,
            last_paid_order,
        });
    }
    out.sort_by(|a, b| {
        (b.kind == ProductKind::Subscription)
            .cmp(&(a.kind == ProductKind::Subscription))
            .then_with(|| b.last_order.id.cmp(&a.last_order.id))
    });
    Ok(out)
}
