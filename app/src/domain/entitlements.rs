//! Entitlements: granting a product's benefits (by order, subscription or by hand), revoking
//! and expiring them with their revoke actions, licence keys, signed download links, Discord
//! links and the game-server command queue.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, Mac};
use rand::Rng;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use serde_json::json;
use sha2::Sha256;

use crate::db::entities::{entitlement as ent, entitlement_command as cmd, product, workspace};
use crate::types::ErrorCode;
use crate::types::activity::TargetKind;
use crate::types::entitlement::{
    CommandPhase, CommandReport, CommandStatus, DiscordLink, DownloadLink, EntitlementGrant,
    EntitlementRevoke, EntitlementSource, EntitlementStatus, GameCommand, LicenseKeyReveal,
};
use crate::types::product::{Benefit, BenefitKind};
use crate::types::{CommandId, CustomerId, Entitlement, EntitlementId, Scope};

use super::actor::Caller;
use super::audit::{self, Change};
use super::{
    DomainError, Services, customers, optional_text, products, secrets, stored_id, stored_json,
    to_json,
};

/// How long a download link works.
pub const DOWNLOAD_LINK_TTL: Duration = Duration::minutes(15);

const KEY_ALPHABET: &[u8] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

fn license_key(prefix: Option<&str>) -> String {
    let mut rng = rand::rng();
    let groups: Vec<String> = (0..4)
        .map(|_| {
            (0..5)
                .map(|_| char::from(KEY_ALPHABET[rng.random_range(0..KEY_ALPHABET.len())]))
                .collect()
        })
        .collect();
    match prefix {
        Some(p) => format!("{p}-{}", groups.join("-")),
        None => groups.join("-"),
    }
}

/// Every group but the last shown as dots: `NWG-•••••-•••••-•••••-7K3QZ`.
pub fn mask_license_key(key: &str) -> String {
    let groups: Vec<&str> = key.split('-').collect();
    let last = groups.len().saturating_sub(1);
    let has_prefix = groups.len() > 4;
    groups
        .iter()
        .enumerate()
        .map(|(i, g)| {
            if i == last || (has_prefix && i == 0) {
                (*g).to_owned()
            } else {
                "•".repeat(g.chars().count())
            }
        })
        .collect::<Vec<_>>()
        .join("-")
}

fn to_command(row: cmd::Model) -> Result<GameCommand, DomainError> {
    Ok(GameCommand {
        id: stored_id(&row.id)?,
        entitlement_id: stored_id(&row.entitlement_id)?,
        server: row.server,
        command: row.command,
        phase: row.phase,
        status: row.status,
        created_at: row.created_at,
        executed_at: row.executed_at,
    })
}

fn to_entitlement(
    row: ent::Model,
    product_name: String,
    commands: Vec<GameCommand>,
) -> Result<Entitlement, DomainError> {
    Ok(Entitlement {
        id: stored_id(&row.id)?,
        object: "entitlement".into(),
        customer_id: stored_id(&row.customer_id)?,
        product_id: stored_id(&row.product_id)?,
        product_name,
        order_id: row.order_id.as_deref().map(stored_id).transpose()?,
        subscription_id: row.subscription_id.as_deref().map(stored_id).transpose()?,
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
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let mut commands: HashMap<String, Vec<GameCommand>> = HashMap::new();
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

async fn queue_commands<C: ConnectionTrait>(
    conn: &C,
    row: &ent::Model,
    phase: CommandPhase,
    external_id: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), DomainError> {
    let benefit: Benefit = stored_json(&row.benefit)?;
    if let Benefit::GameServerCommands {
        server,
        on_grant,
        on_revoke,
    } = benefit
    {
        let list = match phase {
            CommandPhase::Grant => on_grant,
            CommandPhase::Revoke => on_revoke,
        };
        for c in list {
            let command = c.replace(
                "{customer_external_id}",
                external_id.unwrap_or(&row.customer_id),
            );
            cmd::ActiveModel {
                id: Set(CommandId::generate().to_string()),
                workspace_id: Set(row.workspace_id.clone()),
                entitlement_id: Set(row.id.clone()),
                server: Set(server.clone()),
                command: Set(command),
                phase: Set(phase),
                status: Set(CommandStatus::Pending),
                created_at: Set(now),
                executed_at: Set(None),
            }
            .insert(conn)
            .await?;
        }
    }
    Ok(())
}

/// Where granted entitlements come from.
#[derive(Debug, Clone, Default)]
pub(crate) struct GrantSource {
    pub order_id: Option<String>,
    pub subscription_id: Option<String>,
    pub expires_at: Option<DateTime<Utc>>,
}

/// Grants one entitlement per benefit of `product` to the customer, on `conn`.
pub(crate) async fn grant<C: ConnectionTrait>(
    conn: &C,
    svc: &Services,
    caller: &Caller,
    product: &product::Model,
    customer_id: &str,
    external_id: Option<&str>,
    from: GrantSource,
) -> Result<Vec<ent::Model>, DomainError> {
    let benefits: Vec<Benefit> = stored_json(&product.benefits)?;
    let source = match (&from.subscription_id, &from.order_id) {
        (Some(_), _) => EntitlementSource::Subscription,
        (None, Some(_)) => EntitlementSource::Order,
        (None, None) => EntitlementSource::Manual,
    };
    let now = svc.clock.now();
    let mut out = Vec::with_capacity(benefits.len());
    for b in benefits {
        let key = match &b {
            Benefit::LicenseKey { prefix } => Some(license_key(prefix.as_deref())),
            _ => None,
        };
        let row = ent::ActiveModel {
            id: Set(EntitlementId::generate().to_string()),
            workspace_id: Set(caller.workspace_id.to_string()),
            customer_id: Set(customer_id.into()),
            product_id: Set(product.id.clone()),
            order_id: Set(from.order_id.clone()),
            subscription_id: Set(from.subscription_id.clone()),
            source: Set(source),
            kind: Set(b.kind()),
            benefit: Set(to_json(&b)?),
            status: Set(EntitlementStatus::Active),
            license_key: Set(key),
            discord_user_id: Set(None),
            granted_at: Set(now),
            expires_at: Set(from.expires_at),
            ended_at: Set(None),
            end_reason: Set(None),
        }
        .insert(conn)
        .await?;
        queue_commands(conn, &row, CommandPhase::Grant, external_id, now).await?;
        audit::record(
            conn,
            svc,
            caller,
            Change {
                action: "entitlement.granted",
                target_type: TargetKind::Entitlement,
                target_id: &row.id,
                customer_id: Some(&row.customer_id),
                changes: json!({
                    "customer_id": customer_id,
                    "product_id": product.id,
                    "kind": b.kind(),
                    "source": source.as_str(),
                    "order_id": from.order_id,
                    "subscription_id": from.subscription_id,
                }),
            },
        )
        .await?;
        out.push(row);
    }
    Ok(out)
}

/// Which active entitlements to end.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Which<'a> {
    Customers(&'a [String]),
    Order(&'a str),
    Subscription(&'a str),
    One(&'a str),
}

/// Ends the matching active entitlements as `status` (expired or revoked) at `at`, running
/// their revoke actions; returns how many ended.
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
        Which::Customers(ids) => {
            q.filter(ent::Column::CustomerId.is_in(ids.iter().map(String::as_str)))
        }
        Which::Order(id) => q.filter(ent::Column::OrderId.eq(id)),
        Which::Subscription(id) => q.filter(ent::Column::SubscriptionId.eq(id)),
        Which::One(id) => q.filter(ent::Column::Id.eq(id)),
    };
    let rows = q.all(conn).await?;
    let external_ids =
        customers::external_ids(conn, rows.iter().map(|r| r.customer_id.clone())).await?;
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
        let external = external_ids
            .get(&row.customer_id)
            .and_then(|x| x.as_deref());
        queue_commands(conn, row, CommandPhase::Revoke, external, at).await?;
        audit::record(
            conn,
            svc,
            caller,
            Change {
                action: match status {
                    EntitlementStatus::Revoked => "entitlement.revoked",
                    _ => "entitlement.expired",
                },
                target_type: TargetKind::Entitlement,
                target_id: &row.id,
                customer_id: Some(&row.customer_id),
                changes: json!({
                    "customer_id": row.customer_id,
                    "status": {"before": "active", "after": status.as_str()},
                    "reason": reason,
                }),
            },
        )
        .await?;
    }
    Ok(ended)
}

/// Sets when the subscription's active entitlements run out (a cancel-now keeps them until
/// the paid period ends).
pub(crate) async fn expire_at<C: ConnectionTrait>(
    conn: &C,
    subscription_id: &str,
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
    ent::Entity::find_by_id(id.as_str())
        .filter(ent::Column::WorkspaceId.eq(caller.workspace_id.as_str()))
        .one(conn)
        .await?
        .ok_or(DomainError::NotFound {
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
        return Err(DomainError::invalid("expires_at", "must be in the future"));
    }
    if stored_json::<Vec<Benefit>>(&product.benefits)?.is_empty() {
        return Err(DomainError::invalid(
            "product_id",
            "the product grants no benefits",
        ));
    }
    let txn = svc.write_txn().await?;
    let rows = grant(
        &txn,
        svc,
        caller,
        &product,
        customer_id.as_str(),
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
        Which::One(id.as_str()),
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
    let user = input
        .discord_user_id
        .as_deref()
        .map(|v| products::snowflake("discord_user_id", v))
        .transpose()?;
    let txn = svc.write_txn().await?;
    super::lock_row(&txn, "entitlements", id.as_str()).await?;
    let row = find_row(&txn, caller, id).await?;
    if row.kind != BenefitKind::DiscordRole {
        return Err(DomainError::invalid(
            "discord_user_id",
            "only Discord-role entitlements link a Discord user",
        ));
    }
    let before = row.discord_user_id.clone();
    let mut active: ent::ActiveModel = row.into();
    active.discord_user_id = Set(user.clone());
    let row = active.update(&txn).await?;
    audit::record(
        &txn,
        svc,
        caller,
        Change {
            action: "entitlement.discord_linked",
            target_type: TargetKind::Entitlement,
            target_id: id.as_str(),
            customer_id: Some(&row.customer_id),
            changes: json!({"discord_user_id": {"before": before, "after": user}}),
        },
    )
    .await?;
    let out = present_one(&txn, row).await?;
    txn.commit().await?;
    Ok(out)
}

/// The full licence key of an entitlement.
pub async fn reveal_license_key(
    svc: &Services,
    caller: &Caller,
    id: &EntitlementId,
) -> Result<LicenseKeyReveal, DomainError> {
    caller.require(Scope::CustomersRead)?;
    let row = find_row(&svc.db, caller, id).await?;
    let key = row.license_key.ok_or(DomainError::NotFound {
        what: "licence key",
    })?;
    Ok(LicenseKeyReveal {
        entitlement_id: id.clone(),
        license_key: key,
    })
}

async fn signing_key<C: ConnectionTrait>(
    conn: &C,
    workspace_id: &str,
) -> Result<String, DomainError> {
    let ws = workspace::Entity::find_by_id(workspace_id)
        .one(conn)
        .await?
        .ok_or(DomainError::NotFound { what: "workspace" })?;
    if let Some(k) = ws.signing_secret {
        return Ok(k);
    }
    // Workspaces made before signed links existed get their key on first use; a concurrent
    // first use keeps whichever key was written first.
    workspace::Entity::update_many()
        .col_expr(
            workspace::Column::SigningSecret,
            Expr::val(Some(secrets::random_token(32))),
        )
        .filter(workspace::Column::Id.eq(workspace_id))
        .filter(workspace::Column::SigningSecret.is_null())
        .exec(conn)
        .await?;
    workspace::Entity::find_by_id(workspace_id)
        .one(conn)
        .await?
        .and_then(|w| w.signing_secret)
        .ok_or_else(|| DomainError::internal("workspace signing key missing"))
}

fn mac(key: &str, message: &str) -> Result<Hmac<Sha256>, DomainError> {
    let mut m = Hmac::<Sha256>::new_from_slice(key.as_bytes())
        .map_err(|e| DomainError::internal(format!("hmac key: {e}")))?;
    m.update(message.as_bytes());
    Ok(m)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// A signed link to a file-download entitlement's file, valid for [`DOWNLOAD_LINK_TTL`].
pub async fn create_download_link(
    svc: &Services,
    caller: &Caller,
    id: &EntitlementId,
) -> Result<DownloadLink, DomainError> {
    caller.require(Scope::CustomersRead)?;
    let row = find_row(&svc.db, caller, id).await?;
    if row.kind != BenefitKind::FileDownload {
        return Err(DomainError::Conflict {
            code: ErrorCode::NotADownload,
            message: "only file-download entitlements have download links".into(),
        });
    }
    if row.status != EntitlementStatus::Active {
        return Err(DomainError::Conflict {
            code: ErrorCode::EntitlementNotActive,
            message: format!("the entitlement is {}", row.status),
        });
    }
    let expires_at = svc.clock.now() + DOWNLOAD_LINK_TTL;
    let message = format!("{}.{}", row.id, expires_at.timestamp());
    let key = signing_key(&svc.db, &row.workspace_id).await?;
    let sig = hex(&mac(&key, &message)?.finalize().into_bytes());
    Ok(DownloadLink {
        url: format!("/downloads/{message}.{sig}"),
        expires_at,
    })
}

/// Checks a download token and returns the file's address: only while the link has not
/// expired, its signature holds, and the entitlement is still active.
pub async fn resolve_download(svc: &Services, token: &str) -> Result<String, DomainError> {
    let gone = DomainError::NotFound {
        what: "download link",
    };
    let mut parts = token.splitn(3, '.');
    let (Some(id), Some(expires), Some(sig)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(gone);
    };
    let expires: i64 = expires.parse().map_err(|_| DomainError::NotFound {
        what: "download link",
    })?;
    if svc.clock.now().timestamp() > expires {
        return Err(DomainError::Conflict {
            code: ErrorCode::LinkExpired,
            message: "this download link has expired; ask for a new one".into(),
        });
    }
    let row = ent::Entity::find_by_id(id)
        .one(&svc.db)
        .await?
        .ok_or(DomainError::NotFound {
            what: "download link",
        })?;
    let key = signing_key(&svc.db, &row.workspace_id).await?;
    let tag = unhex(sig).ok_or(DomainError::NotFound {
        what: "download link",
    })?;
    mac(&key, &format!("{id}.{expires}"))?
        .verify_slice(&tag)
        .map_err(|_| DomainError::NotFound {
            what: "download link",
        })?;
    if row.status != EntitlementStatus::Active {
        return Err(DomainError::Conflict {
            code: ErrorCode::EntitlementNotActive,
            message: format!("this download is no longer available ({})", row.status),
        });
    }
    match stored_json::<Benefit>(&row.benefit)? {
        Benefit::FileDownload { url, .. } => Ok(url),
        _ => Err(gone),
    }
}

/// Commands waiting for `server`, oldest first (what a game-server plugin polls).
pub async fn pending_commands(
    svc: &Services,
    caller: &Caller,
    server: &str,
) -> Result<Vec<GameCommand>, DomainError> {
    caller.require(Scope::CommandsWrite)?;
    let server = server.trim();
    if server.is_empty() {
        return Err(DomainError::invalid(
            "server",
            "name the game server whose commands to fetch",
        ));
    }
    cmd::Entity::find()
        .filter(cmd::Column::WorkspaceId.eq(caller.workspace_id.as_str()))
        .filter(cmd::Column::Server.eq(server))
        .filter(cmd::Column::Status.eq(CommandStatus::Pending))
        .order_by_asc(cmd::Column::Id)
        .limit(100)
        .all(&svc.db)
        .await?
        .into_iter()
        .map(to_command)
        .collect()
}

/// Records that a game server ran (or failed to run) a pending command.
pub async fn report_command(
    svc: &Services,
    caller: &Caller,
    id: &CommandId,
    report: CommandReport,
) -> Result<GameCommand, DomainError> {
    caller.require(Scope::CommandsWrite)?;
    if report.status == CommandStatus::Pending {
        return Err(DomainError::invalid("status", "must be executed or failed"));
    }
    let now = svc.clock.now();
    let txn = svc.write_txn().await?;
    let row = cmd::Entity::find_by_id(id.as_str())
        .filter(cmd::Column::WorkspaceId.eq(caller.workspace_id.as_str()))
        .one(&txn)
        .await?
        .ok_or(DomainError::NotFound { what: "command" })?;
    if row.status != CommandStatus::Pending {
        return Err(DomainError::Conflict {
            code: ErrorCode::CommandAlreadyReported,
            message: format!("the command was already reported {}", row.status),
        });
    }
    let moved = cmd::Entity::update_many()
        .col_expr(cmd::Column::Status, Expr::val(report.status))
        .col_expr(cmd::Column::ExecutedAt, Expr::val(Some(now)))
        .filter(cmd::Column::Id.eq(row.id.as_str()))
        .filter(cmd::Column::Status.eq(CommandStatus::Pending))
        .exec(&txn)
        .await?;
    if moved.rows_affected == 0 {
        txn.rollback().await?;
        return Err(DomainError::Conflict {
            code: ErrorCode::CommandAlreadyReported,
            message: "the command was already reported".into(),
        });
    }
    let row = cmd::Entity::find_by_id(row.id.as_str())
        .one(&txn)
        .await?
        .ok_or(DomainError::NotFound { what: "command" })?;
    let customer_id = ent::Entity::find_by_id(row.entitlement_id.as_str())
        .one(&txn)
        .await?
        .map(|e| e.customer_id)
        .unwrap_or_default();
    audit::record(
        &txn,
        svc,
        caller,
        Change {
            action: "entitlement.command_reported",
            target_type: TargetKind::Entitlement,
            target_id: &row.entitlement_id,
            customer_id: Some(&customer_id),
            changes: json!({"command_id": row.id, "status": report.status.as_str()}),
        },
    )
    .await?;
    txn.commit().await?;
    to_command(row)
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
    let caller = Caller::system(stored_id(&row.workspace_id)?);
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
        assert_eq!(unhex(&hex(&[0, 255, 16])), Some(vec![0, 255, 16]));
    }
}
