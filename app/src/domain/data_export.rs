//! Everything Patron holds about one customer, as one document (GDPR Art. 15, right of
//! access). One function makes it for every door: the REST API, the dashboard's button and the
//! customer's own "Download my data" in the portal.

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use super::actor::Caller;
use super::{
    DomainError, Services, customers, entitlements, orders, payment_details, subscriptions,
};
use crate::db::entities::{entitlement as ent, order, subscription as sub};
use crate::types::customer::CustomerDataExport;
use crate::types::{CustomerId, Scope};

/// The export of `id`, a customer of the caller's workspace.
pub async fn export_customer_data(
    svc: &Services,
    caller: &Caller,
    id: &CustomerId,
) -> Result<CustomerDataExport, DomainError> {
    caller.require(Scope::CustomersRead)?;
    let customer = customers::get_customer(svc, caller, id).await?;
    let ws = &caller.workspace_id;
    let order_rows = order::Entity::find()
        .filter(order::Column::WorkspaceId.eq(ws))
        .filter(order::Column::CustomerId.eq(id))
        .order_by_asc(order::Column::Id)
        .all(&svc.db)
        .await?;
    let sub_rows = sub::Entity::find()
        .filter(sub::Column::WorkspaceId.eq(ws))
        .filter(sub::Column::CustomerId.eq(id))
        .order_by_asc(sub::Column::Id)
        .all(&svc.db)
        .await?;
    let ent_rows = ent::Entity::find()
        .filter(ent::Column::WorkspaceId.eq(ws))
        .filter(ent::Column::CustomerId.eq(id))
        .order_by_asc(ent::Column::Id)
        .all(&svc.db)
        .await?;
    Ok(CustomerDataExport {
        object: "customer_data_export".into(),
        generated_at: svc.clock.now(),
        workspace: super::workspaces::get_workspace(&svc.db, ws).await?.name,
        customer,
        orders: orders::present(&svc.db, order_rows).await?,
        refunds: orders::refunds_of_customer(&svc.db, caller, id).await?,
        disputes: orders::disputes_of_customer(&svc.db, caller, id).await?,
        subscriptions: subscriptions::present(&svc.db, sub_rows).await?,
        invoices: subscriptions::invoices_of_customer(&svc.db, caller, id).await?,
        entitlements: entitlements::present(&svc.db, ent_rows).await?,
        payment_details: payment_details::list_payment_details(svc, caller, id).await?,
    })
}
