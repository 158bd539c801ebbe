//! A row of `customers`.

use sea_orm::entity::prelude::*;

use crate::types::{CustomerId, WorkspaceId};

use crate::types::subscription::SubscriptionStatus;

/// A customer as stored; `metadata` is a JSON object in text.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "customers")]
pub struct Model {
    /// `cus_` + ULID.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: CustomerId,
    /// Owning workspace.
    pub workspace_id: WorkspaceId,
    /// Merchant's own id; unique per workspace.
    pub external_id: Option<String>,
    /// Normalised email.
    pub email: Option<String>,
    /// Name.
    pub name: Option<String>,
    /// Phone.
    pub phone: Option<String>,
    /// Tax number.
    pub tax_id: Option<String>,
    /// ISO 3166-1 alpha-2.
    pub country: Option<String>,
    /// Username on the merchant's platform.
    pub username: Option<String>,
    /// Profile link.
    pub profile_url: Option<String>,
    /// JSON object of string pairs.
    pub metadata: String,
    /// First seen.
    pub first_seen_at: DateTimeUtc,
    /// Created.
    pub created_at: DateTimeUtc,
    /// Last change.
    pub updated_at: DateTimeUtc,
    /// Archived, if so.
    pub archived_at: Option<DateTimeUtc>,
    /// Optimistic lock, incremented by every change.
    pub version: i64,
    /// Net lifetime value in the workspace currency (minor units).
    pub ltv_amount: i64,
    /// Orders of any status.
    pub order_count: i64,
    /// Successful payments, renewals included.
    pub total_payments: i64,
    /// Monthly recurring revenue in the workspace currency.
    pub mrr_amount: i64,
    /// Subscriptions that are active now.
    pub active_subscriptions: i64,
    /// Refunds made.
    pub refunds_count: i64,
    /// Refunded, in the workspace currency.
    pub refunded_amount: i64,
    /// Disputes opened.
    pub disputes_count: i64,
    /// When the latest order was placed.
    pub last_order_at: Option<DateTimeUtc>,
    /// `last_order_at` in Unix milliseconds, 0 for none: a non-null sort key.
    pub last_order_key: i64,
    /// The most telling status among the customer's subscriptions (active, past_due, canceled,
    /// expired), none without any.
    pub subscription_status: Option<SubscriptionStatus>,
    /// Email, name and external id, lower-cased: what partial search matches, trigram-indexed.
    pub search_text: String,
    /// The latest expiry of the active bans matching this customer (year 9999: permanent).
    pub banned_until: Option<DateTimeUtc>,
    /// Bumped by "Rotate portal link": every signed portal link made before stops working.
    pub portal_link_version: i32,
    /// When the customer's personal data was erased (GDPR Art. 17): the row stays, anonymised,
    /// so that its orders still add up.
    pub erased_at: Option<DateTimeUtc>,
    /// The customer this one was merged into: it is a tombstone pointing there.
    pub merged_into: Option<CustomerId>,
    /// When it was merged.
    pub merged_at: Option<DateTimeUtc>,
}

/// Declared from the owned side.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
