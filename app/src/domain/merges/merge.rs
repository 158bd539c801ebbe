//! The merge itself: everything moved in one transaction, the figures added up, the merged
//! customer left as a tombstone, and a snapshot kept for undo.

use std::collections::HashMap;

use chrono::Duration;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
};
use serde_json::json;

use crate::db::entities::{
    ban_identity, customer_currency_total as totals, customer_merge, customer_session,
    payment_detail,
};
use crate::domain::actor::Caller;
use crate::domain::audit::{self, Change};
use crate::domain::{DomainError, Services, customers, stats};
use crate::types::EventType;
use crate::types::ban::BanIdentityKind;
use crate::types::merge::{CustomerMerge, MergeBlocker, MergeRequest, UNDO_DAYS};
use crate::types::payment_detail::PaymentDetailStatus;
use crate::types::{CustomerId, ErrorCode, MergeId, Scope};

use super::preview::plan;
use super::{Snapshot, lock_pair, reassign, write_whole};

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
                currency: t.currency,
                paid: t.paid_amount,
                refunded: t.refunded_amount,
                charged_back: t.charged_back_amount,
                ..stats::Delta::none(t.currency)
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
        Change::new(
            EventType::CustomerMerged,
            id.as_str(),
            Some(id),
            json!({"merged_into": {"before": null, "after": into}}),
        ),
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
        Change::new(
            EventType::CustomerMergedIn,
            into.as_str(),
            Some(into),
            changes,
        ),
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
