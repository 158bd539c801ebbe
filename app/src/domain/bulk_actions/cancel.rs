//! Canceling a running bulk action: the job stops it between two customers.

use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;

use crate::db::entities::bulk_action;
use crate::domain::actor::Caller;
use crate::domain::{DomainError, Services, audit};
use crate::types::EventType;
use crate::types::segment::{BulkAction, BulkActionStatus};
use crate::types::{BulkActionId, ErrorCode};

use super::{find_row, scope_of, to_bulk_action};

/// Asks a running action to stop; the customers it has not reached are skipped.
pub async fn cancel_bulk_action(
    svc: &Services,
    caller: &Caller,
    id: &BulkActionId,
) -> Result<BulkAction, DomainError> {
    let row = find_row(svc, caller, id).await?;
    caller.require(scope_of(row.kind))?;
    let asked = bulk_action::Entity::update_many()
        .col_expr(bulk_action::Column::CancelRequested, Expr::val(true))
        .filter(bulk_action::Column::Id.eq(row.id.as_str()))
        .filter(bulk_action::Column::Status.eq(BulkActionStatus::Running))
        .exec(&svc.db)
        .await?;
    if asked.rows_affected == 0 {
        return Err(DomainError::Conflict {
            code: ErrorCode::BulkActionFinished,
            message: format!("the bulk action has already {}", row.status),
        });
    }
    audit::record_workspace(
        &svc.db,
        svc,
        caller,
        EventType::BulkActionCancelRequested,
        json!({"bulk_action_id": row.id}),
    )
    .await?;
    to_bulk_action(find_row(svc, caller, id).await?)
}
