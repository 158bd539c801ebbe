//! Server functions behind the customer portal. Those for a signed-in customer need a live
//! portal session (the `patron_portal` cookie, or inside a merchant's page the
//! `Patron-Portal-Session` header that [`crate::embed::PortalClient`] adds), which names one
//! customer of one shop: none
//! takes a customer id from the browser except the pick between records of one address, which
//! is checked against that address, so no request can reach anyone else's data.

use leptos::prelude::*;

use crate::types::AppError;
use crate::types::portal::{EmbedSession, PortalBranding, PortalState};

/// What the portal's front door shows: the signed-in customer's overview, a choice of
/// customer records, or nothing (signed out, a state the page explains, not an error).
#[server(prefix = "/rpc", endpoint = "portal/overview", client = crate::embed::PortalClient)]
pub async fn load_portal() -> Result<PortalState, AppError> {
    let run = async {
        use super::ctx;
        ctx::require_same_origin().await?;
        let svc = ctx::services()?;
        let token = ctx::portal_token().await?;
        Ok(crate::domain::portal::state(&svc, token.as_deref()).await?)
    };
    super::ctx::with_status(run.await)
}

/// A shop's sign-in page: its name and look. `NotFound` for an unknown address.
#[server(prefix = "/rpc", endpoint = "portal/shop", client = crate::embed::PortalClient)]
pub async fn load_portal_shop(slug: String) -> Result<PortalBranding, AppError> {
    let run = async {
        let svc = super::ctx::services()?;
        Ok(crate::domain::portal::sign_in_page(&svc, &slug).await?)
    };
    super::ctx::with_status(run.await)
}

/// "Email me a code". Answers the same whether or not the address buys from the shop.
#[server(prefix = "/rpc", endpoint = "portal/request_code", client = crate::embed::PortalClient)]
pub async fn request_portal_code(slug: String, email: String) -> Result<(), AppError> {
    let run = async {
        use super::ctx;
        ctx::require_same_origin().await?;
        let svc = ctx::services()?;
        let ip = ctx::client_ip().await;
        crate::domain::portal::request_code(&svc, &slug, &email, ip.as_deref()).await?;
        Ok(())
    };
    super::ctx::with_status(run.await)
}

/// "Sign in" with the emailed code: sets the portal cookie.
#[server(prefix = "/rpc", endpoint = "portal/sign_in", client = crate::embed::PortalClient)]
pub async fn portal_sign_in(slug: String, email: String, code: String) -> Result<(), AppError> {
    let run = async {
        use super::ctx;
        use crate::domain::portal::{self, Opened};
        ctx::require_same_origin().await?;
        let svc = ctx::services()?;
        let ip = ctx::client_ip().await;
        match portal::sign_in_with_code(&svc, &slug, &email, &code, ip.as_deref()).await? {
            Opened::Session { token, expires_at } => {
                ctx::set_portal_cookie(&svc, &token, expires_at).await;
                Ok(())
            }
            Opened::Refused { .. } => Err(AppError::Unauthenticated),
        }
    };
    super::ctx::with_status(run.await)
}

/// Picks which of an address's customer records to be, after a code sign-in.
#[server(prefix = "/rpc", endpoint = "portal/choose", client = crate::embed::PortalClient)]
pub async fn choose_portal_customer(customer_id: String) -> Result<(), AppError> {
    let run = async {
        use super::ctx;
        ctx::require_same_origin().await?;
        let svc = ctx::services()?;
        let token = ctx::portal_token()
            .await?
            .ok_or(AppError::Unauthenticated)?;
        let id = crate::types::CustomerId::parse(&customer_id).map_err(|_| AppError::NotFound {
            what: "customer".into(),
        })?;
        crate::domain::portal::choose(&svc, &token, &id).await?;
        Ok(())
    };
    super::ctx::with_status(run.await)
}

/// Cancels one of the customer's subscriptions at the end of its period.
#[server(prefix = "/rpc", endpoint = "portal/cancel_subscription", client = crate::embed::PortalClient)]
pub async fn cancel_my_subscription(
    id: String,
    reason: String,
    comment: String,
) -> Result<(), AppError> {
    let run = async {
        use super::ctx;
        use crate::types::portal::CancelReason;
        let (svc, who) = ctx::portal_customer().await?;
        let id = id_of::<crate::types::SubscriptionId>(&id, "subscription")?;
        let reason = CancelReason::parse(&reason).ok_or_else(|| AppError::Invalid {
            field: "reason".into(),
            message: "choose a reason from the list".into(),
        })?;
        let ip = ctx::client_ip().await;
        crate::domain::portal::cancel_subscription(&svc, &who, &id, reason, &comment, ip).await?;
        Ok(())
    };
    super::ctx::with_status(run.await)
}

/// "Erase my data": asks the shop to erase the customer; answers when it is due.
#[server(prefix = "/rpc", endpoint = "portal/request_erasure", client = crate::embed::PortalClient)]
pub async fn request_my_erasure() -> Result<chrono::DateTime<chrono::Utc>, AppError> {
    let run = async {
        use super::ctx;
        let (svc, who) = ctx::portal_customer().await?;
        let ip = ctx::client_ip().await;
        Ok(crate::domain::portal::request_erasure(&svc, &who, ip)
            .await?
            .due_at)
    };
    super::ctx::with_status(run.await)
}

/// Takes back a scheduled cancellation of one of the customer's subscriptions.
#[server(prefix = "/rpc", endpoint = "portal/recover_subscription", client = crate::embed::PortalClient)]
pub async fn recover_my_subscription(id: String) -> Result<(), AppError> {
    let run = async {
        use super::ctx;
        let (svc, who) = ctx::portal_customer().await?;
        let id = id_of::<crate::types::SubscriptionId>(&id, "subscription")?;
        let ip = ctx::client_ip().await;
        crate::domain::portal::recover_subscription(&svc, &who, &id, ip).await?;
        Ok(())
    };
    super::ctx::with_status(run.await)
}

/// An id the browser sent, of the kind `T`: one that does not parse names nothing the customer
/// has, so it reads as `what` not found.
#[cfg(feature = "ssr")]
fn id_of<T: TryFrom<String>>(raw: &str, what: &str) -> Result<T, AppError> {
    T::try_from(raw.to_owned()).map_err(|_| AppError::NotFound { what: what.into() })
}

#[cfg(feature = "ssr")]
fn item_id(raw: &str) -> Result<crate::types::EntitlementId, AppError> {
    id_of(raw, "entitlement")
}

/// One of the customer's licence keys, in full, on record as whoever sees it. In a merchant's
/// read-only view, only for a role that may reveal keys in the dashboard (403 otherwise).
#[server(prefix = "/rpc", endpoint = "portal/reveal_key", client = crate::embed::PortalClient)]
pub async fn reveal_my_license_key(id: String) -> Result<String, AppError> {
    let run = async {
        use super::ctx;
        let (svc, who) = ctx::portal_customer().await?;
        let ip = ctx::client_ip().await;
        Ok(crate::domain::portal::reveal_license_key(&svc, &who, &item_id(&id)?, ip).await?)
    };
    super::ctx::with_status(run.await)
}

/// A signed link, valid a few minutes, to one of the customer's files.
#[server(prefix = "/rpc", endpoint = "portal/download", client = crate::embed::PortalClient)]
pub async fn my_download_link(id: String) -> Result<String, AppError> {
    let run = async {
        use super::ctx;
        let (svc, who) = ctx::portal_customer().await?;
        let ip = ctx::client_ip().await;
        let link = crate::domain::portal::download_link(&svc, &who, &item_id(&id)?, ip).await?;
        Ok(link.url)
    };
    super::ctx::with_status(run.await)
}

/// Links (or, empty, unlinks) the customer's Discord user to one of their Discord roles.
#[server(prefix = "/rpc", endpoint = "portal/link_discord", client = crate::embed::PortalClient)]
pub async fn link_my_discord(id: String, discord_user_id: String) -> Result<(), AppError> {
    let run = async {
        use super::ctx;
        let (svc, who) = ctx::portal_customer().await?;
        let ip = ctx::client_ip().await;
        crate::domain::portal::link_discord(&svc, &who, &item_id(&id)?, &discord_user_id, ip)
            .await?;
        Ok(())
    };
    super::ctx::with_status(run.await)
}

/// Replaces the card one of the customer's subscriptions renews with. Tries are limited (429
/// past the limit), and every refused card gets the same sentence.
#[server(prefix = "/rpc", endpoint = "portal/payment_method", client = crate::embed::PortalClient)]
pub async fn update_my_payment_method(id: String, card_number: String) -> Result<(), AppError> {
    let run = async {
        use super::ctx;
        use crate::types::order::PaymentMethodInput;
        let (svc, who) = ctx::portal_customer().await?;
        let id = id_of::<crate::types::SubscriptionId>(&id, "subscription")?;
        let ip = ctx::client_ip().await;
        let card = PaymentMethodInput::Card {
            number: card_number,
        };
        crate::domain::portal::update_payment_method(&svc, &who, &id, &card, ip).await?;
        Ok(())
    };
    super::ctx::with_status(run.await)
}

/// One of the customer's receipts.
#[server(prefix = "/rpc", endpoint = "portal/receipt", client = crate::embed::PortalClient)]
pub async fn load_my_receipt(id: String) -> Result<crate::types::portal::PortalReceipt, AppError> {
    let run = async {
        let (svc, who) = super::ctx::portal_customer().await?;
        let id = id_of::<crate::types::OrderId>(&id, "order")?;
        Ok(crate::domain::portal::receipt(&svc, &who, &id).await?)
    };
    super::ctx::with_status(run.await)
}

/// Signs the customer out of the portal: the session ends and the cookie goes.
#[server(prefix = "/rpc", endpoint = "portal/sign_out", client = crate::embed::PortalClient)]
pub async fn portal_sign_out() -> Result<(), AppError> {
    let run = async {
        use super::ctx;
        ctx::require_same_origin().await?;
        let svc = ctx::services()?;
        if let Some(token) = ctx::portal_token().await? {
            crate::domain::portal::end_session(&svc, &token).await?;
        }
        ctx::clear_portal_cookie();
        Ok(())
    };
    super::ctx::with_status(run.await)
}

/// Inside a merchant's page: exchanges the one-time token from the frame's address (or from
/// the page, by message) for a session bound to `origin`, the page's origin. Refused
/// (`Unauthenticated`) for a token already used, expired, minted for another origin or
/// another shop, or an origin the shop no longer allows.
#[server(prefix = "/rpc", endpoint = "portal/embed_session")]
pub async fn open_embed_session(
    slug: String,
    token: String,
    origin: String,
) -> Result<EmbedSession, AppError> {
    let run = async {
        use super::ctx;
        ctx::require_same_origin().await?;
        let svc = ctx::services()?;
        Ok(crate::domain::portal::embed::open_embed(&svc, &slug, &token, &origin).await?)
    };
    super::ctx::with_status(run.await)
}
