//! Server functions behind the dashboard's webhook settings: the endpoints (added, edited,
//! tested), their deliveries with where each stands, attempts and bodies, resending. Admins and
//! owners (`webhooks:write`).

use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use crate::types::webhook::{
    DeliveryLine, DeliveryPayload, TestEventAnswer, WebhookDelivery, WebhookEndpoint,
    WebhookEndpointCreate, WebhookEndpointEdit, WebhookEndpointUpdate,
};
use crate::types::{AppError, Page};

#[cfg(feature = "ssr")]
fn endpoint_id(raw: &str) -> Result<crate::types::WebhookEndpointId, AppError> {
    crate::types::WebhookEndpointId::parse(raw).map_err(|_| AppError::NotFound {
        what: "webhook endpoint".into(),
    })
}

#[cfg(feature = "ssr")]
fn delivery_id(raw: &str) -> Result<crate::types::WebhookDeliveryId, AppError> {
    crate::types::WebhookDeliveryId::parse(raw).map_err(|_| AppError::NotFound {
        what: "webhook delivery".into(),
    })
}

/// The workspace's endpoints.
#[server(prefix = "/rpc", endpoint = "dashboard/webhooks")]
pub async fn load_webhook_endpoints() -> Result<Page<WebhookEndpoint>, AppError> {
    super::ctx::as_caller(|svc, caller| async move {
        Ok(crate::domain::webhooks::list_endpoints(&svc, &caller).await?)
    })
    .await
}

/// Adds an endpoint; the answer carries its secret, shown once.
#[server(prefix = "/rpc", endpoint = "dashboard/webhooks/create", input = Json)]
pub async fn create_webhook_endpoint(
    input: WebhookEndpointCreate,
) -> Result<WebhookEndpoint, AppError> {
    super::ctx::as_caller(|svc, caller| async move {
        let input = WebhookEndpointCreate {
            description: super::ctx::given(input.description),
            ..input
        };
        Ok(crate::domain::webhooks::create_endpoint(&svc, &caller, input).await?)
    })
    .await
}

/// Changes an endpoint (enable, disable...).
#[server(prefix = "/rpc", endpoint = "dashboard/webhooks/update", input = Json)]
pub async fn update_webhook_endpoint(
    id: String,
    input: WebhookEndpointUpdate,
) -> Result<WebhookEndpoint, AppError> {
    super::ctx::as_caller(|svc, caller| async move {
        let id = endpoint_id(&id)?;
        Ok(crate::domain::webhooks::update_endpoint(&svc, &caller, &id, input).await?)
    })
    .await
}

/// Changes an endpoint's URL, description and events, as its form has them.
#[server(prefix = "/rpc", endpoint = "dashboard/webhooks/edit", input = Json)]
pub async fn edit_webhook_endpoint(
    id: String,
    edit: WebhookEndpointEdit,
) -> Result<WebhookEndpoint, AppError> {
    super::ctx::as_caller(|svc, caller| async move {
        let id = endpoint_id(&id)?;
        Ok(crate::domain::webhooks::edit_endpoint(&svc, &caller, &id, edit).await?)
    })
    .await
}

/// Sends a signed `ping` to an endpoint now: what it answered.
#[server(prefix = "/rpc", endpoint = "dashboard/webhooks/test")]
pub async fn send_webhook_test_event(id: String) -> Result<TestEventAnswer, AppError> {
    super::ctx::as_caller(|svc, caller| async move {
        use crate::domain::webhooks::{self, WebhookSender};
        let id = endpoint_id(&id)?;
        // The server puts the sender its delivery job uses in every server function's context.
        let sender = use_context::<std::sync::Arc<dyn WebhookSender>>().ok_or_else(|| {
            tracing::error!("no webhook sender in the server function's context");
            AppError::Internal
        })?;
        let answer = webhooks::send_test_event(&svc, &caller, &id, sender.as_ref()).await?;
        Ok(answer)
    })
    .await
}

/// A new signing secret (the old one signs beside it for a day).
#[server(prefix = "/rpc", endpoint = "dashboard/webhooks/rotate")]
pub async fn rotate_webhook_secret(id: String) -> Result<WebhookEndpoint, AppError> {
    super::ctx::as_caller(|svc, caller| async move {
        let id = endpoint_id(&id)?;
        Ok(crate::domain::webhooks::rotate_secret(&svc, &caller, &id).await?)
    })
    .await
}

/// Deletes an endpoint with its deliveries.
#[server(prefix = "/rpc", endpoint = "dashboard/webhooks/delete")]
pub async fn delete_webhook_endpoint(id: String) -> Result<(), AppError> {
    super::ctx::as_caller(|svc, caller| async move {
        let id = endpoint_id(&id)?;
        Ok(crate::domain::webhooks::delete_endpoint(&svc, &caller, &id).await?)
    })
    .await
}

/// An endpoint and a page of its deliveries, newest first, each with where it stands (only the
/// failed and failing ones when asked).
#[server(prefix = "/rpc", endpoint = "dashboard/webhooks/deliveries")]
pub async fn load_webhook_deliveries(
    id: String,
    failed_only: bool,
    starting_after: Option<String>,
) -> Result<(WebhookEndpoint, Page<DeliveryLine>), AppError> {
    let run = async {
        use crate::domain::{Limit, webhooks};
        let (svc, user) = super::ctx::signed_in().await?;
        let id = endpoint_id(&id)?;
        let after = starting_after
            .as_deref()
            .filter(|s| !s.is_empty())
            .map(delivery_id)
            .transpose()?;
        let endpoint = webhooks::get_endpoint(&svc, &user.caller, &id).await?;
        let filter = if failed_only {
            webhooks::DeliveryFilter::Failed
        } else {
            webhooks::DeliveryFilter::All
        };
        let page = webhooks::delivery_log(
            &svc,
            &user.caller,
            &id,
            filter,
            Limit::new(Some(25))?,
            after.as_ref(),
        )
        .await?;
        Ok((endpoint, page))
    };
    super::ctx::with_status(run.await)
}

/// One delivery with its attempts.
#[server(prefix = "/rpc", endpoint = "dashboard/webhooks/delivery")]
pub async fn load_webhook_delivery(id: String) -> Result<WebhookDelivery, AppError> {
    super::ctx::as_caller(|svc, caller| async move {
        let id = delivery_id(&id)?;
        Ok(crate::domain::webhooks::get_delivery(&svc, &caller, &id).await?)
    })
    .await
}

/// The body of one delivery.
#[server(prefix = "/rpc", endpoint = "dashboard/webhooks/payload")]
pub async fn load_webhook_payload(id: String) -> Result<DeliveryPayload, AppError> {
    super::ctx::as_caller(|svc, caller| async move {
        let id = delivery_id(&id)?;
        Ok(crate::domain::webhooks::delivery_payload(&svc, &caller, &id).await?)
    })
    .await
}

/// Sends one delivery again now.
#[server(prefix = "/rpc", endpoint = "dashboard/webhooks/resend")]
pub async fn resend_webhook_delivery(id: String) -> Result<WebhookDelivery, AppError> {
    super::ctx::as_caller(|svc, caller| async move {
        let id = delivery_id(&id)?;
        Ok(crate::domain::webhooks::resend(&svc, &caller, &id).await?)
    })
    .await
}

/// Sends again every failed delivery of an endpoint since `since` (RFC 3339): how many.
#[server(prefix = "/rpc", endpoint = "dashboard/webhooks/resend_failed")]
pub async fn resend_failed_webhooks(id: String, since: String) -> Result<u64, AppError> {
    super::ctx::as_caller(|svc, caller| async move {
        let id = endpoint_id(&id)?;
        let since = chrono::DateTime::parse_from_rfc3339(since.trim())
            .map_err(|_| AppError::Invalid {
                field: "since".into(),
                message: "choose a date and time".into(),
            })?
            .with_timezone(&chrono::Utc);
        Ok(crate::domain::webhooks::resend_failed_since(&svc, &caller, &id, since).await?)
    })
    .await
}
