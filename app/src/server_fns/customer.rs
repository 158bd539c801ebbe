//! Server functions behind the customer page: its header, each tab's data, and every action.
//! Each needs a live session; the domain checks the role's scope and the workspace, so another
//! workspace's id answers "not found" and a viewer's write answers "forbidden".

use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use crate::types::activity::{ActivityEntry, CustomerPageData};
use crate::types::ban::{Ban, BanCreate, BanIdentity, BanIdentityReach, BanPreview, BanUpdate};
use crate::types::customer::CustomerUpdate;
use crate::types::entitlement::{
    DiscordLink, DownloadLink, EntitlementGrant, EntitlementRevoke, LicenseKeyReveal,
};
use crate::types::order::{ProductPurchases, RefundCreate, RefundsAndDisputes, RepaymentCreate};
use crate::types::subscription::{SubscriptionCancel, SubscriptionRevoke};
use crate::types::{
    AppError, Customer, Entitlement, Invoice, Order, Page, PaymentDetail, Refund, Subscription,
};

#[cfg(feature = "ssr")]
mod on_server {
    use std::str::FromStr;

    use crate::types::AppError;

    pub use crate::server_fns::ctx::{as_caller, given};

    /// An id from the page: a malformed one names nothing, like an unknown one.
    pub fn id<T: FromStr>(raw: &str, what: &'static str) -> Result<T, AppError> {
        Ok(crate::domain::paging::id(raw, what)?)
    }

    /// A filter value from the page, or a clear error naming it.
    pub fn filter<T: FromStr<Err = String>>(
        raw: Option<String>,
        field: &str,
    ) -> Result<Option<T>, AppError> {
        Ok(crate::domain::paging::cursor(field, raw.as_deref())?)
    }
}

/// The header and overview: customer, stats, revenue per month, last order, and the viewer's role.
#[server(prefix = "/rpc", endpoint = "customer/page")]
pub async fn load_customer_page(id: String) -> Result<CustomerPageData, AppError> {
    use crate::domain::activity;
    on_server::as_caller(|svc, caller| async move {
        let id = on_server::id(&id, "customer")?;
        Ok(activity::customer_page(&svc, &caller, &id).await?)
    })
    .await
}

/// Edits a customer's fields or metadata; `patch.version` guards against concurrent edits.
#[server(prefix = "/rpc", endpoint = "customer/update", input = Json)]
pub async fn update_customer(id: String, patch: CustomerUpdate) -> Result<Customer, AppError> {
    use crate::domain::customers;
    on_server::as_caller(|svc, caller| async move {
        let id = on_server::id(&id, "customer")?;
        Ok(customers::update_customer(&svc, &caller, &id, patch).await?)
    })
    .await
}

/// Erases a customer's personal data (GDPR Art. 17): admins and owners.
#[server(prefix = "/rpc", endpoint = "customer/erase", input = Json)]
pub async fn erase_customer(id: String) -> Result<Customer, AppError> {
    on_server::as_caller(|svc, caller| async move {
        let id = on_server::id(&id, "customer")?;
        Ok(crate::domain::erasure::erase_customer(&svc, &caller, &id, true).await?)
    })
    .await
}

/// What merging the customer into `into` would do.
#[server(prefix = "/rpc", endpoint = "customer/merge_preview")]
pub async fn preview_merge(
    id: String,
    into: String,
) -> Result<crate::types::merge::MergePreview, AppError> {
    on_server::as_caller(|svc, caller| async move {
        let id = on_server::id(&id, "customer")?;
        let into = on_server::id(&into, "customer")?;
        let input = crate::types::merge::MergeRequest {
            into,
            preview: true,
        };
        Ok(crate::domain::merges::preview_merge(&svc, &caller, &id, &input).await?)
    })
    .await
}

/// Merges the customer into `into`.
#[server(prefix = "/rpc", endpoint = "customer/merge")]
pub async fn merge_customer(
    id: String,
    into: String,
) -> Result<crate::types::merge::CustomerMerge, AppError> {
    on_server::as_caller(|svc, caller| async move {
        let id = on_server::id(&id, "customer")?;
        let into = on_server::id(&into, "customer")?;
        let input = crate::types::merge::MergeRequest {
            into,
            preview: false,
        };
        Ok(crate::domain::merges::merge(&svc, &caller, &id, &input).await?)
    })
    .await
}

/// Undoes a merge.
#[server(prefix = "/rpc", endpoint = "customer/merge_undo")]
pub async fn undo_merge(id: String) -> Result<crate::types::merge::CustomerMerge, AppError> {
    on_server::as_caller(|svc, caller| async move {
        let id = crate::types::MergeId::parse(&id).map_err(|_| AppError::NotFound {
            what: "merge".into(),
        })?;
        Ok(crate::domain::merges::undo_merge(&svc, &caller, &id).await?)
    })
    .await
}

/// The workspace's open erasure requests, soonest due first.
#[server(prefix = "/rpc", endpoint = "customer/erasure_requests")]
pub async fn load_erasure_requests() -> Result<Vec<crate::types::portal::ErasureRequest>, AppError>
{
    on_server::as_caller(|svc, caller| async move {
        Ok(crate::domain::erasure::open_requests(&svc, &caller).await?)
    })
    .await
}

/// Archives a customer: out of the list, kept with everything they bought.
#[server(prefix = "/rpc", endpoint = "customer/archive", input = Json)]
pub async fn archive_customer(id: String) -> Result<Customer, AppError> {
    use crate::domain::customers;
    on_server::as_caller(|svc, caller| async move {
        let id = on_server::id(&id, "customer")?;
        Ok(customers::archive_customer(&svc, &caller, &id).await?)
    })
    .await
}

/// Brings an archived customer back to the list.
#[server(prefix = "/rpc", endpoint = "customer/unarchive", input = Json)]
pub async fn unarchive_customer(id: String) -> Result<Customer, AppError> {
    use crate::domain::customers;
    on_server::as_caller(|svc, caller| async move {
        let id = on_server::id(&id, "customer")?;
        Ok(customers::unarchive_customer(&svc, &caller, &id).await?)
    })
    .await
}

/// A page of the customer's orders, newest first, optionally in one status or of one product.
#[server(prefix = "/rpc", endpoint = "customer/orders", input = Json)]
pub async fn list_orders(
    id: String,
    status: Option<String>,
    product_id: Option<String>,
    starting_after: Option<String>,
) -> Result<Page<Order>, AppError> {
    use crate::domain::orders;
    on_server::as_caller(|svc, caller| async move {
        let id = on_server::id(&id, "customer")?;
        let filter = orders::OrderFilter {
            status: on_server::filter(status, "status")?,
            product: product_id
                .map(|p| on_server::id(&p, "product"))
                .transpose()?,
        };
        let after = starting_after
            .map(|a| on_server::id(&a, "order"))
            .transpose()?;
        Ok(orders::list_orders(
            &svc,
            &caller,
            &id,
            filter,
            crate::domain::Limit::new(None)?,
            after,
        )
        .await?)
    })
    .await
}

/// What the customer bought, product by product, with each product's last action.
#[server(prefix = "/rpc", endpoint = "customer/products")]
pub async fn purchases_by_product(id: String) -> Result<Vec<ProductPurchases>, AppError> {
    use crate::domain::orders;
    on_server::as_caller(|svc, caller| async move {
        let id = on_server::id(&id, "customer")?;
        Ok(orders::purchases_by_product(&svc, &caller, &id).await?)
    })
    .await
}

/// An order's refunds and disputes, for its expanded row.
#[server(prefix = "/rpc", endpoint = "customer/order_history")]
pub async fn order_history(order_id: String) -> Result<RefundsAndDisputes, AppError> {
    use crate::domain::orders;
    on_server::as_caller(|svc, caller| async move {
        let id = on_server::id(&order_id, "order")?;
        Ok(orders::order_history(&svc, &caller, &id).await?)
    })
    .await
}

/// Refunds all or part of an order.
#[server(prefix = "/rpc", endpoint = "customer/refund", input = Json)]
pub async fn refund_order(order_id: String, refund: RefundCreate) -> Result<Refund, AppError> {
    use crate::domain::orders;
    on_server::as_caller(|svc, caller| async move {
        let id = on_server::id(&order_id, "order")?;
        let refund = RefundCreate {
            reason: on_server::given(refund.reason),
            ..refund
        };
        Ok(orders::refund_order(&svc, &caller, &id, refund).await?)
    })
    .await
}

/// Records a repayment for a chargeback, or requests one by payment link.
#[server(prefix = "/rpc", endpoint = "customer/repayment", input = Json)]
pub async fn request_repayment(
    dispute_id: String,
    repayment: RepaymentCreate,
) -> Result<Order, AppError> {
    use crate::domain::orders;
    on_server::as_caller(|svc, caller| async move {
        let id = on_server::id(&dispute_id, "dispute")?;
        Ok(orders::request_repayment(&svc, &caller, &id, repayment).await?)
    })
    .await
}

/// The customer's subscriptions, newest first, optionally in one status.
#[server(prefix = "/rpc", endpoint = "customer/subscriptions", input = Json)]
pub async fn list_subscriptions(
    id: String,
    status: Option<String>,
) -> Result<Vec<Subscription>, AppError> {
    use crate::domain::subscriptions;
    use crate::types::subscription::SubscriptionStatus;
    on_server::as_caller(|svc, caller| async move {
        let id = on_server::id(&id, "customer")?;
        let status: Option<SubscriptionStatus> = on_server::filter(status, "status")?;
        Ok(subscriptions::list_subscriptions(&svc, &caller, &id, status).await?)
    })
    .await
}

/// A subscription's billing history: every invoice with its payment attempts.
#[server(prefix = "/rpc", endpoint = "customer/invoices")]
pub async fn list_invoices(subscription_id: String) -> Result<Vec<Invoice>, AppError> {
    use crate::domain::subscriptions;
    on_server::as_caller(|svc, caller| async move {
        let id = on_server::id(&subscription_id, "subscription")?;
        Ok(subscriptions::list_invoices(&svc, &caller, &id).await?)
    })
    .await
}

/// Cancels a subscription now or at the end of its period.
#[server(prefix = "/rpc", endpoint = "customer/cancel_subscription", input = Json)]
pub async fn cancel_subscription(
    subscription_id: String,
    cancel: SubscriptionCancel,
) -> Result<Subscription, AppError> {
    use crate::domain::subscriptions;
    on_server::as_caller(|svc, caller| async move {
        let id = on_server::id(&subscription_id, "subscription")?;
        let cancel = SubscriptionCancel {
            reason: on_server::given(cancel.reason),
            ..cancel
        };
        Ok(subscriptions::cancel_subscription(&svc, &caller, &id, cancel).await?)
    })
    .await
}

/// Cancels a subscription and revokes its benefits at once.
#[server(prefix = "/rpc", endpoint = "customer/revoke_subscription", input = Json)]
pub async fn revoke_subscription(
    subscription_id: String,
    revoke: SubscriptionRevoke,
) -> Result<Subscription, AppError> {
    use crate::domain::subscriptions;
    on_server::as_caller(|svc, caller| async move {
        let id = on_server::id(&subscription_id, "subscription")?;
        let revoke = SubscriptionRevoke {
            reason: on_server::given(revoke.reason),
        };
        Ok(subscriptions::revoke_subscription(&svc, &caller, &id, revoke).await?)
    })
    .await
}

/// Takes back a scheduled cancellation.
#[server(prefix = "/rpc", endpoint = "customer/recover_subscription")]
pub async fn recover_subscription(subscription_id: String) -> Result<Subscription, AppError> {
    use crate::domain::subscriptions;
    on_server::as_caller(|svc, caller| async move {
        let id = on_server::id(&subscription_id, "subscription")?;
        Ok(subscriptions::recover_subscription(&svc, &caller, &id).await?)
    })
    .await
}

/// The customer's items (active, then ended), with their command logs.
#[server(prefix = "/rpc", endpoint = "customer/inventory")]
pub async fn list_entitlements(id: String) -> Result<Vec<Entitlement>, AppError> {
    use crate::domain::entitlements;
    on_server::as_caller(|svc, caller| async move {
        let id = on_server::id(&id, "customer")?;
        Ok(entitlements::list_entitlements(&svc, &caller, &id).await?)
    })
    .await
}

/// Gives the customer a product's items without a sale.
#[server(prefix = "/rpc", endpoint = "customer/assign", input = Json)]
pub async fn grant_entitlement(
    id: String,
    grant: EntitlementGrant,
) -> Result<Vec<Entitlement>, AppError> {
    use crate::domain::entitlements;
    on_server::as_caller(|svc, caller| async move {
        let id = on_server::id(&id, "customer")?;
        Ok(entitlements::grant_entitlement(&svc, &caller, &id, grant).await?)
    })
    .await
}

/// Revokes one item, running its product's revoke action.
#[server(prefix = "/rpc", endpoint = "customer/revoke_entitlement", input = Json)]
pub async fn revoke_entitlement(
    entitlement_id: String,
    revoke: EntitlementRevoke,
) -> Result<Entitlement, AppError> {
    use crate::domain::entitlements;
    on_server::as_caller(|svc, caller| async move {
        let id = on_server::id(&entitlement_id, "entitlement")?;
        let revoke = EntitlementRevoke {
            reason: on_server::given(revoke.reason),
        };
        Ok(entitlements::revoke_entitlement(&svc, &caller, &id, revoke).await?)
    })
    .await
}

/// Shows a licence key in full (audited).
#[server(prefix = "/rpc", endpoint = "customer/reveal_key")]
pub async fn reveal_license_key(entitlement_id: String) -> Result<LicenseKeyReveal, AppError> {
    use crate::domain::entitlements;
    on_server::as_caller(|svc, caller| async move {
        let id = on_server::id(&entitlement_id, "entitlement")?;
        Ok(entitlements::reveal_license_key(&svc, &caller, &id).await?)
    })
    .await
}

/// A signed, expiring link to a file-download item.
#[server(prefix = "/rpc", endpoint = "customer/download_link")]
pub async fn create_download_link(entitlement_id: String) -> Result<DownloadLink, AppError> {
    use crate::domain::entitlements;
    on_server::as_caller(|svc, caller| async move {
        let id = on_server::id(&entitlement_id, "entitlement")?;
        Ok(entitlements::create_download_link(&svc, &caller, &id).await?)
    })
    .await
}

/// Links (or, with no id, unlinks) the Discord user of a Discord-role item.
#[server(prefix = "/rpc", endpoint = "customer/link_discord", input = Json)]
pub async fn link_discord(
    entitlement_id: String,
    link: DiscordLink,
) -> Result<Entitlement, AppError> {
    use crate::domain::entitlements;
    on_server::as_caller(|svc, caller| async move {
        let id = on_server::id(&entitlement_id, "entitlement")?;
        // A blank id unlinks, as no id does.
        let link = DiscordLink {
            discord_user_id: on_server::given(link.discord_user_id),
        };
        Ok(entitlements::link_discord(&svc, &caller, &id, link).await?)
    })
    .await
}

/// The customer's cards, accounts, emails and IPs.
#[server(prefix = "/rpc", endpoint = "customer/payment_details")]
pub async fn list_payment_details(id: String) -> Result<Vec<PaymentDetail>, AppError> {
    use crate::domain::payment_details;
    on_server::as_caller(|svc, caller| async move {
        let id = on_server::id(&id, "customer")?;
        Ok(payment_details::list_payment_details(&svc, &caller, &id).await?)
    })
    .await
}

/// Blocks one payment detail: no purchase may use it.
#[server(prefix = "/rpc", endpoint = "customer/block_payment_detail", input = Json)]
pub async fn block_payment_detail(detail_id: String) -> Result<PaymentDetail, AppError> {
    use crate::domain::payment_details;
    on_server::as_caller(|svc, caller| async move {
        let id = on_server::id(&detail_id, "payment detail")?;
        Ok(payment_details::block_payment_detail(&svc, &caller, &id).await?)
    })
    .await
}

/// Unblocks one payment detail.
#[server(prefix = "/rpc", endpoint = "customer/unblock_payment_detail", input = Json)]
pub async fn unblock_payment_detail(detail_id: String) -> Result<PaymentDetail, AppError> {
    use crate::domain::payment_details;
    on_server::as_caller(|svc, caller| async move {
        let id = on_server::id(&detail_id, "payment detail")?;
        Ok(payment_details::unblock_payment_detail(&svc, &caller, &id).await?)
    })
    .await
}

/// Blocks every payment detail of a customer.
#[server(prefix = "/rpc", endpoint = "customer/block_all_payment_details", input = Json)]
pub async fn block_all_payment_details(id: String) -> Result<Vec<PaymentDetail>, AppError> {
    use crate::domain::payment_details;
    on_server::as_caller(|svc, caller| async move {
        let id = on_server::id(&id, "customer")?;
        Ok(payment_details::block_all_payment_details(&svc, &caller, &id).await?)
    })
    .await
}

/// Unblocks every payment detail of a customer.
#[server(prefix = "/rpc", endpoint = "customer/unblock_all_payment_details", input = Json)]
pub async fn unblock_all_payment_details(id: String) -> Result<Vec<PaymentDetail>, AppError> {
    use crate::domain::payment_details;
    on_server::as_caller(|svc, caller| async move {
        let id = on_server::id(&id, "customer")?;
        Ok(payment_details::unblock_all_payment_details(&svc, &caller, &id).await?)
    })
    .await
}

/// A page of the customer's audit trail, newest first; only payment-detail changes with
/// `payment_details_only` (the Payment details tab's log).
#[server(prefix = "/rpc", endpoint = "customer/activity", input = Json)]
pub async fn customer_activity(
    id: String,
    payment_details_only: bool,
    starting_after: Option<String>,
) -> Result<Page<ActivityEntry>, AppError> {
    use crate::domain::activity;
    on_server::as_caller(|svc, caller| async move {
        let id = on_server::id(&id, "customer")?;
        let after = starting_after
            .map(|a| on_server::id(&a, "event"))
            .transpose()?;
        let kind =
            payment_details_only.then_some(crate::types::activity::TargetKind::PaymentDetail);
        Ok(activity::customer_activity(
            &svc,
            &caller,
            &id,
            kind,
            crate::domain::Limit::new(None)?,
            after,
        )
        .await?)
    })
    .await
}

/// Which customers some identities would match: the ban dialog's live preview.
#[server(prefix = "/rpc", endpoint = "customer/ban_preview", input = Json)]
pub async fn preview_ban(identities: Vec<BanIdentity>) -> Result<BanPreview, AppError> {
    use crate::domain::bans;
    on_server::as_caller(|svc, caller| async move {
        Ok(bans::preview_ban(&svc, &caller, &identities).await?)
    })
    .await
}

/// How many other customers share each identity the ban dialog offers for a customer: it
/// ticks only the customer's own.
#[server(prefix = "/rpc", endpoint = "customer/ban_identities_preview", input = Json)]
pub async fn preview_ban_identities(
    customer_id: String,
    identities: Vec<BanIdentity>,
) -> Result<Vec<BanIdentityReach>, AppError> {
    use crate::domain::bans;
    on_server::as_caller(|svc, caller| async move {
        let id = on_server::id(&customer_id, "customer")?;
        Ok(bans::preview_ban_identities(&svc, &caller, Some(&id), &identities).await?)
    })
    .await
}

/// Bans the identities chosen in the dialog.
#[server(prefix = "/rpc", endpoint = "customer/ban", input = Json)]
pub async fn create_ban(ban: BanCreate) -> Result<Ban, AppError> {
    use crate::domain::bans;
    on_server::as_caller(
        |svc, caller| async move { Ok(bans::create_ban(&svc, &caller, ban).await?) },
    )
    .await
}

/// Edits a ban's reason, expiry or identities.
#[server(prefix = "/rpc", endpoint = "customer/ban_update", input = Json)]
pub async fn update_ban(ban_id: String, patch: BanUpdate) -> Result<Ban, AppError> {
    use crate::domain::bans;
    on_server::as_caller(|svc, caller| async move {
        let id = on_server::id(&ban_id, "ban")?;
        Ok(bans::update_ban(&svc, &caller, &id, patch).await?)
    })
    .await
}

/// Lifts a ban (Unban).
#[server(prefix = "/rpc", endpoint = "customer/ban_lift")]
pub async fn lift_ban(ban_id: String) -> Result<Ban, AppError> {
    use crate::domain::bans;
    on_server::as_caller(|svc, caller| async move {
        let id = on_server::id(&ban_id, "ban")?;
        Ok(bans::lift_ban(&svc, &caller, &id).await?)
    })
    .await
}

/// "Copy portal link": a fresh signed link into the customer's portal, as receipts carry.
#[server(prefix = "/rpc", endpoint = "customer/portal_link", input = Json)]
pub async fn copy_portal_link(id: String) -> Result<crate::types::portal::PortalLink, AppError> {
    on_server::as_caller(|svc, caller| async move {
        let id = on_server::id(&id, "customer")?;
        Ok(crate::domain::portal::portal_link(&svc, &caller, &id).await?)
    })
    .await
}

/// "Rotate portal link": every link sent before stops working and the customer's portal
/// sessions end; answers the new link.
#[server(prefix = "/rpc", endpoint = "customer/rotate_portal_link", input = Json)]
pub async fn rotate_portal_link(id: String) -> Result<crate::types::portal::PortalLink, AppError> {
    on_server::as_caller(|svc, caller| async move {
        let id = on_server::id(&id, "customer")?;
        Ok(crate::domain::portal::rotate_portal_link(&svc, &caller, &id).await?)
    })
    .await
}
