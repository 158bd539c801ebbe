//! Merging duplicate customers. A preview lists exactly what moves (orders, refunds, disputes,
//! subscriptions, invoices, entitlements, payment details, ban identities), which field and
//! metadata values the survivor ends with, everything that blocks the merge (all at once), and
//! the lifetime value afterwards. The merge moves it all in one transaction, adds the merged
//! customer's figures to the survivor's, and leaves the merged customer as a tombstone whose
//! `merged_into` names the survivor. It keeps a snapshot of both customers: for 30 days, and as
//! long as neither changed since, undo puts everything back exactly as it was.

mod merge;
mod preview;
mod read;
mod undo;

pub use merge::merge;
pub use preview::preview_merge;
pub use read::{get_merge, undoable_merge_of};
pub use undo::undo_merge;

use std::collections::BTreeMap;

use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
};
use serde::{Deserialize, Serialize};

use crate::db::entities::{
    charge_attempt, customer, customer_currency_total as totals, dispute, entitlement, invoice,
    order, payment_detail, refund, subscription,
};
use crate::types::CustomerId;

use super::{DomainError, lock_row};

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
    lock_row::<crate::db::entities::customer::Entity, _>(conn, first.as_str()).await?;
    lock_row::<crate::db::entities::customer::Entity, _>(conn, second.as_str()).await
}
