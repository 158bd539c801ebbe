//! The receipt: after each paid checkout, renewal or payment of an order, the customer gets an
//! order confirmation with their portal link, written to the outbox in the same transaction
//! that records the payment; and that signed portal link. A floor below orders: the portal
//! room opens the links it signs.

use chrono::{DateTime, Duration};
use sea_orm::{ConnectionTrait, EntityTrait};

use crate::db::entities::email::EmailKind;
use crate::db::entities::{customer, order, product, workspace};
use crate::domain::outbox::{self, NewEmail};
use crate::domain::{DomainError, Services, secrets, workspaces};
use crate::types::money;
use crate::types::order::OrderKind;
use crate::types::portal::PortalLink;
use crate::types::{CustomerId, WorkspaceId};

/// How long a receipt's portal link works.
pub const SIGNED_LINK_TTL: Duration = Duration::days(30);

/// What a portal link signs: the customer, their link version and the expiry.
pub(crate) fn link_message(customer_id: &str, version: i32, expires: i64) -> String {
    format!("portal.{customer_id}.{version}.{expires}")
}

/// A signed portal link for a customer at their current link version, inside `conn`.
pub(crate) async fn signed_link<C: ConnectionTrait>(
    conn: &C,
    svc: &Services,
    workspace_id: &WorkspaceId,
    customer_id: &CustomerId,
    version: i32,
) -> Result<PortalLink, DomainError> {
    let key = workspaces::signing_key(conn, workspace_id).await?;
    let expires_at = svc.clock.now() + SIGNED_LINK_TTL;
    let expires = expires_at.timestamp();
    let sig = secrets::sign(&key, &link_message(customer_id.as_str(), version, expires));
    Ok(PortalLink {
        url: format!(
            "{}/portal/link/{customer_id}.{expires}.{sig}",
            svc.public_url
        ),
        expires_at: DateTime::from_timestamp(expires, 0).unwrap_or(expires_at),
    })
}

/// Writes the receipt of a paid order to the outbox, inside `conn`. A customer without an
/// email address gets none.
pub(crate) async fn send_receipt<C: ConnectionTrait>(
    conn: &C,
    svc: &Services,
    order: &order::Model,
) -> Result<(), DomainError> {
    let Some(buyer) = customer::Entity::find_by_id(order.customer_id.clone())
        .one(conn)
        .await?
    else {
        return Ok(());
    };
    let Some(to) = buyer.email.clone() else {
        return Ok(());
    };
    let shop = workspace::Entity::find_by_id(order.workspace_id.clone())
        .one(conn)
        .await?
        .ok_or(DomainError::NotFound { what: "workspace" })?;
    let item = product::Entity::find_by_id(order.product_id.clone())
        .one(conn)
        .await?
        .map(|p| p.name)
        .unwrap_or_else(|| "Your purchase".into());
    let link = signed_link(
        conn,
        svc,
        &order.workspace_id,
        &buyer.id,
        buyer.portal_link_version,
    )
    .await?;
    let what = match order.kind {
        OrderKind::Renewal => format!("{item} (renewal)"),
        _ => item.clone(),
    };
    let paid = money::format(order.amount, order.currency);
    let hello = buyer
        .name
        .as_deref()
        .map(|n| format!("Hello {n},"))
        .unwrap_or_else(|| "Hello,".into());
    let text = format!(
        "{hello}\n\n\
         Thank you for your payment to {shop}. This is your receipt.\n\n\
         Order:   {id}\n\
         Item:    {what}\n\
         Paid:    {paid}\n\
         Date:    {date}\n\n\
         Your orders, subscriptions, downloads and licence keys, and a copy of your data, are \
         in your customer portal:\n\n\
         {url}\n\n\
         The link is yours alone and works until {until}. Do not forward this email.\n",
        shop = shop.name,
        id = order.id,
        date = svc.clock.now().format("%-d %B %Y, %H:%M UTC"),
        url = link.url,
        until = link.expires_at.format("%-d %B %Y"),
    );
    outbox::enqueue(
        conn,
        svc,
        NewEmail {
            workspace_id: order.workspace_id.clone(),
            customer_id: Some(buyer.id.clone()),
            kind: EmailKind::Receipt,
            to,
            subject: format!("Your receipt from {}: {what}", shop.name),
            text,
        },
    )
    .await?;
    Ok(())
}
