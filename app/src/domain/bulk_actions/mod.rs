//! Bulk actions: one change (set or remove a metadata key, grant a product, archive) over many
//! customers: listed ones, a segment's or a filter's.
//!
//! Starting one fixes its customers (a snapshot of at most [`MOST_CUSTOMERS`], one pending item
//! each) in one transaction. The job ([`run_bulk_actions`]) claims actions with a lease, exactly
//! once across processes, and works through their pending items: each customer's change, its
//! audit entry, its item turning `succeeded` and the action's counter all commit together, so
//! a customer is never done twice, even when a lease runs out and another process takes over.
//! A customer that cannot be changed gets a `failed` item with the reason, and the others go
//! on. A cancel stops the action between two customers; those not reached are `skipped`.
//!
//! The action acts for whoever started it, and only while they still may: before each batch of
//! customers the job reads the starter's current role (a user) or key (an API key). A starter
//! removed from the workspace, demoted below what the action needs, or whose key was revoked
//! stops it there: it ends `canceled`, and the customers not reached are `skipped` with the
//! reason in words.

mod cancel;
mod read;
mod runner;
mod standing;
mod start;

pub use cancel::cancel_bulk_action;
pub use read::{bulk_action_items, get_bulk_action, list_bulk_actions};
pub use runner::{BulkReport, run_bulk_actions};
pub use start::{create_bulk_action, preview_bulk_action};

use chrono::{DateTime, Utc};

use serde::{Deserialize, Serialize};

use crate::db::entities::bulk_action;
use crate::types::segment::{BulkAction, BulkActionKind};
use crate::types::{BulkActionId, ProductId, Scope};

use super::actor::Caller;
use super::{DomainError, Services, stored_json};

/// The most customers one bulk action takes.
pub const MOST_CUSTOMERS: i64 = 10_000;
/// The most customers listed by id.
pub const MOST_IDS: usize = 1_000;

/// An action's parameters as stored.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Params {
    metadata_key: Option<String>,
    metadata_value: Option<String>,
    product_id: Option<ProductId>,
    expires_at: Option<DateTime<Utc>>,
}

/// What the action needs of its caller.
fn scope_of(kind: BulkActionKind) -> Scope {
    match kind {
        BulkActionKind::GrantProduct => Scope::EntitlementsWrite,
        _ => Scope::CustomersWrite,
    }
}

fn to_bulk_action(row: bulk_action::Model) -> Result<BulkAction, DomainError> {
    let p: Params = stored_json(&row.params)?;
    Ok(BulkAction {
        id: row.id,
        object: "bulk_action".into(),
        action: row.kind,
        metadata_key: p.metadata_key,
        metadata_value: p.metadata_value,
        product_id: p.product_id,
        expires_at: p.expires_at,
        segment_id: row.segment_id,
        status: row.status,
        total: row.total,
        succeeded: row.succeeded,
        failed: row.failed,
        cancel_requested: row.cancel_requested,
        created_at: row.created_at,
        finished_at: row.finished_at,
    })
}

async fn find_row(
    svc: &Services,
    caller: &Caller,
    id: &BulkActionId,
) -> Result<bulk_action::Model, DomainError> {
    crate::domain::find::in_workspace::<bulk_action::Entity, _, _, _>(
        &svc.db,
        caller.workspace_id.as_str(),
        id.clone(),
    )
    .await
}
