//! The portal inside a merchant's own page (`/embed/<slug>`), without third-party cookies.
//!
//! The merchant lists the origins that may frame its portal. Its back end mints a one-time
//! link bound to one of them; the frame reads the token from its URL's fragment (never sent to
//! a server), names the origin of the page it sits in, and exchanges the token once for a short
//! session that lives in the frame's memory and travels as a header. A token opened from
//! another origin, in another shop's frame, or a second time is refused.

use chrono::Duration;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use super::start_session_for;
use crate::db::entities::customer_session::{self as cs, CustomerSessionKind};
use crate::db::entities::workspace;
use crate::domain::secrets::sha256_hex;
pub use crate::domain::workspaces::origins_of;
use crate::domain::{DomainError, Services};
use crate::types::portal::EmbedSession;

/// How long an embedded portal session lasts; then the frame asks its page for a new token.
pub const EMBED_SESSION_TTL: Duration = Duration::hours(1);
/// The most origins one workspace may list.
pub const EMBED_ORIGINS_MAX: usize = 20;

fn loopback(host: Option<url::Host<&str>>) -> bool {
    match host {
        Some(url::Host::Domain(d)) => d == "localhost",
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// Checks one origin a merchant lists and writes it the way browsers name origins
/// (`https://shop.example`, `https://shop.example:8443`): an `https://` origin, a wildcard
/// over the subdomains of a domain (`https://*.shop.example`), or, for development, an
/// `http://` origin on localhost or a loopback address. No path, query or fragment.
pub fn checked_origin(raw: &str, field: &str) -> Result<String, DomainError> {
    let raw = raw.trim();
    let bad = |why: &str| DomainError::invalid(field, format!("{why}: {raw:?}"));
    let (wildcard, rest) = match raw.split_once("://*.") {
        Some((scheme, rest)) => (true, format!("{scheme}://{rest}")),
        None => (false, raw.to_owned()),
    };
    let url = url::Url::parse(&rest).map_err(|_| {
        bad("must be an origin such as https://shop.example or https://*.shop.example")
    })?;
    // A pasted "https://shop.example/" is the origin; anything longer is a page.
    if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
        return Err(bad(
            "an origin has no path or query (such as https://shop.example)",
        ));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad("an origin has no user name or password"));
    }
    match url.scheme() {
        "https" => {}
        "http" if !wildcard && loopback(url.host()) => {}
        "http" => {
            return Err(bad(
                "must be https:// (http:// only for localhost or a loopback address)",
            ));
        }
        _ => return Err(bad("must be an https:// origin")),
    }
    let Some(url::Host::Domain(_) | url::Host::Ipv4(_) | url::Host::Ipv6(_)) = url.host() else {
        return Err(bad("must name a host"));
    };
    let origin = url.origin().ascii_serialization();
    if wildcard {
        // `*.com` would let every site in; a wildcard covers the subdomains of one domain.
        let domain_ok = matches!(url.host(), Some(url::Host::Domain(d)) if d.contains('.'));
        if !domain_ok {
            return Err(bad(
                "a wildcard covers the subdomains of one domain, such as https://*.shop.example",
            ));
        }
        return Ok(origin.replacen("https://", "https://*.", 1));
    }
    Ok(origin)
}

/// Checks and normalises a workspace's whole list (at most [`EMBED_ORIGINS_MAX`], no
/// repeats); a bad entry is named by its place (`embed_origins[2]`).
pub fn checked_origins(raw: &[String]) -> Result<Vec<String>, DomainError> {
    if raw.len() > EMBED_ORIGINS_MAX {
        return Err(DomainError::invalid(
            "embed_origins",
            format!("list at most {EMBED_ORIGINS_MAX} origins"),
        ));
    }
    let mut out: Vec<String> = Vec::with_capacity(raw.len());
    for (i, origin) in raw.iter().enumerate() {
        let origin = checked_origin(origin, &format!("embed_origins[{i}]"))?;
        if !out.contains(&origin) {
            out.push(origin);
        }
    }
    Ok(out)
}

/// Whether `origin` (a page's origin, as a browser names it) is one of `allowed`.
pub fn allows(allowed: &[String], origin: &str) -> bool {
    let Ok(url) = url::Url::parse(origin) else {
        return false;
    };
    let port = url.port_or_known_default();
    allowed.iter().any(|a| {
        if a == origin {
            return true;
        }
        let Some(rest) = a.strip_prefix("https://*.") else {
            return false;
        };
        let Ok(pattern) = url::Url::parse(&format!("https://{rest}")) else {
            return false;
        };
        url.scheme() == "https"
            && pattern.port_or_known_default() == port
            && matches!(
                (url.host_str(), pattern.host_str()),
                (Some(host), Some(domain)) if host.len() > domain.len()
                    && host.ends_with(domain)
                    && host[..host.len() - domain.len()].ends_with('.')
            )
    })
}

/// The `Content-Security-Policy` of an embed page: the workspace's origins may frame it,
/// nobody else (`'none'` when the list is empty).
pub fn frame_ancestors(allowed: &[String]) -> String {
    if allowed.is_empty() {
        "frame-ancestors 'none'".to_owned()
    } else {
        format!("frame-ancestors {}", allowed.join(" "))
    }
}

/// The origins that may frame the portal of the shop at `/embed/<slug>` (none for an
/// unknown shop).
pub async fn origins_for_slug<C: ConnectionTrait>(
    db: &C,
    slug: &str,
) -> Result<Vec<String>, DomainError> {
    Ok(workspace::Entity::find()
        .filter(workspace::Column::Slug.eq(slug))
        .one(db)
        .await?
        .map(|ws| origins_of(&ws))
        .unwrap_or_default())
}

/// Exchanges an embed link's one-time token for a session, when the frame is the shop
/// `slug`'s and sits in a page of the origin the link was minted for, which the shop still
/// allows. `Unauthenticated` otherwise; a refusal never spends the token.
pub async fn open_embed(
    svc: &Services,
    slug: &str,
    token: &str,
    origin: &str,
) -> Result<EmbedSession, DomainError> {
    let now = svc.clock.now();
    let ws = workspace::Entity::find()
        .filter(workspace::Column::Slug.eq(slug))
        .one(&svc.db)
        .await?
        .ok_or(DomainError::Unauthenticated)?;
    if !allows(&origins_of(&ws), origin) {
        return Err(DomainError::Unauthenticated);
    }
    let hash = sha256_hex(token);
    let txn = svc.write_txn().await?;
    // One statement checks and spends the link: of two frames opening it at once, one wins.
    let spent = cs::Entity::update_many()
        .col_expr(cs::Column::UsedAt, Expr::val(Some(now)))
        .filter(cs::Column::TokenHash.eq(&hash))
        .filter(cs::Column::Kind.eq(CustomerSessionKind::Link))
        .filter(cs::Column::WorkspaceId.eq(&ws.id))
        .filter(cs::Column::EmbedOrigin.eq(origin))
        .filter(cs::Column::UsedAt.is_null())
        .filter(cs::Column::ExpiresAt.gt(now))
        .exec(&txn)
        .await?;
    if spent.rows_affected != 1 {
        txn.rollback().await?;
        return Err(DomainError::Unauthenticated);
    }
    let link = cs::Entity::find_by_id(hash)
        .one(&txn)
        .await?
        .ok_or(DomainError::Unauthenticated)?;
    let (session, expires_at) = start_session_for(
        &txn,
        svc,
        &ws.id,
        &link.customer_id,
        None,
        CustomerSessionKind::Embed,
        Some(origin.to_owned()),
    )
    .await?;
    txn.commit().await?;
    Ok(EmbedSession {
        session,
        expires_at,
        origin: origin.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_https_wildcards_or_loopback_http() {
        let ok = |raw: &str| checked_origin(raw, "o").unwrap();
        assert_eq!(ok("https://Shop.Example"), "https://shop.example");
        assert_eq!(ok("https://shop.example:8443"), "https://shop.example:8443");
        assert_eq!(ok("https://shop.example:443"), "https://shop.example");
        assert_eq!(ok("https://*.shop.example"), "https://*.shop.example");
        assert_eq!(ok("http://localhost:5173"), "http://localhost:5173");
        assert_eq!(ok("http://127.0.0.1:8080"), "http://127.0.0.1:8080");
        assert_eq!(ok(" https://shop.example/ "), "https://shop.example");
        for bad in [
            "http://shop.example",
            "http://*.localhost",
            "https://shop.example/account",
            "https://shop.example/?a=1",
            "https://*.com",
            "shop.example",
            "ftp://shop.example",
            "https://user@shop.example",
            "javascript:alert(1)",
        ] {
            let err = checked_origin(bad, "embed_origins[0]").unwrap_err();
            assert!(
                matches!(&err, DomainError::Invalid { field, .. } if field == "embed_origins[0]"),
                "{bad} gave {err:?}"
            );
        }
    }

    #[test]
    fn a_wildcard_covers_subdomains_only() {
        let list = vec![
            "https://*.shop.example".to_owned(),
            "http://localhost:5173".to_owned(),
        ];
        assert!(allows(&list, "https://eu.shop.example"));
        assert!(allows(&list, "https://a.b.shop.example"));
        assert!(allows(&list, "http://localhost:5173"));
        assert!(!allows(&list, "https://shop.example"));
        assert!(!allows(&list, "https://evilshop.example"));
        assert!(!allows(&list, "http://eu.shop.example"));
        assert!(!allows(&list, "https://eu.shop.example:8443"));
        assert!(!allows(&list, "http://localhost:5174"));
        assert!(!allows(&list, "null"));
    }

    #[test]
    fn the_policy_lists_the_origins_or_none() {
        assert_eq!(frame_ancestors(&[]), "frame-ancestors 'none'");
        assert_eq!(
            frame_ancestors(&["https://a.example".into(), "https://*.b.example".into()]),
            "frame-ancestors https://a.example https://*.b.example"
        );
    }
}
