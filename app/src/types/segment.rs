//! Saved segments of the customer list, and bulk actions over many customers.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::customer::CustomerListParams;
use super::{BulkActionId, CustomerId, ProductId, SegmentId};
use crate::string_enum;

/// The customer list's filters and sort, as a segment keeps them (no page size, no cursor).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SegmentFilters {
    /// Partial search, as the list's `q`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ssr", schema(max_length = 200))]
    pub q: Option<String>,
    /// Customers with a paid order of this product.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<crate::types::ProductId>))]
    pub product_id: Option<String>,
    /// active, past_due, canceled, expired or none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<super::customer::SubscriptionFilter>))]
    pub subscription_status: Option<String>,
    /// ISO 3166-1 alpha-2.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<crate::types::contact::Country>))]
    pub country: Option<String>,
    /// Created on or after: `YYYY-MM-DD` (UTC) or an RFC 3339 time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<crate::types::schema::DayOrTime>))]
    pub created_from: Option<String>,
    /// Created on or before this day, or before this RFC 3339 time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<crate::types::schema::DayOrTime>))]
    pub created_to: Option<String>,
    /// `true`: archived customers only; otherwise they are left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub archived: Option<bool>,
    /// `true`: only banned customers; `false`: only the others.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub banned: Option<bool>,
    /// The list's order (created_desc by default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<super::customer::CustomerSort>))]
    pub sort: Option<String>,
}

impl SegmentFilters {
    /// The same filters as the list's parameters (first page, default size).
    pub fn to_params(&self) -> CustomerListParams {
        let flag = |b: Option<bool>| b.map(|b| b.to_string());
        CustomerListParams {
            q: self.q.clone(),
            product_id: self.product_id.clone(),
            subscription_status: self.subscription_status.clone(),
            country: self.country.clone(),
            created_from: self.created_from.clone(),
            created_to: self.created_to.clone(),
            archived: flag(self.archived),
            banned: flag(self.banned),
            sort: self.sort.clone(),
            ..Default::default()
        }
    }

    /// The filters of the list's parameters (their page size and cursors dropped); blank
    /// values are left out.
    pub fn of_params(p: &CustomerListParams) -> Self {
        let text = |v: &Option<String>| {
            v.as_ref()
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
        };
        let flag = |v: &Option<String>| match text(v).as_deref() {
            Some("true") => Some(true),
            Some("false") => Some(false),
            _ => None,
        };
        Self {
            q: text(&p.q),
            product_id: text(&p.product_id),
            subscription_status: text(&p.subscription_status),
            country: text(&p.country),
            created_from: text(&p.created_from),
            created_to: text(&p.created_to),
            archived: flag(&p.archived),
            banned: flag(&p.banned),
            sort: text(&p.sort),
        }
    }
}

/// A named set of list filters, shared with the workspace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Segment {
    /// `seg_` + ULID.
    #[cfg_attr(feature = "ssr", schema(value_type = String))]
    pub id: SegmentId,
    /// Always `segment`.
    pub object: String,
    /// Its name, unique in the workspace.
    pub name: String,
    /// The list's filters and sort.
    pub filters: SegmentFilters,
    /// How many customers match, as last counted (`None` before the first count). Counted up
    /// to [`Segment::COUNT_CAP`]; `count_capped` says the true number is higher.
    pub customer_count: Option<i64>,
    /// The count stopped at the cap.
    pub count_capped: bool,
    /// When it was counted.
    pub counted_at: Option<DateTime<Utc>>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last renamed or refiltered.
    pub updated_at: DateTime<Utc>,
}

impl Segment {
    /// The most a segment's count counts.
    pub const COUNT_CAP: i64 = 100_000;
}

/// Saves the list's filters under a name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SegmentCreate {
    /// 1 to 80 characters (at least one visible, no control character), unique in the
    /// workspace.
    #[cfg_attr(
        feature = "ssr",
        schema(
            min_length = 1,
            max_length = 80,
            pattern = r"^[^\u0000-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$"
        )
    )]
    pub name: String,
    /// The filters; none is every customer not archived.
    #[serde(default)]
    pub filters: SegmentFilters,
}

/// Renames a segment or replaces its filters.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SegmentUpdate {
    /// A new name (as when saved).
    #[serde(default)]
    #[cfg_attr(
        feature = "ssr",
        schema(
            min_length = 1,
            max_length = 80,
            pattern = r"^[^\u0000-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$"
        )
    )]
    pub name: Option<String>,
    /// New filters, replacing the old ones whole.
    #[serde(default)]
    pub filters: Option<SegmentFilters>,
}

string_enum!(
    /// What a bulk action does to each customer.
    BulkActionKind {
        /// Sets a metadata key to a value.
        SetMetadata = "set_metadata",
        /// Removes a metadata key.
        RemoveMetadata = "remove_metadata",
        /// Grants a product's benefits, optionally until a time.
        GrantProduct = "grant_product",
        /// Archives the customer.
        Archive = "archive",
    }
);

string_enum!(
    /// Where a bulk action is.
    BulkActionStatus {
        /// Working through its customers.
        Running = "running",
        /// Done for every customer.
        Succeeded = "succeeded",
        /// Done; some customers failed (see the report).
        CompletedWithErrors = "completed_with_errors",
        /// Stopped on request; the customers not reached were skipped.
        Canceled = "canceled",
    }
);

string_enum!(
    /// What a bulk action did to one customer.
    BulkItemStatus {
        /// Not reached yet.
        Pending = "pending",
        /// Done.
        Succeeded = "succeeded",
        /// Refused; `error_code` and `message` say why.
        Failed = "failed",
        /// Not done: the action was canceled first.
        Skipped = "skipped",
    }
);

/// Which customers a bulk action touches, and what it does to each.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct BulkActionCreate {
    /// What to do.
    pub action: BulkActionKind,
    /// These customers (up to 1,000)...
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<Vec<crate::types::CustomerId>>, min_items = 1, max_items = 1000))]
    pub customer_ids: Option<Vec<CustomerId>>,
    /// ...or every customer of this segment...
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<crate::types::SegmentId>))]
    pub segment_id: Option<SegmentId>,
    /// ...or every customer these filters match (at most 10,000 customers in all).
    #[serde(default)]
    pub filters: Option<SegmentFilters>,
    /// `set_metadata` and `remove_metadata`: the key (1 to 40 characters, without `[` or `]`).
    #[serde(default)]
    #[cfg_attr(
        feature = "ssr",
        schema(
            min_length = 1,
            max_length = 40,
            pattern = r"^[^\[\]\u0000-\u001F\u007F-\u009F]*$"
        )
    )]
    pub metadata_key: Option<String>,
    /// `set_metadata`: the value.
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(max_length = 500))]
    pub metadata_value: Option<String>,
    /// `grant_product`: the product.
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<crate::types::ProductId>))]
    pub product_id: Option<ProductId>,
    /// `grant_product`: when the benefits run out; leave out for never.
    #[serde(default)]
    pub expires_at: Option<DateTime<Utc>>,
}

/// How many customers a bulk action would touch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct BulkPreview {
    /// Customers it would act on.
    pub customers: i64,
    /// The most one action takes.
    pub limit: i64,
}

/// A bulk action and its progress.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct BulkAction {
    /// `bulk_` + ULID.
    #[cfg_attr(feature = "ssr", schema(value_type = String))]
    pub id: BulkActionId,
    /// Always `bulk_action`.
    pub object: String,
    /// What it does.
    pub action: BulkActionKind,
    /// `set_metadata` / `remove_metadata`: the key.
    pub metadata_key: Option<String>,
    /// `set_metadata`: the value.
    pub metadata_value: Option<String>,
    /// `grant_product`: the product.
    #[cfg_attr(feature = "ssr", schema(value_type = Option<String>))]
    pub product_id: Option<ProductId>,
    /// `grant_product`: until when.
    pub expires_at: Option<DateTime<Utc>>,
    /// The segment it was started on, if any.
    #[cfg_attr(feature = "ssr", schema(value_type = Option<String>))]
    pub segment_id: Option<SegmentId>,
    /// Where it is.
    pub status: BulkActionStatus,
    /// Customers it acts on (fixed when it starts).
    pub total: i64,
    /// Done.
    pub succeeded: i64,
    /// Refused (see the report).
    pub failed: i64,
    /// A cancel was asked for.
    pub cancel_requested: bool,
    /// Started.
    pub created_at: DateTime<Utc>,
    /// Finished, canceled or not.
    pub finished_at: Option<DateTime<Utc>>,
}

impl BulkAction {
    /// Customers reached so far.
    pub fn processed(&self) -> i64 {
        self.succeeded + self.failed
    }

    /// Whether it still works.
    pub fn running(&self) -> bool {
        self.status == BulkActionStatus::Running
    }
}

/// What a bulk action did to one customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct BulkActionItem {
    /// The customer.
    #[cfg_attr(feature = "ssr", schema(value_type = String))]
    pub customer_id: CustomerId,
    /// Their email or name, to recognise them in the report.
    pub customer_label: Option<String>,
    /// What happened.
    pub status: BulkItemStatus,
    /// Why it failed.
    pub error_code: Option<String>,
    /// Why it failed, in words.
    pub message: Option<String>,
    /// When it was done.
    pub done_at: Option<DateTime<Utc>>,
}
