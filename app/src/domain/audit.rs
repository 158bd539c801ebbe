//! The audit trail: every change appends one event, in the same transaction as the change.
//! The same stream feeds webhooks: each event writes its deliveries in that transaction too.

use sea_orm::{ConnectionTrait, EntityTrait, Set};
use serde_json::{Map, Value};

use crate::db::entities::event;
use crate::types::activity::TargetKind;
use crate::types::{CustomerId, EventId};

use super::actor::Caller;
use super::{DomainError, Services};

/// Fields that change with every write and say nothing to a reader of the trail.
const NOISE: [&str; 2] = ["updated_at", "version"];

/// `{field: {"before": .., "after": ..}}` for each top-level field that differs between two
/// JSON objects (a missing object counts as empty).
pub fn diff(before: Option<&Value>, after: Option<&Value>) -> Value {
    let empty = Map::new();
    let b = before.and_then(Value::as_object).unwrap_or(&empty);
    let a = after.and_then(Value::as_object).unwrap_or(&empty);
    let mut out = Map::new();
    for key in b.keys().chain(a.keys()) {
        if NOISE.contains(&key.as_str()) || out.contains_key(key) {
            continue;
        }
        let (x, y) = (
            b.get(key).unwrap_or(&Value::Null),
            a.get(key).unwrap_or(&Value::Null),
        );
        if x != y {
            let mut change = Map::new();
            change.insert("before".into(), x.clone());
            change.insert("after".into(), y.clone());
            out.insert(key.clone(), Value::Object(change));
        }
    }
    Value::Object(out)
}

/// What changed, on which object.
#[derive(Debug, Clone)]
pub struct Change<'a> {
    /// Such as `customer.updated`.
    pub action: &'a str,
    /// Such as `customer`.
    pub target_type: TargetKind,
    /// The object's id.
    pub target_id: &'a str,
    /// The customer the change concerns, if any.
    pub customer_id: Option<&'a CustomerId>,
    /// From [`diff`].
    pub changes: Value,
}

/// Appends one event on `conn` (pass the change's transaction).
pub async fn record<C: ConnectionTrait>(
    conn: &C,
    svc: &Services,
    caller: &Caller,
    change: Change<'_>,
) -> Result<EventId, DomainError> {
    let mut ids = record_many(conn, svc, caller, vec![change]).await?;
    ids.pop()
        .ok_or_else(|| DomainError::internal("no event id for a recorded change"))
}

/// Appends one event per change on `conn`, in a few statements however many there are (an
/// import's batch); their webhook deliveries are written in the same transaction.
pub async fn record_many<C: ConnectionTrait>(
    conn: &C,
    svc: &Services,
    caller: &Caller,
    changes: Vec<Change<'_>>,
) -> Result<Vec<EventId>, DomainError> {
    let now = svc.clock.now();
    let mut rows = Vec::with_capacity(changes.len());
    let mut ids = Vec::with_capacity(changes.len());
    for change in &changes {
        let id = EventId::generate_at(now);
        rows.push(event::ActiveModel {
            id: Set(id.clone()),
            workspace_id: Set(caller.workspace_id.clone()),
            actor_type: Set(caller.actor.kind()),
            actor_id: Set(caller.actor.id().map(str::to_owned)),
            action: Set(change.action.to_owned()),
            target_type: Set(change.target_type),
            target_id: Set(change.target_id.to_owned()),
            customer_id: Set(change.customer_id.cloned()),
            changes: Set(change.changes.to_string()),
            ip: Set(caller.ip.clone()),
            created_at: Set(now),
        });
        ids.push(id);
    }
    // Batches stay far below either engine's limit on bound values.
    for batch in rows.chunks(500) {
        event::Entity::insert_many(batch.to_vec())
            .exec(conn)
            .await?;
    }
    // The same transaction writes the events' webhook deliveries: the outbox.
    let typed: Vec<(EventId, &str)> = ids
        .iter()
        .cloned()
        .zip(changes.iter().map(|c| c.action))
        .collect();
    super::webhooks::enqueue(conn, &caller.workspace_id, &typed, now).await?;
    Ok(ids)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_diff_lists_only_changed_fields_and_skips_noise() {
        let before = json!({"name": "Ann", "email": "a@x.io", "version": 1, "updated_at": "t1"});
        let after = json!({"name": "Anna", "email": "a@x.io", "version": 2, "updated_at": "t2", "phone": "1"});
        assert_eq!(
            diff(Some(&before), Some(&after)),
            json!({
                "name": {"before": "Ann", "after": "Anna"},
                "phone": {"before": null, "after": "1"},
            })
        );
        assert_eq!(
            diff(None, Some(&json!({"name": "Bo"}))),
            json!({"name": {"before": null, "after": "Bo"}})
        );
    }
}
