//! The webhook outbox: the deliveries an event writes, in the event's own transaction, one per
//! enabled endpoint of the workspace that wants it. Below both the audit trail (which calls it
//! for every event) and the webhooks room (which manages endpoints and sends deliveries); and
//! the deliveries an object's events made (an order's details).

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use super::{Caller, DomainError, Services, stored_json};
use crate::db::entities::{event, webhook_delivery, webhook_endpoint};
use crate::types::activity::TargetKind;
use crate::types::webhook::{DeliveryStatus, DeliverySummary};
use crate::types::{
    EventId, EventPattern, EventType, Scope, WebhookDeliveryId, WebhookEndpointId, WorkspaceId,
};

/// The patterns an endpoint stored; one no longer in the vocabulary matches nothing.
pub(crate) fn stored_patterns(text: &str) -> Vec<EventPattern> {
    stored_json::<Vec<String>>(text)
        .unwrap_or_default()
        .iter()
        .filter_map(|t| EventPattern::parse(t).ok())
        .collect()
}

/// Writes one delivery per event and enabled endpoint of the workspace that wants it, inside
/// the events' transaction: the outbox.
pub(crate) async fn enqueue<C: ConnectionTrait>(
    conn: &C,
    workspace_id: &WorkspaceId,
    events: &[(EventId, EventType)],
    at: DateTime<Utc>,
) -> Result<(), DomainError> {
    let typed: Vec<(&EventId, EventType)> = events
        .iter()
        .filter(|(_, action)| action.is_webhook())
        .map(|(id, action)| (id, *action))
        .collect();
    if typed.is_empty() {
        return Ok(());
    }
    // Only what routing needs: never the signing secrets, on every event.
    let endpoints: Vec<(WebhookEndpointId, Vec<EventPattern>)> = webhook_endpoint::Entity::find()
        .select_only()
        .column(webhook_endpoint::Column::Id)
        .column(webhook_endpoint::Column::EventTypes)
        .filter(webhook_endpoint::Column::WorkspaceId.eq(workspace_id))
        .filter(webhook_endpoint::Column::Enabled.eq(true))
        .into_tuple::<(WebhookEndpointId, String)>()
        .all(conn)
        .await?
        .into_iter()
        .map(|(id, types)| (id, stored_patterns(&types)))
        .collect();
    let mut rows: Vec<webhook_delivery::ActiveModel> = Vec::new();
    for (event_id, event_type) in typed {
        for (endpoint_id, wanted) in &endpoints {
            if !wanted.iter().any(|p| p.matches(event_type)) {
                continue;
            }
            rows.push(webhook_delivery::ActiveModel {
                id: Set(WebhookDeliveryId::generate_at(at)),
                workspace_id: Set(workspace_id.clone()),
                endpoint_id: Set(endpoint_id.clone()),
                event_id: Set(event_id.clone()),
                event_type: Set(event_type),
                status: Set(DeliveryStatus::Pending),
                attempts: Set(0),
                next_attempt_at: Set(at),
                payload: Set(None),
                last_status: Set(None),
                last_error: Set(None),
                created_at: Set(at),
                delivered_at: Set(None),
            });
        }
    }
    // Batches stay far below either engine's limit on bound values.
    for batch in rows.chunks(500) {
        webhook_delivery::Entity::insert_many(batch.to_vec())
            .exec(conn)
            .await?;
    }
    Ok(())
}

/// The webhook deliveries of the events about one object (its latest 50 events), oldest
/// first: what an order's details show. Whoever may read the object may see them.
pub(crate) async fn deliveries_about(
    svc: &Services,
    caller: &Caller,
    target: TargetKind,
    target_id: &str,
) -> Result<Vec<DeliverySummary>, DomainError> {
    caller.require(Scope::CustomersRead)?;
    let events: Vec<EventId> = event::Entity::find()
        .select_only()
        .column(event::Column::Id)
        .filter(event::Column::WorkspaceId.eq(&caller.workspace_id))
        .filter(event::Column::TargetType.eq(target))
        .filter(event::Column::TargetId.eq(target_id))
        .order_by_desc(event::Column::Id)
        .limit(50)
        .into_tuple()
        .all(&svc.db)
        .await?;
    if events.is_empty() {
        return Ok(Vec::new());
    }
    let rows = webhook_delivery::Entity::find()
        .filter(webhook_delivery::Column::WorkspaceId.eq(&caller.workspace_id))
        .filter(webhook_delivery::Column::EventId.is_in(events))
        .order_by_asc(webhook_delivery::Column::Id)
        .all(&svc.db)
        .await?;
    let mut ids: Vec<WebhookEndpointId> = rows.iter().map(|r| r.endpoint_id.clone()).collect();
    ids.sort();
    ids.dedup();
    let urls: std::collections::HashMap<WebhookEndpointId, String> = if ids.is_empty() {
        Default::default()
    } else {
        webhook_endpoint::Entity::find()
            .select_only()
            .column(webhook_endpoint::Column::Id)
            .column(webhook_endpoint::Column::Url)
            .filter(webhook_endpoint::Column::Id.is_in(ids))
            .into_tuple::<(WebhookEndpointId, String)>()
            .all(&svc.db)
            .await?
            .into_iter()
            .collect()
    };
    Ok(rows
        .into_iter()
        .map(|r| DeliverySummary {
            endpoint_url: urls.get(&r.endpoint_id).cloned().unwrap_or_default(),
            event_type: r.event_type,
            endpoint_id: r.endpoint_id,
            status: r.status,
            attempt_count: r.attempts,
            last_status: r.last_status,
        })
        .collect())
}
