//! Licence keys: generated from Patron's one random source, shown masked, revealed on demand.

use super::*;

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

/// The full licence key of an entitlement.
pub async fn reveal_license_key(
    svc: &Services,
    caller: &Caller,
    id: &EntitlementId,
) -> Result<LicenseKeyReveal, DomainError> {
    // Support and above (entitlements:write for a key): a viewer sees the masked key only.
    caller.require(Scope::EntitlementsWrite)?;
    let row = find_row(&svc.db, caller, id).await?;
    let customer_id = row.customer_id.clone();
    let revealed = key_of(id, row)?;
    // Who saw a customer's key, and when, is on record (never the key itself). Not an
    // `entitlement.*` event: nothing about the entitlement changed, so no webhook goes out.
    audit::record(
        &svc.db,
        svc,
        caller,
        audit::Change {
            action: "license_key.revealed",
            target_type: TargetKind::Entitlement,
            target_id: id.as_str(),
            customer_id: Some(&customer_id),
            changes: serde_json::json!({}),
        },
    )
    .await?;
    Ok(revealed)
}

/// [`reveal_license_key`] once the caller's right to it is settled (the portal's own check).
pub(crate) async fn reveal(
    svc: &Services,
    caller: &Caller,
    id: &EntitlementId,
) -> Result<LicenseKeyReveal, DomainError> {
    key_of(id, find_row(&svc.db, caller, id).await?)
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
