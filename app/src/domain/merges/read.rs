//! Reading merges: one by id, and a customer's latest one that can still be undone.

use chrono::Duration;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use crate::db::entities::customer_merge;
use crate::domain::actor::Caller;
use crate::domain::{DomainError, Services, customers};
use crate::types::merge::{CustomerMerge, UNDO_DAYS};
use crate::types::{CustomerId, MergeId, Scope};

/// One merge of the caller's workspace.
pub async fn get_merge(
    svc: &Services,
    caller: &Caller,
    merge_id: &MergeId,
) -> Result<CustomerMerge, DomainError> {
    caller.require(Scope::CustomersRead)?;
    let row = crate::domain::find::in_workspace::<customer_merge::Entity, _, _, _>(
        &svc.db,
        caller.workspace_id.as_str(),
        merge_id.clone(),
    )
    .await?;
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
