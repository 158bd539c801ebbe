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
    let mut add = |ids: Vec<CustomerId>, kind: BanIdentityKind| {
        for id in ids {
            out.entry(id).or_default().insert(kind);
        }
    };
    let customers = || {
        customer::Entity::find()
            .select_only()
            .column(customer::Column::Id)
            .filter(customer::Column::WorkspaceId.eq(ws))
    };
    let details = |kind: PaymentDetailKind| {
        pd::Entity::find()
            .select_only()
            .column(pd::Column::CustomerId)
            .column(pd::Column::Value)
            .filter(pd::Column::WorkspaceId.eq(ws))
            .filter(pd::Column::Kind.eq(kind))
    };
    for identity in identities {
        let v = identity.value.as_str();
        match identity.kind {
            BanIdentityKind::Customer => {
                let ids = customers()
                    .filter(customer::Column::Id.eq(v))
                    .into_tuple()
                    .all(conn)
                    .await?;
                add(ids, identity.kind);
            }
            BanIdentityKind::ExternalId => {
                let ids = customers()
                    .filter(customer::Column::ExternalId.eq(v))
                    .into_tuple()
                    .all(conn)
                    .await?;
                add(ids, identity.kind);
            }
            BanIdentityKind::Name => {
                // Names are not indexed: a ban by name reads the workspace's names once.
                let ids = customers()
                    .filter(Expr::cust("LOWER(TRIM(name))").eq(v))
                    .into_tuple()
                    .all(conn)
                    .await?;
                add(ids, identity.kind);
            }
            BanIdentityKind::Email => {
                // The stored address may be any spelling that reaches this mailbox.
                let (local, domain) = v.rsplit_once('@').unwrap_or((v, ""));
                let rows: Vec<(CustomerId, Option<String>)> = if domain == "gmail.com" {
                    let first = local.chars().next().map(String::from).unwrap_or_default();
                    customer::Entity::find()
                        .select_only()
                        .column(customer::Column::Id)
                        .column(customer::Column::Email)
                        .filter(customer::Column::WorkspaceId.eq(ws))
                        .filter(
                            Condition::any()
                                .add(customer::Column::Email.like(format!("{first}%@gmail.com")))
                                .add(
                                    customer::Column::Email
                                        .like(format!("{first}%@googlemail.com")),
                                ),
                        )
                        .into_tuple()
                        .all(conn)
                        .await?
                } else if TAGS.contains(&domain) {
                    customer::Entity::find()
                        .select_only()
                        .column(customer::Column::Id)
                        .column(customer::Column::Email)
                        .filter(customer::Column::WorkspaceId.eq(ws))
                        .filter(customer::Column::Email.like(format!("{local}%@{domain}")))
                        .into_tuple()
                        .all(conn)
                        .await?
                } else {
                    customer::Entity::find()
                        .select_only()
                        .column(customer::Column::Id)
                        .column(customer::Column::Email)
                        .filter(customer::Column::WorkspaceId.eq(ws))
                        .filter(customer::Column::Email.eq(v))
                        .into_tuple()
                        .all(conn)
                        .await?
                };
                let ids = rows
                    .into_iter()
                    .filter(|(_, e)| e.as_deref().map(canonical_email).as_deref() == Some(v))
                    .map(|(id, _)| id)
                    .collect();
                add(ids, identity.kind);
            }
            BanIdentityKind::Card => {
                let rows: Vec<(CustomerId, String)> = details(PaymentDetailKind::Card)
                    .filter(pd::Column::Value.eq(v))
                    .into_tuple()
                    .all(conn)
                    .await?;
                add(rows.into_iter().map(|(c, _)| c).collect(), identity.kind);
            }
            BanIdentityKind::Ip => {
                let Some(net) = parse_net(v) else { continue };
                let rows: Vec<(CustomerId, String)> = if net.prefix_len() == net.max_prefix_len() {
                    details(PaymentDetailKind::Ip)
                        .filter(pd::Column::Value.eq(net.addr().to_string()))
                        .into_tuple()
                        .all(conn)
                        .await?
                } else {
                    details(PaymentDetailKind::Ip)
                        .into_tuple()
                        .all(conn)
                        .await?
                };
                let ids = rows
                    .into_iter()
                    .filter(|(_, ip)| ip.parse::<IpAddr>().is_ok_and(|a| net.contains(&a)))
                    .map(|(c, _)| c)
                    .collect();
                add(ids, identity.kind);
            }
        }
    }
    Ok(out)
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
