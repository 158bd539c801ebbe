//! The receipt: after each paid checkout, renewal or payment of an order, the order gets the
//! next receipt number of its workspace and the customer an order confirmation with their
//! portal link, written to the outbox in the same transaction that records the payment; and
//! that signed portal link, and the seller's details every receipt prints. A floor below
//! orders: the portal room opens the links it signs.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{ConnectionTrait, EntityTrait, Statement};

use crate::db::entities::email::EmailKind;
use crate::db::entities::{customer, order, product, workspace};
use crate::domain::outbox::{self, NewEmail};
use crate::domain::{DomainError, Services, secrets, workspaces};
use crate::types::money;
use crate::types::order::{OrderKind, receipt_number_label};
use crate::types::portal::{PortalLink, ReceiptSeller};
use crate::types::{CustomerId, WorkspaceId};

/// How long a receipt's portal link works.
pub const SIGNED_LINK_TTL: Duration = Duration::days(30);

/// What a portal link signs: the customer, their link version and the expiry.
pub(crate) fn link_message(customer_id: &str, version: i32, expires: i64) -> String {
    format!("portal.{customer_id}.{version}.{expires}")
}

/// A signed portal link for a customer at their current link version, inside `conn`.
pub(crate) async fn signed_link<C: ConnectionTrait>(
    conn: &C,
    svc: &Services,
    workspace_id: &WorkspaceId,
    customer_id: &CustomerId,
    version: i32,
) -> Result<PortalLink, DomainError> {
    let key = workspaces::signing_key(conn, workspace_id).await?;
    let expires_at = svc.clock.now() + SIGNED_LINK_TTL;
    let expires = expires_at.timestamp();
    let sig = secrets::sign(&key, &link_message(customer_id.as_str(), version, expires));
    Ok(PortalLink {
        url: format!(
            "{}/portal/link/{customer_id}.{expires}.{sig}",
            svc.public_url
        ),
        expires_at: DateTime::from_timestamp(expires, 0).unwrap_or(expires_at),
    })
}

/// Who sold, as the shop's receipts print it: its legal name (its name when none is set), the
/// lines of its address, its tax id and its support address.
pub(crate) fn seller_of(shop: &workspace::Model) -> ReceiptSeller {
    ReceiptSeller {
        legal_name: shop.legal_name.clone().unwrap_or_else(|| shop.name.clone()),
        address_lines: shop
            .legal_address
            .as_deref()
            .map(|a| {
                a.lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default(),
        tax_id: shop.tax_id.clone(),
        support_email: shop.support_email.clone(),
    }
}

/// Gives a paid order its workspace's next receipt number and the seller's details as they
/// stand, unless it has a number; answers the order's number and the seller its receipt names.
///
/// Runs inside the transaction that records the payment. The workspace's counter moves by one
/// in a single statement that answers the new value: on PostgreSQL the statement keeps the
/// workspace's row locked until the transaction ends, so two payments of one shop take their
/// numbers in turn (SQLite runs one writer at a time), and a payment rolled back gives its
/// number back with everything else: the numbers have no gaps. Nothing else numbers an order
/// meanwhile; should something have, the payment fails rather than leave a gap.
pub(crate) async fn number_receipt<C: ConnectionTrait>(
    conn: &C,
    order: &order::Model,
) -> Result<(i64, ReceiptSeller), DomainError> {
    let backend = conn.get_database_backend();
    let given = conn
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            "SELECT receipt_number, receipt_seller FROM orders WHERE id = $1",
            [order.id.as_str().into()],
        ))
        .await?
        .ok_or(DomainError::NotFound { what: "order" })?;
    let number: Option<i64> = given.try_get("", "receipt_number")?;
    let stored: Option<String> = given.try_get("", "receipt_seller")?;
    if let Some(n) = number {
        let seller = match stored.as_deref().and_then(seller_from_json) {
            Some(seller) => seller,
            None => current_seller(conn, &order.workspace_id).await?,
        };
        return Ok((n, seller));
    }
    let n: i64 = conn
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            "UPDATE workspaces SET receipt_seq = receipt_seq + 1 WHERE id = $1 \
             RETURNING receipt_seq",
            [order.workspace_id.as_str().into()],
        ))
        .await?
        .ok_or(DomainError::NotFound { what: "workspace" })?
        .try_get("", "receipt_seq")?;
    // Read after the counter moved: the row is this transaction's until it ends.
    let seller = current_seller(conn, &order.workspace_id).await?;
    let snapshot = serde_json::to_string(&seller)
        .map_err(|e| DomainError::internal(format!("a receipt's seller: {e}")))?;
    let numbered = conn
        .execute_raw(Statement::from_sql_and_values(
            backend,
            "UPDATE orders SET receipt_number = $1, receipt_seller = $2 \
             WHERE id = $3 AND receipt_number IS NULL",
            [n.into(), snapshot.into(), order.id.as_str().into()],
        ))
        .await?;
    if numbered.rows_affected() != 1 {
        return Err(DomainError::internal(format!(
            "order {} was given a receipt number meanwhile",
            order.id
        )));
    }
    Ok((n, seller))
}

/// The seller a numbered order's receipt names: the details kept when it was numbered, else
/// (an order numbered by the upgrade) the shop's current ones.
pub(crate) fn seller_of_order(order: &order::Model, shop: &workspace::Model) -> ReceiptSeller {
    order
        .receipt_seller
        .as_deref()
        .and_then(seller_from_json)
        .unwrap_or_else(|| seller_of(shop))
}

fn seller_from_json(json: &str) -> Option<ReceiptSeller> {
    serde_json::from_str(json).ok()
}

/// The shop's details as they stand, inside `conn`.
async fn current_seller<C: ConnectionTrait>(
    conn: &C,
    workspace_id: &crate::types::WorkspaceId,
) -> Result<ReceiptSeller, DomainError> {
    let shop = workspace::Entity::find_by_id(workspace_id.clone())
        .one(conn)
        .await?
        .ok_or(DomainError::NotFound { what: "workspace" })?;
    Ok(seller_of(&shop))
}

/// What a receipt email says.
struct ReceiptText<'a> {
    /// "Hello Ann Lee," or "Hello,".
    hello: String,
    /// The shop's name.
    shop: &'a str,
    /// The receipt's number.
    number: i64,
    /// The order's id.
    order_id: String,
    /// What was bought.
    what: &'a str,
    /// The amount paid, with its currency.
    paid: String,
    /// When it was paid.
    date: DateTime<Utc>,
    /// Who sold, when the shop has set its legal details.
    seller: Option<&'a ReceiptSeller>,
    /// Where customers write, if the shop says.
    support_email: Option<&'a str>,
    /// The customer's portal link.
    url: &'a str,
    /// When the link stops working.
    until: DateTime<Utc>,
}

/// A time as receipt emails give it, the zone named: `21 November 2026, 14:05 UTC`.
fn in_utc(t: DateTime<Utc>) -> String {
    t.format("%-d %B %Y, %H:%M UTC").to_string()
}

/// The receipt email's plain text: the details in one column, the seller under them, the
/// portal link, then where to write.
fn receipt_text(r: &ReceiptText<'_>) -> String {
    let mut details = vec![
        format!("Receipt: {}", receipt_number_label(r.number)),
        format!("Order:   {}", r.order_id),
        format!("Item:    {}", r.what),
        format!("Paid:    {}", r.paid),
        format!("Date:    {}", in_utc(r.date)),
    ];
    if let Some(seller) = r.seller {
        details.push(String::new());
        let lines = std::iter::once(seller.legal_name.clone())
            .chain(seller.address_lines.iter().cloned())
            .chain(seller.tax_id.iter().map(|t| format!("Tax ID: {t}")));
        for (i, line) in lines.enumerate() {
            let label = if i == 0 { "Seller:" } else { "" };
            details.push(format!("{label:<9}{line}"));
        }
    }
    let mut text = format!(
        "{hello}\n\n\
         Thank you for your payment to {shop}. This is your receipt.\n\n\
         {details}\n\n\
         Your orders, subscriptions, downloads and licence keys, and a copy of your data, are \
         in your customer portal:\n\n\
         {url}\n\n\
         The link is yours alone and works until {until}. Do not forward this email.\n",
        hello = r.hello,
        shop = r.shop,
        details = details.join("\n"),
        url = r.url,
        until = in_utc(r.until),
    );
    if let Some(support) = r.support_email {
        text.push_str(&format!(
            "\nQuestions about this purchase? Write to {support}.\n"
        ));
    }
    text
}

/// Numbers the receipt of a paid order and writes it to the outbox, inside `conn`. A customer
/// without an email address gets no email; their receipt is numbered all the same.
pub(crate) async fn send_receipt<C: ConnectionTrait>(
    conn: &C,
    svc: &Services,
    order: &order::Model,
) -> Result<(), DomainError> {
    let (number, seller) = number_receipt(conn, order).await?;
    let Some(buyer) = customer::Entity::find_by_id(order.customer_id.clone())
        .one(conn)
        .await?
    else {
        return Ok(());
    };
    let Some(to) = buyer.email.clone() else {
        return Ok(());
    };
    let shop = workspace::Entity::find_by_id(order.workspace_id.clone())
        .one(conn)
        .await?
        .ok_or(DomainError::NotFound { what: "workspace" })?;
    let item = product::Entity::find_by_id(order.product_id.clone())
        .one(conn)
        .await?
        .map(|p| p.name)
        .unwrap_or_else(|| "Your purchase".into());
    let link = signed_link(
        conn,
        svc,
        &order.workspace_id,
        &buyer.id,
        buyer.portal_link_version,
    )
    .await?;
    let what = match order.kind {
        OrderKind::Renewal => format!("{item} (renewal)"),
        _ => item.clone(),
    };
    let hello = buyer
        .name
        .as_deref()
        .map(|n| format!("Hello {n},"))
        .unwrap_or_else(|| "Hello,".into());
    // The legal name alone, when it is the shop's own name, adds nothing to the email.
    let has_legal_details = seller.legal_name != shop.name
        || !seller.address_lines.is_empty()
        || seller.tax_id.is_some();
    let text = receipt_text(&ReceiptText {
        hello,
        shop: &shop.name,
        number,
        order_id: order.id.to_string(),
        what: &what,
        paid: money::format(order.amount, order.currency),
        date: svc.clock.now(),
        seller: has_legal_details.then_some(&seller),
        support_email: seller.support_email.as_deref(),
        url: &link.url,
        until: link.expires_at,
    });
    outbox::enqueue(
        conn,
        svc,
        NewEmail {
            workspace_id: order.workspace_id.clone(),
            customer_id: Some(buyer.id.clone()),
            kind: EmailKind::Receipt,
            to,
            subject: format!("Your receipt from {}: {what}", shop.name),
            text,
        },
    )
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn text(seller: Option<&ReceiptSeller>, support: Option<&str>) -> String {
        let at = Utc.with_ymd_and_hms(2026, 11, 21, 14, 5, 0).unwrap();
        receipt_text(&ReceiptText {
            hello: "Hello Ann Lee,".into(),
            shop: "Northwind Games",
            number: 42,
            order_id: "ord_01KAKX6D00DEM0ORD0000000".into(),
            what: "Starter Kit",
            paid: "14.99 EUR".into(),
            date: at,
            seller,
            support_email: support,
            url: "https://patron.example/portal/link/x",
            until: at + SIGNED_LINK_TTL,
        })
    }

    #[test]
    fn a_receipt_email_gives_its_number_the_seller_and_times_with_their_zone() {
        let seller = ReceiptSeller {
            legal_name: "Northwind Games Ltd".into(),
            address_lines: vec!["1 Harbour Street".into(), "Bristol BS1 4AA".into()],
            tax_id: Some("GB123456789".into()),
            support_email: Some("help@northwind.example".into()),
        };
        let full = text(Some(&seller), Some("help@northwind.example"));
        assert!(
            full.contains(
                "Receipt: R-00042\n\
                 Order:   ord_01KAKX6D00DEM0ORD0000000\n\
                 Item:    Starter Kit\n\
                 Paid:    14.99 EUR\n\
                 Date:    21 November 2026, 14:05 UTC\n\
                 \n\
                 Seller:  Northwind Games Ltd\n         \
                 1 Harbour Street\n         \
                 Bristol BS1 4AA\n         \
                 Tax ID: GB123456789\n"
            ),
            "{full}"
        );
        assert!(
            full.contains("works until 21 December 2026, 14:05 UTC."),
            "{full}"
        );
        assert!(
            full.ends_with(
                "Do not forward this email.\n\n\
                 Questions about this purchase? Write to help@northwind.example.\n"
            ),
            "{full}"
        );

        let plain = text(None, None);
        assert!(plain.contains("Date:    21 November 2026, 14:05 UTC\n\nYour orders"));
        assert!(!plain.contains("Seller:"), "{plain}");
        assert!(!plain.contains("Questions"), "{plain}");
        assert!(plain.ends_with("Do not forward this email.\n"), "{plain}");
    }
}
