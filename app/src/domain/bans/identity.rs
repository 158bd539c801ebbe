//! Ban identities in their normal form: emails as the mailbox they reach, names folded, IPs
//! as networks; and the probe of a purchase's identities that matching looks up.

use crate::types::payment_detail::PaymentDetailKind;

use super::*;

pub(super) use crate::types::contact::TAGS;
pub use crate::types::contact::{canonical_email, canonical_name};

/// An IP address or CIDR range, as stored: an address alone, or the range's network.
/// An address or range, canonical: an IPv4-mapped IPv6 one (`::ffff:203.0.113.7`) is the IPv4
/// one it maps, as the addresses of purchases are stored.
pub(super) fn parse_net(value: &str) -> Option<IpNet> {
    let v = value.trim();
    let net = v
        .parse::<IpNet>()
        .map(|n| n.trunc())
        .ok()
        .or_else(|| v.parse::<IpAddr>().ok().map(IpNet::from))?;
    Some(match net {
        IpNet::V6(v6) if v6.prefix_len() >= 96 => match v6.addr().to_ipv4_mapped() {
            Some(v4) => ipnet::Ipv4Net::new(v4, v6.prefix_len() - 96)
                .map(|n| IpNet::V4(n.trunc()))
                .unwrap_or(net),
            None => net,
        },
        other => other,
    })
}

pub(super) fn net_text(n: IpNet) -> String {
    if n.prefix_len() == n.max_prefix_len() {
        n.addr().to_string()
    } else {
        n.to_string()
    }
}

/// One identity checked and written the way it is stored and compared.
pub fn normalise(i: usize, identity: &BanIdentity) -> Result<BanIdentity, DomainError> {
    let field = format!("identities[{i}].value");
    let v = identity.value.trim();
    if v.is_empty() {
        return Err(DomainError::invalid(field, "must not be empty"));
    }
    let value = match identity.kind {
        BanIdentityKind::Customer => v
            .parse::<CustomerId>()
            .map_err(|e| DomainError::invalid(&field, e.to_string()))?
            .to_string(),
        BanIdentityKind::Name => validate::text(&field, &canonical_name(v), 200)?,
        BanIdentityKind::Email => {
            validate::normalise_email(v).map_err(|_| {
                DomainError::invalid(&field, "must be an email address such as ada@example.com")
            })?;
            canonical_email(v)
        }
        BanIdentityKind::ExternalId => validate::text(&field, v, 200)?,
        BanIdentityKind::Ip => net_text(parse_net(v).ok_or_else(|| {
            DomainError::invalid(
                &field,
                "must be an IPv4 or IPv6 address, or a CIDR range such as 203.0.113.0/24",
            )
        })?),
        BanIdentityKind::Card => validate::text(&field, v, 200)?,
    };
    Ok(BanIdentity {
        kind: identity.kind,
        value,
    })
}

pub use crate::types::ban::{WIDE_V4, WIDE_V6};

/// Refuses an IP range wider than [`WIDE_V4`] / [`WIDE_V6`] unless `confirmed`, naming it.
pub(super) fn refuse_wide_ranges(
    identities: &[BanIdentity],
    confirmed: bool,
) -> Result<(), DomainError> {
    if confirmed {
        return Ok(());
    }
    for (i, identity) in identities.iter().enumerate() {
        if !identity.is_wide_range() {
            continue;
        }
        if let Some(net) = parse_net(&identity.value) {
            let size = match net {
                IpNet::V4(n) => format!("{} addresses", 1u64 << (32 - u32::from(n.prefix_len()))),
                IpNet::V6(n) => format!("2^{} addresses", 128 - u32::from(n.prefix_len())),
            };
            return Err(DomainError::unprocessable(
                format!("identities[{i}].value"),
                format!(
                    "{} covers {size}: confirm so wide a range with confirm_wide_ranges",
                    identity.value
                ),
            ));
        }
    }
    Ok(())
}

pub(super) fn normalise_all(identities: &[BanIdentity]) -> Result<Vec<BanIdentity>, DomainError> {
    if identities.is_empty() {
        return Err(DomainError::invalid(
            "identities",
            "name at least one identity to ban",
        ));
    }
    if identities.len() > IDENTITIES_MAX {
        return Err(DomainError::invalid(
            "identities",
            format!("at most {IDENTITIES_MAX} identities"),
        ));
    }
    let set: BTreeSet<BanIdentity> = identities
        .iter()
        .enumerate()
        .map(|(i, id)| normalise(i, id))
        .collect::<Result<_, _>>()?;
    Ok(set.into_iter().collect())
}

/// What a purchase (or a customer) is known by.
#[derive(Debug, Clone, Default)]
pub struct Probe {
    /// The customer, when known.
    pub customer_id: Option<CustomerId>,
    /// Names (given now, and on file).
    pub names: Vec<String>,
    /// Emails.
    pub emails: Vec<String>,
    /// External ids.
    pub external_ids: Vec<String>,
    /// IP addresses.
    pub ips: Vec<String>,
    /// Card fingerprints.
    pub cards: Vec<String>,
}

impl Probe {
    pub(super) fn exact(&self) -> Vec<(BanIdentityKind, String)> {
        let mut out = Vec::new();
        if let Some(c) = &self.customer_id {
            out.push((BanIdentityKind::Customer, c.to_string()));
        }
        out.extend(
            self.names
                .iter()
                .map(|n| (BanIdentityKind::Name, canonical_name(n))),
        );
        out.extend(
            self.emails
                .iter()
                .map(|e| (BanIdentityKind::Email, canonical_email(e))),
        );
        out.extend(
            self.external_ids
                .iter()
                .map(|x| (BanIdentityKind::ExternalId, x.trim().to_owned())),
        );
        out.extend(
            self.cards
                .iter()
                .map(|c| (BanIdentityKind::Card, c.clone())),
        );
        out
    }

    /// What a stored customer is known by: their fields and every IP and card they paid with.
    pub(super) async fn of_customer<C: ConnectionTrait>(
        conn: &C,
        c: &customer::Model,
    ) -> Result<Self, DomainError> {
        let details: Vec<(PaymentDetailKind, String)> = pd::Entity::find()
            .select_only()
            .column(pd::Column::Kind)
            .column(pd::Column::Value)
            .filter(pd::Column::WorkspaceId.eq(c.workspace_id.as_str()))
            .filter(pd::Column::CustomerId.eq(c.id.as_str()))
            .filter(pd::Column::Kind.is_in([PaymentDetailKind::Ip, PaymentDetailKind::Card]))
            .into_tuple()
            .all(conn)
            .await?;
        let of = |kind: PaymentDetailKind| -> Vec<String> {
            details
                .iter()
                .filter(|(k, _)| *k == kind)
                .map(|(_, v)| v.clone())
                .collect()
        };
        Ok(Self {
            customer_id: Some(c.id.clone()),
            names: c.name.iter().cloned().collect(),
            emails: c.email.iter().cloned().collect(),
            external_ids: c.external_id.iter().cloned().collect(),
            ips: of(PaymentDetailKind::Ip),
            cards: of(PaymentDetailKind::Card),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ipv4_mapped_address_or_range_is_the_ipv4_one() {
        let text = |v: &str| parse_net(v).map(net_text);
        assert_eq!(text("::ffff:203.0.113.7").as_deref(), Some("203.0.113.7"));
        assert_eq!(
            text("::ffff:203.0.113.0/120").as_deref(),
            Some("203.0.113.0/24")
        );
        assert_eq!(text(" 203.0.113.9/24 ").as_deref(), Some("203.0.113.0/24"));
        assert_eq!(text("2001:db8::1").as_deref(), Some("2001:db8::1"));
        assert_eq!(text("2001:db8::/32").as_deref(), Some("2001:db8::/32"));
        assert_eq!(text("not an address"), None);
    }
}
