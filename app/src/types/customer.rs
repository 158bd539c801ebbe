//! The customer as every door shows it, and the limits its fields obey.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::CustomerId;

/// Up to 50 string pairs of the merchant's own data; keys sorted for stable output.
pub type Metadata = BTreeMap<String, String>;

/// Most metadata pairs a customer may hold.
pub const METADATA_MAX_PAIRS: usize = 50;
/// Longest metadata key, in characters.
pub const METADATA_KEY_MAX: usize = 40;
/// Longest metadata value, in characters.
pub const METADATA_VALUE_MAX: usize = 500;

/// Someone who pays the merchant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Customer {
    /// `cus_` + ULID; stable forever.
    #[cfg_attr(feature = "ssr", schema(value_type = String, example = "cus_01JD5ZQ3XK4M6P8R9S2T3V4W5X"))]
    pub id: CustomerId,
    /// Always `customer`.
    pub object: String,
    /// The merchant's own id for this person (CRM id, SteamID64, Minecraft UUID); unique per workspace.
    pub external_id: Option<String>,
    /// Normalised (trimmed, domain lower-cased); not unique.
    pub email: Option<String>,
    /// Display name.
    pub name: Option<String>,
    /// Phone number, as given.
    pub phone: Option<String>,
    /// VAT or other tax number, shown on invoices.
    pub tax_id: Option<String>,
    /// ISO 3166-1 alpha-2, upper case.
    pub country: Option<String>,
    /// Username on the merchant's platform.
    pub username: Option<String>,
    /// Link to the customer's profile on the merchant's platform.
    pub profile_url: Option<String>,
    /// The merchant's own key/value data.
    pub metadata: Metadata,
    /// When the customer was first seen (first checkout, or creation).
    pub first_seen_at: DateTime<Utc>,
    /// When the record was created.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// When archived; archived customers are hidden from lists by default.
    pub archived_at: Option<DateTime<Utc>>,
    /// Optimistic lock: send it back with a change to refuse overwriting someone else's edit.
    pub version: i64,
    /// When the customer's personal data was erased (GDPR Art. 17); the record stays as an
    /// anonymised tombstone so that its orders still add up.
    pub erased_at: Option<DateTime<Utc>>,
    /// The customer this one was merged into, when it was: this record is then a tombstone,
    /// and everything it had is the survivor's.
    #[cfg_attr(feature = "ssr", schema(value_type = Option<String>))]
    pub merged_into: Option<CustomerId>,
}

impl Customer {
    /// What the dashboard shows as the customer's name: the name, else the email, else the id.
    pub fn display_name(&self) -> &str {
        self.name
            .as_deref()
            .or(self.email.as_deref())
            .unwrap_or(self.id.as_str())
    }
}

/// A new customer: every field optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CustomerCreate {
    /// Your own id for this person; unique in the workspace.
    #[cfg_attr(feature = "ssr", schema(min_length = 1, max_length = 255))]
    pub external_id: Option<String>,
    /// Email; stored trimmed and lower-cased. Not unique.
    #[cfg_attr(feature = "ssr", schema(value_type = Option<crate::types::contact::Email>))]
    pub email: Option<String>,
    /// Display name.
    #[cfg_attr(feature = "ssr", schema(min_length = 1, max_length = 200))]
    pub name: Option<String>,
    /// Phone number.
    #[cfg_attr(feature = "ssr", schema(value_type = Option<crate::types::contact::Phone>))]
    pub phone: Option<String>,
    /// VAT or other tax number.
    #[cfg_attr(feature = "ssr", schema(min_length = 1, max_length = 64))]
    pub tax_id: Option<String>,
    /// ISO 3166-1 alpha-2 code.
    #[cfg_attr(feature = "ssr", schema(value_type = Option<crate::types::contact::Country>))]
    pub country: Option<String>,
    /// Username on your platform.
    #[cfg_attr(feature = "ssr", schema(min_length = 1, max_length = 100))]
    pub username: Option<String>,
    /// http(s) link to the profile on your platform.
    #[cfg_attr(feature = "ssr", schema(value_type = Option<crate::types::contact::HttpUrl>))]
    pub profile_url: Option<String>,
    /// Up to 50 pairs; keys 1 to 40 characters without `[` `]`, values up to 500 characters.
    #[cfg_attr(feature = "ssr", schema(value_type = Option<crate::types::schema::MetadataMap>))]
    pub metadata: Option<Metadata>,
}

/// A change to a customer. An absent field stays as it is; `null` clears it. `metadata`: a map
/// replaces the whole map, `null` wipes it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CustomerUpdate {
    /// Your own id; unique in the workspace.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<String>, min_length = 1, max_length = 255))]
    pub external_id: Option<Option<String>>,
    /// Email.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<crate::types::contact::Email>))]
    pub email: Option<Option<String>>,
    /// Display name.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<String>, min_length = 1, max_length = 200))]
    pub name: Option<Option<String>>,
    /// Phone number.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<crate::types::contact::Phone>))]
    pub phone: Option<Option<String>>,
    /// Tax number.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<String>, min_length = 1, max_length = 64))]
    pub tax_id: Option<Option<String>>,
    /// ISO 3166-1 alpha-2 code.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<crate::types::contact::Country>))]
    pub country: Option<Option<String>>,
    /// Username on your platform.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<String>, min_length = 1, max_length = 100))]
    pub username: Option<Option<String>>,
    /// Profile link.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<crate::types::contact::HttpUrl>))]
    pub profile_url: Option<Option<String>>,
    /// A map replaces all metadata; `null` wipes it.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<crate::types::schema::MetadataMap>))]
    pub metadata: Option<Option<Metadata>>,
    /// The `version` you last read: the change is refused with 409 if someone changed the
    /// customer since. Omit to overwrite regardless.
    #[cfg_attr(feature = "ssr", schema(minimum = 1))]
    pub version: Option<i64>,
}

/// Marks a field as present: `null` becomes `Some(None)`, a value `Some(Some(v))`; an absent
/// field stays `None` through `#[serde(default)]`.
fn present<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// A customer's money in one currency (minor units of `currency`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CurrencyTotals {
    /// ISO 4217.
    #[cfg_attr(feature = "ssr", schema(value_type = String))]
    pub currency: crate::types::money::CurrencyCode,
    /// Paid in.
    pub paid: i64,
    /// Refunded.
    pub refunded: i64,
    /// Lost to chargebacks.
    pub charged_back: i64,
    /// `paid - refunded - charged_back`.
    pub net: i64,
}

/// What a customer is worth, kept exact with every payment, refund, dispute and renewal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CustomerStats {
    /// Always `customer_stats`.
    pub object: String,
    /// The customer.
    #[cfg_attr(feature = "ssr", schema(value_type = String))]
    pub customer_id: CustomerId,
    /// The workspace currency that the converted figures are in.
    #[cfg_attr(feature = "ssr", schema(value_type = String))]
    pub currency: crate::types::money::CurrencyCode,
    /// Net lifetime value converted at each order's recorded rate.
    pub lifetime_value: i64,
    /// Net lifetime value in each currency paid in, never summed across currencies.
    pub lifetime_value_by_currency: Vec<CurrencyTotals>,
    /// Successful payments, renewals included.
    pub total_payments: i64,
    /// Orders of any status, failed ones included.
    pub order_count: i64,
    /// When the latest order was placed.
    pub last_order_at: Option<DateTime<Utc>>,
    /// Monthly recurring revenue of the active subscriptions, in the workspace currency.
    pub mrr: i64,
    /// Subscriptions active now.
    pub active_subscriptions: i64,
    /// Refunds made.
    pub refunds_count: i64,
    /// Refunded, in the workspace currency.
    pub refunded_amount: i64,
    /// Disputes opened.
    pub disputes_count: i64,
}

crate::string_enum!(
    /// How the customer list is ordered; ties are broken by id in the same direction.
    #[derive(Default)]
    CustomerSort {
        /// Newest first (the default).
        #[default]
        CreatedDesc = "created_desc",
        /// Oldest first.
        CreatedAsc = "created_asc",
        /// Highest lifetime value first.
        LtvDesc = "ltv_desc",
        /// Lowest lifetime value first.
        LtvAsc = "ltv_asc",
        /// Most recent order first (customers without orders last).
        LastOrderDesc = "last_order_desc",
        /// Oldest last order first (customers without orders first).
        LastOrderAsc = "last_order_asc",
    }
);

crate::string_enum!(
    /// The subscription status filter: a customer's most telling subscription status, or none.
    SubscriptionFilter {
        /// At least one active subscription.
        Active = "active",
        /// No active one; at least one past due.
        PastDue = "past_due",
        /// Only canceled (and expired) ones.
        Canceled = "canceled",
        /// Only expired ones.
        Expired = "expired",
        /// Never subscribed.
        None = "none",
    }
);

/// The customer list's filters, sort and cursor exactly as they travel in a URL or query
/// string: text, checked by the domain so that a bad value is named.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "ssr", into_params(parameter_in = Query))]
pub struct CustomerListParams {
    /// Partial, case-insensitive match on email, name or external id, or the beginning of a
    /// customer id (`cus_01J9` or `01j9`); an exact order id, licence key or IP address finds
    /// its customer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ssr", param(max_length = 200))]
    pub q: Option<String>,
    /// Exact email.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ssr", param(max_length = 200))]
    pub email: Option<String>,
    /// Exact external id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ssr", param(max_length = 200))]
    pub external_id: Option<String>,
    /// A product id: customers with a paid order of it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ssr", param(value_type = Option<crate::types::ProductId>))]
    pub product_id: Option<String>,
    /// active, past_due, canceled, expired or none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ssr", param(value_type = Option<SubscriptionFilter>))]
    pub subscription_status: Option<String>,
    /// ISO 3166-1 alpha-2.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ssr", param(value_type = Option<crate::types::contact::Country>))]
    pub country: Option<String>,
    /// Created on or after: `YYYY-MM-DD` (UTC) or an RFC 3339 time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ssr", param(value_type = Option<crate::types::schema::DayOrTime>))]
    pub created_from: Option<String>,
    /// Created on or before this day (`YYYY-MM-DD`), or before this RFC 3339 time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ssr", param(value_type = Option<crate::types::schema::DayOrTime>))]
    pub created_to: Option<String>,
    /// `true`: archived customers only; by default they are left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ssr", param(value_type = Option<bool>))]
    pub archived: Option<String>,
    /// `true`: only customers an active ban matches; `false`: only those none matches.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ssr", param(value_type = Option<bool>))]
    pub banned: Option<String>,
    /// created_desc (default), created_asc, ltv_desc, ltv_asc, last_order_desc, last_order_asc.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ssr", param(value_type = Option<CustomerSort>))]
    pub sort: Option<String>,
    /// Page size, 1 to 100 (default 50).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ssr", param(value_type = Option<u32>, minimum = 1, maximum = 100))]
    pub limit: Option<String>,
    /// Only these customers: up to 100 customer ids, separated by commas (a selection).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "ssr",
        param(
            pattern = r"^cus_[0-7][0-9A-HJKMNP-TV-Z]{25}(,cus_[0-7][0-9A-HJKMNP-TV-Z]{25}){0,99}$"
        )
    )]
    pub ids: Option<String>,
    /// A customer id: the page after it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ssr", param(value_type = Option<crate::types::CustomerId>))]
    pub starting_after: Option<String>,
    /// A customer id: the page before it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ssr", param(value_type = Option<crate::types::CustomerId>))]
    pub ending_before: Option<String>,
}

/// One filter of the customer list, in every place it travels: its short key in the
/// dashboard's URL (for readable bookmarks), its name in the REST query and the CSV export
/// (the field of [`CustomerListParams`]), and that field.
#[derive(Debug, Clone, Copy)]
pub struct ListFilter {
    /// The key in the dashboard's address (`status`).
    pub url_key: &'static str,
    /// The query parameter of the REST list and the export (`subscription_status`).
    pub query_key: &'static str,
    field: fn(&CustomerListParams) -> &Option<String>,
    field_mut: fn(&mut CustomerListParams) -> &mut Option<String>,
}

macro_rules! list_filters {
    ($($url:literal => $field:ident),+ $(,)?) => {
        /// The customer list's filters and sort: the one table of their keys.
        pub const LIST_FILTERS: &[ListFilter] = &[$(ListFilter {
            url_key: $url,
            query_key: stringify!($field),
            field: |p| &p.$field,
            field_mut: |p| &mut p.$field,
        }),+];
    };
}

list_filters!(
    "q" => q,
    "product" => product_id,
    "status" => subscription_status,
    "country" => country,
    "from" => created_from,
    "to" => created_to,
    "archived" => archived,
    "banned" => banned,
    "sort" => sort,
);

impl CustomerListParams {
    /// The filters and sort read from `get` (by each filter's key, `url_key` or `query_key`);
    /// blank values are left out.
    pub fn with_filters(
        mut self,
        key: fn(&ListFilter) -> &'static str,
        get: impl Fn(&str) -> Option<String>,
    ) -> Self {
        for f in LIST_FILTERS {
            *(f.field_mut)(&mut self) = get(key(f)).filter(|v| !v.trim().is_empty());
        }
        self
    }

    /// The filters and sort that are set, by each filter's key (`url_key` or `query_key`).
    pub fn filter_pairs(
        &self,
        key: fn(&ListFilter) -> &'static str,
    ) -> impl Iterator<Item = (&'static str, &str)> {
        LIST_FILTERS
            .iter()
            .filter_map(move |f| (f.field)(self).as_deref().map(|v| (key(f), v)))
    }
}

/// The most customers the list's `ids` names.
pub const MOST_SELECTED_IDS: usize = 100;

crate::string_enum!(
    /// How a search found a customer.
    SearchMatch {
        /// The email, name or external id holds the term (or the id begins with it).
        Exact = "exact",
        /// Nothing held the term: the email, name or external id holds it with a typo or two
        /// ("did you mean").
        Fuzzy = "fuzzy",
    }
);

/// One row of the customer list: the customer and the figures the list shows and sorts by.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CustomerListItem {
    /// The customer.
    #[serde(flatten)]
    pub customer: Customer,
    /// Net lifetime value in the workspace currency (minor units).
    pub lifetime_value: i64,
    /// The workspace currency.
    #[cfg_attr(feature = "ssr", schema(value_type = String))]
    pub currency: crate::types::money::CurrencyCode,
    /// Orders of any status.
    pub order_count: i64,
    /// When the latest order was placed.
    pub last_order_at: Option<DateTime<Utc>>,
    /// Active subscriptions.
    pub active_subscriptions: i64,
    /// The most telling subscription status, if the customer ever subscribed.
    pub subscription_status: Option<super::subscription::SubscriptionStatus>,
    /// With a search (`q`): how it found this customer. `fuzzy` rows come only when nothing
    /// matched exactly, on the first page, closest first.
    #[serde(rename = "match", default, skip_serializing_if = "Option::is_none")]
    pub found_by: Option<SearchMatch>,
}

/// Everything Patron holds about one customer (GDPR Art. 15, right of access): the customer,
/// their orders, refunds, disputes, subscriptions, invoices, items and payment details.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CustomerDataExport {
    /// Always `customer_data_export`.
    pub object: String,
    /// When it was made.
    pub generated_at: DateTime<Utc>,
    /// The shop that holds the data.
    pub workspace: String,
    /// The customer.
    pub customer: Customer,
    /// Every order, oldest first.
    pub orders: Vec<crate::types::Order>,
    /// Every refund, oldest first.
    pub refunds: Vec<crate::types::Refund>,
    /// Every dispute, oldest first.
    pub disputes: Vec<crate::types::Dispute>,
    /// Every subscription, oldest first.
    pub subscriptions: Vec<crate::types::Subscription>,
    /// Every invoice with its payment attempts, oldest first.
    pub invoices: Vec<crate::types::Invoice>,
    /// Every item, oldest first.
    pub entitlements: Vec<crate::types::Entitlement>,
    /// Every card, account, email and IP address seen with a payment.
    pub payment_details: Vec<crate::types::PaymentDetail>,
}
