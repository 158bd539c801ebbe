//! Undoing a merge from its snapshot, within 30 days and while neither customer changed.

use chrono::Duration;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder,
    QuerySelect,
};
use serde_json::json;

use crate::db::entities::{
    ban_identity, customer_currency_total as totals, customer_merge, event, payment_detail,
};
use crate::domain::actor::Caller;
use crate::domain::audit::{self, Change};
use crate::domain::{DomainError, Services, customers};
use crate::types::EventType;
use crate::types::ban::BanIdentityKind;
use crate::types::merge::{CustomerMerge, UNDO_DAYS};
use crate::types::{ErrorCode, MergeId, Scope};

use super::{Snapshot, lock_pair, reassign, write_whole};

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
    let row = crate::domain::find::in_workspace::<customer_merge::Entity, _, _, _>(
        &txn,
        caller.workspace_id.as_str(),
        merge_id.clone(),
    )
    .await?;
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
    if row.snapshot == crate::domain::erasure::ERASED_SNAPSHOT {
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
            Change::new(EventType::CustomerMergeUndone, who.as_str(), Some(who), json!({"merge": {"before": row.id, "after": null}, "other": {"before": other, "after": other}})),
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
