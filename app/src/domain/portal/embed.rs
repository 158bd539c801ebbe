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

use super::start_session;
use crate::db::entities::customer_session::{self as cs, CustomerSessionKind};
use crate::db::entities::workspace;
use crate::domain::secrets::sha256_hex;
pub use crate::domain::workspaces::origins_of;
use crate::domain::{DomainError, Services};
use crate::types::portal::EmbedSession;

/// How long an embedded portal session lasts; then the frame asks its page for a new token.
pub const EMBED_SESSION_TTL: Duration = Duration::hours(1);
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
    let (session, expires_at) = start_session(
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
