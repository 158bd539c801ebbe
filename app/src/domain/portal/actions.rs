//! What a signed-in end customer may do: cancel a subscription at the end of its period (with a
//! reason from a list and a comment) and take that back, replace the card it renews with, reveal
//! a licence key, get a file's download link, link their Discord user. Each is done as the
//! actor "portal customer", so it is audited and shows in the dashboard's Activity tab; what it
//! touches is found among that customer's own only.
//!
//! A merchant's read-only view acts as the merchant user who opened it: it reads what that
//! user's role lets them read in the dashboard, on record as them, and changes nothing.
//!
//! Replacing a card is what a card tester would use to try stolen numbers, so it is limited
//! per session, customer and client address, checks the shop's bans and blocks as a checkout
//! does, and answers every refused card with one sentence that says nothing of why.

use sea_orm::EntityTrait;
use serde_json::json;

use super::PortalCustomer;
use crate::db::entities::customer;
use crate::domain::actor::{Actor, Caller};
use crate::domain::audit::{self, Change};
use crate::domain::rate_limit::{self, Rule};
use crate::domain::{DomainError, Services, bans, entitlements, subscriptions};
use crate::types::EventType;
use crate::types::entitlement::{DiscordLink, DownloadLink};
use crate::types::order::{PaymentMethodInput, PaymentMethodType};
use crate::types::portal::CancelReason;
use crate::types::subscription::SubscriptionCancel;
use crate::types::{EntitlementId, ErrorCode, Scope, Subscription, SubscriptionId};

/// The longest comment a cancellation takes.
const COMMENT_MAX: usize = 400;

/// Cards tried in one portal session.
pub const CARD_TRY_SESSION: Rule = Rule::new("portal_card_session", 5, 60 * 60);
/// Cards tried for one customer, whatever the session.
pub const CARD_TRY_CUSTOMER: Rule = Rule::new("portal_card_customer", 10, 24 * 60 * 60);
/// Cards tried from one client address, whoever the customer.
pub const CARD_TRY_IP: Rule = Rule::new("portal_card_ip", 20, 60 * 60);

/// What the customer is told of any card the portal refuses (declined, blocked or banned): the
/// provider's reason would tell a card tester what to try next.
const CARD_REFUSED: &str =
    "This card was not accepted: check its number or use another card (your bank can say why).";

/// The customer themselves, acting in their portal.
fn as_customer(who: &PortalCustomer, ip: Option<String>) -> Caller {
    Caller {
        workspace_id: who.workspace_id.clone(),
        actor: Actor::PortalCustomer {
            id: who.customer_id.clone(),
        },
        ip,
        idempotency_key: None,
    }
}

/// The caller a change is made as: the customer. A merchant's view changes nothing.
fn acting(who: &PortalCustomer, ip: Option<String>) -> Result<Caller, DomainError> {
    if who.read_only() {
        return Err(DomainError::Conflict {
            code: ErrorCode::ReadOnlySession,
            message: "this is a read-only view of the portal: only the customer can change it"
                .into(),
        });
    }
    Ok(as_customer(who, ip))
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
/// first; a refused card changes nothing). A banned customer cannot. Each try counts against
/// [`CARD_TRY_SESSION`], [`CARD_TRY_CUSTOMER`] and [`CARD_TRY_IP`]; a card that matches one of
/// the shop's bans or blocked details is refused as at checkout, and every refused card gets
/// the same answer.
pub async fn update_payment_method(
    svc: &Services,
    who: &PortalCustomer,
    id: &SubscriptionId,
    method: &PaymentMethodInput,
    ip: Option<String>,
) -> Result<Subscription, DomainError> {
    let caller = acting(who, ip)?;
    take_card_try(svc, who, caller.ip.as_deref()).await?;
    let me = refuse_banned(svc, who).await?;
    // The card's fingerprint, for the bans. A number the provider cannot read has none: the
    // replacement below refuses it, naming the field (a typo is the person's to fix, and says
    // nothing about any card).
    let fingerprint = svc
        .provider
        .describe(method)
        .ok()
        .filter(|m| m.kind == PaymentMethodType::Card)
        .and_then(|m| m.fingerprint);
    // The bans a checkout checks, on every identity of this customer and of this try.
    let probe = bans::Probe {
        customer_id: Some(me.id),
        names: me.name.into_iter().collect(),
        emails: me.email.into_iter().collect(),
        external_ids: me.external_id.into_iter().collect(),
        ips: caller.ip.iter().cloned().collect(),
        cards: fingerprint.into_iter().collect(),
    };
    bans::refuse_banned(&svc.db, &who.workspace_id, svc.clock.now(), &probe)
        .await
        .map_err(|e| refused_card(who, e))?;
    // Checks the shop's blocked details, then the card with its issuer.
    subscriptions::replace_payment_method(svc, &caller, id, method)
        .await
        .map_err(|e| refused_card(who, e))
}

/// Takes one try from each of the card limits, the narrowest first.
async fn take_card_try(
    svc: &Services,
    who: &PortalCustomer,
    ip: Option<&str>,
) -> Result<(), DomainError> {
    rate_limit::take(&svc.db, svc, &CARD_TRY_SESSION, &who.session).await?;
    rate_limit::take(&svc.db, svc, &CARD_TRY_CUSTOMER, who.customer_id.as_str()).await?;
    if let Some(ip) = ip {
        rate_limit::take(&svc.db, svc, &CARD_TRY_IP, ip).await?;
    }
    Ok(())
}

/// [`CARD_REFUSED`] for a card the provider declined, or that a ban or a blocked detail
/// refuses; the reason goes to the log only. Other errors pass as they are.
fn refused_card(who: &PortalCustomer, e: DomainError) -> DomainError {
    let refused = match &e {
        DomainError::PaymentRefused { code, .. } => *code != ErrorCode::PaymentMethodInvalid,
        DomainError::Banned { .. } => true,
        _ => false,
    };
    if !refused {
        return e;
    }
    tracing::info!(
        customer_id = %who.customer_id,
        reason = %e,
        "a card replacement in the portal was refused"
    );
    DomainError::PaymentRefused {
        code: ErrorCode::CardDeclined,
        message: CARD_REFUSED.into(),
    }
}

/// The signed-in customer's row, unless they are banned ("contact the shop").
async fn refuse_banned(
    svc: &Services,
    who: &PortalCustomer,
) -> Result<customer::Model, DomainError> {
    let me = customer::Entity::find_by_id(who.customer_id.clone())
        .one(&svc.db)
        .await?
        .ok_or(DomainError::Unauthenticated)?;
    if me.banned_until.is_some_and(|t| t > svc.clock.now()) {
        return Err(DomainError::Conflict {
            code: ErrorCode::CustomerBanned,
            message: "this subscription cannot be renewed: contact the shop".into(),
        });
    }
    Ok(me)
}

/// Records an action of the customer on one of their items.
async fn audited(
    svc: &Services,
    caller: &Caller,
    action: EventType,
    item: &EntitlementId,
    who: &PortalCustomer,
) -> Result<(), DomainError> {
    audit::record(
        &svc.db,
        svc,
        caller,
        Change::new(action, item.as_str(), Some(&who.customer_id), json!({})),
    )
    .await?;
    Ok(())
}

/// The caller a read is made as: the customer, or in a merchant's read-only view the
/// merchant user who opened it.
fn reading(who: &PortalCustomer, ip: Option<String>) -> Caller {
    match &who.merchant {
        Some(merchant) => Caller {
            ip,
            ..merchant.clone()
        },
        None => as_customer(who, ip),
    }
}

/// Shows one of the customer's licence keys in full, on record as whoever sees it. In a
/// merchant's view it takes what the dashboard's reveal takes (`entitlements:write`).
pub async fn reveal_license_key(
    svc: &Services,
    who: &PortalCustomer,
    id: &EntitlementId,
    ip: Option<String>,
) -> Result<String, DomainError> {
    let caller = reading(who, ip);
    let revealed = entitlements::reveal(svc, &caller, &who.customer_id, id).await?;
    Ok(revealed.license_key)
}

/// A signed, expiring link to one of the customer's files (audited as the customer's). In a
/// merchant's view it takes what the dashboard's link takes (`customers:read`), and like the
/// dashboard's it is not recorded.
pub async fn download_link(
    svc: &Services,
    who: &PortalCustomer,
    id: &EntitlementId,
    ip: Option<String>,
) -> Result<DownloadLink, DomainError> {
    if let Some(merchant) = &who.merchant {
        merchant.require(Scope::CustomersRead)?;
    }
    // Found among the customer's own items, whoever asks.
    let theirs = as_customer(who, ip);
    let link = entitlements::download_link(svc, &theirs, id).await?;
    if !who.read_only() {
        audited(
            svc,
            &theirs,
            EventType::EntitlementDownloadLinkCreated,
            id,
            who,
        )
        .await?;
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
