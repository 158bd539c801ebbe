//! "Send test event": a `ping` POSTed at once to one endpoint, signed as every delivery is
//! (Standard Webhooks headers, every secret still signing), sent only where the guard allows,
//! and never stored as a delivery: the merchant reads the endpoint's answer on the spot.

use serde_json::json;

use super::super::rate_limit::{self, Rule};
use super::super::{Caller, DomainError, Services};
use super::deliver::{excerpt, signed_headers};
use super::{WebhookSender, find_endpoint};
use crate::types::webhook::TestEventAnswer;
use crate::types::{Scope, WebhookEndpointId};

/// Test events one endpoint may get: 10 a minute.
const TEST_EVENTS: Rule = Rule::new("webhook_test_event", 10, 60);

/// Sends a signed `ping` to an endpoint (enabled or not) and answers what came back. The
/// `webhook-id` is a fresh `msg_` id, never an event's, so a receiver that deduplicates by it
/// keeps every real delivery.
pub async fn send_test_event(
    svc: &Services,
    caller: &Caller,
    id: &WebhookEndpointId,
    sender: &dyn WebhookSender,
) -> Result<TestEventAnswer, DomainError> {
    caller.require(Scope::WebhooksWrite)?;
    let endpoint = find_endpoint(&svc.db, caller, id).await?;
    // Checked when saved; checked again, as the hosts the operator allows may have changed.
    svc.webhook_hosts.checked_url(&endpoint.url)?;
    rate_limit::take(&svc.db, svc, &TEST_EVENTS, endpoint.id.as_str()).await?;
    let now = svc.clock.now();
    let msg_id = format!(
        "msg_{}",
        ulid::Ulid::from_datetime_with_source(now.into(), &mut crate::random::rng())
    );
    let body = json!({
        "type": "ping",
        "timestamp": now,
        "data": {
            "endpoint_id": endpoint.id.as_str(),
            "message": "A test event from Patron: your endpoint is reachable.",
        },
    })
    .to_string();
    let headers = signed_headers(&endpoint, &msg_id, now, &body)?;
    let clock = std::time::Instant::now();
    let answer = sender.post(&endpoint.url, &headers, &body).await;
    let latency_ms = i32::try_from(clock.elapsed().as_millis()).unwrap_or(i32::MAX);
    Ok(match answer {
        Ok(a) => TestEventAnswer {
            status: Some(a.status),
            error: None,
            body: excerpt(&a.body),
            latency_ms,
        },
        Err(e) => TestEventAnswer {
            status: None,
            error: Some(excerpt(&e)),
            body: String::new(),
            latency_ms,
        },
    })
}
