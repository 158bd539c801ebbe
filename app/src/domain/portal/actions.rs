//! What a signed-in end customer may change: cancel a subscription at the end of its period
//! (with a reason from a list and a comment), and take that back. Each is done as the actor
//! "portal customer", so it is audited and shows in the dashboard's Activity tab; the
//! subscription is found among that customer's own only.

use sea_orm::EntityTrait;

use super::PortalCustomer;
use crate::domain::actor::{Actor, Caller};
use crate::domain::{DomainError, Services, subscriptions};
use crate::types::portal::CancelReason;
use crate::types::subscription::SubscriptionCancel;
use crate::types::{ErrorCode, Subscription, SubscriptionId};

/// The longest comment a cancellation takes.
const COMMENT_MAX: usize = 400;

fn acting(who: &PortalCustomer, ip: Option<String>) -> Result<Caller, DomainError> {
    if who.read_only {
        return Err(DomainError::Conflict {
            code: ErrorCode::ReadOnlySession,
            message: "this is a read-only view of the portal: only the customer can change it"
                .into(),
        });
    }
    Ok(Caller {
        workspace_id: who.workspace_id.clone(),
        actor: Actor::PortalCustomer {
            id: who.customer_id.clone(),
        },
        ip,
    })
}

/// Cancels one of the customer's subscriptions at the end of its paid period.
pub async fn cancel_subscription(
    svc: &Services,
    who: &PortalCustomer,
    id: &SubscriptionId,
    reason: CancelReason,
    comment: &str,
    ip: Option<String>,
) -> Result<Subscription, DomainError> {
    let caller = acting(who, ip)?;
    let comment = comment.trim();
    if comment.chars().count() > COMMENT_MAX {
        return Err(DomainError::invalid(
            "comment",
            format!("must be at most {COMMENT_MAX} characters"),
        ));
    }
    if reason == CancelReason::Other && comment.is_empty() {
        return Err(DomainError::invalid(
            "comment",
            "tell the shop the reason in a few words",
        ));
    }
    let reason = if comment.is_empty() {
        format!("{} (customer)", reason.label())
    } else {
        format!("{} (customer): {comment}", reason.label())
    };
    subscriptions::cancel(
        svc,
        &caller,
        id,
        SubscriptionCancel {
            at_period_end: true,
            reason: Some(reason),
        },
    )
    .await
}

/// Takes back a scheduled cancellation. A banned customer cannot: they keep what they paid
/// for until the period ends, and nothing more.
pub async fn recover_subscription(
    svc: &Services,
    who: &PortalCustomer,
    id: &SubscriptionId,
    ip: Option<String>,
) -> Result<Subscription, DomainError> {
    let caller = acting(who, ip)?;
    let me = crate::db::entities::customer::Entity::find_by_id(who.customer_id.clone())
        .one(&svc.db)
        .await?
        .ok_or(DomainError::Unauthenticated)?;
    if me.banned_until.is_some_and(|t| t > svc.clock.now()) {
        return Err(DomainError::Conflict {
            code: ErrorCode::CustomerBanned,
            message: "this subscription cannot be renewed: contact the shop".into(),
        });
    }
    subscriptions::recover(svc, &caller, id).await
}
