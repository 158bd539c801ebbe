//! Reading bulk actions: one with its progress, the workspace's list, and the report of what
//! each customer got.

use std::collections::HashMap;

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::db::entities::{bulk_action, bulk_action_item as item, customer};
use crate::domain::actor::Caller;
use crate::domain::paging::{self, Limit};
use crate::domain::{DomainError, Services};
use crate::types::segment::{BulkAction, BulkActionItem, BulkItemStatus};
use crate::types::{BulkActionId, CustomerId, Page, Scope};

use super::{find_row, to_bulk_action};

/// A bulk action and its progress.
pub async fn get_bulk_action(
    svc: &Services,
    caller: &Caller,
    id: &BulkActionId,
) -> Result<BulkAction, DomainError> {
    caller.require(Scope::CustomersRead)?;
    to_bulk_action(find_row(svc, caller, id).await?)
}

/// The workspace's bulk actions, newest first.
pub async fn list_bulk_actions(
    svc: &Services,
    caller: &Caller,
    limit: Limit,
    starting_after: Option<BulkActionId>,
) -> Result<Page<BulkAction>, DomainError> {
    caller.require(Scope::CustomersRead)?;
    let q = bulk_action::Entity::find()
        .filter(bulk_action::Column::WorkspaceId.eq(caller.workspace_id.as_str()));
    let after = starting_after.as_ref().map(BulkActionId::as_str);
    let (rows, has_more) =
        paging::newest_first(&svc.db, q, bulk_action::Column::Id, after, limit).await?;
    Ok(Page::new(
        rows.into_iter()
            .map(to_bulk_action)
            .collect::<Result<_, _>>()?,
        has_more,
    ))
}

/// What the action did to each customer, in customer-id order; only one status when given.
pub async fn bulk_action_items(
    svc: &Services,
    caller: &Caller,
    id: &BulkActionId,
    status: Option<BulkItemStatus>,
    limit: Limit,
    starting_after: Option<CustomerId>,
) -> Result<Page<BulkActionItem>, DomainError> {
    caller.require(Scope::CustomersRead)?;
    let row = find_row(svc, caller, id).await?;
    let mut q = item::Entity::find().filter(item::Column::BulkActionId.eq(row.id.as_str()));
    if let Some(s) = status {
        q = q.filter(item::Column::Status.eq(s));
    }
    if let Some(after) = &starting_after {
        q = q.filter(item::Column::CustomerId.gt(after.as_str()));
    }
    let page = limit.get();
    let mut rows = q
        .order_by_asc(item::Column::CustomerId)
        .limit(page + 1)
        .all(&svc.db)
        .await?;
    let has_more = paging::split(&mut rows, limit);
    let labels: HashMap<CustomerId, Option<String>> = customer::Entity::find()
        .filter(customer::Column::WorkspaceId.eq(caller.workspace_id.as_str()))
        .filter(customer::Column::Id.is_in(rows.iter().map(|r| r.customer_id.as_str())))
        .all(&svc.db)
        .await?
        .into_iter()
        .map(|c| (c.id, c.email.or(c.name)))
        .collect();
    Ok(Page::new(
        rows.into_iter()
            .map(|r| BulkActionItem {
                customer_label: labels.get(&r.customer_id).cloned().flatten(),
                customer_id: r.customer_id,
                status: r.status,
                error_code: r.error_code,
                message: r.message,
                done_at: r.done_at,
            })
            .collect(),
        has_more,
    ))
}
