//! The delivery job. [`deliver_due`] claims, with the shared claiming rule, the oldest pending
//! delivery of each enabled endpoint that is due and has nothing older still pending: one
//! endpoint's deliveries go out one at a time, in event order, whatever the number of
//! processes. Each claimed endpoint is then drained in its own task, so a slow or hanging
//! endpoint delays nobody else. `next_attempt_at` is the lease; an attempt's outcome is
//! written only while the lease is still the attempt's own.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use rand::Rng;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, Value};
use serde_json::json;

use super::super::{Caller, Claim, DomainError, Services, Unreadable, claim, readable};
use crate::db::entities::{event, webhook_attempt, webhook_delivery, webhook_endpoint};
use crate::types::activity::TargetKind;
use crate::types::webhook::DeliveryStatus;
use crate::types::{BanId, CustomerId, EntitlementId, OrderId, SubscriptionId, WebhookAttemptId};

/// Waits after each failed attempt: eight attempts over about 28 hours.
pub const RETRY_SCHEDULE: [Duration; 7] = [
    Duration::seconds(5),
    Duration::minutes(5),
    Duration::minutes(30),
    Duration::hours(2),
    Duration::hours(5),
    Duration::hours(10),
    Duration::hours(10),
];
/// Attempts before a delivery is given up on.
pub const MAX_ATTEMPTS: i32 = RETRY_SCHEDULE.len() as i32 + 1;
/// An endpoint failing this long without one success is disabled.
pub const DISABLE_AFTER: Duration = Duration::days(5);
/// How long a process owns a claimed delivery (well beyond the sender's 15 s timeout).
const LEASE: Duration = Duration::minutes(2);
/// Endpoints one run starts on.
const BATCH: u64 = 50;
/// Deliveries one endpoint's task sends in a row before it lets the next run take over.
const DRAIN: usize = 200;
/// The most of an answer's body the log keeps.
pub const EXCERPT: usize = 2048;
/// Above this a payload carries only the object's id and type.
pub const PAYLOAD_MAX: usize = 20 * 1024;
/// The longest `Retry-After` honoured.
const RETRY_AFTER_MAX: Duration = Duration::hours(24);

/// What an endpoint answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// The HTTP status.
    pub status: u16,
    /// Its `Retry-After`, in seconds, when it gave one.
    pub retry_after: Option<i64>,
    /// The start of its body.
    pub body: String,
}

/// Sends one signed delivery: POST `body` to `url` with `headers`, no redirects followed,
/// within 15 s, only to an address the guard allows. `Err` is why no answer came.
#[async_trait::async_trait]
pub trait WebhookSender: Send + Sync + std::fmt::Debug {
    /// POSTs a delivery.
    async fn post(
        &self,
        url: &str,
        headers: &[(String, String)],
        body: &str,
    ) -> Result<Answer, String>;
}

/// What one run did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct DeliveryReport {
    /// Accepted by their endpoint.
    pub delivered: usize,
    /// Failed, to be tried again.
    pub retrying: usize,
    /// Given up on.
    pub failed: usize,
}

impl DeliveryReport {
    fn add(&mut self, other: &DeliveryReport) {
        self.delivered += other.delivered;
        self.retrying += other.retrying;
        self.failed += other.failed;
    }
}

/// The wait after the `attempts`-th failed attempt, give or take a tenth (so that endpoints
/// that failed together do not all come back at the same second).
pub fn retry_delay(attempts: i32) -> Duration {
    let i = usize::try_from(attempts.max(1) - 1)
        .unwrap_or(0)
        .min(RETRY_SCHEDULE.len() - 1);
    let base = RETRY_SCHEDULE[i].num_milliseconds();
    let jitter = super::super::secrets::rng().random_range(-(base / 10)..=base / 10);
    Duration::milliseconds(base + jitter)
}

/// The claim's condition: pending, due, its endpoint enabled, nothing older of its endpoint
/// still pending. `extra` narrows it (to one endpoint).
fn open_sql(extra: &str) -> String {
    format!(
        "status = $ AND next_attempt_at <= $ {extra} \
         AND endpoint_id IN (SELECT id FROM webhook_endpoints WHERE enabled = $) \
         AND NOT EXISTS (SELECT 1 FROM webhook_deliveries older \
             WHERE older.endpoint_id = webhook_deliveries.endpoint_id \
             AND older.status = $ AND older.id < webhook_deliveries.id)"
    )
}

async fn claim_heads(
    svc: &Services,
    now: DateTime<Utc>,
    endpoint: Option<&str>,
) -> Result<Vec<webhook_delivery::Model>, DomainError> {
    let pending = Value::from(DeliveryStatus::Pending);
    let mut open_values = vec![pending.clone(), Value::from(now)];
    let extra = match endpoint {
        Some(id) => {
            open_values.push(Value::from(id));
            "AND endpoint_id = $"
        }
        None => "",
    };
    open_values.push(Value::from(true));
    open_values.push(pending);
    let open = open_sql(extra);
    let claimed = claim::<webhook_delivery::Entity>(
        &svc.db,
        Claim {
            set: "next_attempt_at = $, attempts = attempts + 1",
            set_values: vec![Value::from(now + LEASE)],
            open: &open,
            open_values,
            order_by: "id",
            batch: if endpoint.is_some() { 1 } else { BATCH },
        },
    )
    .await?;
    let (rows, unreadable) = readable(claimed);
    for Unreadable { id, error } in unreadable {
        tracing::error!(delivery = %id, %error, "a webhook delivery cannot be read; tried again after its lease");
    }
    Ok(rows)
}

/// Sends every due delivery: one task per endpoint, each draining its endpoint in order.
pub async fn deliver_due(
    svc: &Services,
    sender: Arc<dyn WebhookSender>,
) -> Result<DeliveryReport, DomainError> {
    let heads = claim_heads(svc, svc.clock.now(), None).await?;
    let mut tasks = Vec::with_capacity(heads.len());
    for head in heads {
        let (svc, sender) = (svc.clone(), sender.clone());
        tasks.push(tokio::spawn(async move { drain(&svc, sender, head).await }));
    }
    let mut report = DeliveryReport::default();
    for task in tasks {
        match task.await {
            Ok(r) => report.add(&r),
            Err(e) => tracing::error!(error = %e, "a webhook delivery task failed"),
        }
    }
    Ok(report)
}

/// Sends `first`, then the endpoint's next deliveries while they are due and succeed.
async fn drain(
    svc: &Services,
    sender: Arc<dyn WebhookSender>,
    first: webhook_delivery::Model,
) -> DeliveryReport {
    let mut report = DeliveryReport::default();
    let endpoint = first.endpoint_id.clone();
    let mut next = Some(first);
    let mut sent = 0;
    while let Some(row) = next.take() {
        let id = row.id.clone();
        match attempt(svc, sender.as_ref(), row).await {
            Ok(Outcome::Delivered) => report.delivered += 1,
            Ok(Outcome::Retrying) => {
                report.retrying += 1;
                break;
            }
            Ok(Outcome::Failed) => report.failed += 1,
            Err(e) => {
                // Its lease decides: it is tried again when the lease ends.
                report.retrying += 1;
                tracing::warn!(delivery = %id, error = %e, "recording a webhook attempt failed");
                break;
            }
        }
        sent += 1;
        if sent >= DRAIN {
            break;
        }
        next = match claim_heads(svc, svc.clock.now(), Some(endpoint.as_str())).await {
            Ok(mut rows) => rows.pop(),
            Err(e) => {
                tracing::warn!(endpoint = %endpoint, error = %e, "claiming an endpoint's next delivery failed");
                None
            }
        };
    }
    report
}

enum Outcome {
    Delivered,
    Retrying,
    Failed,
}

/// Standard Webhooks headers: `webhook-id` (the event), `webhook-timestamp`, and one `v1,`
/// signature per secret still signing (the current one, then every one a rotation replaced
/// less than a day ago, space-separated as the standard allows).
pub(super) fn signed_headers(
    endpoint: &webhook_endpoint::Model,
    msg_id: &str,
    now: DateTime<Utc>,
    body: &str,
) -> Result<Vec<(String, String)>, DomainError> {
    let retired = super::retired_secrets(endpoint, now).unwrap_or_else(|e| {
        // The current secret still signs: a receiver that has switched to it loses nothing.
        tracing::error!(endpoint = %endpoint.id, error = %e, "an endpoint's retired secrets cannot be read; signing with the current one only");
        Vec::new()
    });
    let mut secrets = vec![endpoint.secret.as_str()];
    secrets.extend(retired.iter().map(|r| r.secret.as_str()));
    let timestamp = now.timestamp();
    let mut signatures = Vec::with_capacity(secrets.len());
    for secret in secrets {
        let signer = standardwebhooks::Webhook::new(secret)
            .map_err(|e| DomainError::internal(format!("a webhook secret is unusable: {e:?}")))?;
        signatures.push(
            signer
                .sign(msg_id, timestamp, body.as_bytes())
                .map_err(|e| DomainError::internal(format!("signing a webhook: {e:?}")))?,
        );
    }
    Ok(vec![
        ("webhook-id".into(), msg_id.to_owned()),
        ("webhook-timestamp".into(), timestamp.to_string()),
        ("webhook-signature".into(), signatures.join(" ")),
        ("content-type".into(), "application/json".into()),
        ("user-agent".into(), "Patron-Webhooks/1".into()),
    ])
}

/// The object an event is about, as the REST API answers it (orders and subscriptions with
/// their customer); `None` when it no longer exists.
async fn object_of(
    svc: &Services,
    caller: &Caller,
    target: TargetKind,
    id: &str,
) -> Result<Option<serde_json::Value>, DomainError> {
    use crate::domain::{bans, customers, entitlements, orders, subscriptions};
    let value = |v: Result<serde_json::Value, DomainError>| match v {
        Ok(v) => Ok(Some(v)),
        Err(DomainError::NotFound { .. }) => Ok(None),
        Err(e) => Err(e),
    };
    let json = |v: serde_json::Result<serde_json::Value>| {
        v.map_err(|e| DomainError::internal(format!("a webhook payload: {e}")))
    };
    let with_customer = async |mut v: serde_json::Value| -> Result<serde_json::Value, DomainError> {
        let customer = v
            .get("customer_id")
            .and_then(|c| c.as_str())
            .and_then(|c| CustomerId::parse(c).ok());
        if let Some(cid) = customer {
            let c = customers::get_customer(svc, caller, &cid).await?;
            v["customer"] = json(serde_json::to_value(c))?;
        }
        Ok(v)
    };
    let bad = || DomainError::NotFound { what: "object" };
    match target {
        TargetKind::Customer => {
            let id = CustomerId::parse(id).map_err(|_| bad())?;
            value(match customers::get_customer(svc, caller, &id).await {
                Ok(c) => json(serde_json::to_value(c)),
                Err(e) => Err(e),
            })
        }
        TargetKind::Order => {
            let id = OrderId::parse(id).map_err(|_| bad())?;
            value(match orders::get_order(svc, caller, &id).await {
                Ok(o) => with_customer(json(serde_json::to_value(o))?).await,
                Err(e) => Err(e),
            })
        }
        TargetKind::Subscription => {
            let id = SubscriptionId::parse(id).map_err(|_| bad())?;
            value(
                match subscriptions::get_subscription(svc, caller, &id).await {
                    Ok(s) => with_customer(json(serde_json::to_value(s))?).await,
                    Err(e) => Err(e),
                },
            )
        }
        TargetKind::Entitlement => {
            let id = EntitlementId::parse(id).map_err(|_| bad())?;
            value(
                match entitlements::get_entitlement(svc, caller, &id).await {
                    Ok(e) => json(serde_json::to_value(e)),
                    Err(e) => Err(e),
                },
            )
        }
        TargetKind::Ban => {
            let id = BanId::parse(id).map_err(|_| bad())?;
            value(match bans::get_ban(svc, caller, &id).await {
                Ok(b) => json(serde_json::to_value(b)),
                Err(e) => Err(e),
            })
        }
        _ => Ok(None),
    }
}

/// The body of a delivery: `{"type","timestamp","data"}`, the object as the API gives it, or
/// only its id and type when it is gone or larger than 20 KB.
pub(super) async fn payload(
    svc: &Services,
    row: &webhook_delivery::Model,
) -> Result<String, DomainError> {
    let event = event::Entity::find_by_id(row.event_id.clone())
        .one(&svc.db)
        .await?
        .ok_or(DomainError::NotFound { what: "event" })?;
    let caller = Caller::system(row.workspace_id.clone());
    let stub = json!({"id": event.target_id, "object": event.target_type.as_str()});
    let data = object_of(svc, &caller, event.target_type, &event.target_id)
        .await?
        .unwrap_or_else(|| stub.clone());
    let body = |data: &serde_json::Value| {
        json!({"type": row.event_type, "timestamp": event.created_at, "data": data}).to_string()
    };
    let full = body(&data);
    Ok(if full.len() > PAYLOAD_MAX {
        body(&stub)
    } else {
        full
    })
}

pub(super) fn excerpt(text: &str) -> String {
    let mut end = text.len().min(EXCERPT);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_owned()
}

/// One attempt at a claimed delivery, and its outcome written while the lease is its own.
async fn attempt(
    svc: &Services,
    sender: &dyn WebhookSender,
    row: webhook_delivery::Model,
) -> Result<Outcome, DomainError> {
    let lease = row.next_attempt_at;
    let endpoint = webhook_endpoint::Entity::find_by_id(row.endpoint_id.clone())
        .one(&svc.db)
        .await?
        .ok_or(DomainError::NotFound {
            what: "webhook endpoint",
        })?;
    let body = match &row.payload {
        Some(p) => p.clone(),
        None => payload(svc, &row).await?,
    };
    let started = svc.clock.now();
    let headers = signed_headers(&endpoint, row.event_id.as_str(), started, &body)?;
    let clock = std::time::Instant::now();
    let answer = sender.post(&endpoint.url, &headers, &body).await;
    let latency_ms = i32::try_from(clock.elapsed().as_millis()).unwrap_or(i32::MAX);
    let now = svc.clock.now();

    let (status_code, error, excerpt_text) = match &answer {
        Ok(a) => (Some(i32::from(a.status)), None, Some(excerpt(&a.body))),
        Err(e) => (None, Some(excerpt(e)), None),
    };
    let succeeded = matches!(&answer, Ok(a) if (200..300).contains(&a.status));
    let gone = matches!(&answer, Ok(a) if a.status == 410);
    let out_of_attempts = row.attempts >= MAX_ATTEMPTS;
    let failing_since = endpoint.failing_since.unwrap_or(now);
    let too_long = !succeeded && now - failing_since >= DISABLE_AFTER;
    let why = match &answer {
        Ok(a) => format!("answered {}", a.status),
        Err(e) => e.clone(),
    };

    let (status, next) = if succeeded {
        (DeliveryStatus::Succeeded, now)
    } else if gone || out_of_attempts {
        (DeliveryStatus::Failed, now)
    } else {
        let mut wait = retry_delay(row.attempts);
        if let Ok(Answer {
            retry_after: Some(secs),
            ..
        }) = &answer
        {
            wait = wait.max(Duration::seconds(*secs).min(RETRY_AFTER_MAX));
        }
        (DeliveryStatus::Pending, now + wait)
    };

    let txn = svc.write_txn().await?;
    webhook_attempt::ActiveModel {
        id: Set(WebhookAttemptId::generate_at(started)),
        delivery_id: Set(row.id.clone()),
        endpoint_id: Set(row.endpoint_id.clone()),
        at: Set(started),
        status_code: Set(status_code),
        latency_ms: Set(latency_ms),
        error: Set(error.clone()),
        response_excerpt: Set(excerpt_text),
    }
    .insert(&txn)
    .await?;
    let mine = webhook_delivery::Entity::update_many()
        .col_expr(webhook_delivery::Column::Status, Expr::val(status))
        .col_expr(webhook_delivery::Column::NextAttemptAt, Expr::val(next))
        .col_expr(webhook_delivery::Column::Payload, Expr::val(Some(body)))
        .col_expr(webhook_delivery::Column::LastStatus, Expr::val(status_code))
        .col_expr(webhook_delivery::Column::LastError, Expr::val(error))
        .col_expr(
            webhook_delivery::Column::DeliveredAt,
            Expr::val(succeeded.then_some(now)),
        )
        .filter(webhook_delivery::Column::Id.eq(&row.id))
        .filter(webhook_delivery::Column::Status.eq(DeliveryStatus::Pending))
        .filter(webhook_delivery::Column::NextAttemptAt.eq(lease))
        .exec(&txn)
        .await?;
    if mine.rows_affected != 1 {
        // The lease ran out and another process took the delivery: its attempt decides.
        txn.commit().await?;
        return Ok(Outcome::Retrying);
    }
    let mut ep = webhook_endpoint::Entity::update_many()
        .filter(webhook_endpoint::Column::Id.eq(&endpoint.id));
    if succeeded {
        ep = ep.col_expr(
            webhook_endpoint::Column::FailingSince,
            Expr::val(None::<DateTime<Utc>>),
        );
    } else {
        ep = ep.col_expr(
            webhook_endpoint::Column::FailingSince,
            Expr::val(Some(failing_since)),
        );
        let reason = if gone {
            Some(format!(
                "The endpoint answered 410 Gone on {}: Patron stopped sending to it.",
                now.format("%Y-%m-%d %H:%M UTC")
            ))
        } else if too_long {
            Some(format!(
                "Every delivery since {} failed (last: {why}); disabled after 5 days.",
                failing_since.format("%Y-%m-%d %H:%M UTC")
            ))
        } else {
            None
        };
        if let Some(reason) = reason {
            ep = ep
                .col_expr(webhook_endpoint::Column::Enabled, Expr::val(false))
                .col_expr(
                    webhook_endpoint::Column::DisabledReason,
                    Expr::val(Some(reason)),
                )
                .col_expr(webhook_endpoint::Column::UpdatedAt, Expr::val(now));
            tracing::warn!(endpoint = %endpoint.id, "a webhook endpoint was disabled");
        }
    }
    ep.exec(&txn).await?;
    txn.commit().await?;
    Ok(match status {
        DeliveryStatus::Succeeded => Outcome::Delivered,
        DeliveryStatus::Failed => Outcome::Failed,
        DeliveryStatus::Pending => Outcome::Retrying,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eight_attempts_over_more_than_a_day() {
        assert_eq!(MAX_ATTEMPTS, 8);
        let total: Duration = RETRY_SCHEDULE.iter().copied().sum();
        assert!(total > Duration::hours(24), "{total}");
        for n in 1..=7 {
            let d = retry_delay(n).num_milliseconds() as f64;
            let base = RETRY_SCHEDULE[(n - 1) as usize].num_milliseconds() as f64;
            assert!((d - base).abs() <= base / 10.0 + 1.0, "{n}: {d} vs {base}");
        }
    }
}
