//! Which bans match a purchase or a customer, by index, and each customer's `banned_until`.

use super::*;
use crate::domain::secrets::keyed_hash;
use crate::types::payment_detail::PaymentDetailKind;

pub(super) fn active(now: DateTime<Utc>) -> Condition {
    Condition::all().add(ban::Column::LiftedAt.is_null()).add(
        Condition::any()
            .add(ban::Column::ExpiresAt.is_null())
            .add(ban::Column::ExpiresAt.gt(now)),
    )
}

/// The ids of the bans (any status) with an identity matching `probe`: one indexed query for
/// the exact kinds; IP identities are few, so they are read and each range tested.
pub(super) async fn ban_ids_matching<C: ConnectionTrait>(
    conn: &C,
    ws: &WorkspaceId,
    probe: &Probe,
) -> Result<BTreeSet<BanId>, DomainError> {
    let mut ids: BTreeSet<BanId> = BTreeSet::new();
    let mut exact = probe.exact();
    let single_ips: Vec<String> = probe
        .ips
        .iter()
        .filter_map(|i| i.trim().parse::<IpAddr>().ok())
        .map(|ip| ip.to_string())
        .collect();
    if !exact.is_empty() || !single_ips.is_empty() {
        // A person erased since the ban was made is on file as keyed hashes (see erasure).
        let key = crate::domain::workspaces::signing_key(conn, ws).await?;
        let hashed: Vec<(BanIdentityKind, String)> = exact
            .iter()
            .filter(|(k, _)| {
                matches!(
                    k,
                    BanIdentityKind::Email | BanIdentityKind::Name | BanIdentityKind::ExternalId
                )
            })
            .map(|(k, v)| (*k, keyed_hash(&key, k.as_str(), v)))
            .chain(
                single_ips
                    .iter()
                    .map(|ip| (BanIdentityKind::Ip, keyed_hash(&key, "ip", ip))),
            )
            .collect();
        exact.extend(hashed);
    }
    if !exact.is_empty() {
        let mut any = Condition::any();
        for (kind, value) in &exact {
            any = any.add(
                Condition::all()
                    .add(ban_identity::Column::Kind.eq(*kind))
                    .add(ban_identity::Column::Value.eq(value.as_str())),
            );
        }
        let hits: Vec<BanId> = ban_identity::Entity::find()
            .select_only()
            .column(ban_identity::Column::BanId)
            .filter(ban_identity::Column::WorkspaceId.eq(ws))
            .filter(any)
            .into_tuple()
            .all(conn)
            .await?;
        ids.extend(hits);
    }
    let ips: Vec<IpAddr> = probe.ips.iter().filter_map(|i| i.parse().ok()).collect();
    if !ips.is_empty() {
        let nets: Vec<(BanId, String)> = ban_identity::Entity::find()
            .select_only()
            .column(ban_identity::Column::BanId)
            .column(ban_identity::Column::Value)
            .filter(ban_identity::Column::WorkspaceId.eq(ws))
            .filter(ban_identity::Column::Kind.eq(BanIdentityKind::Ip))
            .into_tuple()
            .all(conn)
            .await?;
        ids.extend(
            nets.into_iter()
                .filter(|(_, v)| parse_net(v).is_some_and(|n| ips.iter().any(|ip| n.contains(ip))))
                .map(|(ban_id, _)| ban_id),
        );
    }
    Ok(ids)
}

/// Every active ban matching `probe`: `(ban id, expiry)`.
pub(super) async fn matching_bans<C: ConnectionTrait>(
    conn: &C,
    ws: &WorkspaceId,
    now: DateTime<Utc>,
    probe: &Probe,
) -> Result<Vec<(BanId, Option<DateTime<Utc>>)>, DomainError> {
    let ids = ban_ids_matching(conn, ws, probe).await?;
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(ban::Entity::find()
        .select_only()
        .column(ban::Column::Id)
        .column(ban::Column::ExpiresAt)
        .filter(ban::Column::WorkspaceId.eq(ws))
        .filter(ban::Column::Id.is_in(ids))
        .filter(active(now))
        .order_by_asc(ban::Column::Id)
        .into_tuple()
        .all(conn)
        .await?)
}

/// Refuses a purchase that matches an active ban: `customer_banned`, naming the ban.
pub(crate) async fn refuse_banned<C: ConnectionTrait>(
    conn: &C,
    ws: &WorkspaceId,
    now: DateTime<Utc>,
    probe: &Probe,
) -> Result<(), DomainError> {
    match matching_bans(conn, ws, now, probe)
        .await?
        .into_iter()
        .next()
    {
        Some((ban_id, _)) => Err(DomainError::Banned { ban_id }),
        None => Ok(()),
    }
}

/// The customers `identities` match, with the kinds that match each.
pub(super) async fn customers_matching<C: ConnectionTrait>(
    conn: &C,
    ws: &WorkspaceId,
    identities: &[BanIdentity],
) -> Result<BTreeMap<CustomerId, BTreeSet<BanIdentityKind>>, DomainError> {
    let mut out: BTreeMap<CustomerId, BTreeSet<BanIdentityKind>> = BTreeMap::new();
    let each = customers_per_identity(conn, ws, identities).await?;
    for (identity, ids) in identities.iter().zip(each) {
        for id in ids {
            out.entry(id).or_default().insert(identity.kind);
        }
    }
    Ok(out)
}

/// The customers each of `identities` (normalised) matches, in their order. Two queries however
/// many identities there are: one on the customers (ids, names, emails, external ids), one on
/// the payment details (cards, IPs); each row found is then told which identities it meets.
pub(super) async fn customers_per_identity<C: ConnectionTrait>(
    conn: &C,
    ws: &WorkspaceId,
    identities: &[BanIdentity],
) -> Result<Vec<BTreeSet<CustomerId>>, DomainError> {
    let mut out: Vec<BTreeSet<CustomerId>> = vec![BTreeSet::new(); identities.len()];
    let mut on_customer = Condition::any();
    let mut asks_customers = false;
    for identity in identities {
        let v = identity.value.as_str();
        let condition = match identity.kind {
            BanIdentityKind::Customer => Condition::all().add(customer::Column::Id.eq(v)),
            BanIdentityKind::ExternalId => Condition::all().add(customer::Column::ExternalId.eq(v)),
            // Names are not indexed: a ban by name reads the workspace's names once.
            BanIdentityKind::Name => Condition::all().add(Expr::cust(FOLDED_NAME).eq(v)),
            BanIdentityKind::Email => email_candidates(v),
            BanIdentityKind::Card | BanIdentityKind::Ip => continue,
        };
        on_customer = on_customer.add(condition);
        asks_customers = true;
    }
    if asks_customers {
        // A customer's id, folded name, email and external id.
        type Row = (CustomerId, Option<String>, Option<String>, Option<String>);
        let rows: Vec<Row> = customer::Entity::find()
            .select_only()
            .column(customer::Column::Id)
            .column_as(Expr::cust(FOLDED_NAME), "folded_name")
            .column(customer::Column::Email)
            .column(customer::Column::ExternalId)
            .filter(customer::Column::WorkspaceId.eq(ws))
            .filter(on_customer)
            .into_tuple()
            .all(conn)
            .await?;
        for (id, folded_name, email, external_id) in rows {
            // The stored address may be any spelling that reaches the banned mailbox.
            let mailbox = email.as_deref().map(canonical_email);
            for (i, identity) in identities.iter().enumerate() {
                let v = identity.value.as_str();
                let meets = match identity.kind {
                    BanIdentityKind::Customer => id.as_str() == v,
                    BanIdentityKind::ExternalId => external_id.as_deref() == Some(v),
                    BanIdentityKind::Name => folded_name.as_deref() == Some(v),
                    BanIdentityKind::Email => mailbox.as_deref() == Some(v),
                    BanIdentityKind::Card | BanIdentityKind::Ip => false,
                };
                if meets {
                    out[i].insert(id.clone());
                }
            }
        }
    }
    let cards: Vec<(usize, &str)> = identities
        .iter()
        .enumerate()
        .filter(|(_, i)| i.kind == BanIdentityKind::Card)
        .map(|(n, i)| (n, i.value.as_str()))
        .collect();
    let nets: Vec<(usize, IpNet)> = identities
        .iter()
        .enumerate()
        .filter(|(_, i)| i.kind == BanIdentityKind::Ip)
        .filter_map(|(n, i)| parse_net(&i.value).map(|net| (n, net)))
        .collect();
    if cards.is_empty() && nets.is_empty() {
        return Ok(out);
    }
    let single = |net: &IpNet| net.prefix_len() == net.max_prefix_len();
    let mut on_detail = Condition::any();
    if !cards.is_empty() {
        on_detail = on_detail.add(
            Condition::all()
                .add(pd::Column::Kind.eq(PaymentDetailKind::Card))
                .add(pd::Column::Value.is_in(cards.iter().map(|(_, v)| *v))),
        );
    }
    if nets.iter().any(|(_, net)| !single(net)) {
        // A range reads every IP of the workspace and tests each.
        on_detail = on_detail.add(pd::Column::Kind.eq(PaymentDetailKind::Ip));
    } else if !nets.is_empty() {
        let addrs: Vec<String> = nets.iter().map(|(_, net)| net.addr().to_string()).collect();
        on_detail = on_detail.add(
            Condition::all()
                .add(pd::Column::Kind.eq(PaymentDetailKind::Ip))
                .add(pd::Column::Value.is_in(addrs)),
        );
    }
    let rows: Vec<(CustomerId, PaymentDetailKind, String)> = pd::Entity::find()
        .select_only()
        .column(pd::Column::CustomerId)
        .column(pd::Column::Kind)
        .column(pd::Column::Value)
        .filter(pd::Column::WorkspaceId.eq(ws))
        .filter(on_detail)
        .into_tuple()
        .all(conn)
        .await?;
    for (id, kind, value) in rows {
        match kind {
            PaymentDetailKind::Card => {
                for (i, v) in &cards {
                    if *v == value {
                        out[*i].insert(id.clone());
                    }
                }
            }
            PaymentDetailKind::Ip => {
                let Ok(addr) = value.parse::<IpAddr>() else {
                    continue;
                };
                for (i, net) in &nets {
                    // A single address matches as written, as its index lookup does.
                    let written = !single(net) || net.addr().to_string() == value;
                    if written && net.contains(&addr) {
                        out[*i].insert(id.clone());
                    }
                }
            }
            PaymentDetailKind::Account | PaymentDetailKind::Email => {}
        }
    }
    Ok(out)
}

/// A customer's name as a ban by name compares it, in SQL.
const FOLDED_NAME: &str = "LOWER(TRIM(name))";

/// The customers whose stored address may reach the mailbox `v` (canonical): an index lookup
/// narrowed in SQL, then each address compared as the mailbox it reaches.
fn email_candidates(v: &str) -> Condition {
    let (local, domain) = v.rsplit_once('@').unwrap_or((v, ""));
    if domain == "gmail.com" {
        let first = local.chars().next().map(String::from).unwrap_or_default();
        Condition::any()
            .add(customer::Column::Email.like(format!("{first}%@gmail.com")))
            .add(customer::Column::Email.like(format!("{first}%@googlemail.com")))
    } else if TAGS.contains(&domain) {
        Condition::all().add(customer::Column::Email.like(format!("{local}%@{domain}")))
    } else {
        Condition::all().add(customer::Column::Email.eq(v))
    }
}

/// Recomputes `banned_until` of `customer_ids` from the active bans matching each.
pub(super) async fn refresh<C: ConnectionTrait>(
    conn: &C,
    ws: &WorkspaceId,
    now: DateTime<Utc>,
    customer_ids: &BTreeSet<CustomerId>,
) -> Result<(), DomainError> {
    for id in customer_ids {
        let Some(c) = customer::Entity::find_by_id(id.clone())
            .filter(customer::Column::WorkspaceId.eq(ws))
            .one(conn)
            .await?
        else {
            continue;
        };
        let probe = Probe::of_customer(conn, &c).await?;
        let until = matching_bans(conn, ws, now, &probe)
            .await?
            .into_iter()
            .map(|(_, expires)| expires.unwrap_or_else(forever))
            .max();
        if until != c.banned_until {
            customer::Entity::update_many()
                .col_expr(customer::Column::BannedUntil, Expr::val(until))
                .filter(customer::Column::Id.eq(id.as_str()))
                .exec(conn)
                .await?;
        }
    }
    Ok(())
}
