//! Licence keys: generated from Patron's one random source, shown masked, revealed on demand.
//! Every door's reveal (dashboard, API, portal) comes through here and is on record.

use super::*;
use crate::types::EventType;

pub(super) const KEY_ALPHABET: &[u8] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

pub(super) fn license_key(prefix: Option<&str>) -> String {
    let groups: Vec<String> = (0..4)
        .map(|_| secrets::random_chars(KEY_ALPHABET, 5))
        .collect();
    match prefix {
        Some(p) => format!("{p}-{}", groups.join("-")),
        None => groups.join("-"),
    }
}

/// Every group but the last shown as dots: `NWG-•••••-•••••-•••••-7K3QZ`.
pub fn mask_license_key(key: &str) -> String {
    let groups: Vec<&str> = key.split('-').collect();
    let last = groups.len().saturating_sub(1);
    let has_prefix = groups.len() > 4;
    groups
        .iter()
        .enumerate()
        .map(|(i, g)| {
            if i == last || (has_prefix && i == 0) {
                (*g).to_owned()
            } else {
                "•".repeat(g.chars().count())
            }
        })
        .collect::<Vec<_>>()
        .join("-")
}

/// The full licence key of an entitlement, for the dashboard and the API: support and
/// above (`entitlements:write`), audited as `license_key.revealed`.
pub async fn reveal_license_key(
    svc: &Services,
    caller: &Caller,
    id: &EntitlementId,
) -> Result<LicenseKeyReveal, DomainError> {
    // Support and above (entitlements:write for a key): a viewer sees the masked key only.
    caller.require(Scope::EntitlementsWrite)?;
    let row = find_row(&svc.db, caller, id).await?;
    revealed(svc, caller, row, EventType::LicenseKeyRevealed).await
}

/// One of `customer_id`'s licence keys, in their portal: to the customer themselves, or to the
/// merchant user whose read-only view of that portal it is, who needs what
/// [`reveal_license_key`] needs. Audited as whoever it is.
pub(crate) async fn reveal(
    svc: &Services,
    caller: &Caller,
    customer_id: &CustomerId,
    id: &EntitlementId,
) -> Result<LicenseKeyReveal, DomainError> {
    let action = match &caller.actor {
        Actor::PortalCustomer { id: own } if own == customer_id => {
            EventType::EntitlementLicenseKeyRevealed
        }
        Actor::PortalCustomer { .. } => {
            return Err(DomainError::NotFound {
                what: "entitlement",
            });
        }
        // A merchant's view of the portal holds the dashboard's rule, and its record.
        Actor::User { .. } | Actor::ApiKey { .. } | Actor::System => {
            caller.require(Scope::EntitlementsWrite)?;
            EventType::LicenseKeyRevealed
        }
    };
    // Only the portal's own customer's items, whoever looks at that portal.
    let row = ent::Entity::find_by_id(id.clone())
        .filter(ent::Column::WorkspaceId.eq(caller.workspace_id.as_str()))
        .filter(ent::Column::CustomerId.eq(customer_id))
        .one(&svc.db)
        .await?
        .ok_or(DomainError::NotFound {
            what: "entitlement",
        })?;
    revealed(svc, caller, row, action).await
}

/// The key of `row`, once `caller` is on record as having seen it: no door shows a key
/// without its record.
async fn revealed(
    svc: &Services,
    caller: &Caller,
    row: ent::Model,
    action: EventType,
) -> Result<LicenseKeyReveal, DomainError> {
    let id = row.id.clone();
    let customer_id = row.customer_id.clone();
    let shown = key_of(&id, row)?;
    // Who saw a customer's key, and when, is on record (never the key itself).
    // `license_key.revealed` is not an `entitlement.*` event: nothing about the entitlement
    // changed, so no webhook goes out.
    audit::record(
        &svc.db,
        svc,
        caller,
        audit::Change::new(
            action,
            id.as_str(),
            Some(&customer_id),
            serde_json::json!({}),
        ),
    )
    .await?;
    Ok(shown)
}

fn key_of(id: &EntitlementId, row: ent::Model) -> Result<LicenseKeyReveal, DomainError> {
    let key = row.license_key.ok_or(DomainError::NotFound {
        what: "licence key",
    })?;
    Ok(LicenseKeyReveal {
        entitlement_id: id.clone(),
        license_key: key,
    })
}
