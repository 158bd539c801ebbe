//! Merging duplicate customers. A preview lists exactly what moves (orders, refunds, disputes,
//! subscriptions, invoices, entitlements, payment details, ban identities), which field and
//! metadata values the survivor ends with, everything that blocks the merge (all at once), and
//! the lifetime value afterwards. The merge moves it all in one transaction, adds the merged
//! customer's figures to the survivor's, and leaves the merged customer as a tombstone whose
//! `merged_into` names the survivor. It keeps a snapshot of both customers: for 30 days, and as
//! long as neither changed since, undo puts everything back exactly as it was.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::Duration;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, QuerySelect,
};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::db::entities::{
    ban_identity, charge_attempt, customer, customer_currency_total as totals, customer_merge,
    customer_session, dispute, entitlement, event, invoice, order, payment_detail, product, refund,
    subscription,
};
use crate::types::activity::TargetKind;
use crate::types::ban::BanIdentityKind;
use crate::types::customer::Metadata;
use crate::types::merge::{
    CustomerMerge, MergeBlocker, MergeField, MergeMoves, MergePreview, MergeRequest, UNDO_DAYS,
};
use crate::types::payment_detail::PaymentDetailStatus;
use crate::types::{CustomerId, ErrorCode, MergeId, Scope};

use super::actor::Caller;
use super::audit::{self, Change};
use super::{DomainError, Services, customers, lock_row, stats, subscriptions, workspaces};

/// What a merge moved and what it changed, to put back on undo.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Snapshot {
    source: customer::Model,
    target: customer::Model,
    source_totals: Vec<totals::Model>,
    target_totals: Vec<totals::Model>,
    /// Table name to the ids moved from the source to the target.
    moved: BTreeMap<String, Vec<String>>,
    /// The source's payment details that moved to the target.
    moved_details: Vec<String>,
    /// The source's payment details the target also had: deleted, to insert again.
    dropped_details: Vec<payment_detail::Model>,
    /// The target's payment details blocked because the source's twin was: as they were.
    changed_details: Vec<payment_detail::Model>,
    /// Bans with a `customer` identity naming the source, switched to the target.
    bans: Vec<String>,
}

/// The tables whose rows belong to a customer through `customer_id`, and move.
const MOVING: [&str; 7] = [
    "orders",
    "refunds",
    "disputes",
    "subscriptions",
    "invoices",
    "entitlements",
    "charge_attempts",
];

/// Ids of `table`'s rows of customer `id`.
async fn ids_of<C: ConnectionTrait>(
    conn: &C,
    table: &str,
    id: &CustomerId,
) -> Result<Vec<String>, DomainError> {
    macro_rules! ids {
        ($e:ident) => {
            $e::Entity::find()
                .select_only()
                .column($e::Column::Id)
                .filter($e::Column::CustomerId.eq(id.as_str()))
                .order_by_asc($e::Column::Id)
                .into_tuple::<String>()
                .all(conn)
                .await?
        };
    }
    Ok(match table {
        "orders" => ids!(order),
        "refunds" => ids!(refund),
        "disputes" => ids!(dispute),
        "subscriptions" => ids!(subscription),
        "invoices" => ids!(invoice),
        "entitlements" => ids!(entitlement),
        "charge_attempts" => ids!(charge_attempt),
        _ => return Err(DomainError::internal(format!("no moving table {table}"))),
    })
}

/// Sets `customer_id` of `table`'s rows `ids` to `to`.
async fn reassign<C: ConnectionTrait>(
    conn: &C,
    table: &str,
    ids: &[String],
    to: &CustomerId,
) -> Result<(), DomainError> {
    macro_rules! set {
        ($e:ident, $chunk:expr) => {
            $e::Entity::update_many()
                .col_expr($e::Column::CustomerId, Expr::val(to.as_str()))
                .filter($e::Column::Id.is_in($chunk.to_vec()))
                .exec(conn)
                .await?
        };
    }
    for chunk in ids.chunks(500) {
        match table {
            "orders" => set!(order, chunk),
            "refunds" => set!(refund, chunk),
            "disputes" => set!(dispute, chunk),
            "subscriptions" => set!(subscription, chunk),
            "invoices" => set!(invoice, chunk),
            "entitlements" => set!(entitlement, chunk),
            "charge_attempts" => set!(charge_attempt, chunk),
            _ => return Err(DomainError::internal(format!("no moving table {table}"))),
        };
    }
    Ok(())
}

/// Everything a merge of `source` into `target` involves, read on `conn`.
struct Plan {
    source: customer::Model,
    target: customer::Model,
    moved: BTreeMap<String, Vec<String>>,
    source_details: Vec<payment_detail::Model>,
    target_details: Vec<payment_detail::Model>,
    bans: Vec<String>,
    fields: Vec<MergeField>,
    metadata: Metadata,
    blockers: Vec<MergeBlocker>,
}

impl Plan {
    /// The source's details the target also has (same kind and value): `(source's, target's)`.
    fn shared_details(&self) -> Vec<(&payment_detail::Model, &payment_detail::Model)> {
        self.source_details
            .iter()
            .filter_map(|s| {
                self.target_details
                    .iter()
                    .find(|t| t.kind == s.kind && t.value == s.value)
                    .map(|t| (s, t))
            })
            .collect()
    }

    fn moves(&self) -> MergeMoves {
        let n = |t: &str| self.moved.get(t).map_or(0, |v| v.len() as i64);
        MergeMoves {
            orders: n("orders"),
            refunds: n("refunds"),
            disputes: n("disputes"),
            subscriptions: n("subscriptions"),
            invoices: n("invoices"),
            entitlements: n("entitlements"),
            payment_details: self.source_details.len() as i64,
            payment_details_shared: self.shared_details().len() as i64,
            ban_identities: self.bans.len() as i64,
        }
    }
}

fn blocker(code: &str, message: String) -> MergeBlocker {
    MergeBlocker {
        code: code.to_owned(),
        message,
    }
}

async fn plan<C: ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    id: &CustomerId,
    into: &CustomerId,
) -> Result<Plan, DomainError> {
    if id == into {
        return Err(DomainError::unprocessable(
            "into",
            "is the customer itself: choose the customer to merge it into",
        ));
    }
    let source = customers::row(conn, caller, id).await?;
    let target = customers::row(conn, caller, into).await?;
    let mut blockers = Vec::new();
    for c in [&source, &target] {
        if let Some(survivor) = &c.merged_into {
            blockers.push(blocker(
                "already_merged",
                format!("{} was already merged into {survivor}", c.id),
            ));
        }
        if c.erased_at.is_some() {
            blockers.push(blocker(
                "erased",
                format!("{} was erased: an erased customer cannot be merged", c.id),
            ));
        }
    }
    if let (Some(a), Some(b)) = (&source.external_id, &target.external_id)
        && a != b
    {
        blockers.push(blocker(
            "external_ids_differ",
            format!(
                "they have different external ids ({a} and {b}): clear the one that is wrong first"
            ),
        ));
    }
    let live = |subs: &[subscription::Model]| -> BTreeSet<crate::types::ProductId> {
        subs.iter()
            .filter(|s| subscriptions::is_live(s.status))
            .map(|s| s.product_id.clone())
            .collect()
    };
    let subs_of = |c: &CustomerId| {
        subscription::Entity::find()
            .filter(subscription::Column::CustomerId.eq(c.as_str()))
            .all(conn)
    };
    let (source_subs, target_subs) = (subs_of(id).await?, subs_of(into).await?);
    let both: Vec<_> = live(&source_subs)
        .intersection(&live(&target_subs))
        .cloned()
        .collect();
    if !both.is_empty() {
        let names: Vec<String> = product::Entity::find()
            .filter(product::Column::Id.is_in(both.iter().map(|p| p.as_str().to_owned())))
            .all(conn)
            .await?
            .into_iter()
            .map(|p| p.name)
            .collect();
        blockers.push(blocker(
            "same_live_subscription",
            format!(
                "both have a live subscription to {}: cancel one of them first",
                names.join(", ")
            ),
        ));
    }

    let mut moved = BTreeMap::new();
    for table in MOVING {
        moved.insert(table.to_owned(), ids_of(conn, table, id).await?);
    }
    let details_of = |c: &CustomerId| {
        payment_detail::Entity::find()
            .filter(payment_detail::Column::CustomerId.eq(c.as_str()))
            .order_by_asc(payment_detail::Column::Id)
            .all(conn)
    };
    let (source_details, target_details) = (details_of(id).await?, details_of(into).await?);
    let bans: Vec<String> = ban_identity::Entity::find()
        .select_only()
        .column(ban_identity::Column::BanId)
        .filter(ban_identity::Column::WorkspaceId.eq(caller.workspace_id.as_str()))
        .filter(ban_identity::Column::Kind.eq(BanIdentityKind::Customer))
        .filter(ban_identity::Column::Value.eq(id.as_str()))
        .into_tuple()
        .all(conn)
        .await?;

    let mut fields = Vec::new();
    let pairs: [(&str, &Option<String>, &Option<String>); 8] = [
        ("external_id", &target.external_id, &source.external_id),
        ("email", &target.email, &source.email),
        ("name", &target.name, &source.name),
        ("phone", &target.phone, &source.phone),
        ("tax_id", &target.tax_id, &source.tax_id),
        ("country", &target.country, &source.country),
        ("username", &target.username, &source.username),
        ("profile_url", &target.profile_url, &source.profile_url),
    ];
    for (field, survivor, merged) in pairs {
        if merged.is_some() {
            fields.push(MergeField {
                field: field.to_owned(),
                survivor: survivor.clone(),
                merged: merged.clone(),
                result: survivor.clone().or_else(|| merged.clone()),
                conflict: survivor.is_some() && survivor != merged,
            });
        }
    }
    let parse =
        |c: &customer::Model| -> Metadata { serde_json::from_str(&c.metadata).unwrap_or_default() };
    let (source_meta, mut metadata) = (parse(&source), parse(&target));
    for (k, v) in &source_meta {
        let survivor = metadata.get(k).cloned();
        fields.push(MergeField {
            field: format!("metadata.{k}"),
            conflict: survivor.as_ref().is_some_and(|s| s != v),
            result: Some(survivor.clone().unwrap_or_else(|| v.clone())),
            survivor,
            merged: Some(v.clone()),
        });
        metadata.entry(k.clone()).or_insert_with(|| v.clone());
    }
    if metadata.len() > crate::types::customer::METADATA_MAX_PAIRS {
        blockers.push(blocker(
            "too_much_metadata",
            format!(
                "together they have {} metadata keys, more than the {} a customer may hold: remove some first",
                metadata.len(),
                crate::types::customer::METADATA_MAX_PAIRS
            ),
        ));
    }
    Ok(Plan {
        source,
        target,
        moved,
        source_details,
        target_details,
        bans,
        fields,
        metadata,
        blockers,
    })
}

/// What merging customer `id` into `input.into` would do; changes nothing.
pub async fn preview_merge(
    svc: &Services,
    caller: &Caller,
    id: &CustomerId,
    input: &MergeRequest,
) -> Result<MergePreview, DomainError> {
    caller.require(Scope::CustomersMerge)?;
    let p = plan(&svc.db, caller, id, &input.into).await?;
    let currency = workspaces::get_workspace(&svc.db, &caller.workspace_id)
        .await?
        .default_currency;
    Ok(MergePreview {
        object: "merge_preview".into(),
        customer_id: id.clone(),
        into: input.into.clone(),
        moves: p.moves(),
        lifetime_value_after: p.source.ltv_amount + p.target.ltv_amount,
        currency,
        fields: p.fields,
        blockers: p.blockers,
    })
}

fn blocked(blockers: &[MergeBlocker]) -> DomainError {
    DomainError::Conflict {
        code: ErrorCode::MergeBlocked,
        message: format!(
            "the customers cannot be merged: {}",
            blockers
                .iter()
                .map(|b| b.message.as_str())
                .collect::<Vec<_>>()
                .join("; ")
        ),
    }
}

async fn totals_of<C: ConnectionTrait>(
    conn: &C,
    id: &CustomerId,
) -> Result<Vec<totals::Model>, DomainError> {
    Ok(totals::Entity::find()
        .filter(totals::Column::CustomerId.eq(id.as_str()))
        .order_by_asc(totals::Column::Currency)
        .all(conn)
        .await?)
}

/// Writes `row` whole (every column), as it is.
async fn write_whole<C: ConnectionTrait>(
    conn: &C,
    row: customer::Model,
) -> Result<(), DomainError> {
    row.into_active_model().reset_all().update(conn).await?;
    Ok(())
}

/// Locks both customers, in id order (two merges of the same pair cannot deadlock).
async fn lock_pair<C: ConnectionTrait>(
    conn: &C,
    a: &CustomerId,
    b: &CustomerId,
) -> Result<(), DomainError> {
    let (first, second) = if a < b { (a, b) } else { (b, a) };
    lock_row(conn, "customers", first.as_str()).await?;
    lock_row(conn, "customers", second.as_str()).await
}

/// Merges customer `id` into `input.into` (see the module's documentation); refused, with
/// every blocker named, when the preview has any.
pub async fn merge(
    svc: &Services,
    caller: &Caller,
    id: &CustomerId,
    input: &MergeRequest,
) -> Result<CustomerMerge, DomainError> {
    caller.require(Scope::CustomersMerge)?;
    let into = &input.into;
    let now = svc.clock.now();
    let txn = svc.write_txn().await?;
    lock_pair(&txn, id, into).await?;
    let p = plan(&txn, caller, id, into).await?;
    if !p.blockers.is_empty() {
        return Err(blocked(&p.blockers));
    }
    let mut snapshot = Snapshot {
        source: p.source.clone(),
        target: p.target.clone(),
        source_totals: totals_of(&txn, id).await?,
        target_totals: totals_of(&txn, into).await?,
        moved: p.moved.clone(),
        moved_details: Vec::new(),
        dropped_details: Vec::new(),
        changed_details: Vec::new(),
        bans: p.bans.clone(),
    };
    for (table, ids) in &p.moved {
        reassign(&txn, table, ids, into).await?;
    }
    // Payment details: one the survivor also has is kept once, blocked if either was.
    let shared: HashMap<String, payment_detail::Model> = p
        .shared_details()
        .into_iter()
        .map(|(s, t)| (s.id.to_string(), t.clone()))
        .collect();
    for d in &p.source_details {
        match shared.get(d.id.as_str()) {
            Some(twin) => {
                payment_detail::Entity::delete_by_id(d.id.clone())
                    .exec(&txn)
                    .await?;
                snapshot.dropped_details.push(d.clone());
                if d.status == PaymentDetailStatus::Blocked
                    && twin.status != PaymentDetailStatus::Blocked
                {
                    payment_detail::Entity::update_many()
                        .col_expr(
                            payment_detail::Column::Status,
                            Expr::val(PaymentDetailStatus::Blocked.as_str()),
                        )
                        .col_expr(payment_detail::Column::BlockedAt, Expr::val(d.blocked_at))
                        .filter(payment_detail::Column::Id.eq(twin.id.as_str()))
                        .exec(&txn)
                        .await?;
                    snapshot.changed_details.push(twin.clone());
                }
            }
            None => {
                snapshot.moved_details.push(d.id.to_string());
                payment_detail::Entity::update_many()
                    .col_expr(payment_detail::Column::CustomerId, Expr::val(into.as_str()))
                    .filter(payment_detail::Column::Id.eq(d.id.as_str()))
                    .exec(&txn)
                    .await?;
            }
        }
    }
    if !p.bans.is_empty() {
        ban_identity::Entity::update_many()
            .col_expr(ban_identity::Column::Value, Expr::val(into.as_str()))
            .filter(ban_identity::Column::Kind.eq(BanIdentityKind::Customer))
            .filter(ban_identity::Column::Value.eq(id.as_str()))
            .filter(ban_identity::Column::BanId.is_in(p.bans.clone()))
            .exec(&txn)
            .await?;
    }
    // The figures: the survivor's plus the merged customer's, per currency too.
    for t in &snapshot.source_totals {
        stats::apply(
            &txn,
            &caller.workspace_id,
            into,
            stats::Delta {
                currency: t.currency.clone(),
                paid: t.paid_amount,
                refunded: t.refunded_amount,
                charged_back: t.charged_back_amount,
                ..Default::default()
            },
        )
        .await?;
    }
    totals::Entity::delete_many()
        .filter(totals::Column::CustomerId.eq(id.as_str()))
        .exec(&txn)
        .await?;
    // The merged customer's portal sessions end; its links name a tombstone.
    customer_session::Entity::delete_many()
        .filter(customer_session::Column::CustomerId.eq(id.as_str()))
        .exec(&txn)
        .await?;

    let (s, t) = (&p.source, &p.target);
    let mut tombstone = s.clone();
    tombstone.merged_into = Some(into.clone());
    tombstone.merged_at = Some(now);
    tombstone.archived_at = Some(s.archived_at.unwrap_or(now));
    tombstone.external_id = None;
    tombstone.ltv_amount = 0;
    tombstone.order_count = 0;
    tombstone.total_payments = 0;
    tombstone.refunds_count = 0;
    tombstone.refunded_amount = 0;
    tombstone.disputes_count = 0;
    tombstone.last_order_at = None;
    tombstone.last_order_key = 0;
    tombstone.version = s.version + 1;
    tombstone.updated_at = now;
    // First: it frees the external id the survivor may take.
    write_whole(&txn, tombstone).await?;

    let mut survivor = t.clone();
    let fill = |mine: &Option<String>, theirs: &Option<String>| mine.clone().or(theirs.clone());
    survivor.external_id = fill(&t.external_id, &s.external_id);
    survivor.email = fill(&t.email, &s.email);
    survivor.name = fill(&t.name, &s.name);
    survivor.phone = fill(&t.phone, &s.phone);
    survivor.tax_id = fill(&t.tax_id, &s.tax_id);
    survivor.country = fill(&t.country, &s.country);
    survivor.username = fill(&t.username, &s.username);
    survivor.profile_url = fill(&t.profile_url, &s.profile_url);
    survivor.metadata = serde_json::to_string(&p.metadata).unwrap_or_else(|_| "{}".into());
    survivor.search_text = customers::search_text(
        survivor.email.as_deref(),
        survivor.name.as_deref(),
        survivor.external_id.as_deref(),
    );
    survivor.first_seen_at = Ord::min(t.first_seen_at, s.first_seen_at);
    survivor.ltv_amount = t.ltv_amount + s.ltv_amount;
    survivor.order_count = t.order_count + s.order_count;
    survivor.total_payments = t.total_payments + s.total_payments;
    survivor.refunds_count = t.refunds_count + s.refunds_count;
    survivor.refunded_amount = t.refunded_amount + s.refunded_amount;
    survivor.disputes_count = t.disputes_count + s.disputes_count;
    survivor.last_order_at = Ord::max(t.last_order_at, s.last_order_at);
    survivor.last_order_key = Ord::max(t.last_order_key, s.last_order_key);
    survivor.banned_until = Ord::max(t.banned_until, s.banned_until);
    survivor.version = t.version + 1;
    survivor.updated_at = now;
    write_whole(&txn, survivor).await?;
    stats::refresh_subscriptions(&txn, &caller.workspace_id, id).await?;
    stats::refresh_subscriptions(&txn, &caller.workspace_id, into).await?;

    let after = customers::row(&txn, caller, into).await?;
    let merge_id = MergeId::generate_at(now);
    let source_event = audit::record(
        &txn,
        svc,
        caller,
        Change {
            action: "customer.merged",
            target_type: TargetKind::Customer,
            target_id: id.as_str(),
            customer_id: Some(id),
            changes: json!({"merged_into": {"before": null, "after": into}}),
        },
    )
    .await?;
    let mut changes = audit::diff(
        Some(&customers::snapshot_of(t)?),
        Some(&customers::snapshot_of(&after)?),
    );
    if let Some(map) = changes.as_object_mut() {
        map.insert("merged_from".into(), json!({"before": null, "after": id}));
    }
    let target_event = audit::record(
        &txn,
        svc,
        caller,
        Change {
            action: "customer.merged_in",
            target_type: TargetKind::Customer,
            target_id: into.as_str(),
            customer_id: Some(into),
            changes,
        },
    )
    .await?;
    let last_event_id = Ord::max(source_event, target_event);
    let snapshot_text = serde_json::to_string(&snapshot)
        .map_err(|e| DomainError::internal(format!("merge snapshot: {e}")))?;
    customer_merge::ActiveModel::from(customer_merge::Model {
        id: merge_id.clone(),
        workspace_id: caller.workspace_id.clone(),
        source_id: id.clone(),
        target_id: into.clone(),
        snapshot: snapshot_text,
        last_event_id: last_event_id.to_string(),
        actor_type: caller.actor.kind(),
        actor_id: caller.actor.id().map(str::to_owned),
        created_at: now,
        undone_at: None,
    })
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(CustomerMerge {
        object: "merge".into(),
        id: merge_id,
        customer_id: id.clone(),
        into: into.clone(),
        created_at: now,
        undo_until: now + Duration::days(UNDO_DAYS),
        undone_at: None,
        survivor: customers::present(after)?,
    })
}

fn not_undoable(message: String) -> DomainError {
    DomainError::Conflict {
        code: ErrorCode::MergeNotUndoable,
        message,
    }
}

/// Undoes a merge: both customers exactly as they were before it, and everything that moved
/// back. Refused after 30 days, or when either customer changed since (naming what changed).
pub async fn undo_merge(
    svc: &Services,
    caller: &Caller,
    merge_id: &MergeId,
) -> Result<CustomerMerge, DomainError> {
    caller.require(Scope::CustomersMerge)?;
    let now = svc.clock.now();
    let txn = svc.write_txn().await?;
    let row = customer_merge::Entity::find_by_id(merge_id.clone())
        .filter(customer_merge::Column::WorkspaceId.eq(caller.workspace_id.as_str()))
        .one(&txn)
        .await?
        .ok_or(DomainError::NotFound { what: "merge" })?;
    if let Some(at) = row.undone_at {
        return Err(not_undoable(format!(
            "the merge was already undone at {}",
            at.format("%Y-%m-%d %H:%M UTC")
        )));
    }
    let until = row.created_at + Duration::days(UNDO_DAYS);
    if now > until {
        return Err(not_undoable(format!(
            "a merge can be undone for {UNDO_DAYS} days; this one's ended on {}",
            until.format("%Y-%m-%d")
        )));
    }
    let (source, target) = (row.source_id.clone(), row.target_id.clone());
    lock_pair(&txn, &source, &target).await?;
    let since: Vec<event::Model> = event::Entity::find()
        .filter(event::Column::WorkspaceId.eq(caller.workspace_id.as_str()))
        .filter(
            event::Column::CustomerId
                .is_in([source.as_str().to_owned(), target.as_str().to_owned()]),
        )
        .filter(event::Column::Id.gt(row.last_event_id.as_str()))
        .order_by_asc(event::Column::Id)
        .limit(5)
        .all(&txn)
        .await?;
    if !since.is_empty() {
        let what: Vec<String> = since
            .iter()
            .map(|e| {
                format!(
                    "{} on {} at {}",
                    e.action,
                    e.target_id,
                    e.created_at.format("%Y-%m-%d %H:%M UTC")
                )
            })
            .collect();
        return Err(not_undoable(format!(
            "the customers changed since the merge ({}); undoing it would lose that",
            what.join(", ")
        )));
    }
    if row.snapshot == super::erasure::ERASED_SNAPSHOT {
        return Err(not_undoable(
            "one of the customers was erased since: the merge's record went with them".into(),
        ));
    }
    let snap: Snapshot = serde_json::from_str(&row.snapshot)
        .map_err(|e| DomainError::internal(format!("merge snapshot {}: {e}", row.id)))?;

    // The survivor first: it gives back the external id the merged customer had.
    write_whole(&txn, snap.target.clone()).await?;
    write_whole(&txn, snap.source.clone()).await?;
    for (table, ids) in &snap.moved {
        reassign(&txn, table, ids, &source).await?;
    }
    for d in &snap.changed_details {
        d.clone()
            .into_active_model()
            .reset_all()
            .update(&txn)
            .await?;
    }
    // The source's own details come back from the survivor; the dropped twins return.
    for chunk in snap.moved_details.chunks(500) {
        payment_detail::Entity::update_many()
            .col_expr(
                payment_detail::Column::CustomerId,
                Expr::val(source.as_str()),
            )
            .filter(payment_detail::Column::Id.is_in(chunk.to_vec()))
            .exec(&txn)
            .await?;
    }
    for d in &snap.dropped_details {
        payment_detail::ActiveModel::from(d.clone())
            .reset_all()
            .insert(&txn)
            .await?;
    }
    if !snap.bans.is_empty() {
        ban_identity::Entity::update_many()
            .col_expr(ban_identity::Column::Value, Expr::val(source.as_str()))
            .filter(ban_identity::Column::Kind.eq(BanIdentityKind::Customer))
            .filter(ban_identity::Column::Value.eq(target.as_str()))
            .filter(ban_identity::Column::BanId.is_in(snap.bans.clone()))
            .exec(&txn)
            .await?;
    }
    totals::Entity::delete_many()
        .filter(totals::Column::CustomerId.is_in([source.to_string(), target.to_string()]))
        .exec(&txn)
        .await?;
    for t in snap.source_totals.iter().chain(&snap.target_totals) {
        totals::ActiveModel::from(t.clone())
            .reset_all()
            .insert(&txn)
            .await?;
    }
    // Claimed by the statement, not by the read above: of two undos at once, one does it.
    let claimed = customer_merge::Entity::update_many()
        .col_expr(customer_merge::Column::UndoneAt, Expr::val(Some(now)))
        .filter(customer_merge::Column::Id.eq(row.id.as_str()))
        .filter(customer_merge::Column::UndoneAt.is_null())
        .exec(&txn)
        .await?;
    if claimed.rows_affected != 1 {
        return Err(not_undoable("the merge was undone meanwhile".into()));
    }
    for (who, other) in [(&source, &target), (&target, &source)] {
        audit::record(
            &txn,
            svc,
            caller,
            Change {
                action: "customer.merge_undone",
                target_type: TargetKind::Customer,
                target_id: who.as_str(),
                customer_id: Some(who),
                changes: json!({"merge": {"before": row.id, "after": null}, "other": {"before": other, "after": other}}),
            },
        )
        .await?;
    }
    let survivor = customers::row(&txn, caller, &target).await?;
    txn.commit().await?;
    Ok(CustomerMerge {
        object: "merge".into(),
        id: row.id,
        customer_id: source,
        into: target,
        created_at: row.created_at,
        undo_until: until,
        undone_at: Some(now),
        survivor: customers::present(survivor)?,
    })
}

/// One merge of the caller's workspace.
pub async fn get_merge(
    svc: &Services,
    caller: &Caller,
    merge_id: &MergeId,
) -> Result<CustomerMerge, DomainError> {
    caller.require(Scope::CustomersRead)?;
    let row = customer_merge::Entity::find_by_id(merge_id.clone())
        .filter(customer_merge::Column::WorkspaceId.eq(caller.workspace_id.as_str()))
        .one(&svc.db)
        .await?
        .ok_or(DomainError::NotFound { what: "merge" })?;
    let survivor = customers::row(&svc.db, caller, &row.target_id).await?;
    Ok(CustomerMerge {
        object: "merge".into(),
        undo_until: row.created_at + Duration::days(UNDO_DAYS),
        id: row.id,
        customer_id: row.source_id,
        into: row.target_id,
        created_at: row.created_at,
        undone_at: row.undone_at,
        survivor: customers::present(survivor)?,
    })
}

/// The customer's latest merge that can still be undone (as the merged one or the survivor).
pub async fn undoable_merge_of(
    svc: &Services,
    caller: &Caller,
    id: &CustomerId,
) -> Result<Option<CustomerMerge>, DomainError> {
    caller.require(Scope::CustomersRead)?;
    let since = svc.clock.now() - Duration::days(UNDO_DAYS);
    let row = customer_merge::Entity::find()
        .filter(customer_merge::Column::WorkspaceId.eq(caller.workspace_id.as_str()))
        .filter(
            sea_orm::Condition::any()
                .add(customer_merge::Column::SourceId.eq(id.as_str()))
                .add(customer_merge::Column::TargetId.eq(id.as_str())),
        )
        .filter(customer_merge::Column::UndoneAt.is_null())
        .filter(customer_merge::Column::CreatedAt.gt(since))
        .order_by_desc(customer_merge::Column::Id)
        .one(&svc.db)
        .await?;
    match row {
        Some(r) => Ok(Some(get_merge(svc, caller, &r.id).await?)),
        None => Ok(None),
    }
}
