//! Previewing and starting a bulk action: its parameters checked against its kind, its
//! customers resolved and fixed (one pending item each) in one transaction.

use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde_json::json;

use crate::db::entities::{bulk_action, bulk_action_item as item, customer, segment};
use crate::domain::actor::{Actor, Caller};
use crate::domain::customer_list::{self, CustomerQuery};
use crate::domain::{
    DomainError, Services, audit, products, segments, stored_json, to_json, validate,
};
use crate::types::EventType;
use crate::types::customer::Metadata;
use crate::types::segment::{
    BulkAction, BulkActionCreate, BulkActionKind, BulkActionStatus, BulkItemStatus, BulkPreview,
};
use crate::types::{BulkActionId, CustomerId, ErrorCode, SegmentId};

use super::standing::StoredActor;
use super::{MOST_CUSTOMERS, MOST_IDS, Params, scope_of, to_bulk_action};

/// Refuses a field the action does not take.
fn not_for(field: &str, given: bool, kind: BulkActionKind) -> Result<(), DomainError> {
    if given {
        return Err(DomainError::unprocessable(
            field,
            format!("is not taken by {kind}"),
        ));
    }
    Ok(())
}

/// Checks the action's parameters against its kind, naming the first bad field.
async fn check_params(
    svc: &Services,
    caller: &Caller,
    input: &BulkActionCreate,
) -> Result<Params, DomainError> {
    let kind = input.action;
    let metadata = matches!(
        kind,
        BulkActionKind::SetMetadata | BulkActionKind::RemoveMetadata
    );
    not_for(
        "metadata_key",
        !metadata && input.metadata_key.is_some(),
        kind,
    )?;
    not_for(
        "metadata_value",
        kind != BulkActionKind::SetMetadata && input.metadata_value.is_some(),
        kind,
    )?;
    let grant = kind == BulkActionKind::GrantProduct;
    not_for("product_id", !grant && input.product_id.is_some(), kind)?;
    not_for("expires_at", !grant && input.expires_at.is_some(), kind)?;
    let mut p = Params::default();
    if metadata {
        let key = input.metadata_key.as_deref().ok_or_else(|| {
            DomainError::unprocessable("metadata_key", "is required for this action")
        })?;
        let value = match kind {
            BulkActionKind::SetMetadata => input.metadata_value.clone().ok_or_else(|| {
                DomainError::unprocessable("metadata_value", "is required for set_metadata")
            })?,
            _ => String::new(),
        };
        // The same rules as a customer's metadata, each named by its field here.
        let one: Metadata = [(key.to_owned(), value.clone())].into_iter().collect();
        validate::metadata(&one).map_err(|e| match e {
            DomainError::Invalid { message, .. } if message.starts_with("values") => {
                DomainError::invalid("metadata_value", message)
            }
            DomainError::Invalid { message, .. } => DomainError::invalid("metadata_key", message),
            other => other,
        })?;
        p.metadata_key = Some(key.to_owned());
        p.metadata_value = (kind == BulkActionKind::SetMetadata).then_some(value);
    }
    if grant {
        let id = input.product_id.clone().ok_or_else(|| {
            DomainError::unprocessable("product_id", "is required for grant_product")
        })?;
        let product = products::find_row(&svc.db, caller, &id)
            .await
            .map_err(|e| match e {
                DomainError::NotFound { .. } => {
                    DomainError::unprocessable("product_id", "no such product in this workspace")
                }
                other => other,
            })?;
        if stored_json::<Vec<crate::types::product::Benefit>>(&product.benefits)?.is_empty() {
            return Err(DomainError::Conflict {
                code: ErrorCode::ProductGrantsNothing,
                message: "the product grants no benefits".into(),
            });
        }
        if let Some(at) = input.expires_at
            && at <= svc.clock.now()
        {
            return Err(DomainError::unprocessable(
                "expires_at",
                "must be in the future",
            ));
        }
        p.product_id = Some(id);
        p.expires_at = input.expires_at;
    }
    Ok(p)
}

/// Which customers: listed ids, or a query (a segment's or the given filters).
enum Targets {
    Ids(Vec<CustomerId>),
    Query(Box<CustomerQuery>, Option<SegmentId>),
}

async fn targets(
    svc: &Services,
    caller: &Caller,
    input: &BulkActionCreate,
) -> Result<Targets, DomainError> {
    let given = usize::from(input.customer_ids.is_some())
        + usize::from(input.segment_id.is_some())
        + usize::from(input.filters.is_some());
    if given != 1 {
        return Err(DomainError::unprocessable(
            "customer_ids",
            "give exactly one of customer_ids, segment_id or filters",
        ));
    }
    if let Some(ids) = &input.customer_ids {
        if ids.is_empty() || ids.len() > MOST_IDS {
            return Err(DomainError::invalid(
                "customer_ids",
                format!("must list 1 to {MOST_IDS} customers"),
            ));
        }
        let mut ids = ids.clone();
        ids.sort();
        ids.dedup();
        return Ok(Targets::Ids(ids));
    }
    if let Some(id) = &input.segment_id {
        let row = segment::Entity::find_by_id(id.clone())
            .filter(segment::Column::WorkspaceId.eq(caller.workspace_id.as_str()))
            .one(&svc.db)
            .await?
            .ok_or_else(|| {
                DomainError::unprocessable("segment_id", "no such segment in this workspace")
            })?;
        let query = segments::check_filters(&stored_json(&row.filters)?)?;
        return Ok(Targets::Query(Box::new(query), Some(row.id)));
    }
    let filters = input.filters.clone().unwrap_or_default();
    Ok(Targets::Query(
        Box::new(segments::check_filters(&filters)?),
        None,
    ))
}

/// The customers of `targets` that exist in the workspace, in id order, up to one past the
/// limit.
async fn snapshot(
    svc: &Services,
    caller: &Caller,
    targets: &Targets,
) -> Result<Vec<CustomerId>, DomainError> {
    let select = match targets {
        Targets::Ids(ids) => customer::Entity::find()
            .filter(customer::Column::WorkspaceId.eq(caller.workspace_id.as_str()))
            .filter(customer::Column::Id.is_in(ids.iter().map(CustomerId::as_str))),
        Targets::Query(q, _) => customer_list::matching(svc, caller, q).await?,
    };
    Ok(select
        .select_only()
        .column(customer::Column::Id)
        .order_by_asc(customer::Column::Id)
        .limit(u64::try_from(MOST_CUSTOMERS).unwrap_or(u64::MAX) + 1)
        .into_tuple::<CustomerId>()
        .all(&svc.db)
        .await?)
}

fn too_large(n: i64) -> DomainError {
    DomainError::Conflict {
        code: ErrorCode::BulkActionTooLarge,
        message: format!(
            "{} customers match; one bulk action takes at most {MOST_CUSTOMERS}: narrow the filters",
            if n > MOST_CUSTOMERS {
                format!("more than {MOST_CUSTOMERS}")
            } else {
                n.to_string()
            }
        ),
    }
}

/// How many customers the action would touch, without starting it.
pub async fn preview_bulk_action(
    svc: &Services,
    caller: &Caller,
    input: BulkActionCreate,
) -> Result<BulkPreview, DomainError> {
    caller.require(scope_of(input.action))?;
    check_params(svc, caller, &input).await?;
    let targets = targets(svc, caller, &input).await?;
    let customers = match &targets {
        Targets::Ids(_) => snapshot(svc, caller, &targets).await?.len(),
        Targets::Query(q, _) => {
            let cap = u64::try_from(MOST_CUSTOMERS).unwrap_or(u64::MAX);
            usize::try_from(customer_list::count_customers(svc, caller, q, cap).await?)
                .unwrap_or(usize::MAX)
        }
    };
    Ok(BulkPreview {
        customers: i64::try_from(customers).unwrap_or(i64::MAX),
        limit: MOST_CUSTOMERS,
    })
}

/// Starts a bulk action: fixes its customers and queues it for the job.
pub async fn create_bulk_action(
    svc: &Services,
    caller: &Caller,
    input: BulkActionCreate,
) -> Result<BulkAction, DomainError> {
    caller.require(scope_of(input.action))?;
    let params = check_params(svc, caller, &input).await?;
    let targets = targets(svc, caller, &input).await?;
    let ids = snapshot(svc, caller, &targets).await?;
    let total = i64::try_from(ids.len()).unwrap_or(i64::MAX);
    if total > MOST_CUSTOMERS {
        return Err(too_large(total));
    }
    if ids.is_empty() {
        return Err(DomainError::unprocessable(
            match targets {
                Targets::Ids(_) => "customer_ids",
                Targets::Query(_, Some(_)) => "segment_id",
                Targets::Query(_, None) => "filters",
            },
            "matches no customer",
        ));
    }
    let segment_id = match &targets {
        Targets::Query(_, s) => s.clone(),
        Targets::Ids(_) => None,
    };
    let now = svc.clock.now();
    let id = BulkActionId::generate_at(now);
    let txn = svc.write_txn().await?;
    let row = bulk_action::ActiveModel {
        id: Set(id.clone()),
        workspace_id: Set(caller.workspace_id.clone()),
        kind: Set(input.action),
        params: Set(to_json(&params)?),
        segment_id: Set(segment_id.clone()),
        status: Set(BulkActionStatus::Running),
        total: Set(total),
        succeeded: Set(0),
        failed: Set(0),
        cancel_requested: Set(false),
        created_by: Set(match &caller.actor {
            Actor::User { id, .. } => Some(id.clone()),
            _ => None,
        }),
        actor: Set(to_json(&StoredActor::of(&caller.actor))?),
        created_at: Set(now),
        finished_at: Set(None),
        // Free to claim at once.
        lease_until: Set(now),
    }
    .insert(&txn)
    .await?;
    for chunk in ids.chunks(500) {
        item::Entity::insert_many(chunk.iter().map(|c| item::ActiveModel {
            bulk_action_id: Set(id.clone()),
            customer_id: Set(c.clone()),
            status: Set(BulkItemStatus::Pending),
            error_code: Set(None),
            message: Set(None),
            done_at: Set(None),
        }))
        .exec_without_returning(&txn)
        .await?;
    }
    audit::record_workspace(
        &txn,
        svc,
        caller,
        EventType::BulkActionStarted,
        json!({"bulk_action_id": id, "action": input.action, "customers": total, "segment_id": segment_id}),
    )
    .await?;
    txn.commit().await?;
    to_bulk_action(row)
}
