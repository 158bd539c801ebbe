//! The portal link in every receipt: signed per customer with the workspace's key, good for
//! [`SIGNED_LINK_TTL`], and void once the merchant rotates that customer's link (which bumps
//! the customer's `portal_link_version`, part of what is signed, and ends their sessions).

use chrono::{DateTime, Duration};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde_json::json;

use super::{Opened, start_session};
use crate::db::entities::customer;
use crate::db::entities::customer_session::{self as cs, CustomerSessionKind};
use crate::domain::actor::Caller;
use crate::domain::audit::{self, Change};
use crate::domain::{DomainError, Services, secrets, workspaces};
use crate::types::EventType;
use crate::types::portal::PortalLink;
use crate::types::{CustomerId, Scope, WorkspaceId};

/// How long a receipt's portal link works.
pub const SIGNED_LINK_TTL: Duration = Duration::days(30);

fn message(customer_id: &str, version: i32, expires: i64) -> String {
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
    let sig = secrets::sign(&key, &message(customer_id.as_str(), version, expires));
    Ok(PortalLink {
        url: format!(
            "{}/portal/link/{customer_id}.{expires}.{sig}",
            svc.public_url
        ),
        expires_at: DateTime::from_timestamp(expires, 0).unwrap_or(expires_at),
    })
}

/// Opens a receipt's signed link: a portal session if the signature holds for the
/// customer's current link version and the link has not expired. A refused link names the
/// shop's sign-in page when the customer is known, so the page can offer the code login.
pub async fn open_signed_link(svc: &Services, token: &str) -> Result<Opened, DomainError> {
    let mut parts = token.splitn(3, '.');
    let (Some(id), Some(expires), Some(sig)) = (parts.next(), parts.next(), parts.next()) else {
        return Ok(Opened::Refused { slug: None });
    };
    let (Ok(customer_id), Ok(expires)) = (CustomerId::parse(id), expires.parse::<i64>()) else {
        return Ok(Opened::Refused { slug: None });
    };
    let Some(row) = customer::Entity::find_by_id(customer_id)
        .one(&svc.db)
        .await?
    else {
        return Ok(Opened::Refused { slug: None });
    };
    let slug = workspaces::get_workspace(&svc.db, &row.workspace_id)
        .await?
        .slug;
    let key = workspaces::signing_key(&svc.db, &row.workspace_id).await?;
    let holds = secrets::signature_holds(&key, &message(id, row.portal_link_version, expires), sig);
    if !holds || svc.clock.now().timestamp() >= expires || row.archived_at.is_some() {
        return Ok(Opened::Refused { slug: Some(slug) });
    }
    let (token, expires_at) = start_session(
        &svc.db,
        svc,
        &row.workspace_id,
        &row.id,
        None,
        CustomerSessionKind::Session,
    )
    .await?;
    Ok(Opened::Session { token, expires_at })
}

async fn find_customer(
    svc: &Services,
    caller: &Caller,
    id: &CustomerId,
) -> Result<customer::Model, DomainError> {
    crate::domain::find::in_workspace::<customer::Entity, _, _, _>(
        &svc.db,
        &caller.workspace_id,
        id.clone(),
    )
    .await
}

/// "Copy portal link": a fresh signed link for the customer, as their receipts carry.
pub async fn portal_link(
    svc: &Services,
    caller: &Caller,
    id: &CustomerId,
) -> Result<PortalLink, DomainError> {
    caller.require(Scope::PortalWrite)?;
    let row = find_customer(svc, caller, id).await?;
    let txn = svc.write_txn().await?;
    let link = signed_link(
        &txn,
        svc,
        &caller.workspace_id,
        &row.id,
        row.portal_link_version,
    )
    .await?;
    audit::record(
        &txn,
        svc,
        caller,
        Change::customer(
            EventType::CustomerPortalLinkCreated,
            &row.id,
            json!({"expires_at": link.expires_at}),
        ),
    )
    .await?;
    txn.commit().await?;
    Ok(link)
}

/// "Rotate portal link": every portal link sent before stops working, the customer's portal
/// sessions end, and the new link is answered.
pub async fn rotate_portal_link(
    svc: &Services,
    caller: &Caller,
    id: &CustomerId,
) -> Result<PortalLink, DomainError> {
    caller.require(Scope::PortalWrite)?;
    let row = find_customer(svc, caller, id).await?;
    let txn = svc.write_txn().await?;
    // One statement bumps the version: two rotations at once each void every earlier link.
    let bumped = customer::Entity::update_many()
        .col_expr(
            customer::Column::PortalLinkVersion,
            Expr::col(customer::Column::PortalLinkVersion).add(1),
        )
        .filter(customer::Column::Id.eq(&row.id))
        .filter(customer::Column::WorkspaceId.eq(&caller.workspace_id))
        .exec(&txn)
        .await?;
    if bumped.rows_affected != 1 {
        return Err(DomainError::NotFound { what: "customer" });
    }
    let version = customer::Entity::find_by_id(row.id.clone())
        .one(&txn)
        .await?
        .ok_or(DomainError::NotFound { what: "customer" })?
        .portal_link_version;
    let ended = cs::Entity::delete_many()
        .filter(cs::Column::WorkspaceId.eq(&caller.workspace_id))
        .filter(cs::Column::CustomerId.eq(&row.id))
        .exec(&txn)
        .await?
        .rows_affected;
    let link = signed_link(&txn, svc, &caller.workspace_id, &row.id, version).await?;
    audit::record(
        &txn,
        svc,
        caller,
        Change::customer(
            EventType::CustomerPortalLinkRotated,
            &row.id,
            json!({"sessions_ended": ended, "expires_at": link.expires_at}),
        ),
    )
    .await?;
    txn.commit().await?;
    Ok(link)
}
