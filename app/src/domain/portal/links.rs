//! The portal link in every receipt (`receipts::signed_link`): signed per customer with the
//! workspace's key, good for `SIGNED_LINK_TTL`, and void once the merchant rotates that customer's link (which bumps
//! the customer's `portal_link_version`, part of what is signed, and ends their sessions).

use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter};
use serde_json::json;

use super::{Opened, record_and_commit, start_session};
use crate::db::entities::customer;
use crate::db::entities::customer_session::{self as cs, CustomerSessionKind};
use crate::domain::actor::Caller;
use crate::domain::receipts::{link_message, signed_link};
use crate::domain::{DomainError, Services, secrets, workspaces};
use crate::types::EventType;
use crate::types::portal::PortalLink;
use crate::types::{CustomerId, Scope};

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
    let holds = secrets::signature_holds(
        &key,
        &link_message(id, row.portal_link_version, expires),
        sig,
    );
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
        None,
    )
    .await?;
    Ok(Opened::Session { token, expires_at })
}

/// The start of a change to a customer's portal link: checks that the caller may make links
/// and that the customer is theirs; gives the customer and the transaction to work in.
async fn begin_link_change(
    svc: &Services,
    caller: &Caller,
    id: &CustomerId,
) -> Result<(customer::Model, DatabaseTransaction), DomainError> {
    caller.require(Scope::PortalWrite)?;
    let row = crate::domain::find::in_workspace::<customer::Entity, _, _, _>(
        &svc.db,
        &caller.workspace_id,
        id.clone(),
    )
    .await?;
    Ok((row, svc.write_txn().await?))
}

/// "Copy portal link": a fresh signed link for the customer, as their receipts carry.
pub async fn portal_link(
    svc: &Services,
    caller: &Caller,
    id: &CustomerId,
) -> Result<PortalLink, DomainError> {
    let (row, txn) = begin_link_change(svc, caller, id).await?;
    let link = signed_link(
        &txn,
        svc,
        &caller.workspace_id,
        &row.id,
        row.portal_link_version,
    )
    .await?;
    let changes = json!({"expires_at": link.expires_at});
    let action = EventType::CustomerPortalLinkCreated;
    record_and_commit(txn, svc, caller, action, &row.id, changes).await?;
    Ok(link)
}

/// "Rotate portal link": every portal link sent before stops working, the customer's portal
/// sessions end, and the new link is answered.
pub async fn rotate_portal_link(
    svc: &Services,
    caller: &Caller,
    id: &CustomerId,
) -> Result<PortalLink, DomainError> {
    let (row, txn) = begin_link_change(svc, caller, id).await?;
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
    let changes = json!({"sessions_ended": ended, "expires_at": link.expires_at});
    let action = EventType::CustomerPortalLinkRotated;
    record_and_commit(txn, svc, caller, action, &row.id, changes).await?;
    Ok(link)
}
