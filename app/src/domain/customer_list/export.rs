//! The CSV export's rows: every customer a query matches, as one statement to stream.

use chrono::{DateTime, Utc};
use sea_orm::QuerySelect;

use crate::db::entities::customer;
use crate::domain::actor::Caller;
use crate::domain::{DomainError, Services};
use crate::types::money::CurrencyCode;
use crate::types::subscription::SubscriptionStatus;
use crate::types::{CustomerId, Scope};

use super::keyset::{key_of, ordered};
use super::{CustomerQuery, matching};

/// One row of the customers export: the list's columns, and nothing the export does not show.
#[derive(Debug, Clone, sea_orm::FromQueryResult)]
pub struct ExportRow {
    /// The customer.
    pub id: CustomerId,
    /// Email, normalised.
    pub email: Option<String>,
    /// Name.
    pub name: Option<String>,
    /// The merchant's own id.
    pub external_id: Option<String>,
    /// ISO 3166-1 alpha-2.
    pub country: Option<String>,
    /// Lifetime value in minor units of the workspace's currency.
    pub ltv_amount: i64,
    /// Paid orders.
    pub order_count: i64,
    /// Subscriptions now active.
    pub active_subscriptions: i64,
    /// The latest subscription's status.
    pub subscription_status: Option<SubscriptionStatus>,
    /// When the customer was created.
    pub created_at: DateTime<Utc>,
}

/// Every customer a query matches, in the query's order, as one statement for the caller to
/// stream (`rows.stream(&db)`): the export reads at the database's pace, with no paging and
/// no row in memory but the one being written.
pub struct CustomerExport {
    /// The workspace's currency, that of every lifetime value.
    pub currency: CurrencyCode,
    /// The statement.
    pub rows: sea_orm::Selector<sea_orm::SelectModel<ExportRow>>,
}

impl std::fmt::Debug for CustomerExport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CustomerExport")
            .field("currency", &self.currency)
            .finish_non_exhaustive()
    }
}

/// The export of `query` (its own cursors and page size are ignored): the list's filters,
/// search and order.
pub async fn export_customers(
    svc: &Services,
    caller: &Caller,
    query: &CustomerQuery,
) -> Result<CustomerExport, DomainError> {
    caller.require(Scope::CustomersRead)?;
    let (key, down) = key_of(query.sort);
    let rows = ordered(matching(svc, caller, query).await?, key, down)
        .select_only()
        .columns([
            customer::Column::Id,
            customer::Column::Email,
            customer::Column::Name,
            customer::Column::ExternalId,
            customer::Column::Country,
            customer::Column::LtvAmount,
            customer::Column::OrderCount,
            customer::Column::ActiveSubscriptions,
            customer::Column::SubscriptionStatus,
            customer::Column::CreatedAt,
        ])
        .into_model::<ExportRow>();
    let currency = svc.workspace_currency(&caller.workspace_id).await?;
    Ok(CustomerExport { currency, rows })
}
