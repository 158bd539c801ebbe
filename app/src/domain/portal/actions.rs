//! What a signed-in end customer may do: cancel a subscription at the end of its period (with a
//! reason from a list and a comment) and take that back, replace the card it renews with, reveal a licence key, get a file's
//! download link, link their Discord user. Each is done as the actor "portal customer", so it
//! is audited and shows in the dashboard's Activity tab; what it touches is found among that
//! customer's own only. A merchant's read-only view may read, never change.

use sea_orm::EntityTrait;
use serde_json::json;

use super::PortalCustomer;
use crate::domain::actor::{Actor, Caller};
use crate::domain::audit::{self, Change};
use crate::domain::{DomainError, Services, entitlements, subscriptions};
use crate::types::activity::TargetKind;
use crate::types::entitlement::{DiscordLink, DownloadLink};
use crate::types::order::PaymentMethodInput;
use crate::types::portal::CancelReason;
use crate::types::subscription::SubscriptionCancel;
use crate::types::{EntitlementId, ErrorCode, Subscription, SubscriptionId};

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
    refuse_banned(svc, who).await?;
    subscriptions::recover(svc, &caller, id).await
}

/// Replaces the card one of the customer's subscriptions renews with (checked with the provider
/// first; a declined card changes nothing). A banned customer cannot.
pub async fn update_payment_method(
    svc: &Services,
    who: &PortalCustomer,
    id: &SubscriptionId,
    method: &PaymentMethodInput,
    ip: Option<String>,
) -> Result<Subscription, DomainError> {
    let caller = acting(who, ip)?;
    refuse_banned(svc, who).await?;
    subscriptions::replace_payment_method(svc, &caller, id, method).await
}

async fn refuse_banned(svc: &Services, who: &PortalCustomer) -> Result<(), DomainError> {
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
    Ok(())
}

/// Records an action of the customer on one of their items.
async fn audited(
    svc: &Services,
    caller: &Caller,
    action: &'static str,
    item: &EntitlementId,
    who: &PortalCustomer,
) -> Result<(), DomainError> {
    audit::record(
        &svc.db,
        svc,
        caller,
        Change {
            action,
            target_type: TargetKind::Entitlement,
            target_id: item.as_str(),
            customer_id: Some(&who.customer_id),
            changes: json!({}),
        },
    )
    .await?;
    Ok(())
}

/// The caller a read is made as: the customer, or the merchant's read-only view of them.
fn reading(who: &PortalCustomer, ip: Option<String>) -> Caller {
    Caller {
        workspace_id: who.workspace_id.clone(),
        actor: Actor::PortalCustomer {
            id: who.customer_id.clone(),
        },
        ip,
    }
}

/// Shows one of the customer's licence keys in full (audited).
pub async fn reveal_license_key(
    svc: &Services,
    who: &PortalCustomer,
    id: &EntitlementId,
    ip: Option<String>,
) -> Result<String, DomainError> {
    let caller = reading(who, ip);
    let revealed = entitlements::reveal(svc, &caller, id).await?;
    if !who.read_only {
        audited(svc, &caller, "entitlement.license_key_revealed", id, who).await?;
    }
    Ok(revealed.license_key)
}

/// A signed, expiring link to one of the customer's files (audited).
pub async fn download_link(
    svc: &Services,
    who: &PortalCustomer,
    id: &EntitlementId,
    ip: Option<String>,
) -> Result<DownloadLink, DomainError> {
    let caller = reading(who, ip);
    let link = entitlements::download_link(svc, &caller, id).await?;
    if !who.read_only {
        audited(svc, &caller, "entitlement.download_link_created", id, who).await?;
    }
    Ok(link)
}

/// Links the customer's Discord user to one of their Discord-role items (or unlinks it).
pub async fn link_discord(
    svc: &Services,
    who: &PortalCustomer,
    id: &EntitlementId,
    discord_user_id: &str,
    ip: Option<String>,
) -> Result<(), DomainError> {
    let caller = acting(who, ip)?;
    let user = Some(discord_user_id.trim().to_owned()).filter(|u| !u.is_empty());
    entitlements::link_discord_user(
        svc,
        &caller,
        id,
        DiscordLink {
            discord_user_id: user,
        },
    )
    .await?;
    Ok(())
}

/// "Erase my data": records the customer's request for the shop, which erases them (GDPR
/// Art. 17); asking again answers the open request.
pub async fn request_erasure(
    svc: &Services,
    who: &PortalCustomer,
    ip: Option<String>,
) -> Result<crate::types::portal::ErasureRequest, DomainError> {
    let caller = acting(who, ip)?;
    crate::domain::erasure::request_erasure(svc, &caller, &who.customer_id).await
}
