//! GDPR erasure (Art. 17): a customer's personal data cleared everywhere Patron keeps a copy,
//! in one transaction, leaving an anonymised tombstone whose orders, refunds and amounts still
//! add up. Identities that bans and blocks match on are kept as keyed hashes, so a banned
//! person stays banned without Patron knowing who they were. End customers ask for it from the
//! portal; the merchant sees the open requests with the date the law's month runs out.
//!
//! What is cleared: every value the person ever had, not only today's: the emails, names,
//! phones and other fields their own audit trail shows before each change count as theirs
//! (`values`). The customer's email, name, phone, tax id, username, profile URL, external id
//! and metadata; its orders' IP addresses, notes and wallet accounts (cards keep brand and
//! last four digits); its email and IP payment details; its Discord links and the player ids
//! of perks that have ended (a running perk keeps its own until its revoke commands name the
//! player); and every copy of those values, case ignored, in audit diffs, stored webhook
//! payloads and answers, provider notifications, game-server commands, stored idempotent
//! answers, saved segments' filters and bulk actions' parameters (`copies`), its emails and
//! sign-in codes to any of its addresses, and its portal sessions. Import reports never hold
//! values (only line, field and reason). On SQLite the file itself is then rid of the old
//! bytes (`compact`).
//!
//! Locks are taken in the order the billing clock and the money flows take them: the person's
//! live subscriptions, then their orders, then their customer rows. A renewal locks its
//! subscription and then, recording the order, its customer; an erasure that locked the
//! customer first and then waited for the subscription would deadlock with it on PostgreSQL.

mod compact;
mod copies;
mod values;

use chrono::{DateTime, Months, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Func};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use serde_json::Value;

use crate::db::entities::{
    ban_identity, customer, customer_merge, customer_session, email, entitlement,
    entitlement_command, erasure_request, order, payment_detail, portal_code, provider_event,
    subscription,
};
use crate::types::EventType;
use crate::types::ban::BanIdentityKind;
use crate::types::entitlement::EntitlementStatus;
use crate::types::order::PaymentMethod;
use crate::types::payment_detail::PaymentDetailKind;
use crate::types::portal::ErasureRequest;
use crate::types::{Customer, CustomerId, ErasureRequestId, Scope, WorkspaceId};

use super::actor::Caller;
use super::audit::{self, Change};
use super::{DomainError, Services, customers, secrets, subscriptions, workspaces};
use crate::types::contact::{canonical_email, canonical_name};
use values::Personal;

/// What an erased value is replaced with where a copy of it is kept.
pub const ERASED: &str = "[erased]";

/// A merge snapshot once one of its customers is erased.
pub(crate) const ERASED_SNAPSHOT: &str = r#"{"erased":true}"#;

pub(crate) use crate::domain::customers::refuse_if_erased;

/// The customers merged into `id` and not yet erased: the same person's tombstones.
async fn tombstones_of<C: ConnectionTrait>(
    conn: &C,
    ws: &WorkspaceId,
    id: &CustomerId,
) -> Result<Vec<customer::Model>, DomainError> {
    Ok(customer::Entity::find()
        .filter(customer::Column::WorkspaceId.eq(ws.as_str()))
        .filter(customer::Column::MergedInto.eq(id.as_str()))
        .filter(customer::Column::ErasedAt.is_null())
        .order_by_asc(customer::Column::Id)
        .all(conn)
        .await?)
}

/// Locks what an erasure of `people` (a customer and its tombstones) changes, in the order
/// the billing clock and the money flows lock it (see the module's documentation): their
/// live subscriptions, their orders, then the customer rows, each set in id order. SQLite
/// needs none: the write transaction already excludes every other writer.
async fn lock_person<C: ConnectionTrait>(
    conn: &C,
    ws: &WorkspaceId,
    people: &[CustomerId],
) -> Result<(), DomainError> {
    if conn.get_database_backend() != DbBackend::Postgres {
        return Ok(());
    }
    // `FOR UPDATE`, waiting for a renewal that holds one of them.
    subscriptions::live_of_customers(conn, ws, people).await?;
    let _locked: Vec<String> = order::Entity::find()
        .select_only()
        .column(order::Column::Id)
        .filter(order::Column::WorkspaceId.eq(ws.as_str()))
        .filter(order::Column::CustomerId.is_in(people.iter().map(CustomerId::as_str)))
        .order_by_asc(order::Column::Id)
        .lock_exclusive()
        .into_tuple()
        .all(conn)
        .await?;
    for p in people {
        super::lock_row::<crate::db::entities::customer::Entity, _>(conn, p.as_str()).await?;
    }
    Ok(())
}

/// Erases a customer (see the module's documentation). `confirm` must be true. Live
/// subscriptions are canceled first, in the same transaction. Erasing an erased customer
/// answers it unchanged.
pub async fn erase_customer(
    svc: &Services,
    caller: &Caller,
    id: &CustomerId,
    confirm: bool,
) -> Result<Customer, DomainError> {
    caller.require(Scope::CustomersErase)?;
    if !confirm {
        return Err(DomainError::invalid(
            "confirm",
            "must be true: erasure cannot be undone",
        ));
    }
    let ws = &caller.workspace_id;
    let txn = svc.write_txn().await?;
    // The duplicates merged into this customer are the same person: their tombstones go too.
    // Read before the locks to know whose rows to lock; a merge into the customer locks it,
    // so once it is locked below the set is final and is read again.
    let mut people: Vec<CustomerId> = tombstones_of(&txn, ws, id)
        .await?
        .into_iter()
        .map(|t| t.id)
        .collect();
    people.push(id.clone());
    people.sort();
    lock_person(&txn, ws, &people).await?;
    let row = customers::row(&txn, caller, id).await?;
    if row.erased_at.is_some() {
        txn.rollback().await?;
        return customers::present(row);
    }
    for t in tombstones_of(&txn, ws, id).await? {
        erase_in(&txn, svc, caller, t).await?;
    }
    erase_in(&txn, svc, caller, row).await?;
    let erased = customers::row(&txn, caller, id).await?;
    txn.commit().await?;
    compact::clear_erased_bytes(svc).await;
    customers::present(erased)
}

/// Erases one customer inside `txn` (see [`erase_customer`]).
async fn erase_in(
    txn: &sea_orm::DatabaseTransaction,
    svc: &Services,
    caller: &Caller,
    row: customer::Model,
) -> Result<(), DomainError> {
    let id = &row.id.clone();
    let now = svc.clock.now();
    let ws = caller.workspace_id.clone();

    // Billing stops first: a live subscription is canceled now.
    let live = subscription::Entity::find()
        .filter(subscription::Column::CustomerId.eq(id.as_str()))
        .all(txn)
        .await?;
    for sub in live.iter().filter(|s| s.status.is_live()) {
        subscriptions::cancel_now_in(txn, svc, caller, sub, Some("customer erased".into())).await?;
    }

    let orders = order::Entity::find()
        .filter(order::Column::CustomerId.eq(id.as_str()))
        .all(txn)
        .await?;
    let details = payment_detail::Entity::find()
        .filter(payment_detail::Column::CustomerId.eq(id.as_str()))
        .all(txn)
        .await?;
    let entitlements = entitlement::Entity::find()
        .filter(entitlement::Column::CustomerId.eq(id.as_str()))
        .all(txn)
        .await?;

    // Everything that names the person, now and before, read before any of it is cleared.
    let mut personal = Personal::default();
    personal.customer(&row);
    personal.add_history(txn, &ws, id).await?;
    let mut ips: Vec<String> = Vec::new();
    for o in &orders {
        personal.strong(o.ip.as_deref());
        ips.extend(o.ip.clone());
        if let Ok(pm) = serde_json::from_str::<PaymentMethod>(&o.payment_method) {
            personal.strong(pm.account.as_deref());
        }
        if let Some(note) = &o.customer_note {
            personal.exact(Some(note));
        }
    }
    for d in &details {
        if matches!(d.kind, PaymentDetailKind::Email | PaymentDetailKind::Ip) {
            // An email's value is its mailbox; its label is the address as typed.
            personal.strong(Some(&d.value));
            personal.strong(Some(&d.label));
        }
    }
    for e in &entitlements {
        personal.strong(e.discord_user_id.as_deref());
        // The player id is the external id it was granted under; Patron's own customer id,
        // used when there was none, is not personal and stays everywhere it is.
        personal.strong(
            e.player_id
                .as_deref()
                .filter(|p| !p.starts_with(CustomerId::PREFIX)),
        );
    }
    let key = workspaces::signing_key(txn, &ws).await?;

    // The customer: the tombstone.
    customer::Entity::update_many()
        .col_expr(customer::Column::Email, Expr::val(None::<String>))
        .col_expr(customer::Column::Name, Expr::val(None::<String>))
        .col_expr(customer::Column::Phone, Expr::val(None::<String>))
        .col_expr(customer::Column::TaxId, Expr::val(None::<String>))
        .col_expr(customer::Column::Username, Expr::val(None::<String>))
        .col_expr(customer::Column::ProfileUrl, Expr::val(None::<String>))
        .col_expr(customer::Column::ExternalId, Expr::val(None::<String>))
        .col_expr(customer::Column::Metadata, Expr::val("{}"))
        .col_expr(
            customer::Column::SearchText,
            Expr::val(id.as_str().to_lowercase()),
        )
        .col_expr(customer::Column::ErasedAt, Expr::val(Some(now)))
        .col_expr(
            customer::Column::ArchivedAt,
            Expr::val(Some(row.archived_at.unwrap_or(now))),
        )
        .col_expr(customer::Column::UpdatedAt, Expr::val(now))
        .col_expr(
            customer::Column::Version,
            Expr::col(customer::Column::Version).add(1),
        )
        .col_expr(
            customer::Column::PortalLinkVersion,
            Expr::col(customer::Column::PortalLinkVersion).add(1),
        )
        .filter(customer::Column::Id.eq(id.as_str()))
        .exec(txn)
        .await?;

    // Orders keep their amounts; the IP, the note and a wallet's account go.
    for o in &orders {
        let mut pm = serde_json::from_str::<PaymentMethod>(&o.payment_method).ok();
        if let Some(pm) = pm.as_mut() {
            pm.account = None;
        }
        let pm_text = pm
            .map(|pm| serde_json::to_string(&pm).unwrap_or_default())
            .unwrap_or_else(|| personal.scrub_stored(&o.payment_method));
        order::Entity::update_many()
            .col_expr(order::Column::Ip, Expr::val(None::<String>))
            .col_expr(order::Column::CustomerNote, Expr::val(None::<String>))
            .col_expr(order::Column::PaymentMethod, Expr::val(pm_text))
            .filter(order::Column::Id.eq(o.id.as_str()))
            .exec(txn)
            .await?;
    }

    // Payment details that are a person (an email, an IP) become keyed hashes: a blocked one
    // stays blocked. A card or wallet keeps its fingerprint; its label loses a wallet's email.
    for d in details.iter().filter(|d| {
        !matches!(d.kind, PaymentDetailKind::Email | PaymentDetailKind::Ip)
            && personal.found_in(&d.label)
    }) {
        payment_detail::Entity::update_many()
            .col_expr(
                payment_detail::Column::Label,
                Expr::val(personal.scrub_text(&d.label)),
            )
            .filter(payment_detail::Column::Id.eq(d.id.as_str()))
            .exec(txn)
            .await?;
    }
    for d in details
        .iter()
        .filter(|d| matches!(d.kind, PaymentDetailKind::Email | PaymentDetailKind::Ip))
    {
        // The form checkouts compare (see `payment_details::refuse_blocked`).
        payment_detail::Entity::update_many()
            .col_expr(
                payment_detail::Column::Value,
                Expr::val(secrets::keyed_hash(&key, d.kind.as_str(), d.value.trim())),
            )
            .col_expr(payment_detail::Column::Label, Expr::val(ERASED))
            .filter(payment_detail::Column::Id.eq(d.id.as_str()))
            .exec(txn)
            .await?;
    }

    // Ban identities of the person, under any address, name or external id they had: keyed
    // hashes, still matched.
    let mut identities: Vec<(BanIdentityKind, String)> = Vec::new();
    for e in &personal.emails {
        identities.push((BanIdentityKind::Email, canonical_email(e)));
    }
    for n in &personal.names {
        identities.push((BanIdentityKind::Name, canonical_name(n)));
    }
    for x in &personal.external_ids {
        identities.push((BanIdentityKind::ExternalId, x.trim().to_owned()));
    }
    for ip in &ips {
        // As bans store a single address (see `bans::net_text`).
        let ip = ip.trim();
        let canonical = ip
            .parse::<std::net::IpAddr>()
            .map(|a| a.to_string())
            .unwrap_or_else(|_| ip.to_owned());
        identities.push((BanIdentityKind::Ip, canonical));
    }
    for (kind, value) in &identities {
        ban_identity::Entity::update_many()
            .col_expr(
                ban_identity::Column::Value,
                Expr::val(secrets::keyed_hash(&key, kind.as_str(), value)),
            )
            .filter(ban_identity::Column::WorkspaceId.eq(ws.as_str()))
            .filter(ban_identity::Column::Kind.eq(*kind))
            .filter(ban_identity::Column::Value.eq(value.as_str()))
            .exec(txn)
            .await?;
    }

    // Discord links go; game-server commands lose the values substituted into them. A perk
    // still running (paid to the end of its period) keeps its player id: when it ends, its
    // revoke commands must name the player for the game server to take it away. An ended
    // perk's player id goes.
    let entitlement_ids: Vec<String> = entitlements.iter().map(|e| e.id.to_string()).collect();
    if !entitlement_ids.is_empty() {
        entitlement::Entity::update_many()
            .col_expr(
                entitlement::Column::DiscordUserId,
                Expr::val(None::<String>),
            )
            .filter(entitlement::Column::Id.is_in(entitlement_ids.clone()))
            .exec(txn)
            .await?;
        entitlement::Entity::update_many()
            .col_expr(entitlement::Column::PlayerId, Expr::val(None::<String>))
            .filter(entitlement::Column::Id.is_in(entitlement_ids.clone()))
            .filter(entitlement::Column::Status.ne(EntitlementStatus::Active))
            .exec(txn)
            .await?;
        let commands = entitlement_command::Entity::find()
            .filter(entitlement_command::Column::EntitlementId.is_in(entitlement_ids))
            .all(txn)
            .await?;
        for c in commands
            .iter()
            .filter(|c| personal.found_in_own(&c.command))
        {
            entitlement_command::Entity::update_many()
                .col_expr(
                    entitlement_command::Column::Command,
                    Expr::val(personal.scrub_own_text(&c.command)),
                )
                .filter(entitlement_command::Column::Id.eq(c.id.as_str()))
                .exec(txn)
                .await?;
        }
    }

    copies::scrub_events(txn, &ws, id, &personal).await?;
    copies::scrub_webhooks(txn, &ws, id, &personal).await?;
    copies::scrub_saved(txn, &ws, &personal).await?;
    copies::scrub_idempotent(txn, &ws, &personal).await?;

    // Provider notifications about the customer's orders.
    let order_ids: Vec<String> = orders.iter().map(|o| o.id.to_string()).collect();
    for chunk in order_ids.chunks(500) {
        let notes = provider_event::Entity::find()
            .filter(provider_event::Column::OrderId.is_in(chunk.to_vec()))
            .all(txn)
            .await?;
        for n in notes.iter().filter(|n| personal.found_in(&n.payload)) {
            provider_event::Entity::update_many()
                .col_expr(
                    provider_event::Column::Payload,
                    Expr::val(personal.scrub_stored(&n.payload)),
                )
                .filter(provider_event::Column::Id.eq(n.id.as_str()))
                .exec(txn)
                .await?;
        }
    }

    // Mail to the person at any address they had (a sign-in code is sent to an address, not
    // to a customer), its portal codes and sessions: gone, so links stop working.
    let mut mail = Condition::any().add(email::Column::CustomerId.eq(id.as_str()));
    if !personal.emails.is_empty() {
        mail = mail
            .add(Func::lower(Expr::col(email::Column::ToAddress)).is_in(personal.emails.clone()));
    }
    email::Entity::delete_many()
        .filter(email::Column::WorkspaceId.eq(ws.as_str()))
        .filter(mail)
        .exec(txn)
        .await?;
    if !personal.emails.is_empty() {
        portal_code::Entity::delete_many()
            .filter(portal_code::Column::WorkspaceId.eq(ws.as_str()))
            .filter(
                Func::lower(Expr::col(portal_code::Column::Email)).is_in(personal.emails.clone()),
            )
            .exec(txn)
            .await?;
    }
    customer_session::Entity::delete_many()
        .filter(customer_session::Column::CustomerId.eq(id.as_str()))
        .exec(txn)
        .await?;

    // A merge's snapshot holds both customers as they were: it goes (the erasure's own event
    // already refuses the merge's undo).
    customer_merge::Entity::update_many()
        .col_expr(customer_merge::Column::Snapshot, Expr::val(ERASED_SNAPSHOT))
        .filter(
            Condition::any()
                .add(customer_merge::Column::SourceId.eq(id.as_str()))
                .add(customer_merge::Column::TargetId.eq(id.as_str())),
        )
        .exec(txn)
        .await?;
    erasure_request::Entity::update_many()
        .col_expr(erasure_request::Column::CompletedAt, Expr::val(Some(now)))
        .filter(erasure_request::Column::CustomerId.eq(id.as_str()))
        .filter(erasure_request::Column::CompletedAt.is_null())
        .exec(txn)
        .await?;
    // Audited without the values: the trail says that, when and by whom.
    audit::record(
        txn,
        svc,
        caller,
        Change::new(
            EventType::CustomerErased,
            id.as_str(),
            Some(id),
            Value::Object(Default::default()),
        ),
    )
    .await?;
    Ok(())
}

/// When a request made at `at` is due: one month later (GDPR Art. 12(3)).
pub fn due_after(at: DateTime<Utc>) -> DateTime<Utc> {
    at.checked_add_months(Months::new(1)).unwrap_or(at)
}

fn present_request(
    row: erasure_request::Model,
    customer: Option<&customer::Model>,
    now: DateTime<Utc>,
) -> ErasureRequest {
    ErasureRequest {
        days_left: (row.due_at - now).num_days(),
        object: "erasure_request".into(),
        id: row.id,
        customer_id: row.customer_id,
        customer_label: customer
            .map(|c| {
                c.name
                    .clone()
                    .or_else(|| c.email.clone())
                    .unwrap_or_else(|| c.id.to_string())
            })
            .unwrap_or_default(),
        requested_at: row.requested_at,
        due_at: row.due_at,
        completed_at: row.completed_at,
    }
}

/// The portal's "Erase my data": records the request (once: asking again answers the open
/// one) and audits it; the merchant erases.
pub(crate) async fn request_erasure(
    svc: &Services,
    caller: &Caller,
    id: &CustomerId,
) -> Result<ErasureRequest, DomainError> {
    let txn = svc.write_txn().await?;
    super::lock_row::<crate::db::entities::customer::Entity, _>(&txn, id.as_str()).await?;
    let row = customers::row(&txn, caller, id).await?;
    refuse_if_erased(&row)?;
    if let Some(open) = erasure_request::Entity::find()
        .filter(erasure_request::Column::CustomerId.eq(id.as_str()))
        .filter(erasure_request::Column::CompletedAt.is_null())
        .one(&txn)
        .await?
    {
        txn.rollback().await?;
        return Ok(present_request(open, Some(&row), svc.clock.now()));
    }
    let now = svc.clock.now();
    let request = erasure_request::Model {
        id: ErasureRequestId::generate_at(now),
        workspace_id: caller.workspace_id.clone(),
        customer_id: id.clone(),
        requested_at: now,
        due_at: due_after(now),
        completed_at: None,
    };
    erasure_request::Entity::insert(erasure_request::ActiveModel::from(request.clone()))
        .exec(&txn)
        .await?;
    audit::record(
        &txn,
        svc,
        caller,
        Change::new(
            EventType::CustomerErasureRequested,
            id.as_str(),
            Some(id),
            serde_json::json!({"due_at": {"before": null, "after": request.due_at}}),
        ),
    )
    .await?;
    txn.commit().await?;
    Ok(present_request(request, Some(&row), now))
}

/// The customer's open request, if any.
pub async fn open_request(
    svc: &Services,
    caller: &Caller,
    id: &CustomerId,
) -> Result<Option<ErasureRequest>, DomainError> {
    caller.require(Scope::CustomersRead)?;
    let row = customers::row(&svc.db, caller, id).await?;
    Ok(erasure_request::Entity::find()
        .filter(erasure_request::Column::WorkspaceId.eq(caller.workspace_id.as_str()))
        .filter(erasure_request::Column::CustomerId.eq(id.as_str()))
        .filter(erasure_request::Column::CompletedAt.is_null())
        .one(&svc.db)
        .await?
        .map(|r| present_request(r, Some(&row), svc.clock.now())))
}

/// The workspace's open requests, soonest due first.
pub async fn open_requests(
    svc: &Services,
    caller: &Caller,
) -> Result<Vec<ErasureRequest>, DomainError> {
    caller.require(Scope::CustomersRead)?;
    let now = svc.clock.now();
    let rows = erasure_request::Entity::find()
        .filter(erasure_request::Column::WorkspaceId.eq(caller.workspace_id.as_str()))
        .filter(erasure_request::Column::CompletedAt.is_null())
        .order_by_asc(erasure_request::Column::DueAt)
        .limit(500)
        .all(&svc.db)
        .await?;
    let ids: Vec<String> = rows.iter().map(|r| r.customer_id.to_string()).collect();
    let customers: std::collections::HashMap<CustomerId, customer::Model> = if ids.is_empty() {
        Default::default()
    } else {
        customer::Entity::find()
            .filter(customer::Column::Id.is_in(ids))
            .all(&svc.db)
            .await?
            .into_iter()
            .map(|c| (c.id.clone(), c))
            .collect()
    };
    Ok(rows
        .into_iter()
        .map(|r| {
            let c = customers.get(&r.customer_id);
            present_request(r, c, now)
        })
        .collect())
}
