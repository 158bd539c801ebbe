//! Saved segments: the customer list's filters under a name, shared with the workspace. Each
//! keeps a live count, recounted lazily when it is read and older than [`FRESH`] (a few per
//! read): one bounded statement per segment, off the list's own path (the dashboard loads the
//! segments beside the list, never before it).

use chrono::Duration;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set,
};

use crate::db::entities::segment;
use crate::types::segment::{Segment, SegmentCreate, SegmentFilters, SegmentUpdate};
use crate::types::{ErrorCode, Scope, SegmentId};

use super::actor::{Actor, Caller};
use super::customer_list::{self, CustomerQuery};
use super::{DomainError, Services, stored_json, to_json, validate};

/// How long a count stays fresh.
pub const FRESH: Duration = Duration::seconds(60);
/// The most stale segments one read counts again.
const RECOUNT_PER_READ: usize = 5;
/// The most segments a workspace keeps.
pub const MOST: u64 = 100;

fn to_segment(row: segment::Model) -> Result<Segment, DomainError> {
    let cap = Segment::COUNT_CAP;
    Ok(Segment {
        filters: stored_json(&row.filters)?,
        customer_count: row.customer_count.map(|n| Ord::min(n, cap)),
        count_capped: row.customer_count.is_some_and(|n| n > cap),
        id: row.id,
        object: "segment".into(),
        name: row.name,
        counted_at: row.counted_at,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

fn check_name(raw: &str) -> Result<String, DomainError> {
    validate::text("name", raw, 80)
}

/// Checks the filters as the list would (each bad one named `filters.<field>`), and answers
/// them as the list's query.
pub fn check_filters(f: &SegmentFilters) -> Result<CustomerQuery, DomainError> {
    CustomerQuery::parse(&f.to_params()).map_err(|e| match e {
        DomainError::Invalid { field, message } => DomainError::Invalid {
            field: format!("filters.{}", filter_field(&field)),
            message,
        },
        DomainError::Unprocessable { field, message } => DomainError::Unprocessable {
            field: format!("filters.{}", filter_field(&field)),
            message,
        },
        other => other,
    })
}

/// The filter's name in a segment for the list's parameter `field` (they are the same today;
/// kept in one place should they part).
fn filter_field(field: &str) -> &str {
    field
}

fn name_taken(name: &str) -> DomainError {
    DomainError::Conflict {
        code: ErrorCode::SegmentNameTaken,
        message: format!("another segment is already named {name:?}"),
    }
}

fn map_unique(e: sea_orm::DbErr, name: &str) -> DomainError {
    match e.sql_err() {
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => name_taken(name),
        _ => e.into(),
    }
}

async fn find_row(
    svc: &Services,
    caller: &Caller,
    id: &SegmentId,
) -> Result<segment::Model, DomainError> {
    crate::domain::find::in_workspace::<segment::Entity, _, _, _>(
        &svc.db,
        caller.workspace_id.as_str(),
        id.clone(),
    )
    .await
}

/// Counts the segment now and keeps the count; answers the row as it then is.
async fn recount(
    svc: &Services,
    caller: &Caller,
    row: segment::Model,
) -> Result<segment::Model, DomainError> {
    let query = check_filters(&stored_json(&row.filters)?)?;
    let cap = u64::try_from(Segment::COUNT_CAP).unwrap_or(u64::MAX);
    let n = customer_list::count_customers(svc, caller, &query, cap).await?;
    let n = i64::try_from(n).unwrap_or(i64::MAX);
    let now = svc.clock.now();
    // Only if the filters are still the ones counted: a concurrent edit keeps its own count.
    segment::Entity::update_many()
        .col_expr(segment::Column::CustomerCount, Expr::val(Some(n)))
        .col_expr(segment::Column::CountedAt, Expr::val(Some(now)))
        .filter(segment::Column::Id.eq(row.id.as_str()))
        .filter(segment::Column::Filters.eq(row.filters.as_str()))
        .exec(&svc.db)
        .await?;
    Ok(segment::Model {
        customer_count: Some(n),
        counted_at: Some(now),
        ..row
    })
}

fn stale(row: &segment::Model, now: chrono::DateTime<chrono::Utc>) -> bool {
    row.counted_at.is_none_or(|at| now - at >= FRESH)
}

/// The workspace's segments by name; the [`RECOUNT_PER_READ`] stalest counts are refreshed.
pub async fn list_segments(svc: &Services, caller: &Caller) -> Result<Vec<Segment>, DomainError> {
    caller.require(Scope::CustomersRead)?;
    let rows = segment::Entity::find()
        .filter(segment::Column::WorkspaceId.eq(caller.workspace_id.as_str()))
        .order_by_asc(segment::Column::Name)
        .order_by_asc(segment::Column::Id)
        .all(&svc.db)
        .await?;
    let now = svc.clock.now();
    // The stalest few are counted again now; the others keep their count until a later read.
    let mut due: Vec<(Option<chrono::DateTime<chrono::Utc>>, SegmentId)> = rows
        .iter()
        .filter(|r| stale(r, now))
        .map(|r| (r.counted_at, r.id.clone()))
        .collect();
    due.sort();
    due.truncate(RECOUNT_PER_READ);
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let row = if due.iter().any(|(_, id)| *id == row.id) {
            recount(svc, caller, row).await?
        } else {
            row
        };
        out.push(to_segment(row)?);
    }
    Ok(out)
}

/// One segment, counted within the last minute.
pub async fn get_segment(
    svc: &Services,
    caller: &Caller,
    id: &SegmentId,
) -> Result<Segment, DomainError> {
    caller.require(Scope::CustomersRead)?;
    let row = find_row(svc, caller, id).await?;
    let row = if stale(&row, svc.clock.now()) {
        recount(svc, caller, row).await?
    } else {
        row
    };
    to_segment(row)
}

/// Saves filters under a name, and counts them.
pub async fn create_segment(
    svc: &Services,
    caller: &Caller,
    input: SegmentCreate,
) -> Result<Segment, DomainError> {
    caller.require(Scope::CustomersWrite)?;
    let name = check_name(&input.name)?;
    check_filters(&input.filters)?;
    let held = segment::Entity::find()
        .filter(segment::Column::WorkspaceId.eq(caller.workspace_id.as_str()))
        .count(&svc.db)
        .await?;
    if held >= MOST {
        return Err(DomainError::Conflict {
            code: ErrorCode::SegmentLimitReached,
            message: format!("a workspace keeps at most {MOST} segments; delete one first"),
        });
    }
    let now = svc.clock.now();
    let row = segment::ActiveModel {
        id: Set(SegmentId::generate_at(now)),
        workspace_id: Set(caller.workspace_id.clone()),
        name: Set(name.clone()),
        filters: Set(to_json(&input.filters)?),
        created_by: Set(match &caller.actor {
            Actor::User { id, .. } => Some(id.clone()),
            _ => None,
        }),
        customer_count: Set(None),
        counted_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&svc.db)
    .await
    .map_err(|e| map_unique(e, &name))?;
    to_segment(recount(svc, caller, row).await?)
}

/// Renames a segment or replaces its filters (and recounts them).
pub async fn update_segment(
    svc: &Services,
    caller: &Caller,
    id: &SegmentId,
    input: SegmentUpdate,
) -> Result<Segment, DomainError> {
    caller.require(Scope::CustomersWrite)?;
    let row = find_row(svc, caller, id).await?;
    let name = input.name.as_deref().map(check_name).transpose()?;
    if let Some(f) = &input.filters {
        check_filters(f)?;
    }
    let mut active: segment::ActiveModel = row.clone().into();
    if let Some(n) = &name {
        active.name = Set(n.clone());
    }
    if let Some(f) = &input.filters {
        active.filters = Set(to_json(f)?);
        active.customer_count = Set(None);
        active.counted_at = Set(None);
    }
    active.updated_at = Set(svc.clock.now());
    let updated = active
        .update(&svc.db)
        .await
        .map_err(|e| map_unique(e, name.as_deref().unwrap_or(&row.name)))?;
    get_segment(svc, caller, &updated.id).await
}

/// Deletes a segment (its customers are untouched).
pub async fn delete_segment(
    svc: &Services,
    caller: &Caller,
    id: &SegmentId,
) -> Result<(), DomainError> {
    caller.require(Scope::CustomersWrite)?;
    let row = find_row(svc, caller, id).await?;
    segment::Entity::delete_by_id(row.id).exec(&svc.db).await?;
    Ok(())
}
