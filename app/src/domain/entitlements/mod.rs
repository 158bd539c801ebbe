//! Entitlements: granting a product's benefits (by order, subscription or by hand), revoking
//! and expiring them with their revoke actions, licence keys, signed download links, Discord
//! links and the game-server command queue.
//!
//! This module holds the inventory (grant, revoke, expire); `license_keys`, `downloads` and
//! `commands` hold what each kind of benefit adds.

mod commands;
mod downloads;
mod license_keys;

pub(crate) use commands::check_player_ids;
use commands::*;
pub use commands::{pending_commands, report_command};
pub(crate) use downloads::download_link;
pub use downloads::{DOWNLOAD_LINK_TTL, DownloadTarget, create_download_link, resolve_download};
pub(crate) use license_keys::reveal;
use license_keys::*;
pub use license_keys::{mask_license_key, reveal_license_key};

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use serde_json::json;

use crate::db::entities::{entitlement as ent, entitlement_command as cmd, product};
use crate::types::ErrorCode;
use crate::types::EventType;
use crate::types::entitlement::{
    CommandPhase, CommandReport, CommandStatus, DiscordLink, DownloadLink, EntitlementGrant,
    EntitlementRevoke, EntitlementSource, EntitlementStatus, GameCommand, LicenseKeyReveal,
};
use crate::types::portal::PortalItem;
use crate::types::product::{Benefit, BenefitKind, PlayerIdKind};
use crate::types::{
    CommandId, CustomerId, Entitlement, EntitlementId, OrderId, Scope, SubscriptionId, WorkspaceId,
};

use super::actor::{Actor, Caller};
use super::audit::{self, Change};
use super::{
    DomainError, Services, customers, optional_text, products, secrets, stored_json, to_json,
    workspaces,
};

fn to_entitlement(
    row: ent::Model,
    product_name: String,
    commands: Vec<GameCommand>,
) -> Result<Entitlement, DomainError> {
    Ok(Entitlement {
        id: row.id.clone(),
        object: "entitlement".into(),
        customer_id: row.customer_id.clone(),
        product_id: row.product_id.clone(),
        product_name,
        order_id: row.order_id.clone(),
        subscription_id: row.subscription_id.clone(),
        source: row.source,
        benefit: stored_json(&row.benefit)?,
        status: row.status,
        license_key: row.license_key.as_deref().map(mask_license_key),
        discord_user_id: row.discord_user_id,
        commands,
        granted_at: row.granted_at,
        expires_at: row.expires_at,
        ended_at: row.ended_at,
        end_reason: row.end_reason,
    })
}

/// Shapes rows for display: product names and commands in two queries, whatever the count.
pub(crate) async fn present<C: ConnectionTrait>(
    conn: &C,
    rows: Vec<ent::Model>,
) -> Result<Vec<Entitlement>, DomainError> {
    let names = products::names(conn, rows.iter().map(|r| r.product_id.clone())).await?;
    let ids: Vec<EntitlementId> = rows.iter().map(|r| r.id.clone()).collect();
    let mut commands: HashMap<EntitlementId, Vec<GameCommand>> = HashMap::new();
    if !ids.is_empty() {
        for c in cmd::Entity::find()
            .filter(cmd::Column::EntitlementId.is_in(ids))
            .order_by_asc(cmd::Column::Id)
            .all(conn)
            .await?
        {
            commands
                .entry(c.entitlement_id.clone())
                .or_default()
                .push(to_command(c)?);
        }
    }
    rows.into_iter()
        .map(|r| {
            let name = names.get(&r.product_id).cloned().unwrap_or_default();
            let cmds = commands.remove(&r.id).unwrap_or_default();
            to_entitlement(r, name, cmds)
        })
        .collect()
}

/// Where granted entitlements come from.
#[derive(Debug, Clone, Default)]
pub(crate) struct GrantSource {
    pub order_id: Option<OrderId>,
    pub subscription_id: Option<SubscriptionId>,
    pub expires_at: Option<DateTime<Utc>>,
}

/// Grants one entitlement per benefit of `product` to the customer, on `conn`. A game-server
/// entitlement keeps the player id its grant commands were written with (`external_id`, or the
/// customer's id without one): its revoke commands name the same player, whatever becomes of
/// the customer's external id.
pub(crate) async fn grant<C: ConnectionTrait>(
    conn: &C,
    svc: &Services,
    caller: &Caller,
    product: &product::Model,
    customer_id: &CustomerId,
    external_id: Option<&str>,
    from: GrantSource,
) -> Result<Vec<ent::Model>, DomainError> {
    let benefits: Vec<Benefit> = stored_json(&product.benefits)?;
    let source = match (&from.subscription_id, &from.order_id) {
        (Some(_), _) => EntitlementSource::Subscription,
        (None, Some(_)) => EntitlementSource::Order,
        (None, None) => EntitlementSource::Manual,
    };
    // A sale checked the player id before any money moved, and must not be undone now; a grant
    // without one moves no money, so an id its commands could not take is refused here.
    if source == EntitlementSource::Manual {
        check_player_ids(product, Some(customer_id), external_id)?;
    }
    let player = external_id.unwrap_or(customer_id.as_str());
    let now = svc.clock.now();
    let mut out = Vec::with_capacity(benefits.len());
    for b in benefits {
        let key = match &b {
            Benefit::LicenseKey { prefix } => Some(license_key(prefix.as_deref())),
            _ => None,
        };
        let player_id = match &b {
            Benefit::GameServerCommands {
                player_id: kind,
                player_id_pattern,
                ..
            } if player_id_fits(*kind, player_id_pattern.as_deref(), player) => {
                Some(player.to_owned())
            }
            _ => None,
        };
        let row = ent::ActiveModel {
            id: Set(EntitlementId::generate_at(svc.clock.now())),
            workspace_id: Set(caller.workspace_id.clone()),
            customer_id: Set(customer_id.clone()),
            product_id: Set(product.id.clone()),
            order_id: Set(from.order_id.clone()),
            subscription_id: Set(from.subscription_id.clone()),
            source: Set(source),
            kind: Set(b.kind()),
            benefit: Set(to_json(&b)?),
            status: Set(EntitlementStatus::Active),
            license_key: Set(key),
            discord_user_id: Set(None),
            player_id: Set(player_id),
            granted_at: Set(now),
            expires_at: Set(from.expires_at),
            ended_at: Set(None),
            end_reason: Set(None),
        }
        .insert(conn)
        .await?;
        let failed = queue_commands(conn, &row, CommandPhase::Grant, Some(player), now).await?;
        let mut changes = json!({
            "customer_id": customer_id,
            "product_id": product.id,
            "kind": b.kind(),
            "source": source.as_str(),
            "order_id": from.order_id,
            "subscription_id": from.subscription_id,
        });
        if let Some(reason) = failed {
            changes["commands_failed"] = json!(reason);
        }
        audit::record(
            conn,
            svc,
            caller,
            Change::new(
                EventType::EntitlementGranted,
                row.id.as_str(),
                Some(&row.customer_id),
                changes,
            ),
        )
        .await?;
        out.push(row);
    }
    Ok(out)
}

/// Which active entitlements to end.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Which<'a> {
    Customers(&'a [CustomerId]),
    Order(&'a OrderId),
    Subscription(&'a SubscriptionId),
    One(&'a EntitlementId),
}

/// Ends the matching active entitlements as `status` (expired or revoked) at `at`, running
/// their revoke actions; returns how many ended. Revoke commands name the player the grant did;
/// one that cannot be written is logged as failed and the entitlement ends all the same (the
/// end is part of a refund, a renewal or an expiry that must not roll back).
pub(crate) async fn end<C: ConnectionTrait>(
    conn: &C,
    svc: &Services,
    caller: &Caller,
    which: Which<'_>,
    status: EntitlementStatus,
    reason: Option<&str>,
    at: DateTime<Utc>,
) -> Result<usize, DomainError> {
    let mut q = ent::Entity::find()
        .filter(ent::Column::WorkspaceId.eq(caller.workspace_id.as_str()))
        .filter(ent::Column::Status.eq(EntitlementStatus::Active));
    q = match which {
        Which::Customers(ids) => q.filter(ent::Column::CustomerId.is_in(ids.iter())),
        Which::Order(id) => q.filter(ent::Column::OrderId.eq(id)),
        Which::Subscription(id) => q.filter(ent::Column::SubscriptionId.eq(id)),
        Which::One(id) => q.filter(ent::Column::Id.eq(id)),
    };
    let rows = q.all(conn).await?;
    let mut ended = 0;
    for row in &rows {
        // Only the change that moves it from active runs its revoke actions: of concurrent
        // ends, the others find it ended and queue nothing.
        let moved = ent::Entity::update_many()
            .col_expr(ent::Column::Status, Expr::val(status))
            .col_expr(ent::Column::EndedAt, Expr::val(at))
            .col_expr(ent::Column::EndReason, Expr::val(reason))
            .filter(ent::Column::Id.eq(row.id.as_str()))
            .filter(ent::Column::Status.eq(EntitlementStatus::Active))
            .exec(conn)
            .await?;
        if moved.rows_affected == 0 {
            continue;
        }
        ended += 1;
        let failed = queue_commands(
            conn,
            row,
            CommandPhase::Revoke,
            row.player_id.as_deref(),
            at,
        )
        .await?;
        let mut changes = json!({
            "customer_id": row.customer_id,
            "status": {"before": "active", "after": status.as_str()},
            "reason": reason,
        });
        if let Some(failed) = failed {
            changes["commands_failed"] = json!(failed);
        }
        audit::record(
            conn,
            svc,
            caller,
            Change::new(
                match status {
                    EntitlementStatus::Revoked => EventType::EntitlementRevoked,
                    _ => EventType::EntitlementExpired,
                },
                row.id.as_str(),
                Some(&row.customer_id),
                changes,
            ),
        )
        .await?;
    }
    Ok(ended)
}

/// Sets when the subscription's active entitlements run out (a cancel-now keeps them until
/// the paid period ends).
pub(crate) async fn expire_at<C: ConnectionTrait>(
    conn: &C,
    subscription_id: &SubscriptionId,
    at: DateTime<Utc>,
) -> Result<(), DomainError> {
    ent::Entity::update_many()
        .col_expr(ent::Column::ExpiresAt, Expr::val(Some(at)))
        .filter(ent::Column::SubscriptionId.eq(subscription_id))
        .filter(ent::Column::Status.eq(EntitlementStatus::Active))
        .exec(conn)
        .await?;
    Ok(())
}

async fn find_row<C: ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    id: &EntitlementId,
) -> Result<ent::Model, DomainError> {
    let mut q = ent::Entity::find_by_id(id.clone())
        .filter(ent::Column::WorkspaceId.eq(caller.workspace_id.as_str()));
    // An end customer reaches their own items only.
    if let Actor::PortalCustomer { id: customer } = &caller.actor {
        q = q.filter(ent::Column::CustomerId.eq(customer));
    }
    q.one(conn).await?.ok_or(DomainError::NotFound {
        what: "entitlement",
    })
}

async fn present_one<C: ConnectionTrait>(
    conn: &C,
    row: ent::Model,
) -> Result<Entitlement, DomainError> {
    present(conn, vec![row])
        .await?
        .pop()
        .ok_or_else(|| DomainError::internal("entitlement vanished"))
}

/// A customer's inventory, newest first.
pub async fn list_entitlements(
    svc: &Services,
    caller: &Caller,
    customer_id: &CustomerId,
) -> Result<Vec<Entitlement>, DomainError> {
    caller.require(Scope::CustomersRead)?;
    customers::get_customer(svc, caller, customer_id).await?;
    let rows = ent::Entity::find()
        .filter(ent::Column::WorkspaceId.eq(caller.workspace_id.as_str()))
        .filter(ent::Column::CustomerId.eq(customer_id.as_str()))
        .order_by_desc(ent::Column::Id)
        .limit(1000)
        .all(&svc.db)
        .await?;
    present(&svc.db, rows).await
}

/// A customer's items as the portal shows them: no file addresses, keys masked. Newest first.
pub(crate) async fn portal_items<C: ConnectionTrait>(
    conn: &C,
    workspace_id: &WorkspaceId,
    customer_id: &CustomerId,
) -> Result<Vec<PortalItem>, DomainError> {
    let rows = ent::Entity::find()
        .filter(ent::Column::WorkspaceId.eq(workspace_id))
        .filter(ent::Column::CustomerId.eq(customer_id))
        .order_by_desc(ent::Column::Id)
        .limit(200)
        .all(conn)
        .await?;
    let names = products::names(conn, rows.iter().map(|r| r.product_id.clone())).await?;
    rows.into_iter()
        .map(|row| {
            let benefit: Benefit = stored_json(&row.benefit)?;
            let label = match &benefit {
                Benefit::LicenseKey { .. } => "Licence key".to_owned(),
                Benefit::FileDownload { file_name, .. } => file_name.clone(),
                Benefit::DiscordRole { .. } => "Discord role".to_owned(),
                Benefit::Custom { description } => description.clone(),
                Benefit::GameServerCommands { server, .. } => format!("In-game perks on {server}"),
            };
            Ok(PortalItem {
                product_name: names.get(&row.product_id).cloned().unwrap_or_default(),
                kind: benefit.kind(),
                label,
                status: row.status,
                license_key: row.license_key.as_deref().map(mask_license_key),
                discord_user_id: row.discord_user_id,
                expires_at: row.expires_at,
                id: row.id,
            })
        })
        .collect()
}

/// One entitlement with its commands.
pub async fn get_entitlement(
    svc: &Services,
    caller: &Caller,
    id: &EntitlementId,
) -> Result<Entitlement, DomainError> {
    caller.require(Scope::CustomersRead)?;
    present_one(&svc.db, find_row(&svc.db, caller, id).await?).await
}

/// Assigns a product's benefits to a customer without a sale.
pub async fn grant_entitlement(
    svc: &Services,
    caller: &Caller,
    customer_id: &CustomerId,
    input: EntitlementGrant,
) -> Result<Vec<Entitlement>, DomainError> {
    caller.require(Scope::EntitlementsWrite)?;
    let customer = customers::get_customer(svc, caller, customer_id).await?;
    let product = products::find_row(&svc.db, caller, &input.product_id).await?;
    if let Some(at) = input.expires_at
        && at <= svc.clock.now()
    {
        return Err(DomainError::unprocessable(
            "expires_at",
            "must be in the future",
        ));
    }
    if stored_json::<Vec<Benefit>>(&product.benefits)?.is_empty() {
        return Err(DomainError::Conflict {
            code: ErrorCode::ProductGrantsNothing,
            message: "the product grants no benefits".into(),
        });
    }
    let txn = svc.write_txn().await?;
    let rows = grant(
        &txn,
        svc,
        caller,
        &product,
        customer_id,
        customer.external_id.as_deref(),
        GrantSource {
            expires_at: input.expires_at,
            ..Default::default()
        },
    )
    .await?;
    let out = present(&txn, rows).await?;
    txn.commit().await?;
    Ok(out)
}

/// Revokes an active entitlement now, running its revoke action. An expired or already revoked
/// one cannot be revoked.
pub async fn revoke_entitlement(
    svc: &Services,
    caller: &Caller,
    id: &EntitlementId,
    input: EntitlementRevoke,
) -> Result<Entitlement, DomainError> {
    caller.require(Scope::EntitlementsWrite)?;
    let reason = optional_text("reason", input.reason.as_deref(), 500)?;
    let txn = svc.write_txn().await?;
    let row = find_row(&txn, caller, id).await?;
    let not_active = |status: EntitlementStatus| DomainError::Conflict {
        code: ErrorCode::EntitlementNotActive,
        message: format!("the entitlement is {status}; only active ones can be revoked"),
    };
    if row.status != EntitlementStatus::Active {
        return Err(not_active(row.status));
    }
    let ended = end(
        &txn,
        svc,
        caller,
        Which::One(id),
        EntitlementStatus::Revoked,
        reason.as_deref(),
        svc.clock.now(),
    )
    .await?;
    let row = find_row(&txn, caller, id).await?;
    if ended == 0 {
        // Another request ended it between the read and the write.
        txn.rollback().await?;
        return Err(not_active(row.status));
    }
    let out = present_one(&txn, row).await?;
    txn.commit().await?;
    Ok(out)
}

/// Links (or with `null`, unlinks) the Discord user that a Discord-role entitlement is for.
pub async fn link_discord(
    svc: &Services,
    caller: &Caller,
    id: &EntitlementId,
    input: DiscordLink,
) -> Result<Entitlement, DomainError> {
    caller.require(Scope::EntitlementsWrite)?;
    link_discord_user(svc, caller, id, input).await
}

/// [`link_discord`] once the caller's right to it is settled (the portal's own check).
pub(crate) async fn link_discord_user(
    svc: &Services,
    caller: &Caller,
    id: &EntitlementId,
    input: DiscordLink,
) -> Result<Entitlement, DomainError> {
    let user = input
        .discord_user_id
        .as_deref()
        .map(|v| products::snowflake("discord_user_id", v))
        .transpose()?;
    let txn = svc.write_txn().await?;
    super::lock_row::<crate::db::entities::entitlement::Entity, _>(&txn, id.as_str()).await?;
    let row = find_row(&txn, caller, id).await?;
    if row.kind != BenefitKind::DiscordRole {
        return Err(DomainError::Conflict {
            code: ErrorCode::NotADiscordRole,
            message: "only Discord-role entitlements link a Discord user".into(),
        });
    }
    let before = row.discord_user_id.clone();
    let mut active: ent::ActiveModel = row.into();
    active.discord_user_id = Set(user.clone());
    let row = active.update(&txn).await?;
    audit::record(
        &txn,
        svc,
        caller,
        Change::new(
            EventType::EntitlementDiscordLinked,
            id.as_str(),
            Some(&row.customer_id),
            json!({"discord_user_id": {"before": before, "after": user}}),
        ),
    )
    .await?;
    let out = present_one(&txn, row).await?;
    txn.commit().await?;
    Ok(out)
}

/// Expires every active entitlement whose time ran out, across workspaces (the billing
/// clock's last step); returns how many.
pub async fn expire_due(svc: &Services) -> Result<usize, DomainError> {
    let now = svc.clock.now();
    let due = ent::Entity::find()
        .filter(ent::Column::Status.eq(EntitlementStatus::Active))
        .filter(ent::Column::ExpiresAt.lte(now))
        .limit(500)
        .all(&svc.db)
        .await?;
    let mut n = 0;
    for row in due {
        match expire_one(svc, &row, now).await {
            Ok(ended) => n += ended,
            // Logged; the next run tries it again, and the others go on.
            Err(e) => {
                tracing::warn!(entitlement = %row.id, error = %e, "expiring an entitlement failed")
            }
        }
    }
    Ok(n)
}

async fn expire_one(
    svc: &Services,
    row: &ent::Model,
    now: DateTime<Utc>,
) -> Result<usize, DomainError> {
    let caller = Caller::system(row.workspace_id.clone());
    let at = row.expires_at.unwrap_or(now);
    let txn = svc.write_txn().await?;
    let n = end(
        &txn,
        svc,
        &caller,
        Which::One(&row.id),
        EntitlementStatus::Expired,
        None,
        at,
    )
    .await?;
    txn.commit().await?;
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn licence_keys_are_masked_but_for_their_prefix_and_last_group() {
        let key = license_key(Some("NWG"));
        assert_eq!(key.len(), 3 + 4 * 6);
        let masked = mask_license_key(&key);
        assert!(masked.starts_with("NWG-•••••-•••••-•••••-"));
        assert!(masked.ends_with(&key[key.len() - 5..]));
        assert_eq!(
            mask_license_key("ABCDE-FGHJK-MNPQR-STVWX"),
            "•••••-•••••-•••••-STVWX"
        );
    }
}
