//! Webhooks: every change reaches the merchant's back end. Each workspace has endpoints (a
//! URL, the event types it wants, a `whsec_` secret). The event every change appends in its
//! own transaction ([`super::audit::record`]) writes, in that same transaction, one delivery
//! per endpoint that wants it: the outbox. [`deliver::deliver_due`] sends them, signed per
//! Standard Webhooks, each claimed by exactly one process, one endpoint's in event order,
//! with retries for more than a day; every attempt is logged. [`delivery_log`] tells the
//! dashboard where each delivery stands; [`test_event`] sends a signed `ping` on demand.

pub mod deliver;
pub mod delivery_log;
pub mod guard;
pub mod test_event;

pub use deliver::{
    Answer, DeliveryReport, EXCERPT, MAX_ATTEMPTS, RETRY_SCHEDULE, WebhookSender, deliver_due,
    retry_delay,
};
pub use delivery_log::{DeliveryFilter, delivery_log, delivery_payload};
pub use guard::AllowHosts;
pub use test_event::send_test_event;

use base64::Engine as _;
use chrono::{DateTime, Duration, Utc};
use rand::RngCore;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::audit::{self, Change};
use super::webhook_outbox::stored_patterns;
use super::{Caller, DomainError, Limit, Services, stored_json, to_json};
use crate::db::entities::{webhook_attempt, webhook_delivery, webhook_endpoint};
use crate::types::event::PatternError;
use crate::types::webhook::{
    DeliveryStatus, WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookEndpointCreate,
    WebhookEndpointEdit, WebhookEndpointUpdate,
};
use crate::types::{
    ErrorCode, EventPattern, EventType, Page, Scope, WebhookDeliveryId, WebhookEndpointId,
};

/// How long a secret replaced by a rotation keeps signing beside the new one.
pub const ROTATION_OVERLAP: Duration = Duration::hours(24);
/// Replaced secrets that may sign at once beside the current one: a rotation beyond them waits
/// until the oldest one's day is over, so that no secret stops signing early and a delivery
/// never carries an endless list of signatures.
pub const RETIRED_MAX: usize = 5;
/// Endpoints one workspace may have.
const ENDPOINTS_MAX: u64 = 20;

fn checked_event_types(raw: Option<Vec<String>>) -> Result<Vec<EventPattern>, DomainError> {
    let Some(raw) = raw else {
        return Ok(vec![EventPattern::All]);
    };
    if raw.is_empty() {
        return Err(DomainError::invalid(
            "event_types",
            "name at least one, or \"*\" for all",
        ));
    }
    let mut out = Vec::with_capacity(raw.len());
    for (i, t) in raw.iter().enumerate() {
        let pattern = EventPattern::parse(t).map_err(|e| match e {
            PatternError::Form(m) => DomainError::invalid(format!("event_types[{i}]"), m),
            PatternError::Unknown(m) => DomainError::unprocessable(format!("event_types[{i}]"), m),
        })?;
        if !out.contains(&pattern) {
            out.push(pattern);
        }
    }
    Ok(out)
}

fn checked_description(raw: Option<String>) -> Result<Option<String>, DomainError> {
    super::optional_text("description", raw.as_deref(), 200)
        .map(|d| d.filter(|d| !d.trim().is_empty()))
}

/// A secret that a rotation replaced, still signing until `until`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct RetiredSecret {
    /// `whsec_...`.
    pub(crate) secret: String,
    /// When it stops signing.
    pub(crate) until: DateTime<Utc>,
}

/// The secrets rotations replaced on `row` that still sign at `now`, newest first.
pub(crate) fn retired_secrets(
    row: &webhook_endpoint::Model,
    now: DateTime<Utc>,
) -> Result<Vec<RetiredSecret>, DomainError> {
    let all: Vec<RetiredSecret> = stored_json(&row.retired_secrets)?;
    Ok(all.into_iter().filter(|s| s.until > now).collect())
}

/// A new signing secret: `whsec_` and the base64 of 32 random bytes.
fn new_secret() -> String {
    let mut bytes = [0_u8; 32];
    super::secrets::rng().fill_bytes(&mut bytes);
    format!(
        "whsec_{}",
        base64::engine::general_purpose::STANDARD.encode(bytes)
    )
}

fn present(row: webhook_endpoint::Model, secret: Option<String>) -> WebhookEndpoint {
    WebhookEndpoint {
        object: "webhook_endpoint".into(),
        event_types: stored_patterns(&row.event_types),
        id: row.id,
        url: row.url,
        description: row.description,
        enabled: row.enabled,
        disabled_reason: row.disabled_reason,
        secret,
        created_at: row.created_at,
        updated_at: row.updated_at,
    }
}

async fn find_endpoint<C: ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    id: &WebhookEndpointId,
) -> Result<webhook_endpoint::Model, DomainError> {
    crate::domain::find::in_workspace::<webhook_endpoint::Entity, _, _, _>(
        conn,
        &caller.workspace_id,
        id.clone(),
    )
    .await
}

fn endpoint_fields(row: &webhook_endpoint::Model) -> serde_json::Value {
    json!({
        "url": row.url,
        "description": row.description,
        "event_types": stored_patterns(&row.event_types),
        "enabled": row.enabled,
    })
}

async fn audited<C: ConnectionTrait>(
    conn: &C,
    svc: &Services,
    caller: &Caller,
    action: EventType,
    id: &WebhookEndpointId,
    changes: serde_json::Value,
) -> Result<(), DomainError> {
    audit::record(
        conn,
        svc,
        caller,
        Change::new(action, id.as_str(), None, changes),
    )
    .await?;
    Ok(())
}

/// Adds an endpoint; the answer carries its secret, shown this once.
pub async fn create_endpoint(
    svc: &Services,
    caller: &Caller,
    input: WebhookEndpointCreate,
) -> Result<WebhookEndpoint, DomainError> {
    caller.require(Scope::WebhooksWrite)?;
    let url = svc.webhook_hosts.checked_url(&input.url)?;
    let description = checked_description(input.description)?;
    let event_types = checked_event_types(input.event_types)?;
    let now = svc.clock.now();
    let txn = svc.write_txn().await?;
    let count = webhook_endpoint::Entity::find()
        .filter(webhook_endpoint::Column::WorkspaceId.eq(&caller.workspace_id))
        .count(&txn)
        .await?;
    if count >= ENDPOINTS_MAX {
        return Err(DomainError::Conflict {
            code: ErrorCode::EndpointLimitReached,
            message: format!("a workspace has at most {ENDPOINTS_MAX} endpoints: delete one first"),
        });
    }
    let secret = new_secret();
    let row = webhook_endpoint::ActiveModel {
        id: Set(WebhookEndpointId::generate_at(now)),
        workspace_id: Set(caller.workspace_id.clone()),
        url: Set(url),
        description: Set(description),
        event_types: Set(to_json(&event_types)?),
        enabled: Set(input.enabled.unwrap_or(true)),
        disabled_reason: Set(None),
        secret: Set(secret.clone()),
        retired_secrets: Set("[]".to_owned()),
        failing_since: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await?;
    let changes = audit::diff(None, Some(&endpoint_fields(&row)));
    audited(
        &txn,
        svc,
        caller,
        EventType::WebhookEndpointCreated,
        &row.id,
        changes,
    )
    .await?;
    txn.commit().await?;
    Ok(present(row, Some(secret)))
}

/// The workspace's endpoints, oldest first.
pub async fn list_endpoints(
    svc: &Services,
    caller: &Caller,
) -> Result<Page<WebhookEndpoint>, DomainError> {
    caller.require(Scope::WebhooksWrite)?;
    let rows = webhook_endpoint::Entity::find()
        .filter(webhook_endpoint::Column::WorkspaceId.eq(&caller.workspace_id))
        .order_by_asc(webhook_endpoint::Column::Id)
        .all(&svc.db)
        .await?;
    Ok(Page::new(
        rows.into_iter().map(|r| present(r, None)).collect(),
        false,
    ))
}

/// One endpoint (without its secret).
pub async fn get_endpoint(
    svc: &Services,
    caller: &Caller,
    id: &WebhookEndpointId,
) -> Result<WebhookEndpoint, DomainError> {
    caller.require(Scope::WebhooksWrite)?;
    Ok(present(find_endpoint(&svc.db, caller, id).await?, None))
}

/// Changes an endpoint: only the fields given, each checked before anything is written.
pub async fn update_endpoint(
    svc: &Services,
    caller: &Caller,
    id: &WebhookEndpointId,
    input: WebhookEndpointUpdate,
) -> Result<WebhookEndpoint, DomainError> {
    caller.require(Scope::WebhooksWrite)?;
    let changes = Changes {
        url: input
            .url
            .as_deref()
            .map(|u| svc.webhook_hosts.checked_url(u))
            .transpose()?,
        description: input
            .description
            .map(|d| checked_description(Some(d)))
            .transpose()?,
        event_types: input
            .event_types
            .map(|t| checked_event_types(Some(t)))
            .transpose()?,
        enabled: input.enabled,
    };
    apply_changes(svc, caller, id, changes).await
}

/// Changes an endpoint as the dashboard's form does, every field given: a blank description
/// clears it.
pub async fn edit_endpoint(
    svc: &Services,
    caller: &Caller,
    id: &WebhookEndpointId,
    edit: WebhookEndpointEdit,
) -> Result<WebhookEndpoint, DomainError> {
    caller.require(Scope::WebhooksWrite)?;
    let description = if edit.description.trim().is_empty() {
        None
    } else {
        checked_description(Some(edit.description))?
    };
    let changes = Changes {
        url: Some(svc.webhook_hosts.checked_url(&edit.url)?),
        description: Some(description),
        event_types: Some(checked_event_types(Some(edit.event_types))?),
        enabled: None,
    };
    apply_changes(svc, caller, id, changes).await
}

/// Checked changes to an endpoint; `None` leaves a field as it is.
struct Changes {
    url: Option<String>,
    /// `Some(None)` clears it.
    description: Option<Option<String>>,
    event_types: Option<Vec<EventPattern>>,
    enabled: Option<bool>,
}

async fn apply_changes(
    svc: &Services,
    caller: &Caller,
    id: &WebhookEndpointId,
    changes: Changes,
) -> Result<WebhookEndpoint, DomainError> {
    let txn = svc.write_txn().await?;
    super::lock_row::<crate::db::entities::webhook_endpoint::Entity, _>(&txn, id.as_str()).await?;
    let before = find_endpoint(&txn, caller, id).await?;
    let mut row: webhook_endpoint::ActiveModel = before.clone().into();
    if let Some(url) = changes.url {
        row.url = Set(url);
    }
    if let Some(description) = changes.description {
        row.description = Set(description);
    }
    if let Some(types) = changes.event_types {
        row.event_types = Set(to_json(&types)?);
    }
    if let Some(enabled) = changes.enabled {
        row.enabled = Set(enabled);
        if enabled {
            row.disabled_reason = Set(None);
            row.failing_since = Set(None);
        }
    }
    row.updated_at = Set(svc.clock.now());
    let after = row.update(&txn).await?;
    let changes = audit::diff(
        Some(&endpoint_fields(&before)),
        Some(&endpoint_fields(&after)),
    );
    audited(
        &txn,
        svc,
        caller,
        EventType::WebhookEndpointUpdated,
        id,
        changes,
    )
    .await?;
    txn.commit().await?;
    Ok(present(after, None))
}

/// Replaces the signing secret; the old one keeps signing beside it for a day, so the
/// merchant's back end can switch without losing a delivery. Each rotation's old secret gets
/// its own day: a second rotation within a day keeps the first secret signing too. The answer
/// carries the new one.
pub async fn rotate_secret(
    svc: &Services,
    caller: &Caller,
    id: &WebhookEndpointId,
) -> Result<WebhookEndpoint, DomainError> {
    caller.require(Scope::WebhooksWrite)?;
    let now = svc.clock.now();
    let txn = svc.write_txn().await?;
    super::lock_row::<crate::db::entities::webhook_endpoint::Entity, _>(&txn, id.as_str()).await?;
    let before = find_endpoint(&txn, caller, id).await?;
    // Those whose day is over are dropped here; the others all keep signing.
    let mut retired = retired_secrets(&before, now)?;
    if retired.len() >= RETIRED_MAX {
        let first_free = retired.iter().map(|s| s.until).min().unwrap_or(now);
        return Err(DomainError::RateLimited {
            retry_after: first_free - now,
        });
    }
    let until = now + ROTATION_OVERLAP;
    retired.insert(
        0,
        RetiredSecret {
            secret: before.secret.clone(),
            until,
        },
    );
    let secret = new_secret();
    let mut row: webhook_endpoint::ActiveModel = before.clone().into();
    row.retired_secrets = Set(to_json(&retired)?);
    row.secret = Set(secret.clone());
    row.updated_at = Set(now);
    let after = row.update(&txn).await?;
    audited(
        &txn,
        svc,
        caller,
        EventType::WebhookEndpointSecretRotated,
        id,
        json!({"previous_secret_until": until, "secrets_signing": retired.len() + 1}),
    )
    .await?;
    txn.commit().await?;
    Ok(present(after, Some(secret)))
}

/// Deletes an endpoint with its deliveries and their attempts.
pub async fn delete_endpoint(
    svc: &Services,
    caller: &Caller,
    id: &WebhookEndpointId,
) -> Result<(), DomainError> {
    caller.require(Scope::WebhooksWrite)?;
    let txn = svc.write_txn().await?;
    let before = find_endpoint(&txn, caller, id).await?;
    webhook_attempt::Entity::delete_many()
        .filter(webhook_attempt::Column::EndpointId.eq(id))
        .exec(&txn)
        .await?;
    webhook_delivery::Entity::delete_many()
        .filter(webhook_delivery::Column::EndpointId.eq(id))
        .exec(&txn)
        .await?;
    webhook_endpoint::Entity::delete_by_id(id.clone())
        .exec(&txn)
        .await?;
    let changes = audit::diff(Some(&endpoint_fields(&before)), None);
    audited(
        &txn,
        svc,
        caller,
        EventType::WebhookEndpointDeleted,
        id,
        changes,
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

fn present_delivery(
    row: webhook_delivery::Model,
    attempts: Option<Vec<WebhookAttempt>>,
) -> WebhookDelivery {
    WebhookDelivery {
        object: "webhook_delivery".into(),
        next_attempt_at: (row.status == DeliveryStatus::Pending).then_some(row.next_attempt_at),
        id: row.id,
        endpoint_id: row.endpoint_id,
        event_id: row.event_id,
        event_type: row.event_type,
        status: row.status,
        attempt_count: row.attempts,
        last_status: row.last_status,
        last_error: row.last_error,
        created_at: row.created_at,
        delivered_at: row.delivered_at,
        attempts,
    }
}

/// An endpoint's deliveries, newest first (only `status`'s when given), keyset-paged.
pub async fn list_deliveries(
    svc: &Services,
    caller: &Caller,
    endpoint: &WebhookEndpointId,
    status: Option<DeliveryStatus>,
    limit: Limit,
    starting_after: Option<&WebhookDeliveryId>,
) -> Result<Page<WebhookDelivery>, DomainError> {
    caller.require(Scope::WebhooksWrite)?;
    find_endpoint(&svc.db, caller, endpoint).await?;
    let mut only = Condition::all();
    if let Some(status) = status {
        only = only.add(webhook_delivery::Column::Status.eq(status));
    }
    let (rows, has_more) = delivery_rows(svc, endpoint, only, limit, starting_after).await?;
    Ok(Page::new(
        rows.into_iter()
            .map(|r| present_delivery(r, None))
            .collect(),
        has_more,
    ))
}

/// A page of an endpoint's deliveries that meet `only`, newest first, and whether more follow.
async fn delivery_rows(
    svc: &Services,
    endpoint: &WebhookEndpointId,
    only: Condition,
    limit: Limit,
    starting_after: Option<&WebhookDeliveryId>,
) -> Result<(Vec<webhook_delivery::Model>, bool), DomainError> {
    let mut q = webhook_delivery::Entity::find()
        .filter(webhook_delivery::Column::EndpointId.eq(endpoint))
        .filter(only)
        .order_by_desc(webhook_delivery::Column::Id)
        .limit(limit.get() + 1);
    if let Some(after) = starting_after {
        q = q.filter(webhook_delivery::Column::Id.lt(after));
    }
    let mut rows = q.all(&svc.db).await?;
    let has_more = rows.len() as u64 > limit.get();
    rows.truncate(limit.get() as usize);
    Ok((rows, has_more))
}

async fn find_delivery<C: ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    id: &WebhookDeliveryId,
) -> Result<webhook_delivery::Model, DomainError> {
    crate::domain::find::in_workspace::<webhook_delivery::Entity, _, _, _>(
        conn,
        &caller.workspace_id,
        id.clone(),
    )
    .await
}

/// One delivery with every attempt at it.
pub async fn get_delivery(
    svc: &Services,
    caller: &Caller,
    id: &WebhookDeliveryId,
) -> Result<WebhookDelivery, DomainError> {
    caller.require(Scope::WebhooksWrite)?;
    let row = find_delivery(&svc.db, caller, id).await?;
    let attempts = webhook_attempt::Entity::find()
        .filter(webhook_attempt::Column::DeliveryId.eq(id))
        .order_by_asc(webhook_attempt::Column::Id)
        .all(&svc.db)
        .await?
        .into_iter()
        .map(|a| WebhookAttempt {
            id: a.id,
            at: a.at,
            status_code: a.status_code,
            latency_ms: a.latency_ms,
            error: a.error,
            response_excerpt: a.response_excerpt,
        })
        .collect();
    Ok(present_delivery(row, Some(attempts)))
}

/// Sends a finished (succeeded or failed) delivery again now, with the same `webhook-id` and
/// body; a pending one is left as it is, already queued.
pub async fn resend(
    svc: &Services,
    caller: &Caller,
    id: &WebhookDeliveryId,
) -> Result<WebhookDelivery, DomainError> {
    caller.require(Scope::WebhooksWrite)?;
    let now = svc.clock.now();
    let row = find_delivery(&svc.db, caller, id).await?;
    // Only a finished delivery is queued again. A pending one is already queued, and one
    // being attempted holds a lease in the same column as a retry's wait: moving it would let
    // a second process send it while the first still is.
    webhook_delivery::Entity::update_many()
        .col_expr(
            webhook_delivery::Column::Status,
            Expr::val(DeliveryStatus::Pending),
        )
        .col_expr(webhook_delivery::Column::NextAttemptAt, Expr::val(now))
        .col_expr(webhook_delivery::Column::Attempts, Expr::val(0))
        .filter(webhook_delivery::Column::Id.eq(&row.id))
        .filter(webhook_delivery::Column::Status.ne(DeliveryStatus::Pending))
        .exec(&svc.db)
        .await?;
    get_delivery(svc, caller, id).await
}

/// Sends again every failed delivery of an endpoint since `since`: how many.
pub async fn resend_failed_since(
    svc: &Services,
    caller: &Caller,
    endpoint: &WebhookEndpointId,
    since: DateTime<Utc>,
) -> Result<u64, DomainError> {
    caller.require(Scope::WebhooksWrite)?;
    find_endpoint(&svc.db, caller, endpoint).await?;
    let done = webhook_delivery::Entity::update_many()
        .col_expr(
            webhook_delivery::Column::Status,
            Expr::val(DeliveryStatus::Pending),
        )
        .col_expr(
            webhook_delivery::Column::NextAttemptAt,
            Expr::val(svc.clock.now()),
        )
        .col_expr(webhook_delivery::Column::Attempts, Expr::val(0))
        .filter(webhook_delivery::Column::EndpointId.eq(endpoint))
        .filter(webhook_delivery::Column::Status.eq(DeliveryStatus::Failed))
        .filter(webhook_delivery::Column::CreatedAt.gte(since))
        .exec(&svc.db)
        .await?;
    Ok(done.rows_affected)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_endpoint_names_all_a_family_or_known_types() {
        let p = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(checked_event_types(None).unwrap(), vec![EventPattern::All]);
        assert!(checked_event_types(Some(p(&["order.*", "ban.created"]))).is_ok());
        for bad in [&["product.*"][..], &["order"], &["order.pa*"], &[]] {
            assert!(
                matches!(
                    checked_event_types(Some(p(bad))),
                    Err(DomainError::Invalid { .. })
                ),
                "{bad:?}"
            );
        }
        assert!(matches!(
            checked_event_types(Some(p(&["order.*", "order.paied"]))),
            Err(DomainError::Unprocessable { field, .. }) if field == "event_types[1]"
        ));
        // A stored pattern that left the vocabulary matches nothing; the others still do.
        assert_eq!(
            stored_patterns(r#"["order.gone", "ban.*"]"#),
            vec![EventPattern::Family(crate::types::EventFamily::Ban)]
        );
    }

    #[test]
    fn a_secret_is_whsec_and_32_random_bytes() {
        let s = new_secret();
        let raw = base64::engine::general_purpose::STANDARD
            .decode(s.strip_prefix("whsec_").unwrap())
            .unwrap();
        assert_eq!(raw.len(), 32);
        assert_ne!(s, new_secret());
    }
}
