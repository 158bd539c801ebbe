//! The hosted customer portal: its three doors (a one-time link minted by the merchant's back
//! end, the signed link in every receipt, a one-time code by email), each exchanged for a
//! portal session (a first-party cookie), and what a signed-in end customer may see and do.
//! A session names one customer of one workspace; every read and action here is scoped by
//! both, so no request can reach another customer's data. A merchant's read-only view of a
//! customer's portal acts as the merchant user who opened it, with that user's role.

mod actions;
mod codes;
pub mod embed;
mod links;

pub use actions::{
    CARD_TRY_CUSTOMER, CARD_TRY_IP, CARD_TRY_SESSION, cancel_subscription, download_link,
    link_discord, recover_subscription, request_erasure, reveal_license_key, update_payment_method,
};
pub use codes::{
    CODE_LEN, CODE_REQUEST_EMAIL, CODE_REQUEST_IP, CODE_TRIES, CODE_TRY_EMAIL, CODE_TRY_IP,
    CODE_TTL, choices, choose, request_code, sign_in_page, sign_in_with_code,
};
pub use links::{open_signed_link, portal_link, rotate_portal_link};

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction,
    EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde_json::json;

use super::actor::{Actor, Caller};
use super::audit::{self, Change};
use super::secrets::{random_token, sha256_hex};
use super::{DomainError, Services, products, workspaces};
use crate::db::entities::customer_session::{self as cs, CustomerSessionKind};
use crate::db::entities::{customer, membership, order, subscription, workspace};
use crate::types::EventType;
use crate::types::colour::Colour;
use crate::types::portal::{
    CustomerSession, CustomerSessionCreate, PortalBranding, PortalOrder, PortalOverview,
    PortalState, PortalSubscription,
};
use crate::types::subscription::SubscriptionStatus;
use crate::types::{CustomerId, ProductId, Scope, UserId, WorkspaceId};

/// How long a minted link may wait to be opened.
pub const LINK_TTL: Duration = Duration::hours(1);
/// How long a portal session lasts after the link was opened.
pub const SESSION_TTL: Duration = Duration::hours(12);
/// How long a merchant's read-only view as a customer lasts.
pub const IMPERSONATION_TTL: Duration = Duration::hours(1);
/// The orders the overview lists.
const ORDERS_SHOWN: u64 = 50;

/// A signed-in end customer: whose portal, in which shop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortalCustomer {
    /// The shop.
    pub workspace_id: WorkspaceId,
    /// The customer.
    pub customer_id: CustomerId,
    /// The merchant's "Back to the shop" address, from the link.
    pub return_url: Option<String>,
    /// In a merchant's read-only view of the portal: the merchant user who opened it, with
    /// their role in the shop as it is now. The view reads what that user may read in the
    /// dashboard, on record as them, and changes nothing. `None` for the customer themselves.
    pub merchant: Option<Caller>,
    /// The session's key (its token's hash): what per-session limits count against.
    pub session: String,
}

impl PortalCustomer {
    /// Whether this is a merchant's view as the customer: it may read, never change.
    pub fn read_only(&self) -> bool {
        self.merchant.is_some()
    }
}

/// What opening a link or signing in with a code gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Opened {
    /// A portal session: the cookie's token and when it ends.
    Session {
        /// The session token (the cookie's value).
        token: String,
        /// When it ends.
        expires_at: DateTime<Utc>,
    },
    /// The link is expired, used, rotated or not Patron's. `slug` names the shop's sign-in
    /// page when the link's shop is known.
    Refused {
        /// The shop's portal address.
        slug: Option<String>,
    },
}

/// Starts a portal session (or a choice, or a merchant's view) of `kind` inside `conn`; with an
/// `embed_origin`, bound to the origin of the merchant page that embeds the portal.
pub(crate) async fn start_session<C: ConnectionTrait>(
    conn: &C,
    svc: &Services,
    workspace_id: &WorkspaceId,
    customer_id: &CustomerId,
    return_url: Option<String>,
    kind: CustomerSessionKind,
    embed_origin: Option<String>,
) -> Result<(String, DateTime<Utc>), DomainError> {
    insert_session(
        conn,
        svc,
        NewSession {
            workspace_id,
            customer_id,
            return_url,
            kind,
            embed_origin,
            opened_by: None,
        },
    )
    .await
}

/// A session about to be written.
struct NewSession<'a> {
    workspace_id: &'a WorkspaceId,
    customer_id: &'a CustomerId,
    return_url: Option<String>,
    kind: CustomerSessionKind,
    embed_origin: Option<String>,
    /// The merchant user a read-only view acts as.
    opened_by: Option<UserId>,
}

/// Writes a session: the token to hand out (only its hash is kept) and when it ends.
async fn insert_session<C: ConnectionTrait>(
    conn: &C,
    svc: &Services,
    new: NewSession<'_>,
) -> Result<(String, DateTime<Utc>), DomainError> {
    let NewSession {
        workspace_id,
        customer_id,
        return_url,
        kind,
        embed_origin,
        opened_by,
    } = new;
    let now = svc.clock.now();
    let token = random_token(43);
    let expires_at = now
        + match kind {
            CustomerSessionKind::Pick => codes::pick_ttl(),
            CustomerSessionKind::Impersonation => IMPERSONATION_TTL,
            CustomerSessionKind::Link => LINK_TTL,
            CustomerSessionKind::Session => SESSION_TTL,
            CustomerSessionKind::Embed => embed::EMBED_SESSION_TTL,
        };
    cs::ActiveModel {
        token_hash: Set(sha256_hex(&token)),
        kind: Set(kind),
        workspace_id: Set(workspace_id.clone()),
        customer_id: Set(customer_id.clone()),
        return_url: Set(return_url),
        created_at: Set(now),
        expires_at: Set(expires_at),
        used_at: Set(None),
        embed_origin: Set(embed_origin),
        opened_by: Set(opened_by),
    }
    .insert(conn)
    .await?;
    Ok((token, expires_at))
}

/// A shop's look, from its row.
pub(crate) fn branding_of(ws: &workspace::Model) -> PortalBranding {
    PortalBranding {
        shop: ws.name.clone(),
        slug: ws.slug.clone().unwrap_or_else(|| ws.id.to_string()),
        logo_url: ws.portal_logo_url.clone(),
        // Only ever `#rrggbb`: it ends up in a `style` attribute.
        accent_color: ws
            .portal_accent_color
            .as_deref()
            .and_then(Colour::parse)
            .map(Colour::hex),
    }
}

fn checked_return_url(raw: &str) -> Result<String, DomainError> {
    let bad = || {
        DomainError::invalid(
            "return_url",
            "must be an https:// address (http:// only on localhost or a loopback address)",
        )
    };
    let url = url::Url::parse(raw.trim()).map_err(|_| bad())?;
    match url.scheme() {
        "https" if url.host().is_some() => Ok(url.to_string()),
        "http" if workspaces::loopback(url.host()) => Ok(url.to_string()),
        _ => Err(bad()),
    }
}

/// The origin of the page a link is minted for: one origin (no wildcard) that the shop's
/// list allows.
fn checked_embed_origin(shop: &workspace::Model, raw: &str) -> Result<String, DomainError> {
    let origin = workspaces::checked_origin(raw, "embed_origin")?;
    if origin.contains('*') {
        return Err(DomainError::invalid(
            "embed_origin",
            "name the one origin of the page that embeds the portal, such as https://shop.example",
        ));
    }
    if !embed::allows(&embed::origins_of(shop), &origin) {
        // Whether the shop lists it is the workspace's state, not the request's form.
        return Err(DomainError::unprocessable(
            "embed_origin",
            format!(
                "{origin} may not embed this shop's portal: add it to the workspace's embed origins first (Settings, or PATCH /api/v1/workspace)"
            ),
        ));
    }
    Ok(origin)
}

/// Mints a one-time portal link for a customer of the caller's workspace, at the address
/// customers reach Patron at ([`Services::public_url`]).
pub async fn create_customer_session(
    svc: &Services,
    caller: &Caller,
    input: CustomerSessionCreate,
) -> Result<CustomerSession, DomainError> {
    caller.require(Scope::PortalWrite)?;
    let return_url = input
        .return_url
        .as_deref()
        .filter(|u| !u.trim().is_empty())
        .map(checked_return_url)
        .transpose()?;
    let found = match (input.customer_id, input.external_id) {
        (Some(id), None) => {
            customer::Entity::find_by_id(id)
                .filter(customer::Column::WorkspaceId.eq(&caller.workspace_id))
                .one(&svc.db)
                .await?
        }
        (None, Some(external_id)) => {
            customer::Entity::find()
                .filter(customer::Column::WorkspaceId.eq(&caller.workspace_id))
                .filter(customer::Column::ExternalId.eq(external_id.trim()))
                .one(&svc.db)
                .await?
        }
        _ => {
            return Err(DomainError::unprocessable(
                "customer_id",
                "give either customer_id or external_id, not both",
            ));
        }
    };
    let customer = found.ok_or(DomainError::NotFound { what: "customer" })?;
    crate::domain::erasure::refuse_if_erased(&customer)?;
    let shop = workspace::Entity::find_by_id(caller.workspace_id.clone())
        .one(&svc.db)
        .await?
        .ok_or(DomainError::NotFound { what: "workspace" })?;
    let embed_origin = input
        .embed_origin
        .as_deref()
        .filter(|o| !o.trim().is_empty())
        .map(|raw| checked_embed_origin(&shop, raw))
        .transpose()?;
    let txn = svc.write_txn().await?;
    let (token, expires_at) = start_session(
        &txn,
        svc,
        &caller.workspace_id,
        &customer.id,
        return_url,
        CustomerSessionKind::Link,
        embed_origin.clone(),
    )
    .await?;
    let changes = json!({"expires_at": expires_at, "embed_origin": embed_origin});
    let action = EventType::CustomerPortalLinkCreated;
    record_and_commit(txn, svc, caller, action, &customer.id, changes).await?;
    let url = match &embed_origin {
        // The token rides in the fragment, which browsers never send to a server.
        Some(_) => format!(
            "{}/embed/{}#token={token}",
            svc.public_url,
            branding_of(&shop).slug
        ),
        None => format!("{}/portal/session/{token}", svc.public_url),
    };
    Ok(CustomerSession {
        object: "customer_session".into(),
        url,
        customer_id: customer.id,
        token,
        expires_at,
    })
}

/// Exchanges a one-time link's token for a portal session: the link works once, within its
/// hour.
pub async fn open_link(svc: &Services, token: &str) -> Result<Opened, DomainError> {
    let hash = sha256_hex(token);
    let now = svc.clock.now();
    let txn = svc.write_txn().await?;
    // One statement spends the link: of two tabs opening it at once, one wins.
    let spent = cs::Entity::update_many()
        .col_expr(cs::Column::UsedAt, Expr::val(Some(now)))
        .filter(cs::Column::TokenHash.eq(&hash))
        .filter(cs::Column::Kind.eq(CustomerSessionKind::Link))
        // A link minted for an embed opens only inside the page it was minted for.
        .filter(cs::Column::EmbedOrigin.is_null())
        .filter(cs::Column::UsedAt.is_null())
        .filter(cs::Column::ExpiresAt.gt(now))
        .exec(&txn)
        .await?;
    let link = cs::Entity::find_by_id(hash)
        .filter(cs::Column::Kind.eq(CustomerSessionKind::Link))
        .one(&txn)
        .await?;
    let Some(link) = link else {
        txn.rollback().await?;
        return Ok(Opened::Refused { slug: None });
    };
    if spent.rows_affected != 1 {
        txn.rollback().await?;
        // A used or expired link not yet swept still tells whose shop it was.
        let slug = workspaces::get_workspace(&svc.db, &link.workspace_id)
            .await?
            .slug;
        return Ok(Opened::Refused { slug: Some(slug) });
    }
    let (token, expires_at) = start_session(
        &txn,
        svc,
        &link.workspace_id,
        &link.customer_id,
        link.return_url,
        CustomerSessionKind::Session,
        None,
    )
    .await?;
    txn.commit().await?;
    Ok(Opened::Session { token, expires_at })
}

/// A merchant's "Open portal as this customer": a read-only portal session for an hour,
/// audited. The view acts as the merchant user who opens it (see
/// [`PortalCustomer::merchant`]), so only a signed-in merchant user can open one.
pub async fn impersonate(
    svc: &Services,
    caller: &Caller,
    id: &CustomerId,
) -> Result<(String, DateTime<Utc>), DomainError> {
    caller.require(Scope::CustomersRead)?;
    let Actor::User { id: user_id, .. } = &caller.actor else {
        // A key or Patron itself has no dashboard, and a view must name who looks.
        return Err(DomainError::Unauthenticated);
    };
    let row = crate::domain::find::in_workspace::<customer::Entity, _, _, _>(
        &svc.db,
        &caller.workspace_id,
        id.clone(),
    )
    .await?;
    let txn = svc.write_txn().await?;
    let (token, expires_at) = insert_session(
        &txn,
        svc,
        NewSession {
            workspace_id: &caller.workspace_id,
            customer_id: &row.id,
            return_url: None,
            kind: CustomerSessionKind::Impersonation,
            embed_origin: None,
            opened_by: Some(user_id.clone()),
        },
    )
    .await?;
    let changes = json!({"read_only": true, "expires_at": expires_at});
    let action = EventType::CustomerPortalViewed;
    record_and_commit(txn, svc, caller, action, &row.id, changes).await?;
    Ok((token, expires_at))
}

/// The end of a merchant's change to a customer's portal: records `action` on the customer
/// `id`, made by `caller`, in `txn`, and commits it.
async fn record_and_commit(
    txn: DatabaseTransaction,
    svc: &Services,
    caller: &Caller,
    action: EventType,
    id: &CustomerId,
    changes: serde_json::Value,
) -> Result<(), DomainError> {
    audit::record(&txn, svc, caller, Change::customer(action, id, changes)).await?;
    txn.commit().await?;
    Ok(())
}

/// The customer a live portal session belongs to; `Unauthenticated` otherwise.
pub async fn session_customer(svc: &Services, token: &str) -> Result<PortalCustomer, DomainError> {
    let row = cs::Entity::find_by_id(sha256_hex(token))
        .filter(cs::Column::Kind.is_in([
            CustomerSessionKind::Session,
            CustomerSessionKind::Impersonation,
            CustomerSessionKind::Embed,
        ]))
        .filter(cs::Column::ExpiresAt.gt(svc.clock.now()))
        .one(&svc.db)
        .await?
        .ok_or(DomainError::Unauthenticated)?;
    let merchant = if row.kind == CustomerSessionKind::Impersonation {
        Some(viewing_merchant(svc, &row).await?)
    } else {
        None
    };
    Ok(PortalCustomer {
        workspace_id: row.workspace_id,
        customer_id: row.customer_id,
        return_url: row.return_url,
        merchant,
        session: row.token_hash,
    })
}

/// The merchant user a read-only view acts as, with their role in the shop now (a role
/// changed since the view opened counts at once). A view whose user has left the shop, or
/// that names nobody, is over.
async fn viewing_merchant(svc: &Services, row: &cs::Model) -> Result<Caller, DomainError> {
    let user_id = row.opened_by.clone().ok_or(DomainError::Unauthenticated)?;
    let member = membership::Entity::find_by_id((row.workspace_id.clone(), user_id))
        .one(&svc.db)
        .await?
        .ok_or(DomainError::Unauthenticated)?;
    Ok(Caller {
        workspace_id: member.workspace_id,
        actor: Actor::User {
            id: member.user_id,
            role: member.role,
        },
        ip: None,
        idempotency_key: None,
    })
}

/// What the portal's front door shows for a cookie token (or none).
pub async fn state(svc: &Services, token: Option<&str>) -> Result<PortalState, DomainError> {
    let Some(token) = token else {
        return Ok(PortalState::SignedOut);
    };
    match session_customer(svc, token).await {
        Ok(who) => return Ok(PortalState::SignedIn(Box::new(overview(svc, &who).await?))),
        Err(DomainError::Unauthenticated) => {}
        Err(e) => return Err(e),
    }
    match codes::choices(svc, token).await {
        Ok(c) => Ok(PortalState::Choosing(c)),
        Err(DomainError::Unauthenticated) => Ok(PortalState::SignedOut),
        Err(e) => Err(e),
    }
}

/// Ends a portal session (signing out).
pub async fn end_session(svc: &Services, token: &str) -> Result<(), DomainError> {
    cs::Entity::delete_many()
        .filter(cs::Column::TokenHash.eq(sha256_hex(token)))
        .filter(cs::Column::Kind.ne(CustomerSessionKind::Link))
        .exec(&svc.db)
        .await?;
    Ok(())
}

/// Deletes links, sessions and sign-in codes that have expired.
pub async fn sweep_expired(svc: &Services) -> Result<u64, DomainError> {
    let done = cs::Entity::delete_many()
        .filter(cs::Column::ExpiresAt.lte(svc.clock.now()))
        .exec(&svc.db)
        .await?;
    Ok(done.rows_affected + codes::sweep_expired(svc).await?)
}

/// "Download my data": everything Patron holds about the signed-in customer, the same
/// document the merchant's API and dashboard give.
pub async fn export_my_data(
    svc: &Services,
    who: &PortalCustomer,
) -> Result<crate::types::customer::CustomerDataExport, DomainError> {
    // The session names the customer; the export reads as the shop itself would.
    let caller = Caller::system(who.workspace_id.clone());
    super::data_export::export_customer_data(svc, &caller, &who.customer_id).await
}

/// The receipt of one of the customer's paid orders; `NotFound` for an order that is not
/// theirs or was never paid.
pub async fn receipt(
    svc: &Services,
    who: &PortalCustomer,
    order_id: &crate::types::OrderId,
) -> Result<crate::types::portal::PortalReceipt, DomainError> {
    let missing = || DomainError::NotFound { what: "order" };
    let row = order::Entity::find_by_id(order_id.clone())
        .filter(order::Column::WorkspaceId.eq(&who.workspace_id))
        .filter(order::Column::CustomerId.eq(&who.customer_id))
        .one(&svc.db)
        .await?
        .ok_or_else(missing)?;
    let paid_at = row.paid_at.ok_or_else(missing)?;
    let shop = workspace::Entity::find_by_id(who.workspace_id.clone())
        .one(&svc.db)
        .await?
        .ok_or(DomainError::Unauthenticated)?;
    let me = customer::Entity::find_by_id(who.customer_id.clone())
        .one(&svc.db)
        .await?
        .ok_or(DomainError::Unauthenticated)?;
    let product_name = products::names(&svc.db, [row.product_id.clone()])
        .await?
        .remove(&row.product_id)
        .unwrap_or_default();
    Ok(crate::types::portal::PortalReceipt {
        branding: branding_of(&shop),
        seller: super::receipts::seller_of_order(&row, &shop),
        receipt_number: row
            .receipt_number
            .map(crate::types::order::receipt_number_label),
        order_id: row.id,
        kind: row.kind,
        product_name,
        amount: row.amount,
        currency: row.currency,
        refunded_amount: row.refunded_amount,
        status: row.status,
        paid_at,
        payment_method: serde_json::from_str::<Option<crate::types::order::PaymentMethod>>(
            &row.payment_method,
        )
        .ok()
        .flatten()
        .map(|m| m.label()),
        name: me.name,
        email: me.email,
        country: me.country,
    })
}

/// What the signed-in customer sees first: the shop, themselves, their orders and their
/// subscriptions. Never the merchant's internal notes or reasons.
pub async fn overview(svc: &Services, who: &PortalCustomer) -> Result<PortalOverview, DomainError> {
    let shop = workspace::Entity::find_by_id(who.workspace_id.clone())
        .one(&svc.db)
        .await?
        .ok_or(DomainError::Unauthenticated)?;
    let me = customer::Entity::find_by_id(who.customer_id.clone())
        .filter(customer::Column::WorkspaceId.eq(&who.workspace_id))
        .one(&svc.db)
        .await?
        .ok_or(DomainError::Unauthenticated)?;
    let orders = order::Entity::find()
        .filter(order::Column::WorkspaceId.eq(&who.workspace_id))
        .filter(order::Column::CustomerId.eq(&who.customer_id))
        .order_by_desc(order::Column::Id)
        .limit(ORDERS_SHOWN)
        .all(&svc.db)
        .await?;
    let mut subs = subscription::Entity::find()
        .filter(subscription::Column::WorkspaceId.eq(&who.workspace_id))
        .filter(subscription::Column::CustomerId.eq(&who.customer_id))
        .order_by_desc(subscription::Column::Id)
        .all(&svc.db)
        .await?;
    // Live ones first; the sort is stable, so each group stays newest first.
    subs.sort_by_key(|s| {
        !matches!(
            s.status,
            SubscriptionStatus::Active | SubscriptionStatus::PastDue
        )
    });
    let names = products::names(
        &svc.db,
        orders
            .iter()
            .map(|o| o.product_id.clone())
            .chain(subs.iter().map(|s| s.product_id.clone())),
    )
    .await?;
    let name_of = |id: &ProductId| names.get(id).cloned().unwrap_or_default();
    let items =
        super::entitlements::portal_items(&svc.db, &who.workspace_id, &who.customer_id).await?;
    let now = svc.clock.now();
    let erasure_due_at = crate::db::entities::erasure_request::Entity::find()
        .filter(crate::db::entities::erasure_request::Column::CustomerId.eq(&who.customer_id))
        .filter(crate::db::entities::erasure_request::Column::CompletedAt.is_null())
        .one(&svc.db)
        .await?
        .map(|r| r.due_at);
    Ok(PortalOverview {
        erasure_due_at,
        branding: branding_of(&shop),
        shop: shop.name,
        read_only: who.read_only(),
        banned: me.banned_until.is_some_and(|t| t > now),
        name: me.name,
        email: me.email,
        return_url: who.return_url.clone(),
        orders: orders
            .into_iter()
            .map(|o| PortalOrder {
                paid: o.paid_at.is_some(),
                subscription_id: o.subscription_id,
                product_name: name_of(&o.product_id),
                at: o.paid_at.unwrap_or(o.created_at),
                id: o.id,
                amount: o.amount,
                currency: o.currency,
                refunded_amount: o.refunded_amount,
                status: o.status,
            })
            .collect(),
        subscriptions: subs
            .into_iter()
            .map(|s| PortalSubscription {
                product_name: name_of(&s.product_id),
                id: s.id,
                amount: s.amount,
                currency: s.currency,
                interval: s.interval,
                interval_count: s.interval_count,
                status: s.status,
                current_period_end: s.current_period_end,
                cancel_at_period_end: s.cancel_at_period_end,
                payment_method: serde_json::from_str::<crate::types::order::PaymentMethod>(
                    &s.payment_method,
                )
                .ok()
                .map(|m| m.label()),
            })
            .collect(),
        items,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_return_url_is_https_or_loopback_http() {
        assert!(checked_return_url("https://shop.example/account").is_ok());
        assert!(checked_return_url("http://localhost:5173/").is_ok());
        assert!(checked_return_url("http://127.0.0.1:8080/x").is_ok());
        for bad in [
            "http://shop.example/",
            "javascript:alert(1)",
            "ftp://x",
            "shop.example",
        ] {
            assert!(checked_return_url(bad).is_err(), "{bad}");
        }
    }
}
