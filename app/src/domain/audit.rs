//! The audit trail: every change appends one event, in the same transaction as the change.
//! The same stream feeds webhooks: each event writes its deliveries in that transaction too.

use sea_orm::ConnectionTrait;
use serde_json::{Map, Value};

use crate::db::bulk::{Batch, Cell, Kind, Table};
use crate::types::activity::TargetKind;
use crate::types::{CustomerId, EventId, EventType};

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

/// `diff(None, Some(&after))` for a new object, taking `after` apart instead of copying it
/// (an import writes a million of these).
pub fn created(after: Value) -> Value {
    let Value::Object(fields) = after else {
        return Value::Object(Map::new());
    };
    Value::Object(
        fields
            .into_iter()
            .filter(|(k, v)| !v.is_null() && !NOISE.contains(&k.as_str()))
            .map(|(k, v)| {
                let mut change = Map::new();
                change.insert("before".into(), Value::Null);
                change.insert("after".into(), v);
                (k, Value::Object(change))
            })
            .collect(),
    )
}

/// What changed, on which object; the diff as a JSON value, or as its text already (`&str`:
/// an import makes those off the writing task).
#[derive(Debug, Clone)]
pub struct Change<'a, D = Value> {
    /// Such as `customer.updated`.
    pub action: EventType,
    /// Such as `customer`.
    pub target_type: TargetKind,
    /// The object's id.
    pub target_id: &'a str,
    /// The customer the change concerns, if any.
    pub customer_id: Option<&'a CustomerId>,
    /// From [`diff`].
    pub changes: D,
}

impl<'a, D> Change<'a, D> {
    /// A change of type `action` to the object `target_id` (of the kind the type names).
    pub fn new(
        action: EventType,
        target_id: &'a str,
        customer_id: Option<&'a CustomerId>,
        changes: D,
    ) -> Self {
        Change {
            action,
            target_type: action.target(),
            target_id,
            customer_id,
            changes,
        }
    }
}

impl<'a, D> Change<'a, D> {
    /// A change of type `action` to the customer `id` itself.
    pub fn customer(action: EventType, id: &'a CustomerId, changes: D) -> Self {
        debug_assert_eq!(action.target(), TargetKind::Customer, "{action}");
        Change::new(action, id.as_str(), Some(id), changes)
    }
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

/// Appends one event about the workspace itself (its team, its keys) on `conn`.
pub(crate) async fn record_workspace<C: ConnectionTrait>(
    conn: &C,
    svc: &Services,
    caller: &Caller,
    action: EventType,
    changes: Value,
) -> Result<EventId, DomainError> {
    debug_assert_eq!(
        action.target(),
        TargetKind::Workspace,
        "{action} is not about the workspace"
    );
    let change = Change::new(action, caller.workspace_id.as_str(), None, changes);
    record(conn, svc, caller, change).await
}

/// The events table, as [`record_many`] writes it.
static EVENTS: Table = Table {
    name: "events",
    columns: &[
        ("id", Kind::Text),
        ("workspace_id", Kind::Text),
        ("actor_type", Kind::Text),
        ("actor_id", Kind::Text),
        ("action", Kind::Text),
        ("target_type", Kind::Text),
        ("target_id", Kind::Text),
        ("customer_id", Kind::Text),
        ("changes", Kind::Text),
        ("ip", Kind::Text),
        ("created_at", Kind::Time),
    ],
};

/// Appends one event per change on `conn`, in a few statements however many there are (an
/// import's batch); their webhook deliveries are written in the same transaction.
pub async fn record_many<C: ConnectionTrait>(
    conn: &C,
    svc: &Services,
    caller: &Caller,
    changes: Vec<Change<'_>>,
) -> Result<Vec<EventId>, DomainError> {
    let texts: Vec<String> = changes.iter().map(|c| c.changes.to_string()).collect();
    let written = changes
        .iter()
        .zip(&texts)
        .map(|(c, text)| Change {
            action: c.action,
            target_type: c.target_type,
            target_id: c.target_id,
            customer_id: c.customer_id,
            changes: text.as_str(),
        })
        .collect();
    record_written(conn, svc, caller, written).await
}

/// [`record_many`] for diffs given as text.
pub async fn record_written<C: ConnectionTrait>(
    conn: &C,
    svc: &Services,
    caller: &Caller,
    changes: Vec<Change<'_, &str>>,
) -> Result<Vec<EventId>, DomainError> {
    let now = svc.clock.now();
    let backend = conn.get_database_backend();
    let mut ids = Vec::with_capacity(changes.len());
    let mut batch = Batch::new(&EVENTS, backend);
    for change in &changes {
        let id = EventId::generate_at(now);
        batch.push(&[
            Cell::Text(Some(id.as_str())),
            Cell::Text(Some(caller.workspace_id.as_str())),
            Cell::Text(Some(caller.actor.kind().as_str())),
            Cell::Text(caller.actor.id()),
            Cell::Text(Some(change.action.as_str())),
            Cell::Text(Some(change.target_type.as_str())),
            Cell::Text(Some(change.target_id)),
            Cell::Text(change.customer_id.map(CustomerId::as_str)),
            Cell::Text(Some(change.changes)),
            Cell::Text(caller.ip.as_deref()),
            Cell::Time(Some(now)),
        ])?;
        ids.push(id);
        // A statement stays a few megabytes at most.
        if batch.len() == 5_000 {
            std::mem::replace(&mut batch, Batch::new(&EVENTS, backend))
                .insert(conn)
                .await?;
        }
    }
    batch.insert(conn).await?;
    // The same transaction writes the events' webhook deliveries: the outbox.
    let typed: Vec<(EventId, EventType)> = ids
        .iter()
        .cloned()
        .zip(changes.iter().map(|c| c.action))
        .collect();
    super::webhook_outbox::enqueue(conn, &caller.workspace_id, &typed, now).await?;
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
        let new = json!({"name": "Bo", "email": null, "version": 1, "metadata": {"k": "v"}});
        assert_eq!(created(new.clone()), diff(None, Some(&new)));
        assert_eq!(
            created(new),
            json!({"name": {"before": null, "after": "Bo"}, "metadata": {"before": null, "after": {"k": "v"}}})
        );
    }
}
