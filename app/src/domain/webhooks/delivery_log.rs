//! The delivery log as the dashboard reads it: each delivery with where it stands for a person
//! (failing and tried again later, or waiting behind an older one that is failing), the Failed
//! filter that finds both the given-up and the failing ones, and a delivery's body. The REST
//! API's list keeps its own statuses.

use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::super::{Caller, DomainError, Limit, Services};
use super::{delivery_rows, find_delivery, find_endpoint, present_delivery};
use crate::db::entities::webhook_delivery;
use crate::types::webhook::{DeliveryLine, DeliveryPayload, DeliveryState, DeliveryStatus};
use crate::types::{Page, Scope, WebhookDeliveryId, WebhookEndpointId};

/// Which deliveries the dashboard lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DeliveryFilter {
    /// Every one.
    #[default]
    All,
    /// The ones given up on, and the ones whose last attempt failed and that wait to be tried
    /// again: every delivery that needs the merchant's look.
    Failed,
}

/// Pending, attempted, and the last attempt got no answer or one outside 2xx: the rule of
/// [`DeliveryState::of`], as a query.
fn failing() -> Condition {
    use webhook_delivery::Column as C;
    Condition::all()
        .add(C::Status.eq(DeliveryStatus::Pending))
        .add(C::Attempts.gt(0))
        .add(
            Condition::any()
                .add(C::LastError.is_not_null())
                .add(C::LastStatus.lt(200))
                .add(C::LastStatus.gte(300)),
        )
}

/// An endpoint's deliveries, newest first, keyset-paged, each with where it stands: a pending
/// delivery younger than a failing one of its endpoint waits behind it, since one endpoint's
/// deliveries go out in event order.
pub async fn delivery_log(
    svc: &Services,
    caller: &Caller,
    endpoint: &WebhookEndpointId,
    filter: DeliveryFilter,
    limit: Limit,
    starting_after: Option<&WebhookDeliveryId>,
) -> Result<Page<DeliveryLine>, DomainError> {
    caller.require(Scope::WebhooksWrite)?;
    find_endpoint(&svc.db, caller, endpoint).await?;
    let only = match filter {
        DeliveryFilter::All => Condition::all(),
        DeliveryFilter::Failed => Condition::any()
            .add(webhook_delivery::Column::Status.eq(DeliveryStatus::Failed))
            .add(failing()),
    };
    let (rows, has_more) = delivery_rows(svc, endpoint, only, limit, starting_after).await?;
    let oldest_failing: Option<WebhookDeliveryId> = webhook_delivery::Entity::find()
        .select_only()
        .column(webhook_delivery::Column::Id)
        .filter(webhook_delivery::Column::EndpointId.eq(endpoint))
        .filter(failing())
        .order_by_asc(webhook_delivery::Column::Id)
        .limit(1)
        .into_tuple()
        .one(&svc.db)
        .await?;
    let lines = rows
        .into_iter()
        .map(|row| {
            let behind = oldest_failing.as_ref().is_some_and(|f| *f < row.id);
            let delivery = present_delivery(row, None);
            DeliveryLine {
                state: DeliveryState::of(&delivery, behind),
                delivery,
            }
        })
        .collect();
    Ok(Page::new(lines, has_more))
}

/// The body of a delivery: as it was sent, or, before its first attempt, as it would be built
/// now (it is fixed at that attempt). Only the body: never a header, never a secret.
pub async fn delivery_payload(
    svc: &Services,
    caller: &Caller,
    id: &WebhookDeliveryId,
) -> Result<DeliveryPayload, DomainError> {
    caller.require(Scope::WebhooksWrite)?;
    let row = find_delivery(&svc.db, caller, id).await?;
    Ok(match row.payload.clone() {
        Some(body) => DeliveryPayload { body, sent: true },
        None => DeliveryPayload {
            body: super::deliver::payload(svc, &row).await?,
            sent: false,
        },
    })
}
