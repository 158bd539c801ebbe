//! Bans across identities. A ban refuses any purchase where one of its identities matches one of
//! the purchase's: the customer, their name, email, external id, IP (or a CIDR range around it)
//! or card. Identities are stored normalised, so a checkout finds a match by index; expired and
//! lifted bans simply stop matching. Each customer's `banned_until` (the latest expiry among the
//! active bans that match them) lets the customer list filter banned customers by index.
//!
//! `identity` normalises what a ban names, `matching` finds the bans a purchase or customer
//! meets; this module holds the commands (create, edit, lift, preview) and reads.

mod identity;
mod matching;

pub use identity::*;
pub(crate) use matching::refuse_banned;
use matching::*;

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use chrono::{DateTime, TimeZone, Utc};
use ipnet::IpNet;
use sea_orm::sea_query::{Condition, Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use serde_json::json;

use crate::db::entities::{ban, ban_identity, customer, payment_detail as pd};
use crate::types::ErrorCode;
use crate::types::EventType;
use crate::types::ban::{
    Ban, BanCreate, BanIdentity, BanIdentityKind, BanIdentityReach, BanMatch, BanPreview,
    BanStatus, BanUpdate,
};
use crate::types::entitlement::EntitlementStatus;
use crate::types::{BanId, CustomerId, Page, Scope, WorkspaceId};

use super::actor::Caller;
use super::audit::{self, Change};
use super::entitlements::Which;
use super::paging::{self, Limit};
use super::{DomainError, Services, customers, entitlements, subscriptions, validate};

/// Most identities one ban holds.
pub const IDENTITIES_MAX: usize = 50;
/// Most customers a preview lists by name.
pub const PREVIEW_LIST: usize = 20;
/// Most identities [`preview_ban_identities`] counts in one call: a customer's own, and more.
pub const REACH_MAX: usize = 200;

/// `banned_until` of a customer under a permanent ban.
fn forever() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(9999, 12, 31, 0, 0, 0)
        .single()
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

fn status_of(row: &ban::Model, now: DateTime<Utc>) -> BanStatus {
    if row.lifted_at.is_some() {
        BanStatus::Lifted
    } else if row.expires_at.is_some_and(|t| t <= now) {
        BanStatus::Expired
    } else {
        BanStatus::Active
    }
}

async fn present<C: ConnectionTrait>(
    conn: &C,
    rows: Vec<ban::Model>,
    now: DateTime<Utc>,
) -> Result<Vec<Ban>, DomainError> {
    let ids: Vec<BanId> = rows.iter().map(|r| r.id.clone()).collect();
    let mut identities: BTreeMap<BanId, Vec<BanIdentity>> = BTreeMap::new();
    if !ids.is_empty() {
        for i in ban_identity::Entity::find()
            .filter(ban_identity::Column::BanId.is_in(ids))
            .order_by_asc(ban_identity::Column::Kind)
            .order_by_asc(ban_identity::Column::Value)
            .all(conn)
            .await?
        {
            identities.entry(i.ban_id).or_default().push(BanIdentity {
                kind: i.kind,
                value: i.value,
            });
        }
    }
    rows.into_iter()
        .map(|r| {
            Ok(Ban {
                status: status_of(&r, now),
                identities: identities.remove(&r.id).unwrap_or_default(),
                id: r.id.clone(),
                object: "ban".into(),
                reason: r.reason,
                expires_at: r.expires_at,
                customer_id: r.customer_id.clone(),
                lifted_at: r.lifted_at,
                created_at: r.created_at,
                updated_at: r.updated_at,
                version: r.version,
            })
        })
        .collect()
}

async fn present_one<C: ConnectionTrait>(
    conn: &C,
    row: ban::Model,
    now: DateTime<Utc>,
) -> Result<Ban, DomainError> {
    present(conn, vec![row], now)
        .await?
        .pop()
        .ok_or_else(|| DomainError::internal("a ban presented as nothing"))
}

async fn find_row<C: ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    id: &BanId,
) -> Result<ban::Model, DomainError> {
    crate::domain::find::in_workspace::<ban::Entity, _, _, _>(
        conn,
        caller.workspace_id.as_str(),
        id.clone(),
    )
    .await
}

fn reason(value: &str) -> Result<String, DomainError> {
    validate::text("reason", value, 1000)
}

fn expiry(
    value: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, DomainError> {
    match value {
        Some(t) if t <= now => Err(DomainError::unprocessable(
            "expires_at",
            "must be in the future (omit it for a permanent ban)",
        )),
        other => Ok(other),
    }
}

async fn write_identities<C: ConnectionTrait>(
    conn: &C,
    ws: &WorkspaceId,
    ban_id: &BanId,
    identities: &[BanIdentity],
) -> Result<(), DomainError> {
    ban_identity::Entity::delete_many()
        .filter(ban_identity::Column::BanId.eq(ban_id))
        .exec(conn)
        .await?;
    if identities.is_empty() {
        return Ok(());
    }
    ban_identity::Entity::insert_many(identities.iter().map(|i| ban_identity::ActiveModel {
        ban_id: Set(ban_id.to_owned()),
        workspace_id: Set(ws.to_owned()),
        kind: Set(i.kind),
        value: Set(i.value.clone()),
    }))
    .exec(conn)
    .await?;
    Ok(())
}

fn identities_json(identities: &[BanIdentity]) -> serde_json::Value {
    json!(
        identities
            .iter()
            .map(|i| format!("{}: {}", i.kind.as_str(), i.value))
            .collect::<Vec<_>>()
    )
}

/// Creates a ban; with `revoke_items` / `cancel_subscriptions`, also ends what the customers it
/// matches now hold.
pub async fn create_ban(
    svc: &Services,
    caller: &Caller,
    input: BanCreate,
) -> Result<Ban, DomainError> {
    caller.require(Scope::BansWrite)?;
    // Every permission the whole action needs, before anything is written.
    if input.cancel_subscriptions {
        caller.require(Scope::SubscriptionsWrite)?;
    }
    if input.revoke_items {
        caller.require(Scope::EntitlementsWrite)?;
    }
    let now = svc.clock.now();
    let reason = reason(&input.reason)?;
    let expires_at = expiry(input.expires_at, now)?;
    let identities = normalise_all(&input.identities)?;
    identity::refuse_wide_ranges(&identities, input.confirm_wide_ranges)?;
    if let Some(c) = &input.customer_id {
        customers::get_customer(svc, caller, c)
            .await
            .map_err(|e| e.within("customer_id"))?;
    }
    let ws = &caller.workspace_id;
    let id = BanId::generate_at(now);
    // The ban, its identities, and every cancellation and revocation it asks for: one
    // transaction, so a failure half-way leaves nothing behind and a retry starts clean.
    let txn = svc.write_txn().await?;
    ban::ActiveModel {
        id: Set(id.clone()),
        workspace_id: Set(ws.to_owned()),
        reason: Set(reason.clone()),
        expires_at: Set(expires_at),
        lifted_at: Set(None),
        customer_id: Set(input.customer_id.clone()),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    }
    .insert(&txn)
    .await?;
    write_identities(&txn, ws, &id, &identities).await?;
    let matched = customers_matching(&txn, ws, &identities).await?;
    let matched_ids: BTreeSet<CustomerId> = matched.keys().cloned().collect();
    refresh(&txn, ws, now, &matched_ids).await?;
    audit::record(
        &txn,
        svc,
        caller,
        Change::new(
            EventType::BanCreated,
            id.as_str(),
            input.customer_id.as_ref(),
            json!({
                "reason": {"before": null, "after": reason},
                "expires_at": {"before": null, "after": expires_at},
                "identities": {"before": null, "after": identities_json(&identities)},
                "customers_matched": matched_ids.len(),
            }),
        ),
    )
    .await?;
    let why = format!("banned ({id})");
    let matched: Vec<CustomerId> = matched_ids.into_iter().collect();
    // A few queries per 500 matched customers, not per customer; within the parameter limits of
    // both engines.
    for customers in matched.chunks(500) {
        if input.cancel_subscriptions {
            for s in subscriptions::live_of_customers(&txn, ws, customers).await? {
                subscriptions::cancel_now_in(&txn, svc, caller, &s, Some(why.clone())).await?;
            }
        }
        if input.revoke_items {
            entitlements::end(
                &txn,
                svc,
                caller,
                Which::Customers(customers),
                EntitlementStatus::Revoked,
                Some(&why),
                now,
            )
            .await?;
        }
    }
    txn.commit().await?;
    get_ban(svc, caller, &id).await
}

/// One ban.
pub async fn get_ban(svc: &Services, caller: &Caller, id: &BanId) -> Result<Ban, DomainError> {
    caller.require(Scope::CustomersRead)?;
    let row = find_row(&svc.db, caller, id).await?;
    present_one(&svc.db, row, svc.clock.now()).await
}

/// Edits a ban's reason, expiry or identities; `version` guards against concurrent edits.
pub async fn update_ban(
    svc: &Services,
    caller: &Caller,
    id: &BanId,
    patch: BanUpdate,
) -> Result<Ban, DomainError> {
    caller.require(Scope::BansWrite)?;
    let now = svc.clock.now();
    let new_reason = patch.reason.as_deref().map(reason).transpose()?;
    if patch.permanent && patch.expires_at.is_some() {
        return Err(DomainError::unprocessable(
            "expires_at",
            "give an expiry or permanent, not both",
        ));
    }
    let new_expiry = expiry(patch.expires_at, now)?;
    let new_identities = patch.identities.as_deref().map(normalise_all).transpose()?;
    if let Some(ids) = &new_identities {
        identity::refuse_wide_ranges(ids, patch.confirm_wide_ranges)?;
    }
    let ws = &caller.workspace_id;
    let txn = svc.write_txn().await?;
    let row = find_row(&txn, caller, id).await?;
    if let Some(v) = patch.version
        && v != row.version
    {
        return Err(DomainError::Conflict {
            code: ErrorCode::VersionConflict,
            message: format!(
                "the ban was changed by someone else (now at version {}); reload it and apply your change again",
                row.version
            ),
        });
    }
    if row.lifted_at.is_some() {
        return Err(DomainError::Conflict {
            code: ErrorCode::BanLifted,
            message: "the ban was lifted; create a new one instead".into(),
        });
    }
    let before = present_one(&txn, row.clone(), now).await?;
    let mut affected: BTreeSet<CustomerId> = customers_matching(&txn, ws, &before.identities)
        .await?
        .into_keys()
        .collect();
    let mut active: ban::ActiveModel = row.clone().into();
    if let Some(r) = &new_reason {
        active.reason = Set(r.clone());
    }
    if patch.permanent {
        active.expires_at = Set(None);
    } else if new_expiry.is_some() {
        active.expires_at = Set(new_expiry);
    }
    active.updated_at = Set(now);
    active.version = Set(row.version + 1);
    let updated = ban::Entity::update_many()
        .set(active)
        .filter(ban::Column::Id.eq(row.id.as_str()))
        .filter(ban::Column::Version.eq(row.version))
        .exec(&txn)
        .await?;
    if updated.rows_affected != 1 {
        return Err(DomainError::Conflict {
            code: ErrorCode::VersionConflict,
            message: "the ban was changed by someone else; reload it and apply your change again"
                .into(),
        });
    }
    if let Some(ids) = &new_identities {
        write_identities(&txn, ws, id, ids).await?;
        affected.extend(customers_matching(&txn, ws, ids).await?.into_keys());
    }
    refresh(&txn, ws, now, &affected).await?;
    let after_row = find_row(&txn, caller, id).await?;
    let after = present_one(&txn, after_row, now).await?;
    audit::record(
        &txn,
        svc,
        caller,
        Change::new(
            EventType::BanUpdated,
            id.as_str(),
            before.customer_id.as_ref(),
            audit::diff(
                Some(
                    &json!({"reason": before.reason, "expires_at": before.expires_at,
                             "identities": identities_json(&before.identities)}),
                ),
                Some(
                    &json!({"reason": after.reason, "expires_at": after.expires_at,
                             "identities": identities_json(&after.identities)}),
                ),
            ),
        ),
    )
    .await?;
    txn.commit().await?;
    Ok(after)
}

/// Lifts a ban now. Lifting twice is a no-op.
pub async fn lift_ban(svc: &Services, caller: &Caller, id: &BanId) -> Result<Ban, DomainError> {
    caller.require(Scope::BansWrite)?;
    let now = svc.clock.now();
    let ws = &caller.workspace_id;
    let txn = svc.write_txn().await?;
    let row = find_row(&txn, caller, id).await?;
    if row.lifted_at.is_some() {
        return present_one(&txn, row, now).await;
    }
    let before = present_one(&txn, row.clone(), now).await?;
    let lifted = ban::Entity::update_many()
        .col_expr(ban::Column::LiftedAt, Expr::val(Some(now)))
        .col_expr(ban::Column::UpdatedAt, Expr::val(now))
        .col_expr(ban::Column::Version, Expr::col(ban::Column::Version).add(1))
        .filter(ban::Column::Id.eq(row.id.as_str()))
        .filter(ban::Column::LiftedAt.is_null())
        .exec(&txn)
        .await?;
    if lifted.rows_affected == 0 {
        // Lifted by a concurrent request: answer with the ban as it is.
        txn.rollback().await?;
        let row = find_row(&svc.db, caller, id).await?;
        return present_one(&svc.db, row, now).await;
    }
    let affected = customers_matching(&txn, ws, &before.identities)
        .await?
        .into_keys()
        .collect();
    refresh(&txn, ws, now, &affected).await?;
    audit::record(
        &txn,
        svc,
        caller,
        Change::new(
            EventType::BanLifted,
            id.as_str(),
            before.customer_id.as_ref(),
            json!({"lifted_at": {"before": null, "after": now}}),
        ),
    )
    .await?;
    let after = find_row(&txn, caller, id).await?;
    let out = present_one(&txn, after, now).await?;
    txn.commit().await?;
    Ok(out)
}

/// The workspace's bans, newest first (keyset on the id); with `customer`, only the bans whose
/// identities match that customer, active first.
pub async fn list_bans(
    svc: &Services,
    caller: &Caller,
    customer: Option<&CustomerId>,
    limit: Limit,
    starting_after: Option<BanId>,
) -> Result<Page<Ban>, DomainError> {
    caller.require(Scope::CustomersRead)?;
    let now = svc.clock.now();
    let ws = &caller.workspace_id;
    if let Some(customer) = customer {
        let c = crate::domain::find::in_workspace::<customer::Entity, _, _, _>(
            &svc.db,
            ws,
            customer.clone(),
        )
        .await?;
        let bans = bans_matching_customer(&svc.db, ws, &c).await?;
        let mut list = present(&svc.db, bans, now).await?;
        list.sort_by_key(|b| {
            (
                b.status != BanStatus::Active,
                std::cmp::Reverse(b.id.clone()),
            )
        });
        return Ok(Page::new(list, false));
    }
    let q = ban::Entity::find().filter(ban::Column::WorkspaceId.eq(ws));
    let after = starting_after.as_ref().map(BanId::as_str);
    let (rows, has_more) = paging::newest_first(&svc.db, q, ban::Column::Id, after, limit).await?;
    Ok(Page::new(present(&svc.db, rows, now).await?, has_more))
}

/// Every ban (any status) whose identities match a customer.
async fn bans_matching_customer<C: ConnectionTrait>(
    conn: &C,
    ws: &WorkspaceId,
    c: &customer::Model,
) -> Result<Vec<ban::Model>, DomainError> {
    let probe = Probe::of_customer(conn, c).await?;
    let ids = ban_ids_matching(conn, ws, &probe).await?;
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(ban::Entity::find()
        .filter(ban::Column::WorkspaceId.eq(ws))
        .filter(ban::Column::Id.is_in(ids))
        .all(conn)
        .await?)
}

/// The active ban on a customer's page banner, if any (the newest).
pub async fn active_ban_for(
    svc: &Services,
    caller: &Caller,
    customer_id: &CustomerId,
) -> Result<Option<Ban>, DomainError> {
    let page = list_bans(svc, caller, Some(customer_id), Limit::LARGEST, None).await?;
    Ok(page
        .data
        .into_iter()
        .find(|b| b.status == BanStatus::Active))
}

/// Which customers `identities` would match, before saving a ban.
pub async fn preview_ban(
    svc: &Services,
    caller: &Caller,
    identities: &[BanIdentity],
) -> Result<BanPreview, DomainError> {
    caller.require(Scope::CustomersRead)?;
    let identities = normalise_all(identities)?;
    let ws = &caller.workspace_id;
    let matched = customers_matching(&svc.db, ws, &identities).await?;
    let shown: Vec<&CustomerId> = matched.keys().take(PREVIEW_LIST).collect();
    let rows = customer::Entity::find()
        .filter(customer::Column::WorkspaceId.eq(ws))
        .filter(customer::Column::Id.is_in(shown.iter().map(|s| s.as_str())))
        .order_by_asc(customer::Column::Id)
        .all(&svc.db)
        .await?;
    let customers = rows
        .into_iter()
        .map(|c| {
            Ok(BanMatch {
                display_name: c
                    .name
                    .clone()
                    .or_else(|| c.email.clone())
                    .unwrap_or_else(|| c.id.to_string()),
                matched_by: matched
                    .get(&c.id)
                    .map(|k| k.iter().copied().collect())
                    .unwrap_or_default(),
                customer_id: c.id.clone(),
                email: c.email,
            })
        })
        .collect::<Result<Vec<_>, DomainError>>()?;
    Ok(BanPreview {
        count: matched.len() as u64,
        customers,
    })
}

/// How many customers each of `identities` matches on its own, and how many of them are not
/// `customer` (the one the ban is about), in the order asked: the ban dialog ticks only what no
/// other customer shares. Two queries for all the identities, not one each.
pub async fn preview_ban_identities(
    svc: &Services,
    caller: &Caller,
    customer: Option<&CustomerId>,
    identities: &[BanIdentity],
) -> Result<Vec<BanIdentityReach>, DomainError> {
    caller.require(Scope::CustomersRead)?;
    if identities.len() > REACH_MAX {
        return Err(DomainError::invalid(
            "identities",
            format!("at most {REACH_MAX} identities"),
        ));
    }
    let normalised = identities
        .iter()
        .enumerate()
        .map(|(i, id)| normalise(i, id))
        .collect::<Result<Vec<_>, _>>()?;
    let matched = customers_per_identity(&svc.db, &caller.workspace_id, &normalised).await?;
    Ok(identities
        .iter()
        .zip(matched)
        .map(|(identity, ids)| BanIdentityReach {
            identity: identity.clone(),
            customers: ids.len() as u64,
            others: ids.iter().filter(|id| Some(*id) != customer).count() as u64,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_compare_as_the_mailbox_they_reach() {
        assert_eq!(canonical_email("A.B+x@Gmail.com"), "ab@gmail.com");
        assert_eq!(canonical_email("a.b@googlemail.com"), "ab@gmail.com");
        assert_eq!(canonical_email("ann+shop@outlook.com"), "ann@outlook.com");
        // Elsewhere dots and plus signs are part of the address.
        assert_eq!(canonical_email("A.B+x@example.com"), "a.b+x@example.com");
    }

    #[test]
    fn identities_are_stored_normalised_and_bad_ones_name_their_place() {
        let id = |kind, value: &str| BanIdentity {
            kind,
            value: value.into(),
        };
        assert_eq!(
            normalise(0, &id(BanIdentityKind::Name, "  Ann   SMITH "))
                .unwrap()
                .value,
            "ann smith"
        );
        assert_eq!(
            normalise(0, &id(BanIdentityKind::Ip, "203.0.113.77/24"))
                .unwrap()
                .value,
            "203.0.113.0/24"
        );
        assert_eq!(
            normalise(0, &id(BanIdentityKind::Ip, "2001:db8::1"))
                .unwrap()
                .value,
            "2001:db8::1"
        );
        match normalise(3, &id(BanIdentityKind::Ip, "300.1.1.1")) {
            Err(DomainError::Invalid { field, .. }) => assert_eq!(field, "identities[3].value"),
            other => panic!("{other:?}"),
        }
        assert!(normalise(0, &id(BanIdentityKind::Customer, "nope")).is_err());
        assert!(normalise(0, &id(BanIdentityKind::Email, "not an email")).is_err());
    }
}
