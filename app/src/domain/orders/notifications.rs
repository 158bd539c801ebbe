//! What the payment provider sent about each order's payment (charge, refund, dispute, failed
//! renewal), kept as received and listed newest first.

use super::*;
use crate::domain::provider::NotificationAbout;
use crate::types::order::ProviderNotification;

/// The most an order's list returns: a payment gets a handful (a charge, refunds, a dispute).
const MOST: u64 = 500;

/// Keeps the notification the provider sends now about `order`'s payment, on `conn`: written in
/// the transaction that records what it reports, so the two never disagree.
pub(crate) async fn receive<C: ConnectionTrait>(
    conn: &C,
    svc: &Services,
    order: &order::Model,
    about: NotificationAbout<'_>,
) -> Result<(), DomainError> {
    let now = svc.clock.now();
    provider_event::ActiveModel {
        id: Set(ProviderEventId::generate_at(now)),
        workspace_id: Set(order.workspace_id.clone()),
        order_id: Set(order.id.clone()),
        kind: Set(about.kind),
        payload: Set(svc.provider.notification(&about, now)),
        due_at: Set(now),
        // Nothing left to apply: what it reports is recorded with it.
        processed_at: Set(Some(now)),
        attempts: Set(0),
        received_at: Set(Some(now)),
    }
    .insert(conn)
    .await?;
    Ok(())
}

/// The facts of a notification about `order`'s own payment.
pub(crate) fn about(kind: ProviderEventKind, order: &order::Model) -> NotificationAbout<'_> {
    NotificationAbout {
        kind,
        payment_id: order.provider_payment_id.as_deref(),
        idempotency_key: None,
        amount: order.amount,
        currency: order.currency,
        method: None,
        detail: None,
    }
}

fn to_notification(row: provider_event::Model) -> ProviderNotification {
    ProviderNotification {
        id: row.id,
        object: "provider_event".into(),
        order_id: row.order_id,
        kind: row.kind,
        payload: row.payload,
        received_at: row.received_at.unwrap_or(row.due_at),
    }
}

/// What the provider sent about an order, newest first (a late notice counts once received).
pub async fn list_provider_events(
    svc: &Services,
    caller: &Caller,
    order_id: &OrderId,
) -> Result<Vec<ProviderNotification>, DomainError> {
    caller.require(Scope::CustomersRead)?;
    find_row(&svc.db, caller, order_id).await?;
    Ok(provider_event::Entity::find()
        .filter(provider_event::Column::WorkspaceId.eq(caller.workspace_id.as_str()))
        .filter(provider_event::Column::OrderId.eq(order_id.as_str()))
        .filter(provider_event::Column::ReceivedAt.is_not_null())
        .order_by_desc(provider_event::Column::ReceivedAt)
        .order_by_desc(provider_event::Column::Id)
        .limit(MOST)
        .all(&svc.db)
        .await?
        .into_iter()
        .map(to_notification)
        .collect())
}
