//! Merging duplicate customers: the preview of what moves and what blocks it, and the merge
//! itself, which can be undone for 30 days.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{Customer, CustomerId, MergeId};

/// How long a merge can be undone.
pub const UNDO_DAYS: i64 = 30;

/// `POST /customers/{id}/merge`: merge this customer into `into`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct MergeRequest {
    /// The customer that stays (`cus_...`): everything moves to it.
    #[cfg_attr(feature = "ssr", schema(value_type = crate::types::CustomerId))]
    pub into: CustomerId,
    /// `true`: say what the merge would do, and change nothing.
    #[serde(default)]
    pub preview: bool,
}

/// How many of each kind of record move to the surviving customer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct MergeMoves {
    /// Orders.
    pub orders: i64,
    /// Refunds of those orders.
    pub refunds: i64,
    /// Disputes.
    pub disputes: i64,
    /// Subscriptions.
    pub subscriptions: i64,
    /// Invoices of those subscriptions.
    pub invoices: i64,
    /// Entitlements (items).
    pub entitlements: i64,
    /// Payment details (cards, accounts, emails, IPs); one both have is kept once.
    pub payment_details: i64,
    /// Of those, the ones the survivor already has: kept once (blocked if either was).
    pub payment_details_shared: i64,
    /// Ban identities naming the customer, which then name the survivor.
    pub ban_identities: i64,
}

/// One field or metadata key both customers have, or only the merged one: what the survivor
/// ends with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct MergeField {
    /// `email`, or `metadata.plan`.
    pub field: String,
    /// The survivor's value.
    pub survivor: Option<String>,
    /// The merged customer's value.
    pub merged: Option<String>,
    /// What the survivor keeps: its own value when it has one, else the merged customer's.
    pub result: Option<String>,
    /// Whether both had different values (the survivor's wins).
    pub conflict: bool,
}

/// Why a merge cannot be done.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct MergeBlocker {
    /// `external_ids_differ`, `same_live_subscription`, `already_merged`, `erased`.
    pub code: String,
    /// What to do about it.
    pub message: String,
}

/// What merging would do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct MergePreview {
    /// Always `merge_preview`.
    pub object: String,
    /// The customer merged away (it stays as a tombstone pointing at the survivor).
    #[cfg_attr(feature = "ssr", schema(value_type = String))]
    pub customer_id: CustomerId,
    /// The survivor.
    #[cfg_attr(feature = "ssr", schema(value_type = String))]
    pub into: CustomerId,
    /// What moves.
    pub moves: MergeMoves,
    /// The fields the merged customer has, and what the survivor ends with.
    pub fields: Vec<MergeField>,
    /// Every reason the merge cannot be done now (all at once); empty when it can.
    pub blockers: Vec<MergeBlocker>,
    /// The survivor's lifetime value afterwards, in the workspace currency (minor units).
    pub lifetime_value_after: i64,
    /// The workspace currency.
    #[cfg_attr(feature = "ssr", schema(value_type = String))]
    pub currency: crate::types::money::CurrencyCode,
}

/// A merge that was done.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CustomerMerge {
    /// Always `merge`.
    pub object: String,
    /// `mrg_...`: undo it with `POST /merges/{id}/undo`.
    #[cfg_attr(feature = "ssr", schema(value_type = String))]
    pub id: MergeId,
    /// The customer merged away.
    #[cfg_attr(feature = "ssr", schema(value_type = String))]
    pub customer_id: CustomerId,
    /// The survivor.
    #[cfg_attr(feature = "ssr", schema(value_type = String))]
    pub into: CustomerId,
    /// When it was done.
    pub created_at: DateTime<Utc>,
    /// Until when it can be undone.
    pub undo_until: DateTime<Utc>,
    /// When it was undone.
    pub undone_at: Option<DateTime<Utc>>,
    /// The survivor as it is now (after an undo: as it was before the merge).
    pub survivor: Customer,
}
